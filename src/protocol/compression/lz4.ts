/**
 * LZ4 in the frame format (magic 0x184D2204) Kafka uses since KIP-57. lz4-napi's frame encoder
 * writes 64 KiB independent blocks without block or content checksums, which is what Kafka's
 * Java client writes and what its reader (and librdkafka's) accepts.
 */
import { compressFrameSync, decompressFrameSync } from "lz4-napi";
import { ProtocolError } from "../errors.js";

const FRAME_MAGIC = 0x184d2204;

export function lz4Compress(data: Buffer): Buffer {
  return compressFrameSync(data);
}

export function lz4Decompress(data: Buffer, maxOutput: number): Buffer {
  if (data.length < 7 || data.readUInt32LE(0) !== FRAME_MAGIC) {
    throw new ProtocolError("bad-compression", "not an LZ4 frame (bad magic)");
  }
  // LZ4 expands at most ~255x, so the output is bounded by the (request-size-bounded) input; the
  // limit is checked on the result.
  const out = decompressFrameSync(data);
  if (out.length > maxOutput)
    throw new ProtocolError("bad-compression", `lz4 output exceeds ${maxOutput} bytes`);
  return out;
}
