/**
 * Record batch v2 (magic 2): encoding and decoding of whole batches with their records. This is the
 * client's and the coordinators' path; the broker's produce and fetch paths only touch the header
 * (batch-header.ts). A compressed batch compresses everything after the 61-byte header; the records
 * count stays in the header.
 *
 * Encoding measures every record first, so an uncompressed batch is written straight into one
 * buffer of its exact size. Decoding checks the header and CRC before anything else, then reads
 * the records with one Reader; keys, values and header values are zero-copy slices.
 */
import {
  CompressionCodec,
  compress,
  compressSync,
  DEFAULT_MAX_DECOMPRESSED,
  decompress,
  decompressSync,
} from "../compression/index.js";
import { ProtocolError } from "../errors.js";
import { Reader } from "../primitives/reader.js";
import {
  ATTR,
  BATCH,
  type BatchHeader,
  makeAttributes,
  readBatchHeader,
  TimestampType,
  verifyBatchCrc,
  writeBatchCrc,
} from "./batch-header.js";
import {
  type DecodedRecord,
  MIN_RECORD_SIZE,
  type PreparedRecord,
  prepareRecord,
  type RecordInput,
  readRecord,
  writeRecord,
} from "./record.js";

export type { DecodedRecord, Record, RecordHeader, RecordInput } from "./record.js";

export interface BatchInput {
  /** At least one record. */
  records: RecordInput[];
  /** Clients send 0; the broker assigns the real offset. */
  baseOffset?: bigint;
  /** Default -1; the broker sets it on append. */
  partitionLeaderEpoch?: number;
  /** Default -1: neither idempotent nor transactional. */
  producerId?: bigint;
  /** Default -1. */
  producerEpoch?: number;
  /** Default -1. */
  baseSequence?: number;
  isTransactional?: boolean;
  isControl?: boolean;
  /** CreateTime (0, default) or LogAppendTime (1). */
  timestampType?: TimestampType | 0 | 1;
  /** LogAppendTime batches: the append time, written as maxTimestamp (default: the largest record timestamp). */
  logAppendTime?: bigint | number;
  compression?: CompressionCodec;
  /** Defaults to the first record's timestamp, or now. */
  baseTimestamp?: bigint | number;
  /**
   * KIP-534 (the log cleaner): sets the delete-horizon attribute and stores this value as the base
   * timestamp, relative to which the record timestamp deltas are then written.
   */
  deleteHorizonMs?: bigint | number;
}

