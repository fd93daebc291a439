/**
 * CreateTopics (19). numPartitions/replicationFactor may be -1 (broker defaults, v4+); manual
 * replica assignments must name only this node. validateOnly checks everything and creates nothing
 * (answering, as Kafka, with a fresh topic id and the configs the topic would have). As Kafka: a name
 * given twice gets one INVALID_REQUEST answer, a request for more than 10,000 partitions in all is
 * refused whole (POLICY_VIOLATION for every topic), and errors carry an empty config list.
 */
import { randomUUID } from "node:crypto";
import { ErrorCode } from "../../protocol/error-codes.js";
import { CreateTopics } from "../../protocol/messages/create-topics.js";
import { TopicError } from "../broker.js";
import { validateTopicConfigs } from "../config/config.js";
import { defineHandler } from "../router.js";
import { errorOf } from "./common.js";

/** Kafka's controller refuses a request that would create more partitions than this in all. */
export const MAX_PARTITIONS_PER_REQUEST = 10_000;

export const createTopicsHandler = defineHandler(CreateTopics, async (ctx, req) => {
  const { broker } = ctx;
  const seen = new Map<string, number>();
  for (const t of req.topics) seen.set(t.name, (seen.get(t.name) ?? 0) + 1);
  const answered = new Set<string>();
  const topics = [];
  const defaultPartitions = broker.config.number("num.partitions");
  const partitionsInRequest = req.topics
    .filter((t) => seen.get(t.name) === 1)
    .reduce(
      (n, t) =>
        n +
        (t.assignments.length || (t.numPartitions === -1 ? defaultPartitions : Math.max(t.numPartitions, 0))),
      0,
    );
  for (const t of req.topics) {
    const base = { name: t.name, numPartitions: -1, replicationFactor: -1, configs: [] };
    if (seen.get(t.name)! > 1) {
      if (answered.has(t.name)) continue;
      answered.add(t.name);
      topics.push({ ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: "Duplicate topic name." });
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
      if (partitionsInRequest > MAX_PARTITIONS_PER_REQUEST) {
        throw new TopicError(
          ErrorCode.POLICY_VIOLATION,
          "Excessively large number of partitions per request.",
        );
      }
      const created = await broker.createTopic(t.name, partitions, rf, configs, {
        validateOnly: req.validateOnly,
      });
      const record = created ?? { id: randomUUID(), configs: {}, partitions };
      const overrides = created?.configs ?? validateTopicConfigs(configs);
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
