/**
 * brook's client: KafkaJS 2.2.4's public API (same names, defaults, errors and types), so KafkaJS
 * code runs unchanged after `import { Kafka } from "brook"`, against Brook or any Kafka cluster.
 */

export type * from "./admin/types.js";
export { AssignerProtocol } from "./assigners.js";
export { CompressionCodecs } from "./compression.js";
export { PartitionAssigners } from "./consumer/assigners.js";
export type {
  BrookConsumerConfig,
  Consumer,
  ConsumerGroupMetadata,
  MessagesConfig,
  PartitionLag,
} from "./consumer/types.js";
export {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  CompressionTypes,
  ConfigResourceTypes,
  ConfigSource,
  ResourcePatternTypes,
} from "./enums.js";
export * from "./errors.js";
export type { AdminEvents, ProducerEvents } from "./instrumentation.js";
export { Kafka } from "./kafka.js";
export { logLevel } from "./logger.js";
export { Partitioners } from "./partitioners.js";
export type * from "./producer/types.js";
export type * from "./types.js";
