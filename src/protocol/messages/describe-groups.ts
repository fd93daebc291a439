import { api, f } from "../schema.js";

export const DescribeGroups = api({
  key: 15,
  name: "DescribeGroups",
  versions: "0-6",
  flexible: "5+",
  request: [f.arrayOf("groups", "string", "0+"), f.bool("includeAuthorizedOperations", "3+")],
  response: [
    f.int32("throttleTimeMs", "1+"),
    f.array("groups", "0+", [
      f.int16("errorCode", "0+"),
      f.string("errorMessage", "6+", { nullable: "6+", default: null }),
      f.string("groupId", "0+"),
      f.string("groupState", "0+"),
      f.string("protocolType", "0+"),
      f.string("protocolData", "0+"),
      f.array("members", "0+", [
        f.string("memberId", "0+"),
        f.string("groupInstanceId", "4+", { nullable: "4+", default: null }),
        f.string("clientId", "0+"),
        f.string("clientHost", "0+"),
        f.bytes("memberMetadata", "0+"),
        f.bytes("memberAssignment", "0+"),
      ]),
      f.int32("authorizedOperations", "3+", { default: -2147483648 }),
    ]),
  ],
});
