import { api, f } from "../schema.js";

export const CreateTopics = api({
  key: 19,
  name: "CreateTopics",
  versions: "2-7",
  flexible: "5+",
  request: [
    f.array("topics", "0+", [
      f.string("name", "0+"),
      f.int32("numPartitions", "0+"),
      f.int16("replicationFactor", "0+"),
      f.array("assignments", "0+", [f.int32("partitionIndex", "0+"), f.arrayOf("brokerIds", "int32", "0+")]),
      f.array("configs", "0+", [f.string("name", "0+"), f.string("value", "0+", { nullable: "0+" })]),
    ]),
    f.int32("timeoutMs", "0+", { default: 60000 }),
    f.bool("validateOnly", "1+", { default: false }),
  ],
  response: [
    f.int32("throttleTimeMs", "2+"),
    f.array("topics", "0+", [
      f.string("name", "0+"),
      f.uuid("topicId", "7+"),
      f.int16("errorCode", "0+"),
      f.string("errorMessage", "1+", { nullable: "0+" }),
      f.int16("topicConfigErrorCode", "5+", { tag: 0 }),
      f.int32("numPartitions", "5+", { default: -1 }),
      f.int16("replicationFactor", "5+", { default: -1 }),
      f.array(
        "configs",
        "5+",
        [
          f.string("name", "5+"),
          f.string("value", "5+", { nullable: "5+" }),
          f.bool("readOnly", "5+"),
          f.int8("configSource", "5+", { default: -1 }),
          f.bool("isSensitive", "5+"),
        ],
        { nullable: "5+" },
      ),
    ]),
  ],
});
