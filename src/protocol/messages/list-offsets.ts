import { api, f } from "../schema.js";

export const ListOffsets = api({
  key: 2,
  name: "ListOffsets",
  versions: "1-10",
  flexible: "6+",
  request: [
    f.int32("replicaId", "0+"),
    f.int8("isolationLevel", "2+"),
    f.array("topics", "0+", [
      f.string("name", "0+"),
      f.array("partitions", "0+", [
        f.int32("partitionIndex", "0+"),
        f.int32("currentLeaderEpoch", "4+", { default: -1 }),
        f.int64("timestamp", "0+"),
        f.int32("maxNumOffsets", "0", { default: 1 }),
      ]),
    ]),
    f.int32("timeoutMs", "10+"),
  ],
  response: [
    f.int32("throttleTimeMs", "2+"),
    f.array("topics", "0+", [
      f.string("name", "0+"),
      f.array("partitions", "0+", [
        f.int32("partitionIndex", "0+"),
        f.int16("errorCode", "0+"),
        f.arrayOf("oldStyleOffsets", "int64", "0"),
        f.int64("timestamp", "1+", { default: -1 }),
        f.int64("offset", "1+", { default: -1 }),
        f.int32("leaderEpoch", "4+", { default: -1 }),
      ]),
    ]),
  ],
});
