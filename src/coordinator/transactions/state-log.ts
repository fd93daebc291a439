/**
 * Records of `__transaction_state`, in Kafka's layout (TransactionLogKey / TransactionLogValue,
 * version 0): key = int16 version, string transactional id; value = int16 version, int64 producer
 * id, int16 producer epoch, int32 timeout ms, int8 state, nullable array of (string topic, array of
 * int32 partitions), int64 last update ms, int64 start ms. A null value is a tombstone.
 */
import { Reader } from "../../protocol/primitives/reader.js";
import { Writer } from "../../protocol/primitives/writer.js";

export const TxnState = {
  Empty: 0,
  Ongoing: 1,
  PrepareCommit: 2,
  PrepareAbort: 3,
  CompleteCommit: 4,
  CompleteAbort: 5,
  Dead: 6,
  PrepareEpochFence: 7,
} as const;
export type TxnStateCode = (typeof TxnState)[keyof typeof TxnState];

export const TXN_STATE_NAMES = [
  "Empty",
  "Ongoing",
  "PrepareCommit",
  "PrepareAbort",
  "CompleteCommit",
  "CompleteAbort",
  "Dead",
  "PrepareEpochFence",
] as const;

export interface TxnLogValue {
  producerId: bigint;
  producerEpoch: number;
  timeoutMs: number;
  state: TxnStateCode;
  partitions: Array<{ topic: string; partitions: number[] }>;
  lastUpdateMs: bigint;
  startMs: bigint;
}

export function encodeTxnKey(transactionalId: string): Buffer {
  const w = new Writer();
  w.int16(0);
  w.string(transactionalId);
  return w.toBuffer();
}

export function decodeTxnKey(buf: Buffer): string {
  const r = new Reader(buf);
  const version = r.int16();
  if (version !== 0) throw new Error(`unknown transaction log key version ${version}`);
  return r.string();
}

export function encodeTxnValue(v: TxnLogValue): Buffer {
  const w = new Writer();
  w.int16(0);
  w.int64(v.producerId);
  w.int16(v.producerEpoch);
  w.int32(v.timeoutMs);
  w.int8(v.state);
  w.int32(v.partitions.length);
  for (const t of v.partitions) {
    w.string(t.topic);
    w.int32(t.partitions.length);
    for (const p of t.partitions) w.int32(p);
  }
  w.int64(v.lastUpdateMs);
  w.int64(v.startMs);
  return w.toBuffer();
}

export function decodeTxnValue(buf: Buffer): TxnLogValue {
  const r = new Reader(buf);
  const version = r.int16();
  if (version < 0 || version > 1) throw new Error(`unknown transaction log value version ${version}`);
  const producerId = r.int64();
  const producerEpoch = r.int16();
  const timeoutMs = r.int32();
  const state = r.int8() as TxnStateCode;
  const n = r.int32();
  const partitions: TxnLogValue["partitions"] = [];
  for (let i = 0; i < n; i++) {
    const topic = r.string();
    const m = r.int32();
    const ps: number[] = [];
    for (let j = 0; j < m; j++) ps.push(r.int32());
    partitions.push({ topic, partitions: ps });
  }
  return {
    producerId,
    producerEpoch,
    timeoutMs,
    state,
    partitions,
    lastUpdateMs: r.int64(),
    startMs: r.int64(),
  };
}
