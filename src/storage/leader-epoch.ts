/**
 * The leader epoch cache and its `leader-epoch-checkpoint` file: (epoch, start offset) pairs, one per
 * epoch that wrote to the log. A single node has one epoch (0) unless the broker says otherwise.
 */
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { type EpochEntry, formatEpochCheckpoint, parseEpochCheckpoint } from "./checkpoint.js";
import { LEADER_EPOCH_CHECKPOINT, writeFileAtomic } from "./files.js";
import type { Logger } from "./logger.js";

export class LeaderEpochCache {
  private entries: EpochEntry[] = [];
  private chain: Promise<void> = Promise.resolve();
  readonly path: string;

  constructor(
    readonly dir: string,
    private readonly logger: Logger,
  ) {
    this.path = join(dir, LEADER_EPOCH_CHECKPOINT);
  }

  async load(): Promise<void> {
    try {
      this.entries = parseEpochCheckpoint(await fsp.readFile(this.path, "utf8"));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") {
        this.logger.warn({ file: this.path, err: String(e) }, "ignoring unreadable leader-epoch-checkpoint");
      }
      this.entries = [];
    }
  }

  list(): EpochEntry[] {
    return this.entries.map((e) => ({ ...e }));
  }

  get latestEpoch(): number | undefined {
    return this.entries[this.entries.length - 1]?.epoch;
  }

  /** Records that `epoch` starts at `startOffset` when it is newer than the latest one. */
  assign(epoch: number, startOffset: bigint): void {
    const last = this.entries[this.entries.length - 1];
    if (last && epoch <= last.epoch) return;
    this.entries.push({ epoch, startOffset });
    this.write();
  }

  /** Drops epochs starting at or after `offset` (log truncated to `offset`). */
  truncateFromEnd(offset: bigint): void {
    const keep = this.entries.filter((e) => e.startOffset < offset);
    if (keep.length !== this.entries.length) {
      this.entries = keep;
      this.write();
    }
  }

  /** Log start moved to `offset`: earlier epochs go, the one covering `offset` now starts there. */
  truncateFromStart(offset: bigint): void {
    let i = 0;
    while (i + 1 < this.entries.length && this.entries[i + 1]!.startOffset <= offset) i++;
    const changed = i > 0 || (this.entries[0] !== undefined && this.entries[0].startOffset < offset);
    if (!changed) return;
    this.entries = this.entries.slice(i);
    if (this.entries[0] && this.entries[0].startOffset < offset)
      this.entries[0] = { ...this.entries[0], startOffset: offset };
    this.write();
  }

  /**
   * OffsetsForLeaderEpoch: the largest epoch <= `epoch` and the offset where the next epoch starts
   * (the log end offset for the latest epoch); undefined when `epoch` is below every known epoch.
   */
  endOffsetFor(epoch: number, logEndOffset: bigint): { epoch: number; endOffset: bigint } | undefined {
    let found = -1;
    for (let i = 0; i < this.entries.length; i++) if (this.entries[i]!.epoch <= epoch) found = i;
    if (found < 0) return undefined;
    const next = this.entries[found + 1];
    return { epoch: this.entries[found]!.epoch, endOffset: next ? next.startOffset : logEndOffset };
  }

  private write(): void {
    const text = formatEpochCheckpoint(this.entries);
    this.chain = this.chain
      .then(() => writeFileAtomic(this.path, text, this.dir))
      .catch((e) =>
        this.logger.warn({ file: this.path, err: String(e) }, "could not write leader-epoch-checkpoint"),
      );
  }

  async whenWritten(): Promise<void> {
    await this.chain;
  }
}
