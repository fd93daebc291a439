/**
 * zstd through @bokuweb/zstd-wasm (WebAssembly: no native build, needs an async `init()` once).
 *
 * That library only offers one-shot ZSTD_decompress into an output buffer it sizes from the frame
 * header, or from a caller's guess when the header does not state the size, as with frames from
 * streaming encoders (zstd-jni in the Java client, librdkafka). So the frames are walked here first
 * (RFC 8878): the walk validates the headers, skips skippable frames, and adds up the block headers
 * into an upper bound of each frame's output (raw and RLE blocks state their size; a compressed
 * block yields at most Block_Maximum_Size). Each frame is then decoded alone into an output buffer
 * of exactly min(bound, what the caller still allows), so a frame that does not state its size
 * decodes in one pass, and no header can make the WebAssembly heap grow past the caller's limit.
 */
import { compress, decompress, init } from "@bokuweb/zstd-wasm";
import { ProtocolError } from "../errors.js";
import { decodeFrames, type FrameCodec } from "./frames.js";

let ready = false;
let loading: Promise<void> | undefined;

export function initZstd(): Promise<void> {
  loading ??= init().then(() => {
    ready = true;
  });
  return loading;
}

export function zstdReady(): boolean {
  return ready;
}

/** Level 3, the default of zstd and of Kafka's `compression.zstd.level`. */
export function zstdCompress(data: Buffer, level = 3): Buffer {
  const out = compress(data, level);
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

const ZSTD_MAGIC = 0xfd2fb528;
const MAX_BLOCK = 128 * 1024;
/**
 * The WebAssembly heap is capped at 2 GiB and never shrinks, and the library does not check that
 * its malloc succeeded: keep every output allocation far inside that, whatever limit is asked for.
 */
const WASM_LIMIT = 512 * 1024 * 1024;

function bad(msg: string): never {
  throw new ProtocolError("bad-compression", `zstd: ${msg}`);
}

interface ZstdFrame {
  /** Position just after the frame. */
  end: number;
  /** Frame_Content_Size, or -1 when the frame does not state it. */
  contentSize: number;
  /** Upper bound of the decoded size, from the block headers. */
  bound: number;
}

/** Frame_Content_Size of the zstd frame at the start of `data` (RFC 8878 3.1.1.1), or -1 when absent or unreadable. */
export function zstdDeclaredSize(data: Buffer): number {
  try {
    return readFrameHeader(data, 0).contentSize;
  } catch {
    return -1;
  }
}

function readFrameHeader(
  data: Buffer,
  pos: number,
): { contentSize: number; blockMax: number; checksum: boolean; blocksAt: number } {
  if (pos + 5 > data.length) bad("truncated frame header");
  const fhd = data[pos + 4]!;
  const fcsFlag = fhd >> 6;
  const singleSegment = (fhd & 0x20) !== 0;
  if (fhd & 0x08) bad("reserved frame header bit set");
  const didSize = [0, 1, 2, 4][fhd & 3]!;
  const fcsSize = fcsFlag === 0 ? (singleSegment ? 1 : 0) : [0, 2, 4, 8][fcsFlag]!;
  let at = pos + 5;
  const headerEnd = at + (singleSegment ? 0 : 1) + didSize + fcsSize;
  if (headerEnd > data.length) bad("truncated frame header");
  let windowSize = Number.POSITIVE_INFINITY;
  if (!singleSegment) {
    const wd = data[at++]!;
    const windowLog = 10 + (wd >> 3);
    const base = 2 ** windowLog;
    windowSize = base + (base / 8) * (wd & 7);
  }
  let dictionaryId = 0;
  if (didSize === 1) dictionaryId = data[at]!;
  else if (didSize === 2) dictionaryId = data.readUInt16LE(at);
  else if (didSize === 4) dictionaryId = data.readUInt32LE(at);
  at += didSize;
  if (dictionaryId !== 0) bad(`frame needs dictionary ${dictionaryId}, which is not available`);
  let contentSize = -1;
  if (fcsSize === 1) contentSize = data[at]!;
  else if (fcsSize === 2) contentSize = data.readUInt16LE(at) + 256;
  else if (fcsSize === 4) contentSize = data.readUInt32LE(at);
  else if (fcsSize === 8) {
    const v = data.readBigUInt64LE(at);
    contentSize = v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
  }
  if (singleSegment) windowSize = contentSize;
  return {
    contentSize,
    blockMax: Math.min(windowSize, MAX_BLOCK),
    checksum: (fhd & 0x04) !== 0,
    blocksAt: headerEnd,
  };
}

/** Walks the zstd frame at `pos`: header and block headers, without decoding. */
function walkFrame(data: Buffer, pos: number): ZstdFrame {
  const h = readFrameHeader(data, pos);
  let at = h.blocksAt;
  let bound = 0;
  for (;;) {
    if (at + 3 > data.length) bad("truncated block header");
    const bh = data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16);
    at += 3;
    const last = bh & 1;
    const type = (bh >> 1) & 3;
    const size = bh >>> 3;
    if (type === 3) bad("reserved block type");
    if (size > h.blockMax) bad(`block of ${size} bytes exceeds the frame's ${h.blockMax}`);
    if (type === 1) {
      at += 1; // RLE: one byte, repeated `size` times
      bound += size;
    } else {
      at += size;
      bound += type === 0 ? size : h.blockMax;
    }
    if (at > data.length) bad("block runs past the end of the data");
    if (last) break;
  }
  if (h.checksum) {
    at += 4;
    if (at > data.length) bad("truncated content checksum");
  }
  if (h.contentSize > bound)
    bad(`frame declares ${h.contentSize} bytes but its blocks hold at most ${bound}`);
  return { end: at, contentSize: h.contentSize, bound: h.contentSize >= 0 ? h.contentSize : bound };
}

const ZSTD_FRAMES: FrameCodec<ZstdFrame> = {
  name: "zstd",
  frameName: "a zstd frame",
  magic: ZSTD_MAGIC,
  walk: walkFrame,
  decode(data, pos, f, room) {
    // With a stated size the library allocates exactly that; otherwise it uses this capacity.
    const capacity = Math.max(1, Math.min(f.bound, room));
    let out: Uint8Array;
    try {
      out = decompress(data.subarray(pos, f.end), { defaultHeapSize: capacity });
    } catch (e) {
      bad(
        f.bound > room
          ? `corrupt data, or output over the ${room}-byte limit`
          : `corrupt data (${(e as Error).message})`,
      );
    }
    if (f.contentSize >= 0 && out.byteLength !== f.contentSize)
      bad(`frame declares ${f.contentSize} bytes but decodes to ${out.byteLength}`);
    return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  },
};

/** Decodes one or more zstd frames (skippable frames ignored), refusing more than `maxOutput` bytes. */
export function zstdDecompress(data: Buffer, maxOutput: number): Buffer {
  return decodeFrames(ZSTD_FRAMES, data, Math.min(maxOutput, WASM_LIMIT));
}
