/**
 * Broker and topic configuration definitions, by their Apache Kafka names, with Kafka 4.x defaults.
 * One table drives parsing (`--set`, `.properties`, BROOK_* env), validation, DescribeConfigs
 * (types, defaults, sources) and the mapping from broker-level defaults to topic configs.
 */

export type ConfigType = "boolean" | "string" | "int" | "short" | "long" | "double" | "list" | "password";

/** DescribeConfigs' ConfigType numbering. */
export const CONFIG_TYPE_ID: Record<ConfigType, number> = {
  boolean: 1,
  string: 2,
  int: 3,
  short: 4,
  long: 5,
  double: 6,
  list: 7,
  password: 9,
};

export type ConfigValue = string | number | boolean | string[];

export interface ConfigDef {
  name: string;
  type: ConfigType;
  /** Default as Kafka prints it (DescribeConfigs returns strings). null = no default. */
  default: string | null;
  /** Allowed values for enums/lists. */
  allowed?: readonly string[];
  min?: number;
  max?: number;
  /** A value also allowed outside [min, max] (compression.gzip.level: 1 to 9, or -1). */
  orEqual?: number;
  /** Broker config that supplies the default of this topic config. */
  brokerDefault?: string;
  /** Brook accepts the key but it has no effect on a single node (replication, quotas, etc.). */
  noEffect?: boolean;
  /** Accepted for compatibility, read-only at run time. */
  readOnly?: boolean;
  /** Kafka marks some configs sensitive (value hidden in DescribeConfigs). */
  sensitive?: boolean;
}

const LONG_MAX = "9223372036854775807";
const INT_MAX = 2147483647;

const d = (
  name: string,
  type: ConfigType,
  dflt: string | null,
  extra: Partial<Omit<ConfigDef, "name" | "type" | "default">> = {},
): ConfigDef => ({
  name,
  type,
  default: dflt,
  ...extra,
});

const COMPRESSION = ["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"] as const;

