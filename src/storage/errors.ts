/** Errors the storage engine reports to the broker, each carrying the Kafka error code to answer with. */
import { ErrorCode } from "../protocol/error-codes.js";

/**
 * One record a batch was refused for (KIP-467): its index within the batch (0-based) and why.
 * Produce v8+ answers them as `record_errors`.
 */
export interface RecordError {
  batchIndex: number;
  message: string | null;
}

export class StorageError extends Error {
  readonly errorCode: number;
  /**
   * The records that made the append fail, for the checks Kafka reports record by record (a null key
   * on a compacted topic, a timestamp out of bounds); empty otherwise. Nothing of the batch is written.
   */
  readonly recordErrors: readonly RecordError[];
  constructor(errorCode: number, message: string, recordErrors: readonly RecordError[] = []) {
    super(message);
    this.name = "StorageError";
    this.errorCode = errorCode;
    this.recordErrors = recordErrors;
  }
}

export function isStorageError(e: unknown): e is StorageError {
  return e instanceof StorageError;
}

/** The Kafka codes the storage engine raises (a subset of ErrorCode, named here for readability). */
export const StorageErrorCode = {
  OFFSET_OUT_OF_RANGE: ErrorCode.OFFSET_OUT_OF_RANGE,
  CORRUPT_MESSAGE: ErrorCode.CORRUPT_MESSAGE,
  UNKNOWN_TOPIC_OR_PARTITION: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  MESSAGE_TOO_LARGE: ErrorCode.MESSAGE_TOO_LARGE,
  RECORD_LIST_TOO_LARGE: ErrorCode.RECORD_LIST_TOO_LARGE,
  INVALID_TIMESTAMP: ErrorCode.INVALID_TIMESTAMP,
  INVALID_REQUEST: ErrorCode.INVALID_REQUEST,
  KAFKA_STORAGE_ERROR: ErrorCode.KAFKA_STORAGE_ERROR,
  INVALID_RECORD: ErrorCode.INVALID_RECORD,
  NOT_LEADER_OR_FOLLOWER: ErrorCode.NOT_LEADER_OR_FOLLOWER,
} as const;
