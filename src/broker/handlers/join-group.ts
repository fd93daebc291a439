/**
 * JoinGroup (11), v0-v9. The answer is held until the group's join phase completes (or an error is
 * known at once: MEMBER_ID_REQUIRED on v4+, INVALID_SESSION_TIMEOUT, ...). v0 has no rebalance
 * timeout: the session timeout stands in for it, as in Kafka. See src/coordinator/classic.ts.
 */
import { clientInfo, groups } from "../../coordinator/handler-support.js";
import { JoinGroup } from "../../protocol/messages/join-group.js";
import { defineHandler } from "../router.js";

export const joinGroupHandler = defineHandler(JoinGroup, async (ctx, req) => {
  const r = await groups(ctx).classic.join(
    {
      groupId: req.groupId,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs:
        ctx.version === 0 || req.rebalanceTimeoutMs < 0 ? req.sessionTimeoutMs : req.rebalanceTimeoutMs,
      memberId: req.memberId,
      groupInstanceId: req.groupInstanceId,
      protocolType: req.protocolType,
      protocols: req.protocols.map((p) => ({ name: p.name, metadata: p.metadata })),
      reason: req.reason,
    },
    clientInfo(ctx),
  );
  return {
    throttleTimeMs: 0,
    errorCode: r.errorCode,
    generationId: r.generationId,
    protocolType: r.protocolType,
    // Before v7 the protocol name is not nullable: Kafka sends "" instead.
    protocolName: r.protocolName ?? (ctx.version < 7 ? "" : null),
    leader: r.leader,
    skipAssignment: r.skipAssignment,
    memberId: r.memberId,
    members: r.members,
  };
});
