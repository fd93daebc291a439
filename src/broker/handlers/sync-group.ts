/**
 * SyncGroup (14), v0-v5. Followers wait for the leader's assignment; the leader's assignment is
 * written to __consumer_offsets before anyone is answered. See src/coordinator/classic.ts.
 */
import { clientInfo, groups } from "../../coordinator/handler-support.js";
import { SyncGroup } from "../../protocol/messages/sync-group.js";
import { defineHandler } from "../router.js";

export const syncGroupHandler = defineHandler(SyncGroup, async (ctx, req) => {
  const r = await groups(ctx).classic.sync(
    {
      groupId: req.groupId,
      generationId: req.generationId,
      memberId: req.memberId,
      groupInstanceId: req.groupInstanceId,
      protocolType: req.protocolType,
      protocolName: req.protocolName,
      assignments: req.assignments,
    },
    clientInfo(ctx),
  );
  return {
    throttleTimeMs: 0,
    errorCode: r.errorCode,
    protocolType: r.protocolType,
    protocolName: r.protocolName,
    assignment: r.assignment,
  };
});
