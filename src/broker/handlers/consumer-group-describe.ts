/**
 * ConsumerGroupDescribe (69), v0-v1: KIP-848 groups with each member's current and target assignment
 * (v1: and its member type).
 * A classic group or an unknown id gets GROUP_ID_NOT_FOUND, an empty id INVALID_GROUP_ID.
 */
import {
  AUTHORIZED_OPERATIONS_OMITTED,
  GROUP_AUTHORIZED_OPERATIONS,
  groups,
} from "../../coordinator/handler-support.js";
import { ErrorCode } from "../../protocol/error-codes.js";
import { ConsumerGroupDescribe } from "../../protocol/messages/consumer-group-describe.js";
import { defineHandler } from "../router.js";

export const consumerGroupDescribeHandler = defineHandler(ConsumerGroupDescribe, (ctx, req) => {
  const c = groups(ctx);
  const ops = req.includeAuthorizedOperations ? GROUP_AUTHORIZED_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED;
  const fail = (groupId: string, errorCode: number, errorMessage: string | null) => ({
    errorCode,
    errorMessage,
    groupId,
    groupState: "",
    groupEpoch: 0,
    assignmentEpoch: 0,
    assignorName: "",
    members: [],
    authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  });
  return {
    throttleTimeMs: 0,
    groups: req.groupIds.map((id) => {
      if (!c.active) return fail(id, ErrorCode.COORDINATOR_NOT_AVAILABLE, null);
      if (!c.rebalanceProtocols.includes("consumer")) return fail(id, ErrorCode.UNSUPPORTED_VERSION, null);
      if (id === "") return fail(id, ErrorCode.INVALID_GROUP_ID, null);
      const g = c.groups.get(id);
      if (!g) return fail(id, ErrorCode.GROUP_ID_NOT_FOUND, `Group ${id} not found.`);
      if (g.type !== "consumer")
        return fail(id, ErrorCode.GROUP_ID_NOT_FOUND, `Group ${id} is not a consumer group.`);
      return { ...c.consumer.describe(g), authorizedOperations: ops };
    }),
  };
});
