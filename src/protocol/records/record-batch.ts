/**
 * Record batch v2 (magic 2): encoding and decoding of whole batches with their records. This is the
 * client's and the coordinators' path; the broker's produce and fetch paths only touch the header
 * (batch-header.ts). Record layout: varint length, int8 attributes, varlong timestamp delta, varint
 * offset delta, varint-length key and value (-1 = null), varint header count, and per header a
 * varint-length UTF-8 key and a varint-length value (-1 = null). Compressed batches compress
 * everything after the 61-byte header.
 */
import { ProtocolError } from "../errors.js";
import {
  CompressionCodec,
  compress,
  compressSync,
  decompress,
  decompressSync,
} from "../compression/index.js";
import { Reader } from "../primitives/reader.js";
import { Writer } from "../primitives/writer.js";
import {
  ATTR,
  BATCH,
  type BatchHeader,
  readBatchHeader,
  verifyBatchCrc,
  writeBatchCrc,
} from "./batch-header.js";

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface RecordInput {
  key?: Buffer | string | null;
  value?: Buffer | string | null;
  headers?: RecordHeader[] | Record<string, Buffer | string | null>;
  /** Milliseconds since the epoch; defaults to the batch's base timestamp. */
  timestamp?: bigint | number;
  /** Defaults to the record's index in the batch. */
  offsetDelta?: number;
}

export interface BatchInput {
  records: RecordInput[];
  baseOffset?: bigint;
  partitionLeaderEpoch?: number;
  /** -1 when the producer is neither idempotent nor transactional. */
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  isTransactional?: boolean;
  isControl?: boolean;
  /** 0 CreateTime, 1 LogAppendTime. */
  timestampType?: 0 | 1;
  compression?: CompressionCodec;
  /** Defaults to the first record's timestamp, or now. */
  baseTimestamp?: bigint | number;
}

