import { api, f } from "../schema.js";

export const UnregisterBroker = api({
  key: 64,
  name: "UnregisterBroker",
  versions: "0-0",
  flexible: "0+",
  request: [f.int32("brokerId", "0+")],
  response: [
    f.int32("throttleTimeMs", "0+"),
    f.int16("errorCode", "0+"),
    f.string("errorMessage", "0+", { nullable: "0+" }),
  ],
});
