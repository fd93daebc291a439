/**
 * One TCP (or TLS) connection to one broker: frames requests with Brook's codec, pipelines them
 * (responses are matched by correlation id, so many requests can be in flight), enforces request
 * timeouts, and turns every socket failure into a retriable KafkaJSConnectionError for each waiting
 * request. It knows nothing of ApiVersions or SASL; the Broker above it does that.
 */
import type net from "node:net";
import type tls from "node:tls";
import { decodeResponse, encodeRequestChunks } from "../../protocol/frame.js";
import { FrameReader } from "../../protocol/frame-reader.js";
import type { ApiDeclaration, RequestInput, ResponseOf } from "../../protocol/schema.js";
import { KafkaJSConnectionError, KafkaJSRequestTimeoutError } from "../errors.js";
import type { Logger } from "../logger.js";
import { defaultSocketFactory, type ISocketFactory } from "./socket.js";

/** Anything that takes `emit(eventName, payload)`: the client's instrumentation emitter. */
export interface EventSink {
  emit(eventName: string, payload: object): void;
}

export interface NetworkEvents {
  REQUEST: string;
  REQUEST_TIMEOUT: string;
  REQUEST_QUEUE_SIZE: string;
}

export interface ConnectionOptions {
  host: string;
  port: number;
  clientId: string;
  ssl?: tls.ConnectionOptions | boolean;
  connectionTimeout: number;
  requestTimeout: number;
  enforceRequestTimeout: boolean;
  socketFactory?: ISocketFactory;
  logger: Logger;
  /** At most this many requests on the wire at once; the rest wait in a queue. null = no limit. */
  maxInFlightRequests: number | null;
  instrumentation?: { emitter: EventSink; events: NetworkEvents } | undefined;
  /** Called once when the socket closes after having connected (not on a failed connect). */
  onClose?: (error: Error | null) => void;
}

export interface RequestOptions {
  /** False for Produce with acks=0: the broker sends nothing back. */
  expectResponse?: boolean;
  /** Overrides the connection's request timeout for this request (ms). */
  timeout?: number;
}

/** Frames bigger than this are not Kafka responses but garbage on the socket. */
const MAX_RESPONSE_BYTES = 1024 * 1024 * 1024;

interface Pending {
  correlationId: number;
  api: ApiDeclaration;
  version: number;
  resolve: (v: any) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout | null;
  createdAt: number;
  sentAt: number;
  size: number;
  raw: boolean;
}

interface Queued {
  chunks: Buffer[];
  pending: Pending | null;
  resolveNoResponse?: () => void;
  timeout: number;
}

export class Connection {
  readonly host: string;
  readonly port: number;
  readonly broker: string;
  private readonly opts: ConnectionOptions;
  private socket: net.Socket | null = null;
  private connected = false;
  private closing = false;
  private correlationId = 0;
  private readonly inflight = new Map<number, Pending>();
  private readonly queue: Queued[] = [];
  private inflightCount = 0;
  // Incoming bytes not yet forming a whole frame; a response is at least its correlation id.
  private readonly frames = new FrameReader(4, MAX_RESPONSE_BYTES);

