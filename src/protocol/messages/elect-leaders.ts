import { api, f } from "../schema.js";

export const ElectLeaders = api({
  key: 43,
  name: "ElectLeaders",
  versions: "0-2",
  flexible: "2+",
  request: [
    f.int8("electionType", "1+"),
    f.array("topicPartitions", "0+", [f.string("topic", "0+"), f.arrayOf("partitions", "int32", "0+")], {
      nullable: "0+",
    }),
    f.int32("timeoutMs", "0+", { default: 60000 }),
  ],
  response: [
    f.int32("throttleTimeMs", "0+"),
    f.int16("errorCode", "1+"),
    f.array("replicaElectionResults", "0+", [
      f.string("topic", "0+"),
      f.array("partitionResult", "0+", [
        f.int32("partitionId", "0+"),
        f.int16("errorCode", "0+"),
        f.string("errorMessage", "0+", { nullable: "0+" }),
      ]),
    ]),
  ],
});
