/**
 * The sparse per-segment indexes, in Kafka's file formats (protocol-notes section f):
 * - `.index`: 8-byte entries, int32 offset relative to the segment base (the last offset of the batch
 *   the entry points at, as Kafka writes it) and int32 byte position of that batch in the `.log`;
 * - `.timeindex`: 12-byte entries, int64 timestamp (largest seen so far) and int32 relative offset.
 *
 * Entries live in memory, in the file's own byte layout, and are appended to the file in batches
 * (Brook grows index files instead of preallocating and memory-mapping them). The active segment's
 * index is not fsynced on the hot path: a crash rebuilds every segment from the recovery point on.
 */
import { constants, promises as fsp } from "node:fs";

abstract class EntryIndex {
  protected buf: Buffer;
  /** Entries in memory. */
  entries = 0;
  /**
   * Entries already written to the file; -1 while no file was written, so that the first persist
   * creates it even with no entries (as Kafka, every segment has its index files: a sealed segment
   * smaller than index.interval.bytes would otherwise be re-indexed, with a warning, at each load).
   */
  private persisted = -1;
  private fh: fsp.FileHandle | undefined;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    readonly baseOffset: bigint,
    readonly entrySize: number,
    public maxEntries: number,
    initial?: Buffer,
  ) {
    if (initial) {
      this.buf = initial;
      this.entries = Math.floor(initial.length / entrySize);
      this.persisted = this.entries;
    } else {
      this.buf = Buffer.allocUnsafe(entrySize * 64);
    }
  }

  get isFull(): boolean {
    return this.entries >= this.maxEntries;
  }

  get sizeInBytes(): number {
    return this.entries * this.entrySize;
  }

  protected reserve(): number {
    const at = this.entries * this.entrySize;
    if (at + this.entrySize > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.entrySize * 64));
      this.buf.copy(next, 0, 0, at);
      this.buf = next;
    }
    return at;
  }

  /** Drops entries from `n` on (in memory; the file follows at the next persist). */
  truncateEntries(n: number): void {
    if (n < this.entries) {
      this.entries = n;
      if (this.persisted > n) this.persisted = -1; // file must be rewritten
    }
  }

  /** Writes the entries not yet in the file. Serialized per index. */
  persist(): Promise<void> {
    const run = async () => {
      if (this.persisted === this.entries) return;
      if (!this.fh) this.fh = await fsp.open(this.path, constants.O_RDWR | constants.O_CREAT, 0o644);
      if (this.persisted < 0) {
        await this.fh.truncate(0);
        this.persisted = 0;
      }
      const from = this.persisted * this.entrySize;
      const to = this.entries * this.entrySize;
      const n = this.entries;
      let off = from;
      while (off < to) {
        const { bytesWritten } = await this.fh.write(this.buf, off, to - off, off);
        off += bytesWritten;
      }
      // The file may hold stale entries past `to` after a truncation (rewritten above) or a rebuild.
      const st = await this.fh.stat();
      if (st.size > to) await this.fh.truncate(to);
      this.persisted = n;
    };
    const p = this.chain.then(run);
    this.chain = p.catch(() => {});
    return p;
  }

  /** Persists, then fsyncs the file. */
  async sync(): Promise<void> {
    await this.persist();
    const fh = this.fh;
    if (fh) await this.chain.then(() => fh.sync());
  }

  /** Rewrites the whole file from memory (after a rebuild). */
  async rewrite(): Promise<void> {
    this.persisted = -1;
    await this.persist();
  }

  async close(): Promise<void> {
    await this.chain;
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close();
  }

  /** Drops the in-memory copy's spare capacity (for inactive segments). */
  compact(): void {
    const len = this.entries * this.entrySize;
    if (this.buf.length > len + 4096) this.buf = Buffer.from(this.buf.subarray(0, len));
  }
}

export interface OffsetPosition {
  offset: bigint;
  position: number;
}

export class OffsetIndex extends EntryIndex {
  static readonly ENTRY_SIZE = 8;

  constructor(path: string, baseOffset: bigint, maxIndexBytes: number, initial?: Buffer) {
    super(path, baseOffset, OffsetIndex.ENTRY_SIZE, Math.max(1, Math.floor(maxIndexBytes / 8)), initial);
  }

  relativeOffset(i: number): number {
    return this.buf.readInt32BE(i * 8);
  }

  position(i: number): number {
    return this.buf.readInt32BE(i * 8 + 4);
  }

  entry(i: number): OffsetPosition {
    return { offset: this.baseOffset + BigInt(this.relativeOffset(i)), position: this.position(i) };
  }

