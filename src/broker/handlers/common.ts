/** Small pieces several handlers share. */
import { ErrorCode } from "../../protocol/error-codes.js";
import { TopicError } from "../broker.js";
import { ConfigError } from "../config/config.js";

/** Kafka's AclOperation numbering, used in the authorized-operations bit fields. */
const Op = {
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
} as const;

const bits = (ops: number[]): number => ops.reduce((acc, op) => acc | (1 << op), 0);

/** Without authorization every operation is allowed: these are the full sets Kafka reports. */
export const TOPIC_AUTHORIZED_OPERATIONS = bits([
  Op.READ,
  Op.WRITE,
  Op.CREATE,
  Op.DELETE,
  Op.ALTER,
  Op.DESCRIBE,
  Op.DESCRIBE_CONFIGS,
  Op.ALTER_CONFIGS,
]);
/** Kafka 4.x reports no token operations on the cluster (8096). */
export const CLUSTER_AUTHORIZED_OPERATIONS = bits([
  Op.CREATE,
  Op.ALTER,
  Op.DESCRIBE,
  Op.CLUSTER_ACTION,
  Op.DESCRIBE_CONFIGS,
  Op.ALTER_CONFIGS,
  Op.IDEMPOTENT_WRITE,
]);
/** Kafka's "not requested" sentinel for authorized operations. */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

/** Every partition has the same leader epoch on a single node that never changes leader. */
export const LEADER_EPOCH = 0;

/** Maps an error thrown by a broker operation to a Kafka error code and message. */
export function errorOf(e: unknown): { errorCode: number; errorMessage: string } {
  if (e instanceof TopicError) return { errorCode: e.errorCode, errorMessage: e.message };
  if (e instanceof ConfigError) return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: e.message };
  if (
    e &&
    typeof e === "object" &&
    "errorCode" in e &&
    typeof (e as { errorCode: unknown }).errorCode === "number"
  ) {
    return {
      errorCode: (e as { errorCode: number }).errorCode,
      errorMessage: (e as unknown as Error).message,
    };
  }
  return {
    errorCode: ErrorCode.UNKNOWN_SERVER_ERROR,
    errorMessage: e instanceof Error ? e.message : String(e),
  };
}

/** Checks a client's view of the leader epoch against ours (-1 = not given). */
export function leaderEpochError(currentLeaderEpoch: number): number {
  if (currentLeaderEpoch < 0 || currentLeaderEpoch === LEADER_EPOCH) return ErrorCode.NONE;
  return currentLeaderEpoch > LEADER_EPOCH ? ErrorCode.UNKNOWN_LEADER_EPOCH : ErrorCode.FENCED_LEADER_EPOCH;
}
