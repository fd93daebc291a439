/**
 * One broker as the client sees it: a connection, the API versions negotiated with it (the newest
 * version both Brook's codec and the broker support), SASL authentication and KIP-368
 * re-authentication. Reconnects lazily: a request after the connection dropped opens a new one.
 */
import type tls from "node:tls";
import { decodeResponse } from "../../protocol/frame.js";
import { ApiVersions, SaslAuthenticate, SaslHandshake } from "../../protocol/messages/index.js";
import type { ApiDeclaration, RequestInput, ResponseOf } from "../../protocol/schema.js";
import {
  KafkaJSConnectionError,
  KafkaJSNonRetriableError,
  KafkaJSSASLAuthenticationError,
  KafkaJSServerDoesNotSupportApiKey,
  protocolError,
} from "../errors.js";
import type { Logger } from "../logger.js";
import { Connection, type EventSink, type NetworkEvents } from "../network/connection.js";
import { authenticationProviderFor, type SaslConfig } from "../network/sasl.js";
import type { ISocketFactory } from "../network/socket.js";

export const CLIENT_SOFTWARE_NAME = "brook";
export const CLIENT_SOFTWARE_VERSION = "0.1.0";

const UNSUPPORTED_VERSION = 35;

export interface BrokerOptions {
  nodeId: number;
  host: string;
  port: number;
  rack?: string | null;
  clientId: string;
  ssl?: tls.ConnectionOptions | boolean;
  sasl?: SaslConfig;
  connectionTimeout: number;
  authenticationTimeout: number;
  reauthenticationThreshold: number;
  requestTimeout: number;
  enforceRequestTimeout: boolean;
  socketFactory?: ISocketFactory;
  logger: Logger;
  maxInFlightRequests: number | null;
  instrumentation?: { emitter: EventSink; events: NetworkEvents } | undefined;
}

export interface BrokerRequestOptions {
  /** A specific version instead of the negotiated one. */
  version?: number;
  timeout?: number;
  /** False for Produce with acks=0. */
  expectResponse?: boolean;
}

export class Broker {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
  private readonly opts: BrokerOptions;
  private readonly logger: Logger;
  private conn: Connection | null = null;
  private connecting: Promise<void> | null = null;
  private versions: Map<number, { min: number; max: number }> | null = null;
  private reauthAt = 0;
  private reauthenticating: Promise<void> | null = null;
  private closed = false;

