import { api, f } from "../schema.js";

export const AlterUserScramCredentials = api({
  key: 51,
  name: "AlterUserScramCredentials",
  versions: "0-0",
  flexible: "0+",
  request: [
    f.array("deletions", "0+", [f.string("name", "0+"), f.int8("mechanism", "0+")]),
    f.array("upsertions", "0+", [
      f.string("name", "0+"),
      f.int8("mechanism", "0+"),
      f.int32("iterations", "0+"),
      f.bytes("salt", "0+"),
      f.bytes("saltedPassword", "0+"),
    ]),
  ],
  response: [
    f.int32("throttleTimeMs", "0+"),
    f.array("results", "0+", [
      f.string("user", "0+"),
      f.int16("errorCode", "0+"),
      f.string("errorMessage", "0+", { nullable: "0+" }),
    ]),
  ],
});
