import { api, f } from "../schema.js";

export const DescribeTopicPartitions = api({
  key: 75,
  name: "DescribeTopicPartitions",
  versions: "0-0",
  flexible: "0+",
  request: [
    f.array("topics", "0+", [f.string("name", "0+")]),
    f.int32("responsePartitionLimit", "0+", { default: 2000 }),
    f.struct("cursor", "0+", [f.string("topicName", "0+"), f.int32("partitionIndex", "0+")], {
      nullable: "0+",
      default: null,
    }),
  ],
  response: [
    f.int32("throttleTimeMs", "0+"),
    f.array("topics", "0+", [
      f.int16("errorCode", "0+"),
      f.string("name", "0+", { nullable: "0+" }),
      f.uuid("topicId", "0+"),
      f.bool("isInternal", "0+", { default: false }),
      f.array("partitions", "0+", [
        f.int16("errorCode", "0+"),
        f.int32("partitionIndex", "0+"),
        f.int32("leaderId", "0+"),
        f.int32("leaderEpoch", "0+", { default: -1 }),
        f.arrayOf("replicaNodes", "int32", "0+"),
        f.arrayOf("isrNodes", "int32", "0+"),
        f.arrayOf("eligibleLeaderReplicas", "int32", "0+", { nullable: "0+", default: null }),
        f.arrayOf("lastKnownElr", "int32", "0+", { nullable: "0+", default: null }),
        f.arrayOf("offlineReplicas", "int32", "0+"),
      ]),
      f.int32("topicAuthorizedOperations", "0+", { default: -2147483648 }),
    ]),
    f.struct("nextCursor", "0+", [f.string("topicName", "0+"), f.int32("partitionIndex", "0+")], {
      nullable: "0+",
      default: null,
    }),
  ],
});
