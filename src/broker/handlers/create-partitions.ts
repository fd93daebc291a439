/**
 * CreatePartitions (37): grows a topic's partition count; assignments may only name this node. As
 * Kafka: a topic named twice gets one INVALID_REQUEST answer and nothing else is done for it, and a
 * request adding more than 10,000 partitions in all is refused with POLICY_VIOLATION from the topic
 * that passes the limit.
 */
import { ErrorCode } from "../../protocol/error-codes.js";
import { CreatePartitions } from "../../protocol/messages/create-partitions.js";
import { INTERNAL_TOPICS } from "../broker.js";
import { defineHandler } from "../router.js";
import { errorOf } from "./common.js";
import { MAX_PARTITIONS_PER_REQUEST } from "./create-topics.js";

export const createPartitionsHandler = defineHandler(CreatePartitions, async (ctx, req) => {
  const { broker } = ctx;
  const results = [];
  const times = new Map<string, number>();
  for (const t of req.topics) times.set(t.name, (times.get(t.name) ?? 0) + 1);
  const answered = new Set<string>();
  let added = 0;
  for (const t of req.topics) {
    if (times.get(t.name)! > 1) {
      if (!answered.has(t.name)) {
        answered.add(t.name);
        results.push({
          name: t.name,
          errorCode: ErrorCode.INVALID_REQUEST,
          errorMessage: "Duplicate topic name.",
        });
      }
      continue;
    }
    try {
      if (INTERNAL_TOPICS.has(t.name)) {
        results.push({
          name: t.name,
          errorCode: ErrorCode.INVALID_REQUEST,
          errorMessage: "Cannot add partitions to an internal topic.",
        });
        continue;
      }
      if (t.assignments?.some((a) => a.brokerIds.some((id) => id !== broker.nodeId))) {
        results.push({
          name: t.name,
          errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          errorMessage: `Assignments may only name broker ${broker.nodeId}.`,
        });
        continue;
      }
      const current = broker.topic(t.name)?.partitions ?? 0;
      if (current > 0 && t.count > current && added + (t.count - current) > MAX_PARTITIONS_PER_REQUEST) {
        results.push({
          name: t.name,
          errorCode: ErrorCode.POLICY_VIOLATION,
          errorMessage: "Excessively large number of additional partitions per request.",
        });
        continue;
      }
      await broker.createPartitions(t.name, t.count, req.validateOnly);
      added += t.count - current;
      results.push({ name: t.name, errorCode: ErrorCode.NONE, errorMessage: null });
    } catch (e) {
      const err = errorOf(e);
      // Kafka answers an unknown topic without a message.
      if (err.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
        results.push({ name: t.name, ...err, errorMessage: null });
      else results.push({ name: t.name, ...err });
    }
  }
  return { throttleTimeMs: 0, results };
});
