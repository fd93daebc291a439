/**
 * One record inside a record batch v2 (protocol-notes d, Kafka's DefaultRecord):
 *
 *   length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
 *   keyLength varint, key | valueLength varint, value | headerCount varint |
 *   per header: keyLength varint, UTF-8 key | valueLength varint, value
 *
 * Varints are zigzag LEB128; a length of -1 means null (header keys may not be null). `length`
 * counts the bytes after itself. As in Kafka, any negative key or value length reads as null.
 *
 * Types: offsets and timestamps are int64 on the wire, so absolute ones are `bigint`, and so is
 * `timestampDelta` (a varlong); `offsetDelta` is an int32 varint, a `number`. Decoded keys, values
 * and header values are zero-copy slices of the batch (or of its decompressed records), so they
 * stay valid only as long as nobody reuses that memory.
 */
import { ProtocolError } from "../errors.js";
import type { Reader } from "../primitives/reader.js";

/** A record header. Keys are UTF-8 strings and never null; values are bytes or null. */
export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

/** A record as stored in a batch: positions relative to the batch header's base offset and timestamp. */
export interface Record {
  /** Offset minus the batch's baseOffset. */
  offsetDelta: number;
  /** Timestamp minus the batch's baseTimestamp (ms). */
  timestampDelta: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
  /** Record attributes (int8): unused by Kafka, always 0 when written. */
  attributes: number;
}

/** A record read from a batch, with its absolute offset and timestamp. */
export interface DecodedRecord extends Record {
  /** baseOffset + offsetDelta. */
  offset: bigint;
  /** baseTimestamp + timestampDelta, or the batch's maxTimestamp in a LogAppendTime batch. */
  timestamp: bigint;
}

/** Bytes or text (written as UTF-8). */
export type BytesInput = Buffer | Uint8Array | string;

/** A header given as `{ key: value }`; an array value writes one header per element, in order. */
export interface HeadersObject {
  [key: string]: BytesInput | null | undefined | Array<BytesInput | null>;
}

/** A record to encode. Missing key/value are null; strings are written as UTF-8. */
export interface RecordInput {
  key?: BytesInput | null;
  value?: BytesInput | null;
  headers?: Array<{ key: string; value: BytesInput | null }> | HeadersObject;
  /** Milliseconds since the epoch; defaults to the batch's base timestamp. */
  timestamp?: bigint | number;
  /** Defaults to the record's index in the batch; must increase from record to record. */
  offsetDelta?: number;
}

/** Smallest possible record: length, attributes, timestampDelta, offsetDelta, key, value, header count. */
export const MIN_RECORD_SIZE = 7;

/** Size of `v` as a zigzag varint (int32). */
export function varintSize(v: number): number {
  let u = ((v << 1) ^ (v >> 31)) >>> 0;
  let n = 1;
  while (u >= 0x80) {
    u >>>= 7;
    n++;
  }
  return n;
}

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;

/** Size of `v` as a zigzag varlong (int64); a number must be a safe integer. */
export function varlongSize(v: bigint | number): number {
  if (typeof v === "number") {
    if (v >= INT32_MIN && v <= INT32_MAX) return varintSize(v);
    v = BigInt(v);
  } else if (v >= -0x80000000n && v <= 0x7fffffffn) return varintSize(Number(v));
  // Number arithmetic on 32-bit halves: a BigInt loop can crash Node 20's optimising compiler.
  const u = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
  let lo = Number(u & 0xffffffffn);
  let hi = Number(u >> 32n);
  let n = 1;
  while (hi !== 0 || lo >= 0x80) {
    lo = ((lo >>> 7) | ((hi & 0x7f) << 25)) >>> 0;
    hi >>>= 7;
    n++;
  }
  return n;
}

/** Writes a zigzag varint at `pos` of `buf`; returns the position after it. */
export function putVarint(buf: Buffer, pos: number, v: number): number {
  let u = ((v << 1) ^ (v >> 31)) >>> 0;
  while (u >= 0x80) {
    buf[pos++] = (u & 0x7f) | 0x80;
    u >>>= 7;
  }
  buf[pos++] = u;
  return pos;
}

