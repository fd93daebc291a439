import { Produce } from "./produce.js";
import { Fetch } from "./fetch.js";
import { ListOffsets } from "./list-offsets.js";
import { Metadata } from "./metadata.js";
import { OffsetCommit } from "./offset-commit.js";
import { OffsetFetch } from "./offset-fetch.js";
import { FindCoordinator } from "./find-coordinator.js";
import { JoinGroup } from "./join-group.js";
import { Heartbeat } from "./heartbeat.js";
import { LeaveGroup } from "./leave-group.js";
import { SyncGroup } from "./sync-group.js";
import { DescribeGroups } from "./describe-groups.js";
import { ListGroups } from "./list-groups.js";
import { SaslHandshake } from "./sasl-handshake.js";
import { ApiVersions } from "./api-versions.js";
import { CreateTopics } from "./create-topics.js";
import { DeleteTopics } from "./delete-topics.js";
import { DeleteRecords } from "./delete-records.js";
import { InitProducerId } from "./init-producer-id.js";
import { OffsetForLeaderEpoch } from "./offset-for-leader-epoch.js";
import { AddPartitionsToTxn } from "./add-partitions-to-txn.js";
import { AddOffsetsToTxn } from "./add-offsets-to-txn.js";
import { EndTxn } from "./end-txn.js";
import { WriteTxnMarkers } from "./write-txn-markers.js";
import { TxnOffsetCommit } from "./txn-offset-commit.js";
import { DescribeAcls } from "./describe-acls.js";
import { CreateAcls } from "./create-acls.js";
import { DeleteAcls } from "./delete-acls.js";
import { DescribeConfigs } from "./describe-configs.js";
import { AlterConfigs } from "./alter-configs.js";
import { AlterReplicaLogDirs } from "./alter-replica-log-dirs.js";
import { DescribeLogDirs } from "./describe-log-dirs.js";
import { SaslAuthenticate } from "./sasl-authenticate.js";
import { CreatePartitions } from "./create-partitions.js";
import { CreateDelegationToken } from "./create-delegation-token.js";
import { RenewDelegationToken } from "./renew-delegation-token.js";
import { ExpireDelegationToken } from "./expire-delegation-token.js";
import { DescribeDelegationToken } from "./describe-delegation-token.js";
import { DeleteGroups } from "./delete-groups.js";
import { ElectLeaders } from "./elect-leaders.js";
import { IncrementalAlterConfigs } from "./incremental-alter-configs.js";
import { AlterPartitionReassignments } from "./alter-partition-reassignments.js";
import { ListPartitionReassignments } from "./list-partition-reassignments.js";
import { OffsetDelete } from "./offset-delete.js";
import { DescribeClientQuotas } from "./describe-client-quotas.js";
import { AlterClientQuotas } from "./alter-client-quotas.js";
import { DescribeUserScramCredentials } from "./describe-user-scram-credentials.js";
import { AlterUserScramCredentials } from "./alter-user-scram-credentials.js";
import { DescribeQuorum } from "./describe-quorum.js";
import { UpdateFeatures } from "./update-features.js";
import { DescribeCluster } from "./describe-cluster.js";
import { DescribeProducers } from "./describe-producers.js";
import { UnregisterBroker } from "./unregister-broker.js";
import { DescribeTransactions } from "./describe-transactions.js";
import { ListTransactions } from "./list-transactions.js";
import { ConsumerGroupHeartbeat } from "./consumer-group-heartbeat.js";
import { ConsumerGroupDescribe } from "./consumer-group-describe.js";
import { GetTelemetrySubscriptions } from "./get-telemetry-subscriptions.js";
import { PushTelemetry } from "./push-telemetry.js";
import { ListClientMetricsResources } from "./list-client-metrics-resources.js";
import { DescribeTopicPartitions } from "./describe-topic-partitions.js";

export {
  Produce,
  Fetch,
  ListOffsets,
  Metadata,
  OffsetCommit,
  OffsetFetch,
  FindCoordinator,
  JoinGroup,
  Heartbeat,
  LeaveGroup,
  SyncGroup,
  DescribeGroups,
  ListGroups,
  SaslHandshake,
  ApiVersions,
  CreateTopics,
  DeleteTopics,
  DeleteRecords,
  InitProducerId,
  OffsetForLeaderEpoch,
  AddPartitionsToTxn,
  AddOffsetsToTxn,
  EndTxn,
  WriteTxnMarkers,
  TxnOffsetCommit,
  DescribeAcls,
  CreateAcls,
  DeleteAcls,
  DescribeConfigs,
  AlterConfigs,
  AlterReplicaLogDirs,
  DescribeLogDirs,
  SaslAuthenticate,
  CreatePartitions,
  CreateDelegationToken,
  RenewDelegationToken,
  ExpireDelegationToken,
  DescribeDelegationToken,
  DeleteGroups,
  ElectLeaders,
  IncrementalAlterConfigs,
  AlterPartitionReassignments,
  ListPartitionReassignments,
  OffsetDelete,
  DescribeClientQuotas,
  AlterClientQuotas,
  DescribeUserScramCredentials,
  AlterUserScramCredentials,
  DescribeQuorum,
  UpdateFeatures,
  DescribeCluster,
  DescribeProducers,
  UnregisterBroker,
  DescribeTransactions,
  ListTransactions,
  ConsumerGroupHeartbeat,
  ConsumerGroupDescribe,
  GetTelemetrySubscriptions,
  PushTelemetry,
  ListClientMetricsResources,
  DescribeTopicPartitions,
};

/** Every API Brook declares, by key. */
export const API_LIST = [
  Produce,
  Fetch,
  ListOffsets,
  Metadata,
  OffsetCommit,
  OffsetFetch,
  FindCoordinator,
  JoinGroup,
  Heartbeat,
  LeaveGroup,
  SyncGroup,
  DescribeGroups,
  ListGroups,
  SaslHandshake,
  ApiVersions,
  CreateTopics,
  DeleteTopics,
  DeleteRecords,
  InitProducerId,
  OffsetForLeaderEpoch,
  AddPartitionsToTxn,
  AddOffsetsToTxn,
  EndTxn,
  WriteTxnMarkers,
  TxnOffsetCommit,
  DescribeAcls,
  CreateAcls,
  DeleteAcls,
  DescribeConfigs,
  AlterConfigs,
  AlterReplicaLogDirs,
  DescribeLogDirs,
  SaslAuthenticate,
  CreatePartitions,
  CreateDelegationToken,
  RenewDelegationToken,
  ExpireDelegationToken,
  DescribeDelegationToken,
  DeleteGroups,
  ElectLeaders,
  IncrementalAlterConfigs,
  AlterPartitionReassignments,
  ListPartitionReassignments,
  OffsetDelete,
  DescribeClientQuotas,
  AlterClientQuotas,
  DescribeUserScramCredentials,
  AlterUserScramCredentials,
  DescribeQuorum,
  UpdateFeatures,
  DescribeCluster,
  DescribeProducers,
  UnregisterBroker,
  DescribeTransactions,
  ListTransactions,
  ConsumerGroupHeartbeat,
  ConsumerGroupDescribe,
  GetTelemetrySubscriptions,
  PushTelemetry,
  ListClientMetricsResources,
  DescribeTopicPartitions,
] as const;

export type AnyApi = (typeof API_LIST)[number];

const byKey = new Map<number, AnyApi>(API_LIST.map((a) => [a.key, a]));

/** The declaration for an api key, or undefined for keys Brook does not serve. */
export function apiByKey(key: number): AnyApi | undefined {
  return byKey.get(key);
}
