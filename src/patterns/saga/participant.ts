/**
 * `sagaParticipant`: one service's part in a saga, declared as data: which event types it handles,
 * which compensating events it handles (the undo of a step), and which events it emits and where.
 *
 * Built on the other parts: a `retryingConsumer` (a handler that throws is retried through retry
 * topics, then the event goes to the dead-letter topic) and `idempotent` (each event id runs once;
 * with `postgresStore` the handler's writes and the "processed" mark are one transaction). What a
 * handler emits is sent, and acknowledged, before that transaction commits: a crash in between
 * delivers the event again, the handler runs again and emits the same event ids (derived from the
 * incoming id), which the next participant drops as duplicates. So nothing is lost and nothing
 * takes effect twice. The saga id and the other `saga-*` headers go along on everything emitted.
 */
import { createHash } from "node:crypto";
import type { BrookConsumerConfig } from "../../client/consumer/types.js";
import type { Kafka } from "../../client/kafka.js";
import type { Producer } from "../../client/producer/types.js";
import { type IdempotencyStore, idempotent } from "../idempotent.js";
import type { RetryingConsumer } from "../retrying-consumer.js";
import { retryingConsumer } from "../retrying-consumer.js";
import type { BackoffOptions } from "../retry-topics.js";
import {
  readSagaEvent,
  SagaError,
  type SagaEvent,
  SagaHeaders,
  SagaMessageError,
  sagaHeadersOf,
} from "./events.js";

export interface SagaContext<C> {
  /** The idempotency store's context: the PostgreSQL transaction client for postgresStore. */
  tx: C;
  /** Emits an event of a declared type (sent before the handler's transaction commits). */
  emit(type: string, data: unknown): void;
  /** The command's `saga-deadline` (epoch ms) when it has one: past it, nobody waits for the answer. */
  deadline: number | undefined;
}

export type SagaHandler<C> = (event: SagaEvent, ctx: SagaContext<C>) => Promise<void>;

export interface SagaParticipantOptions<C> {
  kafka: Kafka;
  groupId: string;
  /** The topic this participant reads. */
  topic: string;
  /** Remembers processed event ids (postgresStore for exactly-once effects in PostgreSQL). */
  store: IdempotencyStore<C>;
  /** Event type → what the participant does (a saga step). */
  handlers: Record<string, SagaHandler<C>>;
  /** Compensating event type → how the participant undoes its step. */
  compensations?: Record<string, SagaHandler<C>>;
  /** Event type → the topic it is sent to. Emitting an undeclared type is an error. */
  emits?: Record<string, string>;
  /** Deliveries before an event goes to the dead-letter topic (default 3); see retryingConsumer. */
  attempts?: number;
  backoff?: BackoffOptions;
  fromBeginning?: boolean;
  /** Partitions handled at once (default 1; one saga's events share a partition, so they stay in order). */
  partitionsConsumedConcurrently?: number;
  consumerConfig?: Omit<BrookConsumerConfig, "groupId">;
  /** Called once per handled event (not for duplicates), after its transaction committed. */
  onHandled?: (event: SagaEvent) => void;
  onDuplicate?: (id: string) => void;
}

export interface SagaParticipant {
  run(): Promise<void>;
  stop(): Promise<void>;
  /** What the participant declared: the types it handles, compensates and emits. */
  readonly declaration: { handles: string[]; compensates: string[]; emits: Record<string, string> };
  /** The retrying consumer underneath (its plan names the retry topics and the DLT). */
  readonly consumer: RetryingConsumer;
}

/** `<incoming id>/<type>[/<n>]`; hashed once longer than 200 characters (choreography chains grow by a hop each). */
function derivedId(incoming: string, type: string, n: number): string {
  const id = `${incoming}/${type}${n > 1 ? `/${n}` : ""}`;
  return id.length <= 200 ? id : `sha256:${createHash("sha256").update(id).digest("hex")}`;
}

