/**
 * Message sets of magic 0 and 1, the record formats before Kafka 0.11, read only. A Fetch still
 * returns them from a broker whose log holds data written in those formats. Each entry is
 *
 *   offset int64 | size int32 | crc uint32 | magic int8 | attributes int8
 *   | timestamp int64 (magic 1 only) | key bytes | value bytes
 *
 * where the CRC-32 (IEEE) covers magic to the end. A compressed entry is a wrapper: its value is a
 * compressed message set of inner messages. Under magic 0 inner offsets are absolute; under magic 1
 * they are relative and the wrapper carries the absolute offset of the last one. A magic-1 wrapper
 * stamped LogAppendTime gives its inner messages its own timestamp, as Kafka's Java consumer does.
 *
 * The magic byte sits at offset 16 in these entries and in record batches v2 alike, so a reader of
 * a Fetch's records can choose per entry.
 */
import { crc32 } from "node:zlib";
import { CompressionCodec, DEFAULT_MAX_DECOMPRESSED, decompress } from "../compression/index.js";
import { xxhash32 } from "../compression/xxhash32.js";
import { ProtocolError } from "../errors.js";
import { TimestampType } from "./batch-header.js";

/** Byte offsets within a legacy entry. */
export const LEGACY = {
  OFFSET: 0,
  SIZE: 8,
  /** offset + size: the bytes not counted by size. */
  LOG_OVERHEAD: 12,
  CRC: 12,
  MAGIC: 16,
  ATTRIBUTES: 17,
  /** Magic 1 only; key length follows at 26 (magic 0: at 18). */
  TIMESTAMP: 18,
  /** Smallest size field of a magic-0 message: crc, magic, attributes, two null lengths. */
  MIN_SIZE_V0: 14,
  /** As MIN_SIZE_V0 plus the timestamp. */
  MIN_SIZE_V1: 22,
} as const;

export const LEGACY_ATTR = {
  COMPRESSION_MASK: 0x07,
  /** Magic 1 only. */
  TIMESTAMP_TYPE: 0x08,
} as const;

/** One message as the consumer sees it: inner messages of a wrapper, never the wrapper itself. */
export interface LegacyMessage {
  /** Absolute offset in the partition. */
  offset: bigint;
  magic: 0 | 1;
  /** The message's own attributes byte. */
  attributes: number;
  /** Epoch ms; -1n under magic 0, which has no timestamp. */
  timestamp: bigint;
  /** -1 under magic 0 (no timestamp). */
  timestampType: TimestampType | -1;
  key: Buffer | null;
  value: Buffer | null;
  /** The stored CRC-32, unsigned. */
  crc: number;
  /** The message's size field (bytes after offset and size). */
  size: number;
}

/** One top-level entry of a message set, with the messages it holds. */
export interface LegacyEntry {
  magic: 0 | 1;
  /** The entry's own offset: for a magic-1 wrapper, the absolute offset of its last message. */
  offset: bigint;
  attributes: number;
  /** Its messages: itself when uncompressed, else its inner messages. */
  messages: LegacyMessage[];
  /** Bytes the entry occupies (size + 12). */
  sizeInBytes: number;
}

export interface LegacyReadOptions {
  /**
   * Decompresses a wrapper's value (codec 1 gzip, 2 snappy, 3 lz4); default Brook's codecs. The
   * client passes its own to honour codecs the user registered.
   */
  decompress?: (codec: number, data: Buffer) => Promise<Buffer>;
  /** Bound on a wrapper's decompressed bytes with the default codecs (default 256 MiB). */
  maxDecompressed?: number;
}

export function isLegacyMagic(magic: number): magic is 0 | 1 {
  return magic === 0 || magic === 1;
}

/** Bytes of the entry at `pos` (size + 12) from its size field, or -1 if fewer than 12 bytes remain. */
export function legacyEntrySize(buf: Buffer, pos: number): number {
  if (pos + LEGACY.LOG_OVERHEAD > buf.length) return -1;
  return buf.readInt32BE(pos + LEGACY.SIZE) + LEGACY.LOG_OVERHEAD;
}

function invalid(message: string): never {
  throw new ProtocolError("invalid-batch", message);
}

