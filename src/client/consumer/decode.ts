/**
 * The consumer's record decoder, in two steps. `scanPartitionRecords` runs when a Fetch answer
 * arrives: it checks each batch (magic, CRC), drops what is never delivered, decompresses and
 * counts, but creates no message. `RecordCursor` turns the records into the messages KafkaJS hands
 * to eachMessage/eachBatch when a worker gets to them, one record at a time and without per-record
 * closures. Offsets and timestamps are numbers while reading (Kafka offsets and epoch milliseconds
 * stay far below 2^53) and become KafkaJS's decimal strings once per message. Keys, values and
 * header values are views of the response (or decompressed) bytes, not copies.
 *
 * Filtering follows the Java consumer: records before the fetch offset are skipped (a batch may
 * start before it), control batches are never delivered, and with read_committed a transactional
 * batch is dropped whole when its producer has an aborted transaction open at that point of the log
 * (from the response's abortedTransactions list; an ABORT marker closes it).
 *
 * Entries of the formats before v2 (message sets of magic 0 and 1, which a broker returns for data
 * written in them) are read by the protocol layer's legacy reader when the Fetch answer arrives and
 * kept as finished messages: such data is rare and old, so it takes no part in the lazy path.
 */
import { type CompressionCodec, decompress } from "../../protocol/compression/index.js";
import { ProtocolError } from "../../protocol/errors.js";
import { ATTR, BATCH, verifyBatchCrc } from "../../protocol/records/batch-header.js";
import {
  isLegacyMagic,
  type LegacyMessage,
  legacyEntrySize,
  readLegacyEntry,
} from "../../protocol/records/legacy-message-set.js";
import { codecFor, isBuiltinCodec } from "../compression.js";
import type { IHeaders, MessageSetEntry } from "../types.js";

/** What KafkaJS's record decoder reports about the batch a message came from. */
export interface BatchContext {
  firstOffset: string;
  firstTimestamp: string;
  partitionLeaderEpoch: number;
  inTransaction: boolean;
  isControlBatch: boolean;
  lastOffsetDelta: number;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  maxTimestamp: string;
  timestampType: number;
  magicByte: number;
}

/** A consumed message of a record batch: KafkaJS's RecordBatchEntry with the extra fields KafkaJS sets. */
export interface ConsumedRecord {
  magicByte: number;
  attributes: number;
  timestamp: string;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
  isControlRecord: boolean;
  batchContext: BatchContext;
}

/** A consumed message of a message set (magic 0/1): KafkaJS's MessageSetEntry with the extra fields KafkaJS sets. */
export interface ConsumedLegacyMessage extends MessageSetEntry {
  magicByte: 0 | 1;
  /** The stored CRC-32 as a signed int32, as KafkaJS reads it. */
  crc: number;
}

export type ConsumedMessage = ConsumedRecord | ConsumedLegacyMessage;

/**
 * The records of one accepted batch, still as bytes: decoded into messages only when a worker
 * gets to them, so fetched-ahead data costs its bytes and no objects, and with eachMessage each
 * message object lives only while its handler runs.
 */
export interface BatchSegment {
  legacy: null;
  body: Buffer;
  pos: number;
  end: number;
  count: number;
  baseOffset: number;
  baseTimestamp: number;
  logAppendTime: boolean;
  maxTimestamp: string;
  context: BatchContext;
}

/** Messages of consecutive legacy entries, already decoded, at or after the fetch offset only. */
export interface LegacySegment {
  legacy: ConsumedLegacyMessage[];
  count: number;
}

export type RecordSegment = BatchSegment | LegacySegment;

export interface ScannedPartition {
  segments: RecordSegment[];
  /** Messages the segments hold at or after the fetch offset. */
  count: number;
  /** First offset at or after the fetch offset of any record, filtered ones included; -1 if none. */
  firstOffset: number;
  /** Last offset at or after the fetch offset covered by a whole batch (its header's last offset); -1 if none. */
  lastOffset: number;
  /** Whether the bytes held any whole batch at all (even one wholly before the fetch offset). */
  hadBatches: boolean;
  /** Bytes of the whole batches read. */
  bytes: number;
}

export interface AbortedTransaction {
  producerId: bigint;
  firstOffset: bigint;
}

const TWO_32 = 4294967296;

// Read position shared by the varint readers below; module state keeps them free of allocations.
let at = 0;

function readVarint(buf: Buffer, end: number): number {
  let shift = 0;
  let u = 0;
  for (;;) {
    if (at >= end) throw new ProtocolError("invalid-batch", "varint runs past the end of a record");
    const b = buf[at++]!;
    u |= (b & 0x7f) << shift;
    if (b < 0x80) break;
    shift += 7;
    if (shift > 28) {
      // A fifth byte holds the top 4 bits; more than five bytes is not an int32 varint.
      if (at >= end) throw new ProtocolError("invalid-batch", "varint runs past the end of a record");
      const last = buf[at++]!;
      if (last > 0x0f) throw new ProtocolError("invalid-batch", "varint longer than 32 bits");
      u |= last << 28;
      break;
    }
  }
  return (u >>> 1) ^ -(u & 1);
}

