/** The transactional outbox: the table, writing events to it, and the relay to Kafka. */
export {
  createOutboxTable,
  insertOutboxEvent,
  OutboxError,
  type OutboxEvent,
  type OutboxQueryable,
} from "./schema.js";
export {
  DEFAULT_STATE_TOPIC,
  defaultTopic as outboxTopic,
  type OutboxLogger,
  type OutboxPool,
  type OutboxRelay,
  type OutboxRelayOptions,
  type OutboxRelayStats,
  type OutboxRow,
  startOutboxRelay,
} from "./relay.js";
export type { OutboxKafka, OutboxMessage } from "./publisher.js";
