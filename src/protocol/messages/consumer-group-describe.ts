import { api, f } from "../schema.js";

const topicPartitions = [
  f.uuid("topicId", "0+"),
  f.string("topicName", "0+"),
  f.arrayOf("partitions", "int32", "0+"),
] as const;

const assignment = [f.array("topicPartitions", "0+", topicPartitions)] as const;

export const ConsumerGroupDescribe = api({
  key: 69,
  name: "ConsumerGroupDescribe",
  // v1 (KIP-1099) adds each member's type; the request is unchanged.
  versions: "0-1",
  flexible: "0+",
  request: [f.arrayOf("groupIds", "string", "0+"), f.bool("includeAuthorizedOperations", "0+")],
  response: [
    f.int32("throttleTimeMs", "0+"),
    f.array("groups", "0+", [
      f.int16("errorCode", "0+"),
      f.string("errorMessage", "0+", { nullable: "0+", default: null }),
      f.string("groupId", "0+"),
      f.string("groupState", "0+"),
      f.int32("groupEpoch", "0+"),
      f.int32("assignmentEpoch", "0+"),
      f.string("assignorName", "0+"),
      f.array("members", "0+", [
        f.string("memberId", "0+"),
        f.string("instanceId", "0+", { nullable: "0+", default: null }),
        f.string("rackId", "0+", { nullable: "0+", default: null }),
        f.int32("memberEpoch", "0+"),
        f.string("clientId", "0+"),
        f.string("clientHost", "0+"),
        f.arrayOf("subscribedTopicNames", "string", "0+"),
        f.string("subscribedTopicRegex", "0+", { nullable: "0+", default: null }),
        f.struct("assignment", "0+", assignment),
        f.struct("targetAssignment", "0+", assignment),
        f.int8("memberType", "1+", { default: -1 }),
      ]),
      f.int32("authorizedOperations", "0+", { default: -2147483648 }),
    ]),
  ],
});