/** Topic-level configs (CreateTopics configs, DescribeConfigs on a TOPIC resource). */
export const TOPIC_CONFIGS: readonly ConfigDef[] = [
  d("cleanup.policy", "list", "delete", {
    allowed: ["compact", "delete"],
    brokerDefault: "log.cleanup.policy",
  }),
  d("compression.type", "string", "producer", { allowed: COMPRESSION, brokerDefault: "compression.type" }),
  d("compression.gzip.level", "int", "-1", {
    min: 1,
    max: 9,
    orEqual: -1,
    brokerDefault: "compression.gzip.level",
  }),
  d("compression.lz4.level", "int", "9", { min: 1, max: 17, brokerDefault: "compression.lz4.level" }),
  d("compression.zstd.level", "int", "3", { min: -131072, max: 22, brokerDefault: "compression.zstd.level" }),
  d("delete.retention.ms", "long", "86400000", { min: 0, brokerDefault: "log.cleaner.delete.retention.ms" }),
  d("errors.deadletterqueue.group.enable", "boolean", "false", { noEffect: true }),
  d("file.delete.delay.ms", "long", "60000", { min: 0, brokerDefault: "log.segment.delete.delay.ms" }),
  d("flush.messages", "long", LONG_MAX, { min: 1, brokerDefault: "log.flush.interval.messages" }),
  d("flush.ms", "long", LONG_MAX, { min: 0, brokerDefault: "log.flush.interval.ms" }),
  d("follower.replication.throttled.replicas", "list", "", { noEffect: true }),
  d("index.interval.bytes", "int", "4096", { min: 0, brokerDefault: "log.index.interval.bytes" }),
  d("leader.replication.throttled.replicas", "list", "", { noEffect: true }),
  d("local.retention.bytes", "long", "-2", { noEffect: true, brokerDefault: "log.local.retention.bytes" }),
  d("local.retention.ms", "long", "-2", { noEffect: true, brokerDefault: "log.local.retention.ms" }),
  d("max.compaction.lag.ms", "long", LONG_MAX, {
    min: 1,
    brokerDefault: "log.cleaner.max.compaction.lag.ms",
  }),
  d("max.decompressed.message.bytes", "int", "2147483639", {
    min: 0,
    brokerDefault: "max.decompressed.message.bytes",
    noEffect: true,
  }),
  d("max.message.bytes", "int", "1048588", { min: 0, brokerDefault: "message.max.bytes" }),
  d("message.timestamp.after.max.ms", "long", "3600000", {
    min: 0,
    brokerDefault: "log.message.timestamp.after.max.ms",
  }),
  d("message.timestamp.before.max.ms", "long", LONG_MAX, {
    min: 0,
    brokerDefault: "log.message.timestamp.before.max.ms",
  }),
  d("message.timestamp.type", "string", "CreateTime", {
    allowed: ["CreateTime", "LogAppendTime"],
    brokerDefault: "log.message.timestamp.type",
  }),
  d("min.cleanable.dirty.ratio", "double", "0.5", {
    min: 0,
    max: 1,
    brokerDefault: "log.cleaner.min.cleanable.ratio",
  }),
  d("min.compaction.lag.ms", "long", "0", { min: 0, brokerDefault: "log.cleaner.min.compaction.lag.ms" }),
  d("min.insync.replicas", "int", "1", { min: 1, brokerDefault: "min.insync.replicas" }),
  d("preallocate", "boolean", "false", { brokerDefault: "log.preallocate", noEffect: true }),
  d("remote.copy.lag.bytes", "long", "-1", { noEffect: true, brokerDefault: "log.remote.copy.lag.bytes" }),
  d("remote.copy.lag.ms", "long", "0", { noEffect: true, brokerDefault: "log.remote.copy.lag.ms" }),
  d("remote.log.copy.disable", "boolean", "false", { noEffect: true }),
  d("remote.log.delete.on.disable", "boolean", "false", { noEffect: true }),
  d("remote.storage.enable", "boolean", "false", { noEffect: true }),
  d("retention.bytes", "long", "-1", { brokerDefault: "log.retention.bytes" }),
  d("retention.ms", "long", "604800000", { min: -1, brokerDefault: "log.retention.ms" }),
  d("segment.bytes", "int", "1073741824", { min: 14, brokerDefault: "log.segment.bytes" }),
  d("segment.index.bytes", "int", "10485760", { min: 4, brokerDefault: "log.index.size.max.bytes" }),
  d("segment.jitter.ms", "long", "0", { min: 0, brokerDefault: "log.roll.jitter.ms" }),
  d("segment.ms", "long", "604800000", { min: 1, brokerDefault: "log.roll.ms" }),
  d("unclean.leader.election.enable", "boolean", "false", {
    brokerDefault: "unclean.leader.election.enable",
    noEffect: true,
  }),
];

/**
 * The broker configs Kafka can change at run time (DescribeConfigs says readOnly=false): the primary
 * broker synonyms of topic configs, and a few more. Every other broker config is read-only, as in
 * Kafka, and AlterConfigs refuses it.
 */
const DYNAMIC_BROKER_CONFIGS = new Set([
  "log.cleanup.policy",
  "compression.type",
  "compression.gzip.level",
  "compression.lz4.level",
  "compression.zstd.level",
  "log.cleaner.backoff.ms",
  "log.cleaner.delete.retention.ms",
  "log.cleaner.min.compaction.lag.ms",
  "log.cleaner.max.compaction.lag.ms",
  "log.cleaner.min.cleanable.ratio",
  "log.segment.delete.delay.ms",
  "log.flush.interval.messages",
  "log.flush.interval.ms",
  "log.index.interval.bytes",
  "log.index.size.max.bytes",
  "log.local.retention.bytes",
  "log.local.retention.ms",
  "log.message.timestamp.after.max.ms",
  "log.message.timestamp.before.max.ms",
  "log.message.timestamp.type",
  "log.preallocate",
  "log.remote.copy.lag.bytes",
  "log.remote.copy.lag.ms",
  "log.retention.bytes",
  "log.retention.ms",
  "log.roll.ms",
  "log.roll.jitter.ms",
  "log.segment.bytes",
  "max.decompressed.message.bytes",
  "message.max.bytes",
  "min.insync.replicas",
  "unclean.leader.election.enable",
  "max.connections",
  "num.network.threads",
  "num.io.threads",
  "producer.id.expiration.ms",
]);

