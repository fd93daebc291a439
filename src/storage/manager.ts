/**
 * LogManager: the partition logs of one log dir. Opens (and recovers) every partition directory on
 * start, creates and deletes partitions, runs the background jobs (retention, flush.ms scheduler,
 * checkpoints, cleaner), and on close writes Kafka's checkpoint files and `.kafka_cleanshutdown` so
 * the next start skips recovery.
 */
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { readOffsetCheckpoint, tpKey, writeOffsetCheckpoint, type OffsetCheckpoint } from "./checkpoint.js";
import { LogCleaner, type CleanerOptions } from "./cleaner.js";
import { DEFAULT_LOG_CONFIG, type LogConfig, logConfig } from "./config.js";
import {
  CLEAN_SHUTDOWN_FILE,
  CLEANER_OFFSET_CHECKPOINT,
  DELETE_DIR_SUFFIX,
  deletedDirName,
  exists,
  fsyncDir,
  LOG_START_OFFSET_CHECKPOINT,
  parsePartitionDirName,
  partitionDirName,
  RECOVERY_POINT_CHECKPOINT,
  unlinkQuiet,
  writeFileAtomic,
} from "./files.js";
import { PartitionLog } from "./log.js";
import { type Logger, NOOP_LOGGER } from "./logger.js";
import { readPartitionMetadata, writePartitionMetadata } from "./partition-metadata.js";

export interface LogManagerOptions {
  dataDir: string;
  /** Broker-level defaults for logs found on disk before the broker sets their topic config. */
  defaults?: Partial<LogConfig>;
  logger?: Logger;
  /** Run the log cleaner (log.cleaner.enable, default true). */
  cleaner?: boolean;
  /** log.retention.check.interval.ms (default 300000). */
  retentionCheckIntervalMs?: number;
  /** log.flush.scheduler.interval.ms (default: never, as Kafka). */
  flushSchedulerIntervalMs?: number;
  /** log.flush.offset.checkpoint.interval.ms (default 60000). */
  checkpointIntervalMs?: number;
  /** Cleaner tuning (backoff, dedupe buffer). */
  cleanerOptions?: Partial<CleanerOptions>;
  /** Partitions opened in parallel at start (default 4). */
  recoveryConcurrency?: number;
  /** producer.id.expiration.ms (default 1 day) and producer.id.expiration.check.interval.ms (10 min). */
  producerIdExpirationMs?: number;
  producerIdExpirationCheckIntervalMs?: number;
}

/** setInterval refuses delays above 2^31-1 ms (it would fire every 1 ms); those mean "never". */
function timerDelay(ms: number | undefined): number | undefined {
  if (ms === undefined || !Number.isFinite(ms) || ms <= 0 || ms > 0x7fffffff) return undefined;
  return ms;
}

async function mapLimit<T>(items: T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (i < items.length) await fn(items[i++]!);
  });
  await Promise.all(workers);
}

export class LogManager {
  readonly dataDir: string;
  readonly defaults: LogConfig;
  readonly logger: Logger;
  /** Whether the previous run shut down cleanly (no recovery was needed). */
  hadCleanShutdown = false;
  cleaner: LogCleaner | undefined;
  /** Told how long each group-commit fsync of any log took, in seconds (the metrics histogram). */
  onSync: ((seconds: number) => void) | undefined;
  private logs = new Map<string, PartitionLog>();
  private creating = new Map<string, Promise<PartitionLog>>();
  private timers: NodeJS.Timeout[] = [];
  private checkpointChain: Promise<void> = Promise.resolve();
  private dirDeletions = new Set<Promise<void>>();
  private closed = false;
  private jobs = new Set<Promise<unknown>>();

  private constructor(private readonly opts: LogManagerOptions) {
    this.dataDir = opts.dataDir;
    this.defaults = logConfig(opts.defaults ?? {}, DEFAULT_LOG_CONFIG);
    this.logger = opts.logger ?? NOOP_LOGGER;
  }

  static async open(opts: LogManagerOptions): Promise<LogManager> {
    const m = new LogManager(opts);
    await m.load();
    m.startJobs();
    return m;
  }

  private async readCheckpoint(name: string): Promise<OffsetCheckpoint> {
    try {
      return await readOffsetCheckpoint(join(this.dataDir, name));
    } catch (e) {
      this.logger.warn({ file: name, err: String(e) }, "ignoring an unreadable checkpoint file");
      return new Map();
    }
  }