/** A message's fields, `buf[pos, end)` being exactly one whole entry. */
function parseMessage(buf: Buffer, pos: number, end: number, where: string): LegacyMessage {
  const size = end - pos - LEGACY.LOG_OVERHEAD;
  const magic = buf.readInt8(pos + LEGACY.MAGIC);
  if (!isLegacyMagic(magic))
    throw new ProtocolError("bad-magic", `${where}: message magic ${magic} where 0 or 1 was expected`);
  if (size < (magic === 0 ? LEGACY.MIN_SIZE_V0 : LEGACY.MIN_SIZE_V1))
    invalid(`${where}: message of magic ${magic} has size ${size}, below its minimum`);
  const stored = buf.readUInt32BE(pos + LEGACY.CRC);
  const computed = crc32(buf.subarray(pos + LEGACY.MAGIC, end));
  if (stored !== computed)
    throw new ProtocolError(
      "bad-crc",
      `${where}: message CRC is ${stored.toString(16)}, its bytes give ${computed.toString(16)} (corrupt data)`,
    );
  const attributes = buf.readInt8(pos + LEGACY.ATTRIBUTES);
  let at = pos + LEGACY.TIMESTAMP;
  let timestamp = -1n;
  let timestampType: TimestampType | -1 = -1;
  if (magic === 1) {
    timestamp = buf.readBigInt64BE(at);
    at += 8;
    timestampType =
      attributes & LEGACY_ATTR.TIMESTAMP_TYPE ? TimestampType.LogAppendTime : TimestampType.CreateTime;
  }
  const keyLength = buf.readInt32BE(at);
  at += 4;
  let key: Buffer | null = null;
  if (keyLength >= 0) {
    if (at + keyLength + 4 > end)
      throw new ProtocolError("length-past-end", `${where}: key runs past its message`);
    key = buf.subarray(at, at + keyLength);
    at += keyLength;
  } else if (keyLength !== -1) {
    throw new ProtocolError("negative-length", `${where}: key length ${keyLength}`);
  }
  const valueLength = buf.readInt32BE(at);
  at += 4;
  let value: Buffer | null = null;
  if (valueLength >= 0) {
    if (at + valueLength > end)
      throw new ProtocolError("length-past-end", `${where}: value runs past its message`);
    value = buf.subarray(at, at + valueLength);
    at += valueLength;
  } else if (valueLength !== -1) {
    throw new ProtocolError("negative-length", `${where}: value length ${valueLength}`);
  }
  if (at !== end) invalid(`${where}: message has ${end - at} bytes after its value`);
  return {
    offset: buf.readBigInt64BE(pos + LEGACY.OFFSET),
    magic,
    attributes,
    timestamp,
    timestampType,
    key,
    value,
    crc: stored,
    size,
  };
}

/**
 * Kafka before 0.10 wrote the LZ4 frame descriptor checksum over the wrong bytes (KAFKA-3160), and
 * Kafka skips that check for magic-0 data; a copy with the checksum Brook's LZ4 reader expects
 * achieves the same.
 */
function repairMagic0Lz4Header(data: Buffer): Buffer {
  if (data.length < 7 || data.readUInt32LE(0) !== 0x184d2204) return data;
  const descEnd = 6 + (data[4]! & 0x08 ? 8 : 0);
  if (descEnd >= data.length) return data;
  const checksum = (xxhash32(data, 0, 4, descEnd) >>> 8) & 0xff;
  if (data[descEnd] === checksum) return data;
  const copy = Buffer.from(data);
  copy[descEnd] = checksum;
  return copy;
}

/**
 * Reads the whole entry at `pos` (callers check with legacyEntrySize that it is all there): its CRC,
 * then its message or, for a wrapper, its decompressed inner messages with absolute offsets.
 * Malformed data throws ProtocolError ("bad-crc", "bad-magic", "invalid-batch", "bad-compression", ...).
 */
