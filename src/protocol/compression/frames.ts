/**
 * The frame sequence shared by LZ4 and zstd (both follow the same convention): one or more frames,
 * each starting with a 4-byte little-endian magic, with skippable frames (magic 0x184D2A5?, then a
 * 4-byte length) ignored. The codec walks each frame to learn its end and how large its output can
 * be, and decodes it within the room left under the caller's output limit.
 */
import { ProtocolError } from "../errors.js";

const SKIPPABLE_MAGIC = 0x184d2a50; // 0x184D2A50-0x184D2A5F

export interface FrameCodec<F extends { end: number; contentSize: number }> {
  /** "lz4" or "zstd", for messages. */
  name: string;
  /** "an LZ4 frame", "a zstd frame". */
  frameName: string;
  magic: number;
  /** Structural walk of the frame at `pos` (throws on malformed input). */
  walk(data: Buffer, pos: number): F;
  /** Decodes the frame `f` at `pos` into at most `room` bytes (throws otherwise). */
  decode(data: Buffer, pos: number, f: F, room: number): Buffer;
}

/** Decodes every frame of `data`, refusing more than `limit` bytes of output in all. */
export function decodeFrames<F extends { end: number; contentSize: number }>(
  codec: FrameCodec<F>,
  data: Buffer,
  limit: number,
): Buffer {
  const bad = (msg: string): never => {
    throw new ProtocolError("bad-compression", `${codec.name}: ${msg}`);
  };
  const outputs: Buffer[] = [];
  let total = 0;
  let pos = 0;
  while (pos < data.length) {
    if (pos + 4 > data.length) bad("truncated frame magic");
    const magic = data.readUInt32LE(pos);
    if ((magic & 0xfffffff0) === SKIPPABLE_MAGIC) {
      if (pos + 8 > data.length) bad("truncated skippable frame");
      const skip = data.readUInt32LE(pos + 4);
      if (pos + 8 + skip > data.length) bad("skippable frame runs past the end");
      pos += 8 + skip;
      continue;
    }
    if (magic !== codec.magic)
      bad(pos === 0 ? `not ${codec.frameName} (bad magic)` : "trailing bytes after the frame");
    const f = codec.walk(data, pos);
    const room = limit - total;
    if (f.contentSize > room) bad(`frame declares ${f.contentSize} bytes, over the ${limit}-byte limit`);
    const out = codec.decode(data, pos, f, room);
    outputs.push(out);
    total += out.length;
    pos = f.end;
  }
  if (outputs.length === 0) bad("no frame in the data");
  return outputs.length === 1 ? outputs[0]! : Buffer.concat(outputs, total);
}
