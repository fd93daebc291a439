/** What the metrics tests share: the Prometheus text format read back, waits, and a real Prometheus. */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrookConsumerConfig, Consumer, Kafka } from "../../src/client/index.js";

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format's samples. */
export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    assert.ok(m, `unparseable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

export function pick(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
}

export function one(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = pick(samples, name, labels);
  assert.equal(found.length, 1, `${name}${JSON.stringify(labels)}: ${found.length} samples`);
  return found[0]!.value;
}

export async function until<T>(
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  ms: number,
  what: string,
): Promise<T> {
  const deadline = performance.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface StuckConsumerOptions {
  groupId: string;
  topic: string;
  partitions: number;
  /** Records 0..stopAt-1 of each partition are committed one by one; the member then hangs on the next. */
  stopAt: number;
  /** Extra consumer settings (groupId and maxWaitTimeInMs 100 are set). */
  config?: Omit<BrookConsumerConfig, "groupId">;
  /** A pause before each commit (a slow consumer). */
  pauseMs?: number;
  waitMs: number;
  what: string;
}

/**
 * A live group member that commits each record, one at a time, up to `stopAt` per partition and then
 * hangs in eachMessage until release(). `consumer` exists at once (disconnect it in an after hook
 * even when start() failed); start() resolves when every partition reached its stopping point.
 */
export function stuckConsumer(
  kafka: Kafka,
  opts: StuckConsumerOptions,
): { consumer: Consumer; release: () => void; start(): Promise<void> } {
  const consumer = kafka.consumer({ ...opts.config, groupId: opts.groupId, maxWaitTimeInMs: 100 });
  let release: () => void = () => {};
  const stuck = new Promise<void>((r) => {
    release = r;
  });
  return {
    consumer,
    release: () => release(),
    async start() {
      await consumer.connect();
      await consumer.subscribe({ topics: [opts.topic], fromBeginning: true });
      const done = new Set<number>();
      await consumer.run({
        autoCommit: false,
        partitionsConsumedConcurrently: opts.partitions,
        eachMessage: async ({ partition, message }) => {
          const next = Number(message.offset) + 1;
          if (next > opts.stopAt) {
            done.add(partition);
            await stuck;
            return;
          }
          if (opts.pauseMs) await new Promise((r) => setTimeout(r, opts.pauseMs));
          await consumer.commitOffsets([{ topic: opts.topic, partition, offset: String(next) }]);
        },
      });
      await until(() => done.size === opts.partitions, opts.waitMs, opts.what);
    },
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export const hasPrometheus = spawnSync("prometheus", ["--version"], { stdio: "ignore" }).status === 0;

export interface PromResult {
  metric: Record<string, string>;
  value: [number, string];
}

/** A real Prometheus (Debian package `prometheus`) on an ephemeral port, scraping `jobs` every second. */
export class Prometheus {
  private log = "";
  private constructor(
    private readonly proc: ChildProcess,
    private readonly dir: string,
    readonly port: number,
  ) {
    proc.stderr!.on("data", (d: Buffer) => {
      this.log = (this.log + d.toString()).slice(-4000);
    });
  }

  static async start(jobs: Record<string, string>): Promise<Prometheus> {
    const dir = mkdtempSync(join(tmpdir(), "brook-prometheus-"));
    const config = [
      "global:",
      "  scrape_interval: 1s",
      "  evaluation_interval: 1s",
      "scrape_configs:",
      ...Object.entries(jobs).flatMap(([job, target]) => [
        `  - job_name: ${job}`,
        "    scrape_interval: 1s",
        "    static_configs:",
        `      - targets: ["${target}"]`,
      ]),
      "",
    ].join("\n");
    writeFileSync(join(dir, "prometheus.yml"), config);
    const port = await freePort();
    const proc = spawn(
      "prometheus",
      [
        `--config.file=${join(dir, "prometheus.yml")}`,
        `--storage.tsdb.path=${join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    return new Prometheus(proc, dir, port);
  }

  tail(): string {
    return this.log.slice(-800);
  }

  /** An instant query's result (throws on a PromQL error; [] when it has no data). */
  async query(promql: string): Promise<PromResult[]> {
    if (this.proc.exitCode !== null)
      throw new Error(`prometheus exited ${this.proc.exitCode}: ${this.tail()}`);
    const url = `http://127.0.0.1:${this.port}/api/v1/query?query=${encodeURIComponent(promql)}`;
    let answer: { status: string; error?: string; data?: { resultType: string; result: PromResult[] } };
    try {
      answer = (await (await fetch(url)).json()) as typeof answer;
    } catch {
      return []; // not up yet
    }
    if (answer.status !== "success") throw new Error(`PromQL ${promql}: ${answer.error}`);
    return answer.data!.result;
  }

  /** Waits until every target of the jobs is up. */
  async targetsUp(jobs: string[], ms: number): Promise<void> {
    await until(
      async () => {
        for (const job of jobs) {
          const r = await this.query(`up{job="${job}"}`);
          if (r.length === 0 || r.some((s) => s.value[1] !== "1")) return false;
        }
        return true;
      },
      ms,
      `Prometheus to scrape ${jobs.join(", ")} (log: ${this.tail()})`,
    );
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode === null) {
      const exited = new Promise((r) => this.proc.once("exit", r));
      this.proc.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (this.proc.exitCode === null) this.proc.kill("SIGKILL");
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
