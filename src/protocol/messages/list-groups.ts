import { api, f } from "../schema.js";

export const ListGroups = api({
  key: 16,
  name: "ListGroups",
  versions: "0-5",
  flexible: "3+",
  request: [f.arrayOf("statesFilter", "string", "4+"), f.arrayOf("typesFilter", "string", "5+")],
  response: [
    f.int32("throttleTimeMs", "1+"),
    f.int16("errorCode", "0+"),
    f.array("groups", "0+", [
      f.string("groupId", "0+"),
      f.string("protocolType", "0+"),
      f.string("groupState", "4+"),
      f.string("groupType", "5+"),
    ]),
  ],
});
