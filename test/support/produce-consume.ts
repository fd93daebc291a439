/**
 * A spawned Brook broker for the `brook produce` / `brook consume` tests, with Brook's client bound
 * to it for setting topics up and reading what the CLI wrote.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel } from "../../src/client/index.js";
import type { Admin } from "../../src/client/admin/types.js";
import { spawnBroker } from "./broker-process.js";
import { type BrookResult, type RunBrookOptions, runBrook } from "./cli-process.js";

export interface ReadRecord {
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string | null>;
  timestamp: string;
}

export interface PcBroker {
  bootstrap: string;
  kafka: Kafka;
  admin: Admin;
  brook(args: string[], options?: RunBrookOptions): Promise<BrookResult>;
  createTopic(topic: string, partitions?: number): Promise<void>;
  /** Sum of the high watermarks of a topic's partitions. */
  highWatermark(topic: string): Promise<number>;
  /** Every record of the topic (each partition in offset order, partitions in order). */
  readAll(topic: string): Promise<ReadRecord[]>;
  /** Kills the broker process (SIGKILL) without cleaning up: for broker-down tests. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export async function startPcBroker(extraArgs: string[] = []): Promise<PcBroker> {
  const dir = mkdtempSync(join(tmpdir(), "brook-pc-"));
  const broker = await spawnBroker([
    "--port",
    "0",
    "--data-dir",
    join(dir, "data"),
    "--set",
    "group.initial.rebalance.delay.ms=0",
    ...extraArgs,
  ]);
  const bootstrap = `127.0.0.1:${broker.port}`;
  const kafka = new Kafka({ brokers: [bootstrap], clientId: "pc-test", logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const env = { BROOK_CONFIG_DIR: join(dir, "config"), BROOK_BROKERS: "", BROOK_PROFILE: "" };
  const highWatermark = async (topic: string) => {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((n, p) => n + Number(p.high), 0);
  };
  return {
    bootstrap,
    kafka,
    admin,
    brook: (args, options = {}) =>
      runBrook(["-b", bootstrap, ...args], { ...options, env: { ...env, ...options.env } }),
    async createTopic(topic, partitions = 1) {
      await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
    },
    highWatermark,
    async readAll(topic) {
      const offsets = await admin.fetchTopicOffsets(topic);
      const total = offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
      const out: ReadRecord[] = [];
      if (total === 0) return out;
      const consumer = kafka.consumer({ groupId: `pc-read-${Math.random().toString(36).slice(2)}` });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`read ${out.length} of ${total} records`)), 20000);
        void consumer.run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            const headers: Record<string, string | null> = {};
            for (const [k, v] of Object.entries(message.headers ?? {})) {
              headers[k] = v === null || v === undefined ? null : String(v);
            }
            out.push({
              partition,
              offset: message.offset,
              key: message.key === null ? null : message.key.toString(),
              value: message.value === null ? null : message.value.toString(),
              headers,
              timestamp: message.timestamp,
            });
            if (out.length >= total) {
              clearTimeout(timer);
              resolve();
            }
          },
        });
      });
      await consumer.disconnect();
      return out.sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset));
    },
    async kill() {
      await broker.stop("SIGKILL");
    },
    async stop() {
      await admin.disconnect().catch(() => {});
      await broker.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
