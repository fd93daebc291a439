/**
 * The error classes of Brook's client. Names, constructor arguments, fields, `retriable` defaults and
 * the inheritance chain follow KafkaJS 2.2.4, so application code that does
 * `err instanceof KafkaJSConnectionError`, reads `err.retriable` or switches on `err.type` works
 * unchanged against Brook.
 *
 * Protocol errors are built from Brook's error table (src/protocol/error-codes.ts), which knows every
 * Apache Kafka code; `type` uses the names KafkaJS used for renamed codes.
 */
import { ErrorCode, type ErrorName, errorInfo, LEGACY_NAMES } from "../protocol/error-codes.js";

/** Options every KafkaJS error constructor accepts (KafkaJS's `KafkaJSErrorMetadata` plus `cause`). */
export interface KafkaJSErrorMetadata {
  retriable?: boolean;
  cause?: Error;
  topic?: string;
  partitionId?: number;
  metadata?: unknown;
}

/** Anything an error may be built from: a message, another error, or a protocol error description. */
export type ErrorSource = Error | string | { message?: string; helpUrl?: string };

function messageOf(e: ErrorSource | undefined): string {
  if (e === undefined || e === null) return "";
  if (typeof e === "string") return e;
  // KafkaJS keeps the message of an error it wraps; an object without one falls back to its string form.
  return e.message || String(e);
}

export class KafkaJSError extends Error {
  override name: string;
  retriable: boolean;
  helpUrl?: string;
  override cause?: Error;

  constructor(e?: ErrorSource, { retriable = true, cause }: KafkaJSErrorMetadata = {}) {
    super(messageOf(e), cause === undefined ? undefined : { cause });
    Error.captureStackTrace?.(this, new.target);
    this.name = "KafkaJSError";
    this.retriable = retriable;
    this.helpUrl = typeof e === "object" && e !== null ? (e as { helpUrl?: string }).helpUrl : undefined;
    this.cause = cause;
  }
}

export class KafkaJSNonRetriableError extends KafkaJSError {
  constructor(e?: ErrorSource, { cause }: { cause?: Error } = {}) {
    super(e, { retriable: false, cause });
    this.name = "KafkaJSNonRetriableError";
  }
}

/** What a protocol error is built from: KafkaJS's error-table entry shape. */
export interface ProtocolErrorSource {
  type?: string;
  code?: number;
  retriable?: boolean;
  message?: string;
  helpUrl?: string;
}

export class KafkaJSProtocolError extends KafkaJSError {
  type: string;
  code: number;

  constructor(e: Error | string | ProtocolErrorSource, options: { retriable?: boolean } = {}) {
    const source = (typeof e === "object" && e !== null ? e : {}) as ProtocolErrorSource;
    // Like KafkaJS, the retriable flag comes from the source unless the caller overrides it; a source
    // without one (a plain string) counts as retriable, as KafkaJSError's default says.
    super(e, { retriable: options.retriable ?? source.retriable ?? true });
    this.type = source.type as string;
    this.code = source.code as number;
    this.name = "KafkaJSProtocolError";
  }
}

export interface KafkaJSOffsetOutOfRangeMetadata {
  topic: string;
  partition: number;
}

export class KafkaJSOffsetOutOfRange extends KafkaJSProtocolError {
  topic: string;
  partition: number;

  constructor(
    e: Error | string | ProtocolErrorSource,
    { topic, partition }: KafkaJSOffsetOutOfRangeMetadata,
  ) {
    super(e);
    this.topic = topic;
    this.partition = partition;
    this.name = "KafkaJSOffsetOutOfRange";
  }
}

export class KafkaJSMemberIdRequired extends KafkaJSProtocolError {
  memberId: string;

  constructor(e: Error | string | ProtocolErrorSource, { memberId }: { memberId: string }) {
    super(e);
    this.memberId = memberId;
    this.name = "KafkaJSMemberIdRequired";
  }
}

export interface KafkaJSNumberOfRetriesExceededMetadata {
  retryCount: number;
  retryTime: number;
  cause?: Error;
}

