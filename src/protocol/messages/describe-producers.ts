import { api, f } from "../schema.js";

export const DescribeProducers = api({
  key: 61,
  name: "DescribeProducers",
  versions: "0-0",
  flexible: "0+",
  request: [f.array("topics", "0+", [f.string("name", "0+"), f.arrayOf("partitionIndexes", "int32", "0+")])],
  response: [
    f.int32("throttleTimeMs", "0+"),
    f.array("topics", "0+", [
      f.string("name", "0+"),
      f.array("partitions", "0+", [
        f.int32("partitionIndex", "0+"),
        f.int16("errorCode", "0+"),
        f.string("errorMessage", "0+", { nullable: "0+", default: null }),
        f.array("activeProducers", "0+", [
          f.int64("producerId", "0+"),
          f.int32("producerEpoch", "0+"),
          f.int32("lastSequence", "0+", { default: -1 }),
          f.int64("lastTimestamp", "0+", { default: -1 }),
          f.int32("coordinatorEpoch", "0+"),
          f.int64("currentTxnStartOffset", "0+", { default: -1 }),
        ]),
      ]),
    ]),
  ],
});
