import { api, f } from "../schema.js";

export const OffsetDelete = api({
  key: 47,
  name: "OffsetDelete",
  versions: "0-0",
  flexible: "none",
  request: [
    f.string("groupId", "0+"),
    f.array("topics", "0+", [
      f.string("name", "0+"),
      f.array("partitions", "0+", [f.int32("partitionIndex", "0+")]),
    ]),
  ],
  response: [
    f.int16("errorCode", "0+"),
    f.int32("throttleTimeMs", "0+"),
    f.array("topics", "0+", [
      f.string("name", "0+"),
      f.array("partitions", "0+", [f.int32("partitionIndex", "0+"), f.int16("errorCode", "0+")]),
    ]),
  ],
});
