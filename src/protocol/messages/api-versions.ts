import { api, f } from "../schema.js";

export const ApiVersions = api({
  key: 18,
  name: "ApiVersions",
  versions: "0-4",
  flexible: "3+",
  request: [f.string("clientSoftwareName", "3+"), f.string("clientSoftwareVersion", "3+")],
  response: [
    f.int16("errorCode", "0+"),
    f.array("apiKeys", "0+", [
      f.int16("apiKey", "0+"),
      f.int16("minVersion", "0+"),
      f.int16("maxVersion", "0+"),
    ]),
    f.int32("throttleTimeMs", "1+"),
    f.array(
      "supportedFeatures",
      "3+",
      [f.string("name", "3+"), f.int16("minVersion", "3+"), f.int16("maxVersion", "3+")],
      { tag: 0 },
    ),
    f.int64("finalizedFeaturesEpoch", "3+", { tag: 1, default: -1 }),
    f.array(
      "finalizedFeatures",
      "3+",
      [f.string("name", "3+"), f.int16("maxVersionLevel", "3+"), f.int16("minVersionLevel", "3+")],
      { tag: 2 },
    ),
    f.bool("zkMigrationReady", "3+", { tag: 3, default: false }),
  ],
});
