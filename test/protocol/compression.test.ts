/**
 * The four codecs: round trips, the framings other implementations write and read (snappy-java's
 * xerial framing, LZ4 frames from lz4-napi and the lz4 CLI, zstd frames without a content size from
 * zstd-jni and the zstd CLI), and bounded, typed failure on bad input.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { compressFrameSync, compressSync as lz4RawPrefixed } from "lz4-napi";
import { compressSync as snappyRaw, uncompressSync as snappyRawDecode } from "snappy";
import {
  CompressionCodec,
  compress,
  compressSync,
  decompress,
  decompressSync,
  initCompression,
} from "../../src/protocol/compression/index.js";
import { lz4DecodeBlock, lz4DecompressJs } from "../../src/protocol/compression/lz4.js";
import { snappyDeclaredLength } from "../../src/protocol/compression/snappy.js";
import { xxhash32 } from "../../src/protocol/compression/xxhash32.js";
import { zstdDeclaredSize } from "../../src/protocol/compression/zstd.js";
import { ProtocolError } from "../../src/protocol/errors.js";
import { makeRng } from "../support/samples.js";

const rnd = makeRng(7);
/** `n` bytes of JSON lines: compressible like real records. */
function jsonish(n: number): Buffer {
  const lines: string[] = [];
  for (let i = 0, len = 0; len < n; i++) {
    const line = `{"id":${i},"user":"u-${i % 97}","amount":${(i * 3.7).toFixed(2)}}\n`;
    lines.push(line);
    len += line.length;
  }
  return Buffer.from(lines.join("").slice(0, n));
}
const random = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(rnd() * 256)));
const inputs: Array<[string, Buffer]> = [
  ["empty", Buffer.alloc(0)],
  ["one byte", Buffer.from("x")],
  ["small", Buffer.from("hello, brook")],
  ["json 100 KiB", jsonish(100 * 1024)],
  ["json 5 MiB (multi-block)", jsonish(5 << 20)],
  ["incompressible 300 KiB", random(300 * 1024)],
  ["zeros 2 MiB", Buffer.alloc(2 << 20)],
];
const codecs = [CompressionCodec.Gzip, CompressionCodec.Snappy, CompressionCodec.Lz4, CompressionCodec.Zstd];

const isProtocolError = (kind?: string) => (e: unknown) =>
  e instanceof ProtocolError && (kind === undefined || e.kind === kind);

function run(cmd: string, args: string[], input: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { encoding: "buffer", maxBuffer: 1 << 28 }, (e, out) =>
      e ? reject(e) : resolve(out),
    );
    child.stdin!.end(input);
  });
}

const have = (cmd: string) => new Promise<boolean>((r) => execFile(cmd, ["-V"], (e) => r(!e)));

/** LZ4 frame built here from raw blocks (lz4-napi's block API), with the options a test needs. */
function lz4Frame(
  data: Buffer,
  o: {
    bsid?: number;
    blockChecksum?: boolean;
    contentSize?: boolean;
    contentChecksum?: boolean;
    blockSize?: number;
  } = {},
): Buffer {
  const bsid = o.bsid ?? 4;
  const flg =
    0x60 | (o.blockChecksum ? 0x10 : 0) | (o.contentSize ? 0x08 : 0) | (o.contentChecksum ? 0x04 : 0);
  const desc = Buffer.alloc(o.contentSize ? 10 : 2);
  desc[0] = flg;
  desc[1] = bsid << 4;
  if (o.contentSize) desc.writeBigUInt64LE(BigInt(data.length), 2);
  const parts: Buffer[] = [
    Buffer.from([0x04, 0x22, 0x4d, 0x18]),
    desc,
    Buffer.from([(xxhash32(desc) >>> 8) & 0xff]),
  ];
  const step = o.blockSize ?? 1 << (2 * bsid + 8);
  for (let at = 0; at < data.length; at += step) {
    const block = lz4RawPrefixed(data.subarray(at, at + step)).subarray(4);
    const size = Buffer.alloc(4);
    size.writeUInt32LE(block.length, 0);
    parts.push(size, block);
    if (o.blockChecksum) {
      const c = Buffer.alloc(4);
      c.writeUInt32LE(xxhash32(block), 0);
      parts.push(c);
    }
  }
  parts.push(Buffer.alloc(4));
  if (o.contentChecksum) {
    const c = Buffer.alloc(4);
    c.writeUInt32LE(xxhash32(data), 0);
    parts.push(c);
  }
  return Buffer.concat(parts);
}

