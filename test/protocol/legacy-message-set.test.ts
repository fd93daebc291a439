/**
 * Message sets of magic 0 and 1 (before Kafka 0.11): bytes written by KafkaJS 2.2.4's own message
 * and message-set encoders, read by Brook's reader and by KafkaJS's decoder, which must agree on
 * offsets, keys, values, timestamps, attributes, sizes and CRCs. KafkaJS has no snappy or lz4, so
 * thin adapters over Brook's codecs are registered in it for this process. Where Brook follows
 * Apache Kafka instead (magic-0 timestamps, LogAppendTime wrappers, CRC checks) the test says so.
 */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import { crc32 } from "node:zlib";
import { CompressionCodec, compress, decompress } from "../../src/protocol/compression/index.js";
import { xxhash32 } from "../../src/protocol/compression/xxhash32.js";
import { ProtocolError } from "../../src/protocol/errors.js";
import {
  encodeRecordBatchSync,
  isLegacyMagic,
  LEGACY,
  type LegacyMessage,
  legacyEntrySize,
  readLegacyEntry,
  readLegacyMessageSet,
  TimestampType,
} from "../../src/protocol/records/index.js";

const require = createRequire(import.meta.url);

interface KafkaJSEncoder {
  buffer: Buffer;
}
interface KafkaJSEntry {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  timestamp?: number;
  compression?: number;
}
interface KafkaJSMessage {
  offset: string;
  size: number;
  crc: number;
  magicByte: number;
  attributes: number;
  timestamp?: string;
  key: Buffer | null;
  value: Buffer | null;
}

const encodeMessageSet: (args: {
  messageVersion: 0 | 1;
  compression?: number;
  entries: KafkaJSEntry[];
}) => KafkaJSEncoder = require("kafkajs/src/protocol/messageSet");
const decodeMessageSetJs: (
  decoder: unknown,
  size: number,
) => Promise<KafkaJSMessage[]> = require("kafkajs/src/protocol/messageSet/decoder");
const KafkaJSDecoder: new (buf: Buffer) => unknown = require("kafkajs/src/protocol/decoder");
const { Codecs } = require("kafkajs/src/protocol/message/compression") as {
  Codecs: Record<
    number,
    () => { compress(e: KafkaJSEncoder): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> }
  >;
};

// KafkaJS ships gzip only; these let its encoder and decoder handle snappy and lz4 in this process.
for (const codec of [CompressionCodec.Snappy, CompressionCodec.Lz4]) {
  const adapter = {
    compress: (encoder: KafkaJSEncoder) => compress(codec, encoder.buffer),
    decompress: (buffer: Buffer) => decompress(codec, buffer),
  };
  Codecs[codec] = () => adapter;
}

const CODEC_NAMES: Record<number, string> = { 1: "gzip", 2: "snappy", 3: "lz4" };

/** Writes the broker-assigned offsets into an encoded message set (the offset field has no CRC). */
function setOffsets(buf: Buffer, offsets: bigint[]): Buffer {
  const out = Buffer.from(buf);
  let pos = 0;
  for (const offset of offsets) {
    out.writeBigInt64BE(offset, pos);
    pos += out.readInt32BE(pos + 8) + 12;
  }
  assert.equal(pos, out.length, "one offset per entry");
  return out;
}

/** An uncompressed message set in KafkaJS's encoding, with offsets from `base`. */
function plainSet(magic: 0 | 1, entries: KafkaJSEntry[], base: bigint): Buffer {
  const buf = encodeMessageSet({ messageVersion: magic, entries }).buffer;
  return setOffsets(
    buf,
    entries.map((_, i) => base + BigInt(i)),
  );
}

/**
 * One compressed wrapper as KafkaJS's Produce v0-v2 builds it. Magic 1: inner offsets 0..n-1 and the
 * wrapper at the absolute offset of the last one. Magic 0: inner offsets absolute, as a 0.9 broker
 * rewrote them.
 */
async function wrapperSet(
  magic: 0 | 1,
  codec: CompressionCodec,
  entries: KafkaJSEntry[],
  base: bigint,
  wrapperTimestamp = 1_700_000_009_000,
): Promise<Buffer> {
  let inner = encodeMessageSet({ messageVersion: magic, compression: codec, entries }).buffer;
  if (magic === 0)
    inner = setOffsets(
      inner,
      entries.map((_, i) => base + BigInt(i)),
    );
  const compressed = await Codecs[codec]!().compress({ buffer: inner });
  const wrapper = encodeMessageSet({
    messageVersion: magic,
    compression: codec,
    entries: [{ compression: codec, timestamp: wrapperTimestamp, key: null, value: compressed }],
  }).buffer;
  return setOffsets(wrapper, [base + BigInt(entries.length - 1)]);
}

