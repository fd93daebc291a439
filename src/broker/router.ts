/**
 * Routes a request frame to the handler registered for its API key. The ApiVersions answer is
 * derived from this registry, so what Brook advertises cannot drift from what it implements.
 */
import { ErrorCode } from "../protocol/error-codes.js";
import { ProtocolError } from "../protocol/errors.js";
import {
  API_VERSIONS_KEY,
  checkVersion,
  decodeRequestBody,
  encodeResponseChunks,
  isFlexible,
  readRequestHeader,
  readRequestHeaderTags,
  type RequestHeader,
} from "../protocol/frame.js";
import { ApiVersions } from "../protocol/messages/api-versions.js";
import { Reader } from "../protocol/primitives/reader.js";
import type { ApiDeclaration, RequestOf, ResponseInput } from "../protocol/schema.js";
import type { Broker } from "./broker.js";
import { CloseConnection, type Connection, type FrameHandler } from "./network/connection.js";

/** Returned by a handler when Kafka sends no response (Produce with acks=0). */
export const NO_RESPONSE = Symbol("no-response");

export interface HandlerContext {
  broker: Broker;
  conn: Connection;
  header: RequestHeader;
  version: number;
}

export interface ApiHandler<A extends ApiDeclaration = ApiDeclaration> {
  readonly api: A;
  /** Highest version served; defaults to the declaration's. */
  readonly maxVersion: number;
  handle(
    ctx: HandlerContext,
    request: RequestOf<A>,
  ): Promise<ResponseInput<A> | typeof NO_RESPONSE> | ResponseInput<A> | typeof NO_RESPONSE;
}

export function defineHandler<A extends ApiDeclaration>(
  api: A,
  handle: ApiHandler<A>["handle"],
  opts: { maxVersion?: number } = {},
): ApiHandler<A> {
  return { api, handle, maxVersion: opts.maxVersion ?? api.maxVersion };
}

export class Router implements FrameHandler {
  private readonly handlers = new Map<number, ApiHandler<any>>();
  /** Which unsupported (api, version) pairs were already logged, so a noisy client logs once. */
  private readonly loggedRejects = new Set<string>();

  constructor(private readonly broker: Broker) {}

  register(...handlers: ApiHandler<any>[]): void {
    for (const h of handlers) this.handlers.set(h.api.key, h);
  }

  /** ApiVersions' list: every registered API with its advertised range. */
  apiVersionRanges(): Array<{ apiKey: number; minVersion: number; maxVersion: number }> {
    return [...this.handlers.values()]
      .sort((a, b) => a.api.key - b.api.key)
      .map((h) => ({ apiKey: h.api.key, minVersion: h.api.advertisedMinVersion, maxVersion: h.maxVersion }));
  }

  private logOnce(key: string, msg: string, conn: Connection): void {
    if (this.loggedRejects.has(key)) return;
    // Bounded: a fuzzing client cannot grow this set without limit.
    if (this.loggedRejects.size >= 1024) this.loggedRejects.clear();
    this.loggedRejects.add(key);
    this.broker.logger.warn({ client: conn.remote, clientId: conn.clientId }, msg);
  }

  async handle(frame: Buffer, conn: Connection): Promise<Buffer[] | null> {
    const r = new Reader(frame);
    let header: RequestHeader;
    try {
      header = readRequestHeader(r);
    } catch (e) {
      throw new CloseConnection(`malformed request header: ${(e as Error).message}`);
    }
    if (header.clientId !== null) conn.clientId = header.clientId;
    const handler = this.handlers.get(header.apiKey);
    if (!handler) {
      this.logOnce(`k${header.apiKey}`, `unsupported api key ${header.apiKey}; closing connection`, conn);
      throw new CloseConnection(`unsupported api key ${header.apiKey}`);
    }
    const api = handler.api as ApiDeclaration;
    const version = header.apiVersion;
    if (version < api.minVersion || version > handler.maxVersion) {
      if (api.key === API_VERSIONS_KEY) {
        // KIP-511: answer an unknown ApiVersions version with a v0 response carrying the error and,
        // as Kafka does, the range of ApiVersions alone (the client retries at its highest version).
        return encodeResponseChunks(ApiVersions, 0, header.correlationId, {
          errorCode: ErrorCode.UNSUPPORTED_VERSION,
          apiKeys: this.apiVersionRanges().filter((k) => k.apiKey === API_VERSIONS_KEY),
        });
      }
      this.logOnce(
        `v${api.key}:${version}`,
        `${api.name} v${version} is not supported (v${api.minVersion}-v${handler.maxVersion}); closing connection`,
        conn,
      );
      throw new CloseConnection(`unsupported version ${api.name} v${version}`);
    }
    let body: RequestOf<typeof api>;
    try {
      checkVersion(api, version);
      if (isFlexible(api, version)) readRequestHeaderTags(r, header);
      body = decodeRequestBody(api, version, r);
    } catch (e) {
      if (e instanceof ProtocolError) {
        this.logOnce(
          `m${api.key}:${version}`,
          `malformed ${api.name} v${version}: ${e.message}; closing connection`,
          conn,
        );
        throw new CloseConnection(`malformed ${api.name} request: ${e.message}`);
      }
      throw e;
    }
    const ctx: HandlerContext = { broker: this.broker, conn, header, version };
    const stats = this.broker.stats;
    stats.countRequest(api.key, api.name);
    const observe = stats.onRequest;
    const started = observe ? performance.now() : 0;
    let response: ResponseInput<typeof api> | typeof NO_RESPONSE;
    try {
      response = await handler.handle(ctx, body);
    } catch (e) {
      if (e instanceof CloseConnection) throw e;
      this.broker.logger.error({ err: e, api: api.name, version }, "request handler failed");
      // A top-level error code lets the client see the failure; without one the connection is closed.
      if (api.response.some((f) => f.name === "errorCode")) {
        response = { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR } as ResponseInput<typeof api>;
      } else {
        throw new CloseConnection(`${api.name} handler failed`);
      }
    }
    if (observe) observe(api.key, api.name, (performance.now() - started) / 1000);
    if (response === NO_RESPONSE) return null;
    return encodeResponseChunks(api, version, header.correlationId, response);
  }
}
