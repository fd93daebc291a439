/**
 * The HTTP endpoint of `brook metrics`: GET /metrics (Prometheus text format) and GET /health, on
 * node:http (two routes need no framework). A scrape that fails answers 500 with one line.
 */
import { createServer, type Server } from "node:http";
import type { KafkaExporter } from "./exporter.js";

export interface ExporterServer {
  readonly host: string;
  readonly port: number;
  /** http://host:port/metrics */
  readonly url: string;
  close(): Promise<void>;
}

/** The endpoint could not listen (its port is taken, say). */
export class ExporterListenError extends Error {
  readonly code: string | undefined;
  constructor(host: string, port: number, cause: Error) {
    super(`cannot listen on ${host}:${port}: ${cause.message}`);
    this.name = "ExporterListenError";
    this.code = (cause as NodeJS.ErrnoException).code;
  }
}

export async function serveExporter(
  exporter: KafkaExporter,
  opts: { host: string; port: number; onError?: (e: unknown) => void },
): Promise<ExporterServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (path === "/metrics") {
      exporter.metrics().then(
        (text) => {
          res.writeHead(200, { "content-type": exporter.registry.contentType });
          res.end(req.method === "HEAD" ? undefined : text);
        },
        (e: unknown) => {
          opts.onError?.(e);
          const reason = e instanceof Error ? e.message : String(e);
          res.writeHead(500, { "content-type": "text/plain" }).end(`metrics collection failed: ${reason}\n`);
        },
      );
      return;
    }
    if (path === "/health") {
      // Healthy while the last round reached the cluster.
      const error = exporter.monitor.error();
      const at = exporter.monitor.cluster()?.at;
      res.writeHead(error ? 503 : 200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          status: error ? "DOWN" : "UP",
          lastSample: at === undefined ? null : new Date(at).toISOString(),
          ...(error ? { error: error.message } : {}),
        }),
      );
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" }).end("not found: try /metrics or /health\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e) => reject(new ExporterListenError(opts.host, opts.port, e)));
    server.listen(opts.port, opts.host, () => {
      server.removeAllListeners("error");
      server.on("error", (e) => opts.onError?.(e));
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
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
