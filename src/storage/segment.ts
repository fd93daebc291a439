/**
 * One log segment: `<base>.log` (record batches as they arrived, after offset assignment) and its
 * sparse `.index`, `.timeindex` and `.txnindex`. Segments below the recovery point are opened lazily:
 * their indexes are read (and sanity-checked, rebuilt when bad) on first use.
 */
import { constants, promises as fsp, readSync } from "node:fs";
import { BATCH, verifyBatchCrc } from "../protocol/records/batch-header.js";
import { INDEX_SUFFIX, LOG_SUFFIX, segmentFile, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX } from "./files.js";
import { OffsetIndex, readIndexFile, TimeIndex } from "./indexes.js";
import type { Logger } from "./logger.js";
import { TransactionIndex } from "./txn-index.js";

/** Reads of at most this size within HOT_TAIL_BYTES of the segment end are done synchronously. */
const SYNC_READ_MAX = 64 * 1024;
const HOT_TAIL_BYTES = 4 * 1024 * 1024;

export const NO_TIMESTAMP = -1n;
const INT32_MAX = 0x7fffffff;

/** A batch seen while scanning a segment: `buf[at, at + size)` holds it, `position` is its place in the file. */
export interface ScannedBatch {
  buf: Buffer;
  at: number;
  size: number;
  position: number;
  baseOffset: bigint;
  lastOffset: bigint;
  maxTimestamp: bigint;
}

export interface SegmentOptions {
  indexIntervalBytes: number;
  segmentIndexBytes: number;
}

export interface RecoveryResult {
  validBytes: number;
  truncatedBytes: number;
  batches: number;
  reason?: string;
}

export class LogSegment {
  readonly logPath: string;
  readonly txnIndex: TransactionIndex;
  /** Bytes of the log that are written and readable. */
  size = 0;
  /** Bytes reserved by appends (written or in flight): where the next append goes. */
  reservedSize = 0;
  /** Offset after the last batch (exact once loaded). */
  nextOffset: bigint;
  maxTimestamp = NO_TIMESTAMP;
  /** Last offset of the batch holding maxTimestamp (Kafka's "shallow" offset of the max timestamp). */
  offsetOfMaxTimestamp: bigint;
  /** Max timestamp of the first batch (segment.ms rolls count from it). */
  firstBatchTimestamp: bigint | undefined;
  createdMs = Date.now();
  bytesSinceLastIndexEntry = 0;
  /** Data written but not yet fsynced. */
  dirty = false;
  /** No longer the active segment: its files are complete. */
  inactive = false;
  deleted = false;
  private offsetIdx: OffsetIndex | undefined;
  private timeIdx: TimeIndex | undefined;
  private fh: fsp.FileHandle | undefined;
  private opening: Promise<fsp.FileHandle> | undefined;
  /** Made by initEmpty: its log file may not exist yet, and the first open creates it. */
  private fresh = false;
  private loading: Promise<void> | undefined;

  constructor(
    readonly dir: string,
    readonly baseOffset: bigint,
    private opts: SegmentOptions,
    private readonly logger: Logger,
    suffix = "",
  ) {
    this.logPath = segmentFile(dir, baseOffset, LOG_SUFFIX + suffix);
    this.txnIndex = new TransactionIndex(segmentFile(dir, baseOffset, TXN_INDEX_SUFFIX + suffix));
    this.nextOffset = baseOffset;
    this.offsetOfMaxTimestamp = baseOffset;
    this.suffix = suffix;
  }

  private readonly suffix: string;

  get indexPath(): string {
    return segmentFile(this.dir, this.baseOffset, INDEX_SUFFIX + this.suffix);
  }

  get timeIndexPath(): string {
    return segmentFile(this.dir, this.baseOffset, TIME_INDEX_SUFFIX + this.suffix);
  }

  get loaded(): boolean {
    return this.offsetIdx !== undefined;
  }

