/** Errors the storage engine reports to the broker, each carrying the Kafka error code to answer with. */
import { ErrorCode } from "../protocol/error-codes.js";

export class StorageError extends Error {
  readonly errorCode: number;
  constructor(errorCode: number, message: string) {
    super(message);
    this.name = "StorageError";
    this.errorCode = errorCode;
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
  INVALID_REQUEST: ErrorCode.INVALID_REQUEST,
  KAFKA_STORAGE_ERROR: ErrorCode.KAFKA_STORAGE_ERROR,
  INVALID_RECORD: ErrorCode.INVALID_RECORD,
  NOT_LEADER_OR_FOLLOWER: ErrorCode.NOT_LEADER_OR_FOLLOWER,
} as const;
