/**
 * Metadata (3). One broker that leads every partition. Topics that do not exist are created when
 * auto.create.topics.enable is on and the request allows it (v4+ flag; always before v4). Unlike
 * KRaft Kafka, which answers LEADER_NOT_AVAILABLE while an auto-created topic comes up, Brook
 * creates the topic synchronously and answers with it straight away.
 */
import { ErrorCode } from "../../protocol/error-codes.js";
import { Metadata } from "../../protocol/messages/metadata.js";
import type { ResponseInput } from "../../protocol/schema.js";
import { INTERNAL_TOPICS, type Broker } from "../broker.js";
import type { TopicRecord } from "../metadata/topic-store.js";
import { defineHandler } from "../router.js";
import {
  AUTHORIZED_OPERATIONS_OMITTED,
  CLUSTER_AUTHORIZED_OPERATIONS,
  LEADER_EPOCH,
  TOPIC_AUTHORIZED_OPERATIONS,
} from "./common.js";

type TopicOut = NonNullable<ResponseInput<typeof Metadata>["topics"]>[number];

export function describeTopicPartitions(broker: Broker, t: TopicRecord) {
  const node = broker.nodeId;
  return Array.from({ length: t.partitions }, (_, p) => ({
    errorCode: ErrorCode.NONE,
    partitionIndex: p,
    leaderId: node,
    leaderEpoch: LEADER_EPOCH,
    replicaNodes: [node],
    isrNodes: [node],
    offlineReplicas: [],
  }));
}

export const metadataHandler = defineHandler(Metadata, async (ctx, req) => {
  const { broker, version } = ctx;
  const includeOps = req.includeTopicAuthorizedOperations;
  const topicOut = (t: TopicRecord): TopicOut => ({
    errorCode: ErrorCode.NONE,
    name: t.name,
    topicId: t.id,
    isInternal: INTERNAL_TOPICS.has(t.name),
    partitions: describeTopicPartitions(broker, t),
    topicAuthorizedOperations: includeOps ? TOPIC_AUTHORIZED_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED,
  });
  const unknown = (name: string | null, topicId: string, errorCode: number): TopicOut => ({
    errorCode,
    name,
    topicId,
    isInternal: false,
    partitions: [],
    topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  });

  let topics: TopicOut[];
  // v0: an empty list means every topic; v1+: null means every topic and empty means none.
  const all = req.topics === null || (version === 0 && req.topics.length === 0);
  if (all) {
    topics = broker.topics().map(topicOut);
  } else {
    const allowCreate = version < 4 || req.allowAutoTopicCreation;
    const NIL = "00000000-0000-0000-0000-000000000000";
    // As Kafka: once any topic id is given, the request is by id and the names are ignored (the Java
    // consumer resolving a broker-side regex asks for ids with empty names).
    const byId = req.topics!.some((w) => w.topicId !== undefined && w.topicId !== NIL);
    topics = [];
    for (const want of req.topics!) {
      if (byId || want.name === null || want.name === undefined) {
        if (byId && want.topicId === NIL) continue;
        const t = want.topicId !== NIL ? broker.topicById(want.topicId) : undefined;
        topics.push(t ? topicOut(t) : unknown(null, want.topicId, ErrorCode.UNKNOWN_TOPIC_ID));
        continue;
      }
      let t = broker.topic(want.name);
      if (!t && allowCreate) {
        try {
          t = await broker.autoCreateTopic(want.name);
        } catch {
          t = undefined;
        }
      }
      if (t) topics.push(topicOut(t));
      else {
        const invalid = /^[a-zA-Z0-9._-]{1,249}$/.test(want.name) && want.name !== "." && want.name !== "..";
        topics.push(
          unknown(
            want.name,
            NIL,
            invalid ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.INVALID_TOPIC_EXCEPTION,
          ),
        );
      }
    }
  }
  return {
    throttleTimeMs: 0,
    brokers: [
      { nodeId: broker.nodeId, host: broker.advertisedHost(ctx.conn), port: broker.port, rack: null },
    ],
    clusterId: broker.clusterId,
    controllerId: broker.nodeId,
    topics,
    clusterAuthorizedOperations: req.includeClusterAuthorizedOperations
      ? CLUSTER_AUTHORIZED_OPERATIONS
      : AUTHORIZED_OPERATIONS_OMITTED,
  };
});
