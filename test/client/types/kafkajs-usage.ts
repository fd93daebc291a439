/**
 * A KafkaJS 2.2.4 application's TypeScript, written as applications write it, using every type and
 * overload of the producer and admin API in KafkaJS's types/index.d.ts (and the consumer side's type
 * names, type-only). It is never run: test/client/types.test.ts compiles it with `--strict` twice,
 * once as it stands (proof that it is valid KafkaJS code) and once with "kafkajs" resolved to Brook's
 * client (src/client/index.ts). Both must compile.
 *
 * The `@ts-expect-error` lines are mistakes the types must catch: if a client's declarations
 * degrade to `any`, those lines stop being errors and the compile fails.
 */
import { connect, type Socket } from "node:net";
import type * as tls from "node:tls";
import {
  type Admin,
  type AdminConfig,
  type AdminEvents,
  type AclEntry,
  type AclFilter,
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  AssignerProtocol,
  type Batch,
  type BrokersFunction,
  CompressionCodecs,
  CompressionTypes,
  type ConfigEntries,
  ConfigResourceTypes,
  ConfigSource,
  type ConfigSynonyms,
  type ConnectEvent,
  type Consumer,
  type ConsumerConfig,
  type ConsumerCrashEvent,
  type ConsumerEvents,
  type ConsumerGroupJoinEvent,
  type ConsumerRunConfig,
  type ConsumerSubscribeTopics,
  type DeleteAclResponse,
  type DeleteGroupsResult,
  type DescribeAclResponse,
  type DescribeConfigResponse,
  type DisconnectEvent,
  type EachBatchHandler,
  type EachBatchPayload,
  type EachMessageHandler,
  type EachMessagePayload,
  type FetchOffsetsPartition,
  type GroupDescription,
  type GroupDescriptions,
  type GroupOverview,
  type ICustomPartitioner,
  type IHeaders,
  type InstrumentationEvent,
  type IResourceConfig,
  type IResourceConfigEntry,
  type ISocketFactory,
  type ITopicConfig,
  type ITopicMetadata,
  type ITopicPartitionConfig,
  Kafka,
  type KafkaConfig,
  KafkaJSAggregateError,
  KafkaJSBrokerNotFound,
  KafkaJSConnectionError,
  KafkaJSDeleteGroupsError,
  KafkaJSError,
  KafkaJSGroupCoordinatorNotFound,
  KafkaJSLockTimeout,
  KafkaJSMetadataNotLoaded,
  KafkaJSNonRetriableError,
  KafkaJSNotImplemented,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSOffsetOutOfRange,
  KafkaJSPartialMessageError,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
  KafkaJSSASLAuthenticationError,
  KafkaJSServerDoesNotSupportApiKey,
  KafkaJSStaleTopicMetadataAssignment,
  KafkaJSTimeout,
  KafkaJSTopicMetadataNotLoaded,
  type KafkaMessage,
  type ListPartitionReassignmentsResponse,
  type LogEntry,
  type Logger,
  type Message,
  type Offsets,
  type PartitionAssigner,
  PartitionAssigners,
  type PartitionerArgs,
  type PartitionMetadata,
  type PartitionOffset,
  type PartitionReassignment,
  Partitioners,
  type Producer,
  type ProducerBatch,
  type ProducerConfig,
  type ProducerEvents,
  type ProducerRecord,
  type RecordMetadata,
  type RemoveInstrumentationEventListener,
  type ReplicaAssignment,
  type RequestEvent,
  type RequestQueueSizeEvent,
  type RequestTimeoutEvent,
  type ResourceConfigQuery,
  ResourcePatternTypes,
  type RetryOptions,
  type SASLMechanism,
  type SASLOptions,
  type SeekEntry,
  type TopicMessages,
  type TopicOffsets,
  type TopicPartitionOffsetAndMetadata,
  type Transaction,
  logLevel,
  type logCreator,
} from "kafkajs";

// ------------------------------------------------------------------ client configuration

