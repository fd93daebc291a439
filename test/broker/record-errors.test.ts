/**
 * Per-record errors on Produce (KIP-467), as Apache Kafka 4.x's LogValidator reports them: a batch
 * refused because of some of its records is answered with those records' indexes in `record_errors`
 * and a summary in `error_message` (Produce v8+), and nothing of it is written.
 *
 * - raw protocol: null keys on a compacted topic (INVALID_RECORD), timestamps outside
 *   message.timestamp.before/after.max.ms (INVALID_TIMESTAMP), both at once, compressed batches, a
 *   batch whose header max timestamp understates its records (as KafkaJS writes it), v7 answers;
 * - KafkaJS 2.2.4 (Produce v7: no record errors on the wire) gets INVALID_RECORD;
 * - librdkafka >= 2.4 (node-rdkafka, bundled librdkafka) reports INVALID_RECORD for exactly the records
 *   named in record_errors and _INVALID_DIFFERENT_RECORD for the others. node-rdkafka is installed
 *   outside Brook's package.json, in .bench-cache/node-rdkafka (`npm run bench -- broker`, or
 *   `npm install node-rdkafka@3.6.1` in that directory), or wherever BROOK_RDKAFKA_MODULE points;
 *   those tests are skipped when it is absent.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Kafka, type KafkaJSProtocolError, logLevel } from "kafkajs";
import { CompressionCodec } from "../../src/protocol/compression/index.js";
import { ErrorCode } from "../../src/protocol/error-codes.js";
import { IncrementalAlterConfigs } from "../../src/protocol/messages/incremental-alter-configs.js";
import { Produce } from "../../src/protocol/messages/produce.js";
import { BATCH, writeBatchCrc } from "../../src/protocol/records/batch-header.js";
import { encodeRecordBatch, type RecordInput } from "../../src/protocol/records/record-batch.js";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import { fetchAllRecords } from "../support/fetch-records.js";
import { RawClient } from "../support/raw-client.js";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

const HOUR = 3_600_000;
const KEY_MESSAGE = (tp: string) =>
  `Compacted topic cannot accept message without key in topic partition ${tp}`;

let tb: TestBroker;
let c: RawClient;
before(async () => {
  tb = await startTestBroker();
  c = await RawClient.connect(tb.port);
});
after(async () => {
  c.close();
  await tb.close();
});

async function produce(topic: string, batch: Buffer, version = 9) {
  const res = await c.request(Produce, version, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }],
  });
  return res.responses[0]!.partitionResponses[0]!;
}

/** cleanup.policy APPEND compact, as `kafka-configs --alter --add-config` and the issue do. */
async function appendCompact(topic: string): Promise<void> {
  const res = await c.request(IncrementalAlterConfigs, 1, {
    resources: [
      {
        resourceType: 2,
        resourceName: topic,
        configs: [{ name: "cleanup.policy", configOperation: 2, value: "compact" }],
      },
    ],
    validateOnly: false,
  });
  assert.equal(res.responses[0]!.errorCode, 0, res.responses[0]!.errorMessage ?? "");
}

function leo(topic: string): bigint {
  return tb.broker.partitionLog(topic, 0)!.logEndOffset;
}

/** 100 records, the ones at 5, 15, ..., 95 without a key. */
const KEYLESS = Array.from({ length: 10 }, (_, i) => i * 10 + 5);
function hundredRecords(): RecordInput[] {
  return Array.from({ length: 100 }, (_, i) => ({
    key: KEYLESS.includes(i) ? null : `k${i}`,
    value: `v${i}`,
  }));
}

function summary(tp: string, indexes: number[], total: number): string {
  const shown = indexes
    .slice(0, 3)
    .map((i) => `RecordError(batchIndex=${i}, message='${KEY_MESSAGE(tp)}')`)
    .join(", ");
  return `One or more records have been rejected due to ${total} record errors in total, and only showing the first three errors at most: [${shown}]`;
}

