/**
 * ElectLeaders (43), AlterPartitionReassignments (45) and ListPartitionReassignments (46), answered
 * truthfully for a single node: every partition already has its only possible leader, no
 * reassignment is ever in progress, and the only valid replica set is this node.
 */
import { ErrorCode } from "../../protocol/error-codes.js";
import { AlterPartitionReassignments } from "../../protocol/messages/alter-partition-reassignments.js";
import { ElectLeaders } from "../../protocol/messages/elect-leaders.js";
import { ListPartitionReassignments } from "../../protocol/messages/list-partition-reassignments.js";
import type { Broker } from "../broker.js";
import { defineHandler } from "../router.js";

function partitionExists(broker: Broker, topic: string, partition: number): boolean {
  const t = broker.topic(topic);
  return !!t && partition >= 0 && partition < t.partitions;
}

export const electLeadersHandler = defineHandler(ElectLeaders, (ctx, req) => {
  const { broker } = ctx;
  // With no partitions named, Kafka elects where needed and lists only those: none here.
  const replicaElectionResults = (req.topicPartitions ?? []).map((t) => ({
    topic: t.topic,
    partitionResult: t.partitions.map((p) =>
      partitionExists(broker, t.topic, p)
        ? {
            partitionId: p,
            errorCode: ErrorCode.ELECTION_NOT_NEEDED,
            errorMessage: "Leader election not needed for topic partition.",
          }
        : {
            partitionId: p,
            errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            errorMessage: "The partition does not exist.",
          },
    ),
  }));
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults };
});

export const alterPartitionReassignmentsHandler = defineHandler(AlterPartitionReassignments, (ctx, req) => {
  const { broker } = ctx;
  const responses = req.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => {
      if (!partitionExists(broker, t.name, p.partitionIndex)) {
        return {
          partitionIndex: p.partitionIndex,
          errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          errorMessage: "The partition does not exist.",
        };
      }
      if (p.replicas === null) {
        return {
          partitionIndex: p.partitionIndex,
          errorCode: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS,
          errorMessage: "No reassignment is in progress for this partition.",
        };
      }
      if (p.replicas.length !== 1 || p.replicas[0] !== broker.nodeId) {
        return {
          partitionIndex: p.partitionIndex,
          errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          errorMessage: `Only broker ${broker.nodeId} exists; replicas must be [${broker.nodeId}].`,
        };
      }
      return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE, errorMessage: null };
    }),
  }));
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, responses };
});

export const listPartitionReassignmentsHandler = defineHandler(ListPartitionReassignments, () => ({
  throttleTimeMs: 0,
  errorCode: ErrorCode.NONE,
  errorMessage: null,
  topics: [],
}));
