import { api, f } from "../schema.js";

export const RenewDelegationToken = api({
  key: 39,
  name: "RenewDelegationToken",
  versions: "1-2",
  flexible: "2+",
  request: [f.bytes("hmac", "0+"), f.int64("renewPeriodMs", "0+")],
  response: [f.int16("errorCode", "0+"), f.int64("expiryTimestampMs", "0+"), f.int32("throttleTimeMs", "0+")],
});
