/**
 * Snappy as Kafka's Java client writes it: xerial snappy-java stream framing (SnappyOutputStream),
 * which is not the official Snappy framing format. A 16-byte header (magic 0x82 "SNAPPY" 0x00, int32
 * version 1, int32 minimum compatible version 1), then each 32 KiB slice of input (snappy-java's
 * default block size) as an int32 big-endian length and a raw snappy block. Reading also accepts a
 * bare raw snappy block without the header, as snappy-java's SnappyInputStream does.
 *
 * A raw block opens with its uncompressed length (a varint). The native decoder allocates that
 * length before decoding, so it is checked here first: against the caller's limit and against the
 * most a snappy block can expand (a 3-byte copy element yields at most 64 bytes).
 */
import { compressSync, uncompressSync } from "snappy";
import { ProtocolError } from "../errors.js";

const MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const HEADER_SIZE = 16;
const BLOCK = 32 * 1024;
const MAX_RATIO = 22;
/**
 * Have the native side copy its output into an ordinary Buffer: several times faster here than the
 * default external buffers (one per 32 KiB block), whose creation and finalisation dominate.
 */
const COPY = { copyOutputData: true } as const;
const COPY_AS_BUFFER = { asBuffer: true, copyOutputData: true } as const;

function bad(msg: string): never {
  throw new ProtocolError("bad-compression", `snappy: ${msg}`);
}

export function snappyCompress(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(HEADER_SIZE);
  MAGIC.copy(header, 0);
  header.writeInt32BE(1, 8);
  header.writeInt32BE(1, 12);
  parts.push(header);
  let total = HEADER_SIZE;
  for (let at = 0; at < data.length; at += BLOCK) {
    const block = compressSync(data.subarray(at, Math.min(at + BLOCK, data.length)), COPY);
    const len = Buffer.allocUnsafe(4);
    len.writeInt32BE(block.length, 0);
    parts.push(len, block);
    total += 4 + block.length;
  }
  return Buffer.concat(parts, total);
}

/** The uncompressed length a raw snappy block states in its preamble (uvarint, at most 32 bits). */
export function snappyDeclaredLength(block: Buffer): number {
  let result = 0;
  for (let i = 0; i < 5; i++) {
    if (i >= block.length) bad("truncated length preamble");
    const b = block[i]!;
    result += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) {
      if (result > 0xffffffff) bad("length preamble over 32 bits");
      return result;
    }
  }
  return bad("length preamble longer than 5 bytes");
}

function rawUncompress(block: Buffer, room: number, maxOutput: number): Buffer {
  const declared = snappyDeclaredLength(block);
  if (declared > room) bad(`block declares ${declared} bytes, over the ${maxOutput}-byte limit`);
  if (declared > block.length * MAX_RATIO) bad(`block of ${block.length} bytes cannot hold ${declared}`);
  try {
    return uncompressSync(block, COPY_AS_BUFFER) as Buffer;
  } catch (e) {
    return bad((e as Error).message);
  }
}

/** Decodes xerial-framed or raw snappy data, refusing more than `maxOutput` bytes. */
export function snappyDecompress(data: Buffer, maxOutput: number): Buffer {
  if (data.length < HEADER_SIZE || !data.subarray(0, 8).equals(MAGIC))
    return rawUncompress(data, maxOutput, maxOutput);
  const parts: Buffer[] = [];
  let total = 0;
  let at = HEADER_SIZE;
  while (at < data.length) {
    if (at + 4 > data.length) bad("truncated block length");
    const len = data.readInt32BE(at);
    at += 4;
    if (len < 0 || at + len > data.length) bad(`block of ${len} bytes runs past the end`);
    const block = rawUncompress(data.subarray(at, at + len), maxOutput - total, maxOutput);
    total += block.length;
    parts.push(block);
    at += len;
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
}
