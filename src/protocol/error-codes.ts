/**
 * Kafka's error codes: every code Apache Kafka defines in `Errors.java`, with Kafka's own name,
 * whether the Java client treats it as retriable (its exception class descends from
 * `RetriableException`), and a short explanation written for Brook.
 *
 * Sources: apache/kafka `clients/src/main/java/org/apache/kafka/common/protocol/Errors.java` and
 * `clients/src/main/java/org/apache/kafka/common/errors/*` at the 4.0 snapshot (codes -1..128); codes
 * 129..133 were added for Kafka 4.0/4.1 after that snapshot (KIP-1102 rebootstrap, KIP-1071 streams
 * groups, KIP-932 share sessions).
 *
 * The broker writes `ErrorCode.UNKNOWN_TOPIC_OR_PARTITION`; the client turns a code from the wire into
 * a `KafkaError` with `KafkaError.fromCode(code)`.
 */

/** Every Kafka error code by its Kafka name. */
export const ErrorCode = {
  UNKNOWN_SERVER_ERROR: -1,
  NONE: 0,
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  INVALID_FETCH_SIZE: 4,
  LEADER_NOT_AVAILABLE: 5,
  NOT_LEADER_OR_FOLLOWER: 6,
  REQUEST_TIMED_OUT: 7,
  BROKER_NOT_AVAILABLE: 8,
  REPLICA_NOT_AVAILABLE: 9,
  MESSAGE_TOO_LARGE: 10,
  STALE_CONTROLLER_EPOCH: 11,
  OFFSET_METADATA_TOO_LARGE: 12,
  NETWORK_EXCEPTION: 13,
  COORDINATOR_LOAD_IN_PROGRESS: 14,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  INVALID_TOPIC_EXCEPTION: 17,
  RECORD_LIST_TOO_LARGE: 18,
  NOT_ENOUGH_REPLICAS: 19,
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: 20,
  INVALID_REQUIRED_ACKS: 21,
  ILLEGAL_GENERATION: 22,
  INCONSISTENT_GROUP_PROTOCOL: 23,
  INVALID_GROUP_ID: 24,
  UNKNOWN_MEMBER_ID: 25,
  INVALID_SESSION_TIMEOUT: 26,
  REBALANCE_IN_PROGRESS: 27,
  INVALID_COMMIT_OFFSET_SIZE: 28,
  TOPIC_AUTHORIZATION_FAILED: 29,
  GROUP_AUTHORIZATION_FAILED: 30,
  CLUSTER_AUTHORIZATION_FAILED: 31,
  INVALID_TIMESTAMP: 32,
  UNSUPPORTED_SASL_MECHANISM: 33,
  ILLEGAL_SASL_STATE: 34,
  UNSUPPORTED_VERSION: 35,
  TOPIC_ALREADY_EXISTS: 36,
  INVALID_PARTITIONS: 37,
  INVALID_REPLICATION_FACTOR: 38,
  INVALID_REPLICA_ASSIGNMENT: 39,
  INVALID_CONFIG: 40,
  NOT_CONTROLLER: 41,
  INVALID_REQUEST: 42,
  UNSUPPORTED_FOR_MESSAGE_FORMAT: 43,
  POLICY_VIOLATION: 44,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  DUPLICATE_SEQUENCE_NUMBER: 46,
  INVALID_PRODUCER_EPOCH: 47,
  INVALID_TXN_STATE: 48,
  INVALID_PRODUCER_ID_MAPPING: 49,
  INVALID_TRANSACTION_TIMEOUT: 50,
  CONCURRENT_TRANSACTIONS: 51,
  TRANSACTION_COORDINATOR_FENCED: 52,
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 53,
  SECURITY_DISABLED: 54,
  OPERATION_NOT_ATTEMPTED: 55,
  KAFKA_STORAGE_ERROR: 56,
  LOG_DIR_NOT_FOUND: 57,
  SASL_AUTHENTICATION_FAILED: 58,
  UNKNOWN_PRODUCER_ID: 59,
  REASSIGNMENT_IN_PROGRESS: 60,
  DELEGATION_TOKEN_AUTH_DISABLED: 61,
  DELEGATION_TOKEN_NOT_FOUND: 62,
  DELEGATION_TOKEN_OWNER_MISMATCH: 63,
  DELEGATION_TOKEN_REQUEST_NOT_ALLOWED: 64,
  DELEGATION_TOKEN_AUTHORIZATION_FAILED: 65,
  DELEGATION_TOKEN_EXPIRED: 66,
  INVALID_PRINCIPAL_TYPE: 67,
  NON_EMPTY_GROUP: 68,
  GROUP_ID_NOT_FOUND: 69,
  FETCH_SESSION_ID_NOT_FOUND: 70,
  INVALID_FETCH_SESSION_EPOCH: 71,
  LISTENER_NOT_FOUND: 72,
  TOPIC_DELETION_DISABLED: 73,
  FENCED_LEADER_EPOCH: 74,
  UNKNOWN_LEADER_EPOCH: 75,
  UNSUPPORTED_COMPRESSION_TYPE: 76,
  STALE_BROKER_EPOCH: 77,
  OFFSET_NOT_AVAILABLE: 78,
  MEMBER_ID_REQUIRED: 79,
  PREFERRED_LEADER_NOT_AVAILABLE: 80,
  GROUP_MAX_SIZE_REACHED: 81,
  FENCED_INSTANCE_ID: 82,
  ELIGIBLE_LEADERS_NOT_AVAILABLE: 83,
  ELECTION_NOT_NEEDED: 84,
  NO_REASSIGNMENT_IN_PROGRESS: 85,
  GROUP_SUBSCRIBED_TO_TOPIC: 86,
  INVALID_RECORD: 87,
  UNSTABLE_OFFSET_COMMIT: 88,
  THROTTLING_QUOTA_EXCEEDED: 89,
  PRODUCER_FENCED: 90,
  RESOURCE_NOT_FOUND: 91,
  DUPLICATE_RESOURCE: 92,
  UNACCEPTABLE_CREDENTIAL: 93,
  INCONSISTENT_VOTER_SET: 94,
  INVALID_UPDATE_VERSION: 95,
  FEATURE_UPDATE_FAILED: 96,
  PRINCIPAL_DESERIALIZATION_FAILURE: 97,
  SNAPSHOT_NOT_FOUND: 98,
  POSITION_OUT_OF_RANGE: 99,
  UNKNOWN_TOPIC_ID: 100,
  DUPLICATE_BROKER_REGISTRATION: 101,
  BROKER_ID_NOT_REGISTERED: 102,
  INCONSISTENT_TOPIC_ID: 103,
  INCONSISTENT_CLUSTER_ID: 104,
  TRANSACTIONAL_ID_NOT_FOUND: 105,
  FETCH_SESSION_TOPIC_ID_ERROR: 106,
  INELIGIBLE_REPLICA: 107,
  NEW_LEADER_ELECTED: 108,
  OFFSET_MOVED_TO_TIERED_STORAGE: 109,
  FENCED_MEMBER_EPOCH: 110,
  UNRELEASED_INSTANCE_ID: 111,
  UNSUPPORTED_ASSIGNOR: 112,
  STALE_MEMBER_EPOCH: 113,
  MISMATCHED_ENDPOINT_TYPE: 114,
  UNSUPPORTED_ENDPOINT_TYPE: 115,
  UNKNOWN_CONTROLLER_ID: 116,
  UNKNOWN_SUBSCRIPTION_ID: 117,
  TELEMETRY_TOO_LARGE: 118,
  INVALID_REGISTRATION: 119,
  TRANSACTION_ABORTABLE: 120,
  INVALID_RECORD_STATE: 121,
  SHARE_SESSION_NOT_FOUND: 122,
  INVALID_SHARE_SESSION_EPOCH: 123,
  FENCED_STATE_EPOCH: 124,
  INVALID_VOTER_KEY: 125,
  DUPLICATE_VOTER: 126,
  VOTER_NOT_FOUND: 127,
  INVALID_REGULAR_EXPRESSION: 128,
  REBOOTSTRAP_REQUIRED: 129,
  STREAMS_INVALID_TOPOLOGY: 130,
  STREAMS_INVALID_TOPOLOGY_EPOCH: 131,
  STREAMS_TOPOLOGY_FENCED: 132,
  SHARE_SESSION_LIMIT_REACHED: 133,
} as const;

