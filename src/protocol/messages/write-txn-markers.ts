import { api, f } from "../schema.js";

export const WriteTxnMarkers = api({
  key: 27,
  name: "WriteTxnMarkers",
  versions: "1-1",
  flexible: "1+",
  request: [
    f.array("markers", "0+", [
      f.int64("producerId", "0+"),
      f.int16("producerEpoch", "0+"),
      f.bool("transactionResult", "0+"),
      f.array("topics", "0+", [f.string("name", "0+"), f.arrayOf("partitionIndexes", "int32", "0+")]),
      f.int32("coordinatorEpoch", "0+"),
    ]),
  ],
  response: [
    f.array("markers", "0+", [
      f.int64("producerId", "0+"),
      f.array("topics", "0+", [
        f.string("name", "0+"),
        f.array("partitions", "0+", [f.int32("partitionIndex", "0+"), f.int16("errorCode", "0+")]),
      ]),
    ]),
  ],
});