export function sagaParticipant<C>(options: SagaParticipantOptions<C>): SagaParticipant {
  const { kafka, store } = options;
  const handlers = options.handlers ?? {};
  const compensations = options.compensations ?? {};
  const emits = options.emits ?? {};
  for (const [kind, map] of [
    ["handlers", handlers],
    ["compensations", compensations],
  ] as const) {
    for (const [type, h] of Object.entries(map)) {
      if (typeof h !== "function")
        throw new TypeError(`sagaParticipant: ${kind}["${type}"] must be a function`);
    }
  }
  for (const type of Object.keys(handlers)) {
    if (type in compensations)
      throw new TypeError(`sagaParticipant: "${type}" is both a handler and a compensation`);
  }
  let producer: Producer | undefined;

  const handle = idempotent<C>(
    {
      store,
      // The event id, else the outbox relay's `id` header, else where the record was first read.
      key: ({ topic, partition, message }) => readSagaEvent(topic, partition, message).id,
      onDuplicate: (id) => options.onDuplicate?.(id),
    },
    async ({ topic, partition, message, tx }) => {
      const event = readSagaEvent(topic, partition, message);
      const handler = handlers[event.type] ?? compensations[event.type];
      if (!handler) return;
      const outgoing: Array<{ type: string; data: unknown }> = [];
      const deadlineText = sagaHeadersOf(message.headers)[SagaHeaders.deadline];
      await handler(event, {
        tx,
        deadline: deadlineText === undefined ? undefined : Number(deadlineText),
        emit(type, data) {
          if (!(type in emits)) {
            throw new SagaError(
              `sagaParticipant ${options.groupId}: "${type}" is not declared in emits (${Object.keys(emits).join(", ") || "none"})`,
            );
          }
          outgoing.push({ type, data });
        },
      });
      if (outgoing.length > 0) {
        const propagated = sagaHeadersOf(message.headers);
        const counts = new Map<string, number>();
        const byTopic = new Map<
          string,
          Array<{ key: string; value: string; headers: Record<string, string> }>
        >();
        for (const { type, data } of outgoing) {
          const n = (counts.get(type) ?? 0) + 1;
          counts.set(type, n);
          const list = byTopic.get(emits[type]!) ?? [];
          list.push({
            key: event.sagaId,
            value: JSON.stringify(data ?? null),
            headers: {
              ...propagated,
              [SagaHeaders.sagaId]: event.sagaId,
              [SagaHeaders.eventType]: type,
              // Deterministic: handling the same event again emits the same ids.
              [SagaHeaders.eventId]: derivedId(event.id, type, n),
            },
          });
          byTopic.set(emits[type]!, list);
        }
        await producer!.sendBatch({
          topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
        });
      }
      options.onHandled?.(event);
    },
  );

  const consumer = retryingConsumer({
    kafka,
    groupId: options.groupId,
    topic: options.topic,
    attempts: options.attempts ?? 3,
    backoff: options.backoff ?? { initialMs: 500, multiplier: 2 },
    nonRetryable: [SagaMessageError],
    fromBeginning: options.fromBeginning ?? true,
    partitionsConsumedConcurrently: options.partitionsConsumedConcurrently,
    consumerConfig: options.consumerConfig,
    handler: async (payload) => {
      // Types nobody here handles pass by without a trip through the idempotency store.
      const event = readSagaEvent(payload.topic, payload.partition, payload.message);
      if (!(event.type in handlers) && !(event.type in compensations)) return;
      await handle(payload);
    },
  });

  return {
    consumer,
    declaration: {
      handles: Object.keys(handlers),
      compensates: Object.keys(compensations),
      emits: { ...emits },
    },
    async run() {
      producer = kafka.producer({ idempotent: true });
      await producer.connect();
      try {
        await consumer.run();
      } catch (e) {
        await producer.disconnect().catch(() => {});
        producer = undefined;
        throw e;
      }
    },
    async stop() {
      await consumer.stop();
      await producer?.disconnect();
      producer = undefined;
    },
  };
}
