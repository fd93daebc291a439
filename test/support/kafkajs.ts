/**
 * Helpers for cross-checking Brook's codec against KafkaJS 2.2.4's own encoders and decoders
 * (test/protocol/kafkajs-crosscheck.test.ts). KafkaJS is only called here, never copied: its request
 * modules build the bytes a real KafkaJS client sends, its response modules read what Brook sends.
 *
 * Also: a deliberately minimal record-batch reader, written from the format description
 * (protocol-notes section d) and independent of Brook's codec, to check the opaque `records` bytes
 * that Brook carries through Produce requests; and a value matcher for the few places where a
 * literal expected value cannot be written (record payloads, KafkaJS error objects).
 */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { gunzipSync } from "node:zlib";
import { crc32c } from "@node-rs/crc32";
import { type Field, inRange } from "../../src/protocol/schema.js";

const require = createRequire(import.meta.url);

/** A KafkaJS request as returned by `requests/<api>/v<N>/request.js`. */
export interface KafkajsRequest {
  apiKey: number;
  apiVersion: number;
  apiName: string;
  encode(): Promise<{ buffer: Buffer }>;
}

export interface KafkajsResponse {
  decode(payload: Buffer): Promise<any>;
  parse(data: any): Promise<any>;
}

const REQUESTS = "kafkajs/src/protocol/requests";

/** KafkaJS's request builder for one API folder (e.g. "produce") and version. */
export function kafkajsRequest(folder: string, version: number): (params: any) => KafkajsRequest {
  return require(`${REQUESTS}/${folder}/v${version}/request.js`);
}

/**
 * KafkaJS's response module. DeleteRecords' module is a factory of the request params (its parse
 * reports the requested offsets), so `params` is passed through when the export is a function.
 */
export function kafkajsResponse(folder: string, version: number, params: unknown): KafkajsResponse {
  const mod = require(`${REQUESTS}/${folder}/v${version}/response.js`);
  return typeof mod === "function" ? mod(params) : mod;
}

/** The versions KafkaJS's `requests/<api>/index.js` implements. */
export function kafkajsVersions(folder: string): number[] {
  const index: { versions: string[] } = require(`${REQUESTS}/${folder}/index.js`);
  return index.versions.map(Number);
}

const createRequest: (o: {
  correlationId: number;
  clientId: string | null;
  request: KafkajsRequest;
}) => Promise<{ buffer: Buffer }> = require("kafkajs/src/protocol/request.js");

/** A whole request frame (int32 size, header v1, payload) exactly as KafkaJS's connection writes it. */
export async function kafkajsRequestFrame(
  request: KafkajsRequest,
  correlationId: number,
  clientId: string | null,
): Promise<Buffer> {
  return (await createRequest({ correlationId, clientId, request })).buffer;
}

const KafkajsDecoder: new (
  b: Buffer,
) => {
  readInt32(): number;
  readBytes(n: number): Buffer;
  readAll(): Buffer;
  canReadBytes(n: number): boolean;
} = require("kafkajs/src/protocol/decoder.js");

/**
 * Splits a response frame the way KafkaJS's connection does (src/network/connection.js, processData):
 * read the int32 size, take that many bytes, read the int32 correlation id, and hand the rest (the
 * "payload") to the response module's `decode`. For flexible versions the payload therefore still
 * starts with the response header's tagged-field section, which KafkaJS's decoders skip themselves.
 */
export function kafkajsResponsePayload(frame: Buffer): {
  size: number;
  correlationId: number;
  payload: Buffer;
} {
  const outer = new KafkajsDecoder(frame);
  const size = outer.readInt32();
  assert.ok(outer.canReadBytes(size), "response frame shorter than its size prefix");
  const inner = new KafkajsDecoder(outer.readBytes(size));
  const correlationId = inner.readInt32();
  return { size, correlationId, payload: inner.readAll() };
}

/**
 * Runs a KafkaJS response `decode` and reports how far it read into `payload`. KafkaJS never checks
 * for bytes left over, so without this a field Brook wrongly appends at the end of a response would
 * go unnoticed. Every Decoder method is wrapped for the duration of the call and the furthest offset
 * reached by a decoder over `payload` itself is kept (record batches read through slices of it have
 * their own buffers and are not counted).
 */
