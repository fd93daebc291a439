export { Broker, type BrokerOptions, type BrokerRequestOptions } from "./broker.js";
export {
  type BrokerMetadata,
  type BrokersFunction,
  CLUSTER_DEFAULTS,
  Cluster,
  type ClusterOptions,
  type CoordinatorType,
  type PartitionMetadata,
  type TopicMetadata,
} from "./cluster.js";
