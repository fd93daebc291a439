import { api, f } from "../schema.js";

export const DescribeClientQuotas = api({
  key: 48,
  name: "DescribeClientQuotas",
  versions: "0-1",
  flexible: "1+",
  request: [
    f.array("components", "0+", [
      f.string("entityType", "0+"),
      f.int8("matchType", "0+"),
      f.string("match", "0+", { nullable: "0+" }),
    ]),
    f.bool("strict", "0+"),
  ],
  response: [
    f.int32("throttleTimeMs", "0+"),
    f.int16("errorCode", "0+"),
    f.string("errorMessage", "0+", { nullable: "0+" }),
    f.array(
      "entries",
      "0+",
      [
        f.array("entity", "0+", [
          f.string("entityType", "0+"),
          f.string("entityName", "0+", { nullable: "0+" }),
        ]),
        f.array("values", "0+", [f.string("key", "0+"), f.float64("value", "0+")]),
      ],
      { nullable: "0+" },
    ),
  ],
});