  get offsetIndex(): OffsetIndex {
    if (!this.offsetIdx) throw new Error(`segment ${this.baseOffset} used before its indexes were loaded`);
    return this.offsetIdx;
  }

  get timeIndex(): TimeIndex {
    if (!this.timeIdx) throw new Error(`segment ${this.baseOffset} used before its indexes were loaded`);
    return this.timeIdx;
  }

  /** The options this segment was opened with (index interval and size). */
  optionsForCleaner(): SegmentOptions {
    return { ...this.opts };
  }

  updateOptions(opts: SegmentOptions): void {
    this.opts = opts;
  }

  /** A new, empty segment (its files are created by `handle()` on first write). */
  initEmpty(): void {
    this.fresh = true;
    this.offsetIdx = new OffsetIndex(this.indexPath, this.baseOffset, this.opts.segmentIndexBytes);
    this.timeIdx = new TimeIndex(this.timeIndexPath, this.baseOffset, this.opts.segmentIndexBytes);
    this.size = 0;
    this.reservedSize = 0;
    this.nextOffset = this.baseOffset;
  }

  /** The log file handle, opened read-write (created if missing). */
  /** The log file handle when it is already open. */
  get openHandle(): fsp.FileHandle | undefined {
    return this.fh;
  }

  handle(): Promise<fsp.FileHandle> {
    if (this.fh) return Promise.resolve(this.fh);
    // Only a new segment may create its file. An existing one whose file is gone was retired (the
    // cleaner swapped it out, retention deleted it) under a reader holding the old segment list:
    // creating an empty file there would leave a stray segment on disk and make the reader see a
    // file shorter than the segment. ENOENT instead sends the read to the current segments.
    const flags = this.fresh ? constants.O_RDWR | constants.O_CREAT : constants.O_RDWR;
    this.opening ??= fsp.open(this.logPath, flags, 0o644).then(
      (h) => {
        this.fh = h;
        this.opening = undefined;
        return h;
      },
      (e: unknown) => {
        this.opening = undefined;
        throw e;
      },
    );
    return this.opening;
  }

