/**
 * PartitionLog: one partition's log on disk (a directory of segments), the append path with group
 * commit, reads, lookups by timestamp, retention, and recovery on open.
 *
 * Concurrency (one event loop, async file I/O):
 * - `append` validates and assigns offsets synchronously, patches the caller's buffer in place
 *   (base offset, leader epoch, LogAppendTime) and queues it. Offset assignment order is queue order.
 * - One writer drains the queue: every append queued while a write is in flight goes out in the next
 *   `writev`, at its reserved position. Data becomes readable when its write completes.
 * - Durable appends (acks=all) wait for a sync. One sync (fdatasync of each dirty segment) runs at a
 *   time and covers every write completed before it started: that is the group commit.
 * - The high watermark is the end of written data, held back at the first durable append still
 *   waiting for its fsync, so a consumer never sees data that an acks=all producer could lose.
 */
import { promises as fsp, writevSync } from "node:fs";
import { join } from "node:path";
import {
  ATTR,
  BATCH,
  type BatchHeader,
  readBatchHeader,
  setBaseOffset,
  setPartitionLeaderEpoch,
  writeBatchCrc,
} from "../protocol/records/batch-header.js";
import { decodeEndTxnMarker, encodeEndTxnMarker } from "../protocol/records/control.js";
import { decodeRecordBatchSync } from "../protocol/records/record-batch.js";
import { decompress } from "./codecs.js";
import { isDeleteRetained, type LogConfig } from "./config.js";
import { StorageError, StorageErrorCode } from "./errors.js";
import {
  CLEANED_SUFFIX,
  DELETED_SUFFIX,
  INDEX_SUFFIX,
  LOG_SUFFIX,
  parseSegmentName,
  SWAP_SUFFIX,
  segmentFile,
  TIME_INDEX_SUFFIX,
  SNAPSHOT_SUFFIX,
  TXN_INDEX_SUFFIX,
  fsyncDir,
  unlinkQuiet,
} from "./files.js";
import { LeaderEpochCache } from "./leader-epoch.js";
import { type Logger, NOOP_LOGGER } from "./logger.js";
import { forEachRecord } from "./records.js";
import { LogSegment, NO_TIMESTAMP, type ScannedBatch } from "./segment.js";
import type { AbortedTxn } from "./txn-index.js";
import { type CompletedTxn, type DuplicateBatch, ProducerStateManager } from "./producer-state.js";
import { checkDeferredRecords, type ValidatedBatch, validateBatches } from "./validate.js";

export interface AppendOptions {
  /** acks=-1: resolve only after the data is fsynced (group commit). */
  durable: boolean;
  /** Written into partitionLeaderEpoch (default: the log's current epoch, 0 on a fresh log). */
  leaderEpoch?: number;
  /** Milliseconds; LogAppendTime and segment.ms use it. */
  now?: number;
  /** Called for each batch after Brook's checks; throwing a StorageError rejects the whole append. */
  validate?: (header: BatchHeader, pos: number) => void;
  /** Accept control batches (transaction markers): for the transaction coordinator only. */
  allowControl?: boolean;
  /** "client" (default): Kafka's produce checks (base offset 0). "internal": coordinator appends. */
  origin?: "client" | "internal";
  /** Called synchronously for each batch once its offsets are assigned (before it is written). */
  onAssign?: (batch: { baseOffset: bigint; lastOffset: bigint; header: BatchHeader; pos: number }) => void;
}

/** A transaction marker to append (see PartitionLog.appendTxnMarker). */
export interface TxnMarkerAppend {
  producerId: bigint;
  producerEpoch: number;
  coordinatorEpoch: number;
  commit: boolean;
  now?: number;
}

export interface AppendResult {
  baseOffset: bigint;
  lastOffset: bigint;
  /** The broker's append time for LogAppendTime topics, -1n for CreateTime. */
  logAppendTime: bigint;
  logStartOffset: bigint;
}

export interface ReadOptions {
  /** Only batches with base offset below this (HW by default; LSO for read_committed). */
  maxOffset?: bigint;
  /** Return the first batch even when it is larger than maxBytes (default true). */
  minOneBatch?: boolean;
}

export interface ReadResult {
  /** Whole batches, in order; joined they are the records field of a Fetch response. */
  records: Buffer[];
  highWatermark: bigint;
  lastStableOffset: bigint;
  logStartOffset: bigint;
}

export interface PartitionLogOpenOptions {
  dir: string;
  topic: string;
  partition: number;
  config: LogConfig;
  logger?: Logger;
  /** Offset up to which the log was fsynced (from recovery-point-offset-checkpoint); 0 = recover all. */
  recoveryPoint?: bigint;
  /** From log-start-offset-checkpoint. */
  logStartOffset?: bigint;
  /** The log dir was shut down cleanly: no recovery scan. */
  cleanShutdown?: boolean;
  topicId?: string;
}

/** What opening a log did, for logs and tests. */
export interface RecoveryReport {
  segments: number;
  recoveredSegments: number;
  truncatedBytes: number;
  deletedSegments: number;
  rebuiltIndexes: number;
  ms: number;
}

interface PendingWrite {
  segment: LogSegment;
  buf: Buffer;
  position: number;
  baseOffset: bigint;
  endOffset: bigint;
  records: number;
  durable: boolean;
  resolve: () => void;
  reject: (e: Error) => void;
}

interface SyncWaiter {
  /** Offsets from here on are not visible (HW) until the sync completes; undefined for no barrier. */
  barrier: bigint | undefined;
  resolve: () => void;
  reject: (e: Error) => void;
}

const MAX_IOV = 1024;
const MAX_WRITE_BYTES = 64 * 1024 * 1024;

function oor(msg: string): StorageError {
  return new StorageError(StorageErrorCode.OFFSET_OUT_OF_RANGE, msg);
}

/**
 * Writes up to this size go out with a synchronous writev on the event loop: a page-cache write of
 * a few KiB costs microseconds, less than the two thread-pool hand-offs of an async write, and it
 * is what sets the produce-to-fetch latency at moderate rates (as Kafka's request threads write
 * directly). Larger writes keep the thread pool so a big batch never stalls other connections.
 */
const SYNC_WRITE_MAX = 64 * 1024;

async function writevAll(fh: fsp.FileHandle, bufs: Buffer[], position: number): Promise<void> {
  let total = 0;
  for (const b of bufs) total += b.length;
  let written = 0;
  if (total <= SYNC_WRITE_MAX) {
    let list = bufs;
    while (written < total) {
      const n = writevSync(fh.fd, list, position + written);
      if (n <= 0) throw new Error("write made no progress");
      written += n;
      if (written < total) list = [Buffer.concat(bufs).subarray(written)];
    }
    return;
  }
  let list = bufs;
  while (written < total) {
    const { bytesWritten } =
      list.length === 1
        ? await fh.write(list[0]!, 0, list[0]!.length, position + written)
        : await fh.writev(list, position + written);
    if (bytesWritten <= 0) throw new Error("write made no progress");
    written += bytesWritten;
    if (written >= total) break;
    // drop what was written, slice the partly written buffer
    let skip = bytesWritten;
    const rest: Buffer[] = [];
    for (const b of list) {
      if (skip >= b.length) skip -= b.length;
      else {
        rest.push(skip > 0 ? b.subarray(skip) : b);
        skip = 0;
      }
    }
    list = rest;
  }
}

