/**
 * DescribeGroups (15), v0-v6: classic groups with their members; member metadata and assignment
 * only while the group is Stable. Unknown groups (and KIP-848 groups) are reported as "Dead", with no
 * error up to v5 and GROUP_ID_NOT_FOUND from v6 (KIP-1043), as in Kafka; use ConsumerGroupDescribe for
 * KIP-848 groups.
 */
import {
  AUTHORIZED_OPERATIONS_OMITTED,
  GROUP_AUTHORIZED_OPERATIONS,
  groups,
} from "../../coordinator/handler-support.js";
import { ErrorCode } from "../../protocol/error-codes.js";
import { DescribeGroups } from "../../protocol/messages/describe-groups.js";
import { defineHandler } from "../router.js";

export const describeGroupsHandler = defineHandler(DescribeGroups, (ctx, req) => {
  const c = groups(ctx);
  return {
    throttleTimeMs: 0,
    groups: req.groups.map((id) => {
      if (!c.active) {
        return {
          errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE,
          errorMessage: null,
          groupId: id,
          groupState: "",
          protocolType: "",
          protocolData: "",
          members: [],
        };
      }
      const d = c.describeGroup(id, ctx.version >= 6);
      return {
        ...d,
        authorizedOperations: req.includeAuthorizedOperations
          ? GROUP_AUTHORIZED_OPERATIONS
          : AUTHORIZED_OPERATIONS_OMITTED,
      };
    }),
  };
});
