/**
 * Public types of Brook's client that KafkaJS 2.2.4 exports under the same names: the client
 * configuration, SASL, messages, metadata, and the consumer side (configs, payloads, assigners,
 * events). Property names and optionality follow KafkaJS's d.ts so code written against KafkaJS
 * type-checks against Brook unchanged. The Producer, Admin and Consumer interfaces, and the
 * producer- and admin-specific types, live with their implementations.
 */
import type * as net from "node:net";
import type * as tls from "node:tls";
import type { InstrumentationEvent } from "./instrumentation.js";
import type { Logger, logCreator, logLevel } from "./logger.js";
import type { RetryOptions } from "./retry.js";

export type {
  ConsumerEvents,
  InstrumentationEvent,
  RemoveInstrumentationEventListener,
} from "./instrumentation.js";
export type { LogEntry, Logger, LoggerEntryContent, logCreator } from "./logger.js";
export type { RetryOptions } from "./retry.js";

// ---------------------------------------------------------------------------------------------
// Client configuration

export type BrokersFunction = () => string[] | Promise<string[]>;

export interface KafkaConfig {
  brokers: string[] | BrokersFunction;
  ssl?: tls.ConnectionOptions | boolean;
  sasl?: SASLOptions | Mechanism;
  clientId?: string;
  connectionTimeout?: number;
  authenticationTimeout?: number;
  reauthenticationThreshold?: number;
  requestTimeout?: number;
  enforceRequestTimeout?: boolean;
  retry?: RetryOptions;
  socketFactory?: ISocketFactory;
  logLevel?: logLevel;
  logCreator?: logCreator;
}

export interface ISocketFactoryArgs {
  host: string;
  port: number;
  ssl: tls.ConnectionOptions;
  onConnect: () => void;
}

export type ISocketFactory = (args: ISocketFactoryArgs) => net.Socket;

// ---------------------------------------------------------------------------------------------
// SASL

export interface OauthbearerProviderResponse {
  value: string;
}

interface SASLMechanismOptionsMap {
  plain: { username: string; password: string };
  "scram-sha-256": { username: string; password: string };
  "scram-sha-512": { username: string; password: string };
  aws: {
    authorizationIdentity: string;
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken?: string;
  };
  oauthbearer: { oauthBearerProvider: () => Promise<OauthbearerProviderResponse> };
}

export type SASLMechanism = keyof SASLMechanismOptionsMap;

// Distributes over the mechanisms, so `{ mechanism: "plain", ... }` narrows to the plain options.
type SASLMechanismOptions<M> = M extends SASLMechanism
  ? { mechanism: M } & SASLMechanismOptionsMap[M]
  : never;

export type SASLOptions = SASLMechanismOptions<SASLMechanism>;

/** A custom SASL mechanism: the client sends what `request.encode()` gives, and so on. */
export type SaslAuthenticationRequest = {
  encode: () => Buffer | Promise<Buffer>;
};

export type SaslAuthenticationResponse<ParseResult> = {
  decode: (rawResponse: Buffer) => Buffer | Promise<Buffer>;
  parse: (data: Buffer) => ParseResult;
};

export type Authenticator = {
  authenticate: () => Promise<void>;
};

export type SaslAuthenticateArgs<ParseResult> = {
  request: SaslAuthenticationRequest;
  response?: SaslAuthenticationResponse<ParseResult>;
};

export type AuthenticationProviderArgs = {
  host: string;
  port: number;
  logger: Logger;
  // biome-ignore lint/suspicious/noConfusingVoidType: KafkaJS's signature; mechanisms may resolve with nothing.
  saslAuthenticate: <ParseResult>(args: SaslAuthenticateArgs<ParseResult>) => Promise<ParseResult | void>;
};

export type Mechanism = {
  mechanism: string;
  authenticationProvider: (args: AuthenticationProviderArgs) => Authenticator;
};

// ---------------------------------------------------------------------------------------------
// Messages and metadata

export interface IHeaders {
  [key: string]: Buffer | string | (Buffer | string)[] | undefined;
}

/** A message to produce. */
export interface Message {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  partition?: number;
  headers?: IHeaders;
  /** Milliseconds since the epoch, as a string. */
  timestamp?: string;
}

export type PartitionMetadata = {
  partitionErrorCode: number;
  partitionId: number;
  leader: number;
  replicas: number[];
  isr: number[];
  offlineReplicas?: number[];
};

export interface PartitionerArgs {
  topic: string;
  partitionMetadata: PartitionMetadata[];
  message: Message;
}

export type ICustomPartitioner = () => (args: PartitionerArgs) => number;
export type DefaultPartitioner = ICustomPartitioner;
export type LegacyPartitioner = ICustomPartitioner;

