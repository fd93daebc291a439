import { api, f } from "../schema.js";

export const ListTransactions = api({
  key: 66,
  name: "ListTransactions",
  versions: "0-1",
  flexible: "0+",
  request: [
    f.arrayOf("stateFilters", "string", "0+"),
    f.arrayOf("producerIdFilters", "int64", "0+"),
    f.int64("durationFilter", "1+", { default: -1 }),
  ],
  response: [
    f.int32("throttleTimeMs", "0+"),
    f.int16("errorCode", "0+"),
    f.arrayOf("unknownStateFilters", "string", "0+"),
    f.array("transactionStates", "0+", [
      f.string("transactionalId", "0+"),
      f.int64("producerId", "0+"),
      f.string("transactionState", "0+"),
    ]),
  ],
});
