/**
 * KafkaJS's numeric enums. Each is a frozen plain object at run time (the same keys and values as
 * KafkaJS's, with no reverse mapping, unlike a TypeScript enum), a union type of its values, and a
 * namespace of member types, so `CompressionTypes.GZIP` works both as a value and as a type, as it
 * does with KafkaJS's d.ts.
 */

/** How a record batch is compressed (the low bits of its attributes). */
export const CompressionTypes = Object.freeze({
  None: 0,
  GZIP: 1,
  Snappy: 2,
  LZ4: 3,
  ZSTD: 4,
} as const);
export type CompressionTypes = (typeof CompressionTypes)[keyof typeof CompressionTypes];
export declare namespace CompressionTypes {
  type None = 0;
  type GZIP = 1;
  type Snappy = 2;
  type LZ4 = 3;
  type ZSTD = 4;
}

/** Resource kinds of DescribeConfigs / AlterConfigs. */
export const ConfigResourceTypes = Object.freeze({
  UNKNOWN: 0,
  TOPIC: 2,
  BROKER: 4,
  BROKER_LOGGER: 8,
} as const);
export type ConfigResourceTypes = (typeof ConfigResourceTypes)[keyof typeof ConfigResourceTypes];
export declare namespace ConfigResourceTypes {
  type UNKNOWN = 0;
  type TOPIC = 2;
  type BROKER = 4;
  type BROKER_LOGGER = 8;
}

/** Where a config value comes from, as DescribeConfigs reports it. */
export const ConfigSource = Object.freeze({
  UNKNOWN: 0,
  TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
} as const);
export type ConfigSource = (typeof ConfigSource)[keyof typeof ConfigSource];
export declare namespace ConfigSource {
  type UNKNOWN = 0;
  type TOPIC_CONFIG = 1;
  type DYNAMIC_BROKER_CONFIG = 2;
  type DYNAMIC_DEFAULT_BROKER_CONFIG = 3;
  type STATIC_BROKER_CONFIG = 4;
  type DEFAULT_CONFIG = 5;
  type DYNAMIC_BROKER_LOGGER_CONFIG = 6;
}

/** Resource kinds an ACL applies to. */
export const AclResourceTypes = Object.freeze({
  UNKNOWN: 0,
  ANY: 1,
  TOPIC: 2,
  GROUP: 3,
  CLUSTER: 4,
  TRANSACTIONAL_ID: 5,
  DELEGATION_TOKEN: 6,
} as const);
export type AclResourceTypes = (typeof AclResourceTypes)[keyof typeof AclResourceTypes];
export declare namespace AclResourceTypes {
  type UNKNOWN = 0;
  type ANY = 1;
  type TOPIC = 2;
  type GROUP = 3;
  type CLUSTER = 4;
  type TRANSACTIONAL_ID = 5;
  type DELEGATION_TOKEN = 6;
}

/** Operations an ACL allows or denies. */
export const AclOperationTypes = Object.freeze({
  UNKNOWN: 0,
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
} as const);
export type AclOperationTypes = (typeof AclOperationTypes)[keyof typeof AclOperationTypes];
export declare namespace AclOperationTypes {
  type UNKNOWN = 0;
  type ANY = 1;
  type ALL = 2;
  type READ = 3;
  type WRITE = 4;
  type CREATE = 5;
  type DELETE = 6;
  type ALTER = 7;
  type DESCRIBE = 8;
  type CLUSTER_ACTION = 9;
  type DESCRIBE_CONFIGS = 10;
  type ALTER_CONFIGS = 11;
  type IDEMPOTENT_WRITE = 12;
}

/** Whether an ACL allows or denies. */
export const AclPermissionTypes = Object.freeze({
  UNKNOWN: 0,
  ANY: 1,
  DENY: 2,
  ALLOW: 3,
} as const);
export type AclPermissionTypes = (typeof AclPermissionTypes)[keyof typeof AclPermissionTypes];
export declare namespace AclPermissionTypes {
  type UNKNOWN = 0;
  type ANY = 1;
  type DENY = 2;
  type ALLOW = 3;
}

/** How an ACL's resource name matches. */
export const ResourcePatternTypes = Object.freeze({
  UNKNOWN: 0,
  ANY: 1,
  MATCH: 2,
  LITERAL: 3,
  PREFIXED: 4,
} as const);
export type ResourcePatternTypes = (typeof ResourcePatternTypes)[keyof typeof ResourcePatternTypes];
export declare namespace ResourcePatternTypes {
  type UNKNOWN = 0;
  type ANY = 1;
  type MATCH = 2;
  type LITERAL = 3;
  type PREFIXED = 4;
}
