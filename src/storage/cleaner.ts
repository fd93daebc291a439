/**
 * The log cleaner (log compaction) for logs whose cleanup.policy includes "compact".
 *
 * A log is split at its cleaner point (first dirty offset, kept in cleaner-offset-checkpoint) into a
 * clean part and a dirty part. The cleanable range ends at the first uncleanable offset: the active
 * segment, the last stable offset, or the first segment younger than min.compaction.lag.ms. A log is
 * cleaned when dirty / (clean + dirty) bytes >= min.cleanable.dirty.ratio, when its oldest dirty data
 * is older than max.compaction.lag.ms, or when a tombstone's delete horizon has passed. The dirtiest
 * log goes first, one at a time, on a timer (log.cleaner.backoff.ms): never on the append path.
 *
 * A clean: (1) a header pass classifies transactional batches (committed, aborted, still open) from
 * their markers; (2) a pass over the dirty range maps each key to its last offset; (3) each group of
 * segments up to segment.bytes is copied into `<base>.log.cleaned` keeping, per record, only the
 * latest value of its key; aborted transactions' records go whatever their key; tombstones and
 * markers with no data left get a delete horizon (now + delete.retention.ms, KIP-534: the batch's
 * base timestamp with attribute bit 6) and are dropped on a later clean once it has passed; a
 * producer's last batch is kept, emptied if need be, so sequence numbers stay continuous. Offsets
 * are never changed (a rewritten batch keeps its base and last offset). (4) The cleaned files are
 * fsynced and renamed `.swap` (the `.log.swap` rename is the commit point), the replaced segments are
 * renamed `.deleted`, and the swap files take the final names. A crash before the commit leaves the
 * old segments; after it, recovery finishes the swap (PartitionLog.completeSwap).
 */
import { promises as fsp } from "node:fs";
import { ATTR, BATCH, readBatchHeader } from "../protocol/records/batch-header.js";
import { type OffsetCheckpoint, tpKey } from "./checkpoint.js";
import { compress, decompress } from "./codecs.js";
import { isCompacted } from "./config.js";
import {
  CLEANED_SUFFIX,
  fsyncDir,
  INDEX_SUFFIX,
  LOG_SUFFIX,
  SWAP_SUFFIX,
  segmentFile,
  TIME_INDEX_SUFFIX,
  TXN_INDEX_SUFFIX,
  unlinkQuiet,
} from "./files.js";
import type { PartitionLog } from "./log.js";
import type { Logger } from "./logger.js";
import {
  buildBatch,
  CONTROL_ABORT,
  controlTypeOf,
  encodeRecordFrom,
  forEachRecord,
  type RecordView,
} from "./records.js";
import { LogSegment, NO_TIMESTAMP, type ScannedBatch } from "./segment.js";

export interface CleanerOptions {
  /** log.cleaner.backoff.ms: pause between cleaning rounds. */
  backoffMs: number;
  /** log.cleaner.dedupe.buffer.size: memory for the key map (approximate). */
  dedupeBufferBytes: number;
}

export const DEFAULT_CLEANER_OPTIONS: CleanerOptions = {
  backoffMs: 15000,
  dedupeBufferBytes: 128 * 1024 * 1024,
};

export interface CleanStats {
  topic: string;
  partition: number;
  firstDirtyOffset: bigint;
  endOffset: bigint;
  segmentsIn: number;
  segmentsOut: number;
  bytesIn: number;
  bytesOut: number;
  recordsIn: number;
  recordsOut: number;
  ms: number;
}

export interface CleanableInfo {
  log: PartitionLog;
  firstDirtyOffset: bigint;
  firstUncleanableOffset: bigint;
  cleanBytes: number;
  dirtyBytes: number;
  ratio: number;
  forced: boolean;
}

/** The manager side the cleaner needs. */
export interface CleanerHost {
  all(): PartitionLog[];
  checkpointCleanerOffsets(): Promise<void>;
}

