/**
 * CreateTopics (19). numPartitions/replicationFactor may be -1 (broker defaults, v4+); manual
 * replica assignments must name only this node. validateOnly checks everything and creates nothing.
 */
import { ErrorCode } from "../../protocol/error-codes.js";
import { CreateTopics } from "../../protocol/messages/create-topics.js";
import { TopicError } from "../broker.js";
import { defineHandler } from "../router.js";
import { errorOf } from "./common.js";

export const createTopicsHandler = defineHandler(CreateTopics, async (ctx, req) => {
  const { broker } = ctx;
  const seen = new Map<string, number>();
  for (const t of req.topics) seen.set(t.name, (seen.get(t.name) ?? 0) + 1);
  const topics = [];
  for (const t of req.topics) {
    const base = { name: t.name, numPartitions: -1, replicationFactor: -1, configs: null };
    if (seen.get(t.name)! > 1) {
      topics.push({
        ...base,
        errorCode: ErrorCode.INVALID_REQUEST,
        errorMessage: "Duplicate topic name in request.",
      });
      continue;
    }
    try {
      let partitions = t.numPartitions;
      let rf = t.replicationFactor;
      if (t.assignments.length > 0) {
        if (partitions !== -1 || rf !== -1) {
          throw new TopicError(
            ErrorCode.INVALID_REQUEST,
            "Both numPartitions or replicationFactor and replicasAssignments were set.",
          );
        }
        for (const a of t.assignments) {
          if (a.brokerIds.some((id) => id !== broker.nodeId) || a.brokerIds.length === 0) {
            throw new TopicError(
              ErrorCode.INVALID_REPLICA_ASSIGNMENT,
              `Replica assignment for partition ${a.partitionIndex} names brokers other than ${broker.nodeId}.`,
            );
          }
        }
        partitions = t.assignments.length;
        rf = 1;
      }
      const configs: Record<string, string | null> = {};
      for (const c of t.configs) configs[c.name] = c.value;
      const created = await broker.createTopic(t.name, partitions, rf, configs, {
        validateOnly: req.validateOnly,
      });
      const record = created ?? { id: "00000000-0000-0000-0000-000000000000", configs: {}, partitions };
      const overrides = created?.configs ?? {};
      topics.push({
        ...base,
        topicId: record.id,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        numPartitions: partitions === -1 ? broker.config.number("num.partitions") : partitions,
        replicationFactor: 1,
        configs: broker.config.topicEntries(overrides).map((e) => ({
          name: e.name,
          value: e.value,
          readOnly: e.readOnly,
          configSource: e.source,
          isSensitive: e.sensitive,
        })),
      });
    } catch (e) {
      topics.push({ ...base, ...errorOf(e) });
    }
  }
  return { throttleTimeMs: 0, topics };
});
