import { api, f } from "../schema.js";

export const DescribeLogDirs = api({
  key: 35,
  name: "DescribeLogDirs",
  versions: "1-4",
  flexible: "2+",
  request: [
    f.array("topics", "0+", [f.string("topic", "0+"), f.arrayOf("partitions", "int32", "0+")], {
      nullable: "0+",
    }),
  ],
  response: [
    f.int32("throttleTimeMs", "0+"),
    f.int16("errorCode", "3+"),
    f.array("results", "0+", [
      f.int16("errorCode", "0+"),
      f.string("logDir", "0+"),
      f.array("topics", "0+", [
        f.string("name", "0+"),
        f.array("partitions", "0+", [
          f.int32("partitionIndex", "0+"),
          f.int64("partitionSize", "0+"),
          f.int64("offsetLag", "0+"),
          f.bool("isFutureKey", "0+"),
        ]),
      ]),
      f.int64("totalBytes", "4+", { default: -1 }),
      f.int64("usableBytes", "4+", { default: -1 }),
    ]),
  ],
});
