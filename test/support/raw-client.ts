/**
 * A minimal Kafka connection for tests: Brook's codec over a socket, one request at a time or
 * pipelined. Used to drive the broker with exact requests (versions, malformed frames) that real
 * clients would never send.
 */
import { connect, type Socket } from "node:net";
import { decodeResponse, encodeRequest } from "../../src/protocol/frame.js";
import type { ApiDeclaration, RequestInput, ResponseOf } from "../../src/protocol/schema.js";

export class RawClient {
  private buf: Buffer = Buffer.alloc(0);
  private readonly waiters: Array<{ resolve: (b: Buffer) => void; reject: (e: Error) => void }> = [];
  private nextCorrelation = 1;
  private closedError: Error | null = null;
  private readonly closeWaiters: Array<() => void> = [];

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
      while (this.buf.length >= 4) {
        const size = this.buf.readInt32BE(0);
        if (this.buf.length < 4 + size) break;
        const frame = this.buf.subarray(4, 4 + size);
        this.buf = this.buf.subarray(4 + size);
        this.waiters.shift()?.resolve(frame);
      }
    });
    const fail = (e: Error) => {
      this.closedError = e;
      for (const w of this.waiters.splice(0)) w.reject(e);
      for (const c of this.closeWaiters.splice(0)) c();
    };
    socket.on("error", fail);
    socket.on("close", () => fail(new Error("connection closed")));
  }

  static connect(port: number, host = "127.0.0.1"): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host }, () => {
        s.off("error", reject);
        resolve(new RawClient(s));
      });
      s.once("error", reject);
    });
  }

  /** Resolves when the broker closes the connection (or after `ms`, with false). */
  closed(ms = 5000): Promise<boolean> {
    if (this.closedError) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), ms);
      this.closeWaiters.push(() => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }

  /** Sends raw bytes and resolves with the next response frame (without size prefix). */
  sendRaw(bytes: Buffer, expectResponse = true): Promise<Buffer> {
    if (this.closedError) return Promise.reject(this.closedError);
    const p = expectResponse
      ? new Promise<Buffer>((resolve, reject) => this.waiters.push({ resolve, reject }))
      : Promise.resolve(Buffer.alloc(0));
    this.socket.write(bytes);
    return p;
  }

  async request<A extends ApiDeclaration>(
    api: A,
    version: number,
    body: RequestInput<A>,
    clientId: string | null = "raw-test",
  ): Promise<ResponseOf<A>> {
    const correlationId = this.nextCorrelation++;
    const frame = await this.sendRaw(encodeRequest(api, version, correlationId, clientId, body));
    const res = decodeResponse(api, version, frame);
    if (res.correlationId !== correlationId) {
      throw new Error(`correlation id ${res.correlationId} != ${correlationId}`);
    }
    return res.body;
  }

  close(): void {
    this.socket.destroy();
  }
}
