/**
 * Record batch v2: the byte layout against the spec, round trips with every codec and attribute,
 * transaction markers, cross-checks with KafkaJS 2.2.4's own batch encoder and decoder, batches
 * exchanged with librdkafka (kcat) through a real broker, and malformed input.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import fc from "fast-check";
import { CompressionCodec, initCompression } from "../../src/protocol/compression/index.js";
import { ProtocolError } from "../../src/protocol/errors.js";
import { ApiVersions } from "../../src/protocol/messages/api-versions.js";
import { CreateTopics } from "../../src/protocol/messages/create-topics.js";
import { Fetch } from "../../src/protocol/messages/fetch.js";
import { Produce } from "../../src/protocol/messages/produce.js";
import {
  ATTR,
  BATCH,
  deleteHorizonMs,
  hasDeleteHorizon,
  makeAttributes,
  parseAttributes,
  readBatchHeader,
  TimestampType,
  timestampTypeOf,
  verifyBatchCrc,
  writeBatchCrc,
} from "../../src/protocol/records/batch-header.js";
import {
  ControlType,
  decodeControlRecord,
  decodeEndTxnMarker,
  encodeEndTxnMarker,
} from "../../src/protocol/records/control.js";
import {
  type BatchInput,
  type DecodedBatch,
  decodeRecordBatch,
  decodeRecordBatches,
  decodeRecordBatchesSync,
  decodeRecordBatchSync,
  encodeRecordBatch,
  encodeRecordBatchSync,
} from "../../src/protocol/records/record-batch.js";
import { startTestBroker } from "../../src/testing/index.js";
import { RawClient } from "../support/raw-client.js";
import { missing } from "../support/external.js";

const require = createRequire(import.meta.url);
const { RecordBatch: KafkajsRecordBatch } = require("kafkajs/src/protocol/recordBatch/v0/index.js");
const KafkajsRecord = require("kafkajs/src/protocol/recordBatch/record/v0/index.js");
const kafkajsBatchDecoder = require("kafkajs/src/protocol/recordBatch/v0/decoder.js");
const KafkajsDecoder = require("kafkajs/src/protocol/decoder.js");
const { Types: KafkajsCodecs } = require("kafkajs/src/protocol/message/compression/index.js");

const codecs = [
  CompressionCodec.None,
  CompressionCodec.Gzip,
  CompressionCodec.Snappy,
  CompressionCodec.Lz4,
  CompressionCodec.Zstd,
];
const t0 = 1_700_000_000_000n;

const isProtocolError = (kind?: string) => (e: unknown) =>
  e instanceof ProtocolError && (kind === undefined || e.kind === kind);

/** CRC-32C bit by bit (reflected polynomial 0x82F63B78): independent of the library the codec uses. */
function crc32cReference(b: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of b) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

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

/** A batch whose records section is `body`, with the given count and last offset delta, and a valid CRC. */
function batchWithBody(body: Buffer, count: number, lastOffsetDelta = count - 1, attributes = 0): Buffer {
  const head = encodeRecordBatchSync({ records: [{ value: "x", timestamp: t0 }] }).subarray(
    0,
    BATCH.HEADER_SIZE,
  );
  const buf = Buffer.concat([head, body]);
  buf.writeInt32BE(buf.length - BATCH.LOG_OVERHEAD, BATCH.LENGTH);
  buf.writeInt16BE(attributes, BATCH.ATTRIBUTES);
  buf.writeInt32BE(lastOffsetDelta, BATCH.LAST_OFFSET_DELTA);
  buf.writeInt32BE(count, BATCH.RECORDS_COUNT);
  writeBatchCrc(buf, 0, buf.length);
  return buf;
}

/** What KafkaJS's decoder makes of a batch. */
async function kafkajsDecode(buf: Buffer): Promise<any> {
  return kafkajsBatchDecoder(new KafkajsDecoder(buf));
}

/** KafkaJS's header object for a list of headers (repeated keys become arrays, as it decodes them). */
function kafkajsHeaders(headers: Array<{ key: string; value: Buffer | null }>): Record<string, unknown> {
  const out: Record<string, any> = {};
  for (const { key, value } of headers) {
    if (out[key] === undefined) out[key] = value;
    else out[key] = Array.isArray(out[key]) ? [...out[key], value] : [out[key], value];
  }
  return out;
}

