/**
 * LZ4 in the frame format (magic 0x184D2204), which Kafka uses for magic 1 and 2 batches (KIP-57).
 *
 * Writing: the frame Kafka's Java client writes (Lz4BlockOutputStream): FLG 0x60 (version 01,
 * independent blocks, no block checksums, no content size, no content checksum), BD 0x40 (64 KiB
 * blocks), the XXH32 header checksum, then each 64 KiB slice of input as one raw LZ4 block
 * (lz4-napi), stored uncompressed when compression does not shrink it, and the end mark. lz4-napi's
 * own frame encoder is not used: it picks 256 KiB or 4 MiB blocks for larger inputs, so every
 * reader would need block buffers that large.
 *
 * Reading: any valid LZ4 frame (block sizes 64 KiB to 4 MiB, linked or independent blocks, block
 * and content checksums, content size), concatenated frames and skippable frames. The frame is
 * walked first, which validates its structure and gives an upper bound of its output; within the
 * caller's bound the native decoder (lz4-napi) does the work, and a frame whose bound is beyond it
 * is decoded here, block by block, stopping as soon as the output passes the limit.
 */
import { compressSync as lz4BlockCompress, decompressFrameSync } from "lz4-napi";
import { ProtocolError } from "../errors.js";
import { decodeFrames, type FrameCodec } from "./frames.js";
import { xxhash32 } from "./xxhash32.js";

const FRAME_MAGIC = 0x184d2204;
const UNCOMPRESSED_BIT = 0x80000000;
/** FLG: version 01, independent blocks; BD: 64 KiB blocks. */
const KAFKA_FLG = 0x60;
const KAFKA_BD = 0x40;
const KAFKA_BLOCK = 64 * 1024;
/**
 * A compressed block decodes to at most 255 times its size: a match-length byte adds at most 255
 * bytes, a token with its 2-byte offset at most 19, and literals are copied one for one.
 */
const MAX_RATIO = 255;

function bad(msg: string): never {
  throw new ProtocolError("bad-compression", `lz4: ${msg}`);
}

/** The frame header Kafka writes, with its checksum: magic, FLG, BD, HC. */
const KAFKA_HEADER = (() => {
  const h = Buffer.alloc(7);
  h.writeUInt32LE(FRAME_MAGIC, 0);
  h[4] = KAFKA_FLG;
  h[5] = KAFKA_BD;
  h[6] = (xxhash32(h, 0, 4, 6) >>> 8) & 0xff;
  return h;
})();

/** Compresses `data` into one LZ4 frame of 64 KiB independent blocks, as Kafka's Java client does. */
export function lz4Compress(data: Buffer): Buffer {
  const parts: Buffer[] = [KAFKA_HEADER];
  let total = KAFKA_HEADER.length;
  for (let at = 0; at < data.length; at += KAFKA_BLOCK) {
    const chunk = data.subarray(at, Math.min(at + KAFKA_BLOCK, data.length));
    // lz4-napi's block API prefixes the raw block with its uncompressed size (uint32 LE).
    const prefixed = lz4BlockCompress(chunk);
    if (prefixed.readUInt32LE(0) !== chunk.length) throw new Error("lz4-napi's block format changed");
    const compressed = prefixed.length - 4 < chunk.length;
    const block = compressed ? prefixed.subarray(4) : chunk;
    const size = Buffer.allocUnsafe(4);
    size.writeUInt32LE(compressed ? block.length : (block.length | UNCOMPRESSED_BIT) >>> 0, 0);
    parts.push(size, block);
    total += 4 + block.length;
  }
  parts.push(Buffer.alloc(4)); // end mark
  return Buffer.concat(parts, total + 4);
}

/** What the walk of one frame found. */
interface FrameInfo {
  /** Byte position just after the frame. */
  end: number;
  /** Position of the first block header. */
  blocksAt: number;
  blockMax: number;
  independent: boolean;
  blockChecksum: boolean;
  contentChecksum: boolean;
  /** Declared content size, or -1. */
  contentSize: number;
  /** Upper bound of the decoded size. */
  bound: number;
  /** Position of the content checksum, or -1. */
  checksumAt: number;
}

