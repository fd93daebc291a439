/**
 * Malformed input for the message codec: truncations, random mutations and forged lengths, for every
 * API at its lowest, first flexible and highest version. Decoding may succeed or throw ProtocolError;
 * any other exception (RangeError from Buffer, TypeError, out-of-memory) is a codec bug, and so is a
 * decode whose time or memory grows with a length the input merely claims.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { compileStruct } from "../../src/protocol/codec.js";
import { ProtocolError, type ProtocolErrorKind } from "../../src/protocol/errors.js";
import {
  decodeBody,
  decodeRequest,
  decodeResponse,
  encodeBody,
  encodeRequest,
  encodeResponse,
  isFlexible,
} from "../../src/protocol/frame.js";
import {
  API_LIST,
  type AnyApi,
  apiByKey,
  Fetch,
  Metadata,
  Produce,
} from "../../src/protocol/messages/index.js";
import { Reader } from "../../src/protocol/primitives/reader.js";
import { makeRng, sample } from "../support/samples.js";

type Side = "request" | "response";

interface Case {
  api: AnyApi;
  version: number;
  side: Side;
  body: Buffer;
  /** The whole frame without its size prefix: header + body. */
  frame: Buffer;
  label: string;
}

function versionsOf(api: AnyApi): number[] {
  const vs = new Set([api.minVersion, api.maxVersion]);
  if (api.flexibleFrom > api.minVersion && api.flexibleFrom <= api.maxVersion) vs.add(api.flexibleFrom);
  return [...vs].sort((a, b) => a - b);
}

function buildCases(variant: "full" | "sparse"): Case[] {
  const out: Case[] = [];
  for (const api of API_LIST) {
    const rnd = makeRng(api.key * 104729 + (variant === "full" ? 1 : 2));
    for (const version of versionsOf(api)) {
      for (const side of ["request", "response"] as const) {
        const value = sample(api[side], version, variant, rnd);
        const body = encodeBody(api, version, side, value);
        const frame = (
          side === "request"
            ? encodeRequest(api, version, 12345, "malformed-test", value)
            : encodeResponse(api, version, 12345, value)
        ).subarray(4);
        out.push({ api, version, side, body, frame, label: `${api.name} v${version} ${side} (${variant})` });
      }
    }
  }
  return out;
}

const FULL = buildCases("full");
const SPARSE = buildCases("sparse");

function decodeCaseBody(c: Case, buf: Buffer): unknown {
  return decodeBody(c.api, c.version, c.side, buf);
}

function decodeCaseFrame(c: Case, frame: Buffer): unknown {
  return c.side === "request" ? decodeRequest(frame, apiByKey) : decodeResponse(c.api, c.version, frame);
}

/** Collects non-ProtocolError exceptions (and slow decodes) instead of stopping at the first. */
class Findings {
  readonly bugs: string[] = [];
  maxMs = 0;
  runs = 0;

