import { api, f } from "../schema.js";

export const GetTelemetrySubscriptions = api({
  key: 71,
  name: "GetTelemetrySubscriptions",
  versions: "0-0",
  flexible: "0+",
  request: [f.uuid("clientInstanceId", "0+")],
  response: [
    f.int32("throttleTimeMs", "0+"),
    f.int16("errorCode", "0+"),
    f.uuid("clientInstanceId", "0+"),
    f.int32("subscriptionId", "0+"),
    f.arrayOf("acceptedCompressionTypes", "int8", "0+"),
    f.int32("pushIntervalMs", "0+"),
    f.int32("telemetryMaxBytes", "0+"),
    f.bool("deltaTemporality", "0+"),
    f.arrayOf("requestedMetrics", "string", "0+"),
  ],
});
