/**
 * The lag status beside a broker that `brook start` hosts: a LagMonitor on the broker's own listener
 * (through Brook's client, like any other cluster) and a registry of the status metrics only, which
 * the broker's metrics endpoint serves after its own (it has kafka_exporter's lag metrics already).
 */
import { Registry } from "prom-client";
import { Kafka } from "../client/kafka.js";
import { logLevel } from "../client/logger.js";
import { registerLagStatus } from "./exporter.js";
import { LagMonitor } from "./lag-monitor.js";

export interface HostedLagStatus {
  registry: Registry;
  monitor: LagMonitor;
  stop(): Promise<void>;
}

export async function startHostedLagStatus(opts: {
  /** host:port of the broker's listener. */
  bootstrap: string;
  intervalMs?: number;
  window?: number;
}): Promise<HostedLagStatus> {
  const kafka = new Kafka({
    clientId: "brook-lag-status",
    brokers: [opts.bootstrap],
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const monitor = new LagMonitor({
    admin,
    intervalMs: opts.intervalMs ?? 10_000,
    ...(opts.window !== undefined ? { window: opts.window } : {}),
  });
  const registry = new Registry();
  registerLagStatus(registry, monitor);
  monitor.start();
  return {
    registry,
    monitor,
    async stop() {
      await monitor.stop();
      await admin.disconnect().catch(() => {});
    },
  };
}
