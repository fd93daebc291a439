/**
 * The web console: a JSON API at /api/* (docs/console.md) on Brook's client, and the single-page UI
 * (src/console/ui, built to dist/console/ui) at every other path. Binds 127.0.0.1 unless told
 * otherwise; any other address needs a user and password (basic auth on every route).
 */
import { clusterFor } from "../client/cluster/from-config.js";
import { createReadStream, existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Producer } from "../client/producer/types.js";
import { Kafka } from "../client/kafka.js";
import { logLevel } from "../client/logger.js";
import type { KafkaConfig } from "../client/types.js";
import { registerClusterRoutes } from "./api/cluster.js";
import { registerGroupRoutes } from "./api/groups.js";
import { registerMessageRoutes } from "./api/messages.js";
import { registerTopicRoutes } from "./api/topics.js";
import { type ConsoleCredentials, checkBasicAuth, checkCsrf, checkLoopbackHost, isLoopback } from "./auth.js";
import type { Cluster } from "../client/cluster/index.js";
import type { ConsoleContext, CoordinatorInfo, LagView } from "./context.js";
import { badRequest, errorHandler, HttpError, sendError } from "./errors.js";
import { ClusterSampler } from "./sampler.js";

export interface ConsoleOptions {
  /** Bootstrap brokers (shorthand for `kafka: { brokers }`). */
  brokers?: string[];
  /** Brook client settings (brokers, TLS, SASL, timeouts); wins over `brokers`. */
  kafka?: KafkaConfig;
  /** Address to listen on, default 127.0.0.1. */
  host?: string;
  /** Port, default 8080; 0 = any free port. */
  port?: number;
  /** Basic-auth credentials; required when `host` is not a loopback address. */
  auth?: ConsoleCredentials;
  /** The built UI, default <package root>/dist/console/ui. */
  uiDir?: string;
  /** The lag monitor's sampling period, default 2000 ms. */
  lagIntervalMs?: number;
  /** The cluster rate sampler's period, default 5000 ms. */
  sampleIntervalMs?: number;
  /** A pino-compatible logger for the HTTP server (default: none). */
  logger?: FastifyBaseLogger;
}

export interface ConsoleServer {
  /** http://host:port/ */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** The console could not start: its address is taken or not allowed, or it lacks credentials. */
export class ConsoleStartError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = "ConsoleStartError";
  }
}

