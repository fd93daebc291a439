import { api, f } from "../schema.js";

export const EndTxn = api({
  key: 26,
  name: "EndTxn",
  versions: "0-5",
  flexible: "3+",
  request: [
    f.string("transactionalId", "0+"),
    f.int64("producerId", "0+"),
    f.int16("producerEpoch", "0+"),
    f.bool("committed", "0+"),
  ],
  response: [
    f.int32("throttleTimeMs", "0+"),
    f.int16("errorCode", "0+"),
    f.int64("producerId", "5+", { default: -1 }),
    f.int16("producerEpoch", "5+", { default: -1 }),
  ],
});
