import { api, f } from "../schema.js";

const replicaState = [
  f.int32("replicaId", "0+"),
  f.uuid("replicaDirectoryId", "2+"),
  f.int64("logEndOffset", "0+"),
  f.int64("lastFetchTimestamp", "1+", { default: -1 }),
  f.int64("lastCaughtUpTimestamp", "1+", { default: -1 }),
] as const;

export const DescribeQuorum = api({
  key: 55,
  name: "DescribeQuorum",
  versions: "0-2",
  flexible: "0+",
  request: [
    f.array("topics", "0+", [
      f.string("topicName", "0+"),
      f.array("partitions", "0+", [f.int32("partitionIndex", "0+")]),
    ]),
  ],
  response: [
    f.int16("errorCode", "0+"),
    f.string("errorMessage", "2+", { nullable: "2+" }),
    f.array("topics", "0+", [
      f.string("topicName", "0+"),
      f.array("partitions", "0+", [
        f.int32("partitionIndex", "0+"),
        f.int16("errorCode", "0+"),
        f.string("errorMessage", "2+", { nullable: "2+" }),
        f.int32("leaderId", "0+"),
        f.int32("leaderEpoch", "0+"),
        f.int64("highWatermark", "0+"),
        f.array("currentVoters", "0+", replicaState),
        f.array("observers", "0+", replicaState),
      ]),
    ]),
    f.array("nodes", "2+", [
      f.int32("nodeId", "2+"),
      f.array("listeners", "2+", [f.string("name", "2+"), f.string("host", "2+"), f.uint16("port", "2+")]),
    ]),
  ],
});