export async function decodeTracked<T>(
  payload: Buffer,
  decode: (b: Buffer) => Promise<T>,
): Promise<{ decoded: T; consumed: number }> {
  const proto = KafkajsDecoder.prototype as unknown as Record<string, unknown>;
  const originals = new Map<string, (...a: unknown[]) => unknown>();
  let consumed = 0;
  for (const name of Object.getOwnPropertyNames(proto)) {
    const orig = proto[name];
    if (name === "constructor" || typeof orig !== "function") continue;
    originals.set(name, orig as (...a: unknown[]) => unknown);
    proto[name] = function (this: { buffer: Buffer; offset: number }, ...args: unknown[]) {
      const result = (orig as (...a: unknown[]) => unknown).apply(this, args);
      if (this.buffer === payload) consumed = Math.max(consumed, Math.min(this.offset, payload.length));
      return result;
    };
  }
  try {
    const decoded = await decode(payload);
    return { decoded, consumed };
  } finally {
    for (const [name, orig] of originals) proto[name] = orig;
  }
}

const KafkajsRecordBatch: {
  RecordBatch(o: any): Promise<{ buffer: Buffer }>;
} = require("kafkajs/src/protocol/recordBatch/v0/index.js");
const KafkajsRecord: (o: any) => unknown = require("kafkajs/src/protocol/recordBatch/record/v0/index.js");

export interface FixtureMessage {
  key: string | Buffer | null;
  value: string | Buffer | null;
  headers?: Record<string, string | Buffer>;
  timestampDelta: number;
}

/** A record batch v2 built by KafkaJS's own batch encoder (used as Fetch response payload). */
export async function kafkajsBatch(o: {
  baseOffset: string;
  firstTimestamp: number;
  messages: FixtureMessage[];
  producerId?: string;
  producerEpoch?: number;
  firstSequence?: number;
  transactional?: boolean;
}): Promise<Buffer> {
  const records = o.messages.map((m, i) =>
    KafkajsRecord({
      key: m.key,
      value: m.value,
      headers: m.headers ?? {},
      offsetDelta: i,
      timestampDelta: m.timestampDelta,
    }),
  );
  const maxDelta = Math.max(0, ...o.messages.map((m) => m.timestampDelta));
  const batch = await KafkajsRecordBatch.RecordBatch({
    firstOffset: o.baseOffset,
    firstTimestamp: o.firstTimestamp,
    maxTimestamp: o.firstTimestamp + maxDelta,
    lastOffsetDelta: records.length - 1,
    records,
    ...(o.producerId !== undefined ? { producerId: o.producerId } : {}),
    ...(o.producerEpoch !== undefined ? { producerEpoch: o.producerEpoch } : {}),
    ...(o.firstSequence !== undefined ? { firstSequence: o.firstSequence } : {}),
    transactional: o.transactional ?? false,
  });
  return batch.buffer;
}

// ---------------------------------------------------------------------------------------------
// Minimal record batch v2 reader (independent of Brook's codec and of KafkaJS's decoder)

export interface MinimalRecord {
  timestampDelta: bigint;
  offsetDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<{ key: string; value: Buffer | null }>;
}

export interface MinimalBatch {
  baseOffset: bigint;
  partitionLeaderEpoch: number;
  magic: number;
  crcValid: boolean;
  attributes: number;
  lastOffsetDelta: number;
  firstTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  records: MinimalRecord[];
}

