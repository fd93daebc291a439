/**
 * One group of a DescribeGroups answer in KafkaJS's shape, shared by `admin.describeGroups` and
 * `consumer.describeGroup`. DescribeGroups v6 reports an unknown group as GROUP_ID_NOT_FOUND; older
 * versions, which KafkaJS speaks, as a Dead group with no error: KafkaJS's answer is kept.
 */
import { ErrorCode } from "../protocol/error-codes.js";
import type { DescribeGroups } from "../protocol/messages/index.js";
import type { ResponseOf } from "../protocol/schema.js";
import { protocolError } from "./errors.js";
import type { ConsumerGroupState, GroupDescription } from "./types.js";

type DescribedGroup = ResponseOf<typeof DescribeGroups>["groups"][number];

/** The group in KafkaJS's shape; throws the group's error (other than an unknown group). */
export function groupDescription(g: DescribedGroup): GroupDescription & { errorCode: number } {
  if (g.errorCode === ErrorCode.GROUP_ID_NOT_FOUND) {
    return { errorCode: 0, groupId: g.groupId, state: "Dead", protocolType: "", protocol: "", members: [] };
  }
  if (g.errorCode !== ErrorCode.NONE) throw protocolError(g.errorCode, g.errorMessage);
  return {
    errorCode: g.errorCode,
    groupId: g.groupId,
    state: g.groupState as ConsumerGroupState,
    protocolType: g.protocolType,
    protocol: g.protocolData,
    members: g.members.map((m) => ({
      memberId: m.memberId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      memberMetadata: m.memberMetadata,
      memberAssignment: m.memberAssignment,
    })),
  };
}
