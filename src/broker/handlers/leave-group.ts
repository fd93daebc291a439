/**
 * LeaveGroup (13), v0-v5. v0-v2 name one member; v3+ a batch (static members may be removed by
 * group.instance.id alone). Before v3 a member's error is the top-level error, as in Kafka.
 */
import { ErrorCode } from "../../protocol/error-codes.js";
import { groups } from "../../coordinator/handler-support.js";
import { LeaveGroup } from "../../protocol/messages/leave-group.js";
import { defineHandler } from "../router.js";

export const leaveGroupHandler = defineHandler(LeaveGroup, (ctx, req) => {
  const members =
    ctx.version < 3
      ? [{ memberId: req.memberId, groupInstanceId: null, reason: null }]
      : req.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          reason: m.reason,
        }));
  const r = groups(ctx).classic.leave(req.groupId, members);
  if (ctx.version < 3) {
    const memberError = r.members.find((m) => m.errorCode !== ErrorCode.NONE)?.errorCode ?? ErrorCode.NONE;
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode !== ErrorCode.NONE ? r.errorCode : memberError,
      members: [],
    };
  }
  return { throttleTimeMs: 0, errorCode: r.errorCode, members: r.members };
});
