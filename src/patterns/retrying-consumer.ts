/**
 * `retryingConsumer`: non-blocking retries through retry topics, then a dead-letter topic, on
 * Brook's client (the pattern of Spring for Apache Kafka's @RetryableTopic).
 *
 * A record whose handler throws is republished to the next retry topic with the time it is due;
 * the same consumer group reads the retry topics and pauses a retry partition until its head
 * record is due, so a waiting record holds up neither the handler nor other partitions. After the
 * last attempt, or at once for a non-retryable error, the record goes to `<topic>-dlt` with
 * headers saying where it came from and why it failed. A source offset is committed only after
 * the republish is acknowledged (at least once), or, with `transactional: true`, the republish and
 * the offset commit are one Kafka transaction (exactly once between the topics).
 */
import type { BrookConsumerConfig, Consumer } from "../client/consumer/types.js";
import type { Kafka } from "../client/kafka.js";
import type { Producer, TopicMessages, Transaction } from "../client/producer/types.js";
import type { EachBatchPayload, EachMessagePayload, KafkaMessage } from "../client/types.js";
import {
  type BackoffOptions,
  failureHeaders,
  headerNumber,
  type NamingOptions,
  RetryHeaders,
  type RetryPlan,
  retryPlan,
} from "./retry-topics.js";

export interface RetryHandlerPayload extends EachMessagePayload {
  /** 1 for the first delivery (from the main topic), 2 for the first retry, ... */
  attempt: number;
  /** The main topic (payload.topic is the topic the record was read from, maybe a retry topic). */
  originalTopic: string;
}

/** An error class, or a predicate: errors that match go to the dead-letter topic without retries. */
export type NonRetryable = (abstract new (...args: never[]) => unknown) | ((error: unknown) => boolean);

export interface RetryingConsumerOptions extends NamingOptions {
  kafka: Kafka;
  groupId: string;
  topic: string;
  handler: (payload: RetryHandlerPayload) => Promise<void>;
  /** Deliveries including the first before a record goes to the DLT (default 3, as Spring). */
  attempts?: number;
  backoff?: BackoffOptions;
  nonRetryable?: NonRetryable[];
  /** Republish and offset commit in one transaction (default false: at least once). */
  transactional?: boolean;
  /**
   * The transactional id (default `<groupId>.<topic>.retry`). Keep it stable across restarts so a
   * restarted process fences its predecessor's open transaction at once; give every concurrently
   * running instance its own.
   */
  transactionalId?: string;
  /** Create missing retry topics and the DLT with the main topic's partition count (default true). */
  createTopics?: boolean;
  /** Where the group starts on the main topic when it has no committed offset (retry topics: always earliest). */
  fromBeginning?: boolean;
  /**
   * Partitions handled at once (default 1, as KafkaJS). Transactional mode always uses 1: one
   * transaction at a time per producer.
   */
  partitionsConsumedConcurrently?: number;
  /** More consumer settings (session timeout, heartbeat, ...). */
  consumerConfig?: Omit<BrookConsumerConfig, "groupId">;
  /** Called after a failed record was handed on (to a retry topic or the DLT). */
  onForward?: (event: ForwardEvent) => void;
}

export interface ForwardEvent {
  from: { topic: string; partition: number; offset: string };
  to: string;
  attempt: number;
  error: unknown;
  deadLetter: boolean;
}

export interface RetryingConsumer {
  /** Creates missing topics, connects, joins the group and starts consuming; resolves once running. */
  run(): Promise<void>;
  /** Stops consuming (committing what was processed) and disconnects. */
  stop(): Promise<void>;
  readonly plan: RetryPlan;
  /** The underlying consumer (for events and lag), once run() was called. */
  readonly consumer: Consumer | undefined;
}

export class RetryTopicsError extends Error {
  override name = "RetryTopicsError";
}