export type ErrorName = keyof typeof ErrorCode;
export type ErrorCodeValue = (typeof ErrorCode)[ErrorName];

export interface ErrorInfo {
  readonly code: number;
  /** Kafka's name for the code; UNKNOWN_SERVER_ERROR for a code Brook does not know. */
  readonly name: string;
  /** Whether the Java client retries it (its exception descends from RetriableException). */
  readonly retriable: boolean;
  /** A one-line explanation, in Brook's words. */
  readonly message: string;
  /** False only for codes outside Kafka's table (see `errorInfo`). */
  readonly known: boolean;
}

const Y = true;
const N = false;

/**
 * Retriable flag and explanation of every code. Typed against `ErrorCode`, so the compiler rejects
 * a code without details and details for a code that does not exist.
 */
const DETAILS: { readonly [K in ErrorName]: readonly [retriable: boolean, message: string] } = {
  UNKNOWN_SERVER_ERROR: [N, "The broker hit an unexpected failure while handling the request."],
  NONE: [N, "Success."],
  OFFSET_OUT_OF_RANGE: [N, "The offset asked for lies outside the range the partition still holds."],
  CORRUPT_MESSAGE: [Y, "A record batch failed its CRC or size checks, or is malformed in some other way."],
  UNKNOWN_TOPIC_OR_PARTITION: [Y, "The topic or partition does not exist on this broker."],
  INVALID_FETCH_SIZE: [N, "The fetch size in the request is not acceptable."],
  LEADER_NOT_AVAILABLE: [Y, "The partition has no leader at the moment, for example during an election."],
  NOT_LEADER_OR_FOLLOWER: [Y, "This broker is not the leader (or a replica) of the partition."],
  REQUEST_TIMED_OUT: [Y, "The request did not complete within its timeout."],
  BROKER_NOT_AVAILABLE: [N, "The broker is not available."],
  REPLICA_NOT_AVAILABLE: [Y, "The replica for the partition is not available on this broker."],
  MESSAGE_TOO_LARGE: [N, "A record batch is bigger than the largest message the broker accepts."],
  STALE_CONTROLLER_EPOCH: [N, "The request came from a controller that is no longer current."],
  OFFSET_METADATA_TOO_LARGE: [N, "The metadata string of an offset commit is longer than allowed."],
  NETWORK_EXCEPTION: [Y, "The connection closed before a response arrived."],
  COORDINATOR_LOAD_IN_PROGRESS: [Y, "The coordinator is still loading its state; try again shortly."],
  COORDINATOR_NOT_AVAILABLE: [Y, "The group or transaction coordinator is not available right now."],
  NOT_COORDINATOR: [Y, "This broker is not the coordinator for that group or transactional id."],
  INVALID_TOPIC_EXCEPTION: [N, "The topic name is invalid, or the operation is not allowed on this topic."],
  RECORD_LIST_TOO_LARGE: [N, "The produced batch is larger than the segment size configured on the broker."],
  NOT_ENOUGH_REPLICAS: [
    Y,
    "Fewer replicas are in sync than min.insync.replicas requires; nothing was written.",
  ],
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: [
    Y,
    "The records were written, but to fewer in-sync replicas than required.",
  ],
  INVALID_REQUIRED_ACKS: [N, "The produce request asked for an acks value other than 0, 1 or -1."],
  ILLEGAL_GENERATION: [N, "The generation id does not match the group's current generation."],
  INCONSISTENT_GROUP_PROTOCOL: [N, "The member's protocol type or protocols do not fit those of the group."],
  INVALID_GROUP_ID: [N, "The group id is empty or otherwise invalid."],
  UNKNOWN_MEMBER_ID: [N, "The coordinator does not know this member id."],
  INVALID_SESSION_TIMEOUT: [N, "The session timeout falls outside the range the broker allows."],
  REBALANCE_IN_PROGRESS: [N, "The group is rebalancing; the member has to join again."],
  INVALID_COMMIT_OFFSET_SIZE: [N, "The offset commit data has an invalid size."],
  TOPIC_AUTHORIZATION_FAILED: [N, "The principal is not allowed to perform this operation on the topic."],
  GROUP_AUTHORIZATION_FAILED: [N, "The principal is not allowed to perform this operation on the group."],
  CLUSTER_AUTHORIZATION_FAILED: [N, "The principal is not allowed to perform this cluster operation."],
  INVALID_TIMESTAMP: [N, "A record timestamp is outside the range the broker accepts."],
  UNSUPPORTED_SASL_MECHANISM: [N, "The broker does not offer the requested SASL mechanism."],
  ILLEGAL_SASL_STATE: [N, "The request is not allowed at this point of the SASL exchange."],
  UNSUPPORTED_VERSION: [N, "The broker does not support this version of the API."],
  TOPIC_ALREADY_EXISTS: [N, "A topic with that name already exists."],
  INVALID_PARTITIONS: [N, "The number of partitions is invalid (below 1, or not an increase)."],
  INVALID_REPLICATION_FACTOR: [N, "The replication factor is below 1 or above the number of brokers."],
  INVALID_REPLICA_ASSIGNMENT: [N, "The explicit replica assignment is invalid."],
  INVALID_CONFIG: [N, "A configuration name or value is invalid."],
  NOT_CONTROLLER: [Y, "This node is not the active controller."],
  INVALID_REQUEST: [N, "The request is malformed or its fields contradict each other."],
  UNSUPPORTED_FOR_MESSAGE_FORMAT: [N, "The operation needs a newer record format than the topic uses."],
  POLICY_VIOLATION: [N, "The request breaks a policy configured on the broker."],
  OUT_OF_ORDER_SEQUENCE_NUMBER: [N, "The batch's sequence number is not the one expected for this producer."],
  DUPLICATE_SEQUENCE_NUMBER: [N, "The batch repeats a sequence number the broker has already written."],
  INVALID_PRODUCER_EPOCH: [N, "The producer epoch is older than the current one for this producer id."],
  INVALID_TXN_STATE: [N, "The transaction is not in a state that allows this operation."],
  INVALID_PRODUCER_ID_MAPPING: [N, "The producer id does not belong to this transactional id."],
  INVALID_TRANSACTION_TIMEOUT: [N, "The transaction timeout exceeds transaction.max.timeout.ms."],
  CONCURRENT_TRANSACTIONS: [Y, "Another operation on the same transaction is still running; retry."],
  TRANSACTION_COORDINATOR_FENCED: [N, "The marker came from a transaction coordinator with an old epoch."],
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: [N, "The principal is not allowed to use this transactional id."],
  SECURITY_DISABLED: [N, "Security features are turned off on this broker."],
  OPERATION_NOT_ATTEMPTED: [N, "The broker skipped this part of the request because another part failed."],
  KAFKA_STORAGE_ERROR: [Y, "The broker could not read or write the log directory holding the partition."],
  LOG_DIR_NOT_FOUND: [N, "The log directory named in the request does not exist."],
  SASL_AUTHENTICATION_FAILED: [N, "SASL authentication failed."],
  UNKNOWN_PRODUCER_ID: [N, "The broker holds no state for this producer id."],
  REASSIGNMENT_IN_PROGRESS: [N, "A partition reassignment is already running."],
  DELEGATION_TOKEN_AUTH_DISABLED: [N, "Delegation tokens are turned off on this broker."],
  DELEGATION_TOKEN_NOT_FOUND: [N, "No delegation token matches the request."],
  DELEGATION_TOKEN_OWNER_MISMATCH: [N, "The principal neither owns nor may renew this delegation token."],
  DELEGATION_TOKEN_REQUEST_NOT_ALLOWED: [
    N,
    "Delegation token requests are refused on plaintext connections and for token-authenticated clients.",
  ],
  DELEGATION_TOKEN_AUTHORIZATION_FAILED: [
    N,
    "The principal may not perform this delegation token operation.",
  ],
  DELEGATION_TOKEN_EXPIRED: [N, "The delegation token has expired."],
  INVALID_PRINCIPAL_TYPE: [N, "The principal type given is not supported."],
  NON_EMPTY_GROUP: [N, "The operation needs a group with no members."],
  GROUP_ID_NOT_FOUND: [N, "The group does not exist."],
  FETCH_SESSION_ID_NOT_FOUND: [Y, "The incremental fetch session named in the request is unknown."],
  INVALID_FETCH_SESSION_EPOCH: [Y, "The epoch of the incremental fetch session is wrong."],
  LISTENER_NOT_FOUND: [Y, "The leader has no endpoint on the listener the request came in on."],
  TOPIC_DELETION_DISABLED: [N, "Deleting topics is turned off on this broker."],
  FENCED_LEADER_EPOCH: [Y, "The request's leader epoch is older than the broker's."],
  UNKNOWN_LEADER_EPOCH: [Y, "The request's leader epoch is newer than the broker knows about."],
  UNSUPPORTED_COMPRESSION_TYPE: [N, "The client cannot handle the compression type the partition uses."],
  STALE_BROKER_EPOCH: [N, "The broker epoch in the request is out of date."],
  OFFSET_NOT_AVAILABLE: [Y, "The new leader's high watermark has not caught up yet; retry."],
  MEMBER_ID_REQUIRED: [N, "Join again with the member id the coordinator just assigned."],
  PREFERRED_LEADER_NOT_AVAILABLE: [Y, "The preferred leader of the partition is not available."],
  GROUP_MAX_SIZE_REACHED: [N, "The group already has as many members as group.max.size allows."],
  FENCED_INSTANCE_ID: [N, "A newer member with the same group.instance.id has replaced this one."],
  ELIGIBLE_LEADERS_NOT_AVAILABLE: [Y, "No replica eligible for leadership is available for the election."],
  ELECTION_NOT_NEEDED: [Y, "The partition already has the leader the election would choose."],
  NO_REASSIGNMENT_IN_PROGRESS: [N, "There is no partition reassignment to cancel."],
  GROUP_SUBSCRIBED_TO_TOPIC: [
    N,
    "The group still consumes from the topic, so its offsets cannot be deleted.",
  ],
  INVALID_RECORD: [N, "A record failed the broker's validation, e.g. a null key on a compacted topic."],
  UNSTABLE_OFFSET_COMMIT: [Y, "Transactional offsets for the partition are still pending."],
  THROTTLING_QUOTA_EXCEEDED: [Y, "The request would exceed the principal's throttling quota."],
  PRODUCER_FENCED: [N, "A newer producer with the same transactional id has taken over."],
  RESOURCE_NOT_FOUND: [N, "The resource named in the request does not exist."],
  DUPLICATE_RESOURCE: [N, "The request names the same resource more than once."],
  UNACCEPTABLE_CREDENTIAL: [N, "The credential does not meet the broker's requirements."],
  INCONSISTENT_VOTER_SET: [N, "The sender or receiver of a voters-only request is not one of the voters."],
  INVALID_UPDATE_VERSION: [N, "The feature update version is invalid."],
  FEATURE_UPDATE_FAILED: [N, "The finalized features could not be updated because of a server error."],
  PRINCIPAL_DESERIALIZATION_FAILURE: [N, "A forwarded request's principal could not be deserialized."],
  SNAPSHOT_NOT_FOUND: [N, "The requested metadata snapshot does not exist."],
  POSITION_OUT_OF_RANGE: [N, "The position asked for lies outside the snapshot."],
  UNKNOWN_TOPIC_ID: [Y, "No topic with this topic id exists on this broker."],
  DUPLICATE_BROKER_REGISTRATION: [N, "Another broker has registered with this broker id."],
  BROKER_ID_NOT_REGISTERED: [N, "No broker with this id is registered."],
  INCONSISTENT_TOPIC_ID: [Y, "The topic id in the request differs from the one in the log."],
  INCONSISTENT_CLUSTER_ID: [N, "The cluster id in the request differs from this server's."],
  TRANSACTIONAL_ID_NOT_FOUND: [N, "The transactional id does not exist."],
  FETCH_SESSION_TOPIC_ID_ERROR: [Y, "The fetch session mixes topic ids inconsistently."],
  INELIGIBLE_REPLICA: [N, "The proposed in-sync replica set contains a replica that may not be in it."],
  NEW_LEADER_ELECTED: [N, "The partition state was updated, but leadership has moved meanwhile."],
  OFFSET_MOVED_TO_TIERED_STORAGE: [N, "The offset is only available from tiered storage."],
  FENCED_MEMBER_EPOCH: [N, "The member's epoch has been fenced; it must give up its partitions and rejoin."],
  UNRELEASED_INSTANCE_ID: [N, "Another member still holds this instance id and has to leave first."],
  UNSUPPORTED_ASSIGNOR: [N, "The group does not support the requested assignor or its versions."],
  STALE_MEMBER_EPOCH: [N, "The member's epoch is outdated; retry once the heartbeat gives the new one."],
  MISMATCHED_ENDPOINT_TYPE: [N, "The request reached an endpoint of the wrong kind (broker vs controller)."],
  UNSUPPORTED_ENDPOINT_TYPE: [N, "This endpoint type does not serve the request."],
  UNKNOWN_CONTROLLER_ID: [N, "No controller with this id is known."],
  UNKNOWN_SUBSCRIPTION_ID: [N, "The telemetry subscription id is unknown or outdated."],
  TELEMETRY_TOO_LARGE: [N, "The pushed telemetry is larger than the broker accepts."],
  INVALID_REGISTRATION: [N, "The controller considers the broker's registration invalid."],
  TRANSACTION_ABORTABLE: [N, "The transaction hit an error and must be aborted before going on."],
  INVALID_RECORD_STATE: [N, "The record is in a state that does not allow this acknowledgement."],
  SHARE_SESSION_NOT_FOUND: [Y, "The share session is unknown."],
  INVALID_SHARE_SESSION_EPOCH: [Y, "The epoch of the share session is wrong."],
  FENCED_STATE_EPOCH: [N, "The share-group state epoch does not match the share coordinator's."],
  INVALID_VOTER_KEY: [N, "The voter key does not match the replica that received it."],
  DUPLICATE_VOTER: [N, "The voter already belongs to the voter set."],
  VOTER_NOT_FOUND: [N, "The voter does not belong to the voter set."],
  INVALID_REGULAR_EXPRESSION: [N, "The subscription's regular expression is invalid."],
  REBOOTSTRAP_REQUIRED: [
    N,
    "The client's metadata is stale; it should start over from the bootstrap servers.",
  ],
  STREAMS_INVALID_TOPOLOGY: [N, "The streams topology sent is invalid."],
  STREAMS_INVALID_TOPOLOGY_EPOCH: [N, "The streams topology epoch is invalid."],
  STREAMS_TOPOLOGY_FENCED: [N, "The streams topology epoch is out of date."],
  SHARE_SESSION_LIMIT_REACHED: [Y, "The broker already holds as many share sessions as it allows."],
};