/** Changes one message's attributes byte in place and rewrites its CRC, as a broker stamping it would. */
function restamp(buf: Buffer, pos: number, attributes: number): void {
  buf.writeInt8(attributes, pos + LEGACY.ATTRIBUTES);
  const end = pos + 12 + buf.readInt32BE(pos + 8);
  buf.writeUInt32BE(crc32(buf.subarray(pos + LEGACY.MAGIC, end)), pos + LEGACY.CRC);
}

async function kafkajsDecode(buf: Buffer): Promise<KafkaJSMessage[]> {
  return decodeMessageSetJs(new KafkaJSDecoder(buf), buf.length);
}

/** Brook's messages in KafkaJS's shape; magic 0 has no timestamp in KafkaJS and -1 in Brook (Kafka's NO_TIMESTAMP). */
function asKafkaJS(m: LegacyMessage): KafkaJSMessage {
  const out: KafkaJSMessage = {
    offset: String(m.offset),
    size: m.size,
    crc: m.crc | 0,
    magicByte: m.magic,
    attributes: m.attributes,
    key: m.key,
    value: m.value,
  };
  if (m.magic === 1) out.timestamp = String(m.timestamp);
  return out;
}

async function assertSameAsKafkaJS(buf: Buffer): Promise<LegacyMessage[]> {
  const brook = await readLegacyMessageSet(buf);
  assert.equal(brook.bytes, buf.length, "every entry read");
  const reference = await kafkajsDecode(buf);
  assert.ok(reference.length > 0);
  assert.deepEqual(
    brook.messages.map(asKafkaJS),
    reference.map((m) => ({ ...m })),
  );
  for (const m of brook.messages) if (m.magic === 0) assert.equal(m.timestamp, -1n);
  return brook.messages;
}

const entries: KafkaJSEntry[] = [
  { key: "k-0", value: "first", timestamp: 1_700_000_000_001 },
  { key: null, value: "no key", timestamp: 1_700_000_000_002 },
  { key: "tombstone", value: null, timestamp: 1_700_000_000_003 },
  { key: Buffer.from([0, 1, 2, 255]), value: Buffer.alloc(0), timestamp: 1_700_000_000_004 },
  { key: "big", value: Buffer.alloc(70_000, "xyz"), timestamp: 1_700_000_000_005 },
];

