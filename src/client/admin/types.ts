/**
 * The public types of the admin client: KafkaJS 2.2.4's `Admin` and every type its methods take or
 * return, with the same names, property names and optionality as KafkaJS's d.ts, so code written
 * against KafkaJS type-checks unchanged; then the types of the methods Brook adds (Java AdminClient
 * semantics).
 *
 * Where KafkaJS's d.ts and its run-time results disagree, the result carries both spellings (see the
 * notes below), so code written against either keeps working.
 */
import type {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ConfigResourceTypes,
  ConfigSource,
  ResourcePatternTypes,
} from "../enums.js";
import type { KafkaJSProtocolError } from "../errors.js";
import type {
  AdminEvents,
  InstrumentationEvent,
  RemoveInstrumentationEventListener,
} from "../instrumentation.js";
import type { Logger } from "../logger.js";
import type { RetryOptions } from "../retry.js";
import type {
  ConnectEvent,
  DisconnectEvent,
  GroupDescription,
  PartitionMetadata,
  PartitionOffset,
  RequestEvent,
  RequestQueueSizeEvent,
  RequestTimeoutEvent,
  TopicPartitions,
} from "../types.js";

export type { AdminEvents } from "../instrumentation.js";
// Shared with the consumer side; declared once in ../types.ts and used here.
export type {
  ConnectEvent,
  ConsumerGroupState,
  DisconnectEvent,
  GroupDescription,
  MemberDescription,
  PartitionMetadata,
  PartitionOffset,
  RequestEvent,
  RequestQueueSizeEvent,
  RequestTimeoutEvent,
  TopicOffsets,
  TopicPartitions,
} from "../types.js";

type ValueOf<T> = T[keyof T];

export interface AdminConfig {
  retry?: RetryOptions;
}

// ---------------------------------------------------------------------------------------------
// Topics and partitions

export interface ReplicaAssignment {
  partition: number;
  replicas: Array<number>;
}

export interface IResourceConfigEntry {
  name: string;
  value: string;
}

export interface ITopicConfig {
  topic: string;
  numPartitions?: number;
  replicationFactor?: number;
  replicaAssignment?: ReplicaAssignment[];
  configEntries?: IResourceConfigEntry[];
}

export interface ITopicPartitionConfig {
  topic: string;
  count: number;
  assignments?: Array<Array<number>>;
}

export interface ITopicMetadata {
  name: string;
  partitions: PartitionMetadata[];
}

export type SeekEntry = PartitionOffset;

export type FetchOffsetsPartition = PartitionOffset & { metadata: string | null };

export interface PartitionReassignment {
  topic: string;
  partitionAssignment: Array<ReplicaAssignment>;
}

/**
 * KafkaJS's d.ts names these `partitionIndex`; its run-time objects say `partition`. Brook's carry
 * both.
 */
export interface OngoingPartitionReassignment {
  partitionIndex: number;
  partition: number;
  replicas: number[];
  addingReplicas?: number[];
  removingReplicas?: number[];
}

/** KafkaJS's d.ts says `topic`; its run-time objects say `name`. Brook's carry both. */
export interface OngoingTopicReassignment {
  topic: string;
  name: string;
  partitions: OngoingPartitionReassignment[];
}

export interface ListPartitionReassignmentsResponse {
  topics: OngoingTopicReassignment[];
}

// ---------------------------------------------------------------------------------------------
// Configs

export interface ResourceConfigQuery {
  type: ConfigResourceTypes;
  name: string;
  configNames?: string[];
}

export interface ConfigSynonyms {
  configName: string;
  configValue: string;
  configSource: ConfigSource;
}

export interface ConfigEntries {
  configName: string;
  configValue: string;
  isDefault: boolean;
  configSource: ConfigSource;
  isSensitive: boolean;
  readOnly: boolean;
  configSynonyms: ConfigSynonyms[];
}

export interface DescribeConfigResponse {
  resources: {
    configEntries: ConfigEntries[];
    errorCode: number;
    errorMessage: string;
    resourceType: ConfigResourceTypes;
    resourceName: string;
  }[];
  throttleTime: number;
}

export interface IResourceConfig {
  type: ConfigResourceTypes;
  name: string;
  configEntries: IResourceConfigEntry[];
}

/** What alterConfigs resolves to (KafkaJS types it `any`). */
export interface AlterConfigResponse {
  resources: {
    errorCode: number;
    errorMessage: string | null;
    resourceType: ConfigResourceTypes;
    resourceName: string;
  }[];
  throttleTime: number;
}

// ---------------------------------------------------------------------------------------------
// Groups

export type GroupDescriptions = {
  groups: GroupDescription[];
};