const brokersFromEnv: BrokersFunction = async () =>
  (process.env.KAFKA_BROKERS ?? "localhost:9092").split(",");

const retry: RetryOptions = {
  maxRetryTime: 30_000,
  initialRetryTime: 300,
  factor: 0.2,
  multiplier: 2,
  retries: 5,
  restartOnFailure: async (e: Error) => e.name !== "KafkaJSNonRetriableError",
};

const jsonLines: logCreator = (level: logLevel) => (entry: LogEntry) => {
  const { namespace, label, log } = entry;
  const { message, timestamp, ...extra } = log;
  if (level >= logLevel.INFO || entry.level <= logLevel.WARN) {
    process.stdout.write(`${JSON.stringify({ level: label, namespace, timestamp, message, ...extra })}\n`);
  }
};

const socketFactory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
  void ssl;
  const socket: Socket = connect({ host, port }, onConnect);
  socket.setKeepAlive(true, 30_000);
  return socket;
};

const tlsOptions: tls.ConnectionOptions = { rejectUnauthorized: true, servername: "kafka.example.com" };

const saslVariants: SASLOptions[] = [
  { mechanism: "plain", username: "alice", password: "alice-secret" },
  { mechanism: "scram-sha-256", username: "alice", password: "alice-secret" },
  { mechanism: "scram-sha-512", username: "alice", password: "alice-secret" },
  {
    mechanism: "aws",
    authorizationIdentity: "AIDA...",
    accessKeyId: "AKIA...",
    secretAccessKey: "secret",
    sessionToken: "token",
  },
  { mechanism: "oauthbearer", oauthBearerProvider: async () => ({ value: "a.b.c" }) },
];
const mechanismName: SASLMechanism = "scram-sha-512";

// @ts-expect-error a SCRAM mechanism needs a password
const missingPassword: SASLOptions = { mechanism: "scram-sha-256", username: "alice" };

const config: KafkaConfig = {
  clientId: "orders-service",
  brokers: brokersFromEnv,
  ssl: tlsOptions,
  sasl: saslVariants[0],
  connectionTimeout: 1000,
  authenticationTimeout: 10_000,
  reauthenticationThreshold: 10_000,
  requestTimeout: 30_000,
  enforceRequestTimeout: true,
  retry,
  socketFactory,
  logLevel: logLevel.INFO,
  logCreator: jsonLines,
};

export const kafka = new Kafka(config);
export const plainKafka = new Kafka({ brokers: ["localhost:9092"], ssl: true, logLevel: logLevel.NOTHING });
// A custom SASL mechanism through KafkaJS's authenticationProvider contract.
export const customSasl = new Kafka({
  brokers: ["localhost:9092"],
  sasl: {
    mechanism: "my-mechanism",
    authenticationProvider: ({ host, port, logger, saslAuthenticate }) => ({
      authenticate: async () => {
        logger.info("authenticating", { host, port });
        await saslAuthenticate({ request: { encode: () => Buffer.from("token") } });
      },
    }),
  },
});

// @ts-expect-error brokers is required
export const noBrokers = new Kafka({ clientId: "x" });

const logger: Logger = kafka.logger();
logger.info("started", { pid: process.pid });
logger.warn("careful");
logger.error("failed", { error: "boom" });
logger.debug("details");
const nsLogger: Logger = logger.namespace("orders", logLevel.DEBUG);
nsLogger.setLogLevel(logLevel.WARN);
const levels: number[] = [logLevel.NOTHING, logLevel.ERROR, logLevel.WARN, logLevel.INFO, logLevel.DEBUG];

// ------------------------------------------------------------------ producer

const partitionByRegion: ICustomPartitioner = () => {
  return ({ topic, partitionMetadata, message }: PartitionerArgs): number => {
    const available: PartitionMetadata[] = partitionMetadata.filter((p) => p.leader >= 0 && p.isr.length > 0);
    const region = message.headers?.region?.toString() ?? topic;
    return available[region.length % available.length]?.partitionId ?? 0;
  };
};