export class KafkaJSNumberOfRetriesExceeded extends KafkaJSNonRetriableError {
  retryCount: number;
  retryTime: number;
  declare stack: string;

  constructor(e: Error | string, { retryCount, retryTime }: KafkaJSNumberOfRetriesExceededMetadata) {
    // The cause is always the last error seen, so its stack is what the user needs to read.
    super(e, { cause: typeof e === "string" ? undefined : e });
    this.name = "KafkaJSNumberOfRetriesExceeded";
    this.stack = `${this.name}\n  Caused by: ${typeof e === "string" ? e : e.stack}`;
    this.retryCount = retryCount;
    this.retryTime = retryTime;
  }
}

export interface KafkaJSConnectionErrorMetadata {
  broker?: string;
  code?: string;
}

export class KafkaJSConnectionError extends KafkaJSError {
  broker: string;
  code?: string;

  constructor(e?: ErrorSource, { broker, code }: KafkaJSConnectionErrorMetadata = {}) {
    super(e);
    this.broker = broker as string;
    this.code = code;
    this.name = "KafkaJSConnectionError";
  }
}

export class KafkaJSConnectionClosedError extends KafkaJSConnectionError {
  host?: string;
  port?: number;

  constructor(e?: ErrorSource, { host, port }: { host?: string; port?: number } = {}) {
    super(e, { broker: `${host}:${port}` });
    this.host = host;
    this.port = port;
    this.name = "KafkaJSConnectionClosedError";
  }
}

export interface KafkaJSRequestTimeoutErrorMetadata {
  broker?: string;
  clientId?: string;
  correlationId?: number;
  createdAt?: number;
  sentAt?: number;
  pendingDuration?: number;
}

export class KafkaJSRequestTimeoutError extends KafkaJSError {
  broker: string;
  correlationId: number;
  createdAt: number;
  sentAt: number;
  pendingDuration: number;

  constructor(e?: ErrorSource, metadata: KafkaJSRequestTimeoutErrorMetadata = {}) {
    super(e);
    this.broker = metadata.broker as string;
    this.correlationId = metadata.correlationId as number;
    this.createdAt = metadata.createdAt as number;
    this.sentAt = metadata.sentAt as number;
    this.pendingDuration = metadata.pendingDuration as number;
    this.name = "KafkaJSRequestTimeoutError";
  }
}

export class KafkaJSMetadataNotLoaded extends KafkaJSError {
  constructor(e?: ErrorSource, metadata?: KafkaJSErrorMetadata) {
    super(e, metadata);
    this.name = "KafkaJSMetadataNotLoaded";
  }
}

export interface KafkaJSTopicMetadataNotLoadedMetadata {
  topic: string;
}

export class KafkaJSTopicMetadataNotLoaded extends KafkaJSMetadataNotLoaded {
  topic: string;

  constructor(e?: ErrorSource, { topic }: Partial<KafkaJSTopicMetadataNotLoadedMetadata> = {}) {
    super(e);
    this.topic = topic as string;
    this.name = "KafkaJSTopicMetadataNotLoaded";
  }
}

/** KafkaJS's d.ts types unknownPartitions as partition metadata; its code passes partition numbers. */
export interface KafkaJSStaleTopicMetadataAssignmentMetadata {
  topic: string;
  unknownPartitions: number[];
}

export class KafkaJSStaleTopicMetadataAssignment extends KafkaJSError {
  topic: string;
  /** The assigned partition numbers the metadata does not know. */
  unknownPartitions: number[];

  constructor(
    e?: ErrorSource,
    { topic, unknownPartitions }: Partial<KafkaJSStaleTopicMetadataAssignmentMetadata> = {},
  ) {
    super(e);
    this.topic = topic as string;
    this.unknownPartitions = unknownPartitions as number[];
    this.name = "KafkaJSStaleTopicMetadataAssignment";
  }
}

export interface KafkaJSDeleteGroupsErrorGroups {
  groupId: string;
  errorCode: number;
  error: KafkaJSError;
}

export class KafkaJSDeleteGroupsError extends KafkaJSError {
  groups: KafkaJSDeleteGroupsErrorGroups[];

