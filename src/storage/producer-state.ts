/**
 * Per-partition producer state (Kafka's ProducerStateManager): for each producer id the epoch, the
 * metadata of its last 5 batches (duplicate detection and sequence checks), the coordinator epoch of
 * its last marker and the first offset of its open transaction. Open transactions bound the last
 * stable offset. The state is rebuilt at recovery from the newest `<offset>.snapshot` file plus the
 * batches after it, so a restart rescans only the tail of the log.
 *
 * Rules (Kafka's ProducerAppendInfo): an older epoch is INVALID_PRODUCER_EPOCH; within an epoch the
 * base sequence must follow the last one (wrapping at 2^31-1 to 0) or the batch is
 * OUT_OF_ORDER_SEQUENCE_NUMBER; a new epoch starts at sequence 0; a producer without state accepts
 * any sequence; a batch equal to one of the last 5 is a duplicate and is answered with its original
 * offsets; a non-transactional batch while the producer's transaction is open is INVALID_TXN_STATE;
 * a marker from an older coordinator epoch is TRANSACTION_COORDINATOR_FENCED.
 */
import { crc32c } from "@node-rs/crc32";
import { ErrorCode } from "../protocol/error-codes.js";
import type { BatchHeader } from "../protocol/records/batch-header.js";
import { StorageError } from "./errors.js";

/** How many batches per producer are kept for duplicate detection (Kafka's NUM_BATCHES_TO_RETAIN). */
export const BATCHES_TO_RETAIN = 5;
const NO_EPOCH = -1;
const INT32_MAX = 0x7fffffff;

export interface BatchMetadata {
  firstSeq: number;
  lastSeq: number;
  firstOffset: bigint;
  lastOffset: bigint;
  timestamp: bigint;
}

export interface ProducerEntry {
  producerId: bigint;
  epoch: number;
  /** Oldest first, at most BATCHES_TO_RETAIN. */
  batches: BatchMetadata[];
  coordinatorEpoch: number;
  /** First offset of the open transaction on this partition, -1n when none. */
  currentTxnFirstOffset: bigint;
  /** Wall-clock ms of the last write (for producer.id.expiration.ms). */
  lastTimestamp: number;
}

/** A transaction ended by a marker on this partition. */
export interface CompletedTxn {
  producerId: bigint;
  firstOffset: bigint;
  /** The marker's offset. */
  lastOffset: bigint;
  aborted: boolean;
}

export interface DuplicateBatch {
  firstOffset: bigint;
  lastOffset: bigint;
  timestamp: bigint;
}

function fail(code: number, msg: string): never {
  throw new StorageError(code, msg);
}

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX);
}

/** The last sequence of a batch, wrapping past 2^31-1 as Kafka's DefaultRecordBatch.incrementSequence. */
export function lastSequenceOf(h: Pick<BatchHeader, "baseSequence" | "lastOffsetDelta">): number {
  if (h.baseSequence < 0) return -1;
  const last = h.baseSequence + h.lastOffsetDelta;
  return last > INT32_MAX ? last - INT32_MAX - 1 : last;
}

export class ProducerStateManager {
  readonly producers = new Map<bigint, ProducerEntry>();
  /**
   * Transactions that hold back the LSO: open ones, and ones whose marker is assigned but not yet
   * fully applied (written, and for aborts recorded in the .txnindex). producerId -> first offset.
   */
  private readonly unstable = new Map<bigint, bigint>();
  private readonly completing = new Map<bigint, bigint>();

  get size(): number {
    return this.producers.size;
  }

  /** The first offset of the earliest unstable transaction, or undefined. */
  firstUnstableOffset(): bigint | undefined {
    let min: bigint | undefined;
    for (const v of this.unstable.values()) if (min === undefined || v < min) min = v;
    for (const v of this.completing.values()) if (min === undefined || v < min) min = v;
    return min;
  }

  /** Open transactions: producer id -> first offset. */
  openTransactions(): Map<bigint, bigint> {
    return new Map(this.unstable);
  }

