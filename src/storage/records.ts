/**
 * Just enough of the record format (protocol-notes section d) for the places where storage must look
 * inside a batch: the null-key check on compacted topics, ListOffsets by timestamp, and the cleaner.
 * The append and fetch paths never come here.
 */
import { crc32c } from "@node-rs/crc32";
import { ATTR, BATCH } from "../protocol/records/batch-header.js";
import { StorageError, StorageErrorCode } from "./errors.js";

export interface RecordView {
  /** Byte range of the whole record (length prefix included) in the records buffer. */
  start: number;
  end: number;
  attributes: number;
  timestampDelta: number;
  offsetDelta: number;
  /** Key bytes [keyStart, keyStart + keyLength), keyLength -1 for a null key. */
  keyStart: number;
  keyLength: number;
  valueStart: number;
  valueLength: number;
  /** Raw headers (count varint included), copied as they are when a record is rewritten. */
  headersStart: number;
}

function corrupt(msg: string): never {
  throw new StorageError(StorageErrorCode.CORRUPT_MESSAGE, msg);
}

/** A zigzag varint/varlong reader over a buffer; values up to 2^53 in magnitude. */
export class VarReader {
  constructor(
    readonly buf: Buffer,
    public pos: number,
    readonly end: number,
  ) {}

  varlong(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) corrupt("record truncated inside a varint");
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) {
        // zigzag decode without 32-bit bitwise ops
        return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
      }
      mul *= 128;
    }
    return corrupt("varint longer than 10 bytes");
  }

  varint(): number {
    const v = this.varlong();
    if (v > 0x7fffffff || v < -0x80000000) corrupt(`varint ${v} out of int32 range`);
    return v;
  }
}

export function varlongSize(v: number): number {
  let z = v >= 0 ? v * 2 : -v * 2 - 1;
  let n = 1;
  while (z >= 128) {
    z = Math.floor(z / 128);
    n++;
  }
  return n;
}

export function writeVarlong(buf: Buffer, pos: number, v: number): number {
  let z = v >= 0 ? v * 2 : -v * 2 - 1;
  while (z >= 128) {
    buf[pos++] = (z % 128) | 0x80;
    z = Math.floor(z / 128);
  }
  buf[pos++] = z;
  return pos;
}

/** Calls `fn` for each of `count` records in buf[start, end) (uncompressed records). */
export function forEachRecord(
  buf: Buffer,
  start: number,
  end: number,
  count: number,
  fn: (r: RecordView) => void,
): void {
  const rd = new VarReader(buf, start, end);
  for (let i = 0; i < count; i++) {
    const recStart = rd.pos;
    const len = rd.varint();
    if (len < 0 || rd.pos + len > end) corrupt(`record length ${len} runs past the batch`);
    const recEnd = rd.pos + len;
    const inner = new VarReader(buf, rd.pos, recEnd);
    if (inner.pos >= recEnd) corrupt("empty record");
    const attributes = buf[inner.pos++]!;
    const timestampDelta = inner.varlong();
    const offsetDelta = inner.varint();
    const keyLength = inner.varint();
    const keyStart = inner.pos;
    if (keyLength < -1 || (keyLength > 0 && inner.pos + keyLength > recEnd))
      corrupt("record key runs past the record");
    if (keyLength > 0) inner.pos += keyLength;
    const valueLength = inner.varint();
    const valueStart = inner.pos;
    if (valueLength < -1 || (valueLength > 0 && inner.pos + valueLength > recEnd)) {
      corrupt("record value runs past the record");
    }
    if (valueLength > 0) inner.pos += valueLength;
    const headersStart = inner.pos;
    const headers = inner.varint();
    if (headers < 0) corrupt(`negative header count ${headers}`);
    for (let h = 0; h < headers; h++) {
      const kl = inner.varint();
      if (kl < 0 || inner.pos + kl > recEnd) corrupt("record header key is null or runs past the record");
      inner.pos += kl;
      const vl = inner.varint();
      if (vl < -1 || (vl > 0 && inner.pos + vl > recEnd)) corrupt("record header value runs past the record");
      if (vl > 0) inner.pos += vl;
    }
    if (inner.pos !== recEnd) corrupt(`${recEnd - inner.pos} bytes left inside a record`);
    fn({
      start: recStart,
      end: recEnd,
      attributes,
      timestampDelta,
      offsetDelta,
      keyStart,
      keyLength,
      valueStart,
      valueLength,
      headersStart,
    });
    rd.pos = recEnd;
  }
  if (rd.pos !== end) corrupt(`${end - rd.pos} bytes left after the last record`);
}