export class PartitionLog {
  readonly topic: string;
  readonly partition: number;
  readonly dir: string;
  config: LogConfig;
  topicId: string | undefined;
  readonly logger: Logger;
  /** Segments in offset order; replaced (not mutated) when segments are removed or swapped. */
  segments: LogSegment[] = [];
  /** Statistics: syncs performed and appends they covered (for tests and the bench). */
  readonly stats = { syncs: 0, durableAppends: 0, writes: 0, appends: 0, duplicates: 0 };
  /** Set by the manager: persists the log start offset (DeleteRecords must survive a crash). */
  onLogStartOffsetChange: ((log: PartitionLog) => Promise<void>) | undefined;
  /** Set by the manager: told how long each group-commit fsync took, in seconds (metrics). */
  onSync: ((seconds: number) => void) | undefined;
  lastFlushMs = Date.now();
  recoveryReport: RecoveryReport | undefined;

  private nextOffset = 0n;
  private leo = 0n;
  private hw = 0n;
  private logStart = 0n;
  private recoveryPointOffset = 0n;
  private queue: PendingWrite[] = [];
  private writing = false;
  private writtenSegment: LogSegment | undefined;
  private writtenWaiters: { target: bigint; resolve: () => void }[] = [];
  private syncWaiters: SyncWaiter[] = [];
  /** Transactions whose marker has an offset but is not yet written and indexed. */
  private readonly pendingCompletions = new Set<Promise<void>>();
  private inFlightSync: SyncWaiter[] = [];
  private syncing = false;
  private syncAgain = false;
  private unflushedMessages = 0;
  private listeners = new Set<() => void>();
  private lsoProvider: (() => bigint) | undefined;
  /** Idempotent/transactional producers of this partition (sequence checks, open transactions). */
  readonly producers = new ProducerStateManager();
  private snapshotChain: Promise<void> = Promise.resolve();
  private failed: StorageError | undefined;
  private closed = false;
  private closing = false;
  private readonly epochs: LeaderEpochCache;
  private readonly deleteTimers = new Set<NodeJS.Timeout>();
  private readonly pendingDeletes = new Set<LogSegment>();
  /** Serializes structural changes (retention, DeleteRecords, cleaner swaps). */
  private structural: Promise<void> = Promise.resolve();

  private constructor(o: PartitionLogOpenOptions) {
    this.topic = o.topic;
    this.partition = o.partition;
    this.dir = o.dir;
    this.config = o.config;
    this.topicId = o.topicId;
    this.logger = o.logger ?? NOOP_LOGGER;
    this.epochs = new LeaderEpochCache(o.dir, this.logger);
  }

  // ---------------------------------------------------------------- offsets

  get logStartOffset(): bigint {
    return this.logStart;
  }

  /** Offset after the last written batch. */
  get logEndOffset(): bigint {
    return this.leo;
  }

  get highWatermark(): bigint {
    return this.hw;
  }

  /** min(high watermark, first offset of the earliest undecided transaction). */
  get lastStableOffset(): bigint {
    let lso = this.hw;
    let unstable = this.producers.firstUnstableOffset();
    // As Kafka: a transaction whose start was deleted (DeleteRecords, retention) holds the LSO at
    // the log start, not below it.
    if (unstable !== undefined && unstable < this.logStart) unstable = this.logStart;
    if (unstable !== undefined && unstable < lso) lso = unstable;
    if (this.lsoProvider) {
      const p = this.lsoProvider();
      if (p < lso) lso = p;
    }
    return lso;
  }

  /** Offset up to which everything is fsynced. */
  get recoveryPoint(): bigint {
    return this.recoveryPointOffset;
  }

  /** The offset the next append will get. */
  get nextAssignedOffset(): bigint {
    return this.nextOffset;
  }

  get activeSegment(): LogSegment {
    return this.segments[this.segments.length - 1]!;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  setLastStableOffsetProvider(fn: () => bigint): void {
    this.lsoProvider = fn;
  }

  onAppend(listener: () => void): () => void {
    const l = () => listener();
    this.listeners.add(l);
    return () => {
      this.listeners.delete(l);
    };
  }

  updateConfig(config: LogConfig): void {
    this.config = config;
    const opts = this.segmentOptions();
    for (const s of this.segments) s.updateOptions(opts);
  }

  sizeInBytes(): number {
    let n = 0;
    for (const s of this.segments) n += s.size;
    return n;
  }

  leaderEpochs(): { epoch: number; startOffset: bigint }[] {
    return this.epochs.list();
  }

  /** OffsetsForLeaderEpoch semantics (see LeaderEpochCache.endOffsetFor). */
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: bigint } | undefined {
    return this.epochs.endOffsetFor(epoch, this.leo);
  }

  private segmentOptions() {
    return {
      indexIntervalBytes: this.config.indexIntervalBytes,
      segmentIndexBytes: this.config.segmentIndexBytes,
    };
  }

  // ---------------------------------------------------------------- open / recovery

  static async open(o: PartitionLogOpenOptions): Promise<PartitionLog> {
    const log = new PartitionLog(o);
    await fsp.mkdir(o.dir, { recursive: true });
    await log.recover(o);
    await log.loadProducerState(o.cleanShutdown === true);
    return log;
  }

