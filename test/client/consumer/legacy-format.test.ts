/**
 * Brook's consumer reading message sets of magic 0 and 1 (the formats before Kafka 0.11), which a
 * broker still returns for old data. End to end: a proxy in front of a Brook broker rewrites every
 * record batch of each Fetch answer into a legacy message set of the same records, written with
 * KafkaJS 2.2.4's own message encoders (magic 0 and 1, uncompressed and gzip/snappy/lz4 wrappers,
 * each batch in one of six forms). Brook's consumer and KafkaJS's consumer read through it; both
 * must see the same messages at the right offsets, and Brook's consumer must commit past them.
 * Then the decoder alone: a fetch offset inside a wrapper, legacy entries followed by a v2 batch in
 * one answer, an entry cut by the byte limit, and a corrupt CRC.
 */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import type * as KafkaJSTypes from "kafkajs";
import {
  type ConsumedMessage,
  RecordCursor,
  scanPartitionRecords,
} from "../../../src/client/consumer/decode.js";
import { type Admin, Kafka, type KafkaMessage, logLevel } from "../../../src/client/index.js";
import { CompressionCodec, compress, decompress } from "../../../src/protocol/compression/index.js";
import { decodeResponse, encodeResponse } from "../../../src/protocol/frame.js";
import { Fetch } from "../../../src/protocol/messages/index.js";
import { decodeRecordBatches, encodeRecordBatchSync } from "../../../src/protocol/records/index.js";
import { startTestBroker, type TestBroker } from "../../../src/testing/index.js";
import { listen, splitFrames } from "../../support/tcp-peer.js";
import { committedOffsets, createTopic, kafkajs, until } from "./support.js";

const require = createRequire(import.meta.url);

interface KafkaJSEncoder {
  buffer: Buffer;
}
interface KafkaJSEntry {
  key?: Buffer | null;
  value: Buffer | null;
  timestamp?: number;
  compression?: number;
}
const encodeMessageSet: (args: {
  messageVersion: 0 | 1;
  compression?: number;
  entries: KafkaJSEntry[];
}) => KafkaJSEncoder = require("kafkajs/src/protocol/messageSet");

// KafkaJS has gzip only; thin adapters over Brook's codecs give it snappy and lz4 for this process.
for (const codec of [CompressionCodec.Snappy, CompressionCodec.Lz4]) {
  const adapter = {
    compress: (encoder: KafkaJSEncoder) => compress(codec, encoder.buffer),
    decompress: (buffer: Buffer) => decompress(codec, buffer),
  };
  (kafkajs.CompressionCodecs as Record<number, () => typeof adapter>)[codec] = () => adapter;
}

/** The six forms a batch is rewritten into, by its position in the log. */
const FORMS = [
  { magic: 0, codec: CompressionCodec.None },
  { magic: 1, codec: CompressionCodec.None },
  { magic: 1, codec: CompressionCodec.Gzip },
  { magic: 1, codec: CompressionCodec.Snappy },
  { magic: 1, codec: CompressionCodec.Lz4 },
  { magic: 0, codec: CompressionCodec.Gzip },
] as const;

function setOffsets(buf: Buffer, offsets: bigint[]): Buffer {
  const out = Buffer.from(buf);
  let pos = 0;
  for (const offset of offsets) {
    out.writeBigInt64BE(offset, pos);
    pos += out.readInt32BE(pos + 8) + 12;
  }
  return out;
}

/** One batch's records as a legacy message set, as a broker of that format would have stored them. */
async function legacyEntries(
  magic: 0 | 1,
  codec: CompressionCodec,
  records: Array<{ offset: bigint; timestamp: bigint; key: Buffer | null; value: Buffer | null }>,
): Promise<Buffer> {
  const entries = records.map((r) => ({ key: r.key, value: r.value, timestamp: Number(r.timestamp) }));
  const offsets = records.map((r) => r.offset);
  if (codec === CompressionCodec.None)
    return setOffsets(encodeMessageSet({ messageVersion: magic, entries }).buffer, offsets);
  // Magic 1 keeps KafkaJS's relative inner offsets (0..n-1); magic 0 holds absolute ones.
  let inner = encodeMessageSet({ messageVersion: magic, compression: codec, entries }).buffer;
  if (magic === 0) inner = setOffsets(inner, offsets);
  const value = await kafkajs.CompressionCodecs[codec as 1]().compress({ buffer: inner } as never);
  const wrapper = encodeMessageSet({
    messageVersion: magic,
    compression: codec,
    entries: [
      { compression: codec, timestamp: Number(records[records.length - 1]!.timestamp), key: null, value },
    ],
  }).buffer;
  return setOffsets(wrapper, [offsets[offsets.length - 1]!]);
}

