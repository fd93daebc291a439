/** Every API handler the broker serves; ApiVersions advertises exactly this list. */
import type { ApiHandler } from "../router.js";
import { alterConfigsHandler } from "./alter-configs.js";
import { apiVersionsHandler } from "./api-versions.js";
import { consumerGroupDescribeHandler } from "./consumer-group-describe.js";
import { consumerGroupHeartbeatHandler } from "./consumer-group-heartbeat.js";
import { createPartitionsHandler } from "./create-partitions.js";
import { createTopicsHandler } from "./create-topics.js";
import { deleteGroupsHandler } from "./delete-groups.js";
import { deleteRecordsHandler } from "./delete-records.js";
import { deleteTopicsHandler } from "./delete-topics.js";
import { describeClusterHandler } from "./describe-cluster.js";
import { describeConfigsHandler } from "./describe-configs.js";
import { describeGroupsHandler } from "./describe-groups.js";
import { describeLogDirsHandler } from "./describe-log-dirs.js";
import { describeProducersHandler } from "./describe-producers.js";
import { addOffsetsToTxnHandler } from "./add-offsets-to-txn.js";
import { addPartitionsToTxnHandler } from "./add-partitions-to-txn.js";
import { describeTransactionsHandler } from "./describe-transactions.js";
import { endTxnHandler } from "./end-txn.js";
import { initProducerIdHandler } from "./init-producer-id.js";
import { listTransactionsHandler } from "./list-transactions.js";
import { txnOffsetCommitHandler } from "./txn-offset-commit.js";
import { writeTxnMarkersHandler } from "./write-txn-markers.js";
import { describeTopicPartitionsHandler } from "./describe-topic-partitions.js";
import { fetchHandler } from "./fetch.js";
import { findCoordinatorHandler } from "./find-coordinator.js";
import { heartbeatHandler } from "./heartbeat.js";
import { incrementalAlterConfigsHandler } from "./incremental-alter-configs.js";
import { joinGroupHandler } from "./join-group.js";
import { leaveGroupHandler } from "./leave-group.js";
import { listGroupsHandler } from "./list-groups.js";
import { listOffsetsHandler } from "./list-offsets.js";
import { metadataHandler } from "./metadata.js";
import { offsetCommitHandler } from "./offset-commit.js";
import { offsetDeleteHandler } from "./offset-delete.js";
import { offsetFetchHandler } from "./offset-fetch.js";
import { offsetForLeaderEpochHandler } from "./offset-for-leader-epoch.js";
import {
  alterPartitionReassignmentsHandler,
  electLeadersHandler,
  listPartitionReassignmentsHandler,
} from "./partition-admin.js";
import { produceHandler } from "./produce.js";
import { syncGroupHandler } from "./sync-group.js";

export const allHandlers: ApiHandler<any>[] = [
  produceHandler,
  fetchHandler,
  listOffsetsHandler,
  metadataHandler,
  apiVersionsHandler,
  createTopicsHandler,
  deleteTopicsHandler,
  deleteRecordsHandler,
  offsetForLeaderEpochHandler,
  describeConfigsHandler,
  alterConfigsHandler,
  describeLogDirsHandler,
  createPartitionsHandler,
  electLeadersHandler,
  incrementalAlterConfigsHandler,
  alterPartitionReassignmentsHandler,
  listPartitionReassignmentsHandler,
  describeClusterHandler,
  describeTopicPartitionsHandler,
  describeProducersHandler,
  // Group coordinator (src/coordinator).
  findCoordinatorHandler,
  joinGroupHandler,
  syncGroupHandler,
  heartbeatHandler,
  leaveGroupHandler,
  offsetCommitHandler,
  offsetFetchHandler,
  describeGroupsHandler,
  listGroupsHandler,
  deleteGroupsHandler,
  offsetDeleteHandler,
  consumerGroupHeartbeatHandler,
  consumerGroupDescribeHandler,
  // Transaction coordinator (src/coordinator/transactions).
  initProducerIdHandler,
  addPartitionsToTxnHandler,
  addOffsetsToTxnHandler,
  endTxnHandler,
  writeTxnMarkersHandler,
  txnOffsetCommitHandler,
  describeTransactionsHandler,
  listTransactionsHandler,
];
