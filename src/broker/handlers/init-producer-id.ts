/** InitProducerId (22): a producer id for idempotent producers, or a transactional id's id and epoch. */
import { ErrorCode } from "../../protocol/error-codes.js";
import { InitProducerId } from "../../protocol/messages/init-producer-id.js";
import { defineHandler } from "../router.js";
import { fencedFor, transactions, txnErrorOf } from "./txn-support.js";

export const initProducerIdHandler = defineHandler(InitProducerId, async (ctx, req) => {
  try {
    const r = await transactions(ctx.broker).initProducerId(req);
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      producerId: r.producerId,
      producerEpoch: r.producerEpoch,
    };
  } catch (e) {
    return {
      throttleTimeMs: 0,
      errorCode: fencedFor(txnErrorOf(ctx.broker, e), ctx.version, 4),
      producerId: -1n,
      producerEpoch: -1,
    };
  }
});