export type GroupOverview = {
  groupId: string;
  protocolType: string;
};

/** A group as Java's Admin.listGroups() gives it: with its state and type. */
export interface GroupListing {
  groupId: string;
  protocolType: string;
  /** "Stable", "Empty", … (ListGroups v4+); null from older brokers. */
  groupState: string | null;
  /** "classic" or "consumer" (KIP-848), from ListGroups v5+; null from older brokers. */
  groupType: string | null;
}

export type DeleteGroupsResult = {
  groupId: string;
  errorCode?: number;
  error?: KafkaJSProtocolError;
};

// ---------------------------------------------------------------------------------------------
// ACLs

export interface Acl {
  principal: string;
  host: string;
  operation: AclOperationTypes;
  permissionType: AclPermissionTypes;
}

export interface AclResource {
  resourceType: AclResourceTypes;
  resourceName: string;
  resourcePatternType: ResourcePatternTypes;
}

export type AclEntry = Acl & AclResource;

export type DescribeAclResource = AclResource & {
  acls: Acl[];
};

export interface DescribeAclResponse {
  throttleTime: number;
  errorCode: number;
  /**
   * Typed as KafkaJS's d.ts types it, so code written against KafkaJS compiles; at run time it is
   * null when there is no error, exactly as KafkaJS passes the wire value through.
   */
  errorMessage?: string;
  resources: DescribeAclResource[];
}

export interface AclFilter {
  resourceType: AclResourceTypes;
  resourceName?: string;
  resourcePatternType: ResourcePatternTypes;
  principal?: string;
  host?: string;
  operation: AclOperationTypes;
  permissionType: AclPermissionTypes;
}

export interface MatchingAcl {
  errorCode: number;
  /**
   * Typed as KafkaJS's d.ts types it, so code written against KafkaJS compiles; at run time it is
   * null when there is no error, exactly as KafkaJS passes the wire value through.
   */
  errorMessage?: string;
  resourceType: AclResourceTypes;
  resourceName: string;
  resourcePatternType: ResourcePatternTypes;
  principal: string;
  host: string;
  operation: AclOperationTypes;
  permissionType: AclPermissionTypes;
}

export interface DeleteAclFilterResponses {
  errorCode: number;
  /**
   * Typed as KafkaJS's d.ts types it, so code written against KafkaJS compiles; at run time it is
   * null when there is no error, exactly as KafkaJS passes the wire value through.
   */
  errorMessage?: string;
  matchingAcls: MatchingAcl[];
}

export interface DeleteAclResponse {
  throttleTime: number;
  filterResponses: DeleteAclFilterResponses[];
}

// ---------------------------------------------------------------------------------------------
// Brook's additions (Java AdminClient semantics)

export type AlterConfigOperation = "SET" | "DELETE" | "APPEND" | "SUBTRACT";

export interface IncrementalResourceConfig {
  type: ConfigResourceTypes;
  name: string;
  configEntries: Array<{ name: string; value?: string | null; operation: AlterConfigOperation }>;
}

export interface LogDirPartition {
  partition: number;
  /** Bytes on disk. */
  size: number;
  /** How far a future replica is behind the current one (0 unless a move between dirs is running). */
  offsetLag: number;
  isFuture: boolean;
}

export interface LogDirDescription {
  logDir: string;
  errorCode: number;
  /** -1 when the broker does not report it (DescribeLogDirs v3 and older). */
  totalBytes: number;
  usableBytes: number;
  topics: Array<{ topic: string; partitions: LogDirPartition[] }>;
}

export interface BrokerLogDirs {
  nodeId: number;
  logDirs: LogDirDescription[];
}

/** States a transaction coordinator reports (ListTransactions / DescribeTransactions). */
export type TransactionState =
  | "Empty"
  | "Ongoing"
  | "PrepareCommit"
  | "PrepareAbort"
  | "CompleteCommit"
  | "CompleteAbort"
  | "Dead"
  | "PrepareEpochFence";

export interface ListTransactionsFilters {
  /** Only transactions in these states (all when empty or absent). */
  states?: TransactionState[];
  /** Only transactions of these producer ids. */
  producerIds?: Array<string | number | bigint>;
  /** Only transactions running longer than this (ms); needs ListTransactions v1 (Kafka 3.8+). */
  durationMs?: number;
}

export interface TransactionListing {
  transactionalId: string;
  producerId: string;
  state: TransactionState;
  /** The broker that coordinates this transactional id. */
  coordinatorId: number;
}