/** Encodes a record with new timestamp and offset deltas, copying key, value and headers. */
export function encodeRecordFrom(
  src: Buffer,
  r: RecordView,
  timestampDelta: number,
  offsetDelta: number,
): Buffer {
  const keyBytes = r.keyLength > 0 ? src.subarray(r.keyStart, r.keyStart + r.keyLength) : undefined;
  const valueBytes = r.valueLength > 0 ? src.subarray(r.valueStart, r.valueStart + r.valueLength) : undefined;
  const headers = src.subarray(r.headersStart, r.end);
  const bodyLen =
    1 +
    varlongSize(timestampDelta) +
    varlongSize(offsetDelta) +
    varlongSize(r.keyLength) +
    Math.max(r.keyLength, 0) +
    varlongSize(r.valueLength) +
    Math.max(r.valueLength, 0) +
    headers.length;
  const out = Buffer.allocUnsafe(varlongSize(bodyLen) + bodyLen);
  let p = writeVarlong(out, 0, bodyLen);
  out[p++] = r.attributes;
  p = writeVarlong(out, p, timestampDelta);
  p = writeVarlong(out, p, offsetDelta);
  p = writeVarlong(out, p, r.keyLength);
  if (keyBytes) p += keyBytes.copy(out, p);
  p = writeVarlong(out, p, r.valueLength);
  if (valueBytes) p += valueBytes.copy(out, p);
  headers.copy(out, p);
  return out;
}

export interface BatchFields {
  baseOffset: bigint;
  partitionLeaderEpoch: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordsCount: number;
}

/** A v2 batch around already-encoded (and possibly compressed) records, with its CRC. */
export function buildBatch(f: BatchFields, records: Buffer | Buffer[]): Buffer {
  const parts = Array.isArray(records) ? records : [records];
  let len = 0;
  for (const p of parts) len += p.length;
  const out = Buffer.allocUnsafe(BATCH.HEADER_SIZE + len);
  out.writeBigInt64BE(f.baseOffset, BATCH.BASE_OFFSET);
  out.writeInt32BE(out.length - BATCH.LOG_OVERHEAD, BATCH.LENGTH);
  out.writeInt32BE(f.partitionLeaderEpoch, BATCH.PARTITION_LEADER_EPOCH);
  out.writeInt8(2, BATCH.MAGIC);
  out.writeInt16BE(f.attributes, BATCH.ATTRIBUTES);
  out.writeInt32BE(f.lastOffsetDelta, BATCH.LAST_OFFSET_DELTA);
  out.writeBigInt64BE(f.baseTimestamp, BATCH.BASE_TIMESTAMP);
  out.writeBigInt64BE(f.maxTimestamp, BATCH.MAX_TIMESTAMP);
  out.writeBigInt64BE(f.producerId, BATCH.PRODUCER_ID);
  out.writeInt16BE(f.producerEpoch, BATCH.PRODUCER_EPOCH);
  out.writeInt32BE(f.baseSequence, BATCH.BASE_SEQUENCE);
  out.writeInt32BE(f.recordsCount, BATCH.RECORDS_COUNT);
  let p = BATCH.HEADER_SIZE;
  for (const part of parts) p += part.copy(out, p);
  out.writeUInt32BE(crc32c(out.subarray(BATCH.ATTRIBUTES)) >>> 0, BATCH.CRC);
  return out;
}

/** Control record key: int16 version, int16 type (0 ABORT, 1 COMMIT). -1 when unreadable. */
export function controlTypeOf(batch: Buffer, at: number, size: number): number {
  if ((batch.readInt16BE(at + BATCH.ATTRIBUTES) & ATTR.COMPRESSION_MASK) !== 0) return -1;
  let type = -1;
  try {
    forEachRecord(
      batch,
      at + BATCH.HEADER_SIZE,
      at + size,
      Math.min(1, batch.readInt32BE(at + BATCH.RECORDS_COUNT)),
      (r) => {
        if (r.keyLength >= 4) type = batch.readInt16BE(r.keyStart + 2);
      },
    );
  } catch {
    return -1;
  }
  return type;
}

export const CONTROL_ABORT = 0;
export const CONTROL_COMMIT = 1;