function isClass(f: unknown): f is abstract new (...args: never[]) => unknown {
  if (typeof f !== "function") return false;
  if (f === Error || f.prototype instanceof Error) return true;
  return /^class[\s{]/.test(Function.prototype.toString.call(f));
}

export function retryingConsumer(options: RetryingConsumerOptions): RetryingConsumer {
  const { kafka, groupId, topic, handler } = options;
  if (!topic) throw new TypeError("retryingConsumer: topic is required");
  if (!groupId) throw new TypeError("retryingConsumer: groupId is required");
  if (typeof handler !== "function") throw new TypeError("retryingConsumer: handler must be a function");
  const plan = retryPlan(topic, options.attempts ?? 3, options.backoff, options);
  const transactional = options.transactional ?? false;
  const nonRetryable = options.nonRetryable ?? [];
  if (!Array.isArray(nonRetryable) || nonRetryable.some((n) => typeof n !== "function")) {
    throw new TypeError("retryingConsumer: nonRetryable must be an array of error classes or predicates");
  }
  const isNonRetryable = (error: unknown): boolean =>
    nonRetryable.some((n) => {
      if (isClass(n)) return error instanceof n;
      try {
        return Boolean((n as (e: unknown) => unknown)(error));
      } catch {
        // A predicate that throws cannot classify the error: retry it, the safe default.
        return false;
      }
    });

  let consumer: Consumer | undefined;
  let producer: Producer | undefined;
  /** Partition counts of the destination topics, to keep a record's partition when it exists. */
  const partitionCounts = new Map<string, number>();
  /** Resume timers of paused retry partitions. */
  const timers = new Map<string, NodeJS.Timeout>();
  let stopped = false;

  async function ensureTopics(): Promise<void> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      if (!existing.has(topic))
        throw new RetryTopicsError(`retryingConsumer: topic "${topic}" does not exist`);
      const wanted = [...plan.topics, plan.dlt];
      const missing = wanted.filter((t) => !existing.has(t));
      const [main] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
      const count = main!.partitions.length;
      if (missing.length > 0) {
        if (options.createTopics === false) {
          throw new RetryTopicsError(
            `retryingConsumer: missing topics ${missing.join(", ")} (createTopics is false: create them with ${count} partitions)`,
          );
        }
        await admin.createTopics({
          topics: missing.map((t) => ({ topic: t, numPartitions: count })),
          waitForLeaders: true,
        });
      }
      const { topics } = await admin.fetchTopicMetadata({ topics: wanted });
      for (const t of topics) partitionCounts.set(t.name, t.partitions.length);
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }

  /** The record as it goes on after a failed attempt: to the next retry topic, or to the DLT. */
  function forwardOf(
    from: string,
    partition: number,
    message: KafkaMessage,
    attempt: number,
    error: unknown,
  ): TopicMessages & { deadLetter: boolean } {
    const retry = attempt < plan.attempts && !isNonRetryable(error);
    const to = retry ? plan.retryTopics[attempt - 1]! : plan.dlt;
    const headers = failureHeaders(
      {
        topic: from,
        partition,
        offset: message.offset,
        timestamp: message.timestamp,
        headers: message.headers,
        groupId,
      },
      error,
    );
    if (retry) {
      headers[RetryHeaders.attempts] = String(attempt + 1);
      // Wall-clock time: the due time is read by whichever process consumes the retry topic.
      headers[RetryHeaders.backoffTimestamp] = String(Date.now() + plan.delays[attempt - 1]!);
    } else {
      headers[RetryHeaders.attempts] = String(attempt);
    }
    const samePartition = partition < (partitionCounts.get(to) ?? 0);
    return {
      topic: to,
      deadLetter: !retry,
      messages: [
        { key: message.key, value: message.value, headers, ...(samePartition ? { partition } : {}) },
      ],
    };
  }

  /** Pauses a retry partition until its head record is due. */
  function holdUntilDue(from: string, partition: number, pause: () => () => void, waitMs: number): void {
    const key = `${from}\u0000${partition}`;
    const resume = pause();
    clearTimeout(timers.get(key));
    // setTimeout fires at once past 2^31-1 ms; a due time that far out (a producer's clock) waits in steps.
    waitMs = Math.min(waitMs, 2 ** 31 - 1);
    timers.set(
      key,
      setTimeout(() => {
        timers.delete(key);
        if (!stopped) resume();
      }, waitMs),
    );
  }

  async function eachBatch({ batch, resolveOffset, heartbeat, pause, isRunning, isStale }: EachBatchPayload) {
    const { topic: from, partition } = batch;
    const isRetryTopic = from !== topic;
    // Transactional: opened at the batch's first forward, so forwards go out as they happen and
    // the offset commit at the end makes them visible (read_committed) all at once, or never.
    let transaction: Transaction | undefined;
    const events: ForwardEvent[] = [];
    let last: KafkaMessage | undefined;
    try {
      for (const message of batch.messages) {
        if (!isRunning() || isStale()) break;
        let attempt = 1;
        if (isRetryTopic) {
          const due = headerNumber(message.headers, RetryHeaders.backoffTimestamp) ?? 0;
          const wait = due - Date.now();
          if (wait > 0) {
            holdUntilDue(from, partition, pause, wait);
            break;
          }
          const counted = headerNumber(message.headers, RetryHeaders.attempts);
          attempt = counted !== undefined && counted >= 2 ? counted : plan.retryTopics.indexOf(from) + 2;
        }
        try {
          await handler({ topic: from, partition, message, heartbeat, pause, attempt, originalTopic: topic });
        } catch (error) {
          const forward = forwardOf(from, partition, message, attempt, error);
          const event: ForwardEvent = {
            from: { topic: from, partition, offset: message.offset },
            to: forward.topic,
            attempt,
            error,
            deadLetter: forward.deadLetter,
          };
          if (transactional) {
            transaction ??= await producer!.transaction();
            await transaction.send({ topic: forward.topic, messages: forward.messages });
            events.push(event);
          } else {
            // Acknowledged before the offset is resolved, so a crash can duplicate but never lose it.
            await producer!.send({ topic: forward.topic, messages: forward.messages });
            options.onForward?.(event);
          }
        }
        last = message;
        if (!transactional) resolveOffset(message.offset);
        await heartbeat();
      }
      if (transactional && last) {
        transaction ??= await producer!.transaction();
        await transaction.sendOffsets({
          // Brook's client sends the consumer's group metadata (KIP-447); KafkaJS's takes the group id.
          consumer: consumer!,
          consumerGroupId: groupId,
          topics: [{ topic: from, partitions: [{ partition, offset: String(BigInt(last.offset) + 1n) }] }],
        });
        await transaction.commit();
        transaction = undefined;
        resolveOffset(last.offset);
        for (const event of events) options.onForward?.(event);
      }
    } finally {
      // A handler or send that threw mid-batch: nothing of this batch becomes visible.
      if (transaction?.isActive()) await transaction.abort().catch(() => {});
    }
  }

  return {
    plan,
    get consumer() {
      return consumer;
    },
    async run() {
      if (consumer) throw new RetryTopicsError("retryingConsumer: run() was already called");
      stopped = false;
      await ensureTopics();
      producer = kafka.producer(
        transactional
          ? {
              idempotent: true,
              maxInFlightRequests: 1,
              transactionalId: options.transactionalId ?? `${groupId}.${topic}.retry`,
            }
          : { idempotent: true },
      );
      await producer.connect();
      consumer = kafka.consumer({ ...options.consumerConfig, groupId });
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: options.fromBeginning ?? false });
      // A retry topic is read from its start whatever the main topic does: nothing forwarded to it
      // before the group's first commit there may be skipped.
      if (plan.topics.length > 0) await consumer.subscribe({ topics: plan.topics, fromBeginning: true });
      await consumer.run({
        autoCommit: !transactional,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: transactional ? 1 : (options.partitionsConsumedConcurrently ?? 1),
        eachBatch,
      });
    },
    async stop() {
      stopped = true;
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
      await consumer?.disconnect();
      await producer?.disconnect();
      consumer = undefined;
      producer = undefined;
    },
  };
}