/** Broker-level configs Brook understands. */
export const BROKER_CONFIGS: readonly ConfigDef[] = [
  d("node.id", "int", "1", { min: 0, readOnly: true }),
  d("broker.id", "int", "-1", { readOnly: true }),
  d("log.dirs", "string", null, { readOnly: true }),
  d("log.dir", "string", "./data", { readOnly: true }),
  d("listeners", "string", "PLAINTEXT://127.0.0.1:9092", { readOnly: true }),
  d("advertised.listeners", "string", null, { readOnly: true }),
  d("num.partitions", "int", "1", { min: 1 }),
  d("default.replication.factor", "int", "1", { min: 1 }),
  d("auto.create.topics.enable", "boolean", "true"),
  d("delete.topic.enable", "boolean", "true"),
  d("log.cleanup.policy", "list", "delete", { allowed: ["compact", "delete"] }),
  d("compression.type", "string", "producer", { allowed: COMPRESSION }),
  d("compression.gzip.level", "int", "-1", { min: 1, max: 9, orEqual: -1 }),
  d("compression.lz4.level", "int", "9", { min: 1, max: 17 }),
  d("compression.zstd.level", "int", "3", { min: -131072, max: 22 }),
  d("log.cleaner.enable", "boolean", "true"),
  d("log.cleaner.backoff.ms", "long", "15000", { min: 0 }),
  d("log.cleaner.delete.retention.ms", "long", "86400000", { min: 0 }),
  d("log.cleaner.min.compaction.lag.ms", "long", "0", { min: 0 }),
  d("log.cleaner.max.compaction.lag.ms", "long", LONG_MAX, { min: 1 }),
  d("log.cleaner.min.cleanable.ratio", "double", "0.5", { min: 0, max: 1 }),
  d("log.segment.delete.delay.ms", "long", "60000", { min: 0 }),
  d("log.flush.interval.messages", "long", LONG_MAX, { min: 1 }),
  d("log.flush.interval.ms", "long", null, { min: 0 }),
  d("log.flush.scheduler.interval.ms", "long", LONG_MAX, { min: 0 }),
  d("log.index.interval.bytes", "int", "4096", { min: 0 }),
  d("log.index.size.max.bytes", "int", "10485760", { min: 4 }),
  d("log.local.retention.bytes", "long", "-2", { noEffect: true }),
  d("log.local.retention.ms", "long", "-2", { noEffect: true }),
  d("log.message.timestamp.after.max.ms", "long", "3600000", { min: 0 }),
  d("log.message.timestamp.before.max.ms", "long", LONG_MAX, { min: 0 }),
  d("log.message.timestamp.type", "string", "CreateTime", { allowed: ["CreateTime", "LogAppendTime"] }),
  d("log.preallocate", "boolean", "false", { noEffect: true }),
  d("log.remote.copy.lag.bytes", "long", "-1", { noEffect: true }),
  d("log.remote.copy.lag.ms", "long", "0", { noEffect: true }),
  d("log.retention.bytes", "long", "-1"),
  d("log.retention.check.interval.ms", "long", "300000", { min: 1 }),
  d("log.retention.hours", "int", "168"),
  d("log.retention.minutes", "int", null),
  d("log.retention.ms", "long", null, { min: -1 }),
  d("log.roll.hours", "int", "168", { min: 1 }),
  d("log.roll.ms", "long", null, { min: 1 }),
  d("log.roll.jitter.ms", "long", null, { min: 0 }),
  d("log.segment.bytes", "int", "1073741824", { min: 14 }),
  d("message.max.bytes", "int", "1048588", { min: 0 }),
  d("max.decompressed.message.bytes", "int", "2147483639", { min: 0, noEffect: true }),
  d("min.insync.replicas", "int", "1", { min: 1 }),
  d("unclean.leader.election.enable", "boolean", "false", { noEffect: true }),
  d("socket.request.max.bytes", "int", "104857600", { min: 1 }),
  d("max.connections", "int", String(INT_MAX), { min: 0 }),
  d("connections.max.idle.ms", "long", "600000"),
  d("queued.max.requests", "int", "500", { min: 1 }),
  d("num.network.threads", "int", "3", { min: 1, noEffect: true }),
  d("num.io.threads", "int", "8", { min: 1, noEffect: true }),
  d("offsets.topic.num.partitions", "int", "50", { min: 1 }),
  d("offsets.topic.replication.factor", "short", "3", { min: 1, noEffect: true }),
  d("offsets.topic.segment.bytes", "int", "104857600", { min: 1 }),
  d("offsets.retention.minutes", "int", "10080", { min: 1 }),
  d("offsets.retention.check.interval.ms", "long", "600000", { min: 1 }),
  d("offset.metadata.max.bytes", "int", "4096"),
  d("offsets.commit.timeout.ms", "int", "5000", { min: 1 }),
  d("group.initial.rebalance.delay.ms", "int", "3000", { min: 0 }),
  d("group.min.session.timeout.ms", "int", "6000"),
  d("group.max.session.timeout.ms", "int", "1800000"),
  d("group.max.size", "int", String(INT_MAX), { min: 1 }),
  d("group.coordinator.rebalance.protocols", "list", "classic,consumer", {
    allowed: ["classic", "consumer"],
  }),
  d("group.consumer.session.timeout.ms", "int", "45000", { min: 1 }),
  d("group.consumer.heartbeat.interval.ms", "int", "5000", { min: 1 }),
  d("group.consumer.min.session.timeout.ms", "int", "45000", { min: 1 }),
  d("group.consumer.max.session.timeout.ms", "int", "60000", { min: 1 }),
  d("group.consumer.max.size", "int", String(INT_MAX), { min: 1 }),
  d("group.consumer.assignors", "list", "uniform,range"),
  d("transaction.max.timeout.ms", "int", "900000", { min: 1 }),
  d("transaction.state.log.num.partitions", "int", "50", { min: 1 }),
  d("transaction.state.log.replication.factor", "short", "3", { min: 1, noEffect: true }),
  d("transaction.state.log.min.isr", "int", "2", { min: 1, noEffect: true }),
  d("transaction.state.log.segment.bytes", "int", "104857600", { min: 1 }),
  d("transactional.id.expiration.ms", "int", "604800000", { min: 1 }),
  d("transaction.abort.timed.out.transaction.cleanup.interval.ms", "int", "10000", { min: 1 }),
  d("transaction.remove.expired.transaction.cleanup.interval.ms", "int", "3600000", { min: 1 }),
  d("producer.id.expiration.ms", "int", "86400000", { min: 1 }),
  d("producer.id.expiration.check.interval.ms", "int", "600000", { min: 1 }),
  d("unstable.api.versions.enable", "boolean", "false"),
].map((def) => (DYNAMIC_BROKER_CONFIGS.has(def.name) ? def : { ...def, readOnly: true }));

/** Broker configs that set the same thing, most specific first (DescribeConfigs lists them as synonyms). */
export const BROKER_SYNONYM_GROUPS: readonly (readonly string[])[] = [
  ["log.retention.ms", "log.retention.minutes", "log.retention.hours"],
  ["log.roll.ms", "log.roll.hours"],
];

export const TOPIC_CONFIG_BY_NAME = new Map(TOPIC_CONFIGS.map((c) => [c.name, c]));
export const BROKER_CONFIG_BY_NAME = new Map(BROKER_CONFIGS.map((c) => [c.name, c]));
