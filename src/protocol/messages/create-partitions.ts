import { api, f } from "../schema.js";

export const CreatePartitions = api({
  key: 37,
  name: "CreatePartitions",
  versions: "0-3",
  flexible: "2+",
  request: [
    f.array("topics", "0+", [
      f.string("name", "0+"),
      f.int32("count", "0+"),
      f.array("assignments", "0+", [f.arrayOf("brokerIds", "int32", "0+")], { nullable: "0+" }),
    ]),
    f.int32("timeoutMs", "0+"),
    f.bool("validateOnly", "0+"),
  ],
  response: [
    f.int32("throttleTimeMs", "0+"),
    f.array("results", "0+", [
      f.string("name", "0+"),
      f.int16("errorCode", "0+"),
      f.string("errorMessage", "0+", { nullable: "0+", default: null }),
    ]),
  ],
});
