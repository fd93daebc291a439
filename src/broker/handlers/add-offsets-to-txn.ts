/** AddOffsetsToTxn (25): adds the group's `__consumer_offsets` partition to the transaction. */
import { ErrorCode } from "../../protocol/error-codes.js";
import { AddOffsetsToTxn } from "../../protocol/messages/add-offsets-to-txn.js";
import { defineHandler } from "../router.js";
import { fencedFor, transactions, txnErrorOf } from "./txn-support.js";

export const addOffsetsToTxnHandler = defineHandler(AddOffsetsToTxn, async (ctx, req) => {
  try {
    await transactions(ctx.broker).addOffsets(
      req.transactionalId,
      req.producerId,
      req.producerEpoch,
      req.groupId,
    );
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE };
  } catch (e) {
    return { throttleTimeMs: 0, errorCode: fencedFor(txnErrorOf(ctx.broker, e), ctx.version, 2) };
  }
});