interface TxnInfo {
  /** Base offsets of data batches of aborted transactions. */
  aborted: Set<bigint>;
  /** Base offsets of transactional data batches with no marker seen (still open or beyond the scan). */
  open: Set<bigint>;
  /** Base offsets of markers of transactions whose status is known. */
  markers: Set<bigint>;
  /** Base offset of the last batch of each producer id in the scanned range. */
  lastBatchOfProducer: Map<bigint, bigint>;
}

const MAP_ENTRY_OVERHEAD = 48;
const WRITE_CHUNK = 1024 * 1024;

function isTxn(attrs: number): boolean {
  return (attrs & ATTR.TRANSACTIONAL) !== 0;
}
function isCtl(attrs: number): boolean {
  return (attrs & ATTR.CONTROL) !== 0;
}

export class LogCleaner {
  readonly opts: CleanerOptions;
  private readonly firstDirty = new Map<string, bigint>();
  /** Earliest delete horizon written or seen per log: a clean is due when it passes. */
  private readonly nextHorizon = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;
  private readonly busy = new Map<PartitionLog, Promise<void>>();
  readonly history: CleanStats[] = [];

  constructor(
    private readonly host: CleanerHost,
    private readonly logger: Logger,
    opts: Partial<CleanerOptions> = {},
    checkpoint: OffsetCheckpoint = new Map(),
  ) {
    this.opts = { ...DEFAULT_CLEANER_OPTIONS, ...opts };
    for (const [k, v] of checkpoint) this.firstDirty.set(k, v);
  }

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.cleanRound()
        .catch((e) => this.logger.warn({ err: String(e) }, "log cleaner round failed"))
        .finally(() => {
          this.running = undefined;
          this.schedule();
        });
    }, this.opts.backoffMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  forget(log: PartitionLog): void {
    this.firstDirty.delete(tpKey(log.topic, log.partition));
    this.nextHorizon.delete(tpKey(log.topic, log.partition));
  }

  checkpointEntries(): [string, number, bigint][] {
    const out: [string, number, bigint][] = [];
    for (const log of this.host.all()) {
      const v = this.firstDirty.get(tpKey(log.topic, log.partition));
      if (v !== undefined) out.push([log.topic, log.partition, v]);
    }
    return out;
  }

  firstDirtyOffset(log: PartitionLog): bigint {
    const v = this.firstDirty.get(tpKey(log.topic, log.partition));
    const start = log.logStartOffset;
    return v === undefined || v < start ? start : v;
  }

  /** Cleans every log that is due, dirtiest first, until none is. Returns the cleans done. */
  async cleanRound(now = Date.now()): Promise<CleanStats[]> {
    const done: CleanStats[] = [];
    const tried = new Set<PartitionLog>();
    for (;;) {
      if (this.stopped) break;
      const candidates: CleanableInfo[] = [];
      for (const log of this.host.all()) {
        if (tried.has(log) || log.isClosed || !isCompacted(log.config)) continue;
        const info = await this.cleanableInfo(log, now);
        if (
          info &&
          (info.forced || (info.dirtyBytes > 0 && info.ratio >= log.config.minCleanableDirtyRatio))
        ) {
          candidates.push(info);
        }
      }
      if (candidates.length === 0) break;
      candidates.sort((a, b) => (a.forced !== b.forced ? (a.forced ? -1 : 1) : b.ratio - a.ratio));
      const pick = candidates[0]!;
      tried.add(pick.log);
      const stats = await this.clean(pick.log, now);
      if (stats) done.push(stats);
    }
    return done;
  }

  /** Where the cleanable range ends and how dirty the log is; undefined when nothing is cleanable. */
  async cleanableInfo(log: PartitionLog, now: number): Promise<CleanableInfo | undefined> {
    const segs = log.segments;
    if (segs.length < 2) return undefined;
    const firstDirty = this.firstDirtyOffset(log);
    let uncleanable = segs[segs.length - 1]!.baseOffset;
    const lso = log.lastStableOffset;
    if (lso < uncleanable) uncleanable = lso;
    const lag = log.config.minCompactionLagMs;
    let forced = false;
    let cleanBytes = 0;
    let dirtyBytes = 0;
    let firstDirtySeen = false;
    for (let i = 0; i + 1 < segs.length; i++) {
      const seg = segs[i]!;
      const next = segs[i + 1]!;
      if (seg.baseOffset >= uncleanable) break;
      if (next.baseOffset <= firstDirty) {
        cleanBytes += seg.size;
        continue;
      }
      await seg.load();
      if (lag > 0 && seg.maxTimestamp !== NO_TIMESTAMP && Number(seg.maxTimestamp) > now - lag) {
        if (seg.baseOffset < uncleanable)
          uncleanable = seg.baseOffset > firstDirty ? seg.baseOffset : firstDirty;
        break;
      }
      if (!firstDirtySeen) {
        firstDirtySeen = true;
        const first = seg.firstBatchTimestamp ?? (await firstBatchTimestamp(seg));
        const maxLag = log.config.maxCompactionLagMs;
        if (
          first !== undefined &&
          first >= 0n &&
          maxLag < Number.MAX_SAFE_INTEGER &&
          now - Number(first) > maxLag
        ) {
          forced = true;
        }
      }
      dirtyBytes += seg.size;
    }
    if (uncleanable <= log.logStartOffset) return undefined;
    const horizon = this.nextHorizon.get(tpKey(log.topic, log.partition));
    if (horizon !== undefined && horizon <= now) forced = true;
    if (dirtyBytes === 0 && !forced) return undefined;
    const total = cleanBytes + dirtyBytes;
    return {
      log,
      firstDirtyOffset: firstDirty,
      firstUncleanableOffset: uncleanable,
      cleanBytes,
      dirtyBytes,
      ratio: total > 0 ? dirtyBytes / total : 0,
      forced: forced && (dirtyBytes > 0 || cleanBytes > 0),
    };
  }

  /** Cleans one log now (whatever its dirty ratio). Undefined when there is nothing to clean. */
  async clean(log: PartitionLog, now = Date.now()): Promise<CleanStats | undefined> {
    // One clean per log at a time (the timer's round and an explicit call could meet).
    while (this.busy.has(log)) await this.busy.get(log);
    let done!: () => void;
    this.busy.set(
      log,
      new Promise<void>((r) => {
        done = r;
      }),
    );
    try {
      return await this.cleanNow(log, now);
    } finally {
      this.busy.delete(log);
      done();
    }
  }

  private async cleanNow(log: PartitionLog, now: number): Promise<CleanStats | undefined> {
    const info = await this.cleanableInfo(log, now);
    if (!info) return undefined;
    const t0 = performance.now();
    const key = tpKey(log.topic, log.partition);
    const segs = log.segments;
    const U = info.firstUncleanableOffset;
    const sources = segs.filter((s, i) => i + 1 < segs.length && s.baseOffset < U);
    if (sources.length === 0) return undefined;
    for (const s of sources) await s.load();

    // (1) transactions
    const txns = await this.classifyTransactions(log, sources);
    // (2) key map over the dirty range
    const { map, end: E } = await this.buildOffsetMap(log, sources, info.firstDirtyOffset, U, txns);
    const toClean = sources.filter((s) => s.baseOffset < E);
    if (toClean.length === 0) return undefined;
    // (3) groups of segments, each written as one cleaned segment
    const groups = groupSegments(toClean, log.config.segmentBytes, log.config.segmentIndexBytes);
    const stats: CleanStats = {
      topic: log.topic,
      partition: log.partition,
      firstDirtyOffset: info.firstDirtyOffset,
      endOffset: E,
      segmentsIn: toClean.length,
      segmentsOut: groups.length,
      bytesIn: 0,
      bytesOut: 0,
      recordsIn: 0,
      recordsOut: 0,
      ms: 0,
    };
    const ctx: PassState = {
      map,
      end: E,
      now,
      deleteRetentionMs: log.config.deleteRetentionMs,
      txns,
      retainedTxnData: new Map(),
      minHorizon: Number.POSITIVE_INFINITY,
      stats,
    };
    for (const group of groups) {
      if (log.isClosed) return undefined;
      const ok = await this.cleanGroup(log, group, ctx);
      if (!ok) {
        this.logger.info(
          { topic: log.topic, partition: log.partition },
          "clean abandoned: the log changed under it",
        );
        return undefined;
      }
    }
    this.firstDirty.set(key, E);
    if (Number.isFinite(ctx.minHorizon)) this.nextHorizon.set(key, ctx.minHorizon);
    else this.nextHorizon.delete(key);
    await this.host.checkpointCleanerOffsets();
    stats.ms = performance.now() - t0;
    this.history.push(stats);
    if (this.history.length > 100) this.history.shift();
    this.logger.info(
      {
        topic: log.topic,
        partition: log.partition,
        firstDirtyOffset: String(stats.firstDirtyOffset),
        endOffset: String(E),
        segments: `${stats.segmentsIn} -> ${stats.segmentsOut}`,
        bytes: `${stats.bytesIn} -> ${stats.bytesOut}`,
        records: `${stats.recordsIn} -> ${stats.recordsOut}`,
        ms: Math.round(stats.ms),
      },
      "cleaned log",
    );
    return stats;
  }

  /**
   * Classifies transactional batches from their markers: a marker closes its producer's open
   * transaction as committed or aborted. Transactions still open at the end of the sources are looked
   * for in the later segments (headers only); those never closed stay "open" and are kept whole.
   */
  private async classifyTransactions(log: PartitionLog, sources: LogSegment[]): Promise<TxnInfo> {
    const info: TxnInfo = {
      aborted: new Set(),
      open: new Set(),
      markers: new Set(),
      lastBatchOfProducer: new Map(),
    };
    const openByPid = new Map<bigint, bigint[]>();
    const visit = (b: ScannedBatch, inSources: boolean) => {
      const attrs = b.buf.readInt16BE(b.at + BATCH.ATTRIBUTES);
      const pid = b.buf.readBigInt64BE(b.at + BATCH.PRODUCER_ID);
      if (inSources && pid >= 0n) info.lastBatchOfProducer.set(pid, b.baseOffset);
      if (!isTxn(attrs)) return;
      if (isCtl(attrs)) {
        const list = openByPid.get(pid);
        openByPid.delete(pid);
        if (inSources) info.markers.add(b.baseOffset);
        if (list && controlTypeOf(b.buf, b.at, b.size) === CONTROL_ABORT)
          for (const o of list) info.aborted.add(o);
      } else if (inSources) {
        let list = openByPid.get(pid);
        if (!list) openByPid.set(pid, (list = []));
        list.push(b.baseOffset);
      }
    };
    for (const s of sources) for await (const b of s.batches()) visit(b, true);
    if (openByPid.size > 0) {
      const segs = log.segments;
      const later = segs.filter((s) => s.baseOffset > sources[sources.length - 1]!.baseOffset);
      const hw = log.highWatermark;
      for (const s of later) {
        if (openByPid.size === 0) break;
        await s.load();
        for await (const b of s.batches(0, s.size)) {
          if (b.baseOffset >= hw) break;
          visit(b, false);
          if (openByPid.size === 0) break;
        }
      }
    }
    for (const list of openByPid.values()) for (const o of list) info.open.add(o);
    return info;
  }

  /** Maps each key in [firstDirty, U) to its last offset, stopping at a segment end when memory runs out. */
  private async buildOffsetMap(
    log: PartitionLog,
    sources: LogSegment[],
    firstDirty: bigint,
    U: bigint,
    txns: TxnInfo,
  ): Promise<{ map: Map<string, number>; end: bigint }> {
    const map = new Map<string, number>();
    let bytes = 0;
    let end = firstDirty;
    for (let i = 0; i < sources.length; i++) {
      const seg = sources[i]!;
      const segEnd =
        i + 1 < sources.length
          ? sources[i + 1]!.baseOffset
          : log.segments[log.segments.indexOf(seg) + 1]?.baseOffset;
      if (segEnd !== undefined && segEnd <= firstDirty) continue;
      for await (const b of seg.batches()) {
        if (b.lastOffset < firstDirty) continue;
        if (b.baseOffset >= U) break;
        const attrs = b.buf.readInt16BE(b.at + BATCH.ATTRIBUTES);
        if (isCtl(attrs) || txns.aborted.has(b.baseOffset) || txns.open.has(b.baseOffset)) continue;
        const recs = await recordsOf(b);
        if (!recs) continue;
        for (const r of recs.list) {
          if (r.keyLength < 0) continue;
          const off = b.baseOffset + BigInt(r.offsetDelta);
          if (off < firstDirty || off >= U) continue;
          const k = recs.buf.toString("latin1", r.keyStart, r.keyStart + r.keyLength);
          if (!map.has(k)) bytes += k.length + MAP_ENTRY_OVERHEAD;
          map.set(k, Number(off));
        }
      }
      end = segEnd !== undefined && segEnd < U ? segEnd : U;
      if (bytes > this.opts.dedupeBufferBytes) break;
    }
    return { map, end };
  }

  /** Writes one group's cleaned segment and swaps it in. False when the log changed meanwhile. */
  private async cleanGroup(log: PartitionLog, group: LogSegment[], ctx: PassState): Promise<boolean> {
    const base = group[0]!.baseOffset;
    const out = new LogSegment(log.dir, base, group[0]!.optionsForCleaner(), this.logger, CLEANED_SUFFIX);
    for (const p of out.paths()) await unlinkQuiet(p);
    out.initEmpty();
    const fh = await out.handle();
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let position = 0;
    const flush = async () => {
      if (pendingBytes === 0) return;
      const data = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
      let off = 0;
      while (off < data.length)
        off += (await fh.write(data, off, data.length - off, position + off)).bytesWritten;
      position += data.length;
      pending = [];
      pendingBytes = 0;
    };
    let outPos = 0;
    for (const seg of group) {
      ctx.stats.bytesIn += seg.size;
      for await (const b of seg.batches()) {
        const kept = await this.filterBatch(b, ctx);
        if (!kept) continue;
        out.trackBatch(
          outPos,
          kept.length,
          kept.readBigInt64BE(BATCH.BASE_OFFSET) + BigInt(kept.readInt32BE(BATCH.LAST_OFFSET_DELTA)),
          kept.readBigInt64BE(BATCH.MAX_TIMESTAMP),
        );
        outPos += kept.length;
        pending.push(kept);
        pendingBytes += kept.length;
        if (pendingBytes >= WRITE_CHUNK) await flush();
      }
      for (const t of await seg.txnIndex.all()) await out.txnIndex.append(t);
    }
    await flush();
    out.size = outPos;
    out.reservedSize = outPos;
    await out.seal();
    await fh.datasync();
    await out.offsetIndex.sync();
    await out.timeIndex.sync();
    await out.txnIndex.sync();
    await out.close();
    ctx.stats.bytesOut += outPos;

    // (4) swap, excluding retention and DeleteRecords meanwhile
    return log.exclusive(async () => {
      const current = log.segments;
      if (log.isClosed || !group.every((s) => current.includes(s) && !s.deleted)) {
        for (const p of out.paths()) await unlinkQuiet(p);
        return false;
      }
      const dir = log.dir;
      for (const suf of [INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX]) {
        try {
          await fsp.rename(
            segmentFile(dir, base, suf + CLEANED_SUFFIX),
            segmentFile(dir, base, suf + SWAP_SUFFIX),
          );
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
        }
      }
      await fsp.rename(
        segmentFile(dir, base, LOG_SUFFIX + CLEANED_SUFFIX),
        segmentFile(dir, base, LOG_SUFFIX + SWAP_SUFFIX),
      );
      await fsyncDir(dir);
      await hook("after-swap-commit");
      await log.retireSegments(group);
      await hook("after-retire");
      for (const suf of [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX]) {
        try {
          await fsp.rename(segmentFile(dir, base, suf + SWAP_SUFFIX), segmentFile(dir, base, suf));
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
        }
      }
      await fsyncDir(dir);
      const fresh = new LogSegment(dir, base, group[0]!.optionsForCleaner(), this.logger);
      await fresh.load();
      log.replaceSegments(group, fresh);
      return true;
    });
  }

  /** The batch to write for `b` (the original bytes, a rewritten batch, or an empty one), or undefined to drop it. */
  private async filterBatch(b: ScannedBatch, ctx: PassState): Promise<Buffer | undefined> {
    const { buf, at, size } = b;
    const attrs = buf.readInt16BE(at + BATCH.ATTRIBUTES);
    const count = buf.readInt32BE(at + BATCH.RECORDS_COUNT);
    const pid = buf.readBigInt64BE(at + BATCH.PRODUCER_ID);
    ctx.stats.recordsIn += count;
    const original = () => {
      ctx.stats.recordsOut += count;
      return Buffer.from(buf.subarray(at, at + size));
    };
    if (b.baseOffset >= ctx.end) return original();
    const hasHorizon = (attrs & ATTR.DELETE_HORIZON) !== 0;
    const horizon = hasHorizon ? Number(buf.readBigInt64BE(at + BATCH.BASE_TIMESTAMP)) : undefined;

    if (isCtl(attrs)) {
      if (!ctx.txns.markers.has(b.baseOffset) || !isTxn(attrs)) return original();
      const hadData = ctx.retainedTxnData.get(pid) === true;
      ctx.retainedTxnData.delete(pid);
      if (hadData) return original();
      if (horizon === undefined) {
        const h = ctx.now + ctx.deleteRetentionMs;
        ctx.minHorizon = Math.min(ctx.minHorizon, h);
        const recs = await recordsOf(b);
        if (!recs) return original();
        ctx.stats.recordsOut += count;
        return rebuild(buf, at, recs, recs.list, h);
      }
      if (horizon <= ctx.now) return undefined;
      ctx.minHorizon = Math.min(ctx.minHorizon, horizon);
      return original();
    }
    if (ctx.txns.aborted.has(b.baseOffset)) return undefined;
    if (ctx.txns.open.has(b.baseOffset)) return original();
    const recs = await recordsOf(b);
    if (!recs) {
      if (isTxn(attrs)) ctx.retainedTxnData.set(pid, true);
      return original();
    }
    const horizonPassed = horizon !== undefined && horizon <= ctx.now;
    const kept: RecordView[] = [];
    let tombstones = false;
    for (const r of recs.list) {
      if (r.keyLength < 0) continue;
      const off = b.baseOffset + BigInt(r.offsetDelta);
      const k = recs.buf.toString("latin1", r.keyStart, r.keyStart + r.keyLength);
      const latest = ctx.map.get(k);
      if (latest !== undefined && latest > Number(off)) continue;
      if (r.valueLength < 0) {
        if (horizonPassed) continue;
        tombstones = true;
      }
      kept.push(r);
    }
    if (kept.length > 0 && isTxn(attrs)) ctx.retainedTxnData.set(pid, true);
    const newHorizon = tombstones && horizon === undefined ? ctx.now + ctx.deleteRetentionMs : undefined;
    if (tombstones) ctx.minHorizon = Math.min(ctx.minHorizon, newHorizon ?? horizon!);
    if (kept.length === recs.list.length && newHorizon === undefined) return original();
    ctx.stats.recordsOut += kept.length;
    if (kept.length === 0) {
      if (pid >= 0n && ctx.txns.lastBatchOfProducer.get(pid) === b.baseOffset) return emptyBatch(buf, at);
      return undefined;
    }
    return rebuild(buf, at, recs, kept, newHorizon ?? horizon);
  }
}

