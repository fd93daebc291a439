/**
 * `createConsumer`: KafkaJS 2.2.4's consumer API (connect, subscribe, run, stop, seek, pause,
 * commitOffsets, describeGroup, events) with its defaults, validation messages and crash/restart
 * rules, on Brook's session (session.ts) and group drivers. Brook's additions: static membership,
 * the KIP-848 protocol, `lag()`, `assignment()`, `messages()` and `groupMetadata()` (for KIP-447
 * transactional commits: a running consumer is listed in group-metadata.ts's directory).
 */
import { ErrorCode } from "../../protocol/error-codes.js";
import { DescribeGroups } from "../../protocol/messages/index.js";
import type { Cluster } from "../cluster/index.js";
import { KafkaJSError, KafkaJSNonRetriableError } from "../errors.js";
import { groupDescription } from "../group-description.js";
import { CONSUMER_EVENTS, createOn, InstrumentationEmitter } from "../instrumentation.js";
import type { Logger } from "../logger.js";
import { createRetry, RETRY_DEFAULTS, type RetryOptions } from "../retry.js";
import type {
  ConsumerRunConfig,
  ConsumerSubscribeTopic,
  ConsumerSubscribeTopics,
  EachMessagePayload,
  GroupDescription,
  PartitionAssigner,
  TopicPartitionOffset,
  TopicPartitionOffsetAndMetadata,
} from "../types.js";
import { type BrookAssigner, PartitionAssigners } from "./assigners.js";
import { ClassicDriver } from "./classic-driver.js";
import { ClassicMember } from "./classic-member.js";
import { ConsumerProtocolDriver } from "./consumer-driver.js";
import { type ConsumerGroupMetadata, type GroupMember, registerGroupMember } from "./group-metadata.js";
import { Session } from "./session.js";
import type { BrookConsumerConfig, Consumer, MessagesConfig, PartitionLag } from "./types.js";

export type * from "./types.js";

export interface CreateConsumerOptions extends BrookConsumerConfig {
  /** Fetch, ListOffsets and metadata. */
  cluster: Cluster;
  /** The group coordinator's connections, kept apart so Fetch long polls never delay heartbeats. */
  groupCluster: Cluster;
  logger: Logger;
  instrumentationEmitter?: InstrumentationEmitter;
  requestTimeout?: number;
}

/** KafkaJS's defaults. */
export const CONSUMER_DEFAULTS = {
  sessionTimeout: 30000,
  rebalanceTimeout: 60000,
  heartbeatInterval: 3000,
  maxBytesPerPartition: 1048576,
  minBytes: 1,
  maxBytes: 10485760,
  maxWaitTimeInMs: 5000,
  metadataMaxAge: 300000,
} as const;

const READ_UNCOMMITTED = 0;
const READ_COMMITTED = 1;

function toInteger(value: unknown): bigint | null {
  try {
    if (typeof value === "bigint") return value;
    if (typeof value === "number") return Number.isNaN(value) ? 0n : BigInt(Math.trunc(value));
    if (typeof value === "string") {
      if (value.length === 0) return null;
      if (value === "NaN" || /^[+-]?Infinity$/.test(value)) return 0n;
      return BigInt(value);
    }
    return BigInt(value as string);
  } catch {
    return null;
  }
}

function isNotNumber(value: unknown): boolean {
  return Number.isNaN(Number(value));
}

