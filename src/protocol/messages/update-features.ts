import { api, f } from "../schema.js";

export const UpdateFeatures = api({
  key: 57,
  name: "UpdateFeatures",
  versions: "0-2",
  flexible: "0+",
  request: [
    f.int32("timeoutMs", "0+", { default: 60000 }),
    f.array("featureUpdates", "0+", [
      f.string("feature", "0+"),
      f.int16("maxVersionLevel", "0+"),
      f.bool("allowDowngrade", "0"),
      f.int8("upgradeType", "1+", { default: 1 }),
    ]),
    f.bool("validateOnly", "1+", { default: false }),
  ],
  response: [
    f.int32("throttleTimeMs", "0+"),
    f.int16("errorCode", "0+"),
    f.string("errorMessage", "0+", { nullable: "0+" }),
    f.array("results", "0-1", [
      f.string("feature", "0+"),
      f.int16("errorCode", "0+"),
      f.string("errorMessage", "0+", { nullable: "0+" }),
    ]),
  ],
});