/** A proxy that passes everything to the broker and rewrites the records of Fetch answers. */
async function legacyProxy(brokerPort: number) {
  const formOf = new Map<bigint, number>();
  let rewritten = 0;

  async function rewrite(records: Buffer): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (const batch of await decodeRecordBatches(records)) {
      const base = batch.header.baseOffset;
      if (!formOf.has(base)) formOf.set(base, formOf.size % FORMS.length);
      const form = FORMS[formOf.get(base)!]!;
      parts.push(await legacyEntries(form.magic, form.codec, batch.records));
      rewritten++;
    }
    return Buffer.concat(parts);
  }

  const peer = await listen((client, track) => {
    const upstream = track(net.connect(brokerPort, "127.0.0.1"));
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    const fetchVersions = new Map<number, number>();
    client.on(
      "data",
      splitFrames((frame) => {
        if (frame.readInt16BE(4) === Fetch.key) fetchVersions.set(frame.readInt32BE(8), frame.readInt16BE(6));
        upstream.write(frame);
      }),
    );
    // Answers go back in order even though a rewrite waits on compression.
    let queue = Promise.resolve();
    upstream.on(
      "data",
      splitFrames((frame) => {
        queue = queue.then(async () => {
          const correlationId = frame.readInt32BE(4);
          const version = fetchVersions.get(correlationId);
          if (version === undefined) return void client.write(frame);
          fetchVersions.delete(correlationId);
          const { body } = decodeResponse(Fetch, version, frame.subarray(4));
          for (const topic of body.responses)
            for (const p of topic.partitions)
              if (p.records && p.records.length > 0) p.records = await rewrite(p.records);
          client.write(encodeResponse(Fetch, version, correlationId, body));
        });
      }),
    );
  });
  const { port } = peer;
  return {
    port,
    formOf,
    rewritten: () => rewritten,
    socketFactory: ({ onConnect }: { onConnect: () => void }) => net.connect(port, "127.0.0.1", onConnect),
    close: () => peer.stop(),
  };
}

/** A handler's message as plain data; KafkaJS leaves a magic-0 timestamp undefined, Brook says "-1". */
function plain(m: KafkaMessage | KafkaJSTypes.KafkaMessage): Record<string, unknown> {
  const out: Record<string, unknown> = { ...m };
  if (out.magicByte === 0 && out.timestamp === undefined) out.timestamp = "-1";
  return out;
}

describe("consumer: legacy message sets (magic 0 and 1) end to end", () => {
  let tb: TestBroker;
  let proxy: Awaited<ReturnType<typeof legacyProxy>>;
  let admin: Admin;
  const topic = "legacy-format";
  const produced: Array<{ key: string | null; value: string | null; timestamp: string }> = [];

  before(async () => {
    tb = await startTestBroker();
    proxy = await legacyProxy(tb.port);
    const direct = new Kafka({
      clientId: "legacy-setup",
      brokers: [tb.bootstrap],
      logLevel: logLevel.NOTHING,
    });
    admin = direct.admin();
    await admin.connect();
    await createTopic(admin, topic, 1);
    const producer = direct.producer();
    await producer.connect();
    // Twelve sends, one batch each: every form twice, batches of 1 to 4 records.
    for (let b = 0; b < 12; b++) {
      const messages = Array.from({ length: 1 + (b % 4) }, () => {
        const n = produced.length;
        const m = {
          key: n % 3 === 0 ? null : `key-${n}`,
          value: n % 7 === 5 ? null : `value-${n}`,
          timestamp: String(1_700_000_000_000 + n * 1000),
        };
        produced.push(m);
        return m;
      });
      await producer.send({ topic, messages });
    }
    await producer.disconnect();
  });

  after(async () => {
    await admin.disconnect();
    await proxy.close();
    await tb.close();
  });

  async function consumeThroughProxy(
    client: "brook" | "kafkajs",
    groupId: string,
  ): Promise<Array<Record<string, unknown>>> {
    const config = {
      clientId: `legacy-${client}`,
      brokers: [`127.0.0.1:${proxy.port}`],
      socketFactory: proxy.socketFactory as never,
    };
    const seen: Array<Record<string, unknown>> = [];
    const consumer =
      client === "brook"
        ? new Kafka({ ...config, logLevel: logLevel.NOTHING }).consumer({ groupId, maxWaitTimeInMs: 100 })
        : new kafkajs.Kafka({ ...config, logLevel: kafkajs.logLevel.NOTHING }).consumer({
            groupId,
            maxWaitTimeInMs: 100,
          });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }: { message: KafkaMessage | KafkaJSTypes.KafkaMessage }) => {
          seen.push(plain(message));
        },
      });
      await until(() => seen.length >= produced.length, 20000, `${client} consumed ${produced.length}`);
    } finally {
      await consumer.disconnect();
    }
    return seen;
  }

  it("Brook's consumer delivers every message with its offset, key, value and timestamp, as KafkaJS does, and commits past them", async () => {
    const brook = await consumeThroughProxy("brook", "legacy-brook");
    assert.ok(proxy.rewritten() >= 12, "every batch went through the proxy's rewrite");
    assert.equal(new Set(proxy.formOf.values()).size, FORMS.length, "all six forms were served");

    assert.equal(brook.length, produced.length);
    // Which form each offset was served in: a batch runs from its base to the next batch's.
    const formAt: number[] = [];
    for (const [base, form] of [...proxy.formOf].sort((a, b) => Number(b[0] - a[0])))
      for (let o = Number(base); o < produced.length && formAt[o] === undefined; o++) formAt[o] = form;
    brook.forEach((m, offset) => {
      const form = FORMS[formAt[offset]!]!;
      const p = produced[offset]!;
      assert.equal(m.offset, String(offset));
      assert.equal(m.key === null ? null : String(m.key), p.key, `key at ${offset}`);
      assert.equal(m.value === null ? null : String(m.value), p.value, `value at ${offset}`);
      assert.equal(m.magicByte, form.magic, `magic at ${offset}`);
      assert.equal(m.timestamp, form.magic === 0 ? "-1" : p.timestamp, `timestamp at ${offset}`);
      assert.equal(m.attributes, 0, "inner messages carry no codec");
      assert.equal("headers" in m, false, "message set entries have no headers, as in KafkaJS");
      assert.equal(typeof m.size, "number");
      assert.equal(typeof m.crc, "number");
    });
    assert.equal((await committedOffsets(admin, "legacy-brook", topic)).get(0), produced.length);

    const reference = await consumeThroughProxy("kafkajs", "legacy-kafkajs");
    assert.deepEqual(brook, reference);
  });
});

