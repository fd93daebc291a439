import { api, f } from "../schema.js";

export const DescribeDelegationToken = api({
  key: 41,
  name: "DescribeDelegationToken",
  versions: "1-3",
  flexible: "2+",
  request: [
    f.array("owners", "0+", [f.string("principalType", "0+"), f.string("principalName", "0+")], {
      nullable: "0+",
    }),
  ],
  response: [
    f.int16("errorCode", "0+"),
    f.array("tokens", "0+", [
      f.string("principalType", "0+"),
      f.string("principalName", "0+"),
      f.string("tokenRequesterPrincipalType", "3+"),
      f.string("tokenRequesterPrincipalName", "3+"),
      f.int64("issueTimestamp", "0+"),
      f.int64("expiryTimestamp", "0+"),
      f.int64("maxTimestamp", "0+"),
      f.string("tokenId", "0+"),
      f.bytes("hmac", "0+"),
      f.array("renewers", "0+", [f.string("principalType", "0+"), f.string("principalName", "0+")]),
    ]),
    f.int32("throttleTimeMs", "0+"),
  ],
});
