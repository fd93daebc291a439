/**
 * Validation of the record batches of one append before anything is written: headers and CRC for
 * every batch, and records only where a check needs them. Codes are the ones Kafka answers with
 * (LogValidator / UnifiedLog.analyzeAndValidateRecords / ProduceRequest.validateRecords): a truncated
 * batch or bad CRC is CORRUPT_MESSAGE, a batch larger than max.message.bytes is MESSAGE_TOO_LARGE, a
 * wrong magic, inconsistent offsets and counts, a client control batch or a producer id without
 * sequence are INVALID_RECORD, and an append larger than a segment is RECORD_LIST_TOO_LARGE.
 *
 * Record-level checks (KIP-467) are reported record by record, as Kafka's LogValidator does: a null
 * key on a compacted topic (INVALID_RECORD), a CreateTime timestamp outside
 * message.timestamp.before.max.ms / after.max.ms or a producer-set LogAppendTime (INVALID_TIMESTAMP).
 * Every record of the first failing batch is checked and the StorageError carries the list; its code
 * is INVALID_TIMESTAMP when any record failed on its timestamp, INVALID_RECORD otherwise.
 *
 * Records are looked at only when a check can fail: always on compacted topics; on CreateTime topics
 * with message.timestamp.before.max.ms or after.max.ms set (the batch header has no smallest
 * timestamp, deltas may be negative, and its max timestamp is the producer's word, so only the
 * records tell); for a batch that claims LogAppendTime. Otherwise, the default, no record is decoded.
 * A timestamp-only check first reads just each record's timestamp delta, and decodes the records
 * fully only to name the culprits. Uncompressed batches are checked here; compressed ones are
 * returned in `deferred` and checked, after decompression, by checkDeferredRecords.
 */
import {
  ATTR,
  BATCH,
  type BatchHeader,
  readBatchHeader,
  verifyBatchCrc,
} from "../protocol/records/batch-header.js";
import { decompress } from "./codecs.js";
import { isCompacted, type LogConfig } from "./config.js";
import { type RecordError, StorageError, StorageErrorCode } from "./errors.js";
import { forEachRecord, VarReader } from "./records.js";

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
  /** Milliseconds: the clock the timestamp bounds are checked against (default Date.now()). */
  now?: number;
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
  /** Compressed batches whose records must be checked after decompression (checkDeferredRecords). */
  deferred: ValidatedBatch[];
  /** The record-level rules the deferred batches are checked against. */
  rules: RecordRules;
}

/** What Kafka checks on each record of a batch (LogValidator.validateRecord), for one append. */
export interface RecordRules {
  /** "<topic>-<partition>", for messages. */
  tp: string;
  /** cleanup.policy contains compact: every record needs a key. */
  compacted: boolean;
  /** message.timestamp.type is CreateTime: record timestamps are bounded. */
  createTime: boolean;
  now: number;
  /** Smallest and largest timestamp accepted (-Infinity / Infinity when unchecked). */
  lower: number;
  upper: number;
  beforeMaxMs: number;
  afterMaxMs: number;
}

const UNCHECKED = Number.MAX_SAFE_INTEGER;

export function recordRules(config: LogConfig, tp: string, now: number): RecordRules {
  const before = config.messageTimestampBeforeMaxMs;
  const after = config.messageTimestampAfterMaxMs;
  return {
    tp,
    compacted: isCompacted(config),
    createTime: config.messageTimestampType === "CreateTime",
    now,
    lower: before >= UNCHECKED ? Number.NEGATIVE_INFINITY : now - before,
    upper: after >= UNCHECKED ? Number.POSITIVE_INFINITY : now + after,
    beforeMaxMs: before,
    afterMaxMs: after,
  };
}

/**
 * `tp` ("<topic>-<partition>") names the partition in record error messages, as Kafka's do.
 */