describe("Produce record errors (KIP-467)", () => {
  for (const [name, compression] of [
    ["uncompressed", CompressionCodec.None],
    ["gzip", CompressionCodec.Gzip],
    ["zstd", CompressionCodec.Zstd],
  ] as const) {
    it(`100 records with 10 null keys to a compacted topic (${name}): INVALID_RECORD naming the 10, nothing written`, async () => {
      const topic = `re-compact-${name}`;
      await tb.broker.createTopic(topic, 1, 1, {});
      await appendCompact(topic);
      const before = leo(topic);
      const p = await produce(topic, await encodeRecordBatch({ records: hundredRecords(), compression }));
      assert.equal(p.errorCode, ErrorCode.INVALID_RECORD);
      assert.equal(p.baseOffset, -1n);
      assert.deepEqual(
        p.recordErrors,
        KEYLESS.map((i) => ({ batchIndex: i, batchIndexErrorMessage: KEY_MESSAGE(`${topic}-0`) })),
      );
      assert.equal(p.errorMessage, summary(`${topic}-0`, KEYLESS, 10));
      assert.equal(leo(topic), before, "log end offset unchanged");
      // The same records with keys go in.
      const ok = await produce(
        topic,
        await encodeRecordBatch({
          records: hundredRecords().map((r, i) => ({ ...r, key: `k${i}` })),
          compression,
        }),
      );
      assert.equal(ok.errorCode, 0);
      assert.deepEqual(ok.recordErrors, []);
      assert.equal(ok.errorMessage, null);
      assert.equal(leo(topic), before + 100n);
    });
  }

  it("one keyless record among many: one record error; Produce v8 carries it too, v7 only the code", async () => {
    const topic = "re-compact-one";
    await tb.broker.createTopic(topic, 1, 1, { "cleanup.policy": "compact" });
    const batch = await encodeRecordBatch({
      records: [{ key: "a", value: "1" }, { value: "2" }, { key: "c", value: "3" }],
    });
    for (const version of [8, 11]) {
      const p = await produce(topic, Buffer.from(batch), version);
      assert.equal(p.errorCode, ErrorCode.INVALID_RECORD);
      assert.deepEqual(p.recordErrors, [
        { batchIndex: 1, batchIndexErrorMessage: KEY_MESSAGE(`${topic}-0`) },
      ]);
      assert.equal(p.errorMessage, summary(`${topic}-0`, [1], 1));
    }
    const v7 = await produce(topic, Buffer.from(batch), 7);
    assert.equal(v7.errorCode, ErrorCode.INVALID_RECORD);
    assert.equal(leo(topic), 0n);
  });

  it("timestamps outside before/after.max.ms: INVALID_TIMESTAMP naming each record, nothing written", async () => {
    const topic = "re-ts";
    await tb.broker.createTopic(topic, 1, 1, {
      "message.timestamp.before.max.ms": String(HOUR),
      "message.timestamp.after.max.ms": String(HOUR),
    });
    const now = Date.now();
    const ts = [now, now + 2 * HOUR, now, now - 2 * HOUR, now - 1000, -1, now + 3 * HOUR];
    const p = await produce(
      topic,
      await encodeRecordBatch({ records: ts.map((t, i) => ({ key: `k${i}`, value: "v", timestamp: t })) }),
    );
    assert.equal(p.errorCode, ErrorCode.INVALID_TIMESTAMP);
    assert.deepEqual(
      p.recordErrors.map((e) => e.batchIndex),
      [1, 3, 6],
      "a record without a timestamp (-1) is not checked",
    );
    for (const e of p.recordErrors) {
      const t = ts[e.batchIndex]!;
      assert.match(
        e.batchIndexErrorMessage!,
        new RegExp(
          `^Timestamp ${t} of message with offset ${e.batchIndex} is out of range. The timestamp should be within \\[\\d+, \\d+\\]$`,
        ),
      );
      const [lo, hi] = e
        .batchIndexErrorMessage!.match(/\[(\d+), (\d+)\]/)!
        .slice(1)
        .map(Number);
      assert.ok(hi! - lo! === 2 * HOUR && Math.abs(lo! - (now - HOUR)) < 60_000);
    }
    assert.equal(p.errorMessage, "One or more records have been rejected due to invalid timestamp");
    assert.equal(leo(topic), 0n);
  });

  it("an out-of-bounds record between in-bounds first and max timestamps is found (negative delta; understated header max)", async () => {
    const topic = "re-ts-hidden";
    await tb.broker.createTopic(topic, 1, 1, {
      "message.timestamp.before.max.ms": String(HOUR),
      "message.timestamp.after.max.ms": String(HOUR),
    });
    const now = Date.now();
    // A record far in the past behind a first record that is in bounds: its delta is negative, and
    // the header's max timestamp (the real max) is in bounds.
    const past = await produce(
      topic,
      await encodeRecordBatch({
        records: [now, now - 5 * HOUR, now + 1000].map((t) => ({ key: "k", value: "v", timestamp: t })),
      }),
    );
    assert.equal(past.errorCode, ErrorCode.INVALID_TIMESTAMP);
    assert.deepEqual(
      past.recordErrors.map((e) => e.batchIndex),
      [1],
    );
    // KafkaJS writes its last record's timestamp as the batch max: a record in the middle can be
    // past the after bound while first and "max" are in bounds.
    for (const compression of [CompressionCodec.None, CompressionCodec.Lz4]) {
      const b = await encodeRecordBatch({
        records: [now, now + 5 * HOUR, now].map((t) => ({ key: "k", value: "v", timestamp: t })),
        compression,
      });
      b.writeBigInt64BE(BigInt(now), BATCH.MAX_TIMESTAMP);
      writeBatchCrc(b, 0, b.length);
      const future = await produce(topic, b);
      assert.equal(future.errorCode, ErrorCode.INVALID_TIMESTAMP, `codec ${compression}`);
      assert.deepEqual(
        future.recordErrors.map((e) => e.batchIndex),
        [1],
      );
    }
    assert.equal(leo(topic), 0n);
    // In bounds (and in any order) is accepted.
    const ok = await produce(
      topic,
      await encodeRecordBatch({
        records: [now, now - HOUR / 2, now + HOUR / 2].map((t) => ({ key: "k", value: "v", timestamp: t })),
      }),
    );
    assert.equal(ok.errorCode, 0);
    assert.equal(leo(topic), 3n);
  });

  it("null keys and bad timestamps together: INVALID_TIMESTAMP, a record with both reports its key", async () => {
    const topic = "re-both";
    await tb.broker.createTopic(topic, 1, 1, {
      "cleanup.policy": "compact",
      "message.timestamp.after.max.ms": String(HOUR),
    });
    const now = Date.now();
    const records: RecordInput[] = [
      { key: "a", value: "1", timestamp: now },
      { key: null, value: "2", timestamp: now },
      { key: "c", value: "3", timestamp: now + 2 * HOUR },
      { key: null, value: "4", timestamp: now + 2 * HOUR },
    ];
    const p = await produce(
      topic,
      await encodeRecordBatch({ records, compression: CompressionCodec.Snappy }),
    );
    assert.equal(p.errorCode, ErrorCode.INVALID_TIMESTAMP);
    assert.deepEqual(
      p.recordErrors.map((e) => [e.batchIndex, e.batchIndexErrorMessage!.split(" ")[0]]),
      [
        [1, "Compacted"],
        [2, "Timestamp"],
        [3, "Compacted"],
      ],
    );
    assert.equal(p.errorMessage, "One or more records have been rejected due to invalid timestamp");
    assert.equal(leo(topic), 0n);
  });

  it("a producer may not set LogAppendTime on a LogAppendTime topic: INVALID_TIMESTAMP for every record", async () => {
    const topic = "re-lat";
    await tb.broker.createTopic(topic, 1, 1, { "message.timestamp.type": "LogAppendTime" });
    const p = await produce(
      topic,
      await encodeRecordBatch({
        records: [{ value: "a" }, { value: "b" }],
        timestampType: 1,
        logAppendTime: Date.now(),
      }),
    );
    assert.equal(p.errorCode, ErrorCode.INVALID_TIMESTAMP);
    assert.deepEqual(
      p.recordErrors.map((e) => e.batchIndex),
      [0, 1],
    );
    assert.match(
      p.recordErrors[0]!.batchIndexErrorMessage!,
      /Producer should not set timestamp type to LogAppendTime/,
    );
    // A CreateTime batch is stamped by the broker as usual.
    const ok = await produce(topic, await encodeRecordBatch({ records: [{ value: "a" }] }));
    assert.equal(ok.errorCode, 0);
    assert.ok(ok.logAppendTimeMs > 0n);
  });

  it("without bounds nor compaction, any timestamp goes in (no record is looked at)", async () => {
    const topic = "re-free";
    // Kafka 4.x bounds timestamps ahead at one hour by default (message.timestamp.after.max.ms).
    await tb.broker.createTopic(topic, 1, 1, { "message.timestamp.after.max.ms": "9223372036854775807" });
    const now = Date.now();
    const p = await produce(
      topic,
      await encodeRecordBatch({
        records: [0, 100 * 24 * HOUR, -100 * 24 * HOUR].map((d) => ({ value: "v", timestamp: now + d })),
      }),
    );
    assert.equal(p.errorCode, 0);
    assert.deepEqual(p.recordErrors, []);
  });
});

