/**
 * Splits a TCP byte stream into Kafka's size-prefixed frames (an int32 size, then that many bytes),
 * for the broker's and the client's connections. Keeps the chunks as they arrived and copies only
 * when a frame spans two or more of them.
 */
export class FrameSizeError extends Error {
  constructor(readonly size: number) {
    super(`frame size ${size}`);
    this.name = "FrameSizeError";
  }
}

export class FrameReader {
  private chunks: Buffer[] = [];
  private bufferedBytes = 0;
  /** Size of the frame whose prefix was read, -1 while waiting for a prefix. */
  private pendingSize = -1;

  /** Sizes outside [minSize, maxSize] make next() throw FrameSizeError. */
  constructor(
    private readonly minSize: number,
    private readonly maxSize: number,
  ) {}

  /** Bytes received and not yet returned in a frame (a read size prefix included). */
  get buffered(): number {
    return this.bufferedBytes + (this.pendingSize >= 0 ? 4 : 0);
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.bufferedBytes += chunk.length;
  }

  /** The next whole frame, without its size prefix; null until one has arrived completely. */
  next(): Buffer | null {
    if (this.pendingSize < 0) {
      if (this.bufferedBytes < 4) return null;
      const size = this.take(4).readInt32BE(0);
      if (size < this.minSize || size > this.maxSize) throw new FrameSizeError(size);
      this.pendingSize = size;
    }
    if (this.bufferedBytes < this.pendingSize) return null;
    const frame = this.take(this.pendingSize);
    this.pendingSize = -1;
    return frame;
  }

  /**
   * Hands each whole frame to `onFrame` until none is left or `onFrame` returns false. A size prefix
   * out of bounds goes to `onBadSize` instead and ends the loop (the stream cannot be read on).
   */
  readFrames(onFrame: (frame: Buffer) => boolean, onBadSize: (size: number) => void): void {
    for (;;) {
      let frame: Buffer | null;
      try {
        frame = this.next();
      } catch (e) {
        if (!(e instanceof FrameSizeError)) throw e;
        onBadSize(e.size);
        return;
      }
      if (frame === null || onFrame(frame) === false) return;
    }
  }

  /** Drops everything buffered (the connection is gone). */
  clear(): void {
    this.chunks = [];
    this.bufferedBytes = 0;
    this.pendingSize = -1;
  }

  /** Removes n <= bufferedBytes bytes from the front of the chunks. */
  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this.chunks[0]!;
    this.bufferedBytes -= n;
    if (first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0]!;
      const need = n - filled;
      if (c.length <= need) {
        c.copy(out, filled);
        filled += c.length;
        this.chunks.shift();
      } else {
        c.copy(out, filled, 0, need);
        this.chunks[0] = c.subarray(need);
        filled += need;
      }
    }
    return out;
  }
}
