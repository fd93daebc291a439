/**
 * Kafka's record-batch compression codecs (attributes bits 0-2), framed as the Java client frames
 * them so every Kafka client can read what Brook writes:
 * - gzip: an ordinary gzip stream (node:zlib);
 * - snappy: xerial snappy-java stream framing; a bare raw snappy block is accepted on read (snappy.ts);
 * - lz4: LZ4 frames of 64 KiB independent blocks without checksums; any valid frame on read (lz4.ts);
 * - zstd: ordinary zstd frames, including frames that do not state their size (zstd.ts).
 * Every decoder is bounded (`maxOutput`, default 256 MiB): it refuses output beyond the bound, and
 * no size claimed by the input makes it allocate more than that. Every failure, unknown codec ids
 * (5-7) included, is a ProtocolError of kind "bad-compression".
 */
import { constants as bufferConstants } from "node:buffer";
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
export const DEFAULT_MAX_DECOMPRESSED = 256 * 1024 * 1024;

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** "gzip", "snappy", ... for a codec id; "codec N" for an unknown one. */
export function codecName(codec: number): string {
  return CompressionCodec[codec]?.toLowerCase() ?? `codec ${codec}`;
}

function unknown(codec: number): never {
  throw new ProtocolError("bad-compression", `unknown compression codec ${codec}`);
}

function corrupt(codec: number, e: unknown, maxOutput: number): never {
  if (e instanceof ProtocolError) throw e;
  const err = e as NodeJS.ErrnoException;
  if (err?.code === "ERR_BUFFER_TOO_LARGE")
    throw new ProtocolError("bad-compression", `${codecName(codec)} output exceeds ${maxOutput} bytes`);
  throw new ProtocolError(
    "bad-compression",
    `corrupt ${codecName(codec)} data: ${err?.message ?? String(e)}`,
  );
}

function checkLimit(maxOutput: number): number {
  if (!Number.isSafeInteger(maxOutput) || maxOutput < 0)
    throw new RangeError(`maxOutput must be a non-negative integer, got ${maxOutput}`);
  return Math.min(maxOutput, bufferConstants.MAX_LENGTH);
}

function zstdNotReady(): never {
  throw new ProtocolError("bad-compression", "zstd is not initialised: await initCompression() first");
}

/** Loads the zstd WebAssembly module. The sync API needs it for zstd; the async API calls it itself. */
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
      return zstdReady() ? zstdCompress(data) : zstdNotReady();
    default:
      return unknown(codec);
  }
}

/** Decompresses `data`; output over `maxOutput` bytes, corrupt input and unknown codecs throw ProtocolError. */
export function decompressSync(
  codec: CompressionCodec,
  data: Buffer,
  maxOutput = DEFAULT_MAX_DECOMPRESSED,
): Buffer {
  const limit = checkLimit(maxOutput);
  try {
    switch (codec) {
      case CompressionCodec.None:
        if (data.length > limit) throw new ProtocolError("bad-compression", `data exceeds ${limit} bytes`);
        return data;
      case CompressionCodec.Gzip:
        return gunzipSync(data, { maxOutputLength: limit });
      case CompressionCodec.Snappy:
        return snappyDecompress(data, limit);
      case CompressionCodec.Lz4:
        return lz4Decompress(data, limit);
      case CompressionCodec.Zstd:
        return zstdReady() ? zstdDecompress(data, limit) : zstdNotReady();
      default:
        return unknown(codec);
    }
  } catch (e) {
    return corrupt(codec, e, limit);
  }
}

export async function compress(codec: CompressionCodec, data: Buffer): Promise<Buffer> {
  if (codec === CompressionCodec.Gzip) return gzipAsync(data);
  if (codec === CompressionCodec.Zstd) await initZstd();
  return compressSync(codec, data);
}

/** As decompressSync; gzip runs on the libuv thread pool, and zstd is initialised on first use. */
export async function decompress(
  codec: CompressionCodec,
  data: Buffer,
  maxOutput = DEFAULT_MAX_DECOMPRESSED,
): Promise<Buffer> {
  if (codec === CompressionCodec.Gzip) {
    const limit = checkLimit(maxOutput);
    try {
      return await gunzipAsync(data, { maxOutputLength: limit });
    } catch (e) {
      return corrupt(codec, e, limit);
    }
  }
  if (codec === CompressionCodec.Zstd) await initZstd();
  return decompressSync(codec, data, maxOutput);
}