export interface TransactionDescription {
  transactionalId: string;
  coordinatorId: number;
  state: TransactionState;
  producerId: string;
  producerEpoch: number;
  transactionTimeoutMs: number;
  /** When the running transaction started (ms since the epoch), -1 when none runs. */
  transactionStartTimeMs: number;
  topicPartitions: TopicPartitions[];
}

export interface ProducerState {
  producerId: string;
  producerEpoch: number;
  lastSequence: number;
  lastTimestamp: number;
  coordinatorEpoch: number;
  /** First offset of the producer's open transaction on this partition, -1 when none. */
  currentTransactionStartOffset: string;
}

export interface PartitionProducers {
  partition: number;
  activeProducers: ProducerState[];
}

export interface PartitionLag {
  partition: number;
  /** The group's committed offset, "-1" when it has none. */
  offset: string;
  /** Log end offset (high watermark). */
  high: string;
  /** high − offset; null when the group has no committed offset for the partition. */
  lag: string | null;
}

export interface TopicLag {
  topic: string;
  partitions: PartitionLag[];
  /** Sum of the known lags of the topic's partitions. */
  totalLag: string;
}

/** A KIP-848 consumer group (ConsumerGroupDescribe). */
export interface ConsumerGroupDescription {
  groupId: string;
  /** "Empty", "Assigning", "Reconciling", "Stable" or "Dead". */
  state: string;
  groupEpoch: number;
  assignmentEpoch: number;
  assignor: string;
  coordinatorId: number;
  members: Array<{
    memberId: string;
    instanceId: string | null;
    clientId: string;
    clientHost: string;
    memberEpoch: number;
    subscribedTopics: string[];
    assignment: TopicPartitions[];
    targetAssignment: TopicPartitions[];
  }>;
}

export interface PartitionWatermarks {
  partition: number;
  leader: number;
  /** Log start offset. */
  low: string;
  /** High watermark: the end a read_uncommitted consumer sees. */
  high: string;
  /** Last stable offset: the end a read_committed consumer sees (before any open transaction). */
  lastStable: string;
}

export interface GroupLag {
  groupId: string;
  topics: TopicLag[];
  totalLag: string;
}

export interface QuotaEntityComponent {
  /** "user", "client-id" or "ip". */
  entityType: string;
  /** null names the default entity of that type. */
  entityName: string | null;
}

export interface ClientQuotaAlteration {
  entity: QuotaEntityComponent[];
  /** `remove: true` deletes the quota; otherwise `value` is set. */
  ops: Array<{ key: string; value?: number; remove?: boolean }>;
}

export interface ClientQuotaFilterComponent {
  entityType: string;
  /** EXACT: the entity named `match`; DEFAULT: the default entity; ANY: any entity of the type. */
  matchType: "EXACT" | "DEFAULT" | "ANY";
  match?: string | null;
}

export interface ClientQuotaEntry {
  entity: QuotaEntityComponent[];
  values: Record<string, number>;
}

export type ScramMechanism = "SCRAM-SHA-256" | "SCRAM-SHA-512";

export interface ScramCredentialUpsertion {
  user: string;
  mechanism: ScramMechanism;
  password: string;
  /** Default 4096, Kafka's minimum. */
  iterations?: number;
  /** Default: random bytes, as the Java client. */
  salt?: Buffer;
}

export interface ScramCredentialDeletion {
  user: string;
  mechanism: ScramMechanism;
}

export interface UserScramCredentials {
  user: string;
  credentials: Array<{ mechanism: ScramMechanism; iterations: number }>;
}

// ---------------------------------------------------------------------------------------------