  constructor(e?: ErrorSource, groups: KafkaJSDeleteGroupsErrorGroups[] = []) {
    super(e);
    this.groups = groups;
    this.name = "KafkaJSDeleteGroupsError";
  }
}

export interface KafkaJSServerDoesNotSupportApiKeyMetadata {
  apiKey: number;
  apiName: string;
}

export class KafkaJSServerDoesNotSupportApiKey extends KafkaJSNonRetriableError {
  apiKey: number;
  apiName: string;

  constructor(e?: ErrorSource, { apiKey, apiName }: Partial<KafkaJSServerDoesNotSupportApiKeyMetadata> = {}) {
    super(e);
    this.apiKey = apiKey as number;
    this.apiName = apiName as string;
    this.name = "KafkaJSServerDoesNotSupportApiKey";
  }
}

export class KafkaJSBrokerNotFound extends KafkaJSError {
  constructor(e?: ErrorSource, metadata?: KafkaJSErrorMetadata) {
    super(e, metadata);
    this.name = "KafkaJSBrokerNotFound";
  }
}

export class KafkaJSPartialMessageError extends KafkaJSNonRetriableError {
  constructor(e?: ErrorSource, metadata?: { cause?: Error }) {
    super(e, metadata);
    this.name = "KafkaJSPartialMessageError";
  }
}

export class KafkaJSSASLAuthenticationError extends KafkaJSNonRetriableError {
  constructor(e?: ErrorSource, metadata?: { cause?: Error }) {
    super(e, metadata);
    this.name = "KafkaJSSASLAuthenticationError";
  }
}

export class KafkaJSGroupCoordinatorNotFound extends KafkaJSNonRetriableError {
  constructor(e?: ErrorSource, metadata?: { cause?: Error }) {
    super(e, metadata);
    this.name = "KafkaJSGroupCoordinatorNotFound";
  }
}

export class KafkaJSNotImplemented extends KafkaJSNonRetriableError {
  constructor(e?: ErrorSource, metadata?: { cause?: Error }) {
    super(e, metadata);
    this.name = "KafkaJSNotImplemented";
  }
}

export class KafkaJSTimeout extends KafkaJSNonRetriableError {
  constructor(e?: ErrorSource, metadata?: { cause?: Error }) {
    super(e, metadata);
    this.name = "KafkaJSTimeout";
  }
}

export class KafkaJSLockTimeout extends KafkaJSTimeout {
  constructor(e?: ErrorSource, metadata?: { cause?: Error }) {
    super(e, metadata);
    this.name = "KafkaJSLockTimeout";
  }
}

export class KafkaJSUnsupportedMagicByteInMessageSet extends KafkaJSNonRetriableError {
  constructor(e?: ErrorSource, metadata?: { cause?: Error }) {
    super(e, metadata);
    this.name = "KafkaJSUnsupportedMagicByteInMessageSet";
  }
}

export interface KafkaJSDeleteTopicRecordsErrorPartition {
  partition: number;
  offset: string;
  error?: KafkaJSError | null;
}

export interface KafkaJSDeleteTopicRecordsErrorTopic {
  topic?: string;
  partitions: KafkaJSDeleteTopicRecordsErrorPartition[];
}

export class KafkaJSDeleteTopicRecordsError extends KafkaJSError {
  partitions: KafkaJSDeleteTopicRecordsErrorPartition[];

  constructor({ partitions }: KafkaJSDeleteTopicRecordsErrorTopic) {
    // Worth retrying only when every partition that failed failed for a retriable reason.
    const retriable = partitions.every((p) => p.error == null || p.error.retriable === true);
    super("Error while deleting records", { retriable });
    this.name = "KafkaJSDeleteTopicRecordsError";
    this.partitions = partitions;
  }
}

export class KafkaJSInvariantViolation extends KafkaJSNonRetriableError {
  constructor(e: ErrorSource) {
    // Brook publishes no issue tracker URL in package.json, so unlike KafkaJS there is no helpUrl.
    super(`Invariant violated: ${messageOf(e)}. This is likely a bug and should be reported.`);
    this.name = "KafkaJSInvariantViolation";
  }
}

