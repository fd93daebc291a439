/**
 * FindCoordinator (10). A single node coordinates everything: group keys (type 0) and transactional
 * ids (type 1) are answered with this broker. For groups, `__consumer_offsets` is created on first
 * use, as Kafka's auto-creation does — but Brook creates it before answering, so the first lookup
 * succeeds instead of returning COORDINATOR_NOT_AVAILABLE. Share-group keys (type 2) are not served
 * (INVALID_REQUEST, Kafka's answer without a share coordinator). v4+ batches keys.
 */
import { ErrorCode } from "../../protocol/error-codes.js";
import { FindCoordinator } from "../../protocol/messages/find-coordinator.js";
import type { GroupCoordinator } from "../../coordinator/group-coordinator.js";
import type { TransactionCoordinator } from "../../coordinator/transactions/transaction-coordinator.js";
import type { Broker } from "../broker.js";
import type { Connection } from "../network/connection.js";
import { defineHandler } from "../router.js";

const GROUP = 0;
const TRANSACTION = 1;
const MIN_BATCHED_VERSION = 4;

async function coordinatorFor(broker: Broker, keyType: number): Promise<number> {
  if (keyType === GROUP) return broker.component<GroupCoordinator>("groups").ensureReady();
  if (keyType === TRANSACTION) return broker.component<TransactionCoordinator>("transactions").ensureReady();
  return ErrorCode.INVALID_REQUEST;
}

function node(broker: Broker, conn: Connection, ok: boolean) {
  return ok
    ? { nodeId: broker.nodeId, host: broker.advertisedHost(conn), port: broker.port }
    : { nodeId: -1, host: "", port: -1 };
}

export const findCoordinatorHandler = defineHandler(FindCoordinator, async (ctx, req) => {
  const { broker, conn, version } = ctx;
  if (version < MIN_BATCHED_VERSION) {
    const errorCode = await coordinatorFor(broker, req.keyType);
    return {
      throttleTimeMs: 0,
      errorCode,
      // Kafka puts the error's name in the message, "NONE" on success.
      errorMessage: errorCode === ErrorCode.NONE ? "NONE" : errorMessageOf(errorCode),
      ...node(broker, conn, errorCode === ErrorCode.NONE),
    };
  }
  const coordinators = await Promise.all(
    req.coordinatorKeys.map(async (key) => {
      const errorCode = await coordinatorFor(broker, req.keyType);
      // v4+: an empty message on success, as Kafka.
      const errorMessage = errorCode === ErrorCode.NONE ? "" : errorMessageOf(errorCode);
      return { key, errorCode, errorMessage, ...node(broker, conn, errorCode === ErrorCode.NONE) };
    }),
  );
  return { throttleTimeMs: 0, coordinators };
});

function errorMessageOf(code: number): string {
  switch (code) {
    case ErrorCode.COORDINATOR_NOT_AVAILABLE:
      return "The coordinator is not available.";
    case ErrorCode.INVALID_REQUEST:
      return "Unsupported coordinator key type.";
    default:
      return `error ${code}`;
  }
}