/** What Metadata returns, in KafkaJS's naming. */
export interface BrokerMetadata {
  brokers: Array<{ nodeId: number; host: string; port: number; rack?: string }>;
  topicMetadata: Array<{
    topicErrorCode: number;
    topic: string;
    partitionMetadata: PartitionMetadata[];
  }>;
}

export interface ApiVersions {
  [apiKey: number]: {
    minVersion: number;
    maxVersion: number;
  };
}

export interface CoordinatorMetadata {
  errorCode: number;
  coordinator: {
    nodeId: number;
    host: string;
    port: number;
  };
}

/** A consumed message from a pre-0.11 message set (magic 0/1): no headers. */
export interface MessageSetEntry {
  key: Buffer | null;
  value: Buffer | null;
  timestamp: string;
  attributes: number;
  offset: string;
  size: number;
  headers?: never;
}

/** A consumed message from a record batch (magic 2). */
export interface RecordBatchEntry {
  key: Buffer | null;
  value: Buffer | null;
  timestamp: string;
  attributes: number;
  offset: string;
  headers: IHeaders;
  size?: never;
}

export type KafkaMessage = MessageSetEntry | RecordBatchEntry;

/** The result of a send, one entry per partition written. Offsets and times are decimal strings. */
export type RecordMetadata = {
  topicName: string;
  partition: number;
  errorCode: number;
  offset?: string;
  timestamp?: string;
  baseOffset?: string;
  logAppendTime?: string;
  logStartOffset?: string;
};

export interface PartitionOffset {
  partition: number;
  offset: string;
}

export interface TopicOffsets {
  topic: string;
  partitions: PartitionOffset[];
}

export interface Offsets {
  topics: TopicOffsets[];
}

export interface OffsetsByTopicPartition {
  topics: TopicOffsets[];
}

export type TopicPartitions = { topic: string; partitions: number[] };

export type TopicPartition = {
  topic: string;
  partition: number;
};

export type TopicPartitionOffset = TopicPartition & {
  offset: string;
};

export type TopicPartitionOffsetAndMetadata = TopicPartitionOffset & {
  metadata?: string | null;
};

// ---------------------------------------------------------------------------------------------
// Consumer configuration and group assignment

export interface ConsumerConfig {
  groupId: string;
  partitionAssigners?: PartitionAssigner[];
  metadataMaxAge?: number;
  sessionTimeout?: number;
  rebalanceTimeout?: number;
  heartbeatInterval?: number;
  maxBytesPerPartition?: number;
  minBytes?: number;
  maxBytes?: number;
  maxWaitTimeInMs?: number;
  retry?: RetryOptions & { restartOnFailure?: (err: Error) => Promise<boolean> };
  allowAutoTopicCreation?: boolean;
  maxInFlightRequests?: number;
  readUncommitted?: boolean;
  rackId?: string;
}

/**
 * What an assigner may ask of the cluster. KafkaJS hands assigners its whole internal Cluster; the
 * partitions of a topic is what assigners use, and all Brook promises.
 */
export interface AssignerCluster {
  findTopicPartitionMetadata(topic: string): PartitionMetadata[];
}

/**
 * KafkaJS exports the types of its internal cluster and broker objects; assigners receive the
 * cluster. Brook's are different objects, so these name what Brook actually provides: an assigner
 * reads partition metadata from the cluster; a broker connects and disconnects.
 */
export type Cluster = AssignerCluster;
export type Broker = {
  isConnected(): boolean;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
};
export type ConsumerGroup = {
  groupId: string;
  generationId: number;
  memberId: string;
  coordinator: Broker;
};

export type PartitionAssigner = (config: {
  cluster: AssignerCluster;
  groupId: string;
  logger: Logger;
}) => Assigner;

/** Partitions by topic. */
export type Assignment = { [topic: string]: number[] };

export type GroupMember = { memberId: string; memberMetadata: Buffer };

export type GroupMemberAssignment = { memberId: string; memberAssignment: Buffer };

export type GroupState = { name: string; metadata: Buffer };

export type Assigner = {
  name: string;
  version: number;
  assign(group: { members: GroupMember[]; topics: string[] }): Promise<GroupMemberAssignment[]>;
  protocol(subscription: { topics: string[] }): GroupState;
};

export interface ISerializer<T> {
  encode(value: T): Buffer;
  decode(buffer: Buffer): T | null;
}

export type MemberMetadata = {
  version: number;
  topics: string[];
  userData: Buffer;
};

export type MemberAssignment = {
  version: number;
  assignment: Assignment;
  userData: Buffer;
};

export type MemberDescription = {
  clientHost: string;
  clientId: string;
  memberId: string;
  memberAssignment: Buffer;
  memberMetadata: Buffer;
};

/** The classic group states, as DescribeGroups names them. */
export type ConsumerGroupState =
  | "Unknown"
  | "PreparingRebalance"
  | "CompletingRebalance"
  | "Stable"
  | "Dead"
  | "Empty";

