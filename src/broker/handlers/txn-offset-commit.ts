/**
 * TxnOffsetCommit (28): offsets written in the producer's transaction, pending until its marker
 * reaches the group's offsets partition. The producer must own the transactional id at its current
 * epoch and have added the group (AddOffsetsToTxn).
 */
import { ErrorCode } from "../../protocol/error-codes.js";
import { TxnOffsetCommit } from "../../protocol/messages/txn-offset-commit.js";
import type { GroupCoordinator } from "../../coordinator/group-coordinator.js";
import { defineHandler } from "../router.js";
import { transactions } from "./txn-support.js";

export const txnOffsetCommitHandler = defineHandler(TxnOffsetCommit, async (ctx, req) => {
  const all = (code: number) =>
    req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code })),
    }));
  let code = transactions(ctx.broker).verifyOffsetCommit(
    req.transactionalId,
    req.producerId,
    req.producerEpoch,
    req.groupId,
  );
  // KafkaJS and other clients before KIP-588 do not know PRODUCER_FENCED.
  if (code === ErrorCode.PRODUCER_FENCED) code = ErrorCode.INVALID_PRODUCER_EPOCH;
  if (code !== ErrorCode.NONE) return { throttleTimeMs: 0, topics: all(code) };
  const topics = await ctx.broker.component<GroupCoordinator>("groups").commitTransactionalOffsets({
    groupId: req.groupId,
    producerId: req.producerId,
    producerEpoch: req.producerEpoch,
    generationId: req.generationId,
    memberId: req.memberId,
    groupInstanceId: req.groupInstanceId,
    topics: req.topics,
  });
  return { throttleTimeMs: 0, topics };
});
