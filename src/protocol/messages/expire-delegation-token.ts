import { api, f } from "../schema.js";

export const ExpireDelegationToken = api({
  key: 40,
  name: "ExpireDelegationToken",
  versions: "1-2",
  flexible: "2+",
  request: [f.bytes("hmac", "0+"), f.int64("expiryTimePeriodMs", "0+")],
  response: [f.int16("errorCode", "0+"), f.int64("expiryTimestampMs", "0+"), f.int32("throttleTimeMs", "0+")],
});