describe("KafkaJS 2.2.4 and record errors", () => {
  it("producer.send with keyless messages to a topic made compact: KafkaJSProtocolError INVALID_RECORD, nothing written", async () => {
    const topic = "re-kafkajs";
    const kafka = new Kafka({ clientId: "re-kafkajs", brokers: [tb.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    await admin.disconnect();
    await appendCompact(topic);
    const producer = kafka.producer({ retry: { retries: 0 } });
    await producer.connect();
    try {
      const err = await producer
        .send({
          topic,
          messages: hundredRecords().map((r) => ({ key: r.key as string | null, value: r.value as string })),
        })
        .then(
          () => null,
          (e: unknown) => e,
        );
      // KafkaJS's error classes are not ESM named exports: check the class by name.
      assert.equal((err as Error | null)?.name, "KafkaJSProtocolError", `got ${String(err)}`);
      const e = err as KafkaJSProtocolError;
      assert.equal(e.type, "INVALID_RECORD");
      assert.equal(e.code, 87);
      assert.equal(e.retriable, false);
      // With keys the same send goes through.
      await producer.send({ topic, messages: [{ key: "k", value: "v" }] });
    } finally {
      await producer.disconnect();
    }
    const records = await fetchAllRecords(tb.port, topic, 0);
    assert.deepEqual(
      records.map((r) => r.key?.toString()),
      ["k"],
    );
  });
});

const candidates = [
  process.env.BROOK_RDKAFKA_MODULE,
  fileURLToPath(new URL("../../.bench-cache/node-rdkafka/node_modules/node-rdkafka", import.meta.url)),
].filter((x): x is string => !!x);
const RDKAFKA = candidates.find((d) => existsSync(`${d}/build/Release/node-librdkafka.node`));
const PRODUCER = fileURLToPath(new URL("./fixtures/rdkafka-produce.cjs", import.meta.url));
// node-rdkafka's delivery reports carry librdkafka's text for the message's error, not its code (-1):
// INVALID_RECORD (87) reads "Broker failed to validate record", librdkafka's own
// _INVALID_DIFFERENT_RECORD (-138) "an invalid record in the same batch caused the failure of this
// message too".
const INVALID_RECORD_TEXT = /failed to validate record/i;
const DIFFERENT_RECORD_TEXT = /invalid record in the same batch/i;

function rdkafkaProduce(
  topic: string,
  count: number,
  keyless: number[],
  codec: string,
): Promise<{ version: string; reports: Array<[number, number, string]> }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [PRODUCER, tb.bootstrap, topic, String(count), keyless.join(","), codec],
      { env: { ...process.env, RDKAFKA_MODULE: RDKAFKA }, timeout: 60_000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${err.message}\n${stdout}\n${stderr}`));
        else resolve(JSON.parse(stdout.trim().split("\n").pop()!));
      },
    );
  });
}

describe("librdkafka (node-rdkafka) and record errors", {
  skip: RDKAFKA
    ? false
    : "node-rdkafka is not built in .bench-cache/node-rdkafka: install it there with `npm install node-rdkafka@3.6.1` (or set BROOK_RDKAFKA_MODULE)",
}, () => {
  for (const codec of ["none", "lz4"]) {
    it(`100 records, 10 without a key, to a topic made compact (APPEND), ${codec}: exactly the 10 get INVALID_RECORD`, async () => {
      const topic = `re-rdkafka-${codec}`;
      await tb.broker.createTopic(topic, 1, 1, {});
      await appendCompact(topic);
      const { version, reports } = await rdkafkaProduce(topic, 100, KEYLESS, codec);
      assert.equal(reports.length, 100, `librdkafka ${version}`);
      for (const [i, code, message] of reports) {
        assert.notEqual(code, 0, `record ${i} was not delivered`);
        assert.match(
          message,
          KEYLESS.includes(i) ? INVALID_RECORD_TEXT : DIFFERENT_RECORD_TEXT,
          `record ${i}`,
        );
      }
      assert.equal(leo(topic), 0n);
      // All with keys: delivered.
      const good = await rdkafkaProduce(topic, 100, [], codec);
      assert.ok(good.reports.every(([, code]) => code === 0));
      assert.equal(leo(topic), 100n);
    });
  }

  it("a single keyless record: librdkafka gives every record of the batch the partition's error", async () => {
    // librdkafka (2.4+, rdkafka_broker.c rd_kafka_dr_msgq0) forces the partition-level error on every
    // message when record_errors has exactly one entry; per-record codes only when there are several.
    const topic = "re-rdkafka-one";
    await tb.broker.createTopic(topic, 1, 1, { "cleanup.policy": "compact" });
    const { reports } = await rdkafkaProduce(topic, 20, [7], "none");
    assert.equal(reports.length, 20);
    for (const [i, code, message] of reports) {
      assert.notEqual(code, 0, `record ${i} was not delivered`);
      assert.match(message, INVALID_RECORD_TEXT, `record ${i}`);
    }
    assert.equal(leo(topic), 0n);
  });
});
