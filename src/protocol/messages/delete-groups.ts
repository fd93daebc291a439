import { api, f } from "../schema.js";

export const DeleteGroups = api({
  key: 42,
  name: "DeleteGroups",
  versions: "0-2",
  flexible: "2+",
  request: [f.arrayOf("groupsNames", "string", "0+")],
  response: [
    f.int32("throttleTimeMs", "0+"),
    f.array("results", "0+", [f.string("groupId", "0+"), f.int16("errorCode", "0+")]),
  ],
});