  lastEntry(): OffsetPosition {
    if (this.entries === 0) return { offset: this.baseOffset, position: 0 };
    return this.entry(this.entries - 1);
  }

  append(offset: bigint, position: number): void {
    const at = this.reserve();
    this.buf.writeInt32BE(Number(offset - this.baseOffset), at);
    this.buf.writeInt32BE(position, at + 4);
    this.entries++;
  }

  /** Index of the last entry whose offset is <= target, or -1. */
  private floorIndex(target: bigint): number {
    const rel = target - this.baseOffset;
    if (rel < 0n) return -1;
    const r = rel > 0x7fffffffn ? 0x7fffffff : Number(rel);
    let lo = 0;
    let hi = this.entries - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.relativeOffset(mid) <= r) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }

  /**
   * Where to start scanning for `target`: the position of the batch whose last offset is the largest
   * indexed one <= target. That batch ends at or before target, so the scan starts at or before the
   * batch containing target. (Base offset and position 0 when there is no such entry.)
   */
  lookup(target: bigint): OffsetPosition {
    const i = this.floorIndex(target);
    if (i < 0) return { offset: this.baseOffset, position: 0 };
    return this.entry(i);
  }

  /** Drops entries with offset >= `offset`. */
  truncateTo(offset: bigint): void {
    this.truncateEntries(this.floorIndex(offset - 1n) + 1);
  }

  /** Drops entries pointing at or past `position`. */
  truncateToPosition(position: number): void {
    let n = this.entries;
    while (n > 0 && this.position(n - 1) >= position) n--;
    this.truncateEntries(n);
  }

  /** Kafka's sanity check: whole entries, offsets and positions increasing, positions inside the log. */
  sane(logSize: number): boolean {
    let prevRel = -1;
    let prevPos = -1;
    for (let i = 0; i < this.entries; i++) {
      const rel = this.relativeOffset(i);
      const pos = this.position(i);
      if (rel <= prevRel || pos <= prevPos || pos >= logSize || rel < 0) return false;
      prevRel = rel;
      prevPos = pos;
    }
    return true;
  }
}

export interface TimestampOffset {
  timestamp: bigint;
  offset: bigint;
}

export class TimeIndex extends EntryIndex {
  static readonly ENTRY_SIZE = 12;

  constructor(path: string, baseOffset: bigint, maxIndexBytes: number, initial?: Buffer) {
    super(path, baseOffset, TimeIndex.ENTRY_SIZE, Math.max(1, Math.floor(maxIndexBytes / 12)), initial);
  }

  timestamp(i: number): bigint {
    return this.buf.readBigInt64BE(i * 12);
  }

  entry(i: number): TimestampOffset {
    return {
      timestamp: this.timestamp(i),
      offset: this.baseOffset + BigInt(this.buf.readInt32BE(i * 12 + 8)),
    };
  }

  lastEntry(): TimestampOffset | undefined {
    return this.entries === 0 ? undefined : this.entry(this.entries - 1);
  }

  /** Appends when the timestamp is larger than the last entry's (timestamps only go up in a time index). */
  maybeAppend(timestamp: bigint, offset: bigint): void {
    if (this.entries > 0) {
      const last = this.entry(this.entries - 1);
      if (timestamp <= last.timestamp || offset < last.offset) return;
    }
    if (this.isFull) return;
    const at = this.reserve();
    this.buf.writeBigInt64BE(timestamp, at);
    this.buf.writeInt32BE(Number(offset - this.baseOffset), at + 8);
    this.entries++;
  }

  /** The last entry whose timestamp is <= ts; undefined when ts is below every entry. */
  lookup(ts: bigint): TimestampOffset | undefined {
    let lo = 0;
    let hi = this.entries - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.timestamp(mid) <= ts) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans < 0 ? undefined : this.entry(ans);
  }

  /** Drops entries with offset >= `offset`. */
  truncateTo(offset: bigint): void {
    let n = this.entries;
    while (n > 0 && this.entry(n - 1).offset >= offset) n--;
    this.truncateEntries(n);
  }

  sane(): boolean {
    let prevTs = -(2n ** 63n);
    let prevRel = -1;
    for (let i = 0; i < this.entries; i++) {
      const ts = this.timestamp(i);
      const rel = this.buf.readInt32BE(i * 12 + 8);
      if (ts < prevTs || rel < prevRel || rel < 0) return false;
      prevTs = ts;
      prevRel = rel;
    }
    return true;
  }
}

/** Reads an index file; undefined when missing or not a whole number of entries. */
export async function readIndexFile(path: string, entrySize: number): Promise<Buffer | undefined> {
  try {
    const b = await fsp.readFile(path);
    if (b.length % entrySize !== 0) return undefined;
    return b;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}