  constructor(opts: ConnectionOptions) {
    this.opts = opts;
    this.host = opts.host;
    this.port = opts.port;
    this.broker = `${opts.host}:${opts.port}`;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  connect(): Promise<void> {
    if (this.connected) return Promise.resolve();
    const { host, port, ssl, connectionTimeout } = this.opts;
    const factory = this.opts.socketFactory ?? defaultSocketFactory;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (e: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket?.destroy();
        reject(
          new KafkaJSConnectionError(`Connection error: ${e.message}`, {
            broker: this.broker,
            code: (e as NodeJS.ErrnoException).code,
          }),
        );
      };
      const timer = setTimeout(() => fail(new Error("Connection timeout")), connectionTimeout);
      let socket: net.Socket | null = null;
      const onConnect = () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.connected = true;
        this.closing = false;
        resolve();
      };
      try {
        socket = factory({ host, port, ssl: ssl as tls.ConnectionOptions, onConnect });
      } catch (e) {
        fail(e as Error);
        return;
      }
      this.socket = socket;
      socket.on("data", (d: Buffer) => this.onData(d));
      socket.on("error", (e: Error) => {
        if (!settled) fail(e);
        else this.fail(e);
      });
      socket.on("close", () => {
        if (!settled) fail(new Error("Closed by the broker"));
        else this.fail(null);
      });
    });
  }

  /**
   * Sends a request and resolves with its decoded response (or undefined when no response is
   * expected). Error codes inside the body are the caller's business.
   */
  request<A extends ApiDeclaration>(
    api: A,
    version: number,
    body: RequestInput<A>,
    options: RequestOptions = {},
  ): Promise<ResponseOf<A>> {
    return this.send(api, version, body, options, false);
  }

  /** Like request, but resolves with the response frame undecoded (correlation id first). */
  requestRaw<A extends ApiDeclaration>(
    api: A,
    version: number,
    body: RequestInput<A>,
    options: RequestOptions = {},
  ): Promise<Buffer> {
    return this.send(api, version, body, options, true);
  }

  private send(
    api: ApiDeclaration,
    version: number,
    body: any,
    options: RequestOptions,
    raw: boolean,
  ): Promise<any> {
    if (!this.connected || !this.socket) {
      return Promise.reject(
        new KafkaJSConnectionError("Not connected", { broker: this.broker, code: "ENOTCONNECTED" }),
      );
    }
    const correlationId = this.nextCorrelationId();
    const chunks = encodeRequestChunks(api, version, correlationId, this.opts.clientId, body);
    const expectResponse = options.expectResponse !== false;
    const timeout = options.timeout ?? this.opts.requestTimeout;
    return new Promise((resolve, reject) => {
      const now = Date.now();
      let size = 0;
      for (const c of chunks) size += c.length;
      const pending: Pending | null = expectResponse
        ? {
            correlationId,
            api,
            version,
            resolve,
            reject,
            timer: null,
            createdAt: now,
            sentAt: now,
            size,
            raw,
          }
        : null;
      const item: Queued = { chunks, pending, timeout };
      if (!expectResponse) item.resolveNoResponse = () => resolve(undefined);
      const limit = this.opts.maxInFlightRequests;
      if (limit !== null && limit > 0 && this.inflightCount >= limit) {
        this.queue.push(item);
        this.emitQueueSize();
        return;
      }
      this.write(item);
    });
  }

  private nextCorrelationId(): number {
    // Wraps within int32 as Kafka's correlation ids are signed 32-bit.
    this.correlationId = this.correlationId >= 0x7fffffff ? 0 : this.correlationId + 1;
    return this.correlationId;
  }

  private write(item: Queued): void {
    const socket = this.socket;
    if (!socket || !this.connected) {
      const e = new KafkaJSConnectionError("Not connected", { broker: this.broker, code: "ENOTCONNECTED" });
      item.pending?.reject(e);
      return;
    }
    const p = item.pending;
    if (p) {
      p.sentAt = Date.now();
      this.inflight.set(p.correlationId, p);
      this.inflightCount++;
      if (this.opts.enforceRequestTimeout && item.timeout > 0 && Number.isFinite(item.timeout)) {
        p.timer = setTimeout(() => this.onTimeout(p), item.timeout);
      }
    }
    // A request without a response (Produce acks=0) is done at once while the socket keeps up; once
    // its buffer is past the high-water mark it is done when its bytes reach the kernel. That is the
    // backpressure that stops a tight acks=0 loop from queueing without bound.
    const flushed = item.resolveNoResponse;
    let afterFlush: (() => void) | undefined;
    let ok = true;
    if (flushed) afterFlush = () => (ok ? undefined : flushed());
    const last = item.chunks.length - 1;
    if (last === 0) ok = socket.write(item.chunks[0]!, afterFlush);
    else {
      socket.cork();
      for (let i = 0; i < last; i++) socket.write(item.chunks[i]!);
      ok = socket.write(item.chunks[last]!, afterFlush);
      socket.uncork();
    }
    if (flushed && ok) flushed();
  }

  private onTimeout(p: Pending): void {
    if (!this.inflight.delete(p.correlationId)) return;
    this.inflightCount--;
    const now = Date.now();
    const ins = this.opts.instrumentation;
    ins?.emitter.emit(ins.events.REQUEST_TIMEOUT, {
      broker: this.broker,
      clientId: this.opts.clientId,
      correlationId: p.correlationId,
      createdAt: p.createdAt,
      sentAt: p.sentAt,
      pendingDuration: p.sentAt - p.createdAt,
      apiName: p.api.name,
      apiKey: p.api.key,
      apiVersion: p.version,
    });
    p.reject(
      new KafkaJSRequestTimeoutError(
        `Request ${p.api.name}(key: ${p.api.key}, version: ${p.version}) timed out`,
        {
          broker: this.broker,
          clientId: this.opts.clientId,
          correlationId: p.correlationId,
          createdAt: p.createdAt,
          sentAt: p.sentAt,
          pendingDuration: now - p.sentAt,
        },
      ),
    );
    this.drainQueue();
  }

  private emitQueueSize(): void {
    const ins = this.opts.instrumentation;
    ins?.emitter.emit(ins.events.REQUEST_QUEUE_SIZE, {
      broker: this.broker,
      clientId: this.opts.clientId,
      queueSize: this.queue.length,
    });
  }

  private drainQueue(): void {
    const limit = this.opts.maxInFlightRequests;
    let sent = false;
    while (this.queue.length > 0 && (limit === null || limit <= 0 || this.inflightCount < limit)) {
      this.write(this.queue.shift()!);
      sent = true;
    }
    if (sent) this.emitQueueSize();
  }

  private onData(data: Buffer): void {
    this.frames.push(data);
    this.frames.readFrames(this.takeFrame, this.badFrameSize);
  }

  // Made once, not per chunk received.
  private readonly takeFrame = (frame: Buffer): boolean => {
    this.onFrame(frame);
    return this.connected;
  };
  private readonly badFrameSize = (size: number): void =>
    this.abort(new Error(`Invalid response frame size ${size}`));

  private onFrame(frame: Buffer): void {
    const correlationId = frame.readInt32BE(0);
    const p = this.inflight.get(correlationId);
    if (!p) {
      // A response to a request that already timed out is dropped; anything else is garbage.
      if (correlationId <= this.correlationId && correlationId > this.correlationId - 1_000_000) return;
      this.abort(new Error(`Response with unknown correlation id ${correlationId}`));
      return;
    }
    this.inflight.delete(correlationId);
    this.inflightCount--;
    if (p.timer) clearTimeout(p.timer);
    let result: unknown;
    try {
      result = p.raw ? frame : decodeResponse(p.api, p.version, frame).body;
    } catch (e) {
      // Undecodable bytes mean the stream is out of step: nothing after them can be trusted.
      p.reject(
        new KafkaJSConnectionError(`Invalid ${p.api.name} response: ${(e as Error).message}`, {
          broker: this.broker,
        }),
      );
      this.abort(e as Error);
      return;
    }
    const ins = this.opts.instrumentation;
    if (ins) {
      const now = Date.now();
      ins.emitter.emit(ins.events.REQUEST, {
        broker: this.broker,
        clientId: this.opts.clientId,
        correlationId,
        size: frame.length + 4,
        createdAt: p.createdAt,
        sentAt: p.sentAt,
        pendingDuration: p.sentAt - p.createdAt,
        duration: now - p.sentAt,
        apiName: p.api.name,
        apiKey: p.api.key,
        apiVersion: p.version,
      });
    }
    p.resolve(result);
    if (this.queue.length > 0) this.drainQueue();
  }

  private abort(e: Error): void {
    this.opts.logger.error(`Closing connection after a protocol error: ${e.message}`, {
      broker: this.broker,
    });
    this.socket?.destroy();
    this.fail(e);
  }

  /** Rejects everything waiting and marks the connection closed. */
  private fail(e: Error | null): void {
    if (!this.connected && this.inflight.size === 0 && this.queue.length === 0) return;
    const wasConnected = this.connected;
    this.connected = false;
    this.socket?.destroy();
    this.socket = null;
    this.frames.clear();
    const reason = this.closing
      ? "Connection closed by the client"
      : e
        ? `Connection error: ${e.message}`
        : "Closed connection";
    const err = new KafkaJSConnectionError(reason, {
      broker: this.broker,
      code: (e as NodeJS.ErrnoException | null)?.code,
    });
    for (const p of this.inflight.values()) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(err);
    }
    this.inflight.clear();
    this.inflightCount = 0;
    for (const q of this.queue.splice(0)) q.pending?.reject(err);
    if (wasConnected) this.opts.onClose?.(this.closing ? null : (e ?? new Error("closed")));
  }

  async close(): Promise<void> {
    if (!this.socket) return;
    this.closing = true;
    const socket = this.socket;
    await new Promise<void>((resolve) => {
      if (socket.destroyed) return resolve();
      socket.once("close", () => resolve());
      // end() sends what is still buffered (acks=0 records) before the FIN. Only once that is
      // flushed does a peer that never closes its side get a short grace before the socket is
      // destroyed; a peer that stops reading gets requestTimeout.
      const hardStop = setTimeout(() => socket.destroy(), this.opts.requestTimeout);
      hardStop.unref();
      socket.end(() => {
        clearTimeout(hardStop);
        setTimeout(() => socket.destroy(), 1000).unref();
      });
    });
    this.fail(null);
  }
}
