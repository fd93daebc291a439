/**
 * Test support for storage: a small record batch v2 builder and decoder (independent of src/, so
 * the tests check the engine against a second implementation), temp dirs, and log helpers.
 */
import { crc32c } from "@node-rs/crc32";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";

export interface TestRecord {
  key?: Buffer | string | null;
  value?: Buffer | string | null;
  /** Absolute timestamp (ms); defaults to the batch's base timestamp. */
  timestamp?: number;
  headers?: [string, Buffer | string | null][];
}

export interface TestBatchOptions {
  records: TestRecord[];
  baseOffset?: bigint;
  baseTimestamp?: number;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  control?: boolean;
  /** 0 none, 1 gzip. */
  compression?: 0 | 1;
  logAppendTime?: boolean;
  partitionLeaderEpoch?: number;
}

function zigzag(n: bigint): bigint {
  return n >= 0n ? n << 1n : (-n << 1n) - 1n;
}

function varint(n: number | bigint): Buffer {
  let z = zigzag(BigInt(n));
  const out: number[] = [];
  while (z >= 0x80n) {
    out.push(Number(z & 0x7fn) | 0x80);
    z >>= 7n;
  }
  out.push(Number(z));
  return Buffer.from(out);
}

function bytesField(v: Buffer | string | null | undefined): Buffer {
  if (v === null || v === undefined) return varint(-1);
  const b = typeof v === "string" ? Buffer.from(v) : v;
  return Buffer.concat([varint(b.length), b]);
}

export function encodeRecord(r: TestRecord, offsetDelta: number, timestampDelta: number): Buffer {
  const headers = r.headers ?? [];
  const body = Buffer.concat([
    Buffer.from([0]),
    varint(timestampDelta),
    varint(offsetDelta),
    bytesField(r.key),
    bytesField(r.value),
    varint(headers.length),
    ...headers.flatMap(([k, v]) => [bytesField(k), bytesField(v)]),
  ]);
  return Buffer.concat([varint(body.length), body]);
}

/** A v2 record batch as a producer would send it (base offset 0 unless given). */
export function buildBatch(o: TestBatchOptions): Buffer {
  const baseTs = o.baseTimestamp ?? o.records[0]?.timestamp ?? 1_700_000_000_000;
  let maxTs = -1;
  const recs = o.records.map((r, i) => {
    const ts = r.timestamp ?? baseTs;
    if (ts > maxTs) maxTs = ts;
    return encodeRecord(r, i, ts - baseTs);
  });
  let body = Buffer.concat(recs);
  const compression = o.compression ?? 0;
  if (compression === 1) body = gzipSync(body);
  const h = Buffer.alloc(61);
  h.writeBigInt64BE(o.baseOffset ?? 0n, 0);
  h.writeInt32BE(61 - 12 + body.length, 8);
  h.writeInt32BE(o.partitionLeaderEpoch ?? -1, 12);
  h.writeInt8(2, 16);
  let attrs = compression;
  if (o.logAppendTime) attrs |= 0x08;
  if (o.transactional) attrs |= 0x10;
  if (o.control) attrs |= 0x20;
  h.writeInt16BE(attrs, 21);
  h.writeInt32BE(o.records.length - 1, 23);
  h.writeBigInt64BE(BigInt(o.records.length ? baseTs : -1), 27);
  h.writeBigInt64BE(BigInt(maxTs), 35);
  h.writeBigInt64BE(o.producerId ?? -1n, 43);
  h.writeInt16BE(o.producerEpoch ?? -1, 51);
  h.writeInt32BE(o.baseSequence ?? -1, 53);
  h.writeInt32BE(o.records.length, 57);
  const batch = Buffer.concat([h, body]);
  batch.writeUInt32BE(crc32c(batch.subarray(21)) >>> 0, 17);
  return batch;
}

/** Recomputes the CRC after a test edits a covered field. */
export function fixCrc(batch: Buffer, at = 0): void {
  const size = batch.readInt32BE(at + 8) + 12;
  batch.writeUInt32BE(crc32c(batch.subarray(at + 21, at + size)) >>> 0, at + 17);
}

/** A transaction marker (control batch, one record: key version 0 + type, value version 0 + coordinator epoch). */
export function markerBatch(
  producerId: bigint,
  producerEpoch: number,
  commit: boolean,
  timestamp = 1_700_000_000_000,
): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(commit ? 1 : 0, 2);
  const value = Buffer.alloc(6);
  value.writeInt16BE(0, 0);
  value.writeInt32BE(0, 2);
  return buildBatch({
    records: [{ key, value, timestamp }],
    producerId,
    producerEpoch,
    transactional: true,
    control: true,
  });
}

/** A batch of `n` records whose values are `size` bytes each. */
export function sizedBatch(n: number, size: number, ts = 1_700_000_000_000, keyPrefix = "k"): Buffer {
  const value = Buffer.alloc(size, 0x61);
  const records: TestRecord[] = [];
  for (let i = 0; i < n; i++) records.push({ key: `${keyPrefix}${i}`, value, timestamp: ts });
  return buildBatch({ records });
}

