import { api, f } from "../schema.js";

export const OffsetCommit = api({
  key: 8,
  name: "OffsetCommit",
  versions: "2-9",
  flexible: "8+",
  request: [
    f.string("groupId", "0+"),
    f.int32("generationIdOrMemberEpoch", "1+", { default: -1 }),
    f.string("memberId", "1+"),
    f.string("groupInstanceId", "7+", { nullable: "7+", default: null }),
    f.int64("retentionTimeMs", "2-4", { default: -1 }),
    f.array("topics", "0+", [
      f.string("name", "0+"),
      f.array("partitions", "0+", [
        f.int32("partitionIndex", "0+"),
        f.int64("committedOffset", "0+"),
        f.int32("committedLeaderEpoch", "6+", { default: -1 }),
        f.int64("commitTimestamp", "1", { default: -1 }),
        f.string("committedMetadata", "0+", { nullable: "0+" }),
      ]),
    ]),
  ],
  response: [
    f.int32("throttleTimeMs", "3+"),
    f.array("topics", "0+", [
      f.string("name", "0+"),
      f.array("partitions", "0+", [f.int32("partitionIndex", "0+"), f.int16("errorCode", "0+")]),
    ]),
  ],
});