export async function readLegacyEntry(
  buf: Buffer,
  pos: number,
  opts: LegacyReadOptions = {},
): Promise<LegacyEntry> {
  const sizeInBytes = legacyEntrySize(buf, pos);
  if (sizeInBytes < 0 || pos + sizeInBytes > buf.length)
    throw new ProtocolError("truncated", `message at byte ${pos} runs past the end of the data`);
  if (sizeInBytes < LEGACY.LOG_OVERHEAD + LEGACY.MIN_SIZE_V0)
    invalid(`message at byte ${pos} has size ${sizeInBytes - LEGACY.LOG_OVERHEAD}`);
  const outer = parseMessage(buf, pos, pos + sizeInBytes, `message at byte ${pos}`);
  const codec = outer.attributes & LEGACY_ATTR.COMPRESSION_MASK;
  const entry: LegacyEntry = {
    magic: outer.magic,
    offset: outer.offset,
    attributes: outer.attributes,
    messages: [outer],
    sizeInBytes,
  };
  if (codec === CompressionCodec.None) return entry;

  const where = `compressed message at offset ${outer.offset}`;
  if (codec === CompressionCodec.Zstd)
    throw new ProtocolError("bad-compression", `${where}: zstd needs format v2`);
  if (outer.value === null) invalid(`${where} has a null value`);
  let payload = outer.value;
  if (codec === CompressionCodec.Lz4 && outer.magic === 0) payload = repairMagic0Lz4Header(payload);
  const max = opts.maxDecompressed ?? DEFAULT_MAX_DECOMPRESSED;
  const inner = opts.decompress
    ? await opts.decompress(codec, payload)
    : await decompress(codec as CompressionCodec, payload, max);

  const messages: LegacyMessage[] = [];
  let at = 0;
  while (at < inner.length) {
    const size = legacyEntrySize(inner, at);
    if (size < 0 || at + size > inner.length) invalid(`${where}: its last inner message is cut short`);
    if (size < LEGACY.LOG_OVERHEAD + LEGACY.MIN_SIZE_V0)
      invalid(`${where}: inner message has size ${size - LEGACY.LOG_OVERHEAD}`);
    const m = parseMessage(inner, at, at + size, `${where}, inner message at byte ${at}`);
    if ((m.attributes & LEGACY_ATTR.COMPRESSION_MASK) !== 0)
      invalid(`${where}: an inner message is compressed`);
    messages.push(m);
    at += size;
  }
  if (messages.length === 0) invalid(`${where} holds no messages`);

  // Magic 1: inner offsets count from 0 and the wrapper has the absolute offset of the last one.
  if (outer.magic === 1 && outer.offset >= 0n) {
    const base = outer.offset - messages[messages.length - 1]!.offset;
    for (const m of messages) m.offset += base;
  }
  if (outer.magic === 1 && outer.timestampType === TimestampType.LogAppendTime) {
    for (const m of messages) {
      m.timestamp = outer.timestamp;
      m.timestampType = TimestampType.LogAppendTime;
    }
  }
  entry.messages = messages;
  return entry;
}

export interface LegacyMessageSet {
  messages: LegacyMessage[];
  /** Bytes of the whole legacy entries read; a cut entry or a record batch v2 starts here. */
  bytes: number;
}

/**
 * Reads the whole legacy entries at the start of `buf`. It stops, without error, at an entry cut by
 * the Fetch byte limit and at the first entry of another magic (a log converted to v2 part way),
 * leaving `bytes` where it stopped.
 */
export async function readLegacyMessageSet(
  buf: Buffer,
  opts: LegacyReadOptions = {},
): Promise<LegacyMessageSet> {
  const messages: LegacyMessage[] = [];
  let pos = 0;
  while (pos + LEGACY.LOG_OVERHEAD <= buf.length) {
    const size = legacyEntrySize(buf, pos);
    if (size < LEGACY.LOG_OVERHEAD + LEGACY.MIN_SIZE_V0)
      invalid(`message at byte ${pos} has size ${size - LEGACY.LOG_OVERHEAD}`);
    if (pos + size > buf.length) break;
    if (!isLegacyMagic(buf.readInt8(pos + LEGACY.MAGIC))) break;
    const entry = await readLegacyEntry(buf, pos, opts);
    for (const m of entry.messages) messages.push(m);
    pos += size;
  }
  return { messages, bytes: pos };
}