const producerConfig: ProducerConfig = {
  createPartitioner: Partitioners.DefaultPartitioner,
  retry: { retries: 10 },
  metadataMaxAge: 300_000,
  allowAutoTopicCreation: false,
  idempotent: true,
  transactionalId: "orders-tx",
  transactionTimeout: 60_000,
  maxInFlightRequests: 1,
};

export const producer: Producer = kafka.producer(producerConfig);
export const legacyProducer = kafka.producer({ createPartitioner: Partitioners.LegacyPartitioner });
export const javaProducer = kafka.producer({ createPartitioner: Partitioners.JavaCompatiblePartitioner });
export const customProducer = kafka.producer({ createPartitioner: partitionByRegion });
export const defaultProducer = kafka.producer();

export async function produce(): Promise<RecordMetadata[]> {
  await producer.connect();
  const headers: IHeaders = {
    "content-type": "application/json",
    trace: Buffer.from("abc"),
    tags: ["a", Buffer.from("b")],
    absent: undefined,
  };
  const messages: Message[] = [
    { key: "order-1", value: JSON.stringify({ total: 10 }), headers, timestamp: String(Date.now()) },
    { key: Buffer.from("order-2"), value: Buffer.from("{}"), partition: 2 },
    { key: null, value: null },
    { value: "no key" },
  ];
  const record: ProducerRecord = {
    topic: "orders",
    messages,
    acks: -1,
    timeout: 30_000,
    compression: CompressionTypes.GZIP,
  };
  const sent: RecordMetadata[] = await producer.send(record);
  for (const {
    topicName,
    partition,
    errorCode,
    offset,
    timestamp,
    baseOffset,
    logAppendTime,
    logStartOffset,
  } of sent) {
    logger.info("sent", {
      topicName,
      partition,
      errorCode,
      offset,
      timestamp,
      baseOffset,
      logAppendTime,
      logStartOffset,
    });
  }
  const topicMessages: TopicMessages[] = [
    { topic: "orders", messages: [{ value: "a" }] },
    { topic: "payments", messages: [{ key: "p", value: "b" }] },
  ];
  const batch: ProducerBatch = { acks: 1, timeout: 1000, compression: CompressionTypes.None, topicMessages };
  const batchSent = await producer.sendBatch(batch);
  for (const codec of [CompressionTypes.Snappy, CompressionTypes.LZ4, CompressionTypes.ZSTD]) {
    await producer.send({ topic: "compressed", compression: codec, messages: [{ value: "x" }] });
  }
  // @ts-expect-error acks is a number
  await producer.send({ topic: "orders", messages, acks: "all" });
  // @ts-expect-error a message needs a value
  await producer.send({ topic: "orders", messages: [{ key: "k" }] });
  // @ts-expect-error partitions are numbers
  const wrongPartition: string = sent[0]!.partition;
  void wrongPartition;
  const idempotent: boolean = producer.isIdempotent();
  logger.info("idempotent", { idempotent });
  await producer.disconnect();
  return [...sent, ...batchSent];
}

/** Consume-transform-produce: the offsets are committed in the transaction. */
export async function transactional(consumerGroupId: string): Promise<void> {
  const transaction: Transaction = await producer.transaction();
  try {
    await transaction.send({ topic: "out", messages: [{ value: "result" }] });
    await transaction.sendBatch({ topicMessages: [{ topic: "audit", messages: [{ value: "done" }] }] });
    const partitions: PartitionOffset[] = [{ partition: 0, offset: "42" }];
    const topics: TopicOffsets[] = [{ topic: "in", partitions }];
    const offsets: Offsets = { topics };
    await transaction.sendOffsets({ ...offsets, consumerGroupId });
    if (transaction.isActive()) await transaction.commit();
  } catch (e) {
    await transaction.abort();
    throw e;
  }
}

// ------------------------------------------------------------------ instrumentation events

