import { api, f } from "../schema.js";

export const OffsetForLeaderEpoch = api({
  key: 23,
  name: "OffsetForLeaderEpoch",
  versions: "2-4",
  flexible: "4+",
  request: [
    f.int32("replicaId", "3+", { default: -2 }),
    f.array("topics", "0+", [
      f.string("topic", "0+"),
      f.array("partitions", "0+", [
        f.int32("partition", "0+"),
        f.int32("currentLeaderEpoch", "2+", { default: -1 }),
        f.int32("leaderEpoch", "0+"),
      ]),
    ]),
  ],
  response: [
    f.int32("throttleTimeMs", "2+"),
    f.array("topics", "0+", [
      f.string("topic", "0+"),
      f.array("partitions", "0+", [
        f.int16("errorCode", "0+"),
        f.int32("partition", "0+"),
        f.int32("leaderEpoch", "1+", { default: -1 }),
        f.int64("endOffset", "0+", { default: -1 }),
      ]),
    ]),
  ],
});
