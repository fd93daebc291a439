/** Shared by the transaction handlers: the coordinator, and Kafka's error mapping for old versions. */
import { ErrorCode } from "../../protocol/error-codes.js";
import type { TransactionCoordinator } from "../../coordinator/transactions/transaction-coordinator.js";
import type { Broker } from "../broker.js";

export function transactions(broker: Broker): TransactionCoordinator {
  return broker.component<TransactionCoordinator>("transactions");
}

/** The error code of a coordinator failure (UNKNOWN_SERVER_ERROR for anything unexpected, logged). */
export function txnErrorOf(broker: Broker, e: unknown): number {
  const code = (e as { errorCode?: number }).errorCode;
  if (typeof code === "number") return code;
  broker.logger.error({ err: e }, "transaction coordinator failure");
  return ErrorCode.UNKNOWN_SERVER_ERROR;
}

/** PRODUCER_FENCED (KIP-588) is answered as INVALID_PRODUCER_EPOCH to versions before it. */
export function fencedFor(code: number, version: number, firstVersionKnowingFenced: number): number {
  return code === ErrorCode.PRODUCER_FENCED && version < firstVersionKnowingFenced
    ? ErrorCode.INVALID_PRODUCER_EPOCH
    : code;
}