/** Walks an LZ4 frame as a strict reader (Kafka's Java Lz4BlockInputStream) would, returning its blocks. */
function lz4Blocks(frame: Buffer): Array<{ stored: boolean; size: number }> {
  let at = 7;
  const blocks: Array<{ stored: boolean; size: number }> = [];
  for (;;) {
    const word = frame.readUInt32LE(at);
    at += 4;
    if (word === 0) break;
    blocks.push({ stored: (word & 0x80000000) !== 0, size: word & 0x7fffffff });
    at += word & 0x7fffffff;
  }
  assert.equal(at, frame.length, "the frame ends with its end mark");
  return blocks;
}

/** A zstd frame of raw and RLE blocks without Frame_Content_Size, as streaming encoders write it (RFC 8878). */
function zstdStreamingFrame(data: Buffer, rle = false): Buffer {
  // FHD 0: no content size, not single-segment, no checksum, no dictionary; window 2^(10+7) * 1.5 = 192 KiB.
  const parts: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, (7 << 3) | 4])];
  const BLOCK = 128 * 1024;
  let at = 0;
  do {
    const chunk = data.subarray(at, Math.min(at + BLOCK, data.length));
    at += chunk.length;
    const last = at >= data.length ? 1 : 0;
    const same = rle && chunk.length > 0 && chunk.every((b) => b === chunk[0]);
    const h = (chunk.length << 3) | ((same ? 1 : 0) << 1) | last;
    parts.push(
      Buffer.from([h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff]),
      same ? chunk.subarray(0, 1) : chunk,
    );
  } while (at < data.length);
  return Buffer.concat(parts);
}

/**
 * A frame written by zstd-jni 1.5.7-9 (the Java client's zstd library): `new ZstdOutputStream(out, 3)`
 * fed the 16000 lines `brook zstd-jni <i % 100>\n`, then closed. Its header states no content size.
 */
const ZSTD_JNI_FRAME =
  "KLUv/QBYHAYAMgwcFKCpcpjPzOwzASCOXRERKZu4DidGIiIiIiL///+/bdu23bZt25IkSZLbtm2bJEmSFBERERExMzMzMyMiIiIi8v///9u2bdtt27YtSZIkuW3btkmSJEkRERERMXKXUwAIHAoQDAIIGBYaDgcJCQoDAYC/qFH4/TfAo2o1EvgVHPr2//87pvIBOwuACCAOmsxwMsOTCVAmRJkgZcKUCVQmVAmsDBAChH8jG9WIRmYkoxjBKF+Ed+mffv70J/tQCdCqTAAACDIBAPz/ORACRQAACGsBALzeDoQ=";

