/**
 * DescribeTopicPartitions (75): paginated topic/partition metadata. An empty topic list means all
 * topics; the cursor resumes at a topic and partition; at most responsePartitionLimit partitions
 * are returned, and nextCursor says where to continue.
 */
import { ErrorCode } from "../../protocol/error-codes.js";
import { DescribeTopicPartitions } from "../../protocol/messages/describe-topic-partitions.js";
import { INTERNAL_TOPICS } from "../broker.js";
import { defineHandler } from "../router.js";
import { LEADER_EPOCH, TOPIC_AUTHORIZED_OPERATIONS } from "./common.js";

const NIL = "00000000-0000-0000-0000-000000000000";

export const describeTopicPartitionsHandler = defineHandler(DescribeTopicPartitions, (ctx, req) => {
  const { broker } = ctx;
  const limit = Math.max(1, Math.min(req.responsePartitionLimit, 2000));
  const names = (
    req.topics.length > 0 ? req.topics.map((t) => t.name) : broker.topics().map((t) => t.name)
  ).sort();
  const cursor = req.cursor;
  let remaining = limit;
  let nextCursor: { topicName: string; partitionIndex: number } | null = null;
  const topics = [];
  for (const name of names) {
    if (cursor && name < cursor.topicName) continue;
    const t = broker.topic(name);
    if (!t) {
      topics.push({
        errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        name,
        topicId: NIL,
        isInternal: false,
        partitions: [],
      });
      continue;
    }
    if (remaining === 0) {
      nextCursor = { topicName: name, partitionIndex: 0 };
      break;
    }
    const start = cursor && name === cursor.topicName ? Math.max(0, cursor.partitionIndex) : 0;
    const partitions = [];
    let p = start;
    for (; p < t.partitions && remaining > 0; p++, remaining--) {
      partitions.push({
        errorCode: ErrorCode.NONE,
        partitionIndex: p,
        leaderId: broker.nodeId,
        leaderEpoch: LEADER_EPOCH,
        replicaNodes: [broker.nodeId],
        isrNodes: [broker.nodeId],
        eligibleLeaderReplicas: [],
        lastKnownElr: [],
        offlineReplicas: [],
      });
    }
    topics.push({
      errorCode: ErrorCode.NONE,
      name,
      topicId: t.id,
      isInternal: INTERNAL_TOPICS.has(name),
      partitions,
      topicAuthorizedOperations: TOPIC_AUTHORIZED_OPERATIONS,
    });
    if (p < t.partitions) {
      nextCursor = { topicName: name, partitionIndex: p };
      break;
    }
  }
  return { throttleTimeMs: 0, topics, nextCursor };
});
