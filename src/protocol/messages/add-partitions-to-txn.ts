import { api, f } from "../schema.js";

const addPartitionsToTxnPartitionResult = [
  f.int32("partitionIndex", "0+"),
  f.int16("partitionErrorCode", "0+"),
] as const;

const addPartitionsToTxnTopicResult = [
  f.string("name", "0+"),
  f.array("resultsByPartition", "0+", addPartitionsToTxnPartitionResult),
] as const;

const addPartitionsToTxnTopic = [f.string("name", "0+"), f.arrayOf("partitions", "int32", "0+")] as const;

export const AddPartitionsToTxn = api({
  key: 24,
  name: "AddPartitionsToTxn",
  versions: "0-5",
  flexible: "3+",
  request: [
    f.array("transactions", "4+", [
      f.string("transactionalId", "4+"),
      f.int64("producerId", "4+"),
      f.int16("producerEpoch", "4+"),
      f.bool("verifyOnly", "4+", { default: false }),
      f.array("topics", "4+", addPartitionsToTxnTopic),
    ]),
    f.string("v3AndBelowTransactionalId", "0-3"),
    f.int64("v3AndBelowProducerId", "0-3"),
    f.int16("v3AndBelowProducerEpoch", "0-3"),
    f.array("v3AndBelowTopics", "0-3", addPartitionsToTxnTopic),
  ],
  response: [
    f.int32("throttleTimeMs", "0+"),
    f.int16("errorCode", "4+"),
    f.array("resultsByTransaction", "4+", [
      f.string("transactionalId", "4+"),
      f.array("topicResults", "4+", addPartitionsToTxnTopicResult),
    ]),
    f.array("resultsByTopicV3AndBelow", "0-3", addPartitionsToTxnTopicResult),
  ],
});
