/** CreatePartitions (37): grows a topic's partition count; assignments may only name this node. */
import { ErrorCode } from "../../protocol/error-codes.js";
import { CreatePartitions } from "../../protocol/messages/create-partitions.js";
import { INTERNAL_TOPICS } from "../broker.js";
import { defineHandler } from "../router.js";
import { errorOf } from "./common.js";

export const createPartitionsHandler = defineHandler(CreatePartitions, async (ctx, req) => {
  const { broker } = ctx;
  const results = [];
  for (const t of req.topics) {
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
      await broker.createPartitions(t.name, t.count, req.validateOnly);
      results.push({ name: t.name, errorCode: ErrorCode.NONE, errorMessage: null });
    } catch (e) {
      results.push({ name: t.name, ...errorOf(e) });
    }
  }
  return { throttleTimeMs: 0, results };
});
