/**
 * One client connection: splits the byte stream into size-prefixed frames, processes requests one
 * at a time in arrival order (as Kafka does: a connection is muted while its request is in flight,
 * so responses need no reordering), and writes responses with backpressure. Frames that arrive
 * while a request is in flight are queued up to a bound; past it the socket is paused.
 */
import type { Socket } from "node:net";
import { FrameReader } from "../../protocol/frame-reader.js";

export interface ConnectionLimits {
  /** socket.request.max.bytes */
  maxRequestBytes: number;
  /** queued.max.requests: frames buffered before the socket is paused. */
  maxQueuedRequests: number;
}

export interface FrameHandler {
  /**
   * Handles one request frame (without its size prefix). Resolves to the response chunks, or null
   * when there is no response (acks=0 produce). Rejects with CloseConnection to drop the connection.
   */
  handle(frame: Buffer, conn: Connection): Promise<Buffer[] | null>;
}

/** Thrown by a handler to close the connection (Kafka's answer to unparseable requests). */
export class CloseConnection extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "CloseConnection";
  }
}

let nextConnectionId = 1;

/** How many Produce requests of one connection may be in flight at once. */
const MAX_PIPELINED = 16;

/** Produce is api key 0; the key is the first field of every request header. */
function isProduce(frame: Buffer): boolean {
  return frame.length >= 2 && frame.readInt16BE(0) === 0;
}

export class Connection {
  readonly id = nextConnectionId++;
  readonly remote: string;
  lastActive = Date.now();
  /** Set after the first request with a client id. */
  clientId: string | null = null;
  /** Free-form per-connection state for handlers (e.g. SASL). */
  readonly state = new Map<string, unknown>();

  private readonly frames: FrameReader;
  private readonly queue: Buffer[] = [];
  private writing = false;
  private running = 0;
  private runningPipelined = 0;
  private readonly pendingResponses: Array<Promise<Buffer[] | null>> = [];
  private paused = false;
  private closed = false;
  /** The client half-closed the connection: close once everything it sent has been handled. */
  private ended = false;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    readonly socket: Socket,
    private readonly handler: FrameHandler,
    private readonly limits: ConnectionLimits,
    private readonly onClose: (conn: Connection, reason: string | null) => void,
  ) {
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.frames = new FrameReader(0, limits.maxRequestBytes);
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", () => this.close(null));
    // After the client's FIN the socket closes by itself (allowHalfOpen is off) while requests it
    // sent may still be queued: those are handled first (see "end").
    socket.on("close", () => (this.ended ? this.finishIfEnded() : this.close(null)));
    socket.on("end", () => {
      // Half-closed by the client: every request it sent is already queued. Handle them all (an
      // acks=0 Produce that arrived must be appended, as Kafka does), then close.
      this.ended = true;
      this.finishIfEnded();
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private onData(chunk: Buffer): void {
    this.lastActive = Date.now();
    this.frames.push(chunk);
    this.extractFrames();
    this.maybePause();
    this.pump();
  }

  private extractFrames(): void {
    this.frames.readFrames(this.takeFrame, this.badFrameSize);
  }

  // Made once, not per chunk received.
  private readonly takeFrame = (frame: Buffer): boolean => {
    this.queue.push(frame);
    return true;
  };
  private readonly badFrameSize = (size: number): void =>
    this.close(`request size ${size} outside [0, ${this.limits.maxRequestBytes}] (socket.request.max.bytes)`);

  private maybePause(): void {
    if (!this.paused && this.queue.length >= this.limits.maxQueuedRequests) {
      this.paused = true;
      this.socket.pause();
    }
  }

  private maybeResume(): void {
    if (this.paused && !this.closed && this.queue.length < this.limits.maxQueuedRequests / 2) {
      this.paused = false;
      this.socket.resume();
    }
  }

  /**
   * Starts queued requests. Requests run one at a time, except that consecutive Produce requests
   * may overlap (up to MAX_PIPELINED): each assigns its offsets synchronously when it starts, so
   * per-partition order is the arrival order, and responses still go out in arrival order.
   */
  private pump(): void {
    while (!this.closed && this.queue.length > 0) {
      const frame = this.queue[0]!;
      const pipelined = isProduce(frame);
      if (
        this.running > 0 &&
        !(pipelined && this.runningPipelined === this.running && this.running < MAX_PIPELINED)
      )
        return;
      this.queue.shift();
      this.running++;
      if (pipelined) this.runningPipelined++;
      const result = this.handler.handle(frame, this).finally(() => {
        this.running--;
        if (pipelined) this.runningPipelined--;
      });
      result.catch(() => {}); // observed by the writer, in order
      this.pendingResponses.push(result);
      if (!this.writing) this.inFlight = this.writeResponses();
    }
  }

  private finishIfEnded(): void {
    if (!this.ended || this.closed) return;
    if (this.queue.length > 0 || this.running > 0 || this.pendingResponses.length > 0 || this.writing) return;
    this.close(null);
  }

  /** Writes responses in request order as they complete. */
  private async writeResponses(): Promise<void> {
    this.writing = true;
    try {
      while (this.pendingResponses.length > 0) {
        const next = this.pendingResponses[0]!;
        let response: Buffer[] | null;
        try {
          response = await next;
        } catch (e) {
          this.close(e instanceof Error ? e.message : String(e));
          return;
        }
        this.pendingResponses.shift();
        this.lastActive = Date.now();
        if (this.closed) return;
        if (response) await this.write(response);
        this.maybeResume();
        this.pump();
      }
    } finally {
      this.writing = false;
      this.finishIfEnded();
    }
  }

  private write(chunks: Buffer[]): Promise<void> {
    const s = this.socket;
    // After the client's FIN our side is ended too (allowHalfOpen is off): nobody reads responses.
    if (s.writableEnded || s.destroyed) return Promise.resolve();
    let ok = true;
    if (chunks.length === 1) ok = s.write(chunks[0]!);
    else {
      s.cork();
      for (const c of chunks) ok = s.write(c);
      s.uncork();
    }
    if (ok) return Promise.resolve();
    // Slow reader: hold further processing until the kernel buffer drains (bounded memory).
    return new Promise((resolve) => {
      const done = (): void => {
        s.off("drain", done);
        s.off("close", done);
        resolve();
      };
      s.on("drain", done);
      s.on("close", done);
    });
  }

  close(reason: string | null): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.frames.clear();
    this.pendingResponses.length = 0;
    this.socket.destroy();
    this.onClose(this, reason);
  }

  /** Waits for the request in flight (used by graceful shutdown). */
  drain(): Promise<void> {
    return this.inFlight;
  }
}
