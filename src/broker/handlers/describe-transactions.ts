/** DescribeTransactions (65): the coordinator's state of each transactional id. */
import { ErrorCode } from "../../protocol/error-codes.js";
import { DescribeTransactions } from "../../protocol/messages/describe-transactions.js";
import { TXN_STATE_NAMES } from "../../coordinator/transactions/state-log.js";
import { defineHandler } from "../router.js";
import { transactions } from "./txn-support.js";

export const describeTransactionsHandler = defineHandler(DescribeTransactions, (ctx, req) => {
  const txn = transactions(ctx.broker);
  return {
    throttleTimeMs: 0,
    transactionStates: req.transactionalIds.map((id) => {
      const m = txn.describe(id);
      if (!m) {
        return {
          errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND,
          transactionalId: id,
          transactionState: "",
          // Kafka leaves the numbers at 0 for an unknown transactional id.
          transactionTimeoutMs: 0,
          transactionStartTimeMs: 0n,
          producerId: 0n,
          producerEpoch: 0,
          topics: [],
        };
      }
      const byTopic = new Map<string, number[]>();
      for (const k of m.partitions) {
        const i = k.lastIndexOf("\u0000");
        const t = k.slice(0, i);
        if (!byTopic.has(t)) byTopic.set(t, []);
        byTopic.get(t)!.push(Number(k.slice(i + 1)));
      }
      return {
        errorCode: ErrorCode.NONE,
        transactionalId: id,
        transactionState: TXN_STATE_NAMES[m.state],
        transactionTimeoutMs: m.timeoutMs,
        transactionStartTimeMs: BigInt(m.startMs),
        producerId: m.producerId,
        producerEpoch: m.producerEpoch,
        topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
      };
    }),
  };
});
