import { api, f } from "../schema.js";

export const Metadata = api({
  key: 3,
  name: "Metadata",
  versions: "0-12",
  flexible: "9+",
  request: [
    f.array("topics", "0+", [f.uuid("topicId", "10+"), f.string("name", "0+", { nullable: "10+" })], {
      nullable: "1+",
    }),
    f.bool("allowAutoTopicCreation", "4+", { default: true }),
    f.bool("includeClusterAuthorizedOperations", "8-10"),
    f.bool("includeTopicAuthorizedOperations", "8+"),
  ],
  response: [
    f.int32("throttleTimeMs", "3+"),
    f.array("brokers", "0+", [
      f.int32("nodeId", "0+"),
      f.string("host", "0+"),
      f.int32("port", "0+"),
      f.string("rack", "1+", { nullable: "1+", default: null }),
    ]),
    f.string("clusterId", "2+", { nullable: "2+", default: null }),
    f.int32("controllerId", "1+", { default: -1 }),
    f.array("topics", "0+", [
      f.int16("errorCode", "0+"),
      f.string("name", "0+", { nullable: "12+" }),
      f.uuid("topicId", "10+"),
      f.bool("isInternal", "1+", { default: false }),
      f.array("partitions", "0+", [
        f.int16("errorCode", "0+"),
        f.int32("partitionIndex", "0+"),
        f.int32("leaderId", "0+"),
        f.int32("leaderEpoch", "7+", { default: -1 }),
        f.arrayOf("replicaNodes", "int32", "0+"),
        f.arrayOf("isrNodes", "int32", "0+"),
        f.arrayOf("offlineReplicas", "int32", "5+"),
      ]),
      f.int32("topicAuthorizedOperations", "8+", { default: -2147483648 }),
    ]),
    f.int32("clusterAuthorizedOperations", "8-10", { default: -2147483648 }),
  ],
});