export interface DecodedRecord {
  /** Absolute offset: baseOffset + offsetDelta. */
  offset: bigint;
  /** Absolute timestamp (the batch's maxTimestamp for LogAppendTime batches). */
  timestamp: bigint;
  offsetDelta: number;
  timestampDelta: bigint;
  attributes: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface DecodedBatch {
  header: BatchHeader;
  records: DecodedRecord[];
  /** Bytes the batch occupies (batchLength + 12). */
  sizeInBytes: number;
}

const toBuffer = (v: Buffer | string | null | undefined): Buffer | null =>
  v === null || v === undefined ? null : typeof v === "string" ? Buffer.from(v) : v;

function headerList(h: RecordInput["headers"]): RecordHeader[] {
  if (!h) return [];
  if (Array.isArray(h)) return h;
  return Object.entries(h).map(([key, value]) => ({ key, value: toBuffer(value) }));
}

function varintSize(v: number): number {
  let u = ((v << 1) ^ (v >> 31)) >>> 0;
  let n = 1;
  while (u >= 0x80) {
    u >>>= 7;
    n++;
  }
  return n;
}

function varlongSize(v: bigint): number {
  // Number arithmetic on 32-bit halves (see Writer.uvarlong for why not a BigInt loop).
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

/** Encodes the records section (uncompressed) and returns it with the batch's timing facts. */
function encodeRecords(input: BatchInput): {
  body: Buffer;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  lastOffsetDelta: number;
} {
  const recs = input.records;
  if (recs.length === 0) throw new ProtocolError("invalid-batch", "a record batch needs at least one record");
  const first = recs[0]!.timestamp;
  const baseTimestamp = BigInt(input.baseTimestamp ?? first ?? Date.now());
  let maxTimestamp = -1n;
  let lastOffsetDelta = 0;
  const w = new Writer(256 + recs.length * 64);
  recs.forEach((r, i) => {
    const key = toBuffer(r.key);
    const value = toBuffer(r.value);
    const headers = headerList(r.headers);
    const ts = r.timestamp === undefined ? baseTimestamp : BigInt(r.timestamp);
    if (ts > maxTimestamp) maxTimestamp = ts;
    const tsDelta = ts - baseTimestamp;
    const offsetDelta = r.offsetDelta ?? i;
    if (offsetDelta > lastOffsetDelta) lastOffsetDelta = offsetDelta;
    const headerBufs = headers.map((h) => ({ k: Buffer.from(h.key, "utf8"), v: h.value }));
    let size = 1 + varlongSize(tsDelta) + varintSize(offsetDelta);
    size += key ? varintSize(key.length) + key.length : 1;
    size += value ? varintSize(value.length) + value.length : 1;
    size += varintSize(headerBufs.length);
    for (const h of headerBufs) {
      size += varintSize(h.k.length) + h.k.length + (h.v ? varintSize(h.v.length) + h.v.length : 1);
    }
    w.varint(size).int8(0).varlong(tsDelta).varint(offsetDelta);
    if (key) w.varint(key.length).raw(key);
    else w.varint(-1);
    if (value) w.varint(value.length).raw(value);
    else w.varint(-1);
    w.varint(headerBufs.length);
    for (const h of headerBufs) {
      w.varint(h.k.length).raw(h.k);
      if (h.v) w.varint(h.v.length).raw(h.v);
      else w.varint(-1);
    }
  });
  return { body: w.toBuffer(), baseTimestamp, maxTimestamp, lastOffsetDelta };
}

function assemble(input: BatchInput, encoded: ReturnType<typeof encodeRecords>, payload: Buffer): Buffer {
  const codec = input.compression ?? CompressionCodec.None;
  let attributes = codec & ATTR.COMPRESSION_MASK;
  if (input.timestampType === 1) attributes |= ATTR.TIMESTAMP_TYPE;
  if (input.isTransactional) attributes |= ATTR.TRANSACTIONAL;
  if (input.isControl) attributes |= ATTR.CONTROL;
  const size = BATCH.HEADER_SIZE + payload.length;
  const buf = Buffer.allocUnsafe(size);
  buf.writeBigInt64BE(input.baseOffset ?? 0n, BATCH.BASE_OFFSET);
  buf.writeInt32BE(size - BATCH.LOG_OVERHEAD, BATCH.LENGTH);
  buf.writeInt32BE(input.partitionLeaderEpoch ?? -1, BATCH.PARTITION_LEADER_EPOCH);
  buf.writeInt8(2, BATCH.MAGIC);
  buf.writeInt16BE(attributes, BATCH.ATTRIBUTES);
  buf.writeInt32BE(encoded.lastOffsetDelta, BATCH.LAST_OFFSET_DELTA);
  buf.writeBigInt64BE(encoded.baseTimestamp, BATCH.BASE_TIMESTAMP);
  buf.writeBigInt64BE(encoded.maxTimestamp, BATCH.MAX_TIMESTAMP);
  buf.writeBigInt64BE(input.producerId ?? -1n, BATCH.PRODUCER_ID);
  buf.writeInt16BE(input.producerEpoch ?? -1, BATCH.PRODUCER_EPOCH);
  buf.writeInt32BE(input.baseSequence ?? -1, BATCH.BASE_SEQUENCE);
  buf.writeInt32BE(input.records.length, BATCH.RECORDS_COUNT);
  payload.copy(buf, BATCH.HEADER_SIZE);
  writeBatchCrc(buf, 0, size);
  return buf;
}

/** Encodes a batch; zstd needs `await initCompression()` first (or use encodeRecordBatch). */
export function encodeRecordBatchSync(input: BatchInput): Buffer {
  const encoded = encodeRecords(input);
  return assemble(input, encoded, compressSync(input.compression ?? CompressionCodec.None, encoded.body));
}

export async function encodeRecordBatch(input: BatchInput): Promise<Buffer> {
  const encoded = encodeRecords(input);
  return assemble(input, encoded, await compress(input.compression ?? CompressionCodec.None, encoded.body));
}

/** Checks the header and CRC of the batch at `pos`; returns the header, the batch size and its payload. */
function checkBatch(buf: Buffer, pos: number): { header: BatchHeader; size: number; payload: Buffer } {
  const header = readBatchHeader(buf, pos);
  const size = header.batchLength + BATCH.LOG_OVERHEAD;
  if (pos + size > buf.length)
    throw new ProtocolError("truncated", `record batch of ${size} bytes runs past the end`);
  if (!verifyBatchCrc(buf, pos, size))
    throw new ProtocolError("bad-crc", `record batch at offset ${header.baseOffset} fails its CRC`);
  if (header.recordsCount < 0)
    throw new ProtocolError("invalid-batch", `negative record count ${header.recordsCount}`);
  return { header, size, payload: buf.subarray(pos + BATCH.HEADER_SIZE, pos + size) };
}

function decodeRecords(header: BatchHeader, body: Buffer, size: number): DecodedBatch {
  const r = new Reader(body);
  // Each record takes at least 7 bytes: a forged count cannot make us allocate beyond the data.
  if (header.recordsCount > body.length) {
    throw new ProtocolError(
      "invalid-batch",
      `record count ${header.recordsCount} cannot fit in ${body.length} bytes`,
    );
  }
  const logAppendTime = (header.attributes & ATTR.TIMESTAMP_TYPE) !== 0;
  const records: DecodedRecord[] = new Array(header.recordsCount);
  for (let i = 0; i < header.recordsCount; i++) {
    const length = r.varint();
    if (length < 0 || length > r.remaining)
      throw new ProtocolError("length-past-end", `record ${i} length ${length} is invalid`);
    const end = r.pos + length;
    const attributes = r.int8();
    const timestampDelta = r.varlong();
    const offsetDelta = r.varint();
    const kl = r.varint();
    const key = kl < 0 ? null : r.raw(kl);
    const vl = r.varint();
    const value = vl < 0 ? null : r.raw(vl);
    const hn = r.varint();
    if (hn < 0 || hn > r.remaining) throw new ProtocolError("invalid-batch", `record ${i} has ${hn} headers`);
    const headers: RecordHeader[] = [];
    for (let h = 0; h < hn; h++) {
      const hkl = r.varint();
      if (hkl < 0) throw new ProtocolError("invalid-batch", "a record header key may not be null");
      const hk = r.raw(hkl).toString("utf8");
      const hvl = r.varint();
      headers.push({ key: hk, value: hvl < 0 ? null : r.raw(hvl) });
    }
    if (r.pos !== end)
      throw new ProtocolError("invalid-batch", `record ${i} length disagrees with its contents`);
    records[i] = {
      offset: header.baseOffset + BigInt(offsetDelta),
      timestamp: logAppendTime ? header.maxTimestamp : header.baseTimestamp + timestampDelta,
      offsetDelta,
      timestampDelta,
      attributes,
      key,
      value,
      headers,
    };
  }
  if (r.remaining !== 0)
    throw new ProtocolError("invalid-batch", `${r.remaining} bytes after the last record`);
  // The cleaner may remove records (gaps), but no record may lie beyond lastOffsetDelta.
  for (const rec of records) {
    if (rec.offsetDelta > header.lastOffsetDelta || rec.offsetDelta < 0) {
      throw new ProtocolError(
        "invalid-batch",
        `record offset delta ${rec.offsetDelta} outside [0, ${header.lastOffsetDelta}]`,
      );
    }
  }
  return { header, records, sizeInBytes: size };
}

/** Decodes the batch at `pos`, verifying its CRC; zstd needs initCompression() first. */
export function decodeRecordBatchSync(buf: Buffer, pos = 0): DecodedBatch {
  const { header, size, payload } = checkBatch(buf, pos);
  return decodeRecords(header, decompressSync(header.attributes & ATTR.COMPRESSION_MASK, payload), size);
}

export async function decodeRecordBatch(buf: Buffer, pos = 0): Promise<DecodedBatch> {
  const { header, size, payload } = checkBatch(buf, pos);
  return decodeRecords(header, await decompress(header.attributes & ATTR.COMPRESSION_MASK, payload), size);
}

/**
 * Decodes a concatenation of batches (a Fetch response's records). A partial batch at the end,
 * which Kafka may return when a byte limit cuts one, is ignored.
 */
export async function decodeRecordBatches(buf: Buffer): Promise<DecodedBatch[]> {
  const out: DecodedBatch[] = [];
  let pos = 0;
  while (pos + BATCH.HEADER_SIZE <= buf.length) {
    const size = buf.readInt32BE(pos + BATCH.LENGTH) + BATCH.LOG_OVERHEAD;
    if (size < BATCH.HEADER_SIZE)
      throw new ProtocolError("invalid-batch", `record batch length ${size} is too small`);
    if (pos + size > buf.length) break;
    out.push(await decodeRecordBatch(buf, pos));
    pos += size;
  }
  return out;
}
