/** Brook's storage engine: Kafka's partition log on disk. See docs/storage.md. */
export { formatOffsetCheckpoint, parseOffsetCheckpoint, tpKey } from "./checkpoint.js";
export {
  type CleanableInfo,
  type CleanerOptions,
  type CleanStats,
  DEFAULT_CLEANER_OPTIONS,
  LogCleaner,
} from "./cleaner.js";
export { DEFAULT_LOG_CONFIG, isCompacted, type LogConfig, logConfig } from "./config.js";
export { isStorageError, type RecordError, StorageError, StorageErrorCode } from "./errors.js";
export { offsetFileName } from "./files.js";
export {
  type AppendOptions,
  type AppendResult,
  PartitionLog,
  type PartitionLogOpenOptions,
  type ReadOptions,
  type ReadResult,
  type RecoveryReport,
} from "./log.js";
export type { Logger } from "./logger.js";
export { LogManager, type LogManagerOptions } from "./manager.js";
export { kafkaTopicId, uuidFromKafkaTopicId } from "./partition-metadata.js";
export type { AbortedTxn } from "./txn-index.js";
