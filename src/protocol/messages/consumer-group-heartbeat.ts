import { api, f } from "../schema.js";

const topicPartitions = [f.uuid("topicId", "0+"), f.arrayOf("partitions", "int32", "0+")] as const;

export const ConsumerGroupHeartbeat = api({
  key: 68,
  name: "ConsumerGroupHeartbeat",
  versions: "0-1",
  flexible: "0+",
  request: [
    f.string("groupId", "0+"),
    f.string("memberId", "0+"),
    f.int32("memberEpoch", "0+"),
    f.string("instanceId", "0+", { nullable: "0+", default: null }),
    f.string("rackId", "0+", { nullable: "0+", default: null }),
    f.int32("rebalanceTimeoutMs", "0+", { default: -1 }),
    f.arrayOf("subscribedTopicNames", "string", "0+", { nullable: "0+", default: null }),
    f.string("subscribedTopicRegex", "1+", { nullable: "1+", default: null }),
    f.string("serverAssignor", "0+", { nullable: "0+", default: null }),
    f.array("topicPartitions", "0+", [f.uuid("topicId", "0+"), f.arrayOf("partitions", "int32", "0+")], {
      nullable: "0+",
      default: null,
    }),
  ],
  response: [
    f.int32("throttleTimeMs", "0+"),
    f.int16("errorCode", "0+"),
    f.string("errorMessage", "0+", { nullable: "0+", default: null }),
    f.string("memberId", "0+", { nullable: "0+", default: null }),
    f.int32("memberEpoch", "0+"),
    f.int32("heartbeatIntervalMs", "0+"),
    f.struct("assignment", "0+", [f.array("topicPartitions", "0+", topicPartitions)], {
      nullable: "0+",
      default: null,
    }),
  ],
});