describe("record batch v2: layout", () => {
  it("the reference CRC-32C gives the published check value", () => {
    assert.equal(crc32cReference(Buffer.from("123456789")), 0xe3069283);
  });

  it("writes every header field at the offset the spec gives, with a CRC-32C over attributes..end", () => {
    const buf = encodeRecordBatchSync({
      records: [
        { key: "a", value: "1", timestamp: t0 + 10n },
        { key: "b", value: "2", timestamp: t0 + 30n },
        { key: "c", value: "3", timestamp: t0 + 20n },
      ],
      baseOffset: 500n,
      partitionLeaderEpoch: 9,
      producerId: 77n,
      producerEpoch: 4,
      baseSequence: 1000,
      isTransactional: true,
    });
    assert.equal(buf.readBigInt64BE(0), 500n, "baseOffset");
    assert.equal(buf.readInt32BE(8), buf.length - 12, "batchLength");
    assert.equal(buf.readInt32BE(12), 9, "partitionLeaderEpoch");
    assert.equal(buf.readInt8(16), 2, "magic");
    assert.equal(buf.readUInt32BE(17), crc32cReference(buf.subarray(21)), "crc");
    assert.equal(buf.readInt16BE(21), 0x10, "attributes: transactional, CreateTime, no compression");
    assert.equal(buf.readInt32BE(23), 2, "lastOffsetDelta");
    assert.equal(buf.readBigInt64BE(27), t0 + 10n, "baseTimestamp: the first record's");
    assert.equal(buf.readBigInt64BE(35), t0 + 30n, "maxTimestamp: the largest, not the last");
    assert.equal(buf.readBigInt64BE(43), 77n, "producerId");
    assert.equal(buf.readInt16BE(51), 4, "producerEpoch");
    assert.equal(buf.readInt32BE(53), 1000, "baseSequence");
    assert.equal(buf.readInt32BE(57), 3, "recordsCount");
    assert.ok(verifyBatchCrc(buf, 0, buf.length));
    const defaults = encodeRecordBatchSync({ records: [{ value: "v" }] });
    const h = readBatchHeader(defaults);
    assert.deepEqual(
      [h.baseOffset, h.partitionLeaderEpoch, h.producerId, h.producerEpoch, h.baseSequence, h.attributes],
      [0n, -1, -1n, -1, -1, 0],
    );
    assert.equal(h.baseTimestamp, h.maxTimestamp, "no timestamps: both are now");
    assert.ok(Math.abs(Number(h.baseTimestamp) - Date.now()) < 60_000);
  });

  it("writes records as the spec lays them out (zigzag varints, -1 for null)", () => {
    const body = (records: BatchInput["records"]) => [
      ...encodeRecordBatchSync({ records }).subarray(BATCH.HEADER_SIZE),
    ];
    // length 8 (zigzag 0x10), attributes 0, timestampDelta 0, offsetDelta 0, key 1 "k", value 1 "v", 0 headers.
    assert.deepEqual(
      body([{ key: "k", value: "v", timestamp: t0 }]),
      [0x10, 0, 0, 0, 0x02, 0x6b, 0x02, 0x76, 0],
    );
    // Null key (-1 = 0x01), one header "h" with a null value; second record: offsetDelta 1, timestampDelta -1.
    assert.deepEqual(
      body([
        { value: "v", headers: [{ key: "h", value: null }], timestamp: t0 },
        { key: "k", value: null, timestamp: t0 - 1n },
      ]),
      [
        ...[0x14, 0, 0, 0, 0x01, 0x02, 0x76, 0x02, 0x02, 0x68, 0x01],
        ...[0x0e, 0, 0x01, 0x02, 0x02, 0x6b, 0x01, 0],
      ],
    );
    // timestampDelta 300 000 (zigzag 600 000 = 0xc0 0xcf 0x24), offsetDelta 64 (zigzag 128 = 0x80 0x01).
    assert.deepEqual(
      body([
        { value: null, timestamp: t0 },
        { value: null, timestamp: t0 + 300_000n, offsetDelta: 64 },
      ]).slice(7),
      [0x12, 0, 0xc0, 0xcf, 0x24, 0x80, 0x01, 0x01, 0x01, 0],
    );
  });

  it("attribute helpers build and read every flag", () => {
    assert.equal(
      makeAttributes({
        compression: 3,
        timestampType: TimestampType.LogAppendTime,
        isTransactional: true,
        isControl: true,
        hasDeleteHorizon: true,
      }),
      0x7b,
    );
    for (let compression = 0; compression <= 4; compression++)
      for (const timestampType of [TimestampType.CreateTime, TimestampType.LogAppendTime])
        for (let bits = 0; bits < 8; bits++) {
          const flags = {
            compression,
            timestampType,
            isTransactional: (bits & 1) !== 0,
            isControl: (bits & 2) !== 0,
            hasDeleteHorizon: (bits & 4) !== 0,
          };
          const a = makeAttributes(flags);
          assert.deepEqual(parseAttributes(a), flags);
          assert.equal(timestampTypeOf(a), timestampType);
          assert.equal(hasDeleteHorizon(a), flags.hasDeleteHorizon);
        }
  });
});

