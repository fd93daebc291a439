/**
 * The cluster's rates, from the console's own sampling: every interval it reads each partition's
 * high watermark and the log directories' sizes. Messages in per second is the growth of the high
 * watermarks between the last two samples (partitions present in both; a deleted or purged topic
 * does not make it negative). Null until two samples exist.
 */
import type { Admin } from "../client/admin/types.js";

interface Sample {
  /** performance.now() of the sample. */
  at: number;
  highs: Map<string, number>;
  bytesOnDisk: number | null;
}

export class ClusterSampler {
  private last: Sample | null = null;
  private rate: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly admin: Admin,
    private readonly intervalMs = 5000,
  ) {}

  start(): void {
    const tick = () => {
      this.running = this.sample()
        .catch(() => {})
        .finally(() => {
          this.running = null;
        });
    };
    tick();
    this.timer = setInterval(tick, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  messagesInPerSec(): number | null {
    return this.rate;
  }

  bytesOnDisk(): number | null {
    return this.last?.bytesOnDisk ?? null;
  }

  async sample(): Promise<void> {
    const { topics } = await this.admin.fetchTopicMetadata();
    const highs = new Map<string, number>();
    await Promise.all(
      topics.map(async (t) => {
        const marks = await this.admin.fetchTopicWatermarks(t.name).catch(() => []);
        for (const m of marks) highs.set(`${t.name}\0${m.partition}`, Number(m.high));
      }),
    );
    const dirs = await this.admin.describeLogDirs().catch(() => null);
    let bytes: number | null = null;
    if (dirs) {
      bytes = 0;
      for (const b of dirs)
        for (const d of b.logDirs)
          for (const t of d.topics) for (const p of t.partitions) if (!p.isFuture) bytes += p.size;
    }
    const now = performance.now();
    const prev = this.last;
    if (prev && now > prev.at) {
      let grown = 0;
      for (const [k, h] of highs) {
        const before = prev.highs.get(k);
        if (before !== undefined && h > before) grown += h - before;
      }
      this.rate = grown / ((now - prev.at) / 1000);
    }
    this.last = { at: now, highs, bytesOnDisk: bytes };
  }
}