export function validateBatches(
  buf: Buffer,
  config: LogConfig,
  opts: ValidationOptions,
  tp: string,
): Validated {
  const batches: ValidatedBatch[] = [];
  const deferred: ValidatedBatch[] = [];
  const rules = recordRules(config, tp, opts.now ?? Date.now());
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
    if (!control && mayFailRecordChecks(header, rules)) {
      if (codec === 0) checkRecords(buf, pos + BATCH.HEADER_SIZE, pos + size, header, rules);
      else deferred.push({ pos, size, header });
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
  return { batches, records, deferred, rules };
}

/** Whether some record of a (non-control) batch can fail the record-level checks: then it is walked. */
function mayFailRecordChecks(h: BatchHeader, rules: RecordRules): boolean {
  if (rules.compacted) return true;
  const max = Number(h.maxTimestamp);
  if ((h.attributes & ATTR.TIMESTAMP_TYPE) !== 0) {
    // Every record of a LogAppendTime batch reads as its max timestamp; a producer may not set
    // LogAppendTime itself unless that timestamp passes a CreateTime topic's bounds.
    return !rules.createTime || max === NO_TIMESTAMP || max < rules.lower || max > rules.upper;
  }
  if (!rules.createTime) return false;
  // The header cannot settle it: the smallest timestamp is not in it (deltas may be negative), and
  // its max timestamp is the producer's word (KafkaJS writes its last record's timestamp there,
  // whatever the order). So any bound means a look at every record's timestamp, as Kafka does.
  return rules.lower > Number.NEGATIVE_INFINITY || rules.upper < Number.POSITIVE_INFINITY;
}

/**
 * The cheap pass over an uncompressed CreateTime batch when only timestamps are checked: record
 * length, attributes and timestamp delta, nothing else decoded. True when a record is out of bounds
 * (then the full walk names them); a batch whose records do not add up is CORRUPT_MESSAGE.
 */
function anyTimestampOutOfBounds(
  buf: Buffer,
  start: number,
  end: number,
  h: BatchHeader,
  rules: RecordRules,
): boolean {
  const base = Number(h.baseTimestamp);
  const rd = new VarReader(buf, start, end);
  let found = false;
  for (let i = 0; i < h.recordsCount; i++) {
    const len = rd.varint();
    const recEnd = rd.pos + len;
    if (len < 2 || recEnd > end) corrupt(`record length ${len} runs past the batch`);
    rd.pos++; // attributes
    const ts = base + rd.varlong();
    if (ts !== NO_TIMESTAMP && (ts < rules.lower || ts > rules.upper)) found = true;
    rd.pos = recEnd;
  }
  if (rd.pos !== end) corrupt(`${end - rd.pos} bytes left after the last record`);
  return found;
}

const NO_TIMESTAMP = -1;

/** Kafka's per-record checks, in its order: the key first, then the timestamp. */
function recordError(
  rules: RecordRules,
  index: number,
  nullKey: boolean,
  timestamp: number,
  offset: number,
  logAppendTimeBatch: boolean,
): { code: number; error: RecordError } | null {
  if (rules.compacted && nullKey) {
    return {
      code: StorageErrorCode.INVALID_RECORD,
      error: {
        batchIndex: index,
        message: `Compacted topic cannot accept message without key in topic partition ${rules.tp}`,
      },
    };
  }
  if (rules.createTime && timestamp !== NO_TIMESTAMP) {
    if (timestamp < rules.lower || timestamp > rules.upper) {
      const lo = BigInt(rules.now) - BigInt(bound(rules.beforeMaxMs));
      const hi = BigInt(rules.now) + BigInt(bound(rules.afterMaxMs));
      return {
        code: StorageErrorCode.INVALID_TIMESTAMP,
        error: {
          batchIndex: index,
          message: `Timestamp ${timestamp} of message with offset ${offset} is out of range. The timestamp should be within [${lo}, ${hi}]`,
        },
      };
    }
  } else if (logAppendTimeBatch) {
    return {
      code: StorageErrorCode.INVALID_TIMESTAMP,
      error: {
        batchIndex: index,
        message: `Invalid timestamp type in message with offset ${offset}. Producer should not set timestamp type to LogAppendTime.`,
      },
    };
  }
  return null;
}

/** A config value as Kafka holds it: Brook keeps Long.MAX_VALUE as MAX_SAFE_INTEGER. */
function bound(ms: number): bigint {
  return ms >= UNCHECKED ? 9223372036854775807n : BigInt(ms);
}

/**
 * Walks the `count` records of one batch in buf[start, end) (uncompressed) and throws the
 * StorageError listing every record that fails (Kafka's processRecordErrors).
 */
function checkRecords(records: Buffer, start: number, end: number, h: BatchHeader, rules: RecordRules): void {
  const lat = (h.attributes & ATTR.TIMESTAMP_TYPE) !== 0;
  if (!rules.compacted && !lat && !anyTimestampOutOfBounds(records, start, end, h, rules)) return;
  const base = Number(h.baseTimestamp);
  const max = Number(h.maxTimestamp);
  const errors: RecordError[] = [];
  let timestampFailed = false;
  let index = 0;
  forEachRecord(records, start, end, h.recordsCount, (r) => {
    const ts = lat ? max : base + r.timestampDelta;
    const e = recordError(rules, index++, r.keyLength < 0, ts, r.offsetDelta, lat);
    if (e) {
      errors.push(e.error);
      if (e.code === StorageErrorCode.INVALID_TIMESTAMP) timestampFailed = true;
    }
  });
  if (errors.length === 0) return;
  if (timestampFailed) {
    throw new StorageError(
      StorageErrorCode.INVALID_TIMESTAMP,
      "One or more records have been rejected due to invalid timestamp",
      errors,
    );
  }
  const shown = errors
    .slice(0, 3)
    .map(
      (e) =>
        `RecordError(batchIndex=${e.batchIndex}, message=${e.message === null ? "null" : `'${e.message}'`})`,
    );
  throw new StorageError(
    StorageErrorCode.INVALID_RECORD,
    `One or more records have been rejected due to ${errors.length} record errors in total, and only showing the first three errors at most: [${shown.join(", ")}]`,
    errors,
  );
}

/** The record checks of compressed batches (decompresses; off the usual path). */
export async function checkDeferredRecords(buf: Buffer, v: Validated): Promise<void> {
  for (const b of v.deferred) {
    const codec = b.header.attributes & ATTR.COMPRESSION_MASK;
    let plain: Buffer;
    try {
      plain = await decompress(codec, buf.subarray(b.pos + BATCH.HEADER_SIZE, b.pos + b.size));
    } catch (e) {
      if (e instanceof StorageError) throw e;
      corrupt(`record batch at ${b.pos} does not decompress: ${e instanceof Error ? e.message : String(e)}`);
    }
    checkRecords(plain, 0, plain.length, b.header, v.rules);
  }
}