/**
 * Older names of renamed codes, still used by KafkaJS 2.2.4 (its `type`) and by pre-rename Kafka
 * releases. Brook names codes as current Kafka does; `KafkaError.type` reports these so code written
 * against KafkaJS keeps matching.
 */
export const LEGACY_NAMES: Readonly<Partial<Record<ErrorName, string>>> = {
  UNKNOWN_SERVER_ERROR: "UNKNOWN",
  NOT_LEADER_OR_FOLLOWER: "NOT_LEADER_FOR_PARTITION",
  COORDINATOR_LOAD_IN_PROGRESS: "GROUP_LOAD_IN_PROGRESS",
  COORDINATOR_NOT_AVAILABLE: "GROUP_COORDINATOR_NOT_AVAILABLE",
  NOT_COORDINATOR: "NOT_COORDINATOR_FOR_GROUP",
};

/** Every known code's info, ordered by code. */
export const ERROR_INFOS: readonly ErrorInfo[] = (Object.keys(ErrorCode) as ErrorName[])
  .map((name) => {
    const [retriable, message] = DETAILS[name];
    return Object.freeze({ code: ErrorCode[name], name, retriable, message, known: true });
  })
  .sort((a, b) => a.code - b.code);

const byCode = new Map<number, ErrorInfo>(ERROR_INFOS.map((i) => [i.code, i]));

