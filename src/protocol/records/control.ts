/**
 * Control records (protocol-notes d): a control batch has the control attribute and carries records
 * whose key is (int16 version, int16 type) and whose value depends on the type. Transaction
 * markers (types 0 ABORT and 1 COMMIT) are control batches that are also transactional, carry the
 * transaction's producer id and epoch, base sequence -1, no compression and exactly one record whose
 * value is (int16 version 0, int32 coordinator epoch). Types 2-6 are KRaft-internal; any other type
 * is unknown and, as in Kafka, ignored by readers.
 */
import { ProtocolError } from "../errors.js";
import { isControl, isTransactional } from "./batch-header.js";
import type { DecodedBatch } from "./record-batch.js";
import { encodeRecordBatchSync } from "./record-batch.js";
import type { DecodedRecord } from "./record.js";

export const ControlType = {
  ABORT: 0,
  COMMIT: 1,
  LEADER_CHANGE: 2,
  SNAPSHOT_HEADER: 3,
  SNAPSHOT_FOOTER: 4,
  KRAFT_VERSION: 5,
  KRAFT_VOTERS: 6,
} as const;

const CONTROL_KEY_VERSION = 0;
const END_TXN_MARKER_VERSION = 0;
const END_TXN_MARKER_VALUE_SIZE = 6;

export interface EndTxnMarker {
  producerId: bigint;
  producerEpoch: number;
  coordinatorEpoch: number;
  /** COMMIT when true, ABORT when false. */
  commit: boolean;
  baseOffset?: bigint;
  /** Default: now. */
  timestamp?: bigint | number;
  partitionLeaderEpoch?: number;
}

/** The 4-byte key of a control record: version 0 and the type. */
export function encodeControlKey(type: number): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(CONTROL_KEY_VERSION, 0);
  key.writeInt16BE(type, 2);
  return key;
}

/** The 6-byte value of a transaction marker: version 0 and the coordinator epoch. */
export function encodeEndTxnMarkerValue(coordinatorEpoch: number): Buffer {
  const value = Buffer.alloc(END_TXN_MARKER_VALUE_SIZE);
  value.writeInt16BE(END_TXN_MARKER_VERSION, 0);
  value.writeInt32BE(coordinatorEpoch, 2);
  return value;
}

/** A whole transaction marker batch (control + transactional, base sequence -1, uncompressed, one record). */
export function encodeEndTxnMarker(m: EndTxnMarker): Buffer {
  return encodeRecordBatchSync({
    records: [
      {
        key: encodeControlKey(m.commit ? ControlType.COMMIT : ControlType.ABORT),
        value: encodeEndTxnMarkerValue(m.coordinatorEpoch),
        timestamp: m.timestamp ?? Date.now(),
      },
    ],
    baseOffset: m.baseOffset ?? 0n,
    partitionLeaderEpoch: m.partitionLeaderEpoch ?? -1,
    producerId: m.producerId,
    producerEpoch: m.producerEpoch,
    baseSequence: -1,
    isTransactional: true,
    isControl: true,
  });
}

/**
 * Reads a control record: its type and, for ABORT/COMMIT markers, the coordinator epoch (null for
 * other types). As in Kafka, a key shorter than 4 bytes, a negative version, or a marker value
 * shorter than 6 bytes is invalid; newer versions are read by their version-0 fields.
 */
export function decodeControlRecord(r: Pick<DecodedRecord, "key" | "value">): {
  type: number;
  coordinatorEpoch: number | null;
} {
  if (!r.key || r.key.length < 4)
    throw new ProtocolError("invalid-batch", "control record key is missing or shorter than 4 bytes");
  const version = r.key.readInt16BE(0);
  if (version < 0) throw new ProtocolError("invalid-batch", `control record key version ${version}`);
  const type = r.key.readInt16BE(2);
  if (type !== ControlType.ABORT && type !== ControlType.COMMIT) return { type, coordinatorEpoch: null };
  if (!r.value || r.value.length < END_TXN_MARKER_VALUE_SIZE)
    throw new ProtocolError("invalid-batch", "transaction marker value is missing or shorter than 6 bytes");
  const valueVersion = r.value.readInt16BE(0);
  if (valueVersion < 0)
    throw new ProtocolError("invalid-batch", `transaction marker value version ${valueVersion}`);
  return { type, coordinatorEpoch: r.value.readInt32BE(2) };
}

/** The transaction marker a decoded batch holds, or null when it is not a marker batch. */
export function decodeEndTxnMarker(batch: DecodedBatch): {
  commit: boolean;
  coordinatorEpoch: number;
  producerId: bigint;
  producerEpoch: number;
} | null {
  const a = batch.header.attributes;
  if (!isControl(a) || !isTransactional(a) || batch.records.length === 0) return null;
  const c = decodeControlRecord(batch.records[0]!);
  if (c.coordinatorEpoch === null) return null;
  return {
    commit: c.type === ControlType.COMMIT,
    coordinatorEpoch: c.coordinatorEpoch,
    producerId: batch.header.producerId,
    producerEpoch: batch.header.producerEpoch,
  };
}