// KafkaJS 2.2.4 names the next two "KafkaJSNonRetriableError" (their class names differ); Brook keeps
// that, since code may compare `err.name`.
export class KafkaJSInvalidVarIntError extends KafkaJSNonRetriableError {
  constructor(e?: ErrorSource, metadata?: { cause?: Error }) {
    super(e, metadata);
    this.name = "KafkaJSNonRetriableError";
  }
}

export class KafkaJSInvalidLongError extends KafkaJSNonRetriableError {
  constructor(e?: ErrorSource, metadata?: { cause?: Error }) {
    super(e, metadata);
    this.name = "KafkaJSNonRetriableError";
  }
}

export class KafkaJSCreateTopicError extends KafkaJSProtocolError {
  topic: string;

  constructor(e: Error | string | ProtocolErrorSource, topicName: string) {
    super(e);
    this.topic = topicName;
    this.name = "KafkaJSCreateTopicError";
  }
}

export class KafkaJSAlterPartitionReassignmentsError extends KafkaJSProtocolError {
  topic?: string;
  partition?: number;

  constructor(e: Error | string | ProtocolErrorSource, topicName?: string, partition?: number) {
    super(e);
    this.topic = topicName;
    this.partition = partition;
    this.name = "KafkaJSAlterPartitionReassignmentsError";
  }
}

/** Several errors at once (e.g. one per topic of createTopics). Not a KafkaJSError, as in KafkaJS. */
export class KafkaJSAggregateError extends Error {
  errors: (Error | string)[];

  constructor(message: Error | string, errors: (Error | string)[]) {
    super(typeof message === "string" ? message : message.message);
    this.errors = errors;
    this.name = "KafkaJSAggregateError";
  }
}

/** Thrown inside the consumer's fetch loop to stop it for a rebalance; a plain Error, as in KafkaJS. */
export class KafkaJSFetcherRebalanceError extends Error {}

export class KafkaJSNoBrokerAvailableError extends KafkaJSError {
  constructor() {
    super("No broker available");
    this.name = "KafkaJSNoBrokerAvailableError";
  }
}

/** True for the error types after which a group member must rejoin (KafkaJS's names). */
export function isRebalancing(e: unknown): boolean {
  const type = (e as { type?: unknown } | null | undefined)?.type;
  return (
    type === "REBALANCE_IN_PROGRESS" || type === "NOT_COORDINATOR_FOR_GROUP" || type === "ILLEGAL_GENERATION"
  );
}

export function isKafkaJSError(e: unknown): e is KafkaJSError {
  return e instanceof KafkaJSError;
}

/** KafkaJS's name for a code Kafka renamed since (NOT_LEADER_FOR_PARTITION, ...), else Kafka's own name. */
export function errorTypeOf(code: number): string {
  const info = errorInfo(code);
  if (!info.known) return "KAFKAJS_UNKNOWN_ERROR_CODE";
  return LEGACY_NAMES[info.name as ErrorName] ?? info.name;
}

/**
 * The error for a Kafka error code from a response. `type`, `code` and `retriable` are what KafkaJS
 * reports for the codes it knows; codes newer than KafkaJS get Kafka's own name and retriability.
 * A code outside Kafka's table gets KafkaJS's KAFKAJS_UNKNOWN_ERROR_CODE type, but keeps the code
 * received (KafkaJS replaces it with -99, which hides what the broker sent).
 * `detail` is the broker's error message field, when the response has one.
 */
export function protocolError(code: number, detail?: string | null): KafkaJSProtocolError {
  const info = errorInfo(code);
  const base = info.known ? info.message : `Unknown error code ${code}`;
  return new KafkaJSProtocolError({
    type: errorTypeOf(code),
    code,
    retriable: info.known ? info.retriable : false,
    message: detail ? `${base} (${detail})` : base,
  });
}

/** Throws the protocol error for a non-zero code; returns for NONE. */
export function throwIfError(code: number, detail?: string | null): void {
  if (code !== ErrorCode.NONE) throw protocolError(code, detail);
}
