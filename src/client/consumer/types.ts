/**
 * The consumer's public types: KafkaJS 2.2.4's `Consumer` (same methods and `on` overloads), plus
 * Brook's additions, each marked "Brook:" — static membership, the KIP-848 protocol, lag and the
 * async iterator. The shared consumer types (payloads, batches, assigners, events) are in ../types.ts.
 */
import type {
  ConsumerEvents,
  InstrumentationEvent,
  RemoveInstrumentationEventListener,
} from "../instrumentation.js";
import type { Logger } from "../logger.js";
import type { ConsumerGroupMetadata } from "./group-metadata.js";
import type {
  ConnectEvent,
  ConsumerCommitOffsetsEvent,
  ConsumerConfig,
  ConsumerCrashEvent,
  ConsumerEndBatchProcessEvent,
  ConsumerFetchEvent,
  ConsumerFetchStartEvent,
  ConsumerGroupJoinEvent,
  ConsumerHeartbeatEvent,
  ConsumerRebalancingEvent,
  ConsumerReceivedUnsubcribedTopicsEvent,
  ConsumerRunConfig,
  ConsumerStartBatchProcessEvent,
  ConsumerSubscribeTopic,
  ConsumerSubscribeTopics,
  DisconnectEvent,
  EachMessagePayload,
  GroupDescription,
  RequestEvent,
  RequestQueueSizeEvent,
  RequestTimeoutEvent,
  TopicPartitionOffset,
  TopicPartitionOffsetAndMetadata,
  TopicPartitions,
} from "../types.js";

export type { ConsumerGroupMetadata } from "./group-metadata.js";

/** KafkaJS's consumer options plus Brook's. */
export interface BrookConsumerConfig extends ConsumerConfig {
  /**
   * Brook: static membership (KIP-345, Java's `group.instance.id`). A member restarted with the same
   * id within `sessionTimeout` gets its partitions back without a rebalance of the others; a static
   * member does not leave the group on stop/disconnect, it is removed when its session expires.
   */
  groupInstanceId?: string;
  /**
   * Brook: "classic" (JoinGroup/SyncGroup, the default, what KafkaJS speaks) or "consumer" (KIP-848:
   * ConsumerGroupHeartbeat, the broker assigns partitions; needs Kafka 4.0+ or Brook).
   */
  groupProtocol?: "classic" | "consumer";
  /** Brook: the server-side assignor for groupProtocol "consumer" ("uniform", "range"); default the broker's. */
  groupRemoteAssignor?: string;
}

/** Brook: one assigned partition's lag. Offsets are decimal strings, as everywhere in KafkaJS's API. */
export interface PartitionLag {
  topic: string;
  partition: number;
  /** The next offset this consumer will process (its position). */
  offset: string;
  /** The partition's high watermark (last stable offset under read_committed). */
  highWatermark: string;
  /** highWatermark − offset, never negative. */
  lag: string;
}

/** Brook: options of `consumer.messages()`: those of run() that make sense for one message at a time. */
export type MessagesConfig = Pick<
  ConsumerRunConfig,
  "autoCommit" | "autoCommitInterval" | "autoCommitThreshold"
>;

type ValueOf<T> = T[keyof T];

export type Consumer = {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  subscribe(subscription: ConsumerSubscribeTopics | ConsumerSubscribeTopic): Promise<void>;
  stop(): Promise<void>;
  run(config?: ConsumerRunConfig): Promise<void>;
  commitOffsets(topicPartitions: Array<TopicPartitionOffsetAndMetadata>): Promise<void>;
  seek(topicPartitionOffset: TopicPartitionOffset): void;
  describeGroup(): Promise<GroupDescription>;
  pause(topics: Array<{ topic: string; partitions?: number[] }>): void;
  paused(): TopicPartitions[];
  resume(topics: Array<{ topic: string; partitions?: number[] }>): void;
  /** Brook: lag of every partition assigned to this consumer. */
  lag(): Promise<PartitionLag[]>;
  /** Brook: the partitions currently assigned to this consumer. */
  assignment(): TopicPartitions[];
  /**
   * Brook: consume with `for await (const { topic, partition, message } of consumer.messages())`.
   * The next message is handed over only when the loop asks for it (backpressure; fetching stays
   * at most one batch per partition ahead). A message counts as processed when the loop asks for
   * the next one; leaving the loop (break, return, an exception) stops the consumer, and the
   * message it was holding is delivered again next time (at least once).
   */
  messages(config?: MessagesConfig): AsyncIterableIterator<EachMessagePayload>;
  /**
   * Brook: the group member's identity right now (Java's `consumer.groupMetadata()`): generation (or
   * KIP-848 member epoch), member id and instance id; generation -1 and member id "" before the first
   * join. `transaction.sendOffsets({ consumer, topics })` sends it with the offsets (KIP-447), so the
   * coordinator refuses them once this member has been replaced in the group.
   */
  groupMetadata(): ConsumerGroupMetadata;
  on(
    eventName: ConsumerEvents["HEARTBEAT"],
    listener: (event: ConsumerHeartbeatEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ConsumerEvents["COMMIT_OFFSETS"],
    listener: (event: ConsumerCommitOffsetsEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ConsumerEvents["GROUP_JOIN"],
    listener: (event: ConsumerGroupJoinEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ConsumerEvents["FETCH_START"],
    listener: (event: ConsumerFetchStartEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ConsumerEvents["FETCH"],
    listener: (event: ConsumerFetchEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ConsumerEvents["START_BATCH_PROCESS"],
    listener: (event: ConsumerStartBatchProcessEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ConsumerEvents["END_BATCH_PROCESS"],
    listener: (event: ConsumerEndBatchProcessEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ConsumerEvents["CONNECT"],
    listener: (event: ConnectEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ConsumerEvents["DISCONNECT"],
    listener: (event: DisconnectEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ConsumerEvents["STOP"],
    listener: (event: InstrumentationEvent<null>) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ConsumerEvents["CRASH"],
    listener: (event: ConsumerCrashEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ConsumerEvents["REBALANCING"],
    listener: (event: ConsumerRebalancingEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ConsumerEvents["RECEIVED_UNSUBSCRIBED_TOPICS"],
    listener: (event: ConsumerReceivedUnsubcribedTopicsEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ConsumerEvents["REQUEST"],
    listener: (event: RequestEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ConsumerEvents["REQUEST_TIMEOUT"],
    listener: (event: RequestTimeoutEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ConsumerEvents["REQUEST_QUEUE_SIZE"],
    listener: (event: RequestQueueSizeEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ValueOf<ConsumerEvents>,
    listener: (event: InstrumentationEvent<any>) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  logger(): Logger;
  readonly events: ConsumerEvents;
};
