import { api, f } from "../schema.js";

export const JoinGroup = api({
  key: 11,
  name: "JoinGroup",
  versions: "0-9",
  flexible: "6+",
  request: [
    f.string("groupId", "0+"),
    f.int32("sessionTimeoutMs", "0+"),
    f.int32("rebalanceTimeoutMs", "1+", { default: -1 }),
    f.string("memberId", "0+"),
    f.string("groupInstanceId", "5+", { nullable: "5+", default: null }),
    f.string("protocolType", "0+"),
    f.array("protocols", "0+", [f.string("name", "0+"), f.bytes("metadata", "0+")]),
    f.string("reason", "8+", { nullable: "8+", default: null }),
  ],
  response: [
    f.int32("throttleTimeMs", "2+"),
    f.int16("errorCode", "0+"),
    f.int32("generationId", "0+", { default: -1 }),
    f.string("protocolType", "7+", { nullable: "7+", default: null }),
    f.string("protocolName", "0+", { nullable: "7+" }),
    f.string("leader", "0+"),
    f.bool("skipAssignment", "9+", { default: false }),
    f.string("memberId", "0+"),
    f.array("members", "0+", [
      f.string("memberId", "0+"),
      f.string("groupInstanceId", "5+", { nullable: "5+", default: null }),
      f.bytes("metadata", "0+"),
    ]),
  ],
});
