/**
 * The 61-byte header of a record batch v2 (magic 2), read and patched in place without decoding
 * records. This is all the broker's produce path and the storage engine need: validate, assign
 * offsets, and append the same bytes.
 */
import { crc32c } from "@node-rs/crc32";
import { ProtocolError } from "../errors.js";

/** Byte offsets within a batch (protocol-notes section d). */
export const BATCH = {
  BASE_OFFSET: 0,
  LENGTH: 8,
  PARTITION_LEADER_EPOCH: 12,
  MAGIC: 16,
  CRC: 17,
  ATTRIBUTES: 21,
  LAST_OFFSET_DELTA: 23,
  BASE_TIMESTAMP: 27,
  MAX_TIMESTAMP: 35,
  PRODUCER_ID: 43,
  PRODUCER_EPOCH: 51,
  BASE_SEQUENCE: 53,
  RECORDS_COUNT: 57,
  /** Size of the header; records start here. */
  HEADER_SIZE: 61,
  /** baseOffset + batchLength: the bytes not counted by batchLength. */
  LOG_OVERHEAD: 12,
} as const;

export const ATTR = {
  COMPRESSION_MASK: 0x07,
  TIMESTAMP_TYPE: 0x08,
  TRANSACTIONAL: 0x10,
  CONTROL: 0x20,
  DELETE_HORIZON: 0x40,
} as const;

export enum TimestampType {
  CreateTime = 0,
  LogAppendTime = 1,
}

export interface BatchHeader {
  baseOffset: bigint;
  /** Bytes after the length field; the whole batch is batchLength + 12 bytes. */
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordsCount: number;
}

/** Total size in bytes of the batch starting at `pos` (from its length field), or -1 if not enough bytes to tell. */
export function batchSizeAt(buf: Buffer, pos: number): number {
  if (pos + BATCH.LOG_OVERHEAD > buf.length) return -1;
  return buf.readInt32BE(pos + BATCH.LENGTH) + BATCH.LOG_OVERHEAD;
}

/**
 * Reads a batch header at `pos`. Checks that the header is present and the magic is 2; it does not
 * check the CRC (see verifyBatchCrc) or that the whole batch is present.
 */
export function readBatchHeader(buf: Buffer, pos = 0): BatchHeader {
  if (pos + BATCH.HEADER_SIZE > buf.length) {
    throw new ProtocolError("truncated", `record batch header needs ${BATCH.HEADER_SIZE} bytes at ${pos}`);
  }
  const magic = buf.readInt8(pos + BATCH.MAGIC);
  if (magic !== 2)
    throw new ProtocolError("bad-magic", `record batch magic ${magic} is not supported (need 2)`);
  const batchLength = buf.readInt32BE(pos + BATCH.LENGTH);
  if (batchLength < BATCH.HEADER_SIZE - BATCH.LOG_OVERHEAD) {
    throw new ProtocolError("invalid-batch", `record batch length ${batchLength} is smaller than its header`);
  }
  return {
    baseOffset: buf.readBigInt64BE(pos + BATCH.BASE_OFFSET),
    batchLength,
    partitionLeaderEpoch: buf.readInt32BE(pos + BATCH.PARTITION_LEADER_EPOCH),
    magic,
    crc: buf.readUInt32BE(pos + BATCH.CRC),
    attributes: buf.readInt16BE(pos + BATCH.ATTRIBUTES),
    lastOffsetDelta: buf.readInt32BE(pos + BATCH.LAST_OFFSET_DELTA),
    baseTimestamp: buf.readBigInt64BE(pos + BATCH.BASE_TIMESTAMP),
    maxTimestamp: buf.readBigInt64BE(pos + BATCH.MAX_TIMESTAMP),
    producerId: buf.readBigInt64BE(pos + BATCH.PRODUCER_ID),
    producerEpoch: buf.readInt16BE(pos + BATCH.PRODUCER_EPOCH),
    baseSequence: buf.readInt32BE(pos + BATCH.BASE_SEQUENCE),
    recordsCount: buf.readInt32BE(pos + BATCH.RECORDS_COUNT),
  };
}

