/**
 * Decompression and compression for the few storage paths that look inside compressed batches
 * (null-key check on compacted topics, ListOffsets by timestamp, the cleaner), through the protocol
 * layer's codecs (gzip, xerial snappy, lz4 frames, zstd). Never on the append or fetch path otherwise.
 */
import {
  type CompressionCodec,
  compress as codecCompress,
  decompress as codecDecompress,
} from "../protocol/compression/index.js";

export async function decompress(codec: number, data: Buffer): Promise<Buffer> {
  if (codec === 0) return data;
  return codecDecompress(codec as CompressionCodec, data);
}

export async function compress(codec: number, data: Buffer): Promise<Buffer> {
  if (codec === 0) return data;
  return codecCompress(codec as CompressionCodec, data);
}