/** A zigzag varlong as a number (exact up to 2^53, far beyond any timestamp delta). */
function readVarlong(buf: Buffer, end: number): number {
  let u = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (at >= end) throw new ProtocolError("invalid-batch", "varlong runs past the end of a record");
    const b = buf[at++]!;
    u += (b & 0x7f) * mul;
    if (b < 0x80) return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
    mul *= 128;
  }
  throw new ProtocolError("invalid-batch", "varlong longer than 64 bits");
}

function readInt64(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * TWO_32 + buf.readUInt32BE(pos + 4);
}

async function decompressRecords(codec: number, payload: Buffer): Promise<Buffer> {
  if (isBuiltinCodec(codec)) return decompress(codec as CompressionCodec, payload);
  const custom = codecFor(codec);
  if (!custom)
    throw new ProtocolError("bad-compression", `no codec registered for compression type ${codec}`);
  return custom.decompress(payload);
}

/** The control type (0 ABORT, 1 COMMIT, ...) of a control batch's first record, or -1. */
function controlType(body: Buffer, pos: number, end: number): number {
  at = pos;
  const length = readVarint(body, end);
  const recordEnd = at + length;
  at++; // attributes
  readVarlong(body, recordEnd);
  readVarint(body, recordEnd);
  const keyLength = readVarint(body, recordEnd);
  if (keyLength < 4 || at + 4 > recordEnd) return -1;
  return body.readInt16BE(at + 2);
}

/** Offsets of the records of a batch that starts before the fetch offset: how many are at or after it. */
function countFrom(
  body: Buffer,
  pos: number,
  end: number,
  count: number,
  baseOffset: number,
  from: number,
): number {
  let n = 0;
  at = pos;
  for (let i = 0; i < count && at < end; i++) {
    const length = readVarint(body, end);
    const recordEnd = at + length;
    at++; // attributes
    readVarlong(body, recordEnd);
    if (baseOffset + readVarint(body, recordEnd) >= from) n++;
    at = recordEnd;
  }
  return n;
}

/**
 * Reads a partition's records as far as batches: checks each batch (magic, CRC), drops what the
 * consumer never delivers (batches before the fetch offset, control batches, aborted transactions
 * under read_committed), decompresses, and counts. `aborted` is the response's abortedTransactions
 * (read_committed only, else null). Throws ProtocolError on corrupt data.
 */