describe("consumer decoder: legacy entries", () => {
  const record = (offset: number, value: string) => ({
    offset: BigInt(offset),
    timestamp: BigInt(1_700_000_000_000 + offset),
    key: null,
    value: Buffer.from(value),
  });
  const read = (segments: Awaited<ReturnType<typeof scanPartitionRecords>>, fetchOffset: number) =>
    new RecordCursor(segments.segments, fetchOffset).readAll(segments.count);
  const offsets = (ms: ConsumedMessage[]) => ms.map((m) => m.offset);

  it("a fetch offset inside a magic-1 wrapper skips the messages before it; the position goes past the wrapper", async () => {
    const buf = await legacyEntries(
      1,
      CompressionCodec.Gzip,
      [10, 11, 12, 13].map((o) => record(o, `v${o}`)),
    );
    const scanned = await scanPartitionRecords(buf, 12, null);
    assert.equal(scanned.count, 2);
    assert.equal(scanned.firstOffset, 12);
    assert.equal(scanned.lastOffset, 13);
    assert.equal(scanned.bytes, buf.length);
    assert.deepEqual(offsets(read(scanned, 12)), ["12", "13"]);
    // Wholly before the fetch offset: read, nothing delivered, the batch still counts as data.
    const before = await scanPartitionRecords(buf, 14, null);
    assert.equal(before.count, 0);
    assert.equal(before.lastOffset, -1);
    assert.equal(before.hadBatches, true);
  });

  it("legacy entries then a record batch v2 in one answer are all read, in order", async () => {
    const legacy = Buffer.concat([
      await legacyEntries(0, CompressionCodec.None, [record(0, "a"), record(1, "b")]),
      await legacyEntries(1, CompressionCodec.Snappy, [record(2, "c"), record(3, "d")]),
    ]);
    const v2 = encodeRecordBatchSync({
      baseOffset: 4n,
      baseTimestamp: 1_700_000_000_004n,
      records: [{ value: "e" }, { value: "f" }],
    });
    const scanned = await scanPartitionRecords(Buffer.concat([legacy, v2]), 0, null);
    assert.equal(scanned.count, 6);
    assert.equal(scanned.lastOffset, 5);
    const got = read(scanned, 0);
    assert.deepEqual(offsets(got), ["0", "1", "2", "3", "4", "5"]);
    assert.deepEqual(
      got.map((m) => String(m.value)),
      ["a", "b", "c", "d", "e", "f"],
    );
    assert.deepEqual(
      got.map((m) => ("magicByte" in m ? m.magicByte : undefined)),
      [0, 0, 1, 1, 2, 2],
    );
    // Read one at a time, as eachMessage does, the cursor reports each offset.
    const cursor = new RecordCursor(scanned.segments, 1);
    assert.equal(cursor.next()?.offset, "1");
    assert.equal(cursor.offset, 1);
  });

  it("an entry cut by the byte limit waits for the next fetch; a corrupt CRC is an error", async () => {
    const whole = Buffer.concat([
      await legacyEntries(1, CompressionCodec.None, [record(0, "a")]),
      await legacyEntries(1, CompressionCodec.Lz4, [record(1, "b"), record(2, "c")]),
    ]);
    const first = whole.readInt32BE(8) + 12;
    for (const cut of [whole.length - 1, first + 14, first + 5]) {
      const scanned = await scanPartitionRecords(whole.subarray(0, cut), 0, null);
      assert.equal(scanned.count, 1, `cut at ${cut}`);
      assert.equal(scanned.lastOffset, 0);
      assert.equal(scanned.bytes, first);
    }
    const corrupt = Buffer.from(whole);
    corrupt[first - 1]! ^= 0x20;
    await assert.rejects(scanPartitionRecords(corrupt, 0, null), /CRC/);
  });
});