/** Validates the frame at `pos` without decoding it: header, checksum of the header, block sizes. */
function walkFrame(data: Buffer, pos: number): FrameInfo {
  if (pos + 7 > data.length) bad("truncated frame header");
  const flg = data[pos + 4]!;
  const bd = data[pos + 5]!;
  if (flg >> 6 !== 1) bad(`unsupported frame version ${flg >> 6}`);
  if (flg & 0x02) bad("reserved FLG bit set");
  if (bd & 0x8f) bad("reserved BD bits set");
  const bsid = (bd >> 4) & 7;
  if (bsid < 4) bad(`invalid block size id ${bsid}`);
  const blockMax = 1 << (2 * bsid + 8);
  const hasSize = (flg & 0x08) !== 0;
  if (flg & 0x01) bad("frames that need a dictionary are not supported");
  const descEnd = pos + 6 + (hasSize ? 8 : 0);
  if (descEnd + 1 > data.length) bad("truncated frame descriptor");
  if (((xxhash32(data, 0, pos + 4, descEnd) >>> 8) & 0xff) !== data[descEnd])
    bad("frame descriptor checksum mismatch");
  let contentSize = -1;
  if (hasSize) {
    const cs = data.readBigUInt64LE(pos + 6);
    contentSize = cs > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(cs);
  }
  const blockChecksum = (flg & 0x10) !== 0;
  const contentChecksum = (flg & 0x04) !== 0;
  const blocksAt = descEnd + 1;
  let at = blocksAt;
  let bound = 0;
  for (;;) {
    if (at + 4 > data.length) bad("truncated block header");
    const word = data.readUInt32LE(at);
    at += 4;
    if (word === 0) break;
    const stored = (word & UNCOMPRESSED_BIT) !== 0;
    const size = word & 0x7fffffff;
    if (size > blockMax) bad(`block of ${size} bytes exceeds the frame's ${blockMax}`);
    if (at + size + (blockChecksum ? 4 : 0) > data.length) bad("block runs past the end of the data");
    if (blockChecksum && xxhash32(data, 0, at, at + size) !== data.readUInt32LE(at + size))
      bad("block checksum mismatch");
    at += size + (blockChecksum ? 4 : 0);
    bound += stored ? size : Math.min(blockMax, size * MAX_RATIO);
  }
  let checksumAt = -1;
  if (contentChecksum) {
    if (at + 4 > data.length) bad("truncated content checksum");
    checksumAt = at;
    at += 4;
  }
  if (contentSize > bound) bad(`frame declares ${contentSize} bytes but its blocks hold at most ${bound}`);
  return {
    end: at,
    blocksAt,
    blockMax,
    independent: (flg & 0x20) !== 0,
    blockChecksum,
    contentChecksum,
    contentSize,
    bound: contentSize >= 0 ? contentSize : bound,
    checksumAt,
  };
}

/**
 * Decodes one raw LZ4 block `src[s, e)` into `out` at `op`, where matches may reach back to
 * `windowStart`; returns the new output position. Throws once the output would pass `limit`.
 */
