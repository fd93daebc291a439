import { api, f } from "../schema.js";

export const OffsetFetch = api({
  key: 9,
  name: "OffsetFetch",
  versions: "1-9",
  flexible: "6+",
  request: [
    f.string("groupId", "0-7"),
    f.array("topics", "0-7", [f.string("name", "0-7"), f.arrayOf("partitionIndexes", "int32", "0-7")], {
      nullable: "2-7",
    }),
    f.array("groups", "8+", [
      f.string("groupId", "8+"),
      f.string("memberId", "9+", { nullable: "9+", default: null }),
      f.int32("memberEpoch", "9+", { default: -1 }),
      f.array("topics", "8+", [f.string("name", "8+"), f.arrayOf("partitionIndexes", "int32", "8+")], {
        nullable: "8+",
      }),
    ]),
    f.bool("requireStable", "7+", { default: false }),
  ],
  response: [
    f.int32("throttleTimeMs", "3+"),
    f.array("topics", "0-7", [
      f.string("name", "0-7"),
      f.array("partitions", "0-7", [
        f.int32("partitionIndex", "0-7"),
        f.int64("committedOffset", "0-7"),
        f.int32("committedLeaderEpoch", "5-7", { default: -1 }),
        f.string("metadata", "0-7", { nullable: "0-7" }),
        f.int16("errorCode", "0-7"),
      ]),
    ]),
    f.int16("errorCode", "2-7"),
    f.array("groups", "8+", [
      f.string("groupId", "8+"),
      f.array("topics", "8+", [
        f.string("name", "8+"),
        f.array("partitions", "8+", [
          f.int32("partitionIndex", "8+"),
          f.int64("committedOffset", "8+"),
          f.int32("committedLeaderEpoch", "8+", { default: -1 }),
          f.string("metadata", "8+", { nullable: "8+" }),
          f.int16("errorCode", "8+"),
        ]),
      ]),
      f.int16("errorCode", "8+"),
    ]),
  ],
});