export async function scanPartitionRecords(
  records: Buffer,
  fetchOffset: number,
  aborted: AbortedTransaction[] | null,
): Promise<ScannedPartition> {
  const segments: RecordSegment[] = [];
  let count = 0;
  let firstOffset = -1;
  let lastOffset = -1;
  let hadBatches = false;
  let pos = 0;
  const total = records.length;

  // Aborted transactions in log order; producers enter `openAborts` as the batches pass their first offset.
  let pendingAborts: Array<{ producerId: number; firstOffset: number }> | null = null;
  let nextAbort = 0;
  let openAborts: Set<number> | null = null;
  if (aborted && aborted.length > 0) {
    pendingAborts = aborted
      .map((a) => ({ producerId: Number(a.producerId), firstOffset: Number(a.firstOffset) }))
      .sort((a, b) => a.firstOffset - b.firstOffset);
    openAborts = new Set();
  }

  while (pos + BATCH.LOG_OVERHEAD <= total) {
    // Both formats have the magic byte at the same place; an entry that ends before it is cut.
    if (pos + BATCH.MAGIC >= total) break;
    const magic = records.readInt8(pos + BATCH.MAGIC);
    if (isLegacyMagic(magic)) {
      // Cut by the byte limit, as record batches are; fetched whole next time.
      if (pos + legacyEntrySize(records, pos) > total) break;
      const entry = await readLegacyEntry(records, pos, { decompress: decompressRecords });
      hadBatches = true;
      pos += entry.sizeInBytes;
      const last = entry.messages[entry.messages.length - 1]!;
      // The wrapper's offset is the last inner one's; the larger of the two never moves the position back.
      const entryLast = Math.max(Number(entry.offset), Number(last.offset));
      if (entryLast < fetchOffset) continue;
      lastOffset = entryLast;
      const kept: ConsumedLegacyMessage[] = [];
      for (const m of entry.messages) if (Number(m.offset) >= fetchOffset) kept.push(toConsumed(m));
      if (kept.length === 0) continue;
      if (firstOffset < 0) firstOffset = Number(kept[0]!.offset);
      count += kept.length;
      const previous = segments[segments.length - 1];
      if (previous && previous.legacy !== null) {
        for (const m of kept) previous.legacy.push(m);
        previous.count += kept.length;
      } else {
        segments.push({ legacy: kept, count: kept.length });
      }
      continue;
    }
    const size = records.readInt32BE(pos + BATCH.LENGTH) + BATCH.LOG_OVERHEAD;
    if (size < BATCH.HEADER_SIZE)
      throw new ProtocolError(
        "invalid-batch",
        `record batch at ${pos} has length ${size - BATCH.LOG_OVERHEAD}`,
      );
    // Kafka cuts the last batch at the byte limit; what is cut is fetched again next time.
    if (pos + size > total) break;
    if (magic !== 2)
      throw new ProtocolError("bad-magic", `record batch magic ${magic} is not supported (need 0, 1 or 2)`);
    if (!verifyBatchCrc(records, pos, size))
      throw new ProtocolError("bad-crc", `record batch at byte ${pos} fails its CRC`);
    hadBatches = true;

    const baseOffset = readInt64(records, pos + BATCH.BASE_OFFSET);
    const attributes = records.readInt16BE(pos + BATCH.ATTRIBUTES);
    const lastOffsetDelta = records.readInt32BE(pos + BATCH.LAST_OFFSET_DELTA);
    const batchLast = baseOffset + lastOffsetDelta;
    const batchStart = pos;
    pos += size;
    if (batchLast < fetchOffset) continue;

    const producerId = readInt64(records, batchStart + BATCH.PRODUCER_ID);
    const isControl = (attributes & ATTR.CONTROL) !== 0;
    const inTransaction = (attributes & ATTR.TRANSACTIONAL) !== 0;
    const recordsCount = records.readInt32BE(batchStart + BATCH.RECORDS_COUNT);
    lastOffset = batchLast;
    if (firstOffset < 0 && recordsCount > 0) firstOffset = Math.max(baseOffset, fetchOffset);

    if (pendingAborts) {
      while (nextAbort < pendingAborts.length && pendingAborts[nextAbort]!.firstOffset <= batchLast) {
        openAborts!.add(pendingAborts[nextAbort]!.producerId);
        nextAbort++;
      }
    }
    const codec = attributes & ATTR.COMPRESSION_MASK;
    if (isControl) {
      // An ABORT marker ends that producer's aborted transaction (markers are never compressed).
      if (openAborts && inTransaction && recordsCount > 0 && codec === 0) {
        const type = controlType(records, batchStart + BATCH.HEADER_SIZE, batchStart + size);
        if (type === 0) openAborts.delete(producerId);
      }
      continue;
    }
    if (openAborts && inTransaction && openAborts.has(producerId)) continue;
    if (recordsCount <= 0) continue;

    let body: Buffer;
    let bodyPos: number;
    let bodyEnd: number;
    if (codec === 0) {
      body = records;
      bodyPos = batchStart + BATCH.HEADER_SIZE;
      bodyEnd = batchStart + size;
    } else {
      body = await decompressRecords(
        codec,
        records.subarray(batchStart + BATCH.HEADER_SIZE, batchStart + size),
      );
      bodyPos = 0;
      bodyEnd = body.length;
    }
    const baseTimestamp = readInt64(records, batchStart + BATCH.BASE_TIMESTAMP);
    const maxTimestamp = String(readInt64(records, batchStart + BATCH.MAX_TIMESTAMP));
    const logAppendTime = (attributes & ATTR.TIMESTAMP_TYPE) !== 0;
    count +=
      baseOffset >= fetchOffset
        ? recordsCount
        : countFrom(body, bodyPos, bodyEnd, recordsCount, baseOffset, fetchOffset);
    segments.push({
      legacy: null,
      body,
      pos: bodyPos,
      end: bodyEnd,
      count: recordsCount,
      baseOffset,
      baseTimestamp,
      logAppendTime,
      maxTimestamp,
      context: {
        firstOffset: String(baseOffset),
        firstTimestamp: String(baseTimestamp),
        partitionLeaderEpoch: records.readInt32BE(batchStart + BATCH.PARTITION_LEADER_EPOCH),
        inTransaction,
        isControlBatch: false,
        lastOffsetDelta,
        producerId: String(producerId),
        producerEpoch: records.readInt16BE(batchStart + BATCH.PRODUCER_EPOCH),
        firstSequence: records.readInt32BE(batchStart + BATCH.BASE_SEQUENCE),
        maxTimestamp,
        timestampType: logAppendTime ? 1 : 0,
        magicByte: 2,
      },
    });
  }
  return { segments, count, firstOffset, lastOffset, hadBatches, bytes: pos };
}

