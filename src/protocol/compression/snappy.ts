/**
 * Snappy as Kafka's Java client writes it: xerial snappy-java stream framing, an 8-byte magic
 * (0x82 "SNAPPY" 0x00), int32 version 1 and int32 compatible-version 1, then blocks of up to 32 KiB
 * of input, each an int32 compressed length followed by a raw snappy block. Reading also accepts a
 * bare raw snappy block without the header, as snappy-java does.
 */
import { compressSync, uncompressSync } from "snappy";
import { ProtocolError } from "../errors.js";

const MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const HEADER_SIZE = 16;
const BLOCK = 32 * 1024;

export function snappyCompress(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(HEADER_SIZE);
  MAGIC.copy(header, 0);
  header.writeInt32BE(1, 8);
  header.writeInt32BE(1, 12);
  parts.push(header);
  for (let at = 0; at < data.length; at += BLOCK) {
    const block = compressSync(data.subarray(at, Math.min(at + BLOCK, data.length)));
    const len = Buffer.allocUnsafe(4);
    len.writeInt32BE(block.length, 0);
    parts.push(len, block);
  }
  return Buffer.concat(parts);
}

function rawUncompress(block: Buffer, limit: number): Buffer {
  const out = uncompressSync(block, { asBuffer: true }) as Buffer;
  if (out.length > limit) throw new ProtocolError("bad-compression", `snappy output exceeds ${limit} bytes`);
  return out;
}

export function snappyDecompress(data: Buffer, maxOutput: number): Buffer {
  if (data.length < HEADER_SIZE || !data.subarray(0, 8).equals(MAGIC)) return rawUncompress(data, maxOutput);
  const parts: Buffer[] = [];
  let total = 0;
  let at = HEADER_SIZE;
  while (at < data.length) {
    if (at + 4 > data.length) throw new ProtocolError("bad-compression", "truncated snappy block length");
    const len = data.readInt32BE(at);
    at += 4;
    if (len < 0 || at + len > data.length)
      throw new ProtocolError("bad-compression", "snappy block runs past the end");
    const block = rawUncompress(data.subarray(at, at + len), maxOutput - total);
    total += block.length;
    parts.push(block);
    at += len;
  }
  return Buffer.concat(parts, total);
}
