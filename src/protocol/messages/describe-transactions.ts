import { api, f } from "../schema.js";

export const DescribeTransactions = api({
  key: 65,
  name: "DescribeTransactions",
  versions: "0-0",
  flexible: "0+",
  request: [f.arrayOf("transactionalIds", "string", "0+")],
  response: [
    f.int32("throttleTimeMs", "0+"),
    f.array("transactionStates", "0+", [
      f.int16("errorCode", "0+"),
      f.string("transactionalId", "0+"),
      f.string("transactionState", "0+"),
      f.int32("transactionTimeoutMs", "0+"),
      f.int64("transactionStartTimeMs", "0+"),
      f.int64("producerId", "0+"),
      f.int16("producerEpoch", "0+"),
      f.array("topics", "0+", [f.string("topic", "0+"), f.arrayOf("partitions", "int32", "0+")]),
    ]),
  ],
});
