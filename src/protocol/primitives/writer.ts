import { ProtocolError } from "../errors.js";

/** Payloads at least this big are referenced, not copied, so a Fetch response can carry log bytes as-is. */
const ZERO_COPY_THRESHOLD = 4096;
const UUID_RE = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;

/**
 * Growable big-endian writer. Small values go into a scratch buffer; large byte payloads are kept as
 * separate chunks so that `chunks()` can hand them to `socket.write`/`writev` without a copy.
 */
export class Writer {
  private buf: Buffer;
  private pos = 0;
  private start = 0;
  private readonly done: Buffer[] = [];
  private doneBytes = 0;

  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  /** Total bytes written so far. */
  get length(): number {
    return this.doneBytes + this.pos - this.start;
  }

  private grow(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    // Seal what is in the scratch buffer and start a new, larger one.
    if (this.pos > this.start) {
      this.done.push(this.buf.subarray(this.start, this.pos));
      this.doneBytes += this.pos - this.start;
    }
    this.buf = Buffer.allocUnsafe(Math.max(n, this.buf.length * 2, 256));
    this.pos = 0;
    this.start = 0;
  }

  bool(v: boolean): this {
    this.grow(1);
    this.buf[this.pos++] = v ? 1 : 0;
    return this;
  }

  int8(v: number): this {
    this.grow(1);
    this.buf.writeInt8(v, this.pos);
    this.pos += 1;
    return this;
  }

  int16(v: number): this {
    this.grow(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  uint16(v: number): this {
    this.grow(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  int32(v: number): this {
    this.grow(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  uint32(v: number): this {
    this.grow(4);
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  int64(v: bigint): this {
    this.grow(8);
    this.buf.writeBigInt64BE(v, this.pos);
    this.pos += 8;
    return this;
  }

  float64(v: number): this {
    this.grow(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
    return this;
  }

  uvarint(v: number): this {
    this.grow(5);
    v >>>= 0;
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.pos++] = v;
    return this;
  }

  varint(v: number): this {
    return this.uvarint(((v << 1) ^ (v >> 31)) >>> 0);
  }

  uvarlong(v: bigint): this {
    if (v >= 0n && v < 0x80000000n) return this.uvarint(Number(v));
    this.grow(10);
    // Split into 32-bit halves and shift numbers: looping over a BigInt.asUintN(64) value makes
    // Node 20's optimising compiler crash (V8 RepresentationChanger, UnsignedBigInt64 phi).
    const u = BigInt.asUintN(64, v);
    let lo = Number(u & 0xffffffffn);
    let hi = Number(u >> 32n);
    while (hi !== 0 || lo >= 0x80) {
      this.buf[this.pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | ((hi & 0x7f) << 25)) >>> 0;
      hi >>>= 7;
    }
    this.buf[this.pos++] = lo;
    return this;
  }

  varlong(v: bigint): this {
    return this.uvarlong(BigInt.asUintN(64, (v << 1n) ^ (v >> 63n)));
  }

  uuid(v: string): this {
    if (!UUID_RE.test(v)) throw new ProtocolError("invalid-value", `not a UUID: ${v}`);
    this.grow(16);
    this.buf.write(v.replace(/-/g, ""), this.pos, 16, "hex");
    this.pos += 16;
    return this;
  }

  /** Appends bytes; large buffers are referenced rather than copied. */
  raw(b: Buffer | Uint8Array): this {
    const n = b.length;
    if (n >= ZERO_COPY_THRESHOLD) {
      if (this.pos > this.start) {
        this.done.push(this.buf.subarray(this.start, this.pos));
        this.doneBytes += this.pos - this.start;
        this.start = this.pos;
      }
      this.done.push(Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.length));
      this.doneBytes += n;
      return this;
    }
    this.grow(n);
    if (n < 32) {
      for (let i = 0; i < n; i++) this.buf[this.pos + i] = b[i]!;
    } else {
      this.buf.set(b, this.pos);
    }
    this.pos += n;
    return this;
  }

  private utf8(s: string, lengthPrefix: (n: number) => void): void {
    // ASCII fast path: one byte per char, no intermediate Buffer.
    const n = s.length;
    let ascii = n < 128;
    if (ascii) {
      for (let i = 0; i < n; i++) {
        if (s.charCodeAt(i) > 0x7f) {
          ascii = false;
          break;
        }
      }
    }
    if (ascii) {
      lengthPrefix(n);
      this.grow(n);
      for (let i = 0; i < n; i++) this.buf[this.pos + i] = s.charCodeAt(i);
      this.pos += n;
      return;
    }
    const len = Buffer.byteLength(s, "utf8");
    lengthPrefix(len);
    this.grow(len);
    this.buf.write(s, this.pos, len, "utf8");
    this.pos += len;
  }

  string(s: string): this {
    this.utf8(s, (n) => {
      if (n > 0x7fff)
        throw new ProtocolError("invalid-value", `string of ${n} bytes is too long for an int16 length`);
      this.int16(n);
    });
    return this;
  }

  nullableString(s: string | null): this {
    if (s === null) return this.int16(-1);
    return this.string(s);
  }

  compactString(s: string): this {
    this.utf8(s, (n) => this.uvarint(n + 1));
    return this;
  }

  compactNullableString(s: string | null): this {
    if (s === null) return this.uvarint(0);
    return this.compactString(s);
  }

  bytes(b: Buffer | Uint8Array): this {
    this.int32(b.length);
    return this.raw(b);
  }

  nullableBytes(b: Buffer | Uint8Array | null): this {
    if (b === null) return this.int32(-1);
    return this.bytes(b);
  }

  compactBytes(b: Buffer | Uint8Array): this {
    this.uvarint(b.length + 1);
    return this.raw(b);
  }

  compactNullableBytes(b: Buffer | Uint8Array | null): this {
    if (b === null) return this.uvarint(0);
    return this.compactBytes(b);
  }

  /** Reserves 4 bytes for an int32 to be filled later (e.g. a size prefix); returns a patch handle. */
  reserveInt32(): { buf: Buffer; pos: number } {
    this.grow(4);
    const handle = { buf: this.buf, pos: this.pos };
    this.pos += 4;
    return handle;
  }

  /** The written bytes as chunks (large payloads not copied). */
  chunks(): Buffer[] {
    const out = this.done.slice();
    if (this.pos > this.start) out.push(this.buf.subarray(this.start, this.pos));
    return out;
  }

  /** The written bytes as one Buffer (copies only when there is more than one chunk). */
  toBuffer(): Buffer {
    const c = this.chunks();
    if (c.length === 1) return c[0]!;
    return Buffer.concat(c, this.length);
  }
}
