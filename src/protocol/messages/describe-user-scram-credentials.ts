import { api, f } from "../schema.js";

export const DescribeUserScramCredentials = api({
  key: 50,
  name: "DescribeUserScramCredentials",
  versions: "0-0",
  flexible: "0+",
  request: [f.array("users", "0+", [f.string("name", "0+")], { nullable: "0+" })],
  response: [
    f.int32("throttleTimeMs", "0+"),
    f.int16("errorCode", "0+"),
    f.string("errorMessage", "0+", { nullable: "0+" }),
    f.array("results", "0+", [
      f.string("user", "0+"),
      f.int16("errorCode", "0+"),
      f.string("errorMessage", "0+", { nullable: "0+" }),
      f.array("credentialInfos", "0+", [f.int8("mechanism", "0+"), f.int32("iterations", "0+")]),
    ]),
  ],
});