/** CRC-32C of a batch: from the attributes field to the end of the batch. */
export function computeBatchCrc(buf: Buffer, pos: number, size: number): number {
  return crc32c(buf.subarray(pos + BATCH.ATTRIBUTES, pos + size)) >>> 0;
}

/** True when the stored CRC matches the batch bytes. `size` is the whole batch (batchLength + 12). */
export function verifyBatchCrc(buf: Buffer, pos: number, size: number): boolean {
  if (pos + size > buf.length || size < BATCH.HEADER_SIZE) return false;
  return buf.readUInt32BE(pos + BATCH.CRC) === computeBatchCrc(buf, pos, size);
}

/** Rewrites the CRC after the broker changed a covered field (e.g. LogAppendTime's maxTimestamp). */
export function writeBatchCrc(buf: Buffer, pos: number, size: number): void {
  buf.writeUInt32BE(computeBatchCrc(buf, pos, size), pos + BATCH.CRC);
}

/** Base offset and leader epoch are outside the CRC, so the broker patches them without recomputing. */
export function setBaseOffset(buf: Buffer, pos: number, baseOffset: bigint): void {
  buf.writeBigInt64BE(baseOffset, pos + BATCH.BASE_OFFSET);
}

export function setPartitionLeaderEpoch(buf: Buffer, pos: number, epoch: number): void {
  buf.writeInt32BE(epoch, pos + BATCH.PARTITION_LEADER_EPOCH);
}

export function compressionOf(attributes: number): number {
  return attributes & ATTR.COMPRESSION_MASK;
}

export function isTransactional(attributes: number): boolean {
  return (attributes & ATTR.TRANSACTIONAL) !== 0;
}

export function isControl(attributes: number): boolean {
  return (attributes & ATTR.CONTROL) !== 0;
}

/** Timestamp type of a batch: bit 3 of the attributes. */
export function timestampTypeOf(attributes: number): TimestampType {
  return attributes & ATTR.TIMESTAMP_TYPE ? TimestampType.LogAppendTime : TimestampType.CreateTime;
}

/** KIP-534: whether the log cleaner stored a delete horizon in the batch's base timestamp (bit 6). */
export function hasDeleteHorizon(attributes: number): boolean {
  return (attributes & ATTR.DELETE_HORIZON) !== 0;
}

/** The delete horizon (ms) of a batch whose delete-horizon bit is set, else null. */
export function deleteHorizonMs(header: Pick<BatchHeader, "attributes" | "baseTimestamp">): bigint | null {
  return hasDeleteHorizon(header.attributes) ? header.baseTimestamp : null;
}

export interface AttributeFlags {
  /** Codec id 0-4 (CompressionCodec). */
  compression?: number;
  timestampType?: TimestampType;
  isTransactional?: boolean;
  isControl?: boolean;
  hasDeleteHorizon?: boolean;
}

/** Builds a batch's attributes (int16) from its flags. */
export function makeAttributes(f: AttributeFlags): number {
  let a = (f.compression ?? 0) & ATTR.COMPRESSION_MASK;
  if (f.timestampType === TimestampType.LogAppendTime) a |= ATTR.TIMESTAMP_TYPE;
  if (f.isTransactional) a |= ATTR.TRANSACTIONAL;
  if (f.isControl) a |= ATTR.CONTROL;
  if (f.hasDeleteHorizon) a |= ATTR.DELETE_HORIZON;
  return a;
}

/** The flags of a batch's attributes (inverse of makeAttributes). */
export function parseAttributes(attributes: number): Required<AttributeFlags> {
  return {
    compression: compressionOf(attributes),
    timestampType: timestampTypeOf(attributes),
    isTransactional: isTransactional(attributes),
    isControl: isControl(attributes),
    hasDeleteHorizon: hasDeleteHorizon(attributes),
  };
}
