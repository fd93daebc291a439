/**
 * OffsetForLeaderEpoch (23). A single node that never changes leader has one epoch, 0, starting at
 * offset 0: asking for epoch 0 gives the log end offset; a later epoch is unknown (-1/-1).
 */
import { ErrorCode } from "../../protocol/error-codes.js";
import { OffsetForLeaderEpoch } from "../../protocol/messages/offset-for-leader-epoch.js";
import { defineHandler } from "../router.js";
import { LEADER_EPOCH, leaderEpochError } from "./common.js";

export const offsetForLeaderEpochHandler = defineHandler(OffsetForLeaderEpoch, (ctx, req) => {
  const { broker } = ctx;
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((p) => {
        const log = broker.topic(t.topic) ? broker.partitionLog(t.topic, p.partition) : undefined;
        if (!log)
          return {
            errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            partition: p.partition,
            leaderEpoch: -1,
            endOffset: -1n,
          };
        const epochError = leaderEpochError(p.currentLeaderEpoch);
        if (epochError !== ErrorCode.NONE)
          return { errorCode: epochError, partition: p.partition, leaderEpoch: -1, endOffset: -1n };
        if (p.leaderEpoch > LEADER_EPOCH || p.leaderEpoch < 0) {
          return { errorCode: ErrorCode.NONE, partition: p.partition, leaderEpoch: -1, endOffset: -1n };
        }
        return {
          errorCode: ErrorCode.NONE,
          partition: p.partition,
          leaderEpoch: LEADER_EPOCH,
          endOffset: log.logEndOffset,
        };
      }),
    })),
  };
});
