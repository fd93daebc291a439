/**
 * ListTransactions (66): transactional ids, filtered by state names, producer ids and (v1) by
 * running longer than `durationFilter` ms. Unknown state names are echoed back.
 */
import { ErrorCode } from "../../protocol/error-codes.js";
import { ListTransactions } from "../../protocol/messages/list-transactions.js";
import { TXN_STATE_NAMES } from "../../coordinator/transactions/state-log.js";
import { defineHandler } from "../router.js";
import { transactions } from "./txn-support.js";

export const listTransactionsHandler = defineHandler(ListTransactions, (ctx, req) => {
  const known = new Set<string>(TXN_STATE_NAMES);
  const now = Date.now();
  const states = new Set(req.stateFilters);
  const pids = new Set(req.producerIdFilters.map(String));
  const transactionStates = [...transactions(ctx.broker).txns.values()]
    .filter((m) => states.size === 0 || states.has(TXN_STATE_NAMES[m.state]))
    .filter((m) => pids.size === 0 || pids.has(String(m.producerId)))
    .filter(
      (m) => req.durationFilter < 0n || (m.startMs >= 0 && BigInt(now - m.startMs) > req.durationFilter),
    )
    .map((m) => ({
      transactionalId: m.transactionalId,
      producerId: m.producerId,
      transactionState: TXN_STATE_NAMES[m.state],
    }));
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    unknownStateFilters: req.stateFilters.filter((s) => !known.has(s)),
    transactionStates,
  };
});