describe("compression codecs", () => {
  // First: the process has not loaded zstd yet.
  it("the sync API refuses zstd until initCompression() has run, then works", async () => {
    const data = jsonish(1000);
    assert.throws(() => compressSync(CompressionCodec.Zstd, data), isProtocolError("bad-compression"));
    await initCompression();
    const c = compressSync(CompressionCodec.Zstd, data);
    assert.ok(decompressSync(CompressionCodec.Zstd, c).equals(data));
  });

  for (const codec of codecs) {
    it(`${CompressionCodec[codec]} round-trips empty, small, multi-block, incompressible and zero data (async and sync)`, async () => {
      await initCompression();
      for (const [name, data] of inputs) {
        const c = await compress(codec, data);
        assert.ok(Buffer.isBuffer(c));
        assert.ok((await decompress(codec, c)).equals(data), `${CompressionCodec[codec]} ${name} async`);
        const s = compressSync(codec, data);
        assert.ok(decompressSync(codec, s).equals(data), `${CompressionCodec[codec]} ${name} sync`);
        assert.ok(decompressSync(codec, c).equals(data), `${CompressionCodec[codec]} ${name} async→sync`);
      }
    });
  }

  it("None passes data through", async () => {
    const data = Buffer.from("plain");
    assert.equal(await compress(CompressionCodec.None, data), data);
    assert.equal(await decompress(CompressionCodec.None, data), data);
  });

  it("xxhash32 matches the published XXH32 values", () => {
    assert.equal(xxhash32(Buffer.alloc(0)), 0x02cc5d05);
    assert.equal(xxhash32(Buffer.from("a")), 0x550d7456);
    assert.equal(xxhash32(Buffer.from("abc")), 0x32d153ff);
    assert.equal(xxhash32(Buffer.from("Nobody inspects the spammish repetition")), 0xe2293b2f);
    // A range inside a larger buffer hashes like the same bytes alone.
    const b = Buffer.from("xxNobody inspects the spammish repetitionyy");
    assert.equal(xxhash32(b, 0, 2, b.length - 2), 0xe2293b2f);
  });

  describe("snappy", () => {
    it("writes xerial framing: header, then 32 KiB input blocks each with an int32 length", async () => {
      const data = jsonish(100 * 1024 + 5);
      const framed = await compress(CompressionCodec.Snappy, data);
      assert.deepEqual([...framed.subarray(0, 8)], [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
      assert.equal(framed.readInt32BE(8), 1, "version");
      assert.equal(framed.readInt32BE(12), 1, "minimum compatible version");
      // Each block is a raw snappy block of the next 32 KiB of input (decoded by the snappy library directly).
      let at = 16;
      let offset = 0;
      while (at < framed.length) {
        const len = framed.readInt32BE(at);
        const block = framed.subarray(at + 4, at + 4 + len);
        const plain = snappyRawDecode(block, { asBuffer: true }) as Buffer;
        assert.ok(plain.equals(data.subarray(offset, offset + 32768)), `block at input ${offset}`);
        offset += plain.length;
        at += 4 + len;
      }
      assert.equal(at, framed.length);
      assert.equal(offset, data.length);
    });

    it("reads a bare raw snappy block and xerial framing with other block sizes", async () => {
      const data = jsonish(100 * 1024);
      assert.ok((await decompress(CompressionCodec.Snappy, snappyRaw(data))).equals(data));
      assert.ok(
        (await decompress(CompressionCodec.Snappy, snappyRaw(Buffer.alloc(0)))).equals(Buffer.alloc(0)),
      );
      const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0, 0, 0, 0, 1, 0, 0, 0, 1]);
      const blocks = [0, 10_000, 50_000, data.length].slice(1).map((end, i, ends) => {
        const start = i === 0 ? 0 : ends[i - 1]!;
        const raw = snappyRaw(data.subarray(start, end));
        const len = Buffer.alloc(4);
        len.writeInt32BE(raw.length, 0);
        return Buffer.concat([len, raw]);
      });
      assert.ok((await decompress(CompressionCodec.Snappy, Buffer.concat([header, ...blocks]))).equals(data));
    });

    it("checks a raw block's declared length before decoding", async () => {
      // Preamble 0xffffffff (4 GiB), then one literal tag: refused without the native decoder allocating 4 GiB.
      const liar = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x41]);
      assert.equal(snappyDeclaredLength(liar), 0xffffffff);
      await assert.rejects(decompress(CompressionCodec.Snappy, liar), isProtocolError("bad-compression"));
      // Even under a limit that allows 4 GiB, 7 bytes cannot expand that far: refused from the preamble.
      await assert.rejects(decompress(CompressionCodec.Snappy, liar, 2 ** 32), (e: Error) =>
        /cannot hold/.test(e.message),
      );
      const data = Buffer.alloc(1 << 20, 1);
      const raw = snappyRaw(data);
      await assert.rejects(
        decompress(CompressionCodec.Snappy, raw, 1000),
        isProtocolError("bad-compression"),
      );
      assert.equal((await decompress(CompressionCodec.Snappy, raw, 1 << 20)).length, 1 << 20);
      const framed = await compress(CompressionCodec.Snappy, data);
      await assert.rejects(
        decompress(CompressionCodec.Snappy, framed, (1 << 20) - 1),
        isProtocolError("bad-compression"),
      );
    });
  });

  describe("lz4", () => {
    it("writes the frame Kafka's Java client writes: FLG 0x60, BD 0x40, correct HC, 64 KiB independent blocks", async () => {
      const data = Buffer.concat([jsonish(300 * 1024), random(70 * 1024)]);
      const frame = await compress(CompressionCodec.Lz4, data);
      assert.equal(frame.readUInt32LE(0), 0x184d2204);
      assert.equal(frame[4], 0x60, "version 01, independent blocks, no checksums, no content size");
      assert.equal(frame[5], 0x40, "64 KiB blocks");
      assert.equal(frame[6], (xxhash32(frame, 0, 4, 6) >>> 8) & 0xff, "header checksum");
      // lz4-napi's own frame encoder writes the same descriptor and checksum for a small input.
      assert.deepEqual([...compressFrameSync(Buffer.from("hi")).subarray(0, 7)], [...frame.subarray(0, 7)]);
      const blocks = lz4Blocks(frame);
      assert.equal(blocks.length, Math.ceil(data.length / 65536));
      assert.ok(blocks.every((b) => b.size <= 65536));
      // Compressible blocks are compressed; the random tail is stored as is (high bit), as Java does.
      assert.equal(blocks[0]!.stored, false);
      assert.equal(blocks.at(-1)!.stored, true);
      assert.deepEqual(lz4Blocks(await compress(CompressionCodec.Lz4, Buffer.alloc(0))), []);
    });

    it("reads frames from lz4-napi's encoder (256 KiB and 4 MiB blocks) and hand-built frames with every option", async () => {
      for (const data of [Buffer.from("short"), jsonish(300 * 1024), jsonish(5 << 20)]) {
        const theirs = compressFrameSync(data);
        assert.ok((await decompress(CompressionCodec.Lz4, theirs)).equals(data));
        assert.ok(lz4DecompressJs(theirs, 1 << 30).equals(data));
      }
      const data = jsonish(700 * 1024);
      const variants = [
        { bsid: 5 },
        { bsid: 6 },
        { bsid: 7 },
        { blockChecksum: true },
        { contentSize: true },
        { contentChecksum: true },
        { bsid: 5, blockChecksum: true, contentSize: true, contentChecksum: true },
        { blockSize: 1000 }, // partial blocks, as a flushing encoder writes them
      ];
      for (const v of variants) {
        const frame = lz4Frame(data, v);
        assert.ok((await decompress(CompressionCodec.Lz4, frame)).equals(data), JSON.stringify(v));
        assert.ok(lz4DecompressJs(frame, 1 << 30).equals(data), `js ${JSON.stringify(v)}`);
      }
      // Concatenated frames and a skippable frame between them.
      const skippable = Buffer.from([0x5a, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
      const two = Buffer.concat([lz4Frame(data.subarray(0, 1000)), skippable, lz4Frame(data.subarray(1000))]);
      assert.ok((await decompress(CompressionCodec.Lz4, two)).equals(data));
    });

    it("refuses bad checksums, declared sizes that disagree, unsupported flags and truncation", async () => {
      const data = jsonish(200 * 1024);
      const full = lz4Frame(data, { blockChecksum: true, contentSize: true, contentChecksum: true });
      const cases: Array<[string, Buffer]> = [];
      const hc = Buffer.from(full);
      hc[14]! ^= 1; // header checksum byte (after FLG, BD and 8 bytes of content size)
      cases.push(["header checksum", hc]);
      const blockSum = Buffer.from(full);
      blockSum[15 + 4 + blockSum.readUInt32LE(15)]! ^= 1;
      cases.push(["block checksum", blockSum]);
      const contentSum = Buffer.from(full);
      contentSum[contentSum.length - 1]! ^= 1;
      cases.push(["content checksum", contentSum]);
      const size = lz4Frame(data, { contentSize: true });
      size.writeBigUInt64LE(BigInt(data.length - 1), 6);
      size[14] = (xxhash32(size, 0, 4, 14) >>> 8) & 0xff;
      cases.push(["content size", size]);
      const withFlg = (flg: number, bd = 0x40) => {
        const f = lz4Frame(Buffer.from("abc"));
        f[4] = flg;
        f[5] = bd;
        f[6] = (xxhash32(f, 0, 4, 6) >>> 8) & 0xff;
        return f;
      };
      cases.push(
        ["version 00", withFlg(0x20)],
        ["reserved FLG bit", withFlg(0x62)],
        ["dictionary", withFlg(0x61)],
      );
      cases.push(["block size id 3", withFlg(0x60, 0x30)], ["reserved BD bits", withFlg(0x60, 0x41)]);
      cases.push(["not a frame", Buffer.from("not lz4 at all")], ["empty", Buffer.alloc(0)]);
      cases.push(["trailing bytes", Buffer.concat([lz4Frame(data), Buffer.from([1, 2, 3, 4, 5])])]);
      for (const [name, bad] of cases) {
        await assert.rejects(decompress(CompressionCodec.Lz4, bad), isProtocolError("bad-compression"), name);
        assert.throws(() => lz4DecompressJs(bad, 1 << 30), isProtocolError("bad-compression"), `js ${name}`);
      }
      const small = await compress(CompressionCodec.Lz4, jsonish(3000));
      for (let cut = 0; cut < small.length; cut++) {
        assert.throws(
          () => decompressSync(CompressionCodec.Lz4, small.subarray(0, cut)),
          isProtocolError("bad-compression"),
          `cut at ${cut}`,
        );
      }
    });

    it("bounds output: frames whose blocks could exceed the limit are decoded here and stopped at the limit", async () => {
      // 512 blocks of 64 KiB zeros: 32 MiB of output from a few KiB of input.
      const bomb = lz4Frame(Buffer.alloc(32 << 20));
      assert.ok(bomb.length < 200 * 1024);
      await assert.rejects(
        decompress(CompressionCodec.Lz4, bomb, 1 << 20),
        isProtocolError("bad-compression"),
      );
      assert.equal((await decompress(CompressionCodec.Lz4, bomb, 32 << 20)).length, 32 << 20);
      // Many small blocks: the walk's bound (255x each block) is far above the real size, so the
      // bounded decoder runs, and succeeds when the real output fits.
      const data = Buffer.alloc(20_000, 0x61);
      const small = lz4Frame(data, { blockSize: 100 });
      assert.ok((await decompress(CompressionCodec.Lz4, small, 25_000)).equals(data));
      await assert.rejects(
        decompress(CompressionCodec.Lz4, small, 19_999),
        isProtocolError("bad-compression"),
      );
      // A declared content size over the limit is refused before decoding.
      const text = jsonish(10_000);
      const declared = lz4Frame(text, { contentSize: true });
      assert.ok((await decompress(CompressionCodec.Lz4, declared, text.length)).equals(text));
      await assert.rejects(
        decompress(CompressionCodec.Lz4, declared, text.length - 1),
        isProtocolError("bad-compression"),
      );
    });

    it("the block decoder handles overlapping matches and refuses offsets before the window", () => {
      // Literal "ab", then a match of 10 at offset 2 (overlapping copy), then literal "!" to end the block.
      const block = Buffer.from([0x26, 0x61, 0x62, 0x02, 0x00, 0x10, 0x21]);
      const out = Buffer.alloc(100);
      const end = lz4DecodeBlock(block, 0, block.length, out, 0, 0, out.length);
      assert.equal(out.subarray(0, end).toString(), "abababababab!");
      const early = Buffer.from([0x20, 0x61, 0x62, 0x03, 0x00]); // offset 3 with only 2 bytes written
      assert.throws(() => lz4DecodeBlock(early, 0, early.length, out, 0, 0, 100), isProtocolError());
      assert.throws(() => lz4DecodeBlock(block, 0, block.length, out, 0, 0, 5), isProtocolError(), "limit");
    });

    it("frames Brook writes are read by liblz4 (the lz4 CLI) and frames it writes are read by Brook", async (t) => {
      if (!(await have("lz4"))) return t.skip("the lz4 CLI is not installed");
      const data = Buffer.concat([jsonish(3 << 20), random(100 * 1024)]);
      assert.ok((await run("lz4", ["-d", "-c"], await compress(CompressionCodec.Lz4, data))).equals(data));
      for (const flags of [
        [],
        ["-BD"],
        ["-BX"],
        ["--content-size"],
        ["--no-frame-crc"],
        ["-B4"],
        ["-B5"],
        ["-B6"],
        ["-9"],
      ]) {
        const frame = await run("lz4", ["-c", "-q", ...flags], data);
        assert.ok((await decompress(CompressionCodec.Lz4, frame)).equals(data), flags.join(" "));
        assert.ok(lz4DecompressJs(frame, 1 << 30).equals(data), `js ${flags.join(" ")}`);
      }
    });
  });

  describe("zstd", () => {
    it("reads a frame from zstd-jni that states no content size", async () => {
      const frame = Buffer.from(ZSTD_JNI_FRAME, "base64");
      assert.equal(zstdDeclaredSize(frame), -1);
      const expected = Array.from({ length: 16000 }, (_, i) => `brook zstd-jni ${i % 100}\n`).join("");
      assert.equal((await decompress(CompressionCodec.Zstd, frame)).toString(), expected);
    });

    it("reads hand-built streaming frames (raw and RLE blocks, no content size) larger than any first guess", async () => {
      const data = jsonish(3 << 20);
      const frame = zstdStreamingFrame(data);
      assert.equal(zstdDeclaredSize(frame), -1);
      assert.ok((await decompress(CompressionCodec.Zstd, frame)).equals(data));
      const zeros = Buffer.alloc(5 << 20);
      const rle = zstdStreamingFrame(zeros, true);
      assert.ok(rle.length < 200, "RLE blocks: 4 bytes per 128 KiB");
      assert.ok((await decompress(CompressionCodec.Zstd, rle)).equals(zeros));
      assert.ok(
        (await decompress(CompressionCodec.Zstd, zstdStreamingFrame(Buffer.alloc(0)))).equals(
          Buffer.alloc(0),
        ),
      );
    });

    it("reads concatenated frames and skips skippable frames", async () => {
      const a = jsonish(50_000);
      const b = random(20_000);
      const skippable = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 2, 0, 0, 0, 9, 9]);
      const joined = Buffer.concat([
        await compress(CompressionCodec.Zstd, a),
        skippable,
        zstdStreamingFrame(b),
      ]);
      assert.ok((await decompress(CompressionCodec.Zstd, joined)).equals(Buffer.concat([a, b])));
    });

    it("frames from the zstd CLI (no content size, checksums) are read, and Brook's frames are read by it", async (t) => {
      if (!(await have("zstd"))) return t.skip("the zstd CLI is not installed");
      const data = Buffer.concat([jsonish(2 << 20), random(200 * 1024)]);
      for (const flags of [["--no-check"], ["--check"], ["-19"], ["--long=27"]]) {
        const frame = await run("zstd", ["-q", "-c", ...flags], data); // from stdin: no content size
        assert.equal(zstdDeclaredSize(frame), -1);
        assert.ok((await decompress(CompressionCodec.Zstd, frame)).equals(data), flags.join(" "));
      }
      assert.ok(
        (await run("zstd", ["-q", "-d", "-c"], await compress(CompressionCodec.Zstd, data))).equals(data),
      );
    });

    it("refuses sizes over the limit, declared sizes the blocks cannot hold, and dictionaries", async () => {
      const big = Buffer.alloc(4 << 20);
      await assert.rejects(
        decompress(CompressionCodec.Zstd, zstdStreamingFrame(big, true), 1 << 20),
        isProtocolError("bad-compression"),
      );
      await assert.rejects(
        decompress(CompressionCodec.Zstd, await compress(CompressionCodec.Zstd, big), 1 << 20),
        isProtocolError("bad-compression"),
      );
      // A header claiming 2^40 bytes in front of one tiny raw block: refused from the header alone.
      const liar = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xe0, 0, 0, 0, 0, 0, 1, 0, 0, 0x09, 0, 0, 0x41]);
      assert.equal(zstdDeclaredSize(liar), 2 ** 40);
      await assert.rejects(decompress(CompressionCodec.Zstd, liar), isProtocolError("bad-compression"));
      await assert.rejects(
        decompress(CompressionCodec.Zstd, liar, 2 ** 41),
        isProtocolError("bad-compression"),
      );
      // Within the limit, a declared size the blocks cannot hold is refused by the walk, before decoding.
      const small = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xa0, 0xa0, 0x86, 0x01, 0x00, 0x09, 0, 0, 0x41]);
      assert.equal(zstdDeclaredSize(small), 100_000);
      await assert.rejects(decompress(CompressionCodec.Zstd, small), (e: Error) =>
        /blocks hold at most 1\b/.test(e.message),
      );
      // Dictionary id 7 (1-byte field).
      const dict = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x01, 0x38, 7, 0x01, 0, 0]);
      await assert.rejects(decompress(CompressionCodec.Zstd, dict), isProtocolError("bad-compression"));
    });
  });

  describe("bad input", () => {
    it("unknown codec ids 5-7 are bad-compression on every entry point", async () => {
      for (const codec of [5, 6, 7, -1]) {
        await assert.rejects(compress(codec, Buffer.from("x")), isProtocolError("bad-compression"));
        await assert.rejects(decompress(codec, Buffer.from("x")), isProtocolError("bad-compression"));
        assert.throws(() => compressSync(codec, Buffer.from("x")), isProtocolError("bad-compression"));
        assert.throws(() => decompressSync(codec, Buffer.from("x")), isProtocolError("bad-compression"));
      }
    });

    it("random bytes are bad-compression for every codec", async () => {
      for (const codec of codecs) {
        for (const n of [0, 64, 5000]) {
          const garbage = random(n);
          await assert.rejects(
            decompress(codec, garbage),
            isProtocolError("bad-compression"),
            `${CompressionCodec[codec]} ${n} bytes`,
          );
        }
      }
    });

    it("gzip output over the limit is refused", async () => {
      const bomb = gzipSync(Buffer.alloc(8 << 20));
      await assert.rejects(
        decompress(CompressionCodec.Gzip, bomb, 1 << 20),
        isProtocolError("bad-compression"),
      );
      assert.throws(
        () => decompressSync(CompressionCodec.Gzip, bomb, 1 << 20),
        isProtocolError("bad-compression"),
      );
      assert.equal((await decompress(CompressionCodec.Gzip, bomb, 8 << 20)).length, 8 << 20);
    });

    it("mutated and truncated compressed data either decodes or throws ProtocolError, for every codec", async () => {
      await initCompression();
      const data = jsonish(40_000);
      const samples = await Promise.all(codecs.map(async (c) => [c, await compress(c, data)] as const));
      fc.assert(
        fc.property(
          fc.constantFrom(...samples),
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
          fc.option(fc.nat(), { nil: undefined }),
          ([codec, good], edits, cut) => {
            const buf = Buffer.from(good);
            for (const [pos, byte] of edits) buf[pos % buf.length] = byte;
            const input = cut === undefined ? buf : buf.subarray(0, cut % (buf.length + 1));
            try {
              decompressSync(codec, input, 1 << 20);
            } catch (e) {
              if (!(e instanceof ProtocolError)) throw e;
              assert.equal(e.kind, "bad-compression");
            }
          },
        ),
        { numRuns: 600 },
      );
    });
  });
});