export interface DecodedRecord {
  offset: bigint;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: [string, Buffer | null][];
}

export interface DecodedBatch {
  baseOffset: bigint;
  lastOffset: bigint;
  size: number;
  attributes: number;
  partitionLeaderEpoch: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  crcOk: boolean;
  records: DecodedRecord[];
}

class Rd {
  constructor(
    private b: Buffer,
    public p: number,
  ) {}
  varlong(): bigint {
    let shift = 0n;
    let r = 0n;
    for (;;) {
      const x = this.b[this.p++];
      if (x === undefined) throw new Error("varint past end");
      r |= BigInt(x & 0x7f) << shift;
      if ((x & 0x80) === 0) break;
      shift += 7n;
    }
    return (r >> 1n) ^ -(r & 1n);
  }
  num(): number {
    return Number(this.varlong());
  }
  bytes(): Buffer | null {
    const n = this.num();
    if (n < 0) return null;
    const out = this.b.subarray(this.p, this.p + n);
    this.p += n;
    return Buffer.from(out);
  }
}

/** Decodes every batch in `buf` (whole batches only), checking CRCs. */
export function decodeBatches(buf: Buffer): DecodedBatch[] {
  const out: DecodedBatch[] = [];
  let pos = 0;
  while (pos + 61 <= buf.length) {
    const size = buf.readInt32BE(pos + 8) + 12;
    if (pos + size > buf.length) break;
    const b = buf.subarray(pos, pos + size);
    const attributes = b.readInt16BE(21);
    const baseOffset = b.readBigInt64BE(0);
    const baseTimestamp = b.readBigInt64BE(27);
    const count = b.readInt32BE(57);
    let body = b.subarray(61);
    if ((attributes & 7) === 1) body = gunzipSync(body);
    const rd = new Rd(body, 0);
    const records: DecodedRecord[] = [];
    for (let i = 0; i < count; i++) {
      const len = rd.num();
      const end = rd.p + len;
      rd.p++; // attributes
      const tsDelta = rd.varlong();
      const offDelta = rd.varlong();
      const key = rd.bytes();
      const value = rd.bytes();
      const hn = rd.num();
      const headers: [string, Buffer | null][] = [];
      for (let j = 0; j < hn; j++) {
        const k = rd.bytes();
        headers.push([k ? k.toString() : "", rd.bytes()]);
      }
      rd.p = end;
      records.push({
        offset: baseOffset + offDelta,
        timestamp: (attributes & 0x08) !== 0 ? b.readBigInt64BE(35) : baseTimestamp + tsDelta,
        key,
        value,
        headers,
      });
    }
    out.push({
      baseOffset,
      lastOffset: baseOffset + BigInt(b.readInt32BE(23)),
      size,
      attributes,
      partitionLeaderEpoch: b.readInt32BE(12),
      baseTimestamp,
      maxTimestamp: b.readBigInt64BE(35),
      producerId: b.readBigInt64BE(43),
      producerEpoch: b.readInt16BE(51),
      baseSequence: b.readInt32BE(53),
      crcOk: b.readUInt32BE(17) === crc32c(b.subarray(21)) >>> 0,
      records,
    });
    pos += size;
  }
  return out;
}

export function tmpDir(prefix = "brook-storage-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Reads the whole visible log from `from` by repeated reads, decoding every batch. */
export async function readAll(
  log: {
    read(o: bigint, m: number, opts?: { maxOffset?: bigint }): Promise<{ records: Buffer[] }>;
    logEndOffset: bigint;
    logStartOffset: bigint;
  },
  from?: bigint,
  maxBytes = 64 * 1024,
  maxOffset?: bigint,
): Promise<DecodedBatch[]> {
  const out: DecodedBatch[] = [];
  let offset = from ?? log.logStartOffset;
  const end = maxOffset ?? log.logEndOffset;
  while (offset < end) {
    const r = await log.read(offset, maxBytes, maxOffset !== undefined ? { maxOffset } : {});
    const batches = r.records.flatMap((b) => decodeBatches(b));
    if (batches.length === 0) break;
    out.push(...batches);
    offset = batches[batches.length - 1]!.lastOffset + 1n;
  }
  return out;
}

/** A logger that keeps what it is given, for assertions on what recovery reported. */
export function memoryLogger(): {
  info(o: unknown, m?: string): void;
  warn(o: unknown, m?: string): void;
  lines: { level: string; obj: unknown; msg?: string }[];
} {
  const lines: { level: string; obj: unknown; msg?: string }[] = [];
  return {
    lines,
    info: (obj, msg) => lines.push({ level: "info", obj, ...(msg !== undefined ? { msg } : {}) }),
    warn: (obj, msg) => lines.push({ level: "warn", obj, ...(msg !== undefined ? { msg } : {}) }),
  };
}
