import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FrameReader, FrameSizeError } from "../../src/protocol/frame-reader.js";

function framed(...bodies: string[]): Buffer {
  return Buffer.concat(
    bodies.map((b) => {
      const head = Buffer.alloc(4);
      head.writeInt32BE(Buffer.byteLength(b));
      return Buffer.concat([head, Buffer.from(b)]);
    }),
  );
}

function drain(r: FrameReader): string[] {
  const out: string[] = [];
  for (let f = r.next(); f !== null; f = r.next()) out.push(f.toString());
  return out;
}

describe("FrameReader", () => {
  it("returns frames split at every possible byte, in order", () => {
    const bytes = framed("first", "", "the third frame");
    for (let cut = 0; cut <= bytes.length; cut++) {
      const r = new FrameReader(0, 100);
      r.push(bytes.subarray(0, cut));
      const got = drain(r);
      r.push(bytes.subarray(cut));
      got.push(...drain(r));
      assert.deepEqual(got, ["first", "", "the third frame"], `cut at ${cut}`);
      assert.equal(r.buffered, 0);
    }
  });

  it("reads a stream fed one byte at a time and counts what waits", () => {
    const bytes = framed("abc", "defgh");
    const r = new FrameReader(0, 100);
    const got: string[] = [];
    const waiting: number[] = [];
    for (const b of bytes) {
      r.push(Buffer.from([b]));
      got.push(...drain(r));
      waiting.push(r.buffered);
    }
    assert.deepEqual(got, ["abc", "defgh"]);
    assert.deepEqual(waiting.slice(0, 7), [1, 2, 3, 4, 5, 6, 0]);
  });

  it("throws FrameSizeError for a size prefix outside its bounds", () => {
    const negative = new FrameReader(0, 100);
    negative.push(Buffer.from([0xff, 0xff, 0xff, 0xfe]));
    assert.throws(
      () => negative.next(),
      (e) => e instanceof FrameSizeError && e.size === -2,
    );
    const large = new FrameReader(4, 100);
    large.push(framed("x".repeat(101)));
    assert.throws(
      () => large.next(),
      (e) => e instanceof FrameSizeError && e.size === 101,
    );
    const small = new FrameReader(4, 100);
    small.push(framed("abc"));
    assert.throws(
      () => small.next(),
      (e) => e instanceof FrameSizeError && e.size === 3,
    );
  });

  it("readFrames() hands frames over until told to stop, and reports a bad size prefix", () => {
    const r = new FrameReader(0, 10);
    r.push(framed("a", "b", "c"));
    const got: string[] = [];
    r.readFrames(
      (f) => got.push(f.toString()) < 2,
      () => assert.fail("no bad size here"),
    );
    assert.deepEqual(got, ["a", "b"]);
    r.push(framed("x".repeat(11)));
    const bad: number[] = [];
    r.readFrames(
      (f) => got.push(f.toString()) > 0,
      (size) => bad.push(size),
    );
    assert.deepEqual(got, ["a", "b", "c"]);
    assert.deepEqual(bad, [11]);
  });

  it("clear() forgets a half-received frame", () => {
    const r = new FrameReader(0, 100);
    r.push(framed("lost").subarray(0, 6));
    assert.equal(r.next(), null);
    r.clear();
    assert.equal(r.buffered, 0);
    r.push(framed("kept"));
    assert.deepEqual(drain(r), ["kept"]);
  });
});
