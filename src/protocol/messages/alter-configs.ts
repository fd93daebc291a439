import { api, f } from "../schema.js";

export const AlterConfigs = api({
  key: 33,
  name: "AlterConfigs",
  versions: "0-2",
  flexible: "2+",
  request: [
    f.array("resources", "0+", [
      f.int8("resourceType", "0+"),
      f.string("resourceName", "0+"),
      f.array("configs", "0+", [f.string("name", "0+"), f.string("value", "0+", { nullable: "0+" })]),
    ]),
    f.bool("validateOnly", "0+"),
  ],
  response: [
    f.int32("throttleTimeMs", "0+"),
    f.array("responses", "0+", [
      f.int16("errorCode", "0+"),
      f.string("errorMessage", "0+", { nullable: "0+" }),
      f.int8("resourceType", "0+"),
      f.string("resourceName", "0+"),
    ]),
  ],
});