/** Writes a zigzag varlong at `pos` of `buf`; returns the position after it. */
export function putVarlong(buf: Buffer, pos: number, v: bigint | number): number {
  if (typeof v === "number") {
    if (v >= INT32_MIN && v <= INT32_MAX) return putVarint(buf, pos, v);
    v = BigInt(v);
  } else if (v >= -0x80000000n && v <= 0x7fffffffn) return putVarint(buf, pos, Number(v));
  const u = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
  let lo = Number(u & 0xffffffffn);
  let hi = Number(u >> 32n);
  while (hi !== 0 || lo >= 0x80) {
    buf[pos++] = (lo & 0x7f) | 0x80;
    lo = ((lo >>> 7) | ((hi & 0x7f) << 25)) >>> 0;
    hi >>>= 7;
  }
  buf[pos++] = lo;
  return pos;
}

function byteLength(b: BytesInput): number {
  if (typeof b === "string") return Buffer.byteLength(b);
  if (b instanceof Uint8Array) return b.length;
  throw new ProtocolError("invalid-value", `record keys, values and header values must be bytes or strings`);
}

function putBytes(buf: Buffer, pos: number, b: BytesInput | null, len: number): number {
  if (b === null) return putVarint(buf, pos, -1);
  pos = putVarint(buf, pos, len);
  if (typeof b === "string") buf.write(b, pos, len, "utf8");
  else buf.set(b, pos);
  return pos + len;
}

/**
 * A record ready to be written: inputs normalised once, sizes measured once. Built by
 * `prepareRecord`, written by `writeRecord`; the split lets a batch size its buffer exactly.
 */
export interface PreparedRecord {
  /** Bytes of the record after its length field. */
  bodySize: number;
  /** Whole record, length field included. */
  size: number;
  /** A number when it is a safe integer, else a bigint. */
  timestampDelta: bigint | number;
  offsetDelta: number;
  key: BytesInput | null;
  keyLength: number;
  value: BytesInput | null;
  valueLength: number;
  /** Flattened header keys and values with their byte lengths. */
  headers: Array<{ key: string; keyLength: number; value: BytesInput | null; valueLength: number }>;
}

function addHeader(out: PreparedRecord["headers"], key: string, value: BytesInput | null | undefined): void {
  if (typeof key !== "string")
    throw new ProtocolError("invalid-value", "a record header key must be a string");
  const v = value ?? null;
  out.push({
    key,
    keyLength: Buffer.byteLength(key),
    value: v,
    valueLength: v === null ? -1 : byteLength(v),
  });
}

function flattenHeaders(h: NonNullable<RecordInput["headers"]>, out: PreparedRecord["headers"]): void {
  if (Array.isArray(h)) {
    for (const e of h) addHeader(out, e.key, e.value);
    return;
  }
  for (const key in h) {
    if (!Object.hasOwn(h, key)) continue;
    const v = h[key];
    if (Array.isArray(v)) for (const one of v) addHeader(out, key, one);
    else addHeader(out, key, v);
  }
}

/** Normalises one record input relative to the batch's base timestamp. */
export function prepareRecord(
  r: RecordInput,
  offsetDelta: number,
  timestampDelta: bigint | number,
): PreparedRecord {
  if (!Number.isInteger(offsetDelta) || offsetDelta < 0 || offsetDelta > INT32_MAX)
    throw new ProtocolError("invalid-value", `record offset delta ${offsetDelta} is not an int32 >= 0`);
  const key = r.key ?? null;
  const value = r.value ?? null;
  const headers: PreparedRecord["headers"] = [];
  if (r.headers) flattenHeaders(r.headers, headers);
  const keyLength = key === null ? -1 : byteLength(key);
  const valueLength = value === null ? -1 : byteLength(value);
  let bodySize = 1 + varlongSize(timestampDelta) + varintSize(offsetDelta);
  bodySize += varintSize(keyLength) + Math.max(keyLength, 0);
  bodySize += varintSize(valueLength) + Math.max(valueLength, 0);
  bodySize += varintSize(headers.length);
  for (const h of headers)
    bodySize +=
      varintSize(h.keyLength) + h.keyLength + varintSize(h.valueLength) + Math.max(h.valueLength, 0);
  if (bodySize > INT32_MAX)
    throw new ProtocolError("invalid-value", `record of ${bodySize} bytes is too large`);
  return {
    bodySize,
    size: varintSize(bodySize) + bodySize,
    timestampDelta,
    offsetDelta,
    key,
    keyLength,
    value,
    valueLength,
    headers,
  };
}