const producerEvents: ProducerEvents = producer.events;
const removers: Array<RemoveInstrumentationEventListener<string>> = [
  producer.on(producer.events.CONNECT, (e: ConnectEvent) =>
    logger.info("connected", { id: e.id, ts: e.timestamp }),
  ),
  producer.on(producer.events.DISCONNECT, (e: DisconnectEvent) =>
    logger.info("disconnected", { type: e.type }),
  ),
  producer.on(producer.events.REQUEST, (e: RequestEvent) => {
    const {
      apiKey,
      apiName,
      apiVersion,
      broker,
      clientId,
      correlationId,
      createdAt,
      duration,
      pendingDuration,
    } = e.payload;
    logger.debug("request", {
      apiKey,
      apiName,
      apiVersion,
      broker,
      clientId,
      correlationId,
      createdAt,
      duration,
    });
    logger.debug("request", { pendingDuration, sentAt: e.payload.sentAt, size: e.payload.size });
  }),
  producer.on(producer.events.REQUEST_TIMEOUT, (e: RequestTimeoutEvent) =>
    logger.warn("timeout", { broker: e.payload.broker, correlationId: e.payload.correlationId }),
  ),
  producer.on(producer.events.REQUEST_QUEUE_SIZE, (e: RequestQueueSizeEvent) =>
    logger.debug("queue", { queueSize: e.payload.queueSize, broker: e.payload.broker }),
  ),
  producer.on("producer.connect", () => logger.info("connected (by name)")),
  producer.on("producer.network.request_timeout", (payload) => logger.error("timeout", { payload })),
  producer.on(producerEvents.DISCONNECT, (e: InstrumentationEvent<null>) =>
    logger.info("bye", { payload: e.payload }),
  ),
];
for (const remove of removers) remove();
// @ts-expect-error not a producer event
producer.on("consumer.crash", () => {});

// ------------------------------------------------------------------ admin

const adminConfig: AdminConfig = { retry: { retries: 3 } };
export const admin: Admin = kafka.admin(adminConfig);
const adminEvents: AdminEvents = admin.events;
const removeAdminListener: RemoveInstrumentationEventListener<AdminEvents["CONNECT"]> = admin.on(
  adminEvents.CONNECT,
  (e: ConnectEvent) => logger.info("admin connected", { id: e.id }),
);
removeAdminListener();
admin.on(admin.events.DISCONNECT, (e: DisconnectEvent) => void e);
admin.on(admin.events.REQUEST, (e: RequestEvent) => void e.payload.duration);
admin.on(admin.events.REQUEST_TIMEOUT, (e: RequestTimeoutEvent) => void e.payload.sentAt);
admin.on(admin.events.REQUEST_QUEUE_SIZE, (e: RequestQueueSizeEvent) => void e.payload.queueSize);
admin.on("admin.network.request", (e) => void e);

