/**
 * `brook metrics`: kafka_exporter's Prometheus metrics and Burrow-style lag statuses for any Kafka
 * cluster (Brook, Apache Kafka, Redpanda, MSK), served at /metrics until SIGINT/SIGTERM.
 */
import type { Command } from "commander";
import { action, contextOf, intOption, parseDuration } from "../common.js";
import { CliError, UsageError } from "../errors.js";

interface MetricsOptions {
  port: number;
  host: string;
  interval: string;
  window: number;
  timeout: string;
  group?: string;
}

export function registerMetrics(program: Command): void {
  program
    .command("metrics")
    .description("serve Prometheus metrics of a cluster: kafka_exporter's names, and lag statuses")
    .option("--port <port>", "port to listen on (0 = any free port)", intOption("--port"), 9308)
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--interval <duration>", "how often the cluster is sampled", "10s")
    .option(
      "--window <samples>",
      "samples per partition the lag status judges",
      intOption("--window", { min: 1 }),
      10,
    )
    .option("--timeout <duration>", "longest a scrape waits for the cluster", "10s")
    .option("--group <regex>", "only consumer groups whose id matches")
    .addHelpText(
      "after",
      `
Examples:
  brook metrics                                  (the cluster at localhost:9092, metrics on :9308)
  brook metrics -b kafka1:9092 --port 9308 --interval 30s
Prometheus: scrape http://<host>:<port>/metrics; /health answers 200 while the cluster answers.`,
    )
    .action(action(serve));
}

async function serve(opts: MetricsOptions, cmd: Command): Promise<void> {
  if (opts.port > 65535) throw new UsageError(`--port ${opts.port}: expected a port from 0 to 65535`);
  const intervalMs = parseDuration("--interval", opts.interval);
  if (intervalMs < 100) throw new UsageError(`--interval ${opts.interval}: expected at least 100ms`);
  const timeoutMs = parseDuration("--timeout", opts.timeout);
  if (timeoutMs < 100) throw new UsageError(`--timeout ${opts.timeout}: expected at least 100ms`);
  let groupFilter: RegExp | undefined;
  if (opts.group !== undefined) {
    try {
      groupFilter = new RegExp(opts.group);
    } catch (e) {
      throw new UsageError(`--group ${opts.group}: not a regular expression (${(e as Error).message})`);
    }
  }

  // Loaded on use: prom-client is not needed by the other commands.
  const { createKafkaExporter } = await import("../../metrics/exporter.js");
  const { ExporterListenError, serveExporter } = await import("../../metrics/server.js");
  const ctx = contextOf(cmd);
  const admin = ctx.kafka.admin();
  await admin.connect();
  const exporter = createKafkaExporter({
    admin,
    intervalMs,
    window: opts.window,
    timeoutMs,
    ...(groupFilter ? { groups: (g: string) => groupFilter.test(g) } : {}),
  });
  try {
    // The first round before the port opens: a cluster that cannot be reached is one error line.
    await exporter.monitor.sample();
    let server: Awaited<ReturnType<typeof serveExporter>>;
    try {
      server = await serveExporter(exporter, { host: opts.host, port: opts.port });
    } catch (e) {
      if (e instanceof ExporterListenError) throw new CliError(`${e.message} (choose one with --port)`);
      throw e;
    }
    exporter.start();
    let stop: () => void = () => {};
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    // One line tests and scripts wait for; keep its wording stable.
    process.stdout.write(`metrics on ${server.url}\n`);
    await stopped;
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    await server.close();
  } finally {
    await exporter.stop();
    await admin.disconnect().catch(() => {});
  }
}