class Cursor {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  varlong(): bigint {
    let raw = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.buf[this.pos++]!;
      raw |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) break;
      shift += 7n;
      assert.ok(shift < 70n, "varint too long");
    }
    return (raw >> 1n) ^ -(raw & 1n);
  }
  varint(): number {
    return Number(this.varlong());
  }
  bytes(): Buffer | null {
    const n = this.varint();
    if (n < 0) return null;
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

/** Reads every batch in `buf` (a Produce `records` payload), decompressing gzip (codec 1) records. */
export function readBatchesMinimal(buf: Buffer): MinimalBatch[] {
  const batches: MinimalBatch[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const batchLength = buf.readInt32BE(pos + 8);
    const batch = buf.subarray(pos, pos + 12 + batchLength);
    assert.equal(batch.length, 12 + batchLength, "batch runs past the records payload");
    const attributes = batch.readInt16BE(21);
    const count = batch.readInt32BE(57);
    const codec = attributes & 0x07;
    assert.ok(codec === 0 || codec === 1, `unexpected compression codec ${codec}`);
    const body = codec === 1 ? gunzipSync(batch.subarray(61)) : batch.subarray(61);
    const c = new Cursor(body);
    const records: MinimalRecord[] = [];
    for (let i = 0; i < count; i++) {
      const length = c.varint();
      const end = c.pos + length;
      c.pos += 1; // record attributes (unused)
      const timestampDelta = c.varlong();
      const offsetDelta = c.varint();
      const key = c.bytes();
      const value = c.bytes();
      const headers: MinimalRecord["headers"] = [];
      const nh = c.varint();
      for (let h = 0; h < nh; h++) {
        const hk = c.bytes();
        headers.push({ key: hk!.toString("utf8"), value: c.bytes() });
      }
      assert.equal(c.pos, end, `record ${i} length field disagrees with its content`);
      records.push({ timestampDelta, offsetDelta, key, value, headers });
    }
    assert.equal(c.pos, body.length, "bytes left after the last record of a batch");
    batches.push({
      baseOffset: batch.readBigInt64BE(0),
      partitionLeaderEpoch: batch.readInt32BE(12),
      magic: batch.readInt8(16),
      crcValid: crc32c(batch.subarray(21)) === batch.readUInt32BE(17),
      attributes,
      lastOffsetDelta: batch.readInt32BE(23),
      firstTimestamp: batch.readBigInt64BE(27),
      maxTimestamp: batch.readBigInt64BE(35),
      producerId: batch.readBigInt64BE(43),
      producerEpoch: batch.readInt16BE(51),
      baseSequence: batch.readInt32BE(53),
      records,
    });
    pos += batch.length;
  }
  return batches;
}

// ---------------------------------------------------------------------------------------------
// Comparison helpers

/** An expected value that cannot be written literally: `check` asserts on the actual value. */
export class Matcher {
  constructor(
    readonly description: string,
    readonly check: (actual: unknown) => void,
  ) {}
}

export function matching(description: string, check: (actual: any) => void): Matcher {
  return new Matcher(description, check);
}

/**
 * Runs every Matcher in `expected` against the value at the same place in `actual`, and returns
 * `expected` with each matcher replaced by that actual value, ready for one deepStrictEqual (which
 * then reports every other difference with a full diff).
 */
export function resolveMatchers(actual: unknown, expected: unknown, path = "$"): unknown {
  if (expected instanceof Matcher) {
    try {
      expected.check(actual);
    } catch (e) {
      throw new Error(`${path} (${expected.description}): ${(e as Error).message}`, { cause: e });
    }
    return actual;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return expected;
    return expected.map((x, i) => resolveMatchers(actual[i], x, `${path}[${i}]`));
  }
  if (expected && typeof expected === "object" && !Buffer.isBuffer(expected)) {
    if (!actual || typeof actual !== "object") return expected;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(expected)) {
      out[k] = resolveMatchers((actual as Record<string, unknown>)[k], x, `${path}.${k}`);
    }
    return out;
  }
  return expected;
}

/**
 * Keeps only the fields of a decoded Brook struct that exist in `version` (recursively), so a test
 * states every field the version carries and nothing it does not.
 */
export function presentFields(fields: readonly Field[], version: number, value: any): any {
  const out: Record<string, unknown> = {};
  for (const fd of fields) {
    if (!inRange(fd.versions, version)) continue;
    const x = value[fd.name];
    if (fd.fields && x !== null && x !== undefined) {
      out[fd.name] =
        fd.kind === "array"
          ? (x as unknown[]).map((e) => presentFields(fd.fields!, version, e))
          : presentFields(fd.fields, version, x);
    } else {
      out[fd.name] = x;
    }
  }
  return out;
}

/** int32 length prefix + bytes, the framing KafkaJS's SASL code keeps around auth bytes. */
export function int32Framed(b: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeInt32BE(b.length);
  return Buffer.concat([len, b]);
}
