/** The four codecs: round trips, the framings other implementations write, and bounded, typed failure on bad input. */
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { describe, it } from "node:test";
import { compressFrameSync } from "lz4-napi";
import { compressSync as snappyRaw } from "snappy";
import {
  CompressionCodec,
  compress,
  decompress,
  initCompression,
} from "../../src/protocol/compression/index.js";
import { zstdDeclaredSize } from "../../src/protocol/compression/zstd.js";
import { ProtocolError } from "../../src/protocol/errors.js";
import { makeRng } from "../support/samples.js";

const rnd = makeRng(7);
const jsonish = (n: number): Buffer =>
  Buffer.from(
    Array.from(
      { length: Math.ceil(n / 60) },
      (_, i) => `{"id":${i},"user":"u-${i % 97}","amount":${(i * 3.7).toFixed(2)}}`,
    )
      .join("\n")
      .slice(0, n),
  );
const random = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(rnd() * 256)));
const inputs: Array<[string, Buffer]> = [
  ["empty", Buffer.alloc(0)],
  ["small", Buffer.from("hello, brook")],
  ["json 100 KiB", jsonish(100 * 1024)],
  ["json 3 MiB (multi-block)", jsonish(3 << 20)],
  ["incompressible 200 KiB", random(200 * 1024)],
];
const codecs = [CompressionCodec.Gzip, CompressionCodec.Snappy, CompressionCodec.Lz4, CompressionCodec.Zstd];

/** A zstd frame of raw blocks without Frame_Content_Size, as a streaming encoder writes it (RFC 8878). */
function zstdStreamingFrame(data: Buffer): Buffer {
  const parts: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.from([0x00, 0x38])]; // FHD: no FCS; window 128 KiB
  const BLOCK = 128 * 1024;
  for (let at = 0; at < data.length || at === 0; at += BLOCK) {
    const chunk = data.subarray(at, Math.min(at + BLOCK, data.length));
    const last = at + BLOCK >= data.length ? 1 : 0;
    const h = (chunk.length << 3) | (0 << 1) | last; // raw block
    parts.push(Buffer.from([h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff]), chunk);
    if (last) break;
  }
  return Buffer.concat(parts);
}

describe("compression codecs", () => {
  for (const codec of codecs) {
    it(`${CompressionCodec[codec]} round-trips empty, small, multi-block and incompressible data`, async () => {
      for (const [name, data] of inputs) {
        const c = await compress(codec, data);
        assert.ok(Buffer.isBuffer(c));
        assert.ok((await decompress(codec, c)).equals(data), `${CompressionCodec[codec]} ${name}`);
      }
    });
  }

  it("snappy writes xerial framing and reads both xerial framing and a bare raw block", async () => {
    const data = jsonish(100 * 1024);
    const framed = await compress(CompressionCodec.Snappy, data);
    assert.deepEqual([...framed.subarray(0, 8)], [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
    assert.equal(framed.readInt32BE(8), 1);
    assert.equal(framed.readInt32BE(12), 1);
    // snappy-java's 32 KiB input blocks, each length-prefixed.
    let at = 16;
    let blocks = 0;
    while (at < framed.length) {
      at += 4 + framed.readInt32BE(at);
      blocks++;
    }
    assert.equal(blocks, Math.ceil(data.length / 32768));
    assert.ok((await decompress(CompressionCodec.Snappy, snappyRaw(data))).equals(data));
  });

  it("lz4 reads frames from lz4-napi's encoder and writes version-01 frames of independent blocks", async () => {
    const data = jsonish(300 * 1024);
    assert.ok((await decompress(CompressionCodec.Lz4, compressFrameSync(data))).equals(data));
    const mine = await compress(CompressionCodec.Lz4, data);
    assert.equal(mine.readUInt32LE(0), 0x184d2204);
    const flg = mine[4]!;
    const bd = mine[5]!;
    assert.equal(flg >> 6, 1, "frame version 01");
    assert.equal((flg >> 5) & 1, 1, "independent blocks");
    // lz4-napi writes 256 KiB blocks (BD 5) where the Java client writes 64 KiB (BD 4); readers accept 4-7.
    assert.ok([4, 5, 6, 7].includes((bd >> 4) & 7), "block size descriptor");
  });

  it("zstd reads frames that do not state their content size, larger than the first output guess", async () => {
    const data = jsonish(3 << 20);
    const frame = zstdStreamingFrame(data);
    assert.equal(zstdDeclaredSize(frame), -1);
    assert.ok((await decompress(CompressionCodec.Zstd, frame)).equals(data));
  });

  it("refuses unknown codecs, corrupt data and outputs over the bound with ProtocolError", async () => {
    await initCompression();
    for (const codec of [5, 6, 7]) {
      await assert.rejects(
        compress(codec, Buffer.from("x")),
        (e) => e instanceof ProtocolError && e.kind === "bad-compression",
      );
      await assert.rejects(decompress(codec, Buffer.from("x")), (e) => e instanceof ProtocolError);
    }
    for (const codec of codecs) {
      await assert.rejects(
        decompress(codec, random(64)),
        (e) => e instanceof ProtocolError && e.kind === "bad-compression",
        CompressionCodec[codec],
      );
    }
    const big = Buffer.alloc(4 << 20);
    await assert.rejects(
      decompress(CompressionCodec.Gzip, gzipSync(big), 1 << 20),
      (e) => e instanceof ProtocolError,
    );
    await assert.rejects(
      decompress(CompressionCodec.Zstd, zstdStreamingFrame(big), 1 << 20),
      (e) => e instanceof ProtocolError,
    );
    // A zstd header claiming 2^40 bytes is refused before anything is allocated.
    const liar = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xe0, 0, 0, 0, 0, 0, 1, 0, 0, 0x01, 0, 0]);
    assert.equal(zstdDeclaredSize(liar), 2 ** 40);
    await assert.rejects(decompress(CompressionCodec.Zstd, liar), (e) => e instanceof ProtocolError);
  });
});
