import { api, f } from "../schema.js";

export const ListPartitionReassignments = api({
  key: 46,
  name: "ListPartitionReassignments",
  versions: "0-0",
  flexible: "0+",
  request: [
    f.int32("timeoutMs", "0+", { default: 60000 }),
    f.array("topics", "0+", [f.string("name", "0+"), f.arrayOf("partitionIndexes", "int32", "0+")], {
      nullable: "0+",
      default: null,
    }),
  ],
  response: [
    f.int32("throttleTimeMs", "0+"),
    f.int16("errorCode", "0+"),
    f.string("errorMessage", "0+", { nullable: "0+" }),
    f.array("topics", "0+", [
      f.string("name", "0+"),
      f.array("partitions", "0+", [
        f.int32("partitionIndex", "0+"),
        f.arrayOf("replicas", "int32", "0+"),
        f.arrayOf("addingReplicas", "int32", "0+"),
        f.arrayOf("removingReplicas", "int32", "0+"),
      ]),
    ]),
  ],
});
