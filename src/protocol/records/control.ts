/**
 * Control records: transaction markers. A marker is a batch with the control and transactional
 * attributes, the transaction's producer id and epoch, base sequence -1, no compression and one
 * record whose key is (int16 version 0, int16 type: 0 ABORT, 1 COMMIT) and whose value is
 * (int16 version 0, int32 coordinator epoch).
 */
import { ProtocolError } from "../errors.js";
import type { DecodedRecord } from "./record-batch.js";
import { encodeRecordBatchSync } from "./record-batch.js";

export const ControlType = { ABORT: 0, COMMIT: 1 } as const;

export interface EndTxnMarker {
  producerId: bigint;
  producerEpoch: number;
  coordinatorEpoch: number;
  commit: boolean;
  baseOffset?: bigint;
  timestamp?: bigint | number;
  partitionLeaderEpoch?: number;
}

export function encodeEndTxnMarker(m: EndTxnMarker): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(m.commit ? ControlType.COMMIT : ControlType.ABORT, 2);
  const value = Buffer.alloc(6);
  value.writeInt16BE(0, 0);
  value.writeInt32BE(m.coordinatorEpoch, 2);
  return encodeRecordBatchSync({
    records: [{ key, value, timestamp: m.timestamp ?? Date.now() }],
    baseOffset: m.baseOffset ?? 0n,
    partitionLeaderEpoch: m.partitionLeaderEpoch ?? -1,
    producerId: m.producerId,
    producerEpoch: m.producerEpoch,
    baseSequence: -1,
    isTransactional: true,
    isControl: true,
  });
}

/** Reads a control record: its type (ABORT/COMMIT or another, unknown type) and, for markers, the coordinator epoch. */
export function decodeControlRecord(r: Pick<DecodedRecord, "key" | "value">): {
  type: number;
  coordinatorEpoch: number | null;
} {
  if (!r.key || r.key.length < 4) throw new ProtocolError("invalid-batch", "control record key is too short");
  const type = r.key.readInt16BE(2);
  const isMarker = type === ControlType.ABORT || type === ControlType.COMMIT;
  const coordinatorEpoch = isMarker && r.value && r.value.length >= 6 ? r.value.readInt32BE(2) : null;
  return { type, coordinatorEpoch };
}
