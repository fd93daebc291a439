import { api, f } from "../schema.js";

export const AlterReplicaLogDirs = api({
  key: 34,
  name: "AlterReplicaLogDirs",
  versions: "1-2",
  flexible: "2+",
  request: [
    f.array("dirs", "0+", [
      f.string("path", "0+"),
      f.array("topics", "0+", [f.string("name", "0+"), f.arrayOf("partitions", "int32", "0+")]),
    ]),
  ],
  response: [
    f.int32("throttleTimeMs", "0+"),
    f.array("results", "0+", [
      f.string("topicName", "0+"),
      f.array("partitions", "0+", [f.int32("partitionIndex", "0+"), f.int16("errorCode", "0+")]),
    ]),
  ],
});