interface PassState {
  map: Map<string, number>;
  end: bigint;
  now: number;
  deleteRetentionMs: number;
  txns: TxnInfo;
  /** Per producer: whether data of its current transaction was kept in this pass. */
  retainedTxnData: Map<bigint, boolean>;
  minHorizon: number;
  stats: CleanStats;
}

interface DecodedRecords {
  /** Uncompressed records. */
  buf: Buffer;
  list: RecordView[];
  codec: number;
}

async function recordsOf(b: ScannedBatch): Promise<DecodedRecords | undefined> {
  const attrs = b.buf.readInt16BE(b.at + BATCH.ATTRIBUTES);
  const codec = attrs & ATTR.COMPRESSION_MASK;
  const count = b.buf.readInt32BE(b.at + BATCH.RECORDS_COUNT);
  try {
    const body = b.buf.subarray(b.at + BATCH.HEADER_SIZE, b.at + b.size);
    const plain = codec === 0 ? Buffer.from(body) : await decompress(codec, body);
    const list: RecordView[] = [];
    forEachRecord(plain, 0, plain.length, count, (r) => list.push(r));
    return { buf: plain, list, codec };
  } catch {
    return undefined;
  }
}

/** A batch holding `kept` records of the original, with the same base and last offset (Kafka's filterTo). */
async function rebuild(
  buf: Buffer,
  at: number,
  recs: DecodedRecords,
  kept: RecordView[],
  horizon: number | undefined,
): Promise<Buffer> {
  const attrs = buf.readInt16BE(at + BATCH.ATTRIBUTES);
  const origBaseTs = buf.readBigInt64BE(at + BATCH.BASE_TIMESTAMP);
  const logAppend = (attrs & ATTR.TIMESTAMP_TYPE) !== 0;
  const newBaseTs = horizon !== undefined ? BigInt(horizon) : origBaseTs;
  let maxTs = NO_TIMESTAMP;
  const parts: Buffer[] = [];
  for (const r of kept) {
    const ts = origBaseTs + BigInt(r.timestampDelta);
    if (ts > maxTs) maxTs = ts;
    parts.push(encodeRecordFrom(recs.buf, r, Number(ts - newBaseTs), r.offsetDelta));
  }
  if (logAppend) maxTs = buf.readBigInt64BE(at + BATCH.MAX_TIMESTAMP);
  let body = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  if (recs.codec !== 0) body = await compress(recs.codec, body);
  const h = readBatchHeader(buf, at);
  return buildBatch(
    {
      ...h,
      attributes: horizon !== undefined ? attrs | ATTR.DELETE_HORIZON : attrs,
      baseTimestamp: newBaseTs,
      maxTimestamp: maxTs,
      recordsCount: kept.length,
    },
    body,
  );
}