export type GroupDescription = {
  groupId: string;
  members: MemberDescription[];
  protocol: string;
  protocolType: string;
  state: ConsumerGroupState;
};

// ---------------------------------------------------------------------------------------------
// Consuming

export type Batch = {
  topic: string;
  partition: number;
  highWatermark: string;
  messages: KafkaMessage[];
  isEmpty(): boolean;
  firstOffset(): string | null;
  lastOffset(): string;
  offsetLag(): string;
  offsetLagLow(): string;
};

export interface EachMessagePayload {
  topic: string;
  partition: number;
  message: KafkaMessage;
  heartbeat(): Promise<void>;
  pause(): () => void;
}

export interface EachBatchPayload {
  batch: Batch;
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  pause(): () => void;
  commitOffsetsIfNecessary(offsets?: Offsets): Promise<void>;
  uncommittedOffsets(): OffsetsByTopicPartition;
  isRunning(): boolean;
  isStale(): boolean;
}

/** Older names (from @types/kafkajs) that KafkaJS keeps as aliases. */
export type ConsumerEachMessagePayload = EachMessagePayload;
export type ConsumerEachBatchPayload = EachBatchPayload;

export type EachBatchHandler = (payload: EachBatchPayload) => Promise<void>;
export type EachMessageHandler = (payload: EachMessagePayload) => Promise<void>;

export type ConsumerRunConfig = {
  autoCommit?: boolean;
  autoCommitInterval?: number | null;
  autoCommitThreshold?: number | null;
  eachBatchAutoResolve?: boolean;
  partitionsConsumedConcurrently?: number;
  eachBatch?: EachBatchHandler;
  eachMessage?: EachMessageHandler;
};

/** @deprecated Use ConsumerSubscribeTopics. */
export type ConsumerSubscribeTopic = { topic: string | RegExp; fromBeginning?: boolean };
export type ConsumerSubscribeTopics = { topics: (string | RegExp)[]; fromBeginning?: boolean };

// ---------------------------------------------------------------------------------------------
// Instrumentation events

export type ConnectEvent = InstrumentationEvent<null>;
export type DisconnectEvent = InstrumentationEvent<null>;

export type RequestEvent = InstrumentationEvent<{
  apiKey: number;
  apiName: string;
  apiVersion: number;
  broker: string;
  clientId: string;
  correlationId: number;
  createdAt: number;
  duration: number;
  pendingDuration: number;
  sentAt: number;
  size: number;
}>;

export type RequestTimeoutEvent = InstrumentationEvent<{
  apiKey: number;
  apiName: string;
  apiVersion: number;
  broker: string;
  clientId: string;
  correlationId: number;
  createdAt: number;
  pendingDuration: number;
  sentAt: number;
}>;

export type RequestQueueSizeEvent = InstrumentationEvent<{
  broker: string;
  clientId: string;
  queueSize: number;
}>;

export type ConsumerHeartbeatEvent = InstrumentationEvent<{
  groupId: string;
  memberId: string;
  groupGenerationId: number;
}>;

export type ConsumerCommitOffsetsEvent = InstrumentationEvent<{
  groupId: string;
  memberId: string;
  groupGenerationId: number;
  topics: TopicOffsets[];
}>;

export interface IMemberAssignment {
  [key: string]: number[];
}

export type ConsumerGroupJoinEvent = InstrumentationEvent<{
  duration: number;
  groupId: string;
  isLeader: boolean;
  leaderId: string;
  groupProtocol: string;
  memberId: string;
  memberAssignment: IMemberAssignment;
}>;

export type ConsumerFetchStartEvent = InstrumentationEvent<{ nodeId: number }>;

export type ConsumerFetchEvent = InstrumentationEvent<{
  numberOfBatches: number;
  duration: number;
  nodeId: number;
}>;

interface BatchProcessEventPayload {
  topic: string;
  partition: number;
  highWatermark: string;
  offsetLag: string;
  offsetLagLow: string;
  batchSize: number;
  firstOffset: string;
  lastOffset: string;
}

export type ConsumerStartBatchProcessEvent = InstrumentationEvent<BatchProcessEventPayload>;
export type ConsumerEndBatchProcessEvent = InstrumentationEvent<
  BatchProcessEventPayload & { duration: number }
>;

export type ConsumerCrashEvent = InstrumentationEvent<{
  error: Error;
  groupId: string;
  restart: boolean;
}>;

export type ConsumerRebalancingEvent = InstrumentationEvent<{
  groupId: string;
  memberId: string;
}>;

/** (KafkaJS's spelling of the name, typo included.) */
export type ConsumerReceivedUnsubcribedTopicsEvent = InstrumentationEvent<{
  groupId: string;
  generationId: number;
  memberId: string;
  assignedTopics: string[];
  topicsSubscribed: string[];
  topicsNotSubscribed: string[];
}>;
