/**
 * OffsetFetch (9), v1-v9. v1-v7 ask for one group, v8+ for several; a null topic list means every
 * committed partition of the group. require_stable (v7+) waits for commits still being written and
 * answers UNSTABLE_OFFSET_COMMIT for partitions with undecided transactional offsets. v9 carries the
 * member id and epoch of a KIP-848 member, which are checked. Before v2 a group error goes into each
 * partition, as in Kafka.
 */
import { groups } from "../../coordinator/handler-support.js";
import { ErrorCode } from "../../protocol/error-codes.js";
import { OffsetFetch } from "../../protocol/messages/offset-fetch.js";
import { defineHandler } from "../router.js";

export const offsetFetchHandler = defineHandler(OffsetFetch, async (ctx, req) => {
  const c = groups(ctx);
  const { version } = ctx;
  if (version >= 8) {
    const results = await Promise.all(
      req.groups.map((g) =>
        c.fetchOffsets(g.groupId, g.topics, req.requireStable, g.memberId, g.memberEpoch),
      ),
    );
    return { throttleTimeMs: 0, groups: results };
  }
  // v1 has no null topic list: an empty list there asks for nothing.
  const r = await c.fetchOffsets(req.groupId, req.topics, req.requireStable);
  const groupError = r.errorCode;
  return {
    throttleTimeMs: 0,
    errorCode: groupError,
    topics: r.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) =>
        version < 2 && groupError !== ErrorCode.NONE
          ? {
              partitionIndex: p.partitionIndex,
              committedOffset: -1n,
              committedLeaderEpoch: -1,
              metadata: "",
              errorCode: groupError,
            }
          : p,
      ),
    })),
  };
});
