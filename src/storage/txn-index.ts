/**
 * The `.txnindex` of a segment: aborted transactions, 34-byte entries (int16 version 0, int64
 * producerId, int64 firstOffset, int64 lastOffset, int64 lastStableOffset), as Kafka's AbortedTxn.
 * The transaction layer appends entries when it writes an ABORT marker (lastOffset is the marker's
 * offset; the entry goes to the segment holding the marker) and Fetch (read_committed) collects the
 * entries overlapping the fetched range.
 */
import { constants, promises as fsp } from "node:fs";

export interface AbortedTxn {
  producerId: bigint;
  firstOffset: bigint;
  lastOffset: bigint;
  lastStableOffset: bigint;
}

export const TXN_ENTRY_SIZE = 34;

export function encodeAbortedTxn(t: AbortedTxn, buf = Buffer.allocUnsafe(TXN_ENTRY_SIZE), at = 0): Buffer {
  buf.writeInt16BE(0, at);
  buf.writeBigInt64BE(t.producerId, at + 2);
  buf.writeBigInt64BE(t.firstOffset, at + 10);
  buf.writeBigInt64BE(t.lastOffset, at + 18);
  buf.writeBigInt64BE(t.lastStableOffset, at + 26);
  return buf;
}

export function decodeAbortedTxns(buf: Buffer): AbortedTxn[] {
  const out: AbortedTxn[] = [];
  for (let at = 0; at + TXN_ENTRY_SIZE <= buf.length; at += TXN_ENTRY_SIZE) {
    if (buf.readInt16BE(at) !== 0) break;
    out.push({
      producerId: buf.readBigInt64BE(at + 2),
      firstOffset: buf.readBigInt64BE(at + 10),
      lastOffset: buf.readBigInt64BE(at + 18),
      lastStableOffset: buf.readBigInt64BE(at + 26),
    });
  }
  return out;
}

export class TransactionIndex {
  private entries: AbortedTxn[] | undefined;
  private loading: Promise<AbortedTxn[]> | undefined;
  private chain: Promise<void> = Promise.resolve();

  constructor(readonly path: string) {}

  private load(): Promise<AbortedTxn[]> {
    if (this.entries) return Promise.resolve(this.entries);
    this.loading ??= fsp
      .readFile(this.path)
      .then(decodeAbortedTxns, (e: NodeJS.ErrnoException) => {
        if (e.code === "ENOENT") return [];
        throw e;
      })
      .then((list) => (this.entries = list));
    return this.loading;
  }

  async all(): Promise<AbortedTxn[]> {
    return [...(await this.load())];
  }

  /** Appends an entry (written to the file before the promise resolves; fsynced by `sync`). */
  append(t: AbortedTxn): Promise<void> {
    const run = async () => {
      const list = await this.load();
      const last = list[list.length - 1];
      if (last && t.lastOffset < last.lastOffset) {
        throw new Error(
          `aborted txn lastOffset ${t.lastOffset} is below the previous entry's ${last.lastOffset}`,
        );
      }
      const fh = await fsp.open(
        this.path,
        constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND,
        0o644,
      );
      try {
        await fh.write(encodeAbortedTxn(t));
      } finally {
        await fh.close();
      }
      list.push(t);
    };
    const p = this.chain.then(run);
    this.chain = p.catch(() => {});
    return p;
  }

  /**
   * Entries whose transaction overlaps [fetchOffset, upperBoundOffset); `complete` when an entry's
   * lastStableOffset reaches the bound: every transaction begun below the bound had ended by that
   * marker, so later segments can hold no entry for the range.
   */
  async collect(
    fetchOffset: bigint,
    upperBoundOffset: bigint,
  ): Promise<{ entries: AbortedTxn[]; complete: boolean }> {
    const list = await this.load();
    const entries: AbortedTxn[] = [];
    for (const t of list) {
      if (t.lastOffset >= fetchOffset && t.firstOffset < upperBoundOffset) entries.push(t);
      if (t.lastStableOffset >= upperBoundOffset) return { entries, complete: true };
    }
    return { entries, complete: false };
  }

  /** Drops entries whose marker is at or past `offset` (log truncation). */
  async truncateTo(offset: bigint): Promise<void> {
    const run = async () => {
      const list = await this.load();
      const keep = list.filter((t) => t.lastOffset < offset);
      if (keep.length === list.length) return;
      this.entries = keep;
      await this.rewrite(keep);
    };
    const p = this.chain.then(run);
    this.chain = p.catch(() => {});
    return p;
  }

  private async rewrite(list: AbortedTxn[]): Promise<void> {
    if (list.length === 0) {
      await fsp.rm(this.path, { force: true });
      return;
    }
    const buf = Buffer.allocUnsafe(list.length * TXN_ENTRY_SIZE);
    for (let i = 0; i < list.length; i++) encodeAbortedTxn(list[i]!, buf, i * TXN_ENTRY_SIZE);
    await fsp.writeFile(this.path, buf);
  }

  async sync(): Promise<void> {
    await this.chain;
    let fh: fsp.FileHandle | undefined;
    try {
      fh = await fsp.open(this.path, "r");
      await fh.sync();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    } finally {
      await fh?.close();
    }
  }

  async whenIdle(): Promise<void> {
    await this.chain;
  }
}
