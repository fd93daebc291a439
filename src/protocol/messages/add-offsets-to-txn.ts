import { api, f } from "../schema.js";

export const AddOffsetsToTxn = api({
  key: 25,
  name: "AddOffsetsToTxn",
  versions: "0-4",
  flexible: "3+",
  request: [
    f.string("transactionalId", "0+"),
    f.int64("producerId", "0+"),
    f.int16("producerEpoch", "0+"),
    f.string("groupId", "0+"),
  ],
  response: [f.int32("throttleTimeMs", "0+"), f.int16("errorCode", "0+")],
});
