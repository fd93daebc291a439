/** Running librdkafka's rdkafka_performance (the standard Kafka load generator) and reading its summary. */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import type { BenchContext } from "./harness.js";
import { PeerUnavailable, rdkafkaPerformance } from "./peers.js";

/** The rdkafka_performance binary, or null after recording why it is unavailable. */
export async function rdkafkaPerformanceOrNote(ctx: BenchContext): Promise<string | null> {
  try {
    return (await rdkafkaPerformance((m) => ctx.progress(m))).path;
  } catch (e) {
    if (!(e instanceof PeerUnavailable)) throw e;
    ctx.record({ name: "rdkafka_performance", value: 0, unit: "n/a", notes: e.message });
    return null;
  }
}

export function run(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${cmd} failed: ${err.message}\n${stderr}`)) : resolve(`${stdout}\n${stderr}`),
    );
  });
}

/** The final summary line of rdkafka_performance: "... N msgs/s and X MB/s". */
export function parsePerf(out: string): { msgsPerSec: number; mbPerSec: number } {
  const lines = out.split("\n").filter((l) => /msgs\/s/.test(l));
  const last = lines[lines.length - 1] ?? "";
  const m = /(\d+) msgs\/s and ([\d.]+) MB\/s/.exec(last) ?? /(\d+) msgs\/s \(([\d.]+) MB\/s\)/.exec(last);
  if (!m) throw new Error(`cannot parse rdkafka_performance output: ${last || out.slice(-500)}`);
  return { msgsPerSec: Number(m[1]), mbPerSec: Number(m[2]) };
}

/** Runs rdkafka_performance as a producer of `count` records of `size` bytes to partition 0. */
export function perfProduce(
  perf: string,
  bootstrap: string,
  topic: string,
  size: number,
  count: number,
  extra: string[],
  timeoutMs = 300_000,
): Promise<string> {
  const args = [
    "-P",
    "-t",
    topic,
    "-b",
    bootstrap,
    "-p",
    "0",
    "-s",
    String(size),
    "-c",
    String(count),
    ...extra,
  ];
  return run(perf, args, timeoutMs);
}

export interface ProducersResult {
  /** Records acknowledged across all processes. */
  delivered: number;
  /** Seconds from the first spawn to the last exit. */
  seconds: number;
  mbPerSec: number;
  recordsPerSec: number;
  /** True when the time cap stopped the processes before every record was acknowledged. */
  capped: boolean;
  /** Delivery failures reported by the processes. */
  failed: number;
}

/** "% N messages produced (B bytes), D delivered (offset O, F failed) in T ms: ..." — the last one. */
export function parseDelivered(out: string): { delivered: number; failed: number } | null {
  const re = /(\d+) delivered \(offset -?\d+, (\d+) failed\)/g;
  let last: RegExpExecArray | null = null;
  for (let m = re.exec(out); m; m = re.exec(out)) last = m;
  return last ? { delivered: Number(last[1]), failed: Number(last[2]) } : null;
}

/**
 * `producers` concurrent rdkafka_performance processes, process i producing `count / producers`
 * records of `size` bytes to partition i of `topic`. Throughput is every acknowledged byte over the
 * wall time from the first spawn to the last exit (process start and connection set-up included:
 * a few tens of ms against runs of seconds). After `capMs` the processes get SIGINT (they stop
 * producing and print what was delivered), then SIGKILL 15 s later.
 */
export async function perfProducers(
  perf: string,
  o: {
    bootstrap: string;
    topic: string;
    producers: number;
    size: number;
    count: number;
    extra: string[];
    capMs: number;
  },
): Promise<ProducersResult> {
  const per = Math.max(1, Math.floor(o.count / o.producers));
  const t0 = performance.now();
  let capped = false;
  const outs: string[] = [];
  const children: ChildProcess[] = [];
  const exits = Array.from({ length: o.producers }, (_, i) => {
    const child = spawn(
      perf,
      [
        "-P",
        "-t",
        o.topic,
        "-b",
        o.bootstrap,
        "-p",
        String(i),
        "-s",
        String(o.size),
        "-c",
        String(per),
        ...o.extra,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    children.push(child);
    let out = "";
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    return new Promise<void>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (code, signal) => {
        outs[i] = out;
        if (code === 0 || capped) resolve();
        else reject(new Error(`rdkafka_performance #${i} exited with ${code ?? signal}: ${out.slice(-500)}`));
      });
    });
  });
  const alive = () => children.filter((c) => c.exitCode === null && c.signalCode === null);
  const cap = setTimeout(() => {
    capped = true;
    for (const c of alive()) c.kill("SIGINT");
  }, o.capMs);
  const hardCap = setTimeout(() => {
    for (const c of alive()) c.kill("SIGKILL");
  }, o.capMs + 15_000);
  try {
    await Promise.all(exits);
  } finally {
    clearTimeout(cap);
    clearTimeout(hardCap);
    for (const c of alive()) c.kill("SIGKILL");
  }
  const seconds = (performance.now() - t0) / 1000;
  let delivered = 0;
  let failed = 0;
  for (const out of outs) {
    const d = parseDelivered(out ?? "");
    if (!d) throw new Error(`cannot parse rdkafka_performance output: ${(out ?? "").slice(-500)}`);
    delivered += d.delivered;
    failed += d.failed;
  }
  return {
    delivered,
    seconds,
    mbPerSec: (delivered * o.size) / seconds / 1e6,
    recordsPerSec: delivered / seconds,
    capped,
    failed,
  };
}