/**
 * Info for a code. A code Kafka does not define (a newer broker, or garbage) is not an exception:
 * like Java's `Errors.forCode`, it is treated as a non-retriable UNKNOWN_SERVER_ERROR, but the info
 * keeps the code received and says `known: false`.
 */
export function errorInfo(code: number): ErrorInfo {
  const hit = byCode.get(code);
  if (hit) return hit;
  return {
    code,
    name: "UNKNOWN_SERVER_ERROR",
    retriable: false,
    message: `Error code ${code} is not one Brook knows; treated as an unknown server error.`,
    known: false,
  };
}

export function isRetriable(code: number): boolean {
  return errorInfo(code).retriable;
}

/** An error code returned by a broker, as thrown by Brook's client. */
export class KafkaError extends Error {
  /** The numeric Kafka error code. */
  readonly code: number;
  /** Kafka's current name for the code, e.g. NOT_LEADER_OR_FOLLOWER. */
  readonly errorName: string;
  /** The name KafkaJS gives the code (its `type`); differs from errorName only for renamed codes. */
  readonly type: string;
  readonly retriable: boolean;

  constructor(code: number, message?: string) {
    const info = errorInfo(code);
    super(message ?? info.message);
    this.name = "KafkaError";
    this.code = code;
    this.errorName = info.name;
    this.type = (info.known && LEGACY_NAMES[info.name as ErrorName]) || info.name;
    this.retriable = info.retriable;
  }

  /**
   * The error for a code, or undefined for NONE. `detail` (e.g. the broker's errorMessage field) is
   * appended to the standard explanation.
   */
  static fromCode(code: number, detail?: string | null): KafkaError | undefined {
    if (code === ErrorCode.NONE) return undefined;
    const info = errorInfo(code);
    return new KafkaError(
      code,
      detail ? `${info.name}: ${info.message} (${detail})` : `${info.name}: ${info.message}`,
    );
  }
}
