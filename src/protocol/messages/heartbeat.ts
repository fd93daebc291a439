import { api, f } from "../schema.js";

export const Heartbeat = api({
  key: 12,
  name: "Heartbeat",
  versions: "0-4",
  flexible: "4+",
  request: [
    f.string("groupId", "0+"),
    f.int32("generationId", "0+"),
    f.string("memberId", "0+"),
    f.string("groupInstanceId", "3+", { nullable: "3+", default: null }),
  ],
  response: [f.int32("throttleTimeMs", "1+"), f.int16("errorCode", "0+")],
});