describe("record batch v2: round trips", () => {
  for (const compression of codecs) {
    it(`keys, nulls, headers and timestamp deltas with ${CompressionCodec[compression]} (async and sync)`, async () => {
      await initCompression();
      const records = sampleRecords();
      const input: BatchInput = {
        records,
        compression,
        baseOffset: 1000n,
        producerId: 42n,
        producerEpoch: 3,
        baseSequence: 17,
        isTransactional: compression === CompressionCodec.Zstd,
        partitionLeaderEpoch: 5,
      };
      const buf = await encodeRecordBatch(input);
      const sync = encodeRecordBatchSync(input);
      for (const b of [await decodeRecordBatch(buf), decodeRecordBatchSync(sync)]) {
        assert.equal(b.sizeInBytes, buf.length);
        assert.equal(b.header.baseOffset, 1000n);
        assert.equal(b.header.lastOffsetDelta, 4);
        assert.equal(b.header.recordsCount, 5);
        assert.equal(b.header.attributes & ATTR.COMPRESSION_MASK, compression);
        assert.equal((b.header.attributes & ATTR.TRANSACTIONAL) !== 0, compression === CompressionCodec.Zstd);
        assert.equal(b.header.producerId, 42n);
        assert.equal(b.header.producerEpoch, 3);
        assert.equal(b.header.baseSequence, 17);
        assert.equal(b.header.partitionLeaderEpoch, 5);
        assert.equal(b.header.baseTimestamp, t0);
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
        assert.deepEqual(
          b.records.map((r) => [r.offsetDelta, r.timestampDelta, r.attributes]),
          [
            [0, 0n, 0],
            [1, -5000n, 0],
            [2, 123_456_789n, 0],
            [3, 1n, 0],
            [4, 0n, 0],
          ],
        );
        assert.ok(b.records[4]!.value!.equals(Buffer.alloc(100_000, 7)));
        assert.deepEqual(b.records[0]!.headers, [
          { key: "a", value: Buffer.from("1") },
          { key: "b", value: Buffer.from([0, 255]) },
        ]);
        assert.deepEqual(b.records[2]!.headers, [{ key: "nullable", value: null }]);
      }
    });
  }

  it("uncompressed keys and values are zero-copy slices of the input", async () => {
    const buf = await encodeRecordBatch({ records: [{ key: "key", value: "value" }] });
    const r = (await decodeRecordBatch(buf)).records[0]!;
    assert.equal(r.value!.buffer, buf.buffer);
    assert.equal(r.value!.byteOffset, buf.byteOffset + buf.indexOf("value"));
  });

  it("keeps negative, large and 64-bit timestamp deltas exact", async () => {
    const cases: bigint[][] = [
      [t0, t0 - 5000n, t0 + 2n ** 40n, t0 - 2n ** 35n, t0 + 1n, -1n],
      [2n ** 60n, 2n ** 60n + 1n, 2n ** 60n - 2n ** 50n, -(2n ** 61n), 2n ** 62n],
      [-(2n ** 62n), 2n ** 62n - 1n], // a delta of 2^63 - 1, the largest
    ];
    for (const ts of cases) {
      for (const compression of [CompressionCodec.None, CompressionCodec.Lz4]) {
        const buf = await encodeRecordBatch({
          records: ts.map((timestamp, i) => ({ value: `v${i}`, timestamp })),
          compression,
        });
        const b = await decodeRecordBatch(buf);
        assert.deepEqual(
          b.records.map((r) => r.timestamp),
          ts,
        );
        assert.deepEqual(
          b.records.map((r) => r.timestampDelta),
          ts.map((t) => t - ts[0]!),
        );
        assert.equal(b.header.baseTimestamp, ts[0]);
        assert.equal(
          b.header.maxTimestamp,
          ts.reduce((a, c) => (c > a ? c : a)),
        );
      }
    }
    // Numbers and bigints mix; number timestamps must be integers.
    const mixed = await decodeRecordBatch(
      await encodeRecordBatch({
        records: [{ timestamp: Number(t0) }, { timestamp: t0 + 7n }, { timestamp: 3 }],
      }),
    );
    assert.deepEqual(
      mixed.records.map((r) => r.timestamp),
      [t0, t0 + 7n, 3n],
    );
    assert.throws(
      () => encodeRecordBatchSync({ records: [{ timestamp: 1.5 }] }),
      isProtocolError("invalid-value"),
    );
    assert.throws(
      () => encodeRecordBatchSync({ records: [{ timestamp: 2n ** 63n }] }),
      isProtocolError("invalid-value"),
    );
    // A delta that does not fit an int64 cannot be written.
    assert.throws(
      () => encodeRecordBatchSync({ records: [{ timestamp: -(2n ** 63n) }, { timestamp: 2n ** 63n - 1n }] }),
      isProtocolError("invalid-value"),
    );
  });

  it("offset deltas may leave gaps; they must increase", async () => {
    const buf = await encodeRecordBatch({
      baseOffset: 10n,
      records: [
        { value: "a", offsetDelta: 0 },
        { value: "b", offsetDelta: 3 },
        { value: "c", offsetDelta: 7 },
      ],
    });
    const b = await decodeRecordBatch(buf);
    assert.equal(b.header.lastOffsetDelta, 7);
    assert.equal(b.header.recordsCount, 3);
    assert.deepEqual(
      b.records.map((r) => r.offset),
      [10n, 13n, 17n],
    );
    for (const deltas of [[0, 0], [2, 1], [-1], [0, 2 ** 31]]) {
      assert.throws(
        () => encodeRecordBatchSync({ records: deltas.map((offsetDelta) => ({ offsetDelta })) }),
        isProtocolError("invalid-value"),
        deltas.join(","),
      );
    }
    assert.throws(() => encodeRecordBatchSync({ records: [] }), isProtocolError("invalid-value"));
    assert.throws(
      () => encodeRecordBatchSync({ records: [{ value: "x" }], compression: 6 as CompressionCodec }),
      isProtocolError("bad-compression"),
    );
  });

  it("headers: arrays, repeated keys, null values, UTF-8 keys, bytes of any Uint8Array", async () => {
    const b = await decodeRecordBatch(
      await encodeRecordBatch({
        records: [
          {
            value: "x",
            headers: [
              { key: "dup", value: "1" },
              { key: "dup", value: null },
              { key: "ключ ✓", value: new Uint8Array([1, 2, 3]) },
              { key: "", value: Buffer.alloc(0) },
            ],
          },
          {
            key: new Uint8Array([9, 8]),
            value: "y",
            headers: { multi: ["a", null, "b"], single: "s", none: null },
          },
        ],
      }),
    );
    assert.deepEqual(b.records[0]!.headers, [
      { key: "dup", value: Buffer.from("1") },
      { key: "dup", value: null },
      { key: "ключ ✓", value: Buffer.from([1, 2, 3]) },
      { key: "", value: Buffer.alloc(0) },
    ]);
    assert.deepEqual(b.records[1]!.key, Buffer.from([9, 8]));
    assert.deepEqual(b.records[1]!.headers, [
      { key: "multi", value: Buffer.from("a") },
      { key: "multi", value: null },
      { key: "multi", value: Buffer.from("b") },
      { key: "single", value: Buffer.from("s") },
      { key: "none", value: null },
    ]);
    assert.throws(
      () => encodeRecordBatchSync({ records: [{ value: 42 as unknown as string }] }),
      isProtocolError("invalid-value"),
    );
  });

  it("transactional and control flags, LogAppendTime and the delete horizon", async () => {
    const lat = await decodeRecordBatch(
      await encodeRecordBatch({
        records: [
          { value: "a", timestamp: 1n },
          { value: "b", timestamp: 2n },
        ],
        timestampType: TimestampType.LogAppendTime,
        logAppendTime: t0,
        isTransactional: true,
        producerId: 5n,
        producerEpoch: 0,
        baseSequence: 0,
      }),
    );
    assert.equal(timestampTypeOf(lat.header.attributes), TimestampType.LogAppendTime);
    assert.equal(lat.header.maxTimestamp, t0);
    assert.deepEqual(
      lat.records.map((r) => r.timestamp),
      [t0, t0],
      "every record carries the append time",
    );
    assert.deepEqual(
      lat.records.map((r) => r.timestampDelta),
      [0n, 1n],
      "the deltas are still what was written",
    );
    const horizon = t0 + 86_400_000n;
    const dh = await decodeRecordBatch(
      await encodeRecordBatch({
        records: [
          { key: "k", value: null, timestamp: t0 },
          { key: "j", value: "v", timestamp: t0 + 5n },
        ],
        deleteHorizonMs: horizon,
      }),
    );
    assert.ok(hasDeleteHorizon(dh.header.attributes));
    assert.equal(deleteHorizonMs(dh.header), horizon);
    assert.equal(dh.header.baseTimestamp, horizon);
    assert.deepEqual(
      dh.records.map((r) => r.timestamp),
      [t0, t0 + 5n],
    );
    const plain = await decodeRecordBatch(await encodeRecordBatch({ records: [{ value: "v" }] }));
    assert.equal(deleteHorizonMs(plain.header), null);
  });

  it("round-trips arbitrary records with every codec (property)", async () => {
    await initCompression();
    const bytes = fc.oneof(
      fc.constant(null),
      fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
      fc.string({ unit: "grapheme", maxLength: 40 }),
    );
    const record = fc.record({
      key: bytes,
      value: bytes,
      headers: fc.array(
        fc.record({
          key: fc.string({ unit: "grapheme", maxLength: 12 }),
          value: fc.option(fc.uint8Array({ maxLength: 20 }), { nil: null }),
        }),
        { maxLength: 4 },
      ),
      timestamp: fc.bigInt({ min: -(2n ** 62n), max: 2n ** 62n }),
      gap: fc.nat(5),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(record, { minLength: 1, maxLength: 30 }),
        fc.constantFrom(...codecs),
        fc.bigInt({ min: 0n, max: 2n ** 62n }),
        async (recs, compression, baseOffset) => {
          let delta = -1;
          const records = recs.map((r) => {
            delta += 1 + r.gap;
            return {
              key: r.key,
              value: r.value,
              headers: r.headers.map((h) => ({ key: h.key, value: h.value && Buffer.from(h.value) })),
              timestamp: r.timestamp,
              offsetDelta: delta,
            };
          });
          const b = await decodeRecordBatch(await encodeRecordBatch({ records, compression, baseOffset }));
          assert.equal(b.header.lastOffsetDelta, delta);
          assert.equal(b.records.length, records.length);
          b.records.forEach((got, i) => {
            const want = records[i]!;
            const asBuf = (v: Buffer | string | null) => (typeof v === "string" ? Buffer.from(v) : v);
            assert.deepEqual(got.key, asBuf(want.key));
            assert.deepEqual(got.value, asBuf(want.value));
            assert.deepEqual(got.headers, want.headers);
            assert.equal(got.timestamp, want.timestamp);
            assert.equal(got.offset, baseOffset + BigInt(want.offsetDelta));
          });
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe("record batch v2: transaction markers", () => {
  it("encodes COMMIT and ABORT markers as Kafka lays them out, and reads them back", async () => {
    for (const commit of [true, false]) {
      const buf = encodeEndTxnMarker({
        producerId: 9n,
        producerEpoch: 2,
        coordinatorEpoch: 11,
        commit,
        baseOffset: 50n,
        timestamp: t0,
      });
      const b = await decodeRecordBatch(buf);
      assert.equal(b.header.attributes, ATTR.CONTROL | ATTR.TRANSACTIONAL);
      assert.equal(b.header.baseSequence, -1);
      assert.equal(b.header.producerId, 9n);
      assert.equal(b.header.producerEpoch, 2);
      assert.equal(b.header.baseOffset, 50n);
      assert.equal(b.records.length, 1);
      assert.deepEqual([...b.records[0]!.key!], [0, 0, 0, commit ? 1 : 0]);
      assert.deepEqual([...b.records[0]!.value!], [0, 0, 0, 0, 0, 11]);
      assert.equal(b.records[0]!.timestamp, t0);
      assert.deepEqual(decodeControlRecord(b.records[0]!), {
        type: commit ? ControlType.COMMIT : ControlType.ABORT,
        coordinatorEpoch: 11,
      });
      assert.deepEqual(decodeEndTxnMarker(b), {
        commit,
        coordinatorEpoch: 11,
        producerId: 9n,
        producerEpoch: 2,
      });
      // KafkaJS sees a control batch in a transaction.
      const k = await kafkajsDecode(buf);
      assert.equal(k.isControlBatch, true);
      assert.equal(k.inTransaction, true);
      assert.equal(k.records[0].isControlRecord, true);
    }
  });

  it("reads control records as Kafka does: unknown types ignored, short or negative-version ones invalid", async () => {
    const key = (version: number, type: number) => {
      const k = Buffer.alloc(4);
      k.writeInt16BE(version, 0);
      k.writeInt16BE(type, 2);
      return k;
    };
    assert.deepEqual(decodeControlRecord({ key: key(0, 9), value: null }), {
      type: 9,
      coordinatorEpoch: null,
    });
    assert.deepEqual(decodeControlRecord({ key: key(1, 1), value: Buffer.from([0, 1, 0, 0, 0, 3, 7]) }), {
      type: 1,
      coordinatorEpoch: 3,
    });
    for (const bad of [
      { key: null, value: null },
      { key: Buffer.from([0, 0, 1]), value: null },
      { key: key(-1, 1), value: Buffer.alloc(6) },
      { key: key(0, 1), value: Buffer.alloc(5) },
      { key: key(0, 0), value: null },
      { key: key(0, 1), value: Buffer.from([0xff, 0xff, 0, 0, 0, 1]) },
    ]) {
      assert.throws(() => decodeControlRecord(bad), isProtocolError("invalid-batch"));
    }
    const plain = await decodeRecordBatch(
      await encodeRecordBatch({ records: [{ key: key(0, 1), value: "x" }] }),
    );
    assert.equal(decodeEndTxnMarker(plain), null, "not a control batch");
  });
});

describe("record batch v2: KafkaJS 2.2.4 cross-check", () => {
  const messages = Array.from({ length: 20 }, (_, i) => ({
    key: i % 3 === 0 ? null : `key-${i}`,
    value: i === 7 ? null : `value-${i}-${"x".repeat(i * 10)}`,
    headers: i % 4 === 0 ? { n: String(i), dup: ["a", "b"] } : { n: String(i) },
    offsetDelta: i,
    timestampDelta: i === 5 ? -2000 : i * 7,
  }));

  it("decodes batches KafkaJS encodes (uncompressed and gzip), value for value", async () => {
    for (const compression of [KafkajsCodecs.None, KafkajsCodecs.GZIP]) {
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
      assert.equal(b.header.producerEpoch, 0);
      assert.equal(b.header.baseSequence, 0);
      assert.equal(b.header.lastOffsetDelta, 19);
      assert.equal(b.header.maxTimestamp, t0 + 133n);
      assert.equal(b.header.attributes & 7, compression);
      assert.deepEqual(
        b.records.map((r) => [
          r.offset,
          r.timestamp,
          r.key?.toString() ?? null,
          r.value?.toString() ?? null,
          kafkajsHeaders(r.headers),
        ]),
        messages.map((m, i) => [
          77n + BigInt(i),
          t0 + BigInt(m.timestampDelta),
          m.key,
          m.value,
          Object.fromEntries(
            Object.entries(m.headers).map(([k, v]) => [
              k,
              Array.isArray(v) ? v.map((x) => Buffer.from(x)) : Buffer.from(v),
            ]),
          ),
        ]),
      );
    }
  });

  it("an uncompressed batch Brook encodes is byte for byte what KafkaJS encodes", async () => {
    const kjs = await KafkajsRecordBatch({
      compression: KafkajsCodecs.None,
      firstOffset: "0",
      firstTimestamp: Number(t0),
      maxTimestamp: Number(t0) + 19 * 7,
      lastOffsetDelta: 19,
      partitionLeaderEpoch: 0,
      records: messages.map((m) => KafkajsRecord(m)),
    });
    const mine = encodeRecordBatchSync({
      records: messages.map((m) => ({
        key: m.key,
        value: m.value,
        headers: m.headers,
        offsetDelta: m.offsetDelta,
        timestamp: t0 + BigInt(m.timestampDelta),
      })),
      baseTimestamp: t0,
      partitionLeaderEpoch: 0,
      producerEpoch: 0,
      baseSequence: 0,
    });
    assert.ok(mine.equals(kjs.buffer));
  });

  it("encodes batches KafkaJS decodes (uncompressed and gzip), value for value", async () => {
    const records = [
      ...sampleRecords(),
      { key: "far", value: "future", timestamp: t0 + 2n ** 40n, headers: [{ key: "h", value: null }] },
    ];
    for (const compression of [CompressionCodec.None, CompressionCodec.Gzip]) {
      const buf = await encodeRecordBatch({
        records: records.map((r, i) => ({ ...r, offsetDelta: i * 2 })),
        compression,
        baseOffset: 5n,
        producerId: 1234n,
        producerEpoch: 7,
        baseSequence: 99,
        isTransactional: true,
      });
      const d = await kafkajsDecode(buf);
      assert.equal(d.firstOffset, "5");
      assert.equal(d.producerId, "1234");
      assert.equal(d.producerEpoch, 7);
      assert.equal(d.firstSequence, 99);
      assert.equal(d.inTransaction, true);
      assert.equal(d.isControlBatch, false);
      assert.equal(d.lastOffsetDelta, (records.length - 1) * 2);
      assert.equal(d.maxTimestamp, String(t0 + 2n ** 40n));
      assert.equal(d.records.length, records.length);
      d.records.forEach((r: any, i: number) => {
        const want = records[i]!;
        const asBuf = (v: unknown) => (v === null ? null : typeof v === "string" ? Buffer.from(v) : v);
        assert.equal(r.offset, String(5 + i * 2));
        assert.equal(r.timestamp, String(want.timestamp));
        assert.deepEqual(r.key, asBuf(want.key));
        assert.deepEqual(r.value, asBuf(want.value));
        const headers = Array.isArray(want.headers)
          ? want.headers
          : Object.entries(want.headers ?? {}).map(([key, value]) => ({ key, value: asBuf(value) }));
        assert.deepEqual(r.headers, kafkajsHeaders(headers as Array<{ key: string; value: Buffer | null }>));
      });
    }
    // LogAppendTime: KafkaJS, too, reports the batch's max timestamp for every record.
    const lat = await kafkajsDecode(
      await encodeRecordBatch({
        records: [{ value: "a" }, { value: "b" }],
        timestampType: TimestampType.LogAppendTime,
        logAppendTime: t0,
      }),
    );
    assert.deepEqual(
      lat.records.map((r: any) => r.timestamp),
      [String(t0), String(t0)],
    );
  });
});

describe("record batch v2: concatenations (Fetch records)", () => {
  it("decodes every whole batch and stops cleanly at a partial trailing batch", async () => {
    await initCompression();
    const batches = await Promise.all(
      codecs.map((compression, i) =>
        encodeRecordBatch({
          baseOffset: BigInt(i * 10),
          compression,
          records: [{ value: `c${compression}-a` }, { value: `c${compression}-b` }],
        }),
      ),
    );
    const all = Buffer.concat(batches);
    const values = (bs: DecodedBatch[]) => bs.flatMap((b) => b.records.map((r) => r.value!.toString()));
    const expected = codecs.flatMap((c) => [`c${c}-a`, `c${c}-b`]);
    assert.deepEqual(values(await decodeRecordBatches(all)), expected);
    assert.deepEqual(values(decodeRecordBatchesSync(all)), expected);
    const lastStart = all.length - batches.at(-1)!.length;
    for (let cut = lastStart; cut < all.length; cut++) {
      const got = await decodeRecordBatches(all.subarray(0, cut));
      assert.equal(got.length, codecs.length - 1, `cut at ${cut}`);
      assert.deepEqual(values(got), expected.slice(0, -2));
    }
    assert.deepEqual(await decodeRecordBatches(Buffer.alloc(0)), []);
    // A whole batch with a bad CRC in the middle is an error, not a stop.
    const bad = Buffer.from(all);
    bad[batches[0]!.length + 30]! ^= 1;
    await assert.rejects(decodeRecordBatches(bad), isProtocolError("bad-crc"));
    // A length field smaller than a batch header cannot be a partial batch.
    const short = Buffer.concat([batches[0]!, Buffer.alloc(12)]);
    short.writeInt32BE(10, batches[0]!.length + 8);
    await assert.rejects(decodeRecordBatches(short), isProtocolError("invalid-batch"));
  });
});

describe("record batch v2: malformed input", () => {
  it("a batch truncated at any byte is a ProtocolError", async () => {
    for (const compression of [CompressionCodec.None, CompressionCodec.Gzip]) {
      const good = await encodeRecordBatch({ records: sampleRecords().slice(0, 3), compression });
      for (let cut = 0; cut < good.length; cut++) {
        assert.throws(
          () => decodeRecordBatchSync(good.subarray(0, cut)),
          isProtocolError("truncated"),
          `cut at ${cut}`,
        );
      }
    }
  });

  it("a flipped bit anywhere under the CRC is bad-crc; in the magic, bad-magic; the leader epoch is not covered", async () => {
    const good = await encodeRecordBatch({ records: sampleRecords().slice(0, 3), baseOffset: 3n });
    for (let pos = 0; pos < good.length; pos++) {
      const buf = Buffer.from(good);
      buf[pos]! ^= 1 << (pos % 8);
      if (pos >= BATCH.CRC) {
        assert.throws(() => decodeRecordBatchSync(buf), isProtocolError("bad-crc"), `byte ${pos}`);
      } else if (pos === BATCH.MAGIC) {
        assert.throws(() => decodeRecordBatchSync(buf), isProtocolError("bad-magic"));
      } else if (pos >= BATCH.LENGTH && pos < BATCH.PARTITION_LEADER_EPOCH) {
        assert.throws(() => decodeRecordBatchSync(buf), isProtocolError(), `length byte ${pos}`);
      } else {
        // baseOffset and partitionLeaderEpoch are outside the CRC: the broker rewrites them.
        const b = decodeRecordBatchSync(buf);
        assert.equal(b.records.length, 3);
      }
    }
  });

  it("a magic other than 2 is bad-magic", () => {
    const good = encodeRecordBatchSync({ records: [{ value: "v" }] });
    for (const magic of [0, 1, 3, -1]) {
      const buf = Buffer.from(good);
      buf.writeInt8(magic, BATCH.MAGIC);
      assert.throws(() => decodeRecordBatchSync(buf), isProtocolError("bad-magic"), `magic ${magic}`);
    }
  });

  it("record counts that disagree with the records are invalid-batch", () => {
    const records = encodeRecordBatchSync({
      records: [{ value: "a" }, { value: "b" }, { value: "c" }],
      baseTimestamp: t0,
    }).subarray(BATCH.HEADER_SIZE);
    assert.equal(decodeRecordBatchSync(batchWithBody(records, 3)).records.length, 3);
    const cases: Array<[string, number, number]> = [
      ["more than present", 4, 3],
      ["fewer than present", 2, 2],
      ["more than the offset deltas allow", 3, 1],
      ["negative", -1, 2],
      ["a billion", 1_000_000_000, 2_000_000_000],
      ["records but a negative last offset delta", 1, -1],
    ];
    for (const [name, count, lastOffsetDelta] of cases) {
      assert.throws(
        () => decodeRecordBatchSync(batchWithBody(records, count, lastOffsetDelta)),
        isProtocolError("invalid-batch"),
        name,
      );
    }
    // Record offset deltas past lastOffsetDelta, or not increasing.
    const gaps = encodeRecordBatchSync({
      records: [0, 1, 5].map((offsetDelta) => ({ value: "v", offsetDelta })),
    }).subarray(BATCH.HEADER_SIZE);
    assert.equal(decodeRecordBatchSync(batchWithBody(gaps, 3, 5)).records.length, 3);
    assert.throws(() => decodeRecordBatchSync(batchWithBody(gaps, 3, 4)), isProtocolError("invalid-batch"));
    const dup = encodeRecordBatchSync({ records: [{ value: "a" }, { value: "b" }] }).subarray(
      BATCH.HEADER_SIZE,
    );
    dup[dup[0]! / 2 + 1 + 3]! = 0; // second record's offsetDelta 1 -> 0
    assert.throws(() => decodeRecordBatchSync(batchWithBody(dup, 2)), isProtocolError("invalid-batch"));
  });

  it("bad record lengths and fields raise typed errors", () => {
    // A well-formed record: length 8 (0x10), attributes, ts 0, offset 0, key "k", value "v", no headers.
    const ok = [0x10, 0, 0, 0, 0x02, 0x6b, 0x02, 0x76, 0];
    assert.equal(decodeRecordBatchSync(batchWithBody(Buffer.from(ok), 1)).records[0]!.key!.toString(), "k");
    const cases: Array<[string, number[], string]> = [
      ["negative record length", [0x09, ...ok.slice(1)], "negative-length"],
      ["record length past the end", [0xd0, 0x0f, ...ok.slice(1)], "length-past-end"],
      ["record length shorter than its fields", [0x0e, ...ok.slice(1), 0, 0], "invalid-batch"],
      ["record length longer than its fields", [0x12, ...ok.slice(1), 0], "invalid-batch"],
      ["key length past the end", [0x10, 0, 0, 0, 0x40, 0x6b, 0x02, 0x76, 0], "length-past-end"],
      ["null header key", [0x10, 0, 0, 0, 0x01, 0x01, 0x02, 0x01, 0x01], "invalid-batch"],
      ["negative header count", [0x10, 0, 0, 0, 0x02, 0x6b, 0x02, 0x76, 0x01], "invalid-batch"],
      ["huge header count", [0x12, 0, 0, 0, 0x02, 0x6b, 0x02, 0x76, 0xfe, 0x0f], "invalid-batch"],
      ["varint longer than 5 bytes", [0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0, 0, 0], "bad-varint"],
      ["varlong longer than 10 bytes", [0x20, 0, ...Array(11).fill(0xff), 0, 1, 1, 0], "bad-varint"],
      ["record cut inside its fields", [0x10, 0, 0, 0, 0x02, 0x6b, 0x02], "length-past-end"],
      ["fewer bytes than the smallest record", [0x10, 0, 0, 0, 0x02], "invalid-batch"],
    ];
    for (const [name, body, kind] of cases) {
      assert.throws(
        () => decodeRecordBatchSync(batchWithBody(Buffer.from(body), 1)),
        isProtocolError(kind),
        name,
      );
    }
  });

  it("compressed batches: corrupt payloads are bad-compression, garbage inside typed errors, output bounded", async () => {
    const good = await encodeRecordBatch({ records: sampleRecords(), compression: CompressionCodec.Gzip });
    const corrupt = Buffer.from(good);
    corrupt[BATCH.HEADER_SIZE + 12]! ^= 0xff;
    writeBatchCrc(corrupt, 0, corrupt.length);
    await assert.rejects(decodeRecordBatch(corrupt), isProtocolError("bad-compression"));
    const { gzipSync } = await import("node:zlib");
    const garbage = batchWithBody(
      gzipSync(Buffer.from([0x09, 1, 2, 3, 4, 5, 6, 7])),
      1,
      0,
      CompressionCodec.Gzip,
    );
    await assert.rejects(decodeRecordBatch(garbage), isProtocolError("negative-length"));
    await assert.rejects(
      decodeRecordBatch(good, 0, { maxDecompressed: 50_000 }),
      isProtocolError("bad-compression"),
    );
    assert.equal((await decodeRecordBatch(good, 0, { maxDecompressed: 200_000 })).records.length, 5);
    const unknownCodec = batchWithBody(Buffer.from([1, 2, 3, 4, 5, 6, 7]), 1, 0, 6);
    await assert.rejects(decodeRecordBatch(unknownCodec), isProtocolError("bad-compression"));
  });

  it("mutated batches either decode or throw ProtocolError (property, with and without CRC repair)", async () => {
    await initCompression();
    const samples = await Promise.all(
      codecs.map((compression) => encodeRecordBatch({ records: sampleRecords().slice(0, 4), compression })),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...samples),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        fc.option(fc.nat(), { nil: undefined }),
        async (good, edits, repairCrc, cut) => {
          let buf = Buffer.from(good);
          for (const [pos, byte] of edits) buf[pos % buf.length] = byte;
          if (cut !== undefined) buf = buf.subarray(0, cut % (buf.length + 1));
          if (repairCrc && buf.length >= BATCH.HEADER_SIZE) {
            const size = buf.readInt32BE(BATCH.LENGTH) + BATCH.LOG_OVERHEAD;
            if (size >= BATCH.HEADER_SIZE && size <= buf.length) writeBatchCrc(buf, 0, size);
          }
          for (const decode of [() => decodeRecordBatch(buf), () => decodeRecordBatches(buf)]) {
            try {
              await decode();
            } catch (e) {
              if (!(e instanceof ProtocolError)) throw e;
            }
          }
        },
      ),
      { numRuns: 1500 },
    );
  });

  it("random bytes either decode or throw ProtocolError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, plausible) => {
        const buf = Buffer.from(bytes);
        if (plausible && buf.length >= BATCH.HEADER_SIZE) {
          buf.writeInt32BE(buf.length - BATCH.LOG_OVERHEAD, BATCH.LENGTH);
          buf[BATCH.MAGIC] = 2;
          buf.writeInt16BE(buf.readInt16BE(BATCH.ATTRIBUTES) & 0x7f, BATCH.ATTRIBUTES);
          writeBatchCrc(buf, 0, buf.length);
        }
        try {
          decodeRecordBatchesSync(buf);
          decodeRecordBatchSync(buf);
        } catch (e) {
          if (!(e instanceof ProtocolError)) throw e;
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe("record batch v2: librdkafka (kcat) through a real broker", () => {
  it("decodes snappy, lz4 and zstd batches written by librdkafka", async (t) => {
    const noKcat = missing("kcat");
    if (noKcat) return t.skip(noKcat);
    const tb = await startTestBroker();
    try {
      // librdkafka enables lz4 only when the broker advertises FindCoordinator (its "LZ4" feature
      // test); otherwise it silently sends -z lz4 batches uncompressed.
      const probe = await RawClient.connect(tb.port);
      const versions = await probe.request(ApiVersions, 3, {
        clientSoftwareName: "brook-test",
        clientSoftwareVersion: "0",
      });
      probe.close();
      const lz4Enabled = versions.apiKeys.some((k) => k.apiKey === 10);
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
        const allowed = codec === "lz4" && !lz4Enabled ? [0] : [expectedCodec];
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

  it("librdkafka reads batches Brook writes with every codec (multi-block payloads, headers)", async (t) => {
    const noKcat = missing("kcat");
    if (noKcat) return t.skip(noKcat);
    const tb = await startTestBroker();
    const c = await RawClient.connect(tb.port);
    try {
      for (const compression of codecs) {
        const topic = `brook-${CompressionCodec[compression]}`;
        const created = await c.request(CreateTopics, 5, {
          topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
          timeoutMs: 5000,
        });
        assert.equal(created.topics[0]!.errorCode, 0);
        // ~250 KiB of records: several 32 KiB snappy blocks, 64 KiB lz4 blocks, 128 KiB zstd blocks.
        const records = Array.from({ length: 3000 }, (_, i) => ({
          key: `k${i}`,
          value: `value-${i}-${"abc".repeat(i % 50)}`,
          headers: { h: `x${i}` },
        }));
        const batch = await encodeRecordBatch({ records, compression });
        const res = await c.request(Produce, 9, {
          transactionalId: null,
          acks: -1,
          timeoutMs: 5000,
          topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }],
        });
        assert.equal(res.responses[0]!.partitionResponses[0]!.errorCode, 0);
        const out = await new Promise<string>((resolve, reject) =>
          execFile(
            "kcat",
            [
              "-b",
              tb.bootstrap,
              "-C",
              "-t",
              topic,
              "-p",
              "0",
              "-o",
              "beginning",
              "-e",
              "-q",
              "-f",
              "%k:%s:%h\\n",
            ],
            { maxBuffer: 1 << 26 },
            (e, stdout, stderr) => (e ? reject(new Error(`${e.message}: ${stderr}`)) : resolve(stdout)),
          ),
        );
        assert.deepEqual(
          out.trimEnd().split("\n"),
          records.map((r, i) => `${r.key}:${r.value}:h=x${i}`),
          CompressionCodec[compression],
        );
      }
    } finally {
      c.close();
      await tb.close();
    }
  });
});
