/**
 * zstd through @bokuweb/zstd-wasm (WebAssembly: no native build). Its one-shot decompress sizes the
 * output from the frame header; frames written by streaming encoders (zstd-jni in the Java client)
 * do not state their size, so decompression retries with a growing output buffer up to the bound.
 */
import { compress, decompress, init } from "@bokuweb/zstd-wasm";
import { ProtocolError } from "../errors.js";

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

export function zstdCompress(data: Buffer): Buffer {
  const out = compress(data, 3);
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

const ZSTD_MAGIC = 0xfd2fb528;

/** Frame_Content_Size from a zstd frame header (RFC 8878 3.1.1.1), or -1 when the frame does not state it. */
export function zstdDeclaredSize(data: Buffer): number {
  if (data.length < 5 || data.readUInt32LE(0) !== ZSTD_MAGIC) return -1;
  const fhd = data[4]!;
  const fcsFlag = fhd >> 6;
  const singleSegment = (fhd >> 5) & 1;
  const dictIdSize = [0, 1, 2, 4][fhd & 3]!;
  const fcsSize = fcsFlag === 0 ? singleSegment : [0, 2, 4, 8][fcsFlag]!;
  if (fcsSize === 0) return -1;
  const at = 5 + (singleSegment ? 0 : 1) + dictIdSize;
  if (at + fcsSize > data.length) return -1;
  switch (fcsSize) {
    case 1:
      return data[at]!;
    case 2:
      return data.readUInt16LE(at) + 256;
    case 4:
      return data.readUInt32LE(at);
    default:
      return Number(data.readBigUInt64LE(at));
  }
}

export function zstdDecompress(data: Buffer, maxOutput: number): Buffer {
  // A header may claim any size: refuse before the decoder allocates it.
  if (zstdDeclaredSize(data) > maxOutput) {
    throw new ProtocolError("bad-compression", `zstd frame declares more than ${maxOutput} bytes`);
  }
  let heap = Math.min(Math.max(1 << 20, data.length * 4), maxOutput);
  for (;;) {
    try {
      const out = decompress(data, { defaultHeapSize: heap });
      if (out.byteLength > maxOutput)
        throw new ProtocolError("bad-compression", `zstd output exceeds ${maxOutput} bytes`);
      return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    } catch (e) {
      if (e instanceof ProtocolError) throw e;
      // Unknown content size and too small a buffer: grow and retry; give up at the bound.
      if (heap >= maxOutput)
        throw new ProtocolError("bad-compression", `corrupt zstd data or output over ${maxOutput} bytes`);
      heap = Math.min(heap * 4, maxOutput);
    }
  }
}