export interface DecodedBatch {
  header: BatchHeader;
  records: DecodedRecord[];
  /** Bytes the batch occupies (batchLength + 12). */
  sizeInBytes: number;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function int64(v: bigint | number, what: string): bigint {
  if (typeof v === "number" && !Number.isSafeInteger(v))
    throw new ProtocolError("invalid-value", `${what} ${v} is not an integer`);
  const b = BigInt(v);
  if (b < INT64_MIN || b > INT64_MAX)
    throw new ProtocolError("invalid-value", `${what} ${v} is not an int64`);
  return b;
}

interface Prepared {
  records: PreparedRecord[];
  /** Sum of record sizes: the uncompressed records section. */
  bodySize: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  lastOffsetDelta: number;
}

/** Normalises the inputs and measures every record, checking deltas and timestamps. */
function prepare(input: BatchInput): Prepared {
  const recs = input.records;
  if (recs.length === 0) throw new ProtocolError("invalid-value", "a record batch needs at least one record");
  const first = recs[0]!.timestamp;
  const hasHorizon = input.deleteHorizonMs !== undefined;
  const baseTimestamp = int64(
    hasHorizon ? input.deleteHorizonMs! : (input.baseTimestamp ?? first ?? Date.now()),
    "base timestamp",
  );
  // Deltas stay numbers while they are safe integers (nearly always): no BigInt per record.
  const baseNum = Number(baseTimestamp);
  const baseSafe = Number.isSafeInteger(baseNum);
  let maxDelta: bigint | number = Number.NEGATIVE_INFINITY;
  let lastOffsetDelta = -1;
  let bodySize = 0;
  const records = new Array<PreparedRecord>(recs.length);
  for (let i = 0; i < recs.length; i++) {
    const r = recs[i]!;
    const t = r.timestamp;
    let delta: bigint | number = 0;
    if (t !== undefined) {
      if (typeof t === "number" && baseSafe && Number.isSafeInteger(t)) delta = t - baseNum;
      if (typeof t !== "number" || !baseSafe || !Number.isSafeInteger(delta)) {
        delta = int64(t, "record timestamp") - baseTimestamp;
        if (delta < INT64_MIN || delta > INT64_MAX)
          throw new ProtocolError("invalid-value", `timestamp ${t} is too far from the base timestamp`);
      }
    }
    if (delta > maxDelta) maxDelta = delta;
    const offsetDelta = r.offsetDelta ?? i;
    if (offsetDelta <= lastOffsetDelta)
      throw new ProtocolError(
        "invalid-value",
        `record offset deltas must increase: ${offsetDelta} after ${lastOffsetDelta}`,
      );
    lastOffsetDelta = offsetDelta;
    const p = prepareRecord(r, offsetDelta, delta);
    bodySize += p.size;
    records[i] = p;
  }
  let maxTimestamp = baseTimestamp + BigInt(maxDelta);
  if (input.timestampType === TimestampType.LogAppendTime && input.logAppendTime !== undefined)
    maxTimestamp = int64(input.logAppendTime, "log append time");
  return { records, bodySize, baseTimestamp, maxTimestamp, lastOffsetDelta };
}

function writeRecords(p: Prepared, buf: Buffer, pos: number): void {
  for (const r of p.records) pos = writeRecord(buf, pos, r);
}

/** Writes the 61-byte header into `buf` (records already after it) and the CRC. */
function writeHeader(input: BatchInput, p: Prepared, buf: Buffer): void {
  const size = buf.length;
  buf.writeBigInt64BE(input.baseOffset ?? 0n, BATCH.BASE_OFFSET);
  buf.writeInt32BE(size - BATCH.LOG_OVERHEAD, BATCH.LENGTH);
  buf.writeInt32BE(input.partitionLeaderEpoch ?? -1, BATCH.PARTITION_LEADER_EPOCH);
  buf.writeInt8(2, BATCH.MAGIC);
  const attributes = makeAttributes({
    compression: input.compression ?? CompressionCodec.None,
    timestampType: input.timestampType ?? TimestampType.CreateTime,
    isTransactional: input.isTransactional ?? false,
    isControl: input.isControl ?? false,
    hasDeleteHorizon: input.deleteHorizonMs !== undefined,
  });
  buf.writeInt16BE(attributes, BATCH.ATTRIBUTES);
  buf.writeInt32BE(p.lastOffsetDelta, BATCH.LAST_OFFSET_DELTA);
  buf.writeBigInt64BE(p.baseTimestamp, BATCH.BASE_TIMESTAMP);
  buf.writeBigInt64BE(p.maxTimestamp, BATCH.MAX_TIMESTAMP);
  buf.writeBigInt64BE(input.producerId ?? -1n, BATCH.PRODUCER_ID);
  buf.writeInt16BE(input.producerEpoch ?? -1, BATCH.PRODUCER_EPOCH);
  buf.writeInt32BE(input.baseSequence ?? -1, BATCH.BASE_SEQUENCE);
  buf.writeInt32BE(p.records.length, BATCH.RECORDS_COUNT);
  writeBatchCrc(buf, 0, size);
}

function checkCodec(codec: number): void {
  if (!Number.isInteger(codec) || codec < 0 || codec > 4)
    throw new ProtocolError("bad-compression", `unknown compression codec ${codec}`);
}

function uncompressedBatch(input: BatchInput, p: Prepared): Buffer {
  const buf = Buffer.allocUnsafe(BATCH.HEADER_SIZE + p.bodySize);
  writeRecords(p, buf, BATCH.HEADER_SIZE);
  writeHeader(input, p, buf);
  return buf;
}

function recordsSection(p: Prepared): Buffer {
  const body = Buffer.allocUnsafe(p.bodySize);
  writeRecords(p, body, 0);
  return body;
}

function compressedBatch(input: BatchInput, p: Prepared, payload: Buffer): Buffer {
  const buf = Buffer.allocUnsafe(BATCH.HEADER_SIZE + payload.length);
  payload.copy(buf, BATCH.HEADER_SIZE);
  writeHeader(input, p, buf);
  return buf;
}

/**
 * Encodes a batch synchronously: lastOffsetDelta, maxTimestamp, record count and CRC-32C follow
 * from the records. zstd needs `await initCompression()` first (or use encodeRecordBatch).
 */
export function encodeRecordBatchSync(input: BatchInput): Buffer {
  const codec = input.compression ?? CompressionCodec.None;
  checkCodec(codec);
  const p = prepare(input);
  if (codec === CompressionCodec.None) return uncompressedBatch(input, p);
  return compressedBatch(input, p, compressSync(codec, recordsSection(p)));
}

/** Encodes a batch; gzip compresses on the thread pool and zstd is initialised on first use. */
export async function encodeRecordBatch(input: BatchInput): Promise<Buffer> {
  const codec = input.compression ?? CompressionCodec.None;
  checkCodec(codec);
  const p = prepare(input);
  if (codec === CompressionCodec.None) return uncompressedBatch(input, p);
  return compressedBatch(input, p, await compress(codec, recordsSection(p)));
}

/** Checks the header, length and CRC of the batch at `pos`; returns the header, size and records section. */
function checkBatch(buf: Buffer, pos: number): { header: BatchHeader; size: number; payload: Buffer } {
  const header = readBatchHeader(buf, pos);
  const size = header.batchLength + BATCH.LOG_OVERHEAD;
  if (pos + size > buf.length)
    throw new ProtocolError(
      "truncated",
      `record batch of ${size} bytes at ${pos} runs past the end (${buf.length - pos} bytes left)`,
    );
  if (!verifyBatchCrc(buf, pos, size))
    throw new ProtocolError("bad-crc", `record batch at offset ${header.baseOffset} fails its CRC`);
  const count = header.recordsCount;
  if (count < 0) throw new ProtocolError("invalid-batch", `negative record count ${count}`);
  // Offset deltas are distinct and within [0, lastOffsetDelta]; the cleaner may leave gaps (fewer records).
  if (count > 0 && (header.lastOffsetDelta < 0 || count > header.lastOffsetDelta + 1)) {
    throw new ProtocolError(
      "invalid-batch",
      `${count} records cannot fit offset deltas 0..${header.lastOffsetDelta}`,
    );
  }
  return { header, size, payload: buf.subarray(pos + BATCH.HEADER_SIZE, pos + size) };
}

function decodeRecords(header: BatchHeader, body: Buffer, size: number): DecodedBatch {
  const count = header.recordsCount;
  // A forged count cannot make us allocate beyond what the bytes can hold.
  if (count * MIN_RECORD_SIZE > body.length)
    throw new ProtocolError("invalid-batch", `${count} records cannot fit in ${body.length} bytes`);
  const r = new Reader(body);
  const fixed = header.attributes & ATTR.TIMESTAMP_TYPE ? header.maxTimestamp : null;
  const records = new Array<DecodedRecord>(count);
  let prevDelta = -1;
  for (let i = 0; i < count; i++) {
    if (r.remaining === 0)
      throw new ProtocolError("invalid-batch", `batch declares ${count} records but holds ${i}`);
    const rec = readRecord(r, header.baseOffset, header.baseTimestamp, fixed);
    if (rec.offsetDelta <= prevDelta || rec.offsetDelta > header.lastOffsetDelta)
      throw new ProtocolError(
        "invalid-batch",
        `record offset delta ${rec.offsetDelta} after ${prevDelta} (last offset delta ${header.lastOffsetDelta})`,
      );
    prevDelta = rec.offsetDelta;
    records[i] = rec;
  }
  if (r.remaining !== 0)
    throw new ProtocolError(
      "invalid-batch",
      `batch declares ${count} records but ${r.remaining} bytes follow them`,
    );
  return { header, records, sizeInBytes: size };
}

export interface DecodeOptions {
  /** Bound on a compressed batch's decompressed records (default 256 MiB). */
  maxDecompressed?: number;
}

/**
 * Decodes the batch at `pos`: header, CRC-32C, then every record (decompressing first). Malformed
 * input throws ProtocolError: "truncated", "bad-magic", "bad-crc", "invalid-batch",
 * "bad-compression", or a record's "negative-length" / "length-past-end" / "bad-varint".
 * zstd needs `await initCompression()` first (or use decodeRecordBatch).
 */
export function decodeRecordBatchSync(buf: Buffer, pos = 0, opts: DecodeOptions = {}): DecodedBatch {
  const { header, size, payload } = checkBatch(buf, pos);
  const codec = header.attributes & ATTR.COMPRESSION_MASK;
  const body =
    codec === 0 ? payload : decompressSync(codec, payload, opts.maxDecompressed ?? DEFAULT_MAX_DECOMPRESSED);
  return decodeRecords(header, body, size);
}

/** As decodeRecordBatchSync; gzip decompresses on the thread pool and zstd is initialised on first use. */
export async function decodeRecordBatch(
  buf: Buffer,
  pos = 0,
  opts: DecodeOptions = {},
): Promise<DecodedBatch> {
  const { header, size, payload } = checkBatch(buf, pos);
  const codec = header.attributes & ATTR.COMPRESSION_MASK;
  const body =
    codec === 0
      ? payload
      : await decompress(codec, payload, opts.maxDecompressed ?? DEFAULT_MAX_DECOMPRESSED);
  return decodeRecords(header, body, size);
}

/**
 * Positions and sizes of the whole batches in a concatenation (a Fetch response's records field).
 * A partial batch at the end, which Kafka returns when a byte limit cuts one, is left out.
 */
export function splitRecordBatches(buf: Buffer): Array<{ pos: number; size: number }> {
  const out: Array<{ pos: number; size: number }> = [];
  let pos = 0;
  while (pos + BATCH.LOG_OVERHEAD <= buf.length) {
    const size = buf.readInt32BE(pos + BATCH.LENGTH) + BATCH.LOG_OVERHEAD;
    if (size < BATCH.HEADER_SIZE)
      throw new ProtocolError(
        "invalid-batch",
        `record batch at ${pos} has length ${size - BATCH.LOG_OVERHEAD}`,
      );
    if (pos + size > buf.length) break;
    out.push({ pos, size });
    pos += size;
  }
  return out;
}

/** Decodes every whole batch of a concatenation, stopping cleanly at a partial trailing batch. */
export async function decodeRecordBatches(buf: Buffer, opts: DecodeOptions = {}): Promise<DecodedBatch[]> {
  const out: DecodedBatch[] = [];
  for (const { pos } of splitRecordBatches(buf)) out.push(await decodeRecordBatch(buf, pos, opts));
  return out;
}

/** As decodeRecordBatches, synchronously (zstd needs `await initCompression()` first). */
export function decodeRecordBatchesSync(buf: Buffer, opts: DecodeOptions = {}): DecodedBatch[] {
  return splitRecordBatches(buf).map(({ pos }) => decodeRecordBatchSync(buf, pos, opts));
}
