import { api, f } from "../schema.js";

export const LeaveGroup = api({
  key: 13,
  name: "LeaveGroup",
  versions: "0-5",
  flexible: "4+",
  request: [
    f.string("groupId", "0+"),
    f.string("memberId", "0-2"),
    f.array("members", "3+", [
      f.string("memberId", "3+"),
      f.string("groupInstanceId", "3+", { nullable: "3+", default: null }),
      f.string("reason", "5+", { nullable: "5+", default: null }),
    ]),
  ],
  response: [
    f.int32("throttleTimeMs", "1+"),
    f.int16("errorCode", "0+"),
    f.array("members", "3+", [
      f.string("memberId", "3+"),
      f.string("groupInstanceId", "3+", { nullable: "3+" }),
      f.int16("errorCode", "3+"),
    ]),
  ],
});
