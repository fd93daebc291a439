/**
 * OffsetCommit (8), v2-v9. Partitions of unknown topics get UNKNOWN_TOPIC_OR_PARTITION before the
 * group is looked at (as in Kafka); the rest are validated against the group (generation or member
 * epoch, member id, static instance) and answered only once the offsets are durable in
 * __consumer_offsets. generationId -1 with an empty member id is the standalone commit of a consumer
 * without group management (or an admin tool): accepted while the group is empty.
 */
import { groups, partitionExists } from "../../coordinator/handler-support.js";
import type { CommitRequest } from "../../coordinator/group-coordinator.js";
import { ErrorCode } from "../../protocol/error-codes.js";
import { OffsetCommit } from "../../protocol/messages/offset-commit.js";
import { defineHandler } from "../router.js";

export const offsetCommitHandler = defineHandler(OffsetCommit, async (ctx, req) => {
  const errors = new Map<string, number>();
  const valid: CommitRequest["topics"] = [];
  for (const t of req.topics) {
    const partitions: CommitRequest["topics"][number]["partitions"] = [];
    for (const p of t.partitions) {
      if (partitionExists(ctx, t.name, p.partitionIndex)) partitions.push(p);
      else errors.set(`${t.name}\u0000${p.partitionIndex}`, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    }
    if (partitions.length > 0) valid.push({ name: t.name, partitions });
  }
  if (valid.length > 0) {
    const results = await groups(ctx).commitOffsets(
      {
        groupId: req.groupId,
        generationIdOrMemberEpoch: req.generationIdOrMemberEpoch,
        memberId: req.memberId,
        groupInstanceId: req.groupInstanceId,
        retentionTimeMs: Number(req.retentionTimeMs),
        topics: valid,
      },
      ctx.version,
    );
    for (const t of results)
      for (const p of t.partitions) errors.set(`${t.name}\u0000${p.partitionIndex}`, p.errorCode);
  }
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        errorCode: errors.get(`${t.name}\u0000${p.partitionIndex}`) ?? ErrorCode.UNKNOWN_SERVER_ERROR,
      })),
    })),
  };
});
