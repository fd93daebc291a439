import { api, f } from "../schema.js";

export const PushTelemetry = api({
  key: 72,
  name: "PushTelemetry",
  versions: "0-0",
  flexible: "0+",
  request: [
    f.uuid("clientInstanceId", "0+"),
    f.int32("subscriptionId", "0+"),
    f.bool("terminating", "0+"),
    f.int8("compressionType", "0+"),
    f.bytes("metrics", "0+"),
  ],
  response: [f.int32("throttleTimeMs", "0+"), f.int16("errorCode", "0+")],
});
