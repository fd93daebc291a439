/**
 * Record batch v2: round trips with every codec and attribute, transaction markers, cross-checks with
 * KafkaJS 2.2.4's own batch encoder and decoder, batches written by librdkafka (kcat) through a real
 * broker, and malformed input.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import fc from "fast-check";
import { CompressionCodec } from "../../src/protocol/compression/index.js";
import { ProtocolError } from "../../src/protocol/errors.js";
import { Fetch } from "../../src/protocol/messages/fetch.js";
import { ATTR, BATCH } from "../../src/protocol/records/batch-header.js";
import { ControlType, decodeControlRecord, encodeEndTxnMarker } from "../../src/protocol/records/control.js";
import {
  type BatchInput,
  decodeRecordBatch,
  decodeRecordBatches,
  encodeRecordBatch,
} from "../../src/protocol/records/record-batch.js";
import { startTestBroker } from "../../src/testing/index.js";
import { RawClient } from "../support/raw-client.js";

const require = createRequire(import.meta.url);
const { RecordBatch: KafkajsRecordBatch } = require("kafkajs/src/protocol/recordBatch/v0/index.js");
const KafkajsRecord = require("kafkajs/src/protocol/recordBatch/record/v0/index.js");
const kafkajsBatchDecoder = require("kafkajs/src/protocol/recordBatch/v0/decoder.js");
const KafkajsDecoder = require("kafkajs/src/protocol/decoder.js");
const { Types: KafkajsCodecs } = require("kafkajs/src/protocol/message/compression/index.js");

const t0 = 1_700_000_000_000n;
const sampleRecords = (): BatchInput["records"] => [
  { key: "k1", value: "v1", headers: { a: "1", b: Buffer.from([0, 255]) }, timestamp: t0 },
  { key: null, value: "no key", timestamp: t0 - 5000n },
  {
    key: "tombstone",
    value: null,
    headers: [{ key: "nullable", value: null }],
    timestamp: t0 + 123_456_789n,
  },
  { key: Buffer.alloc(0), value: Buffer.alloc(0), timestamp: t0 + 1n },
  { key: "big", value: Buffer.alloc(100_000, 7), timestamp: t0 },
];

describe("record batch v2", () => {
  for (const compression of [0, 1, 2, 3, 4] as CompressionCodec[]) {
    it(`round-trips keys, nulls, headers and timestamp deltas with ${CompressionCodec[compression]}`, async () => {
      const records = sampleRecords();
      const buf = await encodeRecordBatch({
        records,
        compression,
        baseOffset: 1000n,
        producerId: 42n,
        producerEpoch: 3,
        baseSequence: 17,
        isTransactional: compression === 4,
        partitionLeaderEpoch: 5,
      });
      const b = await decodeRecordBatch(buf);
      assert.equal(b.sizeInBytes, buf.length);
      assert.equal(b.header.baseOffset, 1000n);
      assert.equal(b.header.lastOffsetDelta, 4);
      assert.equal(b.header.recordsCount, 5);
      assert.equal(b.header.attributes & ATTR.COMPRESSION_MASK, compression);
      assert.equal((b.header.attributes & ATTR.TRANSACTIONAL) !== 0, compression === 4);
      assert.equal(b.header.producerId, 42n);
      assert.equal(b.header.producerEpoch, 3);
      assert.equal(b.header.baseSequence, 17);
      assert.equal(b.header.maxTimestamp, t0 + 123_456_789n);
      assert.deepEqual(
        b.records.map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value?.length ?? null]),
        [
          [1000n, t0, "k1", 2],
          [1001n, t0 - 5000n, null, 6],
          [1002n, t0 + 123_456_789n, "tombstone", null],
          [1003n, t0 + 1n, "", 0],
          [1004n, t0, "big", 100_000],
        ],
      );
      assert.deepEqual(b.records[0]!.headers, [
        { key: "a", value: Buffer.from("1") },
        { key: "b", value: Buffer.from([0, 255]) },
      ]);
      assert.deepEqual(b.records[2]!.headers, [{ key: "nullable", value: null }]);
    });
  }

  it("LogAppendTime batches report the batch's max timestamp for every record", async () => {
    const buf = await encodeRecordBatch({
      records: [
        { value: "a", timestamp: 1n },
        { value: "b", timestamp: 2n },
      ],
      timestampType: 1,
    });
    buf.writeBigInt64BE(t0, BATCH.MAX_TIMESTAMP);
    const { writeBatchCrc } = await import("../../src/protocol/records/batch-header.js");
    writeBatchCrc(buf, 0, buf.length);
    const b = await decodeRecordBatch(buf);
    assert.deepEqual(
      b.records.map((r) => r.timestamp),
      [t0, t0],
    );
  });

  it("encodes and decodes COMMIT and ABORT transaction markers", async () => {
    for (const commit of [true, false]) {
      const buf = encodeEndTxnMarker({
        producerId: 9n,
        producerEpoch: 2,
        coordinatorEpoch: 11,
        commit,
        baseOffset: 50n,
      });
      const b = await decodeRecordBatch(buf);
      assert.ok(b.header.attributes & ATTR.CONTROL && b.header.attributes & ATTR.TRANSACTIONAL);
      assert.equal(b.header.baseSequence, -1);
      assert.equal(b.header.producerId, 9n);
      assert.equal(b.records.length, 1);
      assert.deepEqual(decodeControlRecord(b.records[0]!), {
        type: commit ? ControlType.COMMIT : ControlType.ABORT,
        coordinatorEpoch: 11,
      });
    }
  });

  it("decodes batches KafkaJS encodes (uncompressed and gzip), value for value", async () => {
    for (const compression of [KafkajsCodecs.None, KafkajsCodecs.GZIP]) {
      const messages = Array.from({ length: 20 }, (_, i) => ({
        key: i % 3 === 0 ? null : `key-${i}`,
        value: `value-${i}-${"x".repeat(i * 10)}`,
        headers: { n: String(i) },
        offsetDelta: i,
        timestampDelta: i * 7,
      }));
      const kjs = await KafkajsRecordBatch({
        compression,
        firstOffset: "77",
        firstTimestamp: Number(t0),
        maxTimestamp: Number(t0) + 19 * 7,
        lastOffsetDelta: 19,
        partitionLeaderEpoch: 0,
        records: messages.map((m) => KafkajsRecord(m)),
      });
      const b = await decodeRecordBatch(kjs.buffer);
      assert.equal(b.header.producerId, -1n);
      assert.equal(b.header.attributes & 7, compression);
      assert.deepEqual(
        b.records.map((r) => [
          r.offset,
          r.timestamp,
          r.key?.toString() ?? null,
          r.value!.toString(),
          r.headers[0]!.value!.toString(),
        ]),
        messages.map((m, i) => [77n + BigInt(i), t0 + BigInt(i * 7), m.key, m.value, String(i)]),
      );
    }
  });

  it("encodes batches KafkaJS decodes (uncompressed and gzip), value for value", async () => {
    for (const compression of [CompressionCodec.None, CompressionCodec.Gzip]) {
      const records = sampleRecords();
      const buf = await encodeRecordBatch({ records, compression, baseOffset: 5n });
      const decoded = await kafkajsBatchDecoder(new KafkajsDecoder(buf));
      assert.equal(decoded.records.length, records.length);
      decoded.records.forEach((r: any, i: number) => {
        const want = records[i]!;
        assert.equal(r.offset, String(5 + i));
        assert.equal(r.timestamp, String(want.timestamp));
        assert.equal(
          r.key === null ? null : r.key.toString(),
          want.key === null ? null : Buffer.from(want.key as string).toString(),
        );
        assert.equal(
          r.value === null ? null : r.value.length,
          want.value === null ? null : Buffer.from(want.value as string).length,
        );
      });
    }
  });

  it("decodes snappy, lz4 and zstd batches written by librdkafka (kcat) through a real broker", async (t) => {
    const haveKcat = await new Promise<boolean>((r) => execFile("kcat", ["-V"], (e) => r(!e)));
    if (!haveKcat) return t.skip("kcat is not installed");
    const tb = await startTestBroker();
    try {
      for (const codec of ["snappy", "lz4", "zstd"]) {
        const topic = `lib-${codec}`;
        const lines = Array.from({ length: 200 }, (_, i) => `k${i}:${`payload-${i}-`.repeat(20)}`);
        await new Promise<void>((resolve, reject) => {
          const child = execFile(
            "kcat",
            ["-b", tb.bootstrap, "-P", "-t", topic, "-p", "0", "-K:", "-z", codec],
            (e) => (e ? reject(e) : resolve()),
          );
          child.stdin!.end(`${lines.join("\n")}\n`);
        });
        const c = await RawClient.connect(tb.port);
        const res = await c.request(Fetch, 11, {
          replicaId: -1,
          maxWaitMs: 0,
          minBytes: 0,
          maxBytes: 1 << 24,
          isolationLevel: 0,
          sessionEpoch: -1,
          topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 24 }] }],
        });
        c.close();
        const batches = await decodeRecordBatches(res.responses[0]!.partitions[0]!.records!);
        const expectedCodec = { snappy: 2, lz4: 3, zstd: 4 }[codec]!;
        // Debian's librdkafka 2.0.2 sends "-z lz4" batches uncompressed; snappy and zstd are compressed.
        const allowed = codec === "lz4" ? [0, expectedCodec] : [expectedCodec];
        assert.ok(
          batches.every((b) => allowed.includes(b.header.attributes & 7)),
          `${codec} batches`,
        );
        const got = batches.flatMap((b) => b.records.map((r) => `${r.key}:${r.value}`));
        assert.deepEqual(got, lines, codec);
      }
    } finally {
      await tb.close();
    }
  });

  it("rejects malformed batches with ProtocolError: truncation, bad CRC, wrong magic, bad counts", async () => {
    const good = await encodeRecordBatch({ records: sampleRecords().slice(0, 3) });
    for (let cut = 0; cut < good.length; cut++) {
      await assert.rejects(
        decodeRecordBatch(good.subarray(0, cut)),
        (e) => e instanceof ProtocolError,
        `cut at ${cut}`,
      );
    }
    const flipped = Buffer.from(good);
    flipped[good.length - 3]! ^= 0x40;
    await assert.rejects(
      decodeRecordBatch(flipped),
      (e) => e instanceof ProtocolError && e.kind === "bad-crc",
    );
    const magic = Buffer.from(good);
    magic.writeInt8(1, BATCH.MAGIC);
    await assert.rejects(
      decodeRecordBatch(magic),
      (e) => e instanceof ProtocolError && e.kind === "bad-magic",
    );
    const { writeBatchCrc } = await import("../../src/protocol/records/batch-header.js");
    for (const count of [4, 2, 1_000_000_000, -1]) {
      const bad = Buffer.from(good);
      bad.writeInt32BE(count, BATCH.RECORDS_COUNT);
      writeBatchCrc(bad, 0, bad.length);
      await assert.rejects(decodeRecordBatch(bad), (e) => e instanceof ProtocolError, `count ${count}`);
    }
    // A fetch payload that ends in a partial batch yields the whole ones only.
    const two = Buffer.concat([good, good]);
    assert.equal((await decodeRecordBatches(two.subarray(0, good.length + 30))).length, 1);
  });

  it("mutated batches (CRC recomputed) either decode or throw ProtocolError", async () => {
    const good = await encodeRecordBatch({ records: sampleRecords().slice(0, 4) });
    const { writeBatchCrc } = await import("../../src/protocol/records/batch-header.js");
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 6,
        }),
        async (edits) => {
          const buf = Buffer.from(good);
          for (const [pos, byte] of edits) if (pos >= BATCH.ATTRIBUTES) buf[pos] = byte;
          writeBatchCrc(buf, 0, buf.length);
          try {
            await decodeRecordBatch(buf);
          } catch (e) {
            if (!(e instanceof ProtocolError)) throw e;
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