export async function administer(): Promise<void> {
  await admin.connect();
  const names: string[] = await admin.listTopics();

  const entries: IResourceConfigEntry[] = [{ name: "cleanup.policy", value: "compact" }];
  const assignment: ReplicaAssignment[] = [{ partition: 0, replicas: [1, 2, 3] }];
  const topics: ITopicConfig[] = [
    { topic: "orders", numPartitions: 6, replicationFactor: 3, configEntries: entries },
    { topic: "users", replicaAssignment: assignment },
  ];
  const created: boolean = await admin.createTopics({
    validateOnly: false,
    waitForLeaders: true,
    timeout: 5000,
    topics,
  });
  // @ts-expect-error createTopics needs its topics
  await admin.createTopics({ validateOnly: true });
  await admin.deleteTopics({ topics: ["old"], timeout: 5000 });

  const grow: ITopicPartitionConfig[] = [{ topic: "orders", count: 12, assignments: [[1], [2]] }];
  const grown: boolean = await admin.createPartitions({
    validateOnly: false,
    timeout: 5000,
    topicPartitions: grow,
  });

  const md: { topics: ITopicMetadata[] } = await admin.fetchTopicMetadata({ topics: ["orders"] });
  const allMd = await admin.fetchTopicMetadata();
  for (const t of [...md.topics, ...allMd.topics]) {
    for (const p of t.partitions) {
      const { partitionErrorCode, partitionId, leader, replicas, isr, offlineReplicas } = p;
      logger.info(t.name, { partitionErrorCode, partitionId, leader, replicas, isr, offlineReplicas });
    }
  }

  const committed: Array<{ topic: string; partitions: FetchOffsetsPartition[] }> = await admin.fetchOffsets({
    groupId: "g",
    topics: ["orders"],
    resolveOffsets: true,
  });
  const metadataOf: Array<string | null> = committed.flatMap((t) => t.partitions.map((p) => p.metadata));
  const ends: Array<SeekEntry & { high: string; low: string }> = await admin.fetchTopicOffsets("orders");
  const lag = ends.map(({ partition, offset, high, low }) => ({
    partition,
    lag: Number(high) - Number(offset),
    low,
  }));
  const byTime: SeekEntry[] = await admin.fetchTopicOffsetsByTimestamp("orders", Date.now() - 60_000);
  const latest: SeekEntry[] = await admin.fetchTopicOffsetsByTimestamp("orders");

  const cluster = await admin.describeCluster();
  const controller: number | null = cluster.controller;
  const clusterId: string = cluster.clusterId;
  const hosts: string[] = cluster.brokers.map((b) => `${b.host}:${b.port}#${b.nodeId}`);

  await admin.setOffsets({ groupId: "g", topic: "orders", partitions: [{ partition: 0, offset: "10" }] });
  await admin.resetOffsets({ groupId: "g", topic: "orders", earliest: true });

  const queries: ResourceConfigQuery[] = [
    { type: ConfigResourceTypes.TOPIC, name: "orders", configNames: ["retention.ms"] },
    { type: ConfigResourceTypes.BROKER, name: "1" },
  ];
  const described: DescribeConfigResponse = await admin.describeConfigs({
    resources: queries,
    includeSynonyms: true,
  });
  for (const r of described.resources) {
    const { errorCode, errorMessage, resourceName, resourceType } = r;
    logger.info(resourceName, { errorCode, errorMessage, resourceType, throttle: described.throttleTime });
    for (const entry of r.configEntries) {
      const e: ConfigEntries = entry;
      const synonyms: ConfigSynonyms[] = e.configSynonyms;
      const fromTopic: boolean = e.configSource === ConfigSource.TOPIC_CONFIG;
      logger.info(e.configName, {
        value: e.configValue,
        d: e.isDefault,
        s: e.isSensitive,
        ro: e.readOnly,
        fromTopic,
      });
      logger.info("synonyms", { n: synonyms.map((s) => [s.configName, s.configValue, s.configSource]) });
    }
  }
  const alter: IResourceConfig[] = [
    {
      type: ConfigResourceTypes.TOPIC,
      name: "orders",
      configEntries: [{ name: "retention.ms", value: "1000" }],
    },
  ];
  await admin.alterConfigs({ validateOnly: false, resources: alter });

  const listed: { groups: GroupOverview[] } = await admin.listGroups();
  const groupIds = listed.groups.map((g) => `${g.groupId}/${g.protocolType}`);
  const descriptions: GroupDescriptions = await admin.describeGroups(groupIds);
  for (const g of descriptions.groups) {
    const d: GroupDescription = g;
    const states: GroupDescription["state"][] = [
      "Empty",
      "Stable",
      "Dead",
      "PreparingRebalance",
      "CompletingRebalance",
    ];
    logger.info(d.groupId, { stable: states.includes(d.state), protocol: d.protocol, type: d.protocolType });
    for (const m of d.members) {
      const assignment: Buffer = m.memberAssignment;
      const memberMetadata: Buffer = m.memberMetadata;
      const decoded = AssignerProtocol.MemberAssignment.decode(assignment);
      const subscription = AssignerProtocol.MemberMetadata.decode(memberMetadata);
      logger.info(m.memberId, { clientId: m.clientId, host: m.clientHost, decoded, subscription });
    }
  }
  const deleted: DeleteGroupsResult[] = await admin.deleteGroups(["g"]);
  for (const r of deleted) logger.info(r.groupId, { errorCode: r.errorCode, type: r.error?.type });

  const acl: AclEntry = {
    resourceType: AclResourceTypes.TOPIC,
    resourceName: "orders",
    resourcePatternType: ResourcePatternTypes.LITERAL,
    principal: "User:alice",
    host: "*",
    operation: AclOperationTypes.WRITE,
    permissionType: AclPermissionTypes.ALLOW,
  };
  const aclCreated: boolean = await admin.createAcls({ acl: [acl] });
  const filter: AclFilter = {
    resourceType: AclResourceTypes.ANY,
    resourcePatternType: ResourcePatternTypes.ANY,
    operation: AclOperationTypes.ANY,
    permissionType: AclPermissionTypes.ANY,
  };
  const acls: DescribeAclResponse = await admin.describeAcls(filter);
  const aclProblem: string | undefined = acls.errorMessage;
  if (acls.errorCode !== 0) logger.error("describeAcls", { aclProblem, throttle: acls.throttleTime });
  for (const resource of acls.resources) {
    for (const a of resource.acls)
      logger.info(resource.resourceName, { principal: a.principal, op: a.operation });
  }
  const removed: DeleteAclResponse = await admin.deleteAcls({ filters: [filter] });
  for (const f of removed.filterResponses) {
    for (const m of f.matchingAcls)
      logger.info("removed", { principal: m.principal, code: m.errorCode, e: f.errorCode });
  }

  await admin.deleteTopicRecords({ topic: "orders", partitions: [{ partition: 0, offset: "-1" }] });
  const moves: PartitionReassignment[] = [{ topic: "orders", partitionAssignment: assignment }];
  await admin.alterPartitionReassignments({ topics: moves, timeout: 5000 });
  const ongoing: ListPartitionReassignmentsResponse = await admin.listPartitionReassignments({
    topics: [{ topic: "orders", partitions: [0] }],
    timeout: 5000,
  });
  for (const t of ongoing.topics) {
    for (const p of t.partitions)
      logger.info(t.topic, { p: p.partitionIndex, r: p.replicas, a: p.addingReplicas });
  }
  admin
    .logger()
    .info("done", { names, created, grown, metadataOf, lag, byTime, latest, controller, clusterId, hosts });
  logger.info("acls", { aclCreated });
  await admin.disconnect();
}