  private async recover(o: PartitionLogOpenOptions): Promise<void> {
    const t0 = performance.now();
    const report: RecoveryReport = {
      segments: 0,
      recoveredSegments: 0,
      truncatedBytes: 0,
      deletedSegments: 0,
      rebuiltIndexes: 0,
      ms: 0,
    };
    const names = await fsp.readdir(this.dir);
    // 1. Temporary files: .deleted and .cleaned go; a .log.swap is a committed clean to finish.
    const swaps: bigint[] = [];
    for (const name of names) {
      if (name.endsWith(DELETED_SUFFIX) || name.endsWith(CLEANED_SUFFIX) || name.endsWith(".tmp")) {
        await unlinkQuiet(join(this.dir, name));
      } else if (name.endsWith(LOG_SUFFIX + SWAP_SUFFIX)) {
        const p = parseSegmentName(name);
        if (p) swaps.push(p.base);
      }
    }
    for (const name of names) {
      // Swap files without a complete .log.swap belong to a clean that never committed.
      if (name.endsWith(SWAP_SUFFIX) && !swaps.some((b) => name.startsWith(String(b).padStart(20, "0")))) {
        await unlinkQuiet(join(this.dir, name));
      }
    }
    for (const base of swaps) await this.completeSwap(base, report);

    // 2. Segments, by base offset; index files without a log are orphans.
    const after = await fsp.readdir(this.dir);
    const bases: bigint[] = [];
    const logs = new Set<string>();
    for (const name of after) {
      const p = parseSegmentName(name);
      if (p && p.suffix === LOG_SUFFIX) {
        bases.push(p.base);
        logs.add(name.slice(0, 20));
      }
    }
    for (const name of after) {
      const p = parseSegmentName(name);
      if (
        p &&
        (p.suffix === INDEX_SUFFIX || p.suffix === TIME_INDEX_SUFFIX || p.suffix === TXN_INDEX_SUFFIX)
      ) {
        if (!logs.has(name.slice(0, 20))) await unlinkQuiet(join(this.dir, name));
      }
    }
    bases.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const opts = this.segmentOptions();
    this.segments = bases.map((b) => new LogSegment(this.dir, b, opts, this.logger));
    for (const s of this.segments) {
      s.size = (await fsp.stat(s.logPath)).size;
      s.reservedSize = s.size;
    }
    await this.epochs.load();

    if (this.segments.length === 0) {
      const base = o.logStartOffset && o.logStartOffset > 0n ? o.logStartOffset : 0n;
      const seg = new LogSegment(this.dir, base, opts, this.logger);
      seg.initEmpty();
      await (await seg.handle()).sync();
      await fsyncDir(this.dir);
      this.segments = [seg];
    } else {
      // 3. Recovery: every segment from the one holding the recovery point on is re-validated.
      const rp = o.cleanShutdown ? undefined : (o.recoveryPoint ?? 0n);
      let from = this.segments.length;
      if (rp !== undefined) {
        from = 0;
        for (let i = 0; i < this.segments.length; i++) if (this.segments[i]!.baseOffset <= rp) from = i;
      }
      for (let i = from; i < this.segments.length; i++) {
        const seg = this.segments[i]!;
        const prevNext = i > 0 ? this.segments[i - 1]!.nextOffset : undefined;
        const r = await seg.recover();
        report.recoveredSegments++;
        let bad = r.truncatedBytes > 0;
        let reason = r.reason;
        if (prevNext !== undefined && this.segments[i - 1]!.loaded && seg.baseOffset < prevNext) {
          bad = true;
          reason = `segment base ${seg.baseOffset} overlaps the previous segment (ends at ${prevNext})`;
        }
        if (r.truncatedBytes > 0) {
          report.truncatedBytes += r.truncatedBytes;
          this.logger.warn(
            {
              topic: this.topic,
              partition: this.partition,
              segment: seg.logPath,
              validBytes: r.validBytes,
              truncatedBytes: r.truncatedBytes,
              reason,
            },
            "recovery truncated a torn or corrupt log tail",
          );
        }
        if (bad && i < this.segments.length - 1) {
          const drop = this.segments.slice(i + 1);
          this.segments = this.segments.slice(0, i + 1);
          for (const d of drop) {
            report.deletedSegments++;
            for (const p of d.paths()) await unlinkQuiet(p);
          }
          this.logger.warn(
            { topic: this.topic, partition: this.partition, deleted: drop.map((d) => String(d.baseOffset)) },
            "recovery deleted the segments after a corrupt one",
          );
          break;
        }
      }
      const active = this.activeSegment;
      if (!active.loaded) {
        await active.load();
        if (active.size > 0 && active.firstBatchTimestamp === undefined)
          await this.loadFirstBatchTimestamp(active);
      }
      if (report.recoveredSegments > 0) await fsyncDir(this.dir);
    }
    const active = this.activeSegment;
    this.nextOffset = active.nextOffset;
    this.leo = this.nextOffset;
    this.hw = this.leo;
    this.writtenSegment = active;
    const first = this.segments[0]!.baseOffset;
    let start = o.logStartOffset !== undefined && o.logStartOffset > first ? o.logStartOffset : first;
    if (start > this.leo) start = this.leo;
    this.logStart = start;
    const rp = o.cleanShutdown ? this.leo : (o.recoveryPoint ?? 0n);
    this.recoveryPointOffset = rp < this.leo ? rp : this.leo;
    if (o.cleanShutdown) this.recoveryPointOffset = this.leo;
    this.epochs.truncateFromEnd(this.leo);
    if (this.epochs.latestEpoch !== undefined) this.epochs.truncateFromStart(this.logStart);
    report.segments = this.segments.length;
    report.ms = performance.now() - t0;
    this.recoveryReport = report;
    if (report.recoveredSegments > 0) {
      this.logger.info(
        {
          topic: this.topic,
          partition: this.partition,
          recoveredSegments: report.recoveredSegments,
          truncatedBytes: report.truncatedBytes,
          deletedSegments: report.deletedSegments,
          logEndOffset: String(this.leo),
          ms: Math.round(report.ms),
        },
        "recovered log",
      );
    }
  }

  private async loadFirstBatchTimestamp(seg: LogSegment): Promise<void> {
    await seg.scan(0, Math.min(seg.size, 1 << 20), false, (b) => {
      seg.firstBatchTimestamp = b.maxTimestamp;
      return false;
    });
  }

  /**
   * Finishes a clean that crashed after its `.log.swap` was complete: the segments it replaces
   * (base offsets within the swap's offset range) are removed and the swap files take their names.
   */
  private async completeSwap(base: bigint, report: RecoveryReport): Promise<void> {
    const swap = new LogSegment(this.dir, base, this.segmentOptions(), this.logger, SWAP_SUFFIX);
    const r = await swap.recover();
    const end = swap.nextOffset;
    await swap.close();
    const names = await fsp.readdir(this.dir);
    for (const name of names) {
      const p = parseSegmentName(name);
      if (!p || p.suffix !== LOG_SUFFIX) continue;
      if (p.base >= base && (p.base < end || p.base === base)) {
        for (const suf of [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX]) {
          await unlinkQuiet(segmentFile(this.dir, p.base, suf));
        }
        report.deletedSegments++;
      }
    }
    for (const suf of [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX]) {
      try {
        await fsp.rename(segmentFile(this.dir, base, suf + SWAP_SUFFIX), segmentFile(this.dir, base, suf));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      }
    }
    await fsyncDir(this.dir);
    this.logger.warn(
      {
        topic: this.topic,
        partition: this.partition,
        base: String(base),
        end: String(end),
        batches: r.batches,
      },
      "completed an interrupted cleaner swap",
    );
  }

  // ---------------------------------------------------------------- append

  private checkWritable(): void {
    if (this.closed || this.closing) {
      throw new StorageError(
        StorageErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        `partition ${this.topic}-${this.partition} is closed`,
      );
    }
    if (this.failed) throw this.failed;
  }

