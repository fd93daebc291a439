/**
 * `CompressionCodecs`: KafkaJS's registry of codec factories, keyed by CompressionTypes. KafkaJS
 * ships only GZIP and asks users to register packages for the others; Brook has all four built in
 * (src/protocol/compression), so every type works without registration. A factory the user assigns
 * replaces the built-in one, which keeps code written for KafkaJS (`CompressionCodecs[Snappy] =
 * SnappyCodec`) working exactly as before.
 */
import { CompressionCodec, compress, decompress } from "../protocol/compression/index.js";
import { CompressionTypes } from "./enums.js";

/** A codec as KafkaJS's plug-ins implement it: compress takes KafkaJS's encoder (only `buffer` is read). */
export interface KafkaJSCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

export type CodecFactory = () => KafkaJSCodec;

/** What the producer and consumer call: plain buffers both ways. */
export interface Codec {
  compress(data: Buffer): Promise<Buffer>;
  decompress(data: Buffer): Promise<Buffer>;
}

type CompressedType = Exclude<CompressionTypes, typeof CompressionTypes.None>;

function builtin(codec: CompressionCodec): CodecFactory {
  const impl: KafkaJSCodec = {
    compress: (encoder) => compress(codec, encoder.buffer),
    decompress: (buffer) => decompress(codec, buffer),
  };
  return () => impl;
}

const BUILTIN_FACTORIES: Readonly<Record<CompressedType, CodecFactory>> = Object.freeze({
  [CompressionTypes.GZIP]: builtin(CompressionCodec.Gzip),
  [CompressionTypes.Snappy]: builtin(CompressionCodec.Snappy),
  [CompressionTypes.LZ4]: builtin(CompressionCodec.Lz4),
  [CompressionTypes.ZSTD]: builtin(CompressionCodec.Zstd),
});

/** Mutable on purpose: users register their own codecs here, as with KafkaJS. */
export const CompressionCodecs: Record<CompressedType, CodecFactory> = { ...BUILTIN_FACTORIES };

/** True while `type` still uses Brook's own codec, so callers may take the direct (sync) path. */
export function isBuiltinCodec(type: number): boolean {
  const factory = CompressionCodecs[type as CompressedType];
  return factory !== undefined && factory === BUILTIN_FACTORIES[type as CompressedType];
}

/**
 * The codec for a compression type, or null for None and for types with no codec (KafkaJS returns
 * null there too). The factory is looked up on every call so a later registration takes effect.
 */
export function codecFor(type: number): Codec | null {
  const factory = CompressionCodecs[type as CompressedType];
  if (typeof factory !== "function") return null;
  const codec = factory();
  return {
    compress: async (data) => toBuffer(await codec.compress({ buffer: data })),
    decompress: async (data) => toBuffer(await codec.decompress(data)),
  };
}

// Plug-ins written for KafkaJS sometimes return a Uint8Array; the record codec wants a Buffer.
function toBuffer(data: Buffer | Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