/** The folder of Brook's package.json, found from this file (works from src/ under tsx and from dist/). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, "package.json");
    if (existsSync(file)) {
      try {
        if (JSON.parse(readFileSync(file, "utf8")).name === "brook") return dir;
      } catch {
        // not ours; keep walking up
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error("cannot find Brook's package.json above the console's files");
    dir = up;
  }
}

async function startLagMonitor(admin: ConsoleContext["admin"], intervalMs: number): Promise<LagView | null> {
  const { LagMonitor } = await import("../metrics/lag-monitor.js");
  const monitor = new LagMonitor({ admin, intervalMs });
  // Rounds driven here, each one's failure handled, rather than by monitor.start(): a failed round
  // (the cluster down) must never become an unhandled rejection, which ends the process.
  let running = true;
  let timer: NodeJS.Timeout | undefined;
  const loop = () => {
    monitor
      .sample()
      .catch(() => {})
      .finally(() => {
        if (!running) return;
        timer = setTimeout(loop, intervalMs);
        timer.unref();
      });
  };
  loop();
  return {
    group: (id) => monitor.group(id),
    history: (id) => monitor.history(id),
    async stop() {
      running = false;
      clearTimeout(timer);
      await monitor.stop();
    },
  };
}

export async function startConsole(opts: ConsoleOptions): Promise<ConsoleServer> {
  const host = opts.host ?? "127.0.0.1";
  const port = opts.port ?? 8080;
  if (opts.auth && (!opts.auth.user || !opts.auth.password)) {
    throw new ConsoleStartError("console: a user name and a password are both needed for its login");
  }
  if (!isLoopback(host) && !opts.auth) {
    throw new ConsoleStartError(
      `console: refusing to listen on ${host} without a login: anyone who can reach it could change the cluster; give --console-user and --console-password (or BROOK_CONSOLE_USER and BROOK_CONSOLE_PASSWORD), or listen on 127.0.0.1`,
      "NO_LOGIN",
    );
  }
  const config: KafkaConfig = opts.kafka ?? {
    brokers: opts.brokers ?? ["localhost:9092"],
    clientId: "brook-console",
    logLevel: logLevel.NOTHING,
    // A page waiting on the cluster answers soon, with a 502 saying why, rather than after a minute of retries.
    connectionTimeout: 3000,
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
  };
  const brokers = config.brokers;
  const bootstrap = Array.isArray(brokers) ? brokers.join(",") : "(dynamic)";
  const root = packageRoot();
  const version = String(JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version);
  const uiDir = opts.uiDir ?? join(root, "dist", "console", "ui");

  const kafka = new Kafka({ logLevel: logLevel.NOTHING, ...config });
  const admin = kafka.admin();
  await admin.connect();
  let producer: Promise<Producer> | null = null;
  const sampler = new ClusterSampler(admin, opts.sampleIntervalMs ?? 5000);
  const streams = new Set<() => void>();
  // Connected on the first group page; a failed connect is tried again on the next one.
  let lookups: Promise<Cluster> | null = null;
  const lookupCluster = () => {
    lookups ??= (async () => {
      const cluster = clusterFor(config);
      try {
        await cluster.connect();
        return cluster;
      } catch (e) {
        lookups = null;
        await cluster.disconnect().catch(() => {});
        throw e;
      }
    })();
    return lookups;
  };
  const groupCoordinator = async (groupId: string): Promise<CoordinatorInfo> => {
    const cluster = await lookupCluster();
    // Asked afresh: the cached answer would hide a coordinator that moved.
    cluster.forgetCoordinator(groupId, "GROUP");
    const b = await cluster.coordinator(groupId, "GROUP");
    return { nodeId: b.nodeId, host: b.host, port: b.port };
  };
  const ctx: ConsoleContext & { streams: Set<() => void> } = {
    config,
    kafka,
    admin,
    producer() {
      producer ??= (async () => {
        const p = kafka.producer({ allowAutoTopicCreation: false });
        try {
          await p.connect();
          return p;
        } catch (e) {
          producer = null;
          throw e;
        }
      })();
      return producer;
    },
    newCluster: () => clusterFor(config),
    groupCoordinator,
    sampler,
    lag: null,
    bootstrap,
    version,
    streams,
  };

  const app = buildApp(ctx, opts, uiDir);
  let lag: LagView | null = null;
  try {
    await app.listen({ host, port });
  } catch (e) {
    await app.close().catch(() => {});
    await admin.disconnect().catch(() => {});
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConsoleStartError(`console: cannot listen on ${host}:${port}: ${(e as Error).message}`, code);
  }
  sampler.start();
  lag = await startLagMonitor(admin, opts.lagIntervalMs ?? 2000).catch(() => null);
  ctx.lag = lag;
  const address = app.server.address();
  const boundPort = typeof address === "object" && address ? address.port : port;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${boundPort}/`,
    host,
    port: boundPort,
    close() {
      closing ??= (async () => {
        // Open tails first: the HTTP server's close waits for every open response.
        for (const end of [...streams]) end();
        await Promise.all([lag?.stop(), sampler.stop()].map((p) => Promise.resolve(p).catch(() => {})));
        await app.close();
        if (producer) await (await producer.catch(() => null))?.disconnect().catch(() => {});
        if (lookups) await (await lookups.catch(() => null))?.disconnect().catch(() => {});
        await admin.disconnect().catch(() => {});
      })();
      return closing;
    },
  };
}

function buildApp(
  ctx: ConsoleContext & { streams: Set<() => void> },
  opts: ConsoleOptions,
  uiDir: string,
): FastifyInstance {
  const app = Fastify({
    logger: opts.logger ?? false,
    // Keep-alive connections do not hold close() up.
    forceCloseConnections: "idle",
    bodyLimit: 2 * 1024 * 1024,
  });
  app.setErrorHandler(errorHandler);

  // An empty body is an empty object (POST /delete {}); bad JSON is a 400 with the parser's reason.
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === "") return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch (e) {
      done(badRequest(`the request body is not valid JSON: ${(e as Error).message}`), undefined);
    }
  });

  app.addHook("onRequest", async (request, reply) => {
    reply.header("x-content-type-options", "nosniff");
    reply.header("x-frame-options", "DENY");
    reply.header("referrer-policy", "no-referrer");
    if (opts.auth) {
      try {
        checkBasicAuth(request, opts.auth);
      } catch (e) {
        reply.header("www-authenticate", 'Basic realm="Brook console", charset="UTF-8"');
        throw e;
      }
    } else {
      // Without a login the console only listens on loopback (startConsole refuses otherwise).
      checkLoopbackHost(request);
    }
    const path = request.url.split("?")[0]!;
    if (path.startsWith("/api/")) reply.header("cache-control", "no-store");
    if (request.method !== "GET" && request.method !== "HEAD" && request.method !== "OPTIONS") {
      checkCsrf(request);
    }
  });

  registerClusterRoutes(app, ctx);
  registerTopicRoutes(app, ctx);
  registerMessageRoutes(app, ctx, ctx.streams);
  registerGroupRoutes(app, ctx);

  const index = join(uiDir, "index.html");
  const uiBuilt = existsSync(index) && statSync(uiDir).isDirectory();
  if (uiBuilt) {
    app.register(fastifyStatic, { root: uiDir, prefix: "/", wildcard: true, index: "index.html" });
  }
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?")[0]!;
    if (path === "/api" || path.startsWith("/api/")) {
      return sendError(
        reply,
        new HttpError(404, "NOT_FOUND", `no such API endpoint: ${request.method} ${path}`),
      );
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      return sendError(reply, new HttpError(404, "NOT_FOUND", `no such path: ${request.method} ${path}`));
    }
    // The single-page app routes in the browser: any other path is its index.html.
    if (existsSync(index)) {
      return reply.type("text/html; charset=utf-8").send(createReadStream(index));
    }
    return reply
      .code(503)
      .type("text/plain; charset=utf-8")
      .send(
        "The Brook console's UI is not built: run `npm run build` (the JSON API at /api/ works without it).\n",
      );
  });
  return app;
}