  async readAt(position: number, length: number, into?: Buffer): Promise<Buffer> {
    const fh = await this.handle();
    const buf = into ?? Buffer.allocUnsafe(length);
    let done = 0;
    if (length <= SYNC_READ_MAX && this.size - position <= HOT_TAIL_BYTES) {
      // A small read of what was just written (a consumer at the tail): in the page cache, so a
      // synchronous read is cheaper than a thread-pool round trip; colder reads stay async.
      while (done < length) {
        const n = readSync(fh.fd, buf, done, length - done, position + done);
        if (n === 0) break;
        done += n;
      }
      return done === buf.length ? buf : buf.subarray(0, done);
    }
    while (done < length) {
      const { bytesRead } = await fh.read(buf, done, length - done, position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done === buf.length ? buf : buf.subarray(0, done);
  }

  /**
   * Loads a segment below the recovery point: size from the file, indexes from their files when
   * they pass Kafka's sanity checks (else rebuilt by a validating scan), next offset from the last
   * index entry plus a short scan.
   */
  load(): Promise<void> {
    if (this.offsetIdx) return Promise.resolve();
    this.loading ??= this.doLoad();
    return this.loading;
  }

  private async doLoad(): Promise<void> {
    const fh = await this.handle();
    this.size = (await fh.stat()).size;
    this.reservedSize = this.size;
    const ib = await readIndexFile(this.indexPath, OffsetIndex.ENTRY_SIZE);
    const tb = await readIndexFile(this.timeIndexPath, TimeIndex.ENTRY_SIZE);
    const oi = ib && new OffsetIndex(this.indexPath, this.baseOffset, this.opts.segmentIndexBytes, ib);
    const ti = tb && new TimeIndex(this.timeIndexPath, this.baseOffset, this.opts.segmentIndexBytes, tb);
    if (!oi || !ti || !oi.sane(this.size) || !ti.sane()) {
      this.logger.warn(
        {
          segment: this.logPath,
          offsetIndex: ib ? ib.length : "missing",
          timeIndex: tb ? tb.length : "missing",
        },
        "rebuilding missing or corrupt index",
      );
      await this.recover();
      return;
    }
    this.offsetIdx = oi;
    this.timeIdx = ti;
    // Next offset: scan from the last indexed batch to the end of the file.
    const last = oi.lastEntry();
    let next = this.baseOffset;
    let ok = true;
    await this.scan(last.position, this.size, false, (b) => {
      if (b.baseOffset < this.baseOffset) {
        ok = false;
        return false;
      }
      next = b.lastOffset + 1n;
      return true;
    });
    if (!ok) {
      this.offsetIdx = undefined;
      this.timeIdx = undefined;
      this.logger.warn({ segment: this.logPath }, "index points at a bad batch; rebuilding");
      await this.recover();
      return;
    }
    this.nextOffset = next;
    const lt = ti.lastEntry();
    if (lt) {
      this.maxTimestamp = lt.timestamp;
      this.offsetOfMaxTimestamp = lt.offset;
    }
  }

  /**
   * Walks the batches in [from, to), calling `fn` for each whole batch whose length is plausible
   * (`fn` returns false to stop). With `validate`, a batch must also have magic 2 and a good CRC.
   * Returns the position after the last batch accepted: where the valid data ends.
   */
  async scan(
    from: number,
    to: number,
    validate: boolean,
    fn: (b: ScannedBatch) => boolean | undefined,
    chunkSize = 8 * 1024 * 1024,
  ): Promise<{ end: number; reason?: string }> {
    let chunk: Buffer | undefined;
    let chunkPos = 0;
    let chunkLen = 0;
    let pos = from;
    while (pos < to) {
      if (!chunk || pos < chunkPos || pos + BATCH.HEADER_SIZE > chunkPos + chunkLen) {
        chunk ??= Buffer.allocUnsafe(Math.min(chunkSize, Math.max(to - from, BATCH.HEADER_SIZE)));
        const n = Math.min(chunk.length, to - pos);
        const got = await this.readAt(pos, n, chunk.subarray(0, n));
        chunkPos = pos;
        chunkLen = got.length;
        if (chunkLen < BATCH.HEADER_SIZE) return { end: pos, reason: "truncated batch header" };
      }
      const at = pos - chunkPos;
      const size = chunk.readInt32BE(at + BATCH.LENGTH) + BATCH.LOG_OVERHEAD;
      if (size < BATCH.HEADER_SIZE || pos + size > to) {
        return {
          end: pos,
          reason: size < BATCH.HEADER_SIZE ? `bad batch length ${size}` : "truncated batch",
        };
      }
      let buf = chunk;
      let bat = at;
      if (at + size > chunkLen) {
        if (size > chunk.length) {
          buf = await this.readAt(pos, size);
          bat = 0;
          if (buf.length < size) return { end: pos, reason: "truncated batch" };
        } else {
          const n = Math.min(chunk.length, to - pos);
          const got = await this.readAt(pos, n, chunk.subarray(0, n));
          chunkPos = pos;
          chunkLen = got.length;
          bat = 0;
          if (chunkLen < size) return { end: pos, reason: "truncated batch" };
        }
      }
      if (validate) {
        const magic = buf.readInt8(bat + BATCH.MAGIC);
        if (magic !== 2) return { end: pos, reason: `bad magic ${magic}` };
        if (!verifyBatchCrc(buf, bat, size)) return { end: pos, reason: "CRC mismatch" };
      }
      const baseOffset = buf.readBigInt64BE(bat + BATCH.BASE_OFFSET);
      const delta = buf.readInt32BE(bat + BATCH.LAST_OFFSET_DELTA);
      if (validate && delta < 0) return { end: pos, reason: `bad lastOffsetDelta ${delta}` };
      const b: ScannedBatch = {
        buf,
        at: bat,
        size,
        position: pos,
        baseOffset,
        lastOffset: baseOffset + BigInt(delta),
        maxTimestamp: buf.readBigInt64BE(bat + BATCH.MAX_TIMESTAMP),
      };
      if (fn(b) === false) return { end: pos };
      pos += size;
    }
    return { end: pos };
  }

  /**
   * The batches in [from, to) one by one (for the cleaner and other background readers). Each
   * yielded view is valid until the next iteration. Stops at the first implausible length.
   */
  async *batches(from = 0, to = this.size, chunkSize = 1024 * 1024): AsyncGenerator<ScannedBatch> {
    let chunk = Buffer.allocUnsafe(Math.max(BATCH.HEADER_SIZE, Math.min(chunkSize, to - from)));
    let chunkPos = 0;
    let chunkLen = 0;
    let pos = from;
    while (pos + BATCH.HEADER_SIZE <= to) {
      if (pos < chunkPos || pos + BATCH.HEADER_SIZE > chunkPos + chunkLen) {
        const n = Math.min(chunk.length, to - pos);
        chunkLen = (await this.readAt(pos, n, chunk.subarray(0, n))).length;
        chunkPos = pos;
        if (chunkLen < BATCH.HEADER_SIZE) return;
      }
      let at = pos - chunkPos;
      const size = chunk.readInt32BE(at + BATCH.LENGTH) + BATCH.LOG_OVERHEAD;
      if (size < BATCH.HEADER_SIZE || pos + size > to) return;
      let buf: Buffer = chunk;
      if (at + size > chunkLen) {
        if (size > chunk.length) {
          buf = await this.readAt(pos, size);
          at = 0;
          if (buf.length < size) return;
        } else {
          chunk = Buffer.allocUnsafe(chunk.length); // the previous view may still be held by the caller
          const n = Math.min(chunk.length, to - pos);
          chunkLen = (await this.readAt(pos, n, chunk.subarray(0, n))).length;
          chunkPos = pos;
          at = 0;
          buf = chunk;
          if (chunkLen < size) return;
        }
      }
      const baseOffset = buf.readBigInt64BE(at + BATCH.BASE_OFFSET);
      yield {
        buf,
        at,
        size,
        position: pos,
        baseOffset,
        lastOffset: baseOffset + BigInt(buf.readInt32BE(at + BATCH.LAST_OFFSET_DELTA)),
        maxTimestamp: buf.readBigInt64BE(at + BATCH.MAX_TIMESTAMP),
      };
      pos += size;
    }
  }

  /**
   * Re-validates every batch (lengths, magic, CRC, offsets increasing and inside this segment),
   * truncates the log at the first bad one, and rebuilds the offset and time indexes from scratch.
   */
  async recover(): Promise<RecoveryResult> {
    const fh = await this.handle();
    const fileSize = (await fh.stat()).size;
    const oi = new OffsetIndex(this.indexPath, this.baseOffset, this.opts.segmentIndexBytes);
    const ti = new TimeIndex(this.timeIndexPath, this.baseOffset, this.opts.segmentIndexBytes);
    let next = this.baseOffset;
    let maxTs = NO_TIMESTAMP;
    let maxTsOffset = this.baseOffset;
    let first: bigint | undefined;
    let since = 0;
    let batches = 0;
    let reason: string | undefined;
    const { end, reason: scanReason } = await this.scan(0, fileSize, true, (b) => {
      if (b.baseOffset < next || b.lastOffset - this.baseOffset > BigInt(INT32_MAX)) {
        reason = `offset ${b.baseOffset} out of order (expected >= ${next})`;
        return false;
      }
      if (b.maxTimestamp > maxTs) {
        maxTs = b.maxTimestamp;
        maxTsOffset = b.lastOffset;
      }
      first ??= b.maxTimestamp;
      if (since > this.opts.indexIntervalBytes) {
        oi.append(b.lastOffset, b.position);
        ti.maybeAppend(maxTs, maxTsOffset);
        since = 0;
      }
      since += b.size;
      next = b.lastOffset + 1n;
      batches++;
      return true;
    });
    reason ??= scanReason;
    if (end < fileSize) await fh.truncate(end);
    if (maxTs !== NO_TIMESTAMP) ti.maybeAppend(maxTs, maxTsOffset);
    this.offsetIdx = oi;
    this.timeIdx = ti;
    this.size = end;
    this.reservedSize = end;
    this.nextOffset = next;
    this.maxTimestamp = maxTs;
    this.offsetOfMaxTimestamp = maxTsOffset;
    this.firstBatchTimestamp = first;
    this.bytesSinceLastIndexEntry = since;
    await oi.rewrite();
    await ti.rewrite();
    await this.txnIndex.truncateTo(next);
    return { validBytes: end, truncatedBytes: fileSize - end, batches, ...(reason ? { reason } : {}) };
  }

  /**
   * Accounts for a batch placed at `position` (the caller has reserved the bytes): index entries
   * every index.interval.bytes, max timestamp, next offset.
   */
  trackBatch(position: number, size: number, lastOffset: bigint, maxTimestamp: bigint): void {
    if (maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = maxTimestamp;
      this.offsetOfMaxTimestamp = lastOffset;
    }
    this.firstBatchTimestamp ??= maxTimestamp;
    if (this.bytesSinceLastIndexEntry > this.opts.indexIntervalBytes) {
      this.offsetIndex.append(lastOffset, position);
      this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
      this.bytesSinceLastIndexEntry = 0;
    }
    this.bytesSinceLastIndexEntry += size;
    this.nextOffset = lastOffset + 1n;
  }

  /** Undoes reservations past `position` / offsets from `offset` (a failed write). */
  rollbackTo(position: number, offset: bigint): void {
    this.reservedSize = position;
    this.size = Math.min(this.size, position);
    this.nextOffset = offset;
    this.offsetIndex.truncateTo(offset);
    this.timeIndex.truncateTo(offset);
    const last = this.timeIndex.lastEntry();
    this.maxTimestamp = last ? last.timestamp : NO_TIMESTAMP;
    this.offsetOfMaxTimestamp = last ? last.offset : this.baseOffset;
    this.bytesSinceLastIndexEntry = 0;
  }

  /** Would appending these bytes/offsets need a new segment first? Returns the reason, or undefined. */
  shouldRoll(
    bytes: number,
    maxTimestampInBatches: bigint,
    lastOffset: bigint,
    now: number,
    segmentBytes: number,
    segmentMs: number,
    batches: number,
  ): string | undefined {
    if (this.reservedSize === 0) {
      return lastOffset - this.baseOffset > BigInt(INT32_MAX) ? "offset overflow" : undefined;
    }
    if (this.reservedSize > segmentBytes - bytes) return "segment.bytes";
    const waited =
      this.firstBatchTimestamp !== undefined && this.firstBatchTimestamp >= 0n
        ? Number(maxTimestampInBatches - this.firstBatchTimestamp)
        : now - this.createdMs;
    if (waited > segmentMs) return "segment.ms";
    if (this.offsetIndex.entries + batches >= this.offsetIndex.maxEntries) return "offset index full";
    if (this.timeIndex.entries + batches >= this.timeIndex.maxEntries) return "time index full";
    if (lastOffset - this.baseOffset > BigInt(INT32_MAX)) return "offset overflow";
    return undefined;
  }

  /** Called when the segment stops being the active one: final time index entry, trimmed index files. */
  async seal(): Promise<void> {
    this.inactive = true;
    if (this.maxTimestamp !== NO_TIMESTAMP)
      this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
    await this.offsetIndex.persist();
    await this.timeIndex.persist();
    this.offsetIndex.compact();
    this.timeIndex.compact();
  }

  /** fdatasync of the log; with `full`, indexes are written and synced too. */
  async sync(full: boolean): Promise<void> {
    const fh = await this.handle();
    await fh.datasync();
    if (full) {
      await this.offsetIndex.sync();
      await this.timeIndex.sync();
      await this.txnIndex.sync();
    }
  }

  /** Writes the in-memory index entries to their files (clean shutdown, roll). */
  async persistIndexes(): Promise<void> {
    if (!this.offsetIdx) return;
    if (this.maxTimestamp !== NO_TIMESTAMP)
      this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
    await this.offsetIndex.persist();
    await this.timeIndex.persist();
  }

  async close(): Promise<void> {
    await this.offsetIdx?.close();
    await this.timeIdx?.close();
    await this.txnIndex.whenIdle();
    const fh = this.fh ?? (this.opening ? await this.opening.catch(() => undefined) : undefined);
    this.fh = undefined;
    await fh?.close();
  }

  /** File paths of this segment that exist or may exist. */
  paths(): string[] {
    return [this.logPath, this.indexPath, this.timeIndexPath, this.txnIndex.path];
  }

  /**
   * The position to start reading `target` from: the first batch whose last offset is >= target,
   * searched from the offset index entry at or below it. Undefined when no batch in [0, limit) has it.
   */
  async findBatch(
    target: bigint,
    limit: number,
    from?: number,
  ): Promise<{ position: number; size: number; baseOffset: bigint } | undefined> {
    await this.load();
    let pos = from ?? this.offsetIndex.lookup(target).position;
    if (pos >= limit) pos = 0;
    const probe = Buffer.allocUnsafe(Math.min(64 * 1024, Math.max(limit - pos, BATCH.HEADER_SIZE)));
    while (pos + BATCH.HEADER_SIZE <= limit) {
      const n = Math.min(probe.length, limit - pos);
      const got = await this.readAt(pos, n, probe.subarray(0, n));
      // The file is shorter than the segment claims (replaced under this reader): nothing to find.
      if (got.length < BATCH.HEADER_SIZE) return undefined;
      let at = 0;
      while (at + BATCH.HEADER_SIZE <= got.length) {
        const size = got.readInt32BE(at + BATCH.LENGTH) + BATCH.LOG_OVERHEAD;
        if (size < BATCH.HEADER_SIZE || pos + at + size > limit) return undefined;
        const base = got.readBigInt64BE(at + BATCH.BASE_OFFSET);
        const last = base + BigInt(got.readInt32BE(at + BATCH.LAST_OFFSET_DELTA));
        if (last >= target) return { position: pos + at, size, baseOffset: base };
        at += size;
      }
      pos += at;
    }
    return undefined;
  }

  /**
   * Whole batches from the batch holding `target` on: at most maxBytes, but at least the first batch
   * when minOneBatch; only batches with base offset < maxOffset. Undefined when the segment has no
   * batch at or after target below `limit`.
   */
  async read(
    target: bigint,
    maxBytes: number,
    maxOffset: bigint,
    minOneBatch: boolean,
  ): Promise<{ data: Buffer; next: bigint } | undefined> {
    await this.load();
    const limit = this.size;
    const budget = Math.max(maxBytes, 0);
    // Where a previous read ended (a consumer reading on) is known exactly; otherwise one read from
    // the index entry's position usually holds both the batch with `target` (at most about
    // index.interval.bytes plus one batch after it) and the bytes to return.
    const hint = this.readHints.get(target);
    let pos = hint !== undefined && hint < limit ? hint : this.offsetIndex.lookup(target).position;
    if (pos >= limit) pos = 0;
    const slack = hint !== undefined ? 0 : 2 * this.opts.indexIntervalBytes + 16 * 1024;
    const buf = await this.readAt(pos, Math.min(limit - pos, budget + slack));
    let s = 0;
    let found = false;
    while (s + BATCH.HEADER_SIZE <= buf.length) {
      const size = buf.readInt32BE(s + BATCH.LENGTH) + BATCH.LOG_OVERHEAD;
      if (size < BATCH.HEADER_SIZE) return undefined;
      const base = buf.readBigInt64BE(s + BATCH.BASE_OFFSET);
      if (base + BigInt(buf.readInt32BE(s + BATCH.LAST_OFFSET_DELTA)) >= target) {
        found = true;
        break;
      }
      if (s + size > buf.length) break;
      s += size;
    }
    let r: { data: Buffer; next: bigint; position: number };
    if (!found) {
      // The batch is further than the first read reached: search from there.
      const start = await this.findBatch(target, limit, pos + s);
      if (!start) return undefined;
      r = await this.readFrom(
        start.position,
        start.size,
        start.baseOffset,
        budget,
        maxOffset,
        minOneBatch,
        limit,
      );
    } else {
      const firstSize = buf.readInt32BE(s + BATCH.LENGTH) + BATCH.LOG_OVERHEAD;
      const firstBase = buf.readBigInt64BE(s + BATCH.BASE_OFFSET);
      if (firstSize > budget && s + firstSize <= buf.length) {
        // Larger than maxBytes but already read: the one batch a read must return anyway.
        if (firstBase >= maxOffset || !minOneBatch) return { data: Buffer.alloc(0), next: firstBase };
        r = this.wholeBatches(buf, s, s + firstSize, firstBase, maxOffset, pos);
      } else if (s + firstSize > buf.length || firstSize > budget) {
        r = await this.readFrom(pos + s, firstSize, firstBase, budget, maxOffset, minOneBatch, limit);
      } else {
        r = this.wholeBatches(buf, s, Math.min(buf.length, s + budget), firstBase, maxOffset, pos);
      }
    }
    if (r.data.length > 0) this.rememberReadEnd(r.next, r.position + r.data.length);
    return { data: r.data, next: r.next };
  }

  /** Offset -> file position of batches where reads ended: the next sequential read starts there. */
  private readonly readHints = new Map<bigint, number>();

  private rememberReadEnd(offset: bigint, position: number): void {
    if (this.readHints.size >= 256) this.readHints.delete(this.readHints.keys().next().value!);
    this.readHints.set(offset, position);
  }

  private async readFrom(
    position: number,
    firstSize: number,
    firstBase: bigint,
    budget: number,
    maxOffset: bigint,
    minOneBatch: boolean,
    limit: number,
  ): Promise<{ data: Buffer; next: bigint; position: number }> {
    if (firstBase >= maxOffset) return { data: Buffer.alloc(0), next: firstBase, position };
    let want = Math.min(budget, limit - position);
    if (want < firstSize) {
      if (!minOneBatch) return { data: Buffer.alloc(0), next: firstBase, position };
      want = firstSize;
    }
    const data = await this.readAt(position, want);
    return this.wholeBatches(data, 0, data.length, firstBase, maxOffset, position);
  }

  /** The whole batches of buf[from, end) that start below maxOffset (`bufPos`: file position of buf[0]). */
  private wholeBatches(
    buf: Buffer,
    from: number,
    end: number,
    firstBase: bigint,
    maxOffset: bigint,
    bufPos: number,
  ): { data: Buffer; next: bigint; position: number } {
    let at = from;
    let next = firstBase;
    while (at + BATCH.HEADER_SIZE <= end) {
      const size = buf.readInt32BE(at + BATCH.LENGTH) + BATCH.LOG_OVERHEAD;
      if (size < BATCH.HEADER_SIZE || at + size > end) break;
      const base = buf.readBigInt64BE(at + BATCH.BASE_OFFSET);
      if (base >= maxOffset) break;
      next = base + BigInt(buf.readInt32BE(at + BATCH.LAST_OFFSET_DELTA)) + 1n;
      at += size;
    }
    return { data: buf.subarray(from, at), next, position: bufPos + from };
  }
}
