/**
 * Timing helpers. `measureThroughput` runs a function repeatedly after a warm-up, in several
 * timed samples, and reports the median sample's rate (ops/s, MB/s) and the spread between samples.
 * It yields to the event loop between short bursts, so progress and heartbeat lines keep flowing and
 * async functions (Promises) are awaited one at a time.
 *
 * MB = 10^6 bytes, GB = 10^9 bytes throughout the benchmarks.
 */
import type { BenchContext } from "./harness.js";

export interface ThroughputOptions {
  /** Bytes processed per call, for MB/s. */
  bytesPerOp?: number;
  /** Timed duration in ms (split across samples). Default 3000, or 600 in quick mode. */
  durationMs?: number;
  /** Warm-up duration in ms (JIT, caches). Default 500, or 150 in quick mode. */
  warmupMs?: number;
  /** Number of timed samples; the median is reported. Default 5 (3 in quick mode). */
  samples?: number;
  /** Instead of a duration: exactly this many timed calls per sample. */
  iterations?: number;
  /** Quick mode defaults apply (taken from ctx when a ctx is given). */
  quick?: boolean;
}

export interface ThroughputResult {
  label: string;
  /** Median sample. */
  opsPerSec: number;
  mbPerSec: number;
  gbPerSec: number;
  nsPerOp: number;
  /** ops/s of each sample. */
  samples: number[];
  /** (max - min) / median of the samples, in percent. */
  spreadPct: number;
  totalOps: number;
  seconds: number;
}

const now = () => process.hrtime.bigint();
const yieldLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

type Fn = () => unknown;

/** Runs fn until `ms` elapsed (or `iterations` calls); returns [ops, seconds]. */
async function runFor(fn: Fn, isAsync: boolean, ms: number, iterations?: number): Promise<[number, number]> {
  const start = now();
  const deadline = start + BigInt(Math.round(ms * 1e6));
  let ops = 0;
  let burst = 1;
  for (;;) {
    const burstStart = now();
    const n = iterations !== undefined ? Math.min(burst, iterations - ops) : burst;
    if (isAsync) for (let i = 0; i < n; i++) await fn();
    else for (let i = 0; i < n; i++) fn();
    ops += n;
    const t = now();
    if (iterations !== undefined ? ops >= iterations : t >= deadline) {
      return [ops, Number(t - start) / 1e9];
    }
    // Aim for bursts of ~20 ms between yields to the event loop.
    const burstNs = Number(t - burstStart);
    if (burstNs < 10e6) burst *= 2;
    else if (burstNs > 40e6 && burst > 1) burst = Math.max(1, Math.floor(burst / 2));
    await yieldLoop();
  }
}

/**
 * Measures a function's throughput. With a ctx, prints a line when it starts and when it ends.
 * The function may be sync or async (decided by whether its first call returns a Promise).
 */
export async function measureThroughput(
  ctx: Pick<BenchContext, "progress" | "quick"> | null,
  label: string,
  fn: Fn,
  opts: ThroughputOptions = {},
): Promise<ThroughputResult> {
  const quick = opts.quick ?? ctx?.quick ?? false;
  const durationMs = opts.durationMs ?? (quick ? 600 : 3000);
  const warmupMs = opts.warmupMs ?? (quick ? 150 : 500);
  const nSamples = Math.max(1, opts.samples ?? (quick ? 3 : 5));
  const t0 = Date.now();
  ctx?.progress(
    `▶ ${label} (${opts.iterations ? `${nSamples}×${opts.iterations} calls` : `${durationMs} ms`})`,
  );

  const first = fn();
  const isAsync = first instanceof Promise;
  if (isAsync) await first;
  await runFor(fn, isAsync, warmupMs);

  const rates: number[] = [];
  let totalOps = 0;
  let seconds = 0;
  for (let s = 0; s < nSamples; s++) {
    const [ops, secs] = await runFor(fn, isAsync, durationMs / nSamples, opts.iterations);
    rates.push(ops / secs);
    totalOps += ops;
    seconds += secs;
  }
  const sorted = [...rates].sort((a, b) => a - b);
  const median =
    sorted.length % 2
      ? sorted[(sorted.length - 1) / 2]!
      : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  const bytes = opts.bytesPerOp ?? 0;
  const result: ThroughputResult = {
    label,
    opsPerSec: median,
    mbPerSec: (median * bytes) / 1e6,
    gbPerSec: (median * bytes) / 1e9,
    nsPerOp: 1e9 / median,
    samples: rates,
    spreadPct: ((sorted[sorted.length - 1]! - sorted[0]!) / median) * 100,
    totalOps,
    seconds,
  };
  const rate = bytes ? `${result.mbPerSec.toFixed(1)} MB/s` : `${Math.round(median)} ops/s`;
  ctx?.progress(
    `✓ ${label}: ${rate} (±${result.spreadPct.toFixed(0)}% over ${nSamples} samples, ${((Date.now() - t0) / 1000).toFixed(1)}s)`,
  );
  return result;
}

/** Times one call of an (async) function, in seconds. */
export async function timeOnce<T>(fn: () => T | Promise<T>): Promise<{ seconds: number; value: T }> {
  const start = now();
  const value = await fn();
  return { seconds: Number(now() - start) / 1e9, value };
}

/** A note for a measure: how it was sampled. */
export function sampleNote(r: ThroughputResult): string {
  return `median of ${r.samples.length} samples, spread ±${r.spreadPct.toFixed(0)}%`;
}
