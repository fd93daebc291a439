/** Running librdkafka's rdkafka_performance (the standard Kafka load generator) and reading its summary. */
import { execFile } from "node:child_process";
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
