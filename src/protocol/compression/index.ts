/**
 * Kafka's record-batch compression codecs (attributes bits 0-2), framed as the Java client frames
 * them so every Kafka client can read what Brook writes:
 * - gzip: an ordinary gzip stream (node:zlib);
 * - snappy: xerial snappy-java stream framing, and a bare snappy block on read (snappy-java accepts both);
 * - lz4: the LZ4 frame format with 64 KiB independent blocks, no checksums (lz4-napi, lz4_flex defaults);
 * - zstd: ordinary zstd frames (@bokuweb/zstd-wasm), including frames that do not state their size.
 * Decompression is bounded (`maxOutput`) so a small hostile payload cannot exhaust memory.
 */
import { promisify } from "node:util";
import { gunzip, gunzipSync, gzip, gzipSync } from "node:zlib";
import { ProtocolError } from "../errors.js";
import { lz4Compress, lz4Decompress } from "./lz4.js";
import { snappyCompress, snappyDecompress } from "./snappy.js";
import { initZstd, zstdCompress, zstdDecompress, zstdReady } from "./zstd.js";

export enum CompressionCodec {
  None = 0,
  Gzip = 1,
  Snappy = 2,
  Lz4 = 3,
  Zstd = 4,
}

/** Default bound on decompressed size: far above max.message.bytes, far below exhausting memory. */
export const DEFAULT_MAX_DECOMPRESSED = 256 << 20;

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

export function codecName(codec: number): string {
  return CompressionCodec[codec]?.toLowerCase() ?? `codec ${codec}`;
}

function unknown(codec: number): never {
  throw new ProtocolError("bad-compression", `unknown compression codec ${codec}`);
}

function corrupt(codec: number, e: unknown): never {
  if (e instanceof ProtocolError) throw e;
  throw new ProtocolError("bad-compression", `corrupt ${codecName(codec)} data: ${(e as Error).message}`);
}

/** Loads the zstd WebAssembly module; the sync API needs it for zstd, the async API calls it itself. */
export async function initCompression(): Promise<void> {
  await initZstd();
}

export function compressSync(codec: CompressionCodec, data: Buffer): Buffer {
  switch (codec) {
    case CompressionCodec.None:
      return data;
    case CompressionCodec.Gzip:
      return gzipSync(data);
    case CompressionCodec.Snappy:
      return snappyCompress(data);
    case CompressionCodec.Lz4:
      return lz4Compress(data);
    case CompressionCodec.Zstd:
      if (!zstdReady())
        throw new ProtocolError("bad-compression", "zstd is not initialised: await initCompression() first");
      return zstdCompress(data);
    default:
      return unknown(codec);
  }
}

export function decompressSync(
  codec: CompressionCodec,
  data: Buffer,
  maxOutput = DEFAULT_MAX_DECOMPRESSED,
): Buffer {
  try {
    switch (codec) {
      case CompressionCodec.None:
        return data;
      case CompressionCodec.Gzip:
        return gunzipSync(data, { maxOutputLength: maxOutput });
      case CompressionCodec.Snappy:
        return snappyDecompress(data, maxOutput);
      case CompressionCodec.Lz4:
        return lz4Decompress(data, maxOutput);
      case CompressionCodec.Zstd:
        if (!zstdReady())
          throw new ProtocolError(
            "bad-compression",
            "zstd is not initialised: await initCompression() first",
          );
        return zstdDecompress(data, maxOutput);
      default:
        return unknown(codec);
    }
  } catch (e) {
    return corrupt(codec, e);
  }
}

export async function compress(codec: CompressionCodec, data: Buffer): Promise<Buffer> {
  if (codec === CompressionCodec.Gzip) return gzipAsync(data);
  if (codec === CompressionCodec.Zstd) await initZstd();
  return compressSync(codec, data);
}

export async function decompress(
  codec: CompressionCodec,
  data: Buffer,
  maxOutput = DEFAULT_MAX_DECOMPRESSED,
): Promise<Buffer> {
  if (codec === CompressionCodec.Gzip) {
    try {
      return await gunzipAsync(data, { maxOutputLength: maxOutput });
    } catch (e) {
      return corrupt(codec, e);
    }
  }
  if (codec === CompressionCodec.Zstd) await initZstd();
  return decompressSync(codec, data, maxOutput);
}
