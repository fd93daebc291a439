/**
 * The metrics endpoint: GET /metrics (Prometheus text format) and GET /health, on node:http, bound
 * to the broker's host. One registry per broker (./registry.ts).
 */
import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";
import type { Broker } from "../broker.js";
import { createBrokerRegistry } from "./registry.js";

/** The metrics endpoint could not listen (its port is taken, say); `code` is the listen error's. */
export class MetricsListenError extends Error {
  readonly code: string | undefined;
  constructor(host: string, port: number, cause: Error) {
    super(`metrics endpoint: cannot listen on ${host}:${port}: ${cause.message}`);
    this.name = "MetricsListenError";
    this.code = (cause as NodeJS.ErrnoException).code;
  }
}

export interface MetricsServer {
  readonly host: string;
  readonly port: number;
  /** http://host:port/metrics */
  readonly url: string;
  /** The metrics text, as a scrape would get it. */
  scrape(): Promise<string>;
  /**
   * Serves another registry's metrics after the broker's (its names must not repeat the broker's):
   * how the host adds metrics of things it runs beside the broker, such as the lag status from a
   * monitor on the broker's own listener, without the broker knowing them.
   */
  addRegistry(registry: Registry): void;
  removeRegistry(registry: Registry): void;
  close(): Promise<void>;
}

export async function startMetricsServer(
  broker: Broker,
  opts: { host: string; port: number },
): Promise<MetricsServer> {
  const { registry, detach } = createBrokerRegistry(broker);
  const extras = new Set<Registry>();
  const scrape = async (): Promise<string> => {
    const texts = await Promise.all([registry, ...extras].map((r) => r.metrics()));
    return texts.map((t) => (t.endsWith("\n") || t === "" ? t : `${t}\n`)).join("");
  };
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (path === "/metrics") {
      scrape().then(
        (text) => {
          res.writeHead(200, { "content-type": registry.contentType });
          res.end(req.method === "HEAD" ? undefined : text);
        },
        (e: unknown) => {
          broker.logger.error({ err: e }, "metrics collection failed");
          res.writeHead(500, { "content-type": "text/plain" }).end("metrics collection failed\n");
        },
      );
      return;
    }
    if (path === "/health") {
      const ok = !broker.isShuttingDown;
      res.writeHead(ok ? 200 : 503, { "content-type": "application/json" });
      res.end(JSON.stringify({ status: ok ? "UP" : "SHUTTING_DOWN", nodeId: broker.nodeId }));
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" }).end("not found: try /metrics or /health\n");
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e) => {
      detach();
      reject(new MetricsListenError(opts.host, opts.port, e));
    });
    server.listen(opts.port, opts.host, () => {
      server.removeAllListeners("error");
      server.on("error", (e) => broker.logger.error({ err: e }, "metrics endpoint failed"));
      resolve();
    });
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : opts.port;
  const urlHost = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
  let closing: Promise<void> | undefined;
  return {
    host: opts.host,
    port,
    url: `http://${urlHost}:${port}/metrics`,
    scrape,
    addRegistry: (r) => extras.add(r),
    removeRegistry: (r) => extras.delete(r),
    close() {
      closing ??= new Promise<void>((resolve) => {
        detach();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
