import { api, f } from "../schema.js";

export const DeleteTopics = api({
  key: 20,
  name: "DeleteTopics",
  versions: "1-6",
  flexible: "4+",
  request: [
    f.array("topics", "6+", [
      f.string("name", "6+", { nullable: "6+", default: null }),
      f.uuid("topicId", "6+"),
    ]),
    f.arrayOf("topicNames", "string", "0-5"),
    f.int32("timeoutMs", "0+"),
  ],
  response: [
    f.int32("throttleTimeMs", "1+"),
    f.array("responses", "0+", [
      f.string("name", "0+", { nullable: "6+" }),
      f.uuid("topicId", "6+"),
      f.int16("errorCode", "0+"),
      f.string("errorMessage", "5+", { nullable: "5+", default: null }),
    ]),
  ],
});
