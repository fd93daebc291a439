/**
 * ListGroups (16), v0-v5: every group, filtered by state (v4+, case-insensitive) and type (v5+:
 * "classic" or "consumer").
 */
import { groups } from "../../coordinator/handler-support.js";
import { ErrorCode } from "../../protocol/error-codes.js";
import { ListGroups } from "../../protocol/messages/list-groups.js";
import { defineHandler } from "../router.js";

export const listGroupsHandler = defineHandler(ListGroups, (ctx, req) => {
  const c = groups(ctx);
  if (!c.active) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] };
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    groups: c.listGroups(req.statesFilter, req.typesFilter),
  };
});
