/** `brook start`: a broker in the foreground until SIGTERM/SIGINT, then a graceful stop. */
import { pino } from "pino";
import { startBroker } from "../broker/broker.js";
import { ConfigError } from "../broker/config/config.js";
import { configFromEnv, parseSetOptions, readPropertiesFile } from "../broker/config/sources.js";
import { MetricsListenError } from "../broker/metrics/server.js";
import { parseDuration } from "./common.js";

export interface StartOptions {
  host: string;
  port: number;
  dataDir: string;
  config?: string;
  set: string[];
  advertisedHost?: string;
  logLevel: string;
  /** --metrics-port (default 9644); `metrics` is false with --no-metrics. */
  metricsPort: number;
  metrics: boolean;
  /** --lag-interval: how often the lag status (on /metrics) samples the groups, e.g. "10s". */
  lagInterval?: string;
  /** --console-port (default 8080); `console` is false with --no-console. */
  consolePort?: number;
  console?: boolean;
}

const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];

export async function startCommand(opts: StartOptions): Promise<void> {
  if (!LEVELS.includes(opts.logLevel)) {
    process.stderr.write(
      `brook start: invalid --log-level "${opts.logLevel}": expected one of ${LEVELS.join(", ")}\n`,
    );
    process.exit(2);
  }
  let intervalMs: number;
  try {
    intervalMs = parseDuration("--lag-interval", opts.lagInterval ?? "10s");
    if (intervalMs < 100) throw new Error(`--lag-interval ${opts.lagInterval}: expected at least 100ms`);
  } catch (e) {
    process.stderr.write(`brook start: ${(e as Error).message}\n`);
    process.exit(2);
  }
  const logger = pino({ level: opts.logLevel, base: { pid: process.pid } });
  let broker: Awaited<ReturnType<typeof startBroker>>;
  try {
    const file = opts.config ? readPropertiesFile(opts.config) : {};
    const env = configFromEnv(process.env);
    for (const name of env.unknown) logger.warn(`ignoring environment variable ${name}: not a broker config`);
    const sets = parseSetOptions(opts.set);
    broker = await startBroker({
      host: opts.host,
      port: opts.port,
      dataDir: file["log.dirs"] ?? env.values["log.dirs"] ?? sets["log.dirs"] ?? opts.dataDir,
      ...(opts.advertisedHost ? { advertisedHost: opts.advertisedHost } : {}),
      configLayers: [file, env.values, sets],
      logger,
      ...(opts.metrics !== false ? { metricsPort: opts.metricsPort } : {}),
    });
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`brook start: ${e.message}\n`);
      process.exit(2);
    }
    if (e instanceof MetricsListenError) {
      process.stderr.write(`brook start: ${e.message} (choose one with --metrics-port, or --no-metrics)\n`);
      process.exit(1);
    }
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL") {
      process.stderr.write(
        `brook start: cannot listen on ${opts.host}:${opts.port}: ${(e as Error).message}\n`,
      );
      process.exit(1);
    }
    throw e;
  }
  // Burrow-style lag status on /metrics, from a monitor on the broker's own listener (src/metrics).
  let lagStatus: { stop(): Promise<void> } | undefined;
  if (broker.metrics) {
    try {
      const { startHostedLagStatus } = await import("../metrics/hosted.js");
      const local = opts.host === "0.0.0.0" || opts.host === "::" ? "127.0.0.1" : opts.host;
      const hosted = await startHostedLagStatus({ bootstrap: `${local}:${broker.port}`, intervalMs });
      broker.metrics.addRegistry(hosted.registry);
      lagStatus = hosted;
    } catch (err) {
      logger.warn({ err }, "no lag status on /metrics");
    }
  }
  // The web console (src/console), a client of the broker's own listener like any other.
  let webConsole: { url: string; close(): Promise<void> } | undefined;
  if (opts.console !== false) {
    const { startConsole, ConsoleStartError } = await import("../console/server.js");
    const local = opts.host === "0.0.0.0" || opts.host === "::" ? "127.0.0.1" : opts.host;
    try {
      webConsole = await startConsole({
        brokers: [`${local.includes(":") ? `[${local}]` : local}:${broker.port}`],
        port: opts.consolePort ?? 8080,
      });
    } catch (e) {
      await lagStatus?.stop().catch(() => {});
      await broker.close().catch(() => {});
      const hint = e instanceof ConsoleStartError ? " (choose one with --console-port, or --no-console)" : "";
      process.stderr.write(`brook start: ${(e as Error).message}${hint}\n`);
      process.exit(1);
    }
  }
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    Promise.all([lagStatus?.stop(), webConsole?.close()])
      .catch(() => {})
      .then(() => broker.close())
      .then(
        () => {
          logger.info("stopped cleanly");
          logger.flush?.();
          process.exit(0);
        },
        (err: unknown) => {
          logger.error({ err }, "error while stopping");
          process.exit(1);
        },
      );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  // Signal handlers are in place before the line is printed: a signal right after it stops cleanly.
  const advertised = broker.advertisedHost();
  // One line tests and scripts wait for; keep its wording stable.
  process.stdout.write(
    `brook ${broker.clusterId}: listening on ${opts.host}:${broker.port} (advertised as ${advertised}:${broker.port}), data in ${broker.dataDir}${broker.metrics ? `, metrics on ${broker.metrics.url}` : ""}${webConsole ? `, console on ${webConsole.url}` : ""}\n`,
  );
}