describe("legacy message sets (magic 0 and 1) against KafkaJS 2.2.4's encoder and decoder", () => {
  it("magic 0 uncompressed: offsets, keys, null keys and values, empty values, sizes, CRCs", async () => {
    const buf = plainSet(0, entries, 40n);
    const got = await assertSameAsKafkaJS(buf);
    assert.deepEqual(
      got.map((m) => m.offset),
      [40n, 41n, 42n, 43n, 44n],
    );
    assert.equal(got[1]!.key, null);
    assert.equal(got[2]!.value, null);
    assert.equal(got[4]!.value!.length, 70_000);
    assert.ok(got.every((m) => m.timestampType === -1));
  });

  it("magic 1 uncompressed: timestamps as CreateTime", async () => {
    const got = await assertSameAsKafkaJS(plainSet(1, entries, 7n));
    assert.deepEqual(
      got.map((m) => m.timestamp),
      entries.map((e) => BigInt(e.timestamp!)),
    );
    assert.ok(got.every((m) => m.timestampType === TimestampType.CreateTime));
  });

  for (const codec of [CompressionCodec.Gzip, CompressionCodec.Snappy, CompressionCodec.Lz4]) {
    it(`magic 1 ${CODEC_NAMES[codec]} wrapper: relative inner offsets made absolute from the wrapper's`, async () => {
      const buf = await wrapperSet(1, codec, entries, 1000n);
      const got = await assertSameAsKafkaJS(buf);
      assert.deepEqual(
        got.map((m) => m.offset),
        [1000n, 1001n, 1002n, 1003n, 1004n],
      );
      // Inner messages are reported, with their own attributes (no codec) and CreateTime timestamps.
      assert.ok(got.every((m) => m.attributes === 0));
      assert.deepEqual(
        got.map((m) => m.timestamp),
        entries.map((e) => BigInt(e.timestamp!)),
      );
      const entry = await readLegacyEntry(buf, 0);
      assert.equal(entry.offset, 1004n);
      assert.equal(entry.attributes & 7, codec);
      assert.equal(entry.sizeInBytes, buf.length);
    });

    it(`magic 0 ${CODEC_NAMES[codec]} wrapper: inner offsets are absolute`, async () => {
      const got = await assertSameAsKafkaJS(await wrapperSet(0, codec, entries, 500n));
      assert.deepEqual(
        got.map((m) => m.offset),
        [500n, 501n, 502n, 503n, 504n],
      );
    });
  }

  it("several entries of both magics and codecs in one set, as a log upgraded from 0.9 to 0.10 holds", async () => {
    const buf = Buffer.concat([
      plainSet(0, entries.slice(0, 2), 0n),
      await wrapperSet(0, CompressionCodec.Gzip, entries.slice(2), 2n),
      plainSet(1, entries.slice(0, 1), 5n),
      await wrapperSet(1, CompressionCodec.Lz4, entries, 6n),
      await wrapperSet(1, CompressionCodec.Snappy, entries.slice(1, 3), 11n),
    ]);
    const got = await assertSameAsKafkaJS(buf);
    assert.deepEqual(
      got.map((m) => Number(m.offset)),
      Array.from({ length: 13 }, (_, i) => i),
    );
  });

  it("a magic-1 wrapper stamped LogAppendTime gives its messages its time (Kafka's rule; KafkaJS keeps theirs)", async () => {
    const appendTime = 1_800_000_000_000;
    const buf = await wrapperSet(1, CompressionCodec.Gzip, entries, 20n, appendTime);
    restamp(buf, 0, CompressionCodec.Gzip | 0x08);
    const got = (await readLegacyMessageSet(buf)).messages;
    assert.ok(got.every((m) => m.timestamp === BigInt(appendTime)));
    assert.ok(got.every((m) => m.timestampType === TimestampType.LogAppendTime));
    const reference = await kafkajsDecode(buf);
    assert.deepEqual(
      reference.map((m) => m.timestamp),
      entries.map((e) => String(e.timestamp)),
    );
    // Everything else is still KafkaJS's.
    assert.deepEqual(
      got.map((m) => ({ ...asKafkaJS(m), timestamp: undefined })),
      reference.map((m) => ({ ...m, timestamp: undefined })),
    );
    // An uncompressed LogAppendTime message carries the broker's time in its own timestamp field.
    const plain = plainSet(1, entries.slice(0, 1), 3n);
    restamp(plain, 0, 0x08);
    const [single] = (await readLegacyMessageSet(plain)).messages;
    assert.equal(single!.timestampType, TimestampType.LogAppendTime);
    assert.equal(single!.timestamp, BigInt(entries[0]!.timestamp!));
  });

  it("a message cut short at the end (Fetch byte limit) is left out, as KafkaJS leaves it out", async () => {
    const whole = Buffer.concat([
      plainSet(1, entries.slice(0, 2), 0n),
      await wrapperSet(1, CompressionCodec.Snappy, entries, 2n),
    ]);
    const firstTwo = plainSet(1, entries.slice(0, 2), 0n).length;
    // Cut inside the wrapper's value, inside its size field, and right after its offset.
    for (const cut of [whole.length - 1, firstTwo + 10, firstTwo + 8, firstTwo + 3]) {
      const buf = whole.subarray(0, cut);
      const brook = await readLegacyMessageSet(buf);
      const reference = await kafkajsDecode(buf);
      assert.equal(brook.bytes, firstTwo, `cut at ${cut}`);
      assert.deepEqual(
        brook.messages.map(asKafkaJS),
        reference.map((m) => ({ ...m })),
        `cut at ${cut}`,
      );
      assert.equal(brook.messages.length, 2);
      await assert.rejects(readLegacyEntry(buf, firstTwo), (e: unknown) => e instanceof ProtocolError);
    }
    assert.equal(legacyEntrySize(whole, whole.length - 5), -1);
  });

  it("reading stops before a record batch v2 that follows (a log converted part way), as KafkaJS stops", async () => {
    const legacy = plainSet(1, entries.slice(0, 3), 0n);
    const v2 = encodeRecordBatchSync({
      baseOffset: 3n,
      records: [{ key: null, value: Buffer.from("v2"), timestamp: 1n, headers: [] }],
    });
    const buf = Buffer.concat([legacy, v2]);
    assert.ok(!isLegacyMagic(buf.readInt8(legacy.length + LEGACY.MAGIC)));
    const brook = await readLegacyMessageSet(buf);
    assert.equal(brook.bytes, legacy.length);
    assert.deepEqual(
      brook.messages.map(asKafkaJS),
      (await kafkajsDecode(buf)).map((m) => ({ ...m })),
    );
  });

  it("a corrupt CRC is rejected with an error naming the message (KafkaJS does not check CRCs)", async () => {
    const buf = plainSet(1, entries.slice(0, 3), 60n);
    const second = legacyEntrySize(buf, 0);
    buf[second + 36]! ^= 0x01; // a byte of the second message's value ("no key")
    await assert.rejects(readLegacyMessageSet(buf), (e: unknown) => {
      assert.ok(e instanceof ProtocolError);
      assert.equal(e.kind, "bad-crc");
      assert.match(
        e.message,
        new RegExp(`message at byte ${second}: message CRC is [0-9a-f]+, its bytes give`),
      );
      return true;
    });
    assert.equal((await kafkajsDecode(buf)).length, 3, "KafkaJS hands the corrupt message on");

    // A corrupt inner message of a valid wrapper is caught too.
    let inner = encodeMessageSet({ messageVersion: 1, compression: 1, entries: entries.slice(0, 2) }).buffer;
    inner = Buffer.from(inner);
    inner[inner.length - 1]! ^= 0xff;
    const compressed = await compress(CompressionCodec.Gzip, inner);
    const wrapper = encodeMessageSet({
      messageVersion: 1,
      compression: 1,
      entries: [{ compression: 1, timestamp: 5, key: null, value: compressed }],
    }).buffer;
    await assert.rejects(
      readLegacyMessageSet(wrapper),
      (e: unknown) =>
        e instanceof ProtocolError && e.kind === "bad-crc" && /inner message at byte/.test(e.message),
    );
  });

  it("magic-0 LZ4 with the frame checksum pre-0.10 Kafka wrote (KAFKA-3160) is read; magic 1 must be right", async () => {
    const brokenHeader = async (magic: 0 | 1) => {
      const inner = encodeMessageSet({
        messageVersion: magic,
        compression: 3,
        entries: entries.slice(0, 2),
      }).buffer;
      const frame = Buffer.from(await compress(CompressionCodec.Lz4, inner));
      const broken = (xxhash32(frame, 0, 0, 6) >>> 8) & 0xff; // over the magic too, as 0.8/0.9 did
      assert.notEqual(broken, frame[6], "the broken checksum differs from the right one");
      frame[6] = broken;
      const wrapper = encodeMessageSet({
        messageVersion: magic,
        compression: 3,
        entries: [{ compression: 3, timestamp: 5, key: null, value: frame }],
      }).buffer;
      return setOffsets(wrapper, [1n]);
    };
    const v0 = (await readLegacyMessageSet(await brokenHeader(0))).messages;
    assert.deepEqual(
      v0.map((m) => String(m.value)),
      ["first", "no key"],
    );
    await assert.rejects(
      readLegacyMessageSet(await brokenHeader(1)),
      (e: unknown) => e instanceof ProtocolError && e.kind === "bad-compression",
    );
  });

  it("malformed sets: size below the minimum, empty or null wrapper, compressed inner message, zstd, bad magic", async () => {
    const isKind = (kind: string) => (e: unknown) => e instanceof ProtocolError && e.kind === kind;
    const small = plainSet(0, entries.slice(0, 1), 0n);
    small.writeInt32BE(10, 8);
    await assert.rejects(readLegacyMessageSet(small), isKind("invalid-batch"));

    const wrap = async (codec: number, value: Buffer | null) => {
      const set = encodeMessageSet({
        messageVersion: 1,
        compression: codec,
        entries: [{ compression: codec, timestamp: 5, key: null, value }],
      }).buffer;
      return Buffer.from(set);
    };
    await assert.rejects(
      readLegacyMessageSet(await wrap(1, await compress(CompressionCodec.Gzip, Buffer.alloc(0)))),
      (e: unknown) => isKind("invalid-batch")(e) && /holds no messages/.test((e as Error).message),
    );
    await assert.rejects(readLegacyMessageSet(await wrap(1, null)), isKind("invalid-batch"));
    const nested = await wrapperSet(1, CompressionCodec.Gzip, entries.slice(0, 2), 0n);
    await assert.rejects(
      readLegacyMessageSet(await wrap(1, await compress(CompressionCodec.Gzip, nested))),
      (e: unknown) => isKind("invalid-batch")(e) && /inner message is compressed/.test((e as Error).message),
    );
    await assert.rejects(readLegacyMessageSet(await wrap(4, Buffer.from("x"))), isKind("bad-compression"));
    await assert.rejects(
      readLegacyMessageSet(await wrap(1, Buffer.from("not gzip"))),
      isKind("bad-compression"),
    );

    const badMagic = plainSet(1, entries.slice(0, 1), 0n);
    assert.equal(legacyEntrySize(badMagic, 0), badMagic.length);
    badMagic.writeInt8(3, LEGACY.MAGIC);
    await assert.rejects(readLegacyEntry(badMagic, 0), isKind("bad-magic"));
  });

  it("a custom decompress function is used for wrappers (the client's registered codecs)", async () => {
    const buf = await wrapperSet(1, CompressionCodec.Snappy, entries.slice(0, 2), 0n);
    const seen: number[] = [];
    const got = await readLegacyMessageSet(buf, {
      decompress: (codec, data) => {
        seen.push(codec);
        return decompress(codec as CompressionCodec, data);
      },
    });
    assert.deepEqual(seen, [CompressionCodec.Snappy]);
    assert.equal(got.messages.length, 2);
  });
});
