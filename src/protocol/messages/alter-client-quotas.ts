import { api, f } from "../schema.js";

export const AlterClientQuotas = api({
  key: 49,
  name: "AlterClientQuotas",
  versions: "0-1",
  flexible: "1+",
  request: [
    f.array("entries", "0+", [
      f.array("entity", "0+", [
        f.string("entityType", "0+"),
        f.string("entityName", "0+", { nullable: "0+" }),
      ]),
      f.array("ops", "0+", [f.string("key", "0+"), f.float64("value", "0+"), f.bool("remove", "0+")]),
    ]),
    f.bool("validateOnly", "0+"),
  ],
  response: [
    f.int32("throttleTimeMs", "0+"),
    f.array("entries", "0+", [
      f.int16("errorCode", "0+"),
      f.string("errorMessage", "0+", { nullable: "0+" }),
      f.array("entity", "0+", [
        f.string("entityType", "0+"),
        f.string("entityName", "0+", { nullable: "0+" }),
      ]),
    ]),
  ],
});
