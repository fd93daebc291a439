/**
 * brook/patterns: the patterns the seed articles teach, as tested parts on Brook's client: retry
 * topics with a dead-letter topic and redrive, idempotent consumers (PostgreSQL or Redis), and the
 * transactional outbox relay from PostgreSQL.
 * They talk Kafka through the client only, so they work against Brook and any Kafka cluster.
 */
export {
  type DeadLetterRecord,
  type RedriveOptions,
  RedriveError,
  type RedriveResult,
  redrive,
} from "./redrive.js";
export {
  type ForwardEvent,
  type NonRetryable,
  type RetryHandlerPayload,
  type RetryingConsumer,
  type RetryingConsumerOptions,
  RetryTopicsError,
  retryingConsumer,
} from "./retrying-consumer.js";
export {
  type BackoffOptions,
  DltHeaders,
  headerText,
  type NamingOptions,
  RetryHeaders,
  type RetryPlan,
  retryPlan,
} from "./retry-topics.js";
export {
  DuplicateInProgressError,
  type IdempotencyStore,
  type IdempotentOptions,
  type IdempotentPayload,
  idempotent,
  messageId,
  type PgClientLike,
  type PgPoolLike,
  type PostgresStore,
  postgresStore,
  type RedisLike,
  redisStore,
} from "./idempotent.js";
export * from "./saga/index.js";
export {
  createOutboxTable,
  DEFAULT_STATE_TOPIC,
  insertOutboxEvent,
  OutboxError,
  type OutboxEvent,
  type OutboxKafka,
  type OutboxRelay,
  type OutboxRelayOptions,
  type OutboxRelayStats,
  type OutboxRow,
  outboxTopic,
  startOutboxRelay,
} from "./outbox/index.js";