export function createConsumer(options: CreateConsumerOptions): Consumer {
  const {
    cluster,
    groupCluster,
    groupId,
    logger: rootLogger,
    partitionAssigners = [PartitionAssigners.roundRobin],
    sessionTimeout = CONSUMER_DEFAULTS.sessionTimeout,
    rebalanceTimeout = CONSUMER_DEFAULTS.rebalanceTimeout,
    heartbeatInterval = CONSUMER_DEFAULTS.heartbeatInterval,
    maxBytesPerPartition = CONSUMER_DEFAULTS.maxBytesPerPartition,
    minBytes = CONSUMER_DEFAULTS.minBytes,
    maxBytes = CONSUMER_DEFAULTS.maxBytes,
    maxWaitTimeInMs = CONSUMER_DEFAULTS.maxWaitTimeInMs,
    readUncommitted = false,
    rackId = "",
    metadataMaxAge = CONSUMER_DEFAULTS.metadataMaxAge,
    retry,
    groupInstanceId,
    groupProtocol = "classic",
    groupRemoteAssignor,
    requestTimeout = 30000,
  } = options;
  if (!groupId) throw new KafkaJSNonRetriableError("Consumer groupId must be a non-empty string.");
  const logger = rootLogger.namespace("Consumer");
  const emitter = options.instrumentationEmitter ?? new InstrumentationEmitter(CONSUMER_EVENTS, "consumer");
  if (heartbeatInterval >= sessionTimeout) {
    throw new KafkaJSNonRetriableError(
      `Consumer heartbeatInterval (${heartbeatInterval}) must be lower than sessionTimeout (${sessionTimeout}). It is recommended to set heartbeatInterval to approximately a third of the sessionTimeout.`,
    );
  }
  if (groupProtocol !== "classic" && groupProtocol !== "consumer") {
    throw new KafkaJSNonRetriableError(
      `groupProtocol must be "classic" or "consumer", got ${String(groupProtocol)}`,
    );
  }
  const assigners = (partitionAssigners as PartitionAssigner[]).map(
    (create) => create({ groupId, logger: rootLogger, cluster }) as BrookAssigner,
  );
  const retryOptions: RetryOptions = { ...retry };
  const isolationLevel = readUncommitted ? READ_UNCOMMITTED : READ_COMMITTED;

  const subscriptions = new Map<string, { fromBeginning: boolean }>();
  let session: Session | null = null;
  let restartTimer: NodeJS.Timeout | null = null;
  let stopping: Promise<void> | null = null;
  /** Counts stop()/disconnect() calls by the user: a crash's restart is dropped if one came meanwhile. */
  let userStops = 0;
  /** Removes this consumer from the in-process directory transactional producers look in. */
  let unlist: (() => void) | null = null;

  // The session's identity until it has stopped (handlers finishing during stop() still commit with it).
  const groupMetadata = (): ConsumerGroupMetadata => {
    const identity = session?.driver?.identity();
    return {
      groupId,
      generationId: identity?.generationId ?? -1,
      memberId: identity?.memberId ?? "",
      groupInstanceId: groupInstanceId ?? null,
    };
  };
  const member: GroupMember = {
    groupId,
    groupMetadata,
    owns: (topic, partition) =>
      session?.owned().some((t) => t.topic === topic && t.partitions.includes(partition)) ?? false,
    fenced: (code, used) => session?.driver?.onCommitError(code, used.generationId),
  };

  const connect = async () => {
    await cluster.connect();
    await groupCluster.connect();
    emitter.emit(CONSUMER_EVENTS.CONNECT);
  };

  const stop = (): Promise<void> => {
    if (stopping) return stopping;
    stopping = (async () => {
      try {
        if (session) {
          const s = session;
          await s.stop();
          if (session === s) {
            session = null;
            unlist?.();
            unlist = null;
          }
          emitter.emit(CONSUMER_EVENTS.STOP);
        }
        if (restartTimer) clearTimeout(restartTimer);
        restartTimer = null;
        logger.info("Stopped", { groupId });
      } catch (e) {
        logger.error(`Caught error when stopping the consumer: ${(e as Error).message}`, {
          stack: (e as Error).stack,
          groupId,
        });
        throw e;
      }
    })().finally(() => {
      stopping = null;
    });
    return stopping;
  };

  const disconnect = async () => {
    try {
      await stop();
      logger.debug("consumer has stopped, disconnecting", { groupId });
      await cluster.disconnect();
      await groupCluster.disconnect();
      emitter.emit(CONSUMER_EVENTS.DISCONNECT);
    } catch (e) {
      logger.error(`Caught error when disconnecting the consumer: ${(e as Error).message}`, {
        stack: (e as Error).stack,
        groupId,
      });
      throw e;
    }
  };

  const subscribe = async (subscription: ConsumerSubscribeTopics | ConsumerSubscribeTopic) => {
    if (session) throw new KafkaJSNonRetriableError("Cannot subscribe to topic while consumer is running");
    const {
      topic,
      topics,
      fromBeginning = false,
    } = (subscription ?? {}) as {
      topic?: string | RegExp;
      topics?: (string | RegExp)[];
      fromBeginning?: boolean;
    };
    if (!topic && !topics) throw new KafkaJSNonRetriableError('Missing required argument "topics"');
    if (topics != null && !Array.isArray(topics))
      throw new KafkaJSNonRetriableError('Argument "topics" must be an array');
    const list = topics ?? [topic!];
    for (const t of list) {
      if (typeof t !== "string" && !(t instanceof RegExp)) {
        throw new KafkaJSNonRetriableError(
          `Invalid topic ${t} (${typeof t}), the topic name has to be a String or a RegExp`,
        );
      }
    }
    const patterns = list.filter((t): t is RegExp => t instanceof RegExp);
    const matched = patterns.length > 0 ? await Session.topicsMatching(cluster, patterns) : [];
    if (patterns.length > 0)
      logger.debug("Subscription based on RegExp", { groupId, matchedTopics: matched });
    const names = [...list.filter((t): t is string => typeof t === "string"), ...matched];
    for (const name of names) subscriptions.set(name, { fromBeginning });
    await cluster.addTargetTopics(names);
  };

  const run = async (config: ConsumerRunConfig = {}) => {
    if (session) {
      logger.warn("consumer#run was called, but the consumer is already running", { groupId });
      return;
    }
    const {
      autoCommit = true,
      autoCommitInterval = null,
      autoCommitThreshold = null,
      eachBatchAutoResolve = true,
      partitionsConsumedConcurrently = 1,
      eachBatch = null,
      eachMessage = null,
    } = config;

    const start = async (): Promise<void> => {
      logger.info("Starting", { groupId });
      const s = new Session({
        groupId,
        cluster,
        logger: rootLogger.namespace("Runner"),
        emitter,
        topics: [...subscriptions.keys()],
        fromBeginning: new Map([...subscriptions].map(([t, c]) => [t, c.fromBeginning])),
        maxBytesPerPartition,
        minBytes,
        maxBytes,
        maxWaitTimeInMs,
        isolationLevel,
        rackId,
        requestTimeout,
        metadataMaxAge,
        retry: retryOptions,
        autoCommit,
        autoCommitInterval,
        autoCommitThreshold,
        eachBatchAutoResolve,
        concurrency: Math.max(1, Math.floor(partitionsConsumedConcurrently) || 1),
        eachBatch,
        eachMessage,
        onCrash: (e) => void onCrash(e, s),
      });
      if (groupProtocol === "consumer") {
        s.driver = new ConsumerProtocolDriver({
          host: s,
          cluster,
          groupCluster,
          groupId,
          groupInstanceId: groupInstanceId ?? null,
          rackId: rackId || null,
          rebalanceTimeout,
          serverAssignor: groupRemoteAssignor ?? null,
          retrier: s.retrier,
        });
      } else {
        const member = new ClassicMember({
          groupId,
          groupInstanceId: groupInstanceId ?? null,
          cluster,
          groupCluster,
          assigners,
          sessionTimeout,
          rebalanceTimeout,
          rackId: rackId || null,
          logger: rootLogger.namespace("ConsumerGroup"),
        });
        s.driver = new ClassicDriver({
          host: s,
          member,
          heartbeatInterval,
          retrier: s.retrier,
          groupInstanceId: groupInstanceId ?? null,
        });
      }
      session = s;
      unlist ??= registerGroupMember(consumer, member);
      try {
        await cluster.connect();
        await groupCluster.connect();
        emitter.emit(CONSUMER_EVENTS.CONNECT);
        await s.start();
      } catch (e) {
        await onCrash(e as Error, s);
      }
    };

    const onCrash = async (e: Error, crashed: Session) => {
      if (session !== crashed) return;
      const stopsAtCrash = userStops;
      const error = e as KafkaJSError & { retryCount?: number; retryTime?: number };
      logger.error(`Crash: ${error.name}: ${error.message}`, {
        groupId,
        retryCount: error.retryCount,
        stack: error.stack,
      });
      await disconnect().catch(() => {});
      const originalCause = (err: Error): Error =>
        err.cause instanceof Error ? originalCause(err.cause) : err;
      const retriable =
        error.name === "KafkaJSNumberOfRetriesExceeded" ||
        (originalCause(error) as { retriable?: boolean }).retriable === true;
      let restart = retriable;
      if (retriable && retry?.restartOnFailure) {
        restart = await retry.restartOnFailure(error).catch((callbackError: Error) => {
          logger.error(
            'Caught error when invoking user-provided "restartOnFailure" callback. Defaulting to restarting.',
            { error: callbackError?.message ?? callbackError, cause: error.message, groupId },
          );
          return true;
        });
      }
      emitter.emit(CONSUMER_EVENTS.CRASH, { error, groupId, restart });
      // A user who stopped or disconnected while the crash was handled (restartOnFailure pending) means
      // it: no restart timer then, which would reconnect the consumer (and keep the process alive).
      if (restart && userStops === stopsAtCrash) {
        const retryTime = error.retryTime || retry?.initialRetryTime || RETRY_DEFAULTS.initialRetryTime;
        logger.error(`Restarting the consumer in ${retryTime}ms`, {
          retryCount: error.retryCount,
          retryTime,
          groupId,
        });
        restartTimer = setTimeout(() => {
          restartTimer = null;
          void start();
        }, retryTime);
      }
    };

    await start();
  };

  const requireSession = (): Session => {
    if (!session)
      throw new KafkaJSNonRetriableError(
        "Consumer group was not initialized, consumer#run must be called first",
      );
    return session;
  };

  const commitOffsets = async (topicPartitions: TopicPartitionOffsetAndMetadata[] = []) => {
    const byTopic = new Map<string, Array<{ partition: number; offset: string; metadata: string | null }>>();
    for (const { topic, partition, offset, metadata = null } of topicPartitions) {
      if (!topic) throw new KafkaJSNonRetriableError(`Invalid topic ${topic}`);
      if (isNotNumber(partition))
        throw new KafkaJSNonRetriableError(`Invalid partition, expected a number received ${partition}`);
      const value = toInteger(offset);
      if (value === null)
        throw new KafkaJSNonRetriableError(`Invalid offset, expected a long received ${offset}`);
      if (value < 0n) throw new KafkaJSNonRetriableError("Offset must not be a negative number");
      if (metadata !== null && typeof metadata !== "string")
        throw new KafkaJSNonRetriableError(
          `Invalid offset metadata, expected string or null, received ${metadata}`,
        );
      let list = byTopic.get(topic);
      if (!list) byTopic.set(topic, (list = []));
      list.push({ partition, offset: value.toString(), metadata });
    }
    const s = requireSession();
    if (!s.isRunning()) return;
    await s.commitOffsets(
      { topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) },
      true,
    );
  };

  const seek = ({ topic, partition, offset }: TopicPartitionOffset) => {
    if (!topic) throw new KafkaJSNonRetriableError(`Invalid topic ${topic}`);
    if (isNotNumber(partition))
      throw new KafkaJSNonRetriableError(`Invalid partition, expected a number received ${partition}`);
    const value = toInteger(offset);
    if (value === null)
      throw new KafkaJSNonRetriableError(`Invalid offset, expected a long received ${offset}`);
    if (value < 0n && value !== -1n && value !== -2n)
      throw new KafkaJSNonRetriableError("Offset must not be a negative number");
    requireSession().seek(topic, Number(partition), Number(value));
  };

  const checkTopicPartitions = (items: Array<{ topic: string; partitions?: number[] }>, verb: string) => {
    for (const tp of items) {
      if (!tp?.topic) throw new KafkaJSNonRetriableError(`Invalid topic ${tp?.topic || tp}`);
      if (
        typeof tp.partitions !== "undefined" &&
        (!Array.isArray(tp.partitions) || tp.partitions.some((p) => isNotNumber(p)))
      ) {
        throw new KafkaJSNonRetriableError(
          `Array of valid partitions required to ${verb} specific partitions instead of ${tp.partitions}`,
        );
      }
    }
  };

  const pause = (items: Array<{ topic: string; partitions?: number[] }> = []) => {
    checkTopicPartitions(items, "pause");
    const s = requireSession();
    logger.info(`Pausing fetching from ${items.length} topics`, { topicPartitions: items });
    s.pause(items);
  };

  const resume = (items: Array<{ topic: string; partitions?: number[] }> = []) => {
    checkTopicPartitions(items, "resume");
    const s = requireSession();
    logger.info(`Resuming fetching from ${items.length} topics`, { topicPartitions: items });
    s.resume(items);
  };

  const paused = () => (session ? session.paused() : []);

  const describeGroup = async (): Promise<GroupDescription> => {
    const retrier = createRetry(retryOptions);
    return retrier(async () => {
      const coordinator = await groupCluster.coordinator(groupId, "GROUP");
      const res = await coordinator.request(DescribeGroups, {
        groups: [groupId],
        includeAuthorizedOperations: false,
      });
      const g = res.groups.find((x) => x.groupId === groupId);
      if (!g) throw new KafkaJSError(`Group ${groupId} not in the DescribeGroups answer`);
      if (g.errorCode === ErrorCode.NOT_COORDINATOR || g.errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE)
        groupCluster.forgetCoordinator(groupId, "GROUP");
      return groupDescription(g);
    });
  };

  const lag = async (): Promise<PartitionLag[]> => (session ? session.lag() : []);

  const assignment = () => (session ? session.assignment() : []);

  /**
   * The iterator runs the consumer with an eachMessage that hands each message to the loop and
   * waits until the loop asks for the next one, which is when the previous one counts as processed.
   * Closing the iterator stops the consumer (committing what was processed).
   */
  const messages = (config: MessagesConfig = {}): AsyncIterableIterator<EachMessagePayload> => {
    type Waiting = { resolve: (r: IteratorResult<EachMessagePayload>) => void; reject: (e: Error) => void };
    let waiting: Waiting | null = null;
    let handed: { payload: EachMessagePayload; done: () => void; fail: (e: Error) => void } | null = null;
    const queue: Array<{ payload: EachMessagePayload; done: () => void; fail: (e: Error) => void }> = [];
    let finished = false;
    let started: Promise<void> | null = null;

    const deliver = () => {
      if (!waiting || queue.length === 0) return;
      const item = queue.shift()!;
      handed = item;
      const w = waiting;
      waiting = null;
      w.resolve({ value: item.payload, done: false });
    };
    const startRunning = () => {
      started ??= run({
        ...config,
        partitionsConsumedConcurrently: 1,
        eachMessage: (payload) =>
          new Promise<void>((done, fail) => {
            if (finished) {
              fail(new KafkaJSError("The message iterator was closed"));
              return;
            }
            queue.push({ payload, done, fail });
            deliver();
          }),
      });
      return started;
    };
    const finish = async (): Promise<IteratorResult<EachMessagePayload>> => {
      finished = true;
      // The loop left (break, return or an exception) while holding this message: it cannot tell
      // which, so the message does not count as processed and comes again next time (at least once).
      const current = handed;
      handed = null;
      current?.fail(new KafkaJSError("The message iterator was closed"));
      for (const item of queue.splice(0)) item.fail(new KafkaJSError("The message iterator was closed"));
      if (waiting) {
        waiting.resolve({ value: undefined, done: true });
        waiting = null;
      }
      await stop();
      return { value: undefined, done: true };
    };

    const iterator: AsyncIterableIterator<EachMessagePayload> = {
      async next() {
        if (finished) return { value: undefined, done: true };
        // The previous message's loop body has finished: it is processed.
        const previous = handed;
        handed = null;
        previous?.done();
        await startRunning();
        return new Promise<IteratorResult<EachMessagePayload>>((resolve, reject) => {
          waiting = { resolve, reject };
          deliver();
        });
      },
      return: finish,
      async throw(e?: unknown) {
        const current = handed;
        handed = null;
        current?.fail(e instanceof Error ? e : new Error(String(e)));
        return finish();
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  };

  const consumer: Consumer = {
    connect,
    disconnect: () => {
      userStops++;
      return disconnect();
    },
    subscribe,
    stop: () => {
      userStops++;
      return stop();
    },
    run,
    commitOffsets,
    seek,
    describeGroup,
    pause,
    paused,
    resume,
    lag,
    assignment,
    messages,
    groupMetadata,
    on: createOn(emitter, CONSUMER_EVENTS, "consumer", logger) as Consumer["on"],
    events: CONSUMER_EVENTS,
    logger: () => logger,
  };
  return consumer;
}