// ------------------------------------------------------------------ errors, narrowed with instanceof

export function explain(e: unknown): string {
  if (e instanceof KafkaJSNumberOfRetriesExceeded) {
    return `gave up after ${e.retryCount} retries (${e.retryTime} ms): ${e.cause?.message} ${e.stack}`;
  }
  if (e instanceof KafkaJSOffsetOutOfRange) return `${e.topic}-${e.partition} ${e.type} ${e.code}`;
  if (e instanceof KafkaJSProtocolError) {
    // @ts-expect-error a protocol error's code is a number
    const code: string = e.code;
    return `${e.type} (${e.code}${code}) retriable=${e.retriable}`;
  }
  if (e instanceof KafkaJSRequestTimeoutError) {
    return `${e.broker} #${e.correlationId} created ${e.createdAt} sent ${e.sentAt} pending ${e.pendingDuration}`;
  }
  if (e instanceof KafkaJSConnectionError) return `${e.broker}: ${e.message}`;
  if (e instanceof KafkaJSServerDoesNotSupportApiKey) return `${e.apiName} (${e.apiKey})`;
  if (e instanceof KafkaJSTopicMetadataNotLoaded) return e.topic;
  if (e instanceof KafkaJSStaleTopicMetadataAssignment) return `${e.topic} ${e.unknownPartitions}`;
  if (e instanceof KafkaJSDeleteGroupsError) return e.groups.map((g) => g.groupId).join();
  if (e instanceof KafkaJSAggregateError) return e.errors.map(String).join("; ");
  for (const cls of [
    KafkaJSMetadataNotLoaded,
    KafkaJSBrokerNotFound,
    KafkaJSPartialMessageError,
    KafkaJSSASLAuthenticationError,
    KafkaJSGroupCoordinatorNotFound,
    KafkaJSNotImplemented,
    KafkaJSLockTimeout,
    KafkaJSTimeout,
  ]) {
    if (e instanceof cls) return `${cls.name}: ${e.message}`;
  }
  if (e instanceof KafkaJSNonRetriableError) return `fatal: ${e.message}`;
  if (e instanceof KafkaJSError) {
    // @ts-expect-error only protocol errors have a type
    void e.type;
    return `${e.name} retriable=${e.retriable} help=${e.helpUrl ?? "-"} cause=${e.cause?.message ?? "-"}`;
  }
  return String(e);
}
export const constructed: KafkaJSError[] = [
  new KafkaJSError("plain"),
  new KafkaJSError(new Error("wrapped"), { retriable: false }),
  new KafkaJSNonRetriableError("fatal"),
  new KafkaJSProtocolError("protocol"),
  new KafkaJSConnectionError("closed", { broker: "localhost:9092", code: "ECONNRESET" }),
  new KafkaJSNumberOfRetriesExceeded(new Error("last"), { retryCount: 5, retryTime: 30_000 }),
];

