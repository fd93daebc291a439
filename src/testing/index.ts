/**
 * brook/testing: an in-process broker for test suites. Binds an ephemeral port on 127.0.0.1 and
 * keeps its data in a fresh temporary directory that `close()` removes.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { type Broker, startBroker } from "../broker/broker.js";

export interface TestBroker {
  broker: Broker;
  port: number;
  /** `127.0.0.1:<port>`, ready for a client's `brokers` list. */
  bootstrap: string;
  dataDir: string;
  close(): Promise<void>;
}

export async function startTestBroker(
  opts: {
    configs?: Record<string, string>;
    dataDir?: string;
    keepData?: boolean;
    logLevel?: string;
    /** Serve Prometheus metrics on this port (0 = any free port); off unless given. */
    metricsPort?: number;
  } = {},
): Promise<TestBroker> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), "brook-test-"));
  const broker = await startBroker({
    host: "127.0.0.1",
    port: 0,
    dataDir,
    advertisedHost: "127.0.0.1",
    configLayers: [{ "group.initial.rebalance.delay.ms": "0", ...opts.configs }],
    logger: pino({ level: opts.logLevel ?? process.env.BROOK_LOG_LEVEL ?? "error" }),
    metricsPort: opts.metricsPort,
  });
  return {
    broker,
    port: broker.port,
    bootstrap: `127.0.0.1:${broker.port}`,
    dataDir,
    async close() {
      await broker.close();
      if (!opts.keepData && !opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export { startBroker };