  /**
   * Checks a data batch from a client before offsets are assigned. Returns the original offsets when
   * it duplicates one of the producer's last batches; throws a StorageError with Kafka's code when it
   * must be refused. Does not change any state.
   */
  checkDataBatch(h: BatchHeader, checkSequence: boolean, transactional: boolean): DuplicateBatch | undefined {
    const e = this.producers.get(h.producerId);
    if (!e) return undefined;
    if (h.producerEpoch < e.epoch) {
      fail(
        ErrorCode.INVALID_PRODUCER_EPOCH,
        `Epoch of producer ${h.producerId} is ${h.producerEpoch}, which is smaller than the last seen epoch ${e.epoch}`,
      );
    }
    if (checkSequence && h.producerEpoch === e.epoch) {
      const lastSeq = lastSequenceOf(h);
      for (const b of e.batches) {
        if (b.firstSeq === h.baseSequence && b.lastSeq === lastSeq) {
          return { firstOffset: b.firstOffset, lastOffset: b.lastOffset, timestamp: b.timestamp };
        }
      }
    }
    if (checkSequence) {
      if (h.producerEpoch !== e.epoch) {
        if (h.baseSequence !== 0 && e.epoch !== NO_EPOCH) {
          fail(
            ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
            `Invalid sequence number for new epoch of producer ${h.producerId} at epoch ${h.producerEpoch} (request epoch), ${h.baseSequence} (seq. number), ${e.epoch} (current producer epoch)`,
          );
        }
      } else {
        const last = e.batches[e.batches.length - 1];
        if (last && !inSequence(last.lastSeq, h.baseSequence)) {
          fail(
            ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
            `Out of order sequence number for producer ${h.producerId} at offset ${last.lastOffset + 1n}: ${h.baseSequence} (incoming seq. number), ${last.lastSeq} (current end sequence number)`,
          );
        }
      }
    }
    if (!transactional && e.currentTxnFirstOffset >= 0n) {
      fail(
        ErrorCode.INVALID_TXN_STATE,
        `Expected transactional write from producer ${h.producerId} at offset ${e.currentTxnFirstOffset}`,
      );
    }
    return undefined;
  }

  /** Records a data batch whose offsets are assigned. */
  applyDataBatch(h: BatchHeader, firstOffset: bigint, lastOffset: bigint, now: number): void {
    let e = this.producers.get(h.producerId);
    if (!e) {
      e = {
        producerId: h.producerId,
        epoch: h.producerEpoch,
        batches: [],
        coordinatorEpoch: -1,
        currentTxnFirstOffset: -1n,
        lastTimestamp: now,
      };
      this.producers.set(h.producerId, e);
    }
    if (h.producerEpoch !== e.epoch) {
      e.epoch = h.producerEpoch;
      e.batches = [];
    }
    if (h.baseSequence >= 0) {
      e.batches.push({
        firstSeq: h.baseSequence,
        lastSeq: lastSequenceOf(h),
        firstOffset,
        lastOffset,
        timestamp: h.maxTimestamp,
      });
      if (e.batches.length > BATCHES_TO_RETAIN) e.batches.shift();
    }
    e.lastTimestamp = now;
    if ((h.attributes & 0x10) !== 0 && e.currentTxnFirstOffset < 0n) {
      e.currentTxnFirstOffset = firstOffset;
      this.unstable.set(h.producerId, firstOffset);
    }
  }

  /** Checks a transaction marker before it is assigned an offset. */
  checkMarker(producerId: bigint, producerEpoch: number, coordinatorEpoch: number): void {
    const e = this.producers.get(producerId);
    if (!e) return;
    if (producerEpoch < e.epoch) {
      fail(
        ErrorCode.INVALID_PRODUCER_EPOCH,
        `Epoch of producer ${producerId} is ${producerEpoch}, which is smaller than the last seen epoch ${e.epoch}`,
      );
    }
    if (coordinatorEpoch < e.coordinatorEpoch) {
      fail(
        ErrorCode.TRANSACTION_COORDINATOR_FENCED,
        `Invalid coordinator epoch for producer ${producerId}: ${coordinatorEpoch} (zombie), ${e.coordinatorEpoch} (current)`,
      );
    }
  }

  /**
   * Records a marker at `offset`: the producer's transaction ends. The transaction keeps holding
   * the LSO until `finishCompletion` (the marker written and, for an abort, indexed).
   */
  applyMarker(
    producerId: bigint,
    producerEpoch: number,
    coordinatorEpoch: number,
    commit: boolean,
    offset: bigint,
    now: number,
  ): CompletedTxn {
    let e = this.producers.get(producerId);
    if (!e) {
      e = {
        producerId,
        epoch: producerEpoch,
        batches: [],
        coordinatorEpoch,
        currentTxnFirstOffset: -1n,
        lastTimestamp: now,
      };
      this.producers.set(producerId, e);
    }
    const firstOffset = e.currentTxnFirstOffset >= 0n ? e.currentTxnFirstOffset : offset;
    if (producerEpoch !== e.epoch) {
      e.epoch = producerEpoch;
      e.batches = [];
    }
    e.coordinatorEpoch = coordinatorEpoch;
    e.currentTxnFirstOffset = -1n;
    e.lastTimestamp = now;
    if (this.unstable.delete(producerId)) this.completing.set(producerId, firstOffset);
    return { producerId, firstOffset, lastOffset: offset, aborted: !commit };
  }

