/**
 * Per-partition log configuration. Field names are Kafka's topic configs, camelCased; defaults are
 * Kafka 4.x's (protocol-notes section f).
 */
export interface LogConfig {
  /** segment.bytes: roll the active segment when the next append would take it past this size. */
  segmentBytes: number;
  /** segment.ms: roll when the active segment's first batch is older than this. */
  segmentMs: number;
  /** segment.index.bytes: largest offset/time index per segment; a full index rolls the segment. */
  segmentIndexBytes: number;
  /** index.interval.bytes: bytes of log between two sparse index entries. */
  indexIntervalBytes: number;
  /** retention.ms: delete whole segments whose largest timestamp is older; -1 = unlimited. */
  retentionMs: number;
  /** retention.bytes: delete the oldest segments while the log is larger; -1 = unlimited. */
  retentionBytes: number;
  /** cleanup.policy. */
  cleanupPolicy: ("delete" | "compact")[];
  /** delete.retention.ms: how long the cleaner keeps tombstones (and empty txn markers). */
  deleteRetentionMs: number;
  /** min.compaction.lag.ms. */
  minCompactionLagMs: number;
  /** max.compaction.lag.ms. */
  maxCompactionLagMs: number;
  /** min.cleanable.dirty.ratio. */
  minCleanableDirtyRatio: number;
  /** flush.messages: fsync after this many unflushed records. */
  flushMessages: number;
  /** flush.ms: fsync when the last flush is older than this (checked by the flush scheduler). */
  flushMs: number;
  /** max.message.bytes: largest record batch accepted. */
  maxMessageBytes: number;
  /** message.timestamp.type. */
  messageTimestampType: "CreateTime" | "LogAppendTime";
  /**
   * message.timestamp.before.max.ms / message.timestamp.after.max.ms: how far before / after the
   * broker's clock a CreateTime record's timestamp may be; Number.MAX_SAFE_INTEGER (Kafka's
   * Long.MAX_VALUE) means unchecked.
   */
  messageTimestampBeforeMaxMs: number;
  messageTimestampAfterMaxMs: number;
  /** file.delete.delay.ms: how long a deleted segment's files stay (renamed .deleted). */
  fileDeleteDelayMs: number;
}

const DAY = 24 * 60 * 60 * 1000;

export const DEFAULT_LOG_CONFIG: LogConfig = Object.freeze({
  segmentBytes: 1073741824,
  segmentMs: 7 * DAY,
  segmentIndexBytes: 10485760,
  indexIntervalBytes: 4096,
  retentionMs: 7 * DAY,
  retentionBytes: -1,
  cleanupPolicy: Object.freeze(["delete"]) as ("delete" | "compact")[],
  deleteRetentionMs: DAY,
  minCompactionLagMs: 0,
  maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
  minCleanableDirtyRatio: 0.5,
  flushMessages: Number.MAX_SAFE_INTEGER,
  flushMs: Number.MAX_SAFE_INTEGER,
  maxMessageBytes: 1048588,
  messageTimestampType: "CreateTime",
  messageTimestampBeforeMaxMs: Number.MAX_SAFE_INTEGER,
  messageTimestampAfterMaxMs: Number.MAX_SAFE_INTEGER,
  fileDeleteDelayMs: 60000,
}) as LogConfig;

/** Defaults overlaid with `overrides` (undefined values are ignored). */
export function logConfig(
  overrides: Partial<LogConfig> = {},
  base: LogConfig = DEFAULT_LOG_CONFIG,
): LogConfig {
  const out: LogConfig = { ...base, cleanupPolicy: [...base.cleanupPolicy] };
  for (const [k, v] of Object.entries(overrides)) {
    if (v !== undefined) (out as any)[k] = Array.isArray(v) ? [...v] : v;
  }
  return out;
}

export function isCompacted(config: LogConfig): boolean {
  return config.cleanupPolicy.includes("compact");
}

export function isDeleteRetained(config: LogConfig): boolean {
  return config.cleanupPolicy.includes("delete");
}
