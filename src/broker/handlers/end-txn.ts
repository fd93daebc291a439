/**
 * EndTxn (26): commit or abort. PrepareCommit/PrepareAbort is logged, the markers are written to
 * every partition of the transaction, then Complete* is logged; the answer comes after the markers
 * (Kafka answers after Prepare*: see TransactionCoordinator.endTxn for why Brook waits).
 */
import { ErrorCode } from "../../protocol/error-codes.js";
import { EndTxn } from "../../protocol/messages/end-txn.js";
import { defineHandler } from "../router.js";
import { fencedFor, transactions, txnErrorOf } from "./txn-support.js";

export const endTxnHandler = defineHandler(EndTxn, async (ctx, req) => {
  try {
    await transactions(ctx.broker).endTxn(
      req.transactionalId,
      req.producerId,
      req.producerEpoch,
      req.committed,
    );
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: -1n, producerEpoch: -1 };
  } catch (e) {
    return {
      throttleTimeMs: 0,
      errorCode: fencedFor(txnErrorOf(ctx.broker, e), ctx.version, 2),
      producerId: -1n,
      producerEpoch: -1,
    };
  }
});
