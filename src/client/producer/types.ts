/**
 * The producer's public types, shaped as KafkaJS 2.2.4's d.ts declares them so code typed against
 * KafkaJS compiles unchanged, plus Brook's own batching options (`linger`, `batchSize`). Types the
 * producer shares with the rest of the client (Message, RecordMetadata, Offsets, ...) live in
 * ../types.ts.
 */
import type { CompressionTypes } from "../enums.js";
import type {
  InstrumentationEvent,
  ProducerEvents,
  RemoveInstrumentationEventListener,
} from "../instrumentation.js";
import type { Logger } from "../logger.js";
import type { RetryOptions } from "../retry.js";
import type { SendOffsetsOptions } from "./eos.js";
import type {
  ConnectEvent,
  DisconnectEvent,
  ICustomPartitioner,
  Message,
  RecordMetadata,
  RequestEvent,
  RequestQueueSizeEvent,
  RequestTimeoutEvent,
} from "../types.js";

export type { ProducerEvents } from "../instrumentation.js";
export type { SendOffsetsOptions } from "./eos.js";

export interface ProducerConfig {
  createPartitioner?: ICustomPartitioner;
  retry?: RetryOptions;
  metadataMaxAge?: number;
  allowAutoTopicCreation?: boolean;
  idempotent?: boolean;
  transactionalId?: string;
  transactionTimeout?: number;
  maxInFlightRequests?: number;
  /**
   * Brook: how long (ms) a partition's first queued record may wait for more records to share its
   * batch. 0 (default) sends at once, merging only what is already queued.
   */
  linger?: number;
  /**
   * Brook: bytes of records (estimated before compression) above which concurrent sends to one
   * partition stop being merged into the same batch. One call's records for a partition always stay
   * in one batch, as with KafkaJS. Default 131072 (see DEFAULT_BATCH_SIZE for why not Kafka's 16384).
   */
  batchSize?: number;
}

export interface ProducerRecord {
  topic: string;
  messages: Message[];
  acks?: number;
  timeout?: number;
  compression?: CompressionTypes;
}

export interface TopicMessages {
  topic: string;
  messages: Message[];
}

export interface ProducerBatch {
  acks?: number;
  timeout?: number;
  compression?: CompressionTypes;
  topicMessages?: TopicMessages[];
}

export type Sender = {
  send(record: ProducerRecord): Promise<RecordMetadata[]>;
  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]>;
};

export type Transaction = Sender & {
  /**
   * KafkaJS's `{ consumerGroupId, topics }`; Brook also takes `{ consumer, topics }` and then sends
   * the consumer's group metadata with the offsets (KIP-447), see eos.ts.
   */
  sendOffsets(offsets: SendOffsetsOptions): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
  isActive(): boolean;
};

type ValueOf<T> = T[keyof T];

export type Producer = Sender & {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  isIdempotent(): boolean;
  readonly events: ProducerEvents;
  on(
    eventName: ProducerEvents["CONNECT"],
    listener: (event: ConnectEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ProducerEvents["DISCONNECT"],
    listener: (event: DisconnectEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ProducerEvents["REQUEST"],
    listener: (event: RequestEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ProducerEvents["REQUEST_QUEUE_SIZE"],
    listener: (event: RequestQueueSizeEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ProducerEvents["REQUEST_TIMEOUT"],
    listener: (event: RequestTimeoutEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ValueOf<ProducerEvents>,
    listener: (event: InstrumentationEvent<any>) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  transaction(): Promise<Transaction>;
  logger(): Logger;
};