/** KafkaJS's form of a message set entry: decimal strings, the CRC as a signed int32. */
function toConsumed(m: LegacyMessage): ConsumedLegacyMessage {
  return {
    offset: String(m.offset),
    size: m.size,
    crc: m.crc | 0,
    magicByte: m.magic,
    attributes: m.attributes,
    timestamp: String(m.timestamp),
    key: m.key,
    value: m.value,
  };
}

function startOf(seg: RecordSegment | undefined): number {
  return seg !== undefined && seg.legacy === null ? seg.pos : 0;
}

/**
 * Reads the messages of scanned segments one at a time (eachMessage), or all at once
 * (`readAll`, eachBatch). `offset` is the numeric offset of the message last returned.
 */
export class RecordCursor {
  offset = -1;
  private segment = 0;
  private index = 0;
  private pos: number;
  private readonly segments: RecordSegment[];
  private readonly from: number;

  constructor(segments: RecordSegment[], fetchOffset: number) {
    this.segments = segments;
    this.from = fetchOffset;
    this.pos = startOf(segments[0]);
  }

  next(): ConsumedMessage | null {
    for (;;) {
      const seg = this.segments[this.segment];
      if (!seg) return null;
      if (this.index >= seg.count) {
        this.segment++;
        this.index = 0;
        this.pos = startOf(this.segments[this.segment]);
        continue;
      }
      if (seg.legacy !== null) {
        const m = seg.legacy[this.index++]!;
        const offset = Number(m.offset);
        if (offset < this.from) continue;
        this.offset = offset;
        return m;
      }
      const body = seg.body;
      const bodyEnd = seg.end;
      if (this.pos >= bodyEnd)
        throw new ProtocolError(
          "invalid-batch",
          `batch at offset ${seg.baseOffset} declares ${seg.count} records but holds ${this.index}`,
        );
      this.index++;
      at = this.pos;
      const length = readVarint(body, bodyEnd);
      const recordEnd = at + length;
      if (length < 6 || recordEnd > bodyEnd)
        throw new ProtocolError("invalid-batch", `record of ${length} bytes runs past its batch`);
      this.pos = recordEnd;
      const recordAttributes = body.readInt8(at++);
      const timestampDelta = readVarlong(body, recordEnd);
      const offset = seg.baseOffset + readVarint(body, recordEnd);
      if (offset < this.from) continue;
      const keyLength = readVarint(body, recordEnd);
      let key: Buffer | null = null;
      if (keyLength >= 0) {
        if (at + keyLength > recordEnd)
          throw new ProtocolError("invalid-batch", "record key runs past its record");
        key = body.subarray(at, at + keyLength);
        at += keyLength;
      }
      const valueLength = readVarint(body, recordEnd);
      let value: Buffer | null = null;
      if (valueLength >= 0) {
        if (at + valueLength > recordEnd)
          throw new ProtocolError("invalid-batch", "record value runs past its record");
        value = body.subarray(at, at + valueLength);
        at += valueLength;
      }
      const headerCount = readVarint(body, recordEnd);
      const headers: IHeaders = {};
      for (let h = 0; h < headerCount; h++) {
        const headerKeyLength = readVarint(body, recordEnd);
        if (headerKeyLength < 0 || at + headerKeyLength > recordEnd)
          throw new ProtocolError("invalid-batch", "record header key is null or runs past its record");
        const headerKey = body.toString("utf8", at, at + headerKeyLength);
        at += headerKeyLength;
        const headerValueLength = readVarint(body, recordEnd);
        let headerValue: Buffer | null = null;
        if (headerValueLength >= 0) {
          if (at + headerValueLength > recordEnd)
            throw new ProtocolError("invalid-batch", "record header value runs past its record");
          headerValue = body.subarray(at, at + headerValueLength);
          at += headerValueLength;
        }
        // Repeated keys collect into an array, as KafkaJS does; a null value is kept as null.
        const existing = headers[headerKey];
        if (existing === undefined) headers[headerKey] = headerValue as Buffer;
        else if (Array.isArray(existing)) existing.push(headerValue as Buffer);
        else headers[headerKey] = [existing, headerValue as Buffer];
      }
      this.offset = offset;
      return {
        magicByte: 2,
        attributes: recordAttributes,
        timestamp: seg.logAppendTime ? seg.maxTimestamp : String(seg.baseTimestamp + timestampDelta),
        offset: String(offset),
        key,
        value,
        headers,
        isControlRecord: false,
        batchContext: seg.context,
      };
    }
  }

  readAll(expected: number): ConsumedMessage[] {
    const out = new Array<ConsumedMessage>(expected);
    let n = 0;
    for (let m = this.next(); m !== null; m = this.next()) out[n++] = m;
    out.length = n;
    return out;
  }
}