  /** Runs `fn`; returns "ok" or the ProtocolError kind. Anything else is recorded as a bug. */
  run(label: string, fn: () => unknown): "ok" | ProtocolErrorKind | "bug" {
    this.runs++;
    const t0 = performance.now();
    try {
      fn();
      return "ok";
    } catch (e) {
      if (e instanceof ProtocolError) return e.kind;
      this.bugs.push(`${label}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      return "bug";
    } finally {
      const ms = performance.now() - t0;
      if (ms > this.maxMs) this.maxMs = ms;
    }
  }

  /**
   * `maxMs` only guards against hangs and size-proportional work (a forged 2^31 count would take
   * seconds or exhaust memory); it is deliberately loose so machine load cannot fail the test.
   * Decode speed is measured in bench/, not asserted here.
   */
  assertClean(maxMs = 3000): void {
    assert.ok(this.runs > 0, "ran at least one decode");
    assert.deepEqual(this.bugs.slice(0, 5), [], `${this.bugs.length} non-ProtocolError exceptions`);
    assert.ok(this.maxMs < maxMs, `slowest decode took ${this.maxMs.toFixed(1)} ms`);
  }
}

describe("the cases are valid to begin with", () => {
  it("every sampled body and frame decodes", () => {
    const versions = FULL.filter((c) => c.side === "request").length;
    assert.ok(versions >= API_LIST.length * 2, `${versions} (api, version) pairs`);
    for (const c of [...FULL, ...SPARSE]) {
      decodeCaseBody(c, c.body);
      decodeCaseFrame(c, c.frame);
    }
  });
});

describe("(a) truncation at every length", () => {
  it("every proper prefix of a body throws ProtocolError", (t) => {
    const f = new Findings();
    const succeeded: string[] = [];
    for (const c of [...FULL, ...SPARSE]) {
      for (let n = 0; n < c.body.length; n++) {
        // A copy, so the decoder cannot see bytes past the cut through a shared backing buffer.
        const cut = Buffer.from(c.body.subarray(0, n));
        if (f.run(`${c.label} cut at ${n}`, () => decodeCaseBody(c, cut)) === "ok") {
          succeeded.push(`${c.label} cut at ${n}`);
        }
      }
    }
    f.assertClean();
    t.diagnostic(`${f.runs} truncated bodies`);
    // Decoding is deterministic, so a prefix can never hold a complete message.
    assert.deepEqual(succeeded.slice(0, 5), []);
  });

  it("every proper prefix of a frame (header included) throws ProtocolError", (t) => {
    const f = new Findings();
    let ok = 0;
    for (const c of FULL) {
      for (let n = 0; n < c.frame.length; n++) {
        if (f.run(`${c.label} frame cut at ${n}`, () => decodeCaseFrame(c, c.frame.subarray(0, n))) === "ok")
          ok++;
      }
    }
    f.assertClean();
    t.diagnostic(`${f.runs} truncated frames`);
    // Frame decoders do not insist that every byte is consumed, but a prefix still lacks the last field.
    assert.equal(ok, 0);
  });
});

describe("(b) random byte mutations", () => {
  const mutation = fc.oneof(
    fc.record({ op: fc.constant("set" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ op: fc.constant("flip" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ op: fc.constant("insert" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ op: fc.constant("delete" as const), at: fc.nat(), byte: fc.constant(0) }),
  );
  type Mutation = { op: "set" | "flip" | "insert" | "delete"; at: number; byte: number };

  function mutate(buf: Buffer, muts: Mutation[]): Buffer {
    let b = Buffer.from(buf);
    for (const m of muts) {
      if (b.length === 0) break;
      const at = m.at % b.length;
      if (m.op === "set") b[at] = m.byte;
      else if (m.op === "flip") b[at]! ^= 1 << m.byte;
      else if (m.op === "insert")
        b = Buffer.concat([b.subarray(0, at), Buffer.from([m.byte]), b.subarray(at)]);
      else b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
    }
    return b;
  }

  for (const side of ["request", "response"] as const) {
    it(`mutated ${side} bodies and frames decode or throw ProtocolError`, (t) => {
      const f = new Findings();
      const cases = FULL.filter((c) => c.side === side);
      cases.forEach((c, i) => {
        fc.assert(
          fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (muts) => {
            const body = mutate(c.body, muts);
            f.run(`${c.label} body ${JSON.stringify(muts)}`, () => decodeCaseBody(c, body));
            const frame = mutate(c.frame, muts);
            f.run(`${c.label} frame ${JSON.stringify(muts)}`, () => decodeCaseFrame(c, frame));
          }),
          { numRuns: 40, seed: 7000 + i },
        );
      });
      f.assertClean();
      t.diagnostic(`${f.runs} mutated decodes`);
    });
  }
});

// ---- (c) forged lengths

type Mark = { pos: number; kind: "int32" | "int16" | "uvarint"; size: number };

/** A Reader that records where every length (and every uvarint) sits in the input. */
class TracingReader extends Reader {
  readonly marks: Mark[] = [];
  private at(kind: Mark["kind"], size: number): void {
    this.marks.push({ pos: this.pos, kind, size });
  }
  override uvarint(): number {
    const pos = this.pos;
    const v = super.uvarint();
    this.marks.push({ pos, kind: "uvarint", size: this.pos - pos });
    return v;
  }
  override arrayLength(): number {
    this.at("int32", 4);
    return super.arrayLength();
  }
  override bytes(): Buffer {
    this.at("int32", 4);
    return super.bytes();
  }
  override nullableBytes(): Buffer | null {
    this.at("int32", 4);
    return super.nullableBytes();
  }
  override string(): string {
    this.at("int16", 2);
    return super.string();
  }
  override nullableString(): string | null {
    this.at("int16", 2);
    return super.nullableString();
  }
}

function marksOf(c: Case): Mark[] {
  const r = new TracingReader(c.body);
  compileStruct(c.api[c.side], c.version, isFlexible(c.api, c.version)).decode(r);
  assert.equal(r.remaining, 0);
  return r.marks;
}

function uvarintBytes(v: number): Buffer {
  const out: number[] = [];
  let x = v >>> 0;
  while (x >= 0x80) {
    out.push((x & 0x7f) | 0x80);
    x >>>= 7;
  }
  out.push(x);
  return Buffer.from(out);
}

const INT32_FORGES = [0x7fffffff, 0x7ffffffe, 0x10000000, 65536, -2, -0x80000000];
const INT16_FORGES = [0x7fff, 0x7ffe, -2, -0x8000];
const UVARINT_FORGES = [
  uvarintBytes(0xffffffff),
  uvarintBytes(0xfffffffe),
  uvarintBytes(0x80000000),
  uvarintBytes(0x7fffffff),
  uvarintBytes(0x10000000),
  uvarintBytes(65536),
  Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), // longer than 5 bytes
  Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80]), // continuation bit on the last allowed byte
];

/**
 * Copies of `body` with the length at `m` forged. For int16/int32 lengths the decoder reaches the
 * forged field exactly as before, so the error it must raise is known: "negative-length" below -1,
 * "length-past-end" for more than the bytes left. A uvarint may also be a tag number or tag count,
 * where large values can be legal, so those only have to decode or throw ProtocolError.
 */
function forgeries(body: Buffer, m: Mark): Array<{ buf: Buffer; expect?: ProtocolErrorKind }> {
  const out: Array<{ buf: Buffer; expect?: ProtocolErrorKind }> = [];
  const kindFor = (v: number): ProtocolErrorKind => (v < 0 ? "negative-length" : "length-past-end");
  if (m.kind === "int32") {
    for (const v of [...INT32_FORGES, body.length - m.pos]) {
      const buf = Buffer.from(body);
      buf.writeInt32BE(v | 0, m.pos);
      out.push({ buf, expect: kindFor(v) });
    }
  } else if (m.kind === "int16") {
    for (const v of INT16_FORGES) {
      const buf = Buffer.from(body);
      buf.writeInt16BE(v, m.pos);
      out.push({ buf, expect: kindFor(v) });
    }
  } else {
    for (const bytes of UVARINT_FORGES) {
      out.push({ buf: Buffer.concat([body.subarray(0, m.pos), bytes, body.subarray(m.pos + m.size)]) });
    }
  }
  return out;
}

describe("(c) forged lengths and counts", () => {
  it("every length field of every case, set to huge or negative values, decodes or throws ProtocolError", (t) => {
    const f = new Findings();
    const kinds = new Map<string, number>();
    const wrong: string[] = [];
    let marks = 0;
    for (const c of FULL) {
      for (const m of marksOf(c)) {
        marks++;
        for (const { buf, expect } of forgeries(c.body, m)) {
          const label = `${c.label} ${m.kind} at ${m.pos}`;
          const k = f.run(label, () => decodeCaseBody(c, buf));
          kinds.set(k, (kinds.get(k) ?? 0) + 1);
          if (expect !== undefined && k !== expect && k !== "bug")
            wrong.push(`${label}: ${k}, want ${expect}`);
        }
      }
    }
    f.assertClean();
    assert.deepEqual(
      wrong.slice(0, 5),
      [],
      `${wrong.length} forged int16/int32 lengths not rejected as expected`,
    );
    assert.ok(marks > 1000, `${marks} length fields traced`);
    t.diagnostic(`${marks} length fields, ${f.runs} forged decodes`);
    // The forgeries must actually exercise the checks, not just decode fine.
    for (const k of ["negative-length", "length-past-end", "bad-varint", "truncated"]) {
      assert.ok((kinds.get(k) ?? 0) > 0, `some forgeries rejected as ${k}: ${[...kinds]}`);
    }
  });

  /** Measures a decode that must fail: elapsed ms and growth of memory held by the process. */
  function measure(fn: () => unknown): { error: unknown; ms: number; grewBytes: number } {
    global.gc?.();
    const before = process.memoryUsage();
    const t0 = performance.now();
    let error: unknown;
    try {
      fn();
    } catch (e) {
      error = e;
    }
    const ms = performance.now() - t0;
    const after = process.memoryUsage();
    const grew = after.heapUsed - before.heapUsed + (after.arrayBuffers - before.arrayBuffers);
    return { error, ms, grewBytes: grew };
  }

  function frameWithBody(key: number, version: number, flexible: boolean, body: Buffer): Buffer {
    const head = Buffer.alloc(10);
    head.writeInt16BE(key, 0);
    head.writeInt16BE(version, 2);
    head.writeInt32BE(1, 4);
    head.writeInt16BE(-1, 8); // null client id
    return Buffer.concat([head, flexible ? Buffer.from([0]) : Buffer.alloc(0), body]);
  }

  it("an int32 array count of 2^31-1 is rejected at once, without allocating", () => {
    // Metadata v4 request: topics array (nullable), then allowAutoTopicCreation. Claim 2^31-1 topics
    // followed by a megabyte of zeros: still far short of what the claim needs.
    const body = Buffer.concat([Buffer.from([0x7f, 0xff, 0xff, 0xff]), Buffer.alloc(1 << 20)]);
    const frame = frameWithBody(Metadata.key, 4, false, body);
    const { error, ms, grewBytes } = measure(() => decodeRequest(frame, apiByKey));
    assert.ok(error instanceof ProtocolError, String(error));
    assert.equal(error.kind, "length-past-end");
    assert.ok(ms < 2000, `took ${ms} ms`);
    assert.ok(grewBytes < 8 << 20, `memory grew by ${grewBytes} bytes`);
  });

  it("a compact array count of 2^32-2 is rejected at once, without allocating", () => {
    const body = Buffer.concat([uvarintBytes(0xffffffff), Buffer.alloc(1 << 20)]);
    const frame = frameWithBody(Metadata.key, Metadata.maxVersion, true, body);
    const { error, ms, grewBytes } = measure(() => decodeRequest(frame, apiByKey));
    assert.ok(error instanceof ProtocolError, String(error));
    assert.equal(error.kind, "length-past-end");
    assert.ok(ms < 2000, `took ${ms} ms`);
    assert.ok(grewBytes < 8 << 20, `memory grew by ${grewBytes} bytes`);
  });

  it("huge and negative string, bytes and records lengths are rejected", () => {
    // Produce v3 request: transactionalId (nullable string), acks, timeout, topics[name, partitions[index, records]].
    const w = (parts: Array<[string, number]>) =>
      Buffer.concat(
        parts.map(([t, v]) => {
          const b = Buffer.alloc(t === "i16" ? 2 : 4);
          if (t === "i16") b.writeInt16BE(v);
          else b.writeInt32BE(v);
          return b;
        }),
      );
    const prefix = (idLen: number) => w([["i16", idLen]]);
    for (const [len, kind] of [
      [0x7fff, "length-past-end"],
      [-2, "negative-length"],
      [-0x8000, "negative-length"],
    ] as const) {
      const frame = frameWithBody(Produce.key, 3, false, Buffer.concat([prefix(len), Buffer.alloc(64)]));
      assert.throws(
        () => decodeRequest(frame, apiByKey),
        (e: unknown) => e instanceof ProtocolError && e.kind === kind,
        `transactionalId length ${len}`,
      );
    }
    // Valid up to the records field, whose int32 length is then forged.
    const topic = Buffer.from("t");
    for (const [len, kind] of [
      [0x7fffffff, "length-past-end"],
      [-2, "negative-length"],
      [-0x80000000, "negative-length"],
    ] as const) {
      const body = Buffer.concat([
        w([
          ["i16", -1],
          ["i16", 1],
          ["i32", 1000],
          ["i32", 1],
          ["i16", 1],
        ]),
        topic,
        w([
          ["i32", 1],
          ["i32", 0],
          ["i32", len],
        ]),
        Buffer.alloc(32),
      ]);
      const { error, ms } = measure(() =>
        decodeRequest(frameWithBody(Produce.key, 3, false, body), apiByKey),
      );
      assert.ok(
        error instanceof ProtocolError && error.kind === kind,
        `records length ${len}: ${String(error)}`,
      );
      assert.ok(ms < 2000);
    }
  });
});

describe("request headers naming unknown APIs or unsupported versions", () => {
  function header(key: number, version: number): Buffer {
    const b = Buffer.alloc(10 + 4);
    b.writeInt16BE(key, 0);
    b.writeInt16BE(version, 2);
    b.writeInt32BE(99, 4);
    b.writeInt16BE(2, 8);
    b.write("id", 10);
    return b;
  }

  it("unknown api keys fail with kind unknown-api", () => {
    for (const key of [4, 5, 6, 7, 56, 100, -1, 32767, -32768]) {
      assert.equal(apiByKey(key), undefined, `key ${key} is not served`);
      assert.throws(
        () => decodeRequest(header(key, 0), apiByKey),
        (e: unknown) => e instanceof ProtocolError && e.kind === "unknown-api",
        `key ${key}`,
      );
    }
  });

  it("known keys at unsupported versions fail with kind unsupported-version", () => {
    const cases: Array<[AnyApi, number]> = [
      [Produce, 2],
      [Produce, 12],
      [Produce, -1],
      [Fetch, 3],
      [Fetch, Fetch.maxVersion + 1],
      [Metadata, 32767],
    ];
    for (const [api, version] of cases) {
      assert.throws(
        () => decodeRequest(header(api.key, version), apiByKey),
        (e: unknown) => e instanceof ProtocolError && e.kind === "unsupported-version",
        `${api.name} v${version}`,
      );
    }
  });

  it("every declared API answers both checks before reading the body", () => {
    for (const api of API_LIST) {
      for (const v of [api.minVersion - 1, api.maxVersion + 1]) {
        assert.throws(
          () => decodeRequest(header(api.key, v), apiByKey),
          (e: unknown) => e instanceof ProtocolError && e.kind === "unsupported-version",
          `${api.name} v${v}`,
        );
      }
    }
  });
});
