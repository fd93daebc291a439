import { api, f } from "../schema.js";

export const CreateDelegationToken = api({
  key: 38,
  name: "CreateDelegationToken",
  versions: "1-3",
  flexible: "2+",
  request: [
    f.string("ownerPrincipalType", "3+", { nullable: "3+" }),
    f.string("ownerPrincipalName", "3+", { nullable: "3+" }),
    f.array("renewers", "0+", [f.string("principalType", "0+"), f.string("principalName", "0+")]),
    f.int64("maxLifetimeMs", "0+"),
  ],
  response: [
    f.int16("errorCode", "0+"),
    f.string("principalType", "0+"),
    f.string("principalName", "0+"),
    f.string("tokenRequesterPrincipalType", "3+"),
    f.string("tokenRequesterPrincipalName", "3+"),
    f.int64("issueTimestampMs", "0+"),
    f.int64("expiryTimestampMs", "0+"),
    f.int64("maxTimestampMs", "0+"),
    f.string("tokenId", "0+"),
    f.bytes("hmac", "0+"),
    f.int32("throttleTimeMs", "0+"),
  ],
});