export type Admin = {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  listTopics(): Promise<string[]>;
  createTopics(options: {
    validateOnly?: boolean;
    waitForLeaders?: boolean;
    timeout?: number;
    topics: ITopicConfig[];
  }): Promise<boolean>;
  deleteTopics(options: { topics: string[]; timeout?: number }): Promise<void>;
  createPartitions(options: {
    validateOnly?: boolean;
    timeout?: number;
    topicPartitions: ITopicPartitionConfig[];
  }): Promise<boolean>;
  fetchTopicMetadata(options?: { topics: string[] }): Promise<{ topics: Array<ITopicMetadata> }>;
  fetchOffsets(options: {
    groupId: string;
    topics?: string[];
    resolveOffsets?: boolean;
  }): Promise<Array<{ topic: string; partitions: FetchOffsetsPartition[] }>>;
  fetchTopicOffsets(topic: string): Promise<Array<SeekEntry & { high: string; low: string }>>;
  fetchTopicOffsetsByTimestamp(topic: string, timestamp?: number): Promise<Array<SeekEntry>>;
  describeCluster(): Promise<{
    brokers: Array<{ nodeId: number; host: string; port: number }>;
    controller: number | null;
    clusterId: string;
  }>;
  setOffsets(options: { groupId: string; topic: string; partitions: SeekEntry[] }): Promise<void>;
  resetOffsets(options: { groupId: string; topic: string; earliest: boolean }): Promise<void>;
  describeConfigs(configs: {
    resources: ResourceConfigQuery[];
    includeSynonyms: boolean;
  }): Promise<DescribeConfigResponse>;
  alterConfigs(configs: {
    validateOnly: boolean;
    resources: IResourceConfig[];
  }): Promise<AlterConfigResponse>;
  listGroups(): Promise<{ groups: GroupOverview[] }>;
  deleteGroups(groupIds: string[]): Promise<DeleteGroupsResult[]>;
  describeGroups(groupIds: string[]): Promise<GroupDescriptions>;
  describeAcls(options: AclFilter): Promise<DescribeAclResponse>;
  deleteAcls(options: { filters: AclFilter[] }): Promise<DeleteAclResponse>;
  createAcls(options: { acl: AclEntry[] }): Promise<boolean>;
  deleteTopicRecords(options: { topic: string; partitions: SeekEntry[] }): Promise<void>;
  alterPartitionReassignments(request: { topics: PartitionReassignment[]; timeout?: number }): Promise<void>;
  listPartitionReassignments(request: {
    topics?: TopicPartitions[];
    timeout?: number;
  }): Promise<ListPartitionReassignmentsResponse>;
  logger(): Logger;
  on(
    eventName: AdminEvents["CONNECT"],
    listener: (event: ConnectEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: AdminEvents["DISCONNECT"],
    listener: (event: DisconnectEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: AdminEvents["REQUEST"],
    listener: (event: RequestEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: AdminEvents["REQUEST_QUEUE_SIZE"],
    listener: (event: RequestQueueSizeEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: AdminEvents["REQUEST_TIMEOUT"],
    listener: (event: RequestTimeoutEvent) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  on(
    eventName: ValueOf<AdminEvents>,
    listener: (event: InstrumentationEvent<any>) => void,
  ): RemoveInstrumentationEventListener<typeof eventName>;
  readonly events: AdminEvents;

  // Brook's additions.
  /** Kafka's IncrementalAlterConfigs: changes only the named configs (SET, DELETE, APPEND, SUBTRACT). */
  incrementalAlterConfigs(options: {
    resources: IncrementalResourceConfig[];
    validateOnly?: boolean;
  }): Promise<AlterConfigResponse>;
  /** Removes a group's committed offsets for a topic (all its partitions unless given). */
  deleteConsumerGroupOffsets(options: {
    groupId: string;
    topic: string;
    partitions?: number[];
  }): Promise<void>;
  /** Log directories of the given brokers (all by default), limited to `topics` when given. */
  describeLogDirs(options?: { brokers?: number[]; topics?: TopicPartitions[] }): Promise<BrokerLogDirs[]>;
  /** Transactions known to every broker's transaction coordinator. */
  listTransactions(filters?: ListTransactionsFilters): Promise<TransactionListing[]>;
  describeTransactions(transactionalIds: string[]): Promise<TransactionDescription[]>;
  /** Active producers (idempotent or transactional) of a topic's partitions (all unless given). */
  describeProducers(options: { topic: string; partitions?: number[] }): Promise<PartitionProducers[]>;
  /** A group's committed offsets beside each partition's log end, and the lag between them. */
  fetchLag(options: { groupId: string; topics?: string[] }): Promise<GroupLag>;
  /** Every group with its state and type (Java's listGroups); listGroups keeps KafkaJS's shape. */
  listGroupListings(): Promise<GroupListing[]>;
  /** KIP-848 consumer groups, as ConsumerGroupDescribe tells (classic groups: describeGroups). */
  describeConsumerGroups(groupIds: string[]): Promise<ConsumerGroupDescription[]>;
  /** Each partition's log start, high watermark and last stable offset. */
  fetchTopicWatermarks(topic: string): Promise<PartitionWatermarks[]>;
  alterClientQuotas(options: { entries: ClientQuotaAlteration[]; validateOnly?: boolean }): Promise<void>;
  describeClientQuotas(options?: {
    components?: ClientQuotaFilterComponent[];
    strict?: boolean;
  }): Promise<ClientQuotaEntry[]>;
  describeUserScramCredentials(users?: string[]): Promise<UserScramCredentials[]>;
  alterUserScramCredentials(options: {
    upsertions?: ScramCredentialUpsertion[];
    deletions?: ScramCredentialDeletion[];
  }): Promise<void>;
};