// ------------------------------------------------------------------ codecs and consumer-side type names

export const codecs = Object.keys(CompressionCodecs);
export const assigners: PartitionAssigner[] = [PartitionAssigners.roundRobin];

/** A consumer written against the type names only (Brook's consumer comes later). */
export function consumerTypes(consumer: Consumer, consumerConfig: ConsumerConfig): ConsumerRunConfig {
  const subscription: ConsumerSubscribeTopics = { topics: ["orders", /^audit\./], fromBeginning: true };
  void consumer.subscribe(subscription);
  const events: ConsumerEvents = consumer.events;
  consumer.on(events.GROUP_JOIN, (e: ConsumerGroupJoinEvent) =>
    logger.info("joined", e.payload.memberAssignment),
  );
  consumer.on(events.CRASH, (e: ConsumerCrashEvent) =>
    logger.error(e.payload.error.message, { r: e.payload.restart }),
  );
  const eachMessage: EachMessageHandler = async ({
    topic,
    partition,
    message,
    heartbeat,
    pause,
  }: EachMessagePayload) => {
    const m: KafkaMessage = message;
    logger.info(topic, {
      partition,
      offset: m.offset,
      key: m.key?.toString(),
      ts: m.timestamp,
      headers: m.headers,
    });
    await heartbeat();
    if (partition < 0) pause()();
  };
  const eachBatch: EachBatchHandler = async (payload: EachBatchPayload) => {
    const b: Batch = payload.batch;
    for (const message of b.messages) {
      if (!payload.isRunning() || payload.isStale()) break;
      payload.resolveOffset(message.offset);
      await payload.heartbeat();
    }
    await payload.commitOffsetsIfNecessary(payload.uncommittedOffsets());
    logger.info(b.topic, {
      lag: b.offsetLag(),
      first: b.firstOffset(),
      last: b.lastOffset(),
      hw: b.highWatermark,
    });
  };
  const commits: TopicPartitionOffsetAndMetadata[] = [
    { topic: "orders", partition: 0, offset: "1", metadata: null },
  ];
  void consumer.commitOffsets(commits);
  logger.info("consumer", {
    groupId: consumerConfig.groupId,
    levels,
    mechanismName,
    missingPassword,
    grown: eachBatch,
  });
  return { autoCommit: true, autoCommitInterval: 5000, partitionsConsumedConcurrently: 2, eachMessage };
}
