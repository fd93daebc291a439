/**
 * AddPartitionsToTxn (24). v0-3: one transactional id (clients); v4+: batched, and `verifyOnly`
 * asks whether partitions are already in the transaction (KIP-890), answered with the coordinator's
 * codes (PRODUCER_FENCED, TRANSACTION_ABORTABLE, ...; Produce translates them for producers).
 * Unknown partitions get UNKNOWN_TOPIC_OR_PARTITION and the others OPERATION_NOT_ATTEMPTED, as Kafka
 * answers.
 */
import { ErrorCode } from "../../protocol/error-codes.js";
import { AddPartitionsToTxn } from "../../protocol/messages/add-partitions-to-txn.js";
import type { Broker } from "../broker.js";
import { defineHandler } from "../router.js";
import { fencedFor, transactions, txnErrorOf } from "./txn-support.js";

type Topics = Array<{ name: string; partitions: number[] }>;

async function addOne(
  broker: Broker,
  version: number,
  id: string,
  producerId: bigint,
  producerEpoch: number,
  topics: Topics,
  verifyOnly: boolean,
) {
  const txn = transactions(broker);
  const list = topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })));
  const unknown = txn.unknownPartitions(list);
  const each = (code: (topic: string, p: number) => number) =>
    topics.map((t) => ({
      name: t.name,
      resultsByPartition: t.partitions.map((p) => ({
        partitionIndex: p,
        partitionErrorCode: code(t.name, p),
      })),
    }));
  const key = (t: string, p: number) => `${t}\u0000${p}`;
  if (unknown.size > 0) {
    return each((t, p) =>
      unknown.has(key(t, p)) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.OPERATION_NOT_ATTEMPTED,
    );
  }
  if (verifyOnly) {
    return each((t, p) => txn.checkPartition(id, producerId, producerEpoch, t, p));
  }
  try {
    await txn.addPartitions(id, producerId, producerEpoch, list);
    return each(() => ErrorCode.NONE);
  } catch (e) {
    const code = fencedFor(txnErrorOf(broker, e), version, 2);
    return each(() => code);
  }
}

export const addPartitionsToTxnHandler = defineHandler(AddPartitionsToTxn, async (ctx, req) => {
  const { broker, version } = ctx;
  if (version <= 3) {
    const resultsByTopicV3AndBelow = await addOne(
      broker,
      version,
      req.v3AndBelowTransactionalId,
      req.v3AndBelowProducerId,
      req.v3AndBelowProducerEpoch,
      req.v3AndBelowTopics,
      false,
    );
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      resultsByTransaction: [],
      resultsByTopicV3AndBelow,
    };
  }
  const resultsByTransaction = await Promise.all(
    req.transactions.map(async (t) => ({
      transactionalId: t.transactionalId,
      topicResults: await addOne(
        broker,
        version,
        t.transactionalId,
        t.producerId,
        t.producerEpoch,
        t.topics,
        t.verifyOnly,
      ),
    })),
  );
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction, resultsByTopicV3AndBelow: [] };
});