/** Writes a prepared record at `pos` of `buf` (which must have `p.size` bytes there); returns the end. */
export function writeRecord(buf: Buffer, pos: number, p: PreparedRecord): number {
  pos = putVarint(buf, pos, p.bodySize);
  buf[pos++] = 0; // attributes
  pos = putVarlong(buf, pos, p.timestampDelta);
  pos = putVarint(buf, pos, p.offsetDelta);
  pos = putBytes(buf, pos, p.key, p.keyLength);
  pos = putBytes(buf, pos, p.value, p.valueLength);
  pos = putVarint(buf, pos, p.headers.length);
  for (const h of p.headers) {
    pos = putBytes(buf, pos, h.key, h.keyLength);
    pos = putBytes(buf, pos, h.value, h.valueLength);
  }
  return pos;
}

/**
 * Reads a zigzag varlong as a bigint, decoding up to four bytes (values within ±2^27, i.e. nearly
 * every timestamp delta) as a number first so that only the result is a BigInt.
 */
function readVarlong(r: Reader): bigint {
  const buf = r.buf;
  const p = r.pos;
  const stop = Math.min(p + 4, r.end);
  let u = 0;
  let shift = 0;
  for (let i = p; i < stop; i++) {
    const b = buf[i]!;
    u |= (b & 0x7f) << shift;
    if (b < 0x80) {
      r.pos = i + 1;
      return BigInt((u >>> 1) ^ -(u & 1));
    }
    shift += 7;
  }
  return r.varlong();
}

/**
 * Reads the record at the reader's position. `baseOffset` and `baseTimestamp` come from the batch
 * header; `fixedTimestamp` is the batch's maxTimestamp for LogAppendTime batches, else null.
 * Malformed records throw ProtocolError (lengths past the end, a length that disagrees with the
 * fields, null header keys, negative header counts).
 */
export function readRecord(
  r: Reader,
  baseOffset: bigint,
  baseTimestamp: bigint,
  fixedTimestamp: bigint | null,
): DecodedRecord {
  const length = r.varint();
  if (length < 0) throw new ProtocolError("negative-length", `record length ${length} is negative`);
  if (length > r.remaining)
    throw new ProtocolError(
      "length-past-end",
      `record length ${length} runs past the end (${r.remaining} bytes left)`,
    );
  const end = r.pos + length;
  const attributes = r.int8();
  const timestampDelta = readVarlong(r);
  const offsetDelta = r.varint();
  const kl = r.varint();
  const key = kl < 0 ? null : r.raw(kl);
  const vl = r.varint();
  const value = vl < 0 ? null : r.raw(vl);
  const count = r.varint();
  if (count < 0 || count > end - r.pos)
    throw new ProtocolError("invalid-batch", `record has an invalid header count ${count}`);
  const headers: RecordHeader[] = [];
  for (let i = 0; i < count; i++) {
    const hkl = r.varint();
    if (hkl < 0)
      throw new ProtocolError("invalid-batch", `record header key length ${hkl} (keys may not be null)`);
    const hk = r.raw(hkl);
    const hvl = r.varint();
    headers.push({ key: hk.toString("utf8"), value: hvl < 0 ? null : r.raw(hvl) });
  }
  if (r.pos !== end)
    throw new ProtocolError(
      "invalid-batch",
      `record states ${length} bytes but its fields take ${r.pos - (end - length)}`,
    );
  return {
    offset: baseOffset + BigInt(offsetDelta),
    timestamp: fixedTimestamp ?? baseTimestamp + timestampDelta,
    offsetDelta,
    timestampDelta,
    attributes,
    key,
    value,
    headers,
  };
}