  constructor(opts: BrokerOptions) {
    this.opts = opts;
    this.nodeId = opts.nodeId;
    this.host = opts.host;
    this.port = opts.port;
    this.rack = opts.rack ?? null;
    this.logger = opts.logger.namespace("Broker");
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  isConnected(): boolean {
    return this.conn?.isConnected === true && this.versions !== null && this.connecting === null;
  }

  /** Connects, negotiates versions and authenticates; concurrent callers share one attempt. */
  connect(): Promise<void> {
    if (this.isConnected()) return Promise.resolve();
    if (!this.connecting) {
      this.closed = false;
      this.connecting = this.doConnect().finally(() => {
        this.connecting = null;
      });
    }
    return this.connecting;
  }

  private async doConnect(): Promise<void> {
    const conn = new Connection({
      host: this.host,
      port: this.port,
      clientId: this.opts.clientId,
      ssl: this.opts.ssl,
      connectionTimeout: this.opts.connectionTimeout,
      requestTimeout: this.opts.requestTimeout,
      enforceRequestTimeout: this.opts.enforceRequestTimeout,
      socketFactory: this.opts.socketFactory,
      logger: this.logger,
      maxInFlightRequests: this.opts.maxInFlightRequests,
      instrumentation: this.opts.instrumentation,
      onClose: (e) => {
        if (e) this.logger.debug("Connection closed", { broker: this.address, error: e.message });
      },
    });
    this.conn = conn;
    try {
      await conn.connect();
      this.versions = await this.negotiateVersions(conn);
      if (this.opts.sasl) await this.authenticate(conn);
    } catch (e) {
      await conn.close().catch(() => {});
      if (this.conn === conn) this.conn = null;
      throw e;
    }
  }

  /**
   * ApiVersions at the newest version Brook knows; a broker that does not know it answers in v0
   * format with UNSUPPORTED_VERSION and its own range, and the request is repeated at that version.
   */
  private async negotiateVersions(conn: Connection): Promise<Map<number, { min: number; max: number }>> {
    let version = ApiVersions.maxVersion;
    for (let attempt = 0; attempt < 3; attempt++) {
      const frame = await conn.requestRaw(ApiVersions, version, {
        clientSoftwareName: CLIENT_SOFTWARE_NAME,
        clientSoftwareVersion: CLIENT_SOFTWARE_VERSION,
      });
      const errorCode = frame.length >= 6 ? frame.readInt16BE(4) : -1;
      if (errorCode === UNSUPPORTED_VERSION) {
        const body = decodeResponse(ApiVersions, 0, frame).body;
        const own = body.apiKeys.find((k) => k.apiKey === ApiVersions.key);
        const next = own ? Math.min(own.maxVersion, ApiVersions.maxVersion) : 0;
        if (next >= version) break;
        version = next;
        continue;
      }
      const body = decodeResponse(ApiVersions, version, frame).body;
      if (body.errorCode !== 0) throw protocolError(body.errorCode);
      const map = new Map<number, { min: number; max: number }>();
      for (const k of body.apiKeys) map.set(k.apiKey, { min: k.minVersion, max: k.maxVersion });
      return map;
    }
    throw new KafkaJSNonRetriableError("API Versions not supported");
  }

  private async authenticate(conn: Connection): Promise<void> {
    const sasl = this.opts.sasl!;
    const mechanism = String(sasl.mechanism).toUpperCase();
    const timeout = this.opts.authenticationTimeout;
    const started = Date.now();
    const work = async () => {
      const hsVersion = this.pick(SaslHandshake, 1);
      const hs = await conn.request(SaslHandshake, hsVersion, { mechanism });
      // An error code (UNSUPPORTED_SASL_MECHANISM) is a protocol error, as KafkaJS reports it; a
      // handshake that succeeds without listing the mechanism is an authentication error.
      if (hs.errorCode !== 0) throw protocolError(hs.errorCode);
      if (!hs.mechanisms.map((m) => m.toUpperCase()).includes(mechanism)) {
        throw new KafkaJSSASLAuthenticationError(
          `SASL ${mechanism} mechanism is not supported by the server`,
        );
      }
      const authVersion = this.pick(SaslAuthenticate, 2);
      let lifetime = 0n;
      const saslAuthenticate = async <R>(args: {
        request: { encode: () => Buffer | Promise<Buffer> };
        response?: { decode: (b: Buffer) => Buffer | Promise<Buffer>; parse: (d: Buffer) => R };
      }): Promise<R | undefined> => {
        const authBytes = await args.request.encode();
        const res = await conn.request(SaslAuthenticate, authVersion, { authBytes });
        if (res.errorCode !== 0) {
          throw new KafkaJSSASLAuthenticationError(
            `SASL ${mechanism} authentication failed: ${res.errorMessage ?? protocolError(res.errorCode).message}`,
          );
        }
        lifetime = res.sessionLifetimeMs ?? 0n;
        if (!args.response) return undefined;
        return args.response.parse(await args.response.decode(res.authBytes));
      };
      const provider = authenticationProviderFor(sasl);
      await provider({
        host: this.host,
        port: this.port,
        logger: this.logger.namespace(`SaslAuthenticator-${mechanism}`),
        saslAuthenticate: saslAuthenticate as never,
      }).authenticate();
      // KIP-368: a broker with connections.max.reauth.ms closes the session at its end, so
      // re-authenticate reauthenticationThreshold ms before that. Kafka refuses a re-authentication
      // less than a second after the previous one, and a threshold longer than the session would
      // ask for one before every request, so the wait is kept within [1 s, 85% of the lifetime].
      if (lifetime > 0n) {
        const ms = Number(lifetime);
        const wait = Math.max(ms - this.opts.reauthenticationThreshold, Math.min(1000, ms * 0.85), 0);
        this.reauthAt = started + (wait >= ms ? ms * 0.85 : wait);
      } else this.reauthAt = 0;
    };
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        work(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new KafkaJSSASLAuthenticationError(`SASL ${mechanism} authentication timed out`)),
            timeout,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
    this.logger.debug(`SASL ${mechanism} authentication successful`, { broker: this.address });
  }

  private pick(api: ApiDeclaration, preferred: number): number {
    const range = this.versions?.get(api.key);
    if (!range) return Math.min(preferred, api.maxVersion);
    return Math.min(preferred, range.max, api.maxVersion);
  }

  /** Newest version both sides support. */
  versionOf(api: ApiDeclaration): number {
    const range = this.versions?.get(api.key);
    if (!range) {
      if (!this.versions) throw new KafkaJSConnectionError("Not connected", { broker: this.address });
      throw new KafkaJSServerDoesNotSupportApiKey(
        `The Kafka server does not support the requested API version`,
        {
          apiKey: api.key,
          apiName: api.name,
        },
      );
    }
    const max = Math.min(range.max, api.maxVersion);
    const min = Math.max(range.min, api.minVersion);
    if (max < min)
      throw new KafkaJSServerDoesNotSupportApiKey(
        `The Kafka server does not support the requested API version (${api.name} ${range.min}-${range.max}; client ${api.minVersion}-${api.maxVersion})`,
        { apiKey: api.key, apiName: api.name },
      );
    return max;
  }

  supports(api: ApiDeclaration): boolean {
    try {
      this.versionOf(api);
      return true;
    } catch {
      return false;
    }
  }

  async request<A extends ApiDeclaration>(
    api: A,
    body: RequestInput<A>,
    opts: BrokerRequestOptions = {},
  ): Promise<ResponseOf<A>> {
    if (this.closed) throw new KafkaJSConnectionError("Broker disconnected", { broker: this.address });
    if (!this.isConnected()) await this.connect();
    if (this.reauthAt !== 0 && Date.now() >= this.reauthAt) await this.reauthenticate();
    const conn = this.conn;
    if (!conn) throw new KafkaJSConnectionError("Not connected", { broker: this.address });
    const version = opts.version ?? this.versionOf(api);
    return conn.request(api, version, body, { timeout: opts.timeout, expectResponse: opts.expectResponse });
  }

  private reauthenticate(): Promise<void> {
    if (!this.reauthenticating) {
      const conn = this.conn!;
      this.reauthenticating = this.authenticate(conn).finally(() => {
        this.reauthenticating = null;
      });
    }
    return this.reauthenticating;
  }

  async disconnect(): Promise<void> {
    this.closed = true;
    const conn = this.conn;
    this.conn = null;
    this.versions = null;
    await this.connecting?.catch(() => {});
    await conn?.close();
  }
}
