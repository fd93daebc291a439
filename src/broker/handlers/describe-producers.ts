/**
 * DescribeProducers (61): the active idempotent/transactional producers of each partition, from
 * its producer state (the last sequence and timestamp of each producer's last batch, the
 * coordinator epoch of its last marker, the first offset of its open transaction).
 */
import { ErrorCode } from "../../protocol/error-codes.js";
import { DescribeProducers } from "../../protocol/messages/describe-producers.js";
import { defineHandler } from "../router.js";

export const describeProducersHandler = defineHandler(DescribeProducers, (ctx, req) => {
  const { broker } = ctx;
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((partitionIndex) => {
        const log = broker.topic(t.name) ? broker.partitionLog(t.name, partitionIndex) : undefined;
        if (!log) {
          return {
            partitionIndex,
            errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            // Kafka explains an unknown topic (not an unknown partition of a known one).
            errorMessage: broker.topic(t.name) ? null : "This server does not host this topic-partition.",
            activeProducers: [],
          };
        }
        const activeProducers = [...log.producers.producers.values()].map((e) => {
          const last = e.batches[e.batches.length - 1];
          return {
            producerId: e.producerId,
            producerEpoch: e.epoch,
            lastSequence: last ? last.lastSeq : -1,
            lastTimestamp: last ? last.timestamp : -1n,
            coordinatorEpoch: e.coordinatorEpoch,
            currentTxnStartOffset: e.currentTxnFirstOffset,
          };
        });
        return { partitionIndex, errorCode: ErrorCode.NONE, errorMessage: null, activeProducers };
      }),
    })),
  };
});