  /** The marker of `t` is written (and indexed): its transaction no longer bounds the LSO. */
  finishCompletion(t: CompletedTxn): void {
    if (this.completing.get(t.producerId) === t.firstOffset) this.completing.delete(t.producerId);
  }

  /**
   * Kafka's `lastStableOffset(completedTxn)`: the first offset of the earliest other unstable
   * transaction, or the offset after the marker (written into the aborted-transaction index).
   */
  lastStableOffsetAfter(t: CompletedTxn): bigint {
    let min = t.lastOffset + 1n;
    for (const [pid, first] of this.unstable) if (pid !== t.producerId && first < min) min = first;
    for (const [pid, first] of this.completing) if (pid !== t.producerId && first < min) min = first;
    return min;
  }

  /** Removes producers idle for longer than `expirationMs` that have no open transaction. */
  expire(now: number, expirationMs: number): number {
    let n = 0;
    for (const [pid, e] of this.producers) {
      if (
        e.currentTxnFirstOffset < 0n &&
        now - e.lastTimestamp >= expirationMs &&
        !this.completing.has(pid)
      ) {
        this.producers.delete(pid);
        n++;
      }
    }
    return n;
  }

  /** Drops all state (before a rebuild, or when the log is emptied by DeleteRecords past its end). */
  clear(): void {
    this.producers.clear();
    this.unstable.clear();
    this.completing.clear();
  }

  /**
   * Kafka's producer snapshot file (version 1): int16 version, uint32 CRC-32C of the rest, then
   * int32 count and per producer: int64 id, int16 epoch, int32 last sequence, int64 last offset,
   * int32 offset delta, int64 timestamp, int32 coordinator epoch, int64 current txn first offset.
   * Only each producer's last batch is kept, as in Kafka.
   */
  encodeSnapshot(): Buffer {
    const ENTRY = 8 + 2 + 4 + 8 + 4 + 8 + 4 + 8;
    const buf = Buffer.alloc(2 + 4 + 4 + this.producers.size * ENTRY);
    buf.writeInt16BE(1, 0);
    buf.writeInt32BE(this.producers.size, 6);
    let at = 10;
    for (const e of this.producers.values()) {
      const last = e.batches[e.batches.length - 1];
      buf.writeBigInt64BE(e.producerId, at);
      buf.writeInt16BE(e.epoch, at + 8);
      buf.writeInt32BE(last ? last.lastSeq : -1, at + 10);
      buf.writeBigInt64BE(last ? last.lastOffset : -1n, at + 14);
      buf.writeInt32BE(last ? Number(last.lastOffset - last.firstOffset) : 0, at + 22);
      buf.writeBigInt64BE(last ? last.timestamp : BigInt(e.lastTimestamp), at + 26);
      buf.writeInt32BE(e.coordinatorEpoch, at + 34);
      buf.writeBigInt64BE(e.currentTxnFirstOffset, at + 38);
      at += ENTRY;
    }
    buf.writeUInt32BE(crc32c(buf.subarray(6)), 2);
    return buf;
  }

  /** Loads a snapshot; returns false (state untouched) when it is truncated or fails its CRC. */
  loadSnapshot(buf: Buffer, now: number): boolean {
    const ENTRY = 46;
    if (buf.length < 10 || buf.readInt16BE(0) !== 1) return false;
    if (buf.readUInt32BE(2) !== crc32c(buf.subarray(6))) return false;
    const count = buf.readInt32BE(6);
    if (count < 0 || buf.length !== 10 + count * ENTRY) return false;
    this.clear();
    for (let i = 0, at = 10; i < count; i++, at += ENTRY) {
      const producerId = buf.readBigInt64BE(at);
      const lastSeq = buf.readInt32BE(at + 10);
      const lastOffset = buf.readBigInt64BE(at + 14);
      const delta = buf.readInt32BE(at + 22);
      const timestamp = buf.readBigInt64BE(at + 26);
      const txnFirst = buf.readBigInt64BE(at + 38);
      const batches: BatchMetadata[] =
        lastSeq >= 0
          ? [
              {
                firstSeq: Math.max(0, lastSeq - delta),
                lastSeq,
                firstOffset: lastOffset - BigInt(delta),
                lastOffset,
                timestamp,
              },
            ]
          : [];
      this.producers.set(producerId, {
        producerId,
        epoch: buf.readInt16BE(at + 8),
        batches,
        coordinatorEpoch: buf.readInt32BE(at + 34),
        currentTxnFirstOffset: txnFirst,
        // Expiry counts from the load: the snapshot's timestamps are record times, not write times.
        lastTimestamp: now,
      });
      if (txnFirst >= 0n) this.unstable.set(producerId, txnFirst);
    }
    return true;
  }
}
