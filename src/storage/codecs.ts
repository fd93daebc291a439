/**
 * Decompression and compression for the few storage paths that look inside compressed batches
 * (null-key check on compacted topics, ListOffsets by timestamp, the cleaner). Uses Brook's codec
 * module (src/protocol/compression) when it is present; gzip falls back to node:zlib.
 */
import { promisify } from "node:util";
import { gunzip, gzip } from "node:zlib";
import { StorageError, StorageErrorCode } from "./errors.js";

interface CompressionModule {
  compress(codec: number, buf: Buffer): Promise<Buffer>;
  decompress(codec: number, buf: Buffer): Promise<Buffer>;
}

const gunzipAsync = promisify(gunzip);
const gzipAsync = promisify(gzip);
let modPromise: Promise<CompressionModule | null> | undefined;

function loadModule(): Promise<CompressionModule | null> {
  modPromise ??= (async () => {
    const spec = "../protocol/compression/index.js";
    try {
      const m = (await import(spec)) as Partial<CompressionModule>;
      if (typeof m.compress === "function" && typeof m.decompress === "function")
        return m as CompressionModule;
    } catch {
      // not available (yet)
    }
    return null;
  })();
  return modPromise;
}

function unavailable(codec: number): never {
  throw new StorageError(
    StorageErrorCode.CORRUPT_MESSAGE,
    `compression codec ${codec} is not available to storage`,
  );
}

export async function decompress(codec: number, data: Buffer): Promise<Buffer> {
  if (codec === 0) return data;
  const m = await loadModule();
  if (m) return m.decompress(codec, data);
  if (codec === 1) return gunzipAsync(data);
  return unavailable(codec);
}

export async function compress(codec: number, data: Buffer): Promise<Buffer> {
  if (codec === 0) return data;
  const m = await loadModule();
  if (m) return m.compress(codec, data);
  if (codec === 1) return gzipAsync(data);
  return unavailable(codec);
}

/** Whether this codec can be handled here. */
export async function codecAvailable(codec: number): Promise<boolean> {
  if (codec === 0 || codec === 1) return true;
  return (await loadModule()) !== null;
}
