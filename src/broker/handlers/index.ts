/** Every API handler the broker serves; ApiVersions advertises exactly this list. */
import type { ApiHandler } from "../router.js";
import { alterConfigsHandler } from "./alter-configs.js";
import { apiVersionsHandler } from "./api-versions.js";
import { createPartitionsHandler } from "./create-partitions.js";
import { createTopicsHandler } from "./create-topics.js";
import { deleteRecordsHandler } from "./delete-records.js";
import { deleteTopicsHandler } from "./delete-topics.js";
import { describeClusterHandler } from "./describe-cluster.js";
import { describeConfigsHandler } from "./describe-configs.js";
import { describeLogDirsHandler } from "./describe-log-dirs.js";
import { describeTopicPartitionsHandler } from "./describe-topic-partitions.js";
import { fetchHandler } from "./fetch.js";
import { incrementalAlterConfigsHandler } from "./incremental-alter-configs.js";
import { listOffsetsHandler } from "./list-offsets.js";
import { metadataHandler } from "./metadata.js";
import { offsetForLeaderEpochHandler } from "./offset-for-leader-epoch.js";
import {
  alterPartitionReassignmentsHandler,
  electLeadersHandler,
  listPartitionReassignmentsHandler,
} from "./partition-admin.js";
import { produceHandler } from "./produce.js";

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
];
