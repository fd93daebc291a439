/**
 * The metrics endpoint: GET /metrics (Prometheus text format) and GET /health, on node:http, bound
 * to the broker's host. One registry per broker (./registry.ts).
 */
import { createServer, type Server } from "node:http";
import type { Broker } from "../broker.js";
import { createBrokerRegistry } from "./registry.js";

export interface MetricsServer {
  readonly host: string;
  readonly port: number;
  /** http://host:port/metrics */
  readonly url: string;
  /** The metrics text, as a scrape would get it. */
  scrape(): Promise<string>;
  close(): Promise<void>;
}

export async function startMetricsServer(
  broker: Broker,
  opts: { host: string; port: number },
): Promise<MetricsServer> {
  const { registry, detach } = createBrokerRegistry(broker);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (path === "/metrics") {
      registry.metrics().then(
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
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
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
    scrape: () => registry.metrics(),
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
