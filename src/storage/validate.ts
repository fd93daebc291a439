/**
 * Validation of the record batches of one append, on headers only (plus the CRC), before anything is
 * written. Codes are the ones Kafka answers with (LogValidator / UnifiedLog.analyzeAndValidateRecords /
 * ProduceRequest.validateRecords): a truncated batch or bad CRC is CORRUPT_MESSAGE, a batch larger
 * than max.message.bytes is MESSAGE_TOO_LARGE, a wrong magic, inconsistent offsets and counts, a
 * client control batch, a producer id without sequence or a null key on a compacted topic are
 * INVALID_RECORD, and an append larger than a segment is RECORD_LIST_TOO_LARGE.
 */
import {
  ATTR,
  BATCH,
  type BatchHeader,
  readBatchHeader,
  verifyBatchCrc,
} from "../protocol/records/batch-header.js";
import { decompress } from "./codecs.js";
import type { LogConfig } from "./config.js";
import { StorageError, StorageErrorCode } from "./errors.js";
import { forEachRecord } from "./records.js";

export interface ValidatedBatch {
  pos: number;
  size: number;
  header: BatchHeader;
}

export interface ValidationOptions {
  allowControl?: boolean;
  /** "client" (default) requires base offset 0 in every batch, as Kafka does for produce requests. */
  origin?: "client" | "internal";
  validate?: (header: BatchHeader, pos: number) => void;
}

function invalid(msg: string): never {
  throw new StorageError(StorageErrorCode.INVALID_RECORD, msg);
}

function corrupt(msg: string): never {
  throw new StorageError(StorageErrorCode.CORRUPT_MESSAGE, msg);
}

export interface Validated {
  batches: ValidatedBatch[];
  records: number;
  /** Batches whose keys must be checked after decompression (compacted topics only). */
  compressedKeyChecks: ValidatedBatch[];
}

export function validateBatches(
  buf: Buffer,
  config: LogConfig,
  opts: ValidationOptions,
  compacted: boolean,
): Validated {
  const batches: ValidatedBatch[] = [];
  const compressedKeyChecks: ValidatedBatch[] = [];
  let records = 0;
  let pos = 0;
  const origin = opts.origin ?? "client";
  if (buf.length === 0) invalid("an append must carry at least one record batch");
  while (pos < buf.length) {
    if (pos + BATCH.LOG_OVERHEAD > buf.length)
      corrupt(`${buf.length - pos} trailing bytes after the last batch`);
    const batchLength = buf.readInt32BE(pos + BATCH.LENGTH);
    const size = batchLength + BATCH.LOG_OVERHEAD;
    if (batchLength < BATCH.HEADER_SIZE - BATCH.LOG_OVERHEAD)
      corrupt(`record batch length ${batchLength} is too small`);
    if (pos + size > buf.length)
      corrupt(`record batch of ${size} bytes at ${pos} runs past the ${buf.length} given`);
    const magic = buf.readInt8(pos + BATCH.MAGIC);
    if (magic !== 2) invalid(`record batch magic ${magic} is not allowed: only magic 2 batches are accepted`);
    const header = readBatchHeader(buf, pos);
    if (origin === "client" && header.baseOffset !== 0n) {
      invalid(`the baseOffset of the record batch should be 0, but it is ${header.baseOffset}`);
    }
    if (size > config.maxMessageBytes) {
      throw new StorageError(
        StorageErrorCode.MESSAGE_TOO_LARGE,
        `the record batch is ${size} bytes, larger than max.message.bytes (${config.maxMessageBytes})`,
      );
    }
    if (!verifyBatchCrc(buf, pos, size)) corrupt(`record batch at ${pos} fails its CRC-32C`);
    if (header.lastOffsetDelta < 0) invalid("batch has an invalid offset range");
    if (header.recordsCount <= 0) invalid("invalid reported count for record batch");
    if (header.lastOffsetDelta + 1 !== header.recordsCount) {
      invalid(
        `inconsistent batch offset range (lastOffsetDelta ${header.lastOffsetDelta}) and record count (${header.recordsCount})`,
      );
    }
    const control = (header.attributes & ATTR.CONTROL) !== 0;
    if (control && !opts.allowControl) invalid("clients are not allowed to write control records");
    const codec = header.attributes & ATTR.COMPRESSION_MASK;
    if (codec > 4) invalid(`unknown compression type id ${codec}`);
    // Coordinator writes (offsets in a transaction) carry no sequence, as in Kafka.
    if (!control && origin === "client" && header.producerId >= 0n && header.baseSequence < 0) {
      invalid(`invalid sequence number ${header.baseSequence} for producer id ${header.producerId}`);
    }
    if (compacted && !control) {
      if (codec === 0) checkKeys(buf, pos + BATCH.HEADER_SIZE, pos + size, header.recordsCount);
      else compressedKeyChecks.push({ pos, size, header });
    }
    opts.validate?.(header, pos);
    batches.push({ pos, size, header });
    records += header.recordsCount;
    pos += size;
  }
  if (buf.length > config.segmentBytes) {
    throw new StorageError(
      StorageErrorCode.RECORD_LIST_TOO_LARGE,
      `the append is ${buf.length} bytes, larger than segment.bytes (${config.segmentBytes})`,
    );
  }
  return { batches, records, compressedKeyChecks };
}

function checkKeys(records: Buffer, start: number, end: number, count: number): void {
  forEachRecord(records, start, end, count, (r) => {
    if (r.keyLength < 0) invalid("compacted topic cannot accept message without key");
  });
}

/** The null-key check for compressed batches on compacted topics (decompresses; off the usual path). */
export async function checkCompressedKeys(buf: Buffer, list: ValidatedBatch[]): Promise<void> {
  for (const b of list) {
    const codec = b.header.attributes & ATTR.COMPRESSION_MASK;
    let plain: Buffer;
    try {
      plain = await decompress(codec, buf.subarray(b.pos + BATCH.HEADER_SIZE, b.pos + b.size));
    } catch (e) {
      if (e instanceof StorageError) throw e;
      corrupt(`record batch at ${b.pos} does not decompress: ${e instanceof Error ? e.message : String(e)}`);
    }
    checkKeys(plain, 0, plain.length, b.header.recordsCount);
  }
}
