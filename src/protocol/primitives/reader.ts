import { ProtocolError } from "../errors.js";

/** A tagged field the declaration does not know: kept as raw bytes so it survives a re-encode. */
export interface UnknownTag {
  tag: number;
  data: Buffer;
}

const ZERO_UUID = "00000000-0000-0000-0000-000000000000";
const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/**
 * Cursor over a Buffer. Every read checks bounds first and throws a ProtocolError; lengths read
 * from the wire are checked against the bytes actually present before anything is sliced or
 * allocated. Byte fields are returned as zero-copy subarrays of the input.
 */
export class Reader {
  buf: Buffer;
  pos: number;
  readonly end: number;

  constructor(buf: Buffer, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  ensure(n: number): void {
    if (this.pos + n > this.end) {
      throw new ProtocolError(
        "truncated",
        `need ${n} bytes at position ${this.pos}, have ${this.end - this.pos}`,
      );
    }
  }

  bool(): boolean {
    this.ensure(1);
    return this.buf[this.pos++] !== 0;
  }

  int8(): number {
    this.ensure(1);
    return this.buf.readInt8(this.pos++);
  }

  int16(): number {
    this.ensure(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  uint16(): number {
    this.ensure(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  int32(): number {
    this.ensure(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  uint32(): number {
    this.ensure(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  int64(): bigint {
    this.ensure(8);
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  float64(): number {
    this.ensure(8);
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }

  /** Unsigned LEB128, at most 5 bytes (32 bits). */
  uvarint(): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.end)
        throw new ProtocolError("truncated", "varint runs past the end of the buffer");
      const b = this.buf[this.pos++]!;
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result >>> 0;
      shift += 7;
    }
    throw new ProtocolError("bad-varint", "unsigned varint longer than 5 bytes");
  }

  /** Zigzag-encoded signed 32-bit varint. */
  varint(): number {
    const u = this.uvarint();
    return (u >>> 1) ^ -(u & 1);
  }

  /**
   * Unsigned LEB128, at most 10 bytes (64 bits). Accumulates two 32-bit number halves: a BigInt
   * accumulator in a loop can crash Node 20's optimising compiler (V8 RepresentationChanger).
   */
  uvarlong(): bigint {
    let lo = 0;
    let hi = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (this.pos >= this.end)
        throw new ProtocolError("truncated", "varlong runs past the end of the buffer");
      const b = this.buf[this.pos++]!;
      const bits = b & 0x7f;
      if (shift < 28) lo |= bits << shift;
      else if (shift === 28) {
        lo |= (bits & 0x0f) << 28;
        hi |= bits >>> 4;
      } else hi |= bits << (shift - 32);
      if ((b & 0x80) === 0) {
        return hi === 0 ? BigInt(lo >>> 0) : (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
      }
    }
    throw new ProtocolError("bad-varint", "unsigned varlong longer than 10 bytes");
  }

  /** Zigzag-encoded signed 64-bit varint. */
  varlong(): bigint {
    const u = this.uvarlong();
    return BigInt.asIntN(64, (u >> 1n) ^ -(u & 1n));
  }

  /** Zigzag varlong returned as a JS number; for deltas known to be small (record timestamps/offsets). */
  varlongNumber(): number {
    return Number(this.varlong());
  }

  uuid(): string {
    this.ensure(16);
    const b = this.buf;
    const p = this.pos;
    this.pos += 16;
    let s = "";
    for (let i = 0; i < 16; i++) {
      s += HEX[b[p + i]!];
      if (i === 3 || i === 5 || i === 7 || i === 9) s += "-";
    }
    return s === ZERO_UUID ? ZERO_UUID : s;
  }

  private checkLength(len: number, what: string): void {
    if (len < 0) throw new ProtocolError("negative-length", `${what} has negative length ${len}`);
    if (len > this.end - this.pos) {
      throw new ProtocolError(
        "length-past-end",
        `${what} of length ${len} runs past the end (${this.end - this.pos} bytes left)`,
      );
    }
  }

  private utf8(len: number): string {
    const s = this.buf.toString("utf8", this.pos, this.pos + len);
    this.pos += len;
    return s;
  }

  /** int16 length, -1 = null. */
  nullableString(): string | null {
    const len = this.int16();
    if (len === -1) return null;
    this.checkLength(len, "string");
    return this.utf8(len);
  }

  string(): string {
    const len = this.int16();
    this.checkLength(len, "string");
    return this.utf8(len);
  }

  /** uvarint length+1, 0 = null. */
  compactNullableString(): string | null {
    const n = this.uvarint();
    if (n === 0) return null;
    this.checkLength(n - 1, "compact string");
    return this.utf8(n - 1);
  }

  compactString(): string {
    const n = this.uvarint();
    if (n === 0) throw new ProtocolError("invalid-value", "null in a non-nullable compact string");
    this.checkLength(n - 1, "compact string");
    return this.utf8(n - 1);
  }

  /** Raw slice of `len` bytes (zero copy). */
  raw(len: number): Buffer {
    this.checkLength(len, "bytes");
    const b = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return b;
  }

  /** int32 length, -1 = null. */
  nullableBytes(): Buffer | null {
    const len = this.int32();
    if (len === -1) return null;
    return this.raw(len);
  }

  bytes(): Buffer {
    const len = this.int32();
    return this.raw(len);
  }

  compactNullableBytes(): Buffer | null {
    const n = this.uvarint();
    if (n === 0) return null;
    return this.raw(n - 1);
  }

  compactBytes(): Buffer {
    const n = this.uvarint();
    if (n === 0) throw new ProtocolError("invalid-value", "null in non-nullable compact bytes");
    return this.raw(n - 1);
  }

  /**
   * Array count for a classic (int32) array; -1 = null. The count is bounded by the bytes left so a
   * forged count cannot make the decoder allocate a huge array: every element takes at least one byte
   * except elements of empty structs, which no Kafka message has.
   */
  arrayLength(): number {
    const n = this.int32();
    if (n < -1) throw new ProtocolError("negative-length", `array has negative length ${n}`);
    if (n > this.end - this.pos) {
      throw new ProtocolError(
        "length-past-end",
        `array of ${n} elements cannot fit in ${this.end - this.pos} bytes`,
      );
    }
    return n;
  }

  /** Compact array count: uvarint n+1, 0 = null (returned as -1). */
  compactArrayLength(): number {
    const n = this.uvarint() - 1;
    if (n > this.end - this.pos) {
      throw new ProtocolError(
        "length-past-end",
        `array of ${n} elements cannot fit in ${this.end - this.pos} bytes`,
      );
    }
    return n;
  }

  /** Reads a tagged-field section, returning the tags the caller did not claim. */
  skipTaggedFields(): UnknownTag[] | undefined {
    const count = this.uvarint();
    if (count === 0) return undefined;
    const out: UnknownTag[] = [];
    for (let i = 0; i < count; i++) {
      const tag = this.uvarint();
      const size = this.uvarint();
      out.push({ tag, data: this.raw(size) });
    }
    return out;
  }
}