  async append(batches: Buffer, opts: AppendOptions): Promise<AppendResult> {
    this.checkWritable();
    const config = this.config;
    const v = validateBatches(batches, config, opts, `${this.topic}-${this.partition}`);
    if (v.deferred.length > 0) {
      await checkDeferredRecords(batches, v);
      this.checkWritable();
    }
    const now = opts.now ?? Date.now();
    // Producer state is checked here and updated in the assignment loop below, with no await in
    // between, so checks and offsets follow one order.
    const markers = this.checkProducers(batches, v.batches, opts.origin ?? "client");
    if (markers instanceof Promise) return markers;
    const logAppendTime = config.messageTimestampType === "LogAppendTime";
    const epoch = opts.leaderEpoch ?? this.epochs.latestEpoch ?? 0;
    let offsets = 0n;
    let maxTs = NO_TIMESTAMP;
    for (const b of v.batches) {
      offsets += BigInt(b.header.lastOffsetDelta) + 1n;
      if (b.header.maxTimestamp > maxTs) maxTs = b.header.maxTimestamp;
    }
    if (logAppendTime) maxTs = BigInt(now);

    let seg = this.activeSegment;
    const reason = seg.shouldRoll(
      batches.length,
      maxTs,
      this.nextOffset + offsets - 1n,
      now,
      config.segmentBytes,
      config.segmentMs,
      v.batches.length,
    );
    if (reason) seg = this.roll(reason);

    const position = seg.reservedSize;
    const baseOffset = this.nextOffset;
    let next = baseOffset;
    const completed: CompletedTxn[] = [];
    for (let i = 0; i < v.batches.length; i++) {
      const b = v.batches[i]!;
      const p = b.pos;
      setBaseOffset(batches, p, next);
      setPartitionLeaderEpoch(batches, p, epoch);
      let batchMaxTs = b.header.maxTimestamp;
      const attrs = b.header.attributes;
      if (logAppendTime) {
        batches.writeInt16BE(attrs | ATTR.TIMESTAMP_TYPE, p + BATCH.ATTRIBUTES);
        batches.writeBigInt64BE(BigInt(now), p + BATCH.MAX_TIMESTAMP);
        writeBatchCrc(batches, p, b.size);
        batchMaxTs = BigInt(now);
      } else if ((attrs & ATTR.TIMESTAMP_TYPE) !== 0) {
        batches.writeInt16BE(attrs & ~ATTR.TIMESTAMP_TYPE, p + BATCH.ATTRIBUTES);
        writeBatchCrc(batches, p, b.size);
      }
      const last = next + BigInt(b.header.lastOffsetDelta);
      seg.trackBatch(position + p, b.size, last, batchMaxTs);
      opts.onAssign?.({ baseOffset: next, lastOffset: last, header: b.header, pos: p });
      const h = b.header;
      if (h.producerId >= 0n) {
        const m = markers[i];
        if (m) {
          completed.push(
            this.producers.applyMarker(
              h.producerId,
              h.producerEpoch,
              m.coordinatorEpoch,
              m.commit,
              next,
              now,
            ),
          );
        } else if ((attrs & ATTR.CONTROL) === 0) this.producers.applyDataBatch(h, next, last, now);
      }
      next = last + 1n;
    }
    seg.reservedSize += batches.length;
    this.nextOffset = next;
    this.epochs.assign(epoch, baseOffset);
    this.stats.appends++;
    if (opts.durable) this.stats.durableAppends++;
    const result: AppendResult = {
      baseOffset,
      lastOffset: next - 1n,
      logAppendTime: logAppendTime ? BigInt(now) : -1n,
      logStartOffset: this.logStart,
    };
    const written = new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({
        segment: seg,
        buf: batches,
        position,
        baseOffset,
        endOffset: next,
        records: v.records,
        durable: opts.durable,
        resolve: () => {
          result.logStartOffset = this.logStart;
          resolve(result);
        },
        reject,
      });
      if (!this.writing) {
        this.writing = true;
        void this.drain();
      }
    });
    if (completed.length === 0) return written;
    const done = this.completeTransactions(written, completed);
    const settled = done.then(
      () => undefined,
      () => undefined,
    );
    this.pendingCompletions.add(settled);
    void settled.then(() => this.pendingCompletions.delete(settled));
    return done;
  }

  /**
   * Checks the producer state of each batch (before offsets are assigned). Returns the transaction
   * markers among the batches (by index), or — when a batch duplicates one already written — the
   * answer to give instead of appending (Kafka answers a duplicate with the original offsets).
   */
  private checkProducers(
    buf: Buffer,
    list: ValidatedBatch[],
    origin: "client" | "internal",
  ): Array<EndTxnMarkerInfo | null> | Promise<AppendResult> {
    const markers: Array<EndTxnMarkerInfo | null> = [];
    for (const b of list) {
      const h = b.header;
      let marker: EndTxnMarkerInfo | null = null;
      if (h.producerId >= 0n) {
        if ((h.attributes & ATTR.CONTROL) !== 0) {
          marker = readEndTxnMarker(buf, b.pos, b.size);
          if (marker) this.producers.checkMarker(h.producerId, h.producerEpoch, marker.coordinatorEpoch);
        } else {
          const transactional = (h.attributes & ATTR.TRANSACTIONAL) !== 0;
          const dup = this.producers.checkDataBatch(h, origin === "client", transactional);
          if (dup) return this.answerDuplicate(dup);
        }
      }
      markers.push(marker);
    }
    return markers;
  }

  /** The answer to a duplicate batch: the original's offsets, once the original is written. */
  private async answerDuplicate(d: DuplicateBatch): Promise<AppendResult> {
    this.stats.duplicates++;
    if (this.leo <= d.lastOffset) {
      await new Promise<void>((resolve) => this.writtenWaiters.push({ target: d.lastOffset + 1n, resolve }));
    }
    return {
      baseOffset: d.firstOffset,
      lastOffset: d.lastOffset,
      // Kafka answers a duplicate with the timestamp its producer state kept for the batch (the
      // append time, or the batch's max timestamp under CreateTime), whatever the timestamp type.
      logAppendTime: d.timestamp,
      logStartOffset: this.logStart,
    };
  }

  /**
   * After markers are written: an aborted transaction goes into the segment's .txnindex, and only then
   * does the transaction stop holding back the LSO (a read_committed fetch past the marker must find
   * it in the index). Read-committed fetchers are woken as the LSO moves.
   */
  private async completeTransactions(
    written: Promise<AppendResult>,
    completed: CompletedTxn[],
  ): Promise<AppendResult> {
    try {
      const r = await written;
      for (const t of completed) await this.indexCompletedTxn(t);
      return r;
    } finally {
      for (const t of completed) this.producers.finishCompletion(t);
      this.notifyListeners();
    }
  }

  private async indexCompletedTxn(t: CompletedTxn): Promise<void> {
    if (!t.aborted) return;
    await this.appendAbortedTxn({
      producerId: t.producerId,
      firstOffset: t.firstOffset,
      lastOffset: t.lastOffset,
      lastStableOffset: this.producers.lastStableOffsetAfter(t),
    });
  }

  /**
   * Appends a COMMIT or ABORT marker for a producer's transaction (the single-node WriteTxnMarkers),
   * durably; resolves once it is fsynced and the transaction is settled on this partition.
   */
  appendTxnMarker(m: TxnMarkerAppend): Promise<AppendResult> {
    const now = m.now ?? Date.now();
    const batch = encodeEndTxnMarker({
      producerId: m.producerId,
      producerEpoch: m.producerEpoch,
      coordinatorEpoch: m.coordinatorEpoch,
      commit: m.commit,
      timestamp: now,
    });
    return this.append(batch, { durable: true, allowControl: true, origin: "internal", now });
  }

  // ---------------------------------------------------------------- producer state snapshots

  /** Writes `<offset>.snapshot` (the state as of `offset`) and keeps the newest two. */
  private takeProducerSnapshot(offset: bigint): Promise<void> {
    const data = this.producers.encodeSnapshot();
    const run = async () => {
      const file = join(this.dir, `${offset.toString().padStart(20, "0")}${SNAPSHOT_SUFFIX}`);
      await fsp.writeFile(`${file}.tmp`, data);
      await fsp.rename(`${file}.tmp`, file);
      const all = await this.snapshotFiles();
      for (const old of all.slice(2)) await unlinkQuiet(old.path);
    };
    const p = this.snapshotChain.then(run).catch((e: unknown) => {
      this.logger.warn(
        { topic: this.topic, partition: this.partition, err: String(e) },
        "producer snapshot failed",
      );
    });
    this.snapshotChain = p;
    return p;
  }

  /** Snapshot files, newest first. */
  private async snapshotFiles(): Promise<Array<{ path: string; offset: bigint }>> {
    const out: Array<{ path: string; offset: bigint }> = [];
    for (const f of await fsp.readdir(this.dir)) {
      const m = /^(\d{20})\.snapshot$/.exec(f);
      if (m) out.push({ path: join(this.dir, f), offset: BigInt(m[1]!) });
    }
    return out.sort((a, b) => (a.offset < b.offset ? 1 : a.offset > b.offset ? -1 : 0));
  }

  /**
   * Rebuilds producer state at open: the newest valid snapshot at or below the log end, then every
   * batch after it. Aborted transactions met on the way are (re)recorded in the .txnindex, which a
   * crash may have lost with the unflushed tail.
   */
  private async loadProducerState(cleanShutdown: boolean): Promise<void> {
    const now = Date.now();
    let from = this.logStart;
    let loaded = false;
    for (const snap of await this.snapshotFiles()) {
      if (snap.offset > this.leo || snap.offset < this.logStart) {
        await unlinkQuiet(snap.path);
        continue;
      }
      if (this.producers.loadSnapshot(await fsp.readFile(snap.path), now)) {
        from = snap.offset;
        loaded = true;
        break;
      }
      this.logger.warn({ file: snap.path }, "ignoring a damaged producer snapshot");
      await unlinkQuiet(snap.path);
    }
    if (from >= this.leo) return;
    // A clean shutdown writes a snapshot; none at all means a data dir from before producer state
    // was kept: as Kafka does after a clean shutdown, start empty rather than scan the whole log.
    if (!loaded && cleanShutdown) return;
    let scanned = 0;
    for await (const b of this.batches(from, this.leo)) {
      const h = b.header;
      if (h.producerId < 0n) continue;
      scanned++;
      const last = h.baseOffset + BigInt(h.lastOffsetDelta);
      if ((h.attributes & ATTR.CONTROL) !== 0) {
        const m = readEndTxnMarker(b.batch, 0, b.batch.length);
        if (!m) continue;
        const t = this.producers.applyMarker(
          h.producerId,
          h.producerEpoch,
          m.coordinatorEpoch,
          m.commit,
          h.baseOffset,
          now,
        );
        if (t.aborted) {
          const known = await this.collectAbortedTransactions(t.lastOffset, t.lastOffset + 1n);
          if (!known.some((k) => k.producerId === t.producerId && k.lastOffset === t.lastOffset)) {
            await this.indexCompletedTxn(t).catch((e: unknown) =>
              this.logger.warn({ err: String(e) }, "could not re-index an aborted transaction"),
            );
          }
        }
        this.producers.finishCompletion(t);
      } else {
        this.producers.applyDataBatch(h, h.baseOffset, last, now);
      }
    }
    if (scanned > 0) {
      this.logger.info(
        {
          topic: this.topic,
          partition: this.partition,
          from: String(from),
          batches: scanned,
          producers: this.producers.size,
        },
        "rebuilt producer state",
      );
    }
  }

  /** Removes producers idle past producer.id.expiration.ms (called by the manager's timer). */
  expireProducers(now: number, expirationMs: number): number {
    return this.producers.expire(now, expirationMs);
  }

  private roll(reason: string): LogSegment {
    const prev = this.activeSegment;
    const seg = new LogSegment(this.dir, this.nextOffset, this.segmentOptions(), this.logger);
    seg.initEmpty();
    // As Kafka: a producer snapshot at each roll bounds the rescan at the next recovery. Not while a
    // marker awaits its .txnindex entry: a snapshot past that marker would keep the next start from
    // rescanning it, and an entry lost with a crash would never be rebuilt (the older snapshot stays).
    if (this.pendingCompletions.size === 0) void this.takeProducerSnapshot(this.nextOffset);
    this.segments.push(seg);
    this.logger.info(
      {
        topic: this.topic,
        partition: this.partition,
        base: String(seg.baseOffset),
        previousSize: prev.reservedSize,
        reason,
      },
      "rolled a new log segment",
    );
    return seg;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const first = this.queue[0]!;
        const seg = first.segment;
        let n = 0;
        let bytes = 0;
        while (
          n < this.queue.length &&
          n < MAX_IOV &&
          this.queue[n]!.segment === seg &&
          (n === 0 || bytes + this.queue[n]!.buf.length <= MAX_WRITE_BYTES)
        ) {
          bytes += this.queue[n]!.buf.length;
          n++;
        }
        const group = this.queue.splice(0, n);
        if (seg !== this.writtenSegment) {
          const prev = this.writtenSegment;
          if (prev && !prev.deleted) {
            await prev.seal();
            // As Kafka flushes a rolled segment: sync it (and its indexes) in the background so the
            // recovery point reaches the new segment and a crash rescans only the active one.
            prev.dirty = true;
            this.requestSync();
          }
          await seg.handle();
          await fsyncDir(this.dir);
          this.writtenSegment = seg;
        }
        const fh = seg.openHandle ?? (await seg.handle());
        await writevAll(
          fh,
          group.map((g) => g.buf),
          first.position,
        );
        this.stats.writes++;
        seg.size = first.position + bytes;
        seg.dirty = true;
        const last = group[group.length - 1]!;
        this.leo = last.endOffset;
        let durable = false;
        for (const g of group) {
          this.unflushedMessages += g.records;
          if (g.durable) {
            durable = true;
            this.syncWaiters.push({ barrier: g.baseOffset, resolve: g.resolve, reject: g.reject });
          }
        }
        for (const g of group) if (!g.durable) g.resolve();
        if (this.writtenWaiters.length > 0) {
          const keep: typeof this.writtenWaiters = [];
          for (const w of this.writtenWaiters)
            if (w.target <= this.leo) w.resolve();
            else keep.push(w);
          this.writtenWaiters = keep;
        }
        this.updateHighWatermark();
        if (durable || this.unflushedMessages >= this.config.flushMessages) this.requestSync();
      }
    } catch (e) {
      this.fail(e);
    } finally {
      this.writing = false;
    }
  }

  private updateHighWatermark(): void {
    let hw = this.leo;
    const b =
      this.inFlightSync.find((w) => w.barrier !== undefined) ??
      this.syncWaiters.find((w) => w.barrier !== undefined);
    if (b?.barrier !== undefined && b.barrier < hw) hw = b.barrier;
    if (hw > this.hw) {
      this.hw = hw;
      this.notifyListeners();
    }
  }

  /** Wakes waiters (long-polling fetches) after the high watermark or the LSO moved. */
  private notifyListeners(): void {
    for (const l of this.listeners) {
      try {
        l();
      } catch (e) {
        this.logger.warn({ err: String(e) }, "onAppend listener threw");
      }
    }
  }

  private requestSync(): void {
    if (this.syncing) {
      this.syncAgain = true;
      return;
    }
    this.syncing = true;
    void this.runSyncs();
  }

  private async runSyncs(): Promise<void> {
    try {
      do {
        this.syncAgain = false;
        this.inFlightSync = this.syncWaiters;
        this.syncWaiters = [];
        const upTo = this.leo;
        const flushed = this.unflushedMessages;
        const dirty = this.segments.filter((s) => s.dirty);
        for (const s of dirty) s.dirty = false;
        const started = performance.now();
        await Promise.all(dirty.map((s) => s.sync(s.inactive)));
        this.onSync?.((performance.now() - started) / 1000);
        this.stats.syncs++;
        this.unflushedMessages -= flushed;
        if (upTo > this.recoveryPointOffset) this.recoveryPointOffset = upTo;
        this.lastFlushMs = Date.now();
        const done = this.inFlightSync;
        this.inFlightSync = [];
        for (const w of done) w.resolve();
        this.updateHighWatermark();
      } while (!this.failed && (this.syncAgain || this.syncWaiters.length > 0));
    } catch (e) {
      this.fail(e);
    } finally {
      this.syncing = false;
    }
  }

  private fail(e: unknown): void {
    if (!this.failed) {
      this.failed = new StorageError(
        StorageErrorCode.KAFKA_STORAGE_ERROR,
        `log ${this.topic}-${this.partition} failed: ${e instanceof Error ? e.message : String(e)}`,
      );
      this.logger.warn(
        { topic: this.topic, partition: this.partition, err: String(e) },
        "log failed; appends are refused until it is reopened",
      );
    }
    const err = this.failed;
    for (const g of this.queue.splice(0)) g.reject(err);
    for (const w of this.inFlightSync.splice(0)) w.reject(err);
    for (const w of this.syncWaiters.splice(0)) w.reject(err);
    for (const w of this.writtenWaiters.splice(0)) w.resolve();
  }

  /** Resolves once everything queued before the call is written (readable). */
  private whenWritten(): Promise<void> {
    const target = this.nextOffset;
    if (this.leo >= target || this.failed) return Promise.resolve();
    return new Promise((resolve) => this.writtenWaiters.push({ target, resolve }));
  }

  /** fsyncs everything appended before the call (flush.ms / flush.messages / explicit flushes). */
  async flush(): Promise<void> {
    if (this.failed) throw this.failed;
    await this.whenWritten();
    if (!this.segments.some((s) => s.dirty) && !this.syncing) return;
    await new Promise<void>((resolve, reject) => {
      this.syncWaiters.push({ barrier: undefined, resolve, reject });
      this.requestSync();
    });
  }

  /** Called by the manager's flush scheduler: flush when flush.ms has passed since the last one. */
  async maybeFlushByTime(now: number): Promise<void> {
    if (this.closed || this.failed) return;
    if (now - this.lastFlushMs >= this.config.flushMs && this.segments.some((s) => s.dirty))
      await this.flush();
  }

  // ---------------------------------------------------------------- read

  private segmentIndexFor(offset: bigint, segs: LogSegment[]): number {
    let lo = 0;
    let hi = segs.length - 1;
    let ans = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (segs[mid]!.baseOffset <= offset) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }

  async read(offset: bigint, maxBytes: number, opts: ReadOptions = {}): Promise<ReadResult> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.readOnce(offset, maxBytes, opts);
      } catch (e) {
        // A segment deleted or swapped under the read: look again (the log start may have moved).
        if (attempt < 2 && !(e instanceof StorageError) && !this.closed) continue;
        throw e;
      }
    }
  }

  private async readOnce(offset: bigint, maxBytes: number, opts: ReadOptions): Promise<ReadResult> {
    if (this.closed) {
      throw new StorageError(
        StorageErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        `partition ${this.topic}-${this.partition} is closed`,
      );
    }
    const start = this.logStart;
    const leo = this.leo;
    const hw = this.hw;
    if (offset < start || offset > leo) {
      throw oor(`offset ${offset} is out of range [${start}, ${leo}] for ${this.topic}-${this.partition}`);
    }
    let maxOffset = opts.maxOffset ?? hw;
    if (maxOffset > leo) maxOffset = leo;
    const result: ReadResult = {
      records: [],
      highWatermark: hw,
      lastStableOffset: this.lastStableOffset,
      logStartOffset: start,
    };
    if (offset >= maxOffset) return result;
    const minOne = opts.minOneBatch ?? true;
    const segs = this.segments;
    for (let i = this.segmentIndexFor(offset, segs); i < segs.length; i++) {
      const seg = segs[i]!;
      if (seg.baseOffset >= maxOffset) break;
      const r = await seg.read(offset, maxBytes, maxOffset, minOne);
      if (r === undefined) continue;
      if (r.data.length > 0) result.records.push(r.data);
      break;
    }
    return result;
  }

  /** Scans batches of visible data from the segment holding `from`; `fn` returns false to stop. */
  private async scanFrom(
    seg: LogSegment,
    position: number,
    fn: (b: ScannedBatch) => boolean | undefined,
  ): Promise<void> {
    await seg.scan(position, seg.size, false, fn, 256 * 1024);
  }

  /**
   * ListOffsets by timestamp: the first offset (>= log start, below the high watermark) whose record
   * timestamp is >= `timestamp`, with that timestamp; null when there is none.
   */
  async offsetForTimestamp(timestamp: bigint): Promise<{ offset: bigint; timestamp: bigint } | null> {
    const hw = this.hw;
    const startOffset = this.logStart;
    for (const seg of this.segments) {
      if (seg.baseOffset >= hw) break;
      await seg.load();
      if (seg.maxTimestamp < timestamp) continue;
      const te = seg.timeIndex.lookup(timestamp);
      const from = te && te.offset > startOffset ? te.offset : startOffset;
      let position = seg.offsetIndex.lookup(from).position;
      while (position < seg.size) {
        let hit: { batch: Buffer; position: number; baseOffset: bigint } | undefined;
        let stop = false;
        let nextPos = seg.size;
        await this.scanFrom(seg, position, (b) => {
          if (b.baseOffset >= hw) {
            stop = true;
            return false;
          }
          if (b.lastOffset >= startOffset && b.maxTimestamp >= timestamp) {
            hit = {
              batch: Buffer.from(b.buf.subarray(b.at, b.at + b.size)),
              position: b.position,
              baseOffset: b.baseOffset,
            };
            nextPos = b.position + b.size;
            return false;
          }
          return true;
        });
        if (!hit) break;
        const h = hit as { batch: Buffer; position: number; baseOffset: bigint };
        const found = await firstRecordAtOrAfter(h.batch, timestamp, startOffset);
        if (found) return found;
        if (stop) return null;
        position = nextPos;
      }
      if (seg.baseOffset >= hw) break;
    }
    return null;
  }

  /**
   * ListOffsets MAX_TIMESTAMP: the offset of the (first) record with the largest timestamp. As in
   * Kafka, records below the log start that are still in a segment (after DeleteRecords) count: Kafka
   * answers from each segment's remembered maximum.
   */
  async maxTimestamp(): Promise<{ offset: bigint; timestamp: bigint } | null> {
    const hw = this.hw;
    let best: LogSegment | undefined;
    for (const seg of this.segments) {
      if (seg.baseOffset >= hw) break;
      await seg.load();
      if (seg.size === 0 || seg.maxTimestamp === NO_TIMESTAMP) continue;
      if (!best || seg.maxTimestamp > best.maxTimestamp) best = seg;
    }
    if (!best) return null;
    const target = best.maxTimestamp;
    let batch: Buffer | undefined;
    await this.scanFrom(best, 0, (b) => {
      if (b.baseOffset >= hw) return false;
      if (b.maxTimestamp === target) {
        batch = Buffer.from(b.buf.subarray(b.at, b.at + b.size));
        return false;
      }
      return true;
    });
    if (!batch) return null;
    return firstRecordAtOrAfter(batch, target, -1n);
  }

  /**
   * Every batch from the one holding `fromOffset` up to `toOffset` (exclusive; the high watermark by
   * default), in order, for background readers such as the transaction layer rebuilding producer
   * state. `batch` is a view valid until the next iteration.
   */
  async *batches(
    fromOffset: bigint = this.logStart,
    toOffset: bigint = this.hw,
  ): AsyncGenerator<{ header: BatchHeader; batch: Buffer; position: number; segmentBase: bigint }> {
    const segs = this.segments;
    for (let i = this.segmentIndexFor(fromOffset, segs); i < segs.length; i++) {
      const seg = segs[i]!;
      if (seg.baseOffset >= toOffset) return;
      await seg.load();
      const start = seg.baseOffset < fromOffset ? seg.offsetIndex.lookup(fromOffset).position : 0;
      for await (const b of seg.batches(start, seg.size)) {
        if (b.baseOffset >= toOffset) return;
        if (b.lastOffset < fromOffset) continue;
        yield {
          header: readBatchHeader(b.buf, b.at),
          batch: b.buf.subarray(b.at, b.at + b.size),
          position: b.position,
          segmentBase: seg.baseOffset,
        };
      }
    }
  }

  // ---------------------------------------------------------------- transactions index

  /** Records an aborted transaction in the segment holding its marker (`lastOffset`). */
  async appendAbortedTxn(t: AbortedTxn): Promise<void> {
    const segs = this.segments;
    const seg = segs[this.segmentIndexFor(t.lastOffset, segs)]!;
    await seg.txnIndex.append(t);
    seg.dirty = true;
  }

  /**
   * Aborted transactions overlapping [startOffset, upperBoundOffset) (Fetch read_committed). An
   * entry lives in the segment of its ABORT marker, which can be any number of segments after the
   * fetched range (a transaction spanning rolls), so the walk goes on past `upperBoundOffset` until
   * an entry shows that every transaction begun below it had ended (its lastStableOffset is at or
   * past the bound), or the log ends.
   */
  async collectAbortedTransactions(startOffset: bigint, upperBoundOffset: bigint): Promise<AbortedTxn[]> {
    const segs = this.segments;
    const out: AbortedTxn[] = [];
    for (let i = this.segmentIndexFor(startOffset, segs); i < segs.length; i++) {
      const { entries, complete } = await segs[i]!.txnIndex.collect(startOffset, upperBoundOffset);
      out.push(...entries);
      if (complete) break;
    }
    return out;
  }

  // ---------------------------------------------------------------- retention / DeleteRecords

  /** Runs `fn` with structural changes excluded (retention, DeleteRecords, cleaner swaps). */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const prev = this.structural;
    let release!: () => void;
    this.structural = new Promise<void>((r) => {
      release = r;
    });
    await prev;
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /** DeleteRecords: moves the log start offset to `offset`, deleting whole segments below it. */
  async deleteRecordsBefore(offset: bigint): Promise<bigint> {
    if (this.closed) {
      throw new StorageError(
        StorageErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        `partition ${this.topic}-${this.partition} is closed`,
      );
    }
    if (offset > this.hw || offset < 0n) {
      throw oor(`cannot delete records before ${offset}: the high watermark is ${this.hw}`);
    }
    if (offset > this.logStart) {
      this.logStart = offset;
      this.epochs.truncateFromStart(offset);
      await this.onLogStartOffsetChange?.(this);
      await this.exclusive(() => this.deleteSegmentsBelowLogStart());
    }
    return this.logStart;
  }

  private async deleteSegmentsBelowLogStart(): Promise<number> {
    return this.deletePrefix((_seg, next) => next.baseOffset <= this.logStart, "log start offset breached");
  }

  /**
   * Deletes the longest prefix of non-active segments for which `pred` holds (and which are entirely
   * below the high watermark). Returns how many went.
   */
  private async deletePrefix(
    pred: (seg: LogSegment, next: LogSegment) => boolean | Promise<boolean>,
    reason: string,
  ): Promise<number> {
    const segs = this.segments;
    const victims: LogSegment[] = [];
    for (let i = 0; i + 1 < segs.length; i++) {
      const seg = segs[i]!;
      const next = segs[i + 1]!;
      if (next.baseOffset > this.hw) break;
      if (!(await pred(seg, next))) break;
      victims.push(seg);
    }
    if (victims.length === 0) return 0;
    await this.removeSegments(victims, reason);
    return victims.length;
  }

  /** Takes segments out of the log, renames their files `.deleted`, removes them after file.delete.delay.ms. */
  async removeSegments(victims: LogSegment[], reason: string): Promise<void> {
    const set = new Set(victims);
    this.segments = this.segments.filter((s) => !set.has(s));
    const newStart = this.segments[0]!.baseOffset;
    if (newStart > this.logStart) {
      this.logStart = newStart;
      this.epochs.truncateFromStart(newStart);
      await this.onLogStartOffsetChange?.(this);
    }
    for (const seg of victims) {
      // Readers that took the segment list before it changed read on through the open file.
      await seg.handle().catch(() => undefined);
      seg.deleted = true;
      for (const p of seg.paths()) {
        try {
          await fsp.rename(p, p + DELETED_SUFFIX);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
        }
      }
      this.scheduleDelete(seg);
    }
    this.logger.info(
      {
        topic: this.topic,
        partition: this.partition,
        segments: victims.map((s) => String(s.baseOffset)),
        logStartOffset: String(this.logStart),
        reason,
      },
      "deleted log segments",
    );
  }

  /** Cleaner: the replaced segments' files become `.deleted` (removed after file.delete.delay.ms). */
  async retireSegments(group: LogSegment[]): Promise<void> {
    for (const seg of group) {
      // Until replaceSegments, readers still find these segments in the list: they read on through
      // the open file after the rename (a segment never opened would otherwise be missing).
      await seg.handle().catch(() => undefined);
      seg.deleted = true;
      for (const p of seg.paths()) {
        try {
          await fsp.rename(p, p + DELETED_SUFFIX);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
        }
      }
    }
  }

  /**
   * Cleaner: `fresh` takes the place of `group` in the segment list; the retired files are removed
   * after file.delete.delay.ms from now, when no reader can still be starting on them.
   */
  replaceSegments(group: LogSegment[], fresh: LogSegment): void {
    const set = new Set(group);
    const out: LogSegment[] = [];
    let placed = false;
    for (const s of this.segments) {
      if (set.has(s)) {
        if (!placed) out.push(fresh);
        placed = true;
      } else out.push(s);
    }
    this.segments = out;
    for (const s of group) this.scheduleDelete(s);
  }

  private scheduleDelete(seg: LogSegment): void {
    this.pendingDeletes.add(seg);
    const t = setTimeout(
      () => {
        this.deleteTimers.delete(t);
        void this.finishDelete(seg);
      },
      Math.max(0, this.config.fileDeleteDelayMs),
    );
    t.unref();
    this.deleteTimers.add(t);
  }

  private async finishDelete(seg: LogSegment): Promise<void> {
    if (!this.pendingDeletes.delete(seg)) return;
    try {
      await seg.close();
      for (const p of seg.paths()) await unlinkQuiet(p + DELETED_SUFFIX);
    } catch (e) {
      this.logger.warn({ segment: seg.logPath, err: String(e) }, "could not remove a deleted segment");
    }
  }

  /** Retention by time and size (whole segments, never the active one) and by log start offset. */
  async deleteOldSegments(now = Date.now()): Promise<number> {
    if (this.closed) return 0;
    return this.exclusive(async () => {
      let n = await this.deleteSegmentsBelowLogStart();
      if (!isDeleteRetained(this.config)) return n;
      const { retentionMs, retentionBytes } = this.config;
      if (retentionMs >= 0) {
        n += await this.deletePrefix(async (seg) => {
          await seg.load();
          let ts = seg.maxTimestamp;
          if (ts === NO_TIMESTAMP) ts = BigInt(Math.floor((await fsp.stat(seg.logPath)).mtimeMs));
          return now - Number(ts) > retentionMs;
        }, `retention.ms ${retentionMs}`);
      }
      if (retentionBytes >= 0) {
        let diff = this.sizeInBytes() - retentionBytes;
        n += await this.deletePrefix((seg) => {
          if (diff - seg.size >= 0) {
            diff -= seg.size;
            return true;
          }
          return false;
        }, `retention.bytes ${retentionBytes}`);
      }
      return n;
    });
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Waits for queued writes, then (unless `flush: false`) fsyncs data and indexes so the next open
   * needs no recovery; closes files.
   */
  async close(opts: { flush?: boolean } = {}): Promise<void> {
    if (this.closed || this.closing) return;
    this.closing = true;
    if (!this.failed) await this.whenWritten();
    this.closed = true;
    const flush = opts.flush ?? true;
    if (flush && !this.failed) {
      while (this.syncing) await new Promise((r) => setTimeout(r, 1));
      for (const s of this.segments) if (s.loaded) await s.persistIndexes();
      for (const s of this.segments)
        if (s.loaded && (s.dirty || s === this.activeSegment)) await s.sync(true);
      this.recoveryPointOffset = this.leo;
      // Markers written and fsynced above are indexed before the snapshot that ends recovery.
      for (const w of this.syncWaiters.splice(0)) w.resolve();
      await Promise.all(this.pendingCompletions);
      await this.takeProducerSnapshot(this.leo);
    } else {
      while (this.syncing) await new Promise((r) => setTimeout(r, 1));
    }
    for (const w of this.syncWaiters.splice(0)) w.resolve();
    await this.epochs.whenWritten();
    await this.snapshotChain;
    for (const t of this.deleteTimers) clearTimeout(t);
    this.deleteTimers.clear();
    for (const seg of [...this.pendingDeletes]) await this.finishDelete(seg);
    for (const s of this.segments) await s.close();
    this.listeners.clear();
  }
}