  private async load(): Promise<void> {
    const t0 = performance.now();
    await fsp.mkdir(this.dataDir, { recursive: true });
    const marker = join(this.dataDir, CLEAN_SHUTDOWN_FILE);
    const clean = await exists(marker);
    this.hadCleanShutdown = clean;
    const recovery = await this.readCheckpoint(RECOVERY_POINT_CHECKPOINT);
    const starts = await this.readCheckpoint(LOG_START_OFFSET_CHECKPOINT);
    const cleanerOffsets = await this.readCheckpoint(CLEANER_OFFSET_CHECKPOINT);
    const entries = await fsp.readdir(this.dataDir, { withFileTypes: true });
    const toOpen: { dir: string; topic: string; partition: number }[] = [];
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      if (e.name.endsWith(DELETE_DIR_SUFFIX)) {
        this.removeDirLater(join(this.dataDir, e.name));
        continue;
      }
      const tp = parsePartitionDirName(e.name);
      if (tp) toOpen.push({ dir: join(this.dataDir, e.name), ...tp });
    }
    await mapLimit(toOpen, this.opts.recoveryConcurrency ?? 4, async ({ dir, topic, partition }) => {
      const key = tpKey(topic, partition);
      const topicId = await readPartitionMetadata(dir);
      const log = await PartitionLog.open({
        dir,
        topic,
        partition,
        config: this.defaults,
        logger: this.logger,
        cleanShutdown: clean && recovery.has(key),
        ...(recovery.has(key) ? { recoveryPoint: recovery.get(key)! } : {}),
        ...(starts.has(key) ? { logStartOffset: starts.get(key)! } : {}),
        ...(topicId ? { topicId } : {}),
      });
      this.register(log);
    });
    if (this.opts.cleaner !== false) {
      this.cleaner = new LogCleaner(this, this.logger, this.opts.cleanerOptions, cleanerOffsets);
    }
    if (clean) {
      await unlinkQuiet(marker);
      await fsyncDir(this.dataDir);
    }
    await this.writeCheckpoints();
    this.logger.info(
      {
        dataDir: this.dataDir,
        partitions: toOpen.length,
        cleanShutdown: clean,
        ms: Math.round(performance.now() - t0),
      },
      "loaded logs",
    );
  }

  private register(log: PartitionLog): void {
    log.onLogStartOffsetChange = () => this.checkpointLogStartOffsets();
    log.onSync = (seconds) => this.onSync?.(seconds);
    this.logs.set(tpKey(log.topic, log.partition), log);
  }

  private startJobs(): void {
    const every = (ms: number | undefined, fn: () => Promise<unknown>) => {
      const d = timerDelay(ms);
      if (d === undefined) return;
      const t = setInterval(() => {
        if (this.closed) return;
        const p = fn()
          .catch((e) => this.logger.warn({ err: String(e) }, "background log job failed"))
          .finally(() => this.jobs.delete(p));
        this.jobs.add(p);
      }, d);
      t.unref();
      this.timers.push(t);
    };
    every(this.opts.retentionCheckIntervalMs ?? 300000, () => this.runRetention());
    every(this.opts.flushSchedulerIntervalMs, () => this.runFlushScheduler());
    every(this.opts.checkpointIntervalMs ?? 60000, () => this.writeCheckpoints());
    every(this.opts.producerIdExpirationCheckIntervalMs ?? 600000, async () => {
      const now = Date.now();
      for (const log of this.all()) log.expireProducers(now, this.opts.producerIdExpirationMs ?? 86400000);
    });
    this.cleaner?.start();
  }

  get(topic: string, partition: number): PartitionLog | undefined {
    return this.logs.get(tpKey(topic, partition));
  }

  all(): PartitionLog[] {
    return [...this.logs.values()];
  }

  async create(topic: string, partition: number, config: LogConfig, topicId: string): Promise<PartitionLog> {
    const key = tpKey(topic, partition);
    const existing = this.logs.get(key);
    if (existing) {
      existing.updateConfig(config);
      return existing;
    }
    const pending = this.creating.get(key);
    if (pending) return pending;
    const p = (async () => {
      const dir = join(this.dataDir, partitionDirName(topic, partition));
      await fsp.mkdir(dir, { recursive: true });
      await writePartitionMetadata(dir, topicId);
      const log = await PartitionLog.open({ dir, topic, partition, config, logger: this.logger, topicId });
      await fsyncDir(this.dataDir);
      this.register(log);
      this.logger.info({ topic, partition, dir }, "created partition log");
      return log;
    })();
    this.creating.set(key, p);
    try {
      return await p;
    } finally {
      this.creating.delete(key);
    }
  }

  /** Removes a partition: closed now, its directory renamed `-delete` and removed in the background. */
  async delete(topic: string, partition: number): Promise<void> {
    const key = tpKey(topic, partition);
    const log = this.logs.get(key);
    if (!log) return;
    this.logs.delete(key);
    this.cleaner?.forget(log);
    await log.close({ flush: false });
    const target = join(this.dataDir, deletedDirName(topic, partition));
    await fsp.rename(log.dir, target);
    await fsyncDir(this.dataDir);
    this.removeDirLater(target);
    this.logger.info({ topic, partition, dir: target }, "deleted partition log");
    await this.writeCheckpoints();
  }

  private removeDirLater(dir: string): void {
    const p = fsp
      .rm(dir, { recursive: true, force: true })
      .catch((e) =>
        this.logger.warn({ dir, err: String(e) }, "could not remove a deleted partition directory"),
      )
      .finally(() => this.dirDeletions.delete(p));
    this.dirDeletions.add(p);
  }

  /** One retention pass over every log (also run by the timer). */
  async runRetention(now = Date.now()): Promise<number> {
    let n = 0;
    for (const log of this.all()) {
      try {
        n += await log.deleteOldSegments(now);
      } catch (e) {
        this.logger.warn({ topic: log.topic, partition: log.partition, err: String(e) }, "retention failed");
      }
    }
    return n;
  }

  private async runFlushScheduler(): Promise<void> {
    const now = Date.now();
    for (const log of this.all()) await log.maybeFlushByTime(now);
  }

  private entries(pick: (l: PartitionLog) => bigint): [string, number, bigint][] {
    return this.all()
      .filter((l) => !l.isClosed)
      .map((l) => [l.topic, l.partition, pick(l)]);
  }

  private serialize(fn: () => Promise<void>): Promise<void> {
    const p = this.checkpointChain.then(fn);
    this.checkpointChain = p.catch((e) =>
      this.logger.warn({ err: String(e) }, "could not write a checkpoint"),
    );
    return p;
  }

  checkpointLogStartOffsets(): Promise<void> {
    return this.serialize(() =>
      writeOffsetCheckpoint(
        join(this.dataDir, LOG_START_OFFSET_CHECKPOINT),
        this.dataDir,
        this.entries((l) => l.logStartOffset),
      ),
    );
  }

  /** recovery-point-offset-checkpoint, log-start-offset-checkpoint and cleaner-offset-checkpoint. */
  writeCheckpoints(): Promise<void> {
    return this.serialize(async () => {
      await writeOffsetCheckpoint(
        join(this.dataDir, RECOVERY_POINT_CHECKPOINT),
        this.dataDir,
        this.entries((l) => l.recoveryPoint),
      );
      await writeOffsetCheckpoint(
        join(this.dataDir, LOG_START_OFFSET_CHECKPOINT),
        this.dataDir,
        this.entries((l) => l.logStartOffset),
      );
      if (this.cleaner) {
        await writeOffsetCheckpoint(
          join(this.dataDir, CLEANER_OFFSET_CHECKPOINT),
          this.dataDir,
          this.cleaner.checkpointEntries(),
        );
      }
    });
  }

  /** Writes only the cleaner checkpoint (after each clean). */
  checkpointCleanerOffsets(): Promise<void> {
    const cleaner = this.cleaner;
    if (!cleaner) return Promise.resolve();
    return this.serialize(() =>
      writeOffsetCheckpoint(
        join(this.dataDir, CLEANER_OFFSET_CHECKPOINT),
        this.dataDir,
        cleaner.checkpointEntries(),
      ),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.cleaner?.stop();
    await Promise.allSettled([...this.jobs]);
    const logs = this.all();
    let failed = false;
    await mapLimit(logs, 8, async (l) => {
      try {
        await l.close();
      } catch (e) {
        failed = true;
        this.logger.warn(
          { topic: l.topic, partition: l.partition, err: String(e) },
          "could not close a log cleanly",
        );
      }
    });
    // Entries for closed logs: their final recovery points.
    const all = logs.map((l) => [l.topic, l.partition, l] as const);
    await this.serialize(async () => {
      await writeOffsetCheckpoint(
        join(this.dataDir, RECOVERY_POINT_CHECKPOINT),
        this.dataDir,
        all.map(([t, p, l]) => [t, p, l.recoveryPoint]),
      );
      await writeOffsetCheckpoint(
        join(this.dataDir, LOG_START_OFFSET_CHECKPOINT),
        this.dataDir,
        all.map(([t, p, l]) => [t, p, l.logStartOffset]),
      );
      if (this.cleaner) {
        await writeOffsetCheckpoint(
          join(this.dataDir, CLEANER_OFFSET_CHECKPOINT),
          this.dataDir,
          this.cleaner.checkpointEntries(),
        );
      }
      if (!failed) await writeFileAtomic(join(this.dataDir, CLEAN_SHUTDOWN_FILE), "", this.dataDir);
    });
    await Promise.allSettled([...this.dirDeletions]);
    this.logs.clear();
  }
}