/** Kafka's empty batch header (kept for a producer's last batch so its sequence numbers stay known). */
function emptyBatch(buf: Buffer, at: number): Buffer {
  const h = readBatchHeader(buf, at);
  return buildBatch({ ...h, attributes: h.attributes & ~ATTR.COMPRESSION_MASK, recordsCount: 0 }, []);
}

async function firstBatchTimestamp(seg: LogSegment): Promise<bigint | undefined> {
  for await (const b of seg.batches(0, seg.size, 64 * 1024)) return b.maxTimestamp;
  return undefined;
}

/** Consecutive segments grouped so each group fits in one segment (size and index). */
export function groupSegments(segs: LogSegment[], maxBytes: number, maxIndexBytes: number): LogSegment[][] {
  const groups: LogSegment[][] = [];
  let cur: LogSegment[] = [];
  let bytes = 0;
  let indexBytes = 0;
  for (const s of segs) {
    const ib = s.loaded ? s.offsetIndex.sizeInBytes : 0;
    const span = cur.length > 0 ? s.nextOffset - cur[0]!.baseOffset : 0n;
    if (
      cur.length > 0 &&
      (bytes + s.size > maxBytes || indexBytes + ib > maxIndexBytes || span > 0x7fffffffn)
    ) {
      groups.push(cur);
      cur = [];
      bytes = 0;
      indexBytes = 0;
    }
    cur.push(s);
    bytes += s.size;
    indexBytes += ib;
  }
  if (cur.length > 0) groups.push(cur);
  return groups;
}

/** Test hook: lets a test crash the process at a given point of the swap. */
let hookFn: ((point: string) => Promise<void> | void) | undefined;
export function setCleanerHook(fn: ((point: string) => Promise<void> | void) | undefined): void {
  hookFn = fn;
}
async function hook(point: string): Promise<void> {
  if (hookFn) await hookFn(point);
}
