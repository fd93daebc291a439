/**
 * OffsetDelete (47), v0: deletes committed offsets of partitions a group no longer consumes. Unknown
 * topics and partitions get UNKNOWN_TOPIC_OR_PARTITION; topics the group is subscribed to get
 * GROUP_SUBSCRIBED_TO_TOPIC; a classic group with members that does not use the consumer protocol
 * gets NON_EMPTY_GROUP.
 */
import { groups, partitionExists } from "../../coordinator/handler-support.js";
import { ErrorCode } from "../../protocol/error-codes.js";
import { OffsetDelete } from "../../protocol/messages/offset-delete.js";
import { defineHandler } from "../router.js";

export const offsetDeleteHandler = defineHandler(OffsetDelete, async (ctx, req) => {
  const errors = new Map<string, number>();
  const valid: Array<{ name: string; partitions: number[] }> = [];
  for (const t of req.topics) {
    const ok = t.partitions.map((p) => p.partitionIndex).filter((p) => partitionExists(ctx, t.name, p));
    for (const p of t.partitions) {
      if (!ok.includes(p.partitionIndex))
        errors.set(`${t.name}\u0000${p.partitionIndex}`, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    }
    if (ok.length > 0) valid.push({ name: t.name, partitions: ok });
  }
  const r = await groups(ctx).deleteOffsets(req.groupId, valid);
  if (r.errorCode !== ErrorCode.NONE) return { errorCode: r.errorCode, throttleTimeMs: 0, topics: [] };
  for (const t of r.topics)
    for (const p of t.partitions) errors.set(`${t.name}\u0000${p.partitionIndex}`, p.errorCode);
  return {
    errorCode: ErrorCode.NONE,
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        errorCode: errors.get(`${t.name}\u0000${p.partitionIndex}`) ?? ErrorCode.NONE,
      })),
    })),
  };
});