export function lz4DecodeBlock(
  src: Uint8Array,
  s: number,
  e: number,
  out: Uint8Array,
  op: number,
  windowStart: number,
  limit: number,
): number {
  let ip = s;
  for (;;) {
    if (ip >= e) bad("block ends inside a sequence");
    const token = src[ip++]!;
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (ip >= e) bad("truncated literal length");
        b = src[ip++]!;
        lit += b;
      } while (b === 255);
    }
    if (lit > 0) {
      if (ip + lit > e) bad("literals run past the end of the block");
      if (op + lit > limit) bad("output exceeds the limit");
      if (lit > 32) {
        out.set(src.subarray(ip, ip + lit), op);
        op += lit;
        ip += lit;
      } else {
        for (let k = 0; k < lit; k++) out[op++] = src[ip++]!;
      }
    }
    if (ip === e) return op; // the last sequence carries literals only
    if (ip + 2 > e) bad("truncated match offset");
    const offset = src[ip]! | (src[ip + 1]! << 8);
    ip += 2;
    if (offset === 0 || op - offset < windowStart) bad(`invalid match offset ${offset}`);
    let len = (token & 15) + 4;
    if (len === 19) {
      let b: number;
      do {
        if (ip >= e) bad("truncated match length");
        b = src[ip++]!;
        len += b;
      } while (b === 255);
    }
    if (op + len > limit) bad("output exceeds the limit");
    let from = op - offset;
    if (offset >= len && len > 32) {
      out.copyWithin(op, from, from + len);
      op += len;
    } else {
      const stop = op + len;
      while (op < stop) out[op++] = out[from++]!;
    }
  }
}

/** Decodes a walked frame here (the bounded path); `room` is the output the caller still allows. */
function decodeFrameJs(data: Buffer, f: FrameInfo, room: number): Buffer {
  const cap = Math.min(f.bound, room);
  const out = Buffer.allocUnsafe(cap);
  let op = 0;
  let at = f.blocksAt;
  for (;;) {
    const word = data.readUInt32LE(at);
    at += 4;
    if (word === 0) break;
    const size = word & 0x7fffffff;
    if (word & UNCOMPRESSED_BIT) {
      if (op + size > cap) bad(`output exceeds ${room} bytes`);
      data.copy(out, op, at, at + size);
      op += size;
    } else {
      const limit = Math.min(cap, op + f.blockMax);
      op = lz4DecodeBlock(data, at, at + size, out, op, f.independent ? op : 0, limit);
    }
    at += size + (f.blockChecksum ? 4 : 0);
  }
  const result = op < cap / 2 ? Buffer.from(out.subarray(0, op)) : out.subarray(0, op);
  checkContent(data, f, result);
  return result;
}

function checkContent(data: Buffer, f: FrameInfo, out: Buffer): void {
  if (f.contentSize >= 0 && out.length !== f.contentSize)
    bad(`frame declares ${f.contentSize} bytes but decodes to ${out.length}`);
  if (f.checksumAt >= 0 && xxhash32(out) !== data.readUInt32LE(f.checksumAt))
    bad("content checksum mismatch");
}

const LZ4_FRAMES: FrameCodec<FrameInfo> = {
  name: "lz4",
  frameName: "an LZ4 frame",
  magic: FRAME_MAGIC,
  walk: walkFrame,
  decode(data, pos, f, room) {
    // Within the bound the native decoder is used; frames that could exceed the room are decoded
    // by this module's block decoder, which stops at the limit.
    if (f.bound > room) return decodeFrameJs(data, f, room);
    let out: Buffer;
    try {
      out = decompressFrameSync(data.subarray(pos, f.end));
    } catch (e) {
      bad((e as Error).message);
    }
    if (out.length > room) bad(`output exceeds ${room} bytes`);
    checkContent(data, f, out);
    return out;
  },
};

/** Decodes LZ4 frame data, refusing more than `maxOutput` bytes of output. */
export function lz4Decompress(data: Buffer, maxOutput: number): Buffer {
  return decodeFrames(LZ4_FRAMES, data, maxOutput);
}

/** Decodes with this module's own block decoder only (no native call); for tests and benchmarks. */
export function lz4DecompressJs(data: Buffer, maxOutput: number): Buffer {
  if (data.length < 4 || data.readUInt32LE(0) !== FRAME_MAGIC) bad("not an LZ4 frame (bad magic)");
  const f = walkFrame(data, 0);
  if (f.end !== data.length) bad("trailing bytes after the frame");
  return decodeFrameJs(data, f, maxOutput);
}
