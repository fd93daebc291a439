import { api, f } from "../schema.js";

export const ListClientMetricsResources = api({
  key: 74,
  name: "ListClientMetricsResources",
  versions: "0-0",
  flexible: "0+",
  request: [],
  response: [
    f.int32("throttleTimeMs", "0+"),
    f.int16("errorCode", "0+"),
    f.array("clientMetricsResources", "0+", [f.string("name", "0+")]),
  ],
});