/** The first record of a batch with offset >= minOffset and timestamp >= ts. */
async function firstRecordAtOrAfter(
  batch: Buffer,
  ts: bigint,
  minOffset: bigint,
): Promise<{ offset: bigint; timestamp: bigint } | null> {
  const base = batch.readBigInt64BE(BATCH.BASE_OFFSET);
  const attrs = batch.readInt16BE(BATCH.ATTRIBUTES);
  const maxTs = batch.readBigInt64BE(BATCH.MAX_TIMESTAMP);
  const count = batch.readInt32BE(BATCH.RECORDS_COUNT);
  const last = base + BigInt(batch.readInt32BE(BATCH.LAST_OFFSET_DELTA));
  if ((attrs & ATTR.TIMESTAMP_TYPE) !== 0) {
    if (maxTs < ts) return null;
    const off = base > minOffset ? base : minOffset;
    return off <= last ? { offset: off, timestamp: maxTs } : null;
  }
  const baseTs = batch.readBigInt64BE(BATCH.BASE_TIMESTAMP);
  let recs: Buffer;
  try {
    recs = await decompress(attrs & ATTR.COMPRESSION_MASK, batch.subarray(BATCH.HEADER_SIZE));
  } catch {
    // A codec storage cannot read: answer at batch granularity.
    const off = base > minOffset ? base : minOffset;
    return maxTs >= ts && off <= last ? { offset: off, timestamp: maxTs } : null;
  }
  let found: { offset: bigint; timestamp: bigint } | null = null;
  forEachRecord(recs, 0, recs.length, count, (r) => {
    if (found) return;
    const off = base + BigInt(r.offsetDelta);
    const rts = baseTs + BigInt(r.timestampDelta);
    if (off >= minOffset && rts >= ts) found = { offset: off, timestamp: rts };
  });
  return found;
}

interface EndTxnMarkerInfo {
  commit: boolean;
  coordinatorEpoch: number;
}

/** The COMMIT/ABORT marker a control batch carries, or null for other control records. */
function readEndTxnMarker(buf: Buffer, pos: number, size: number): EndTxnMarkerInfo | null {
  let m: ReturnType<typeof decodeEndTxnMarker>;
  try {
    m = decodeEndTxnMarker(decodeRecordBatchSync(buf.subarray(pos, pos + size)));
  } catch (e) {
    throw new StorageError(
      StorageErrorCode.CORRUPT_MESSAGE,
      `unreadable control batch: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  return m ? { commit: m.commit, coordinatorEpoch: m.coordinatorEpoch } : null;
}
