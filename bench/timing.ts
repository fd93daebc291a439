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
  const durationMs = opts.durationMs ?? (quick ? 400 : 3000);
  const warmupMs = opts.warmupMs ?? (quick ? 100 : 500);
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
  const bytes = opts.bytesPerOp ?? 0;
  const result = summarize(label, rates, totalOps, seconds, bytes);
  const median = result.opsPerSec;
  const rate = bytes ? `${result.mbPerSec.toFixed(1)} MB/s` : `${Math.round(median)} ops/s`;
  ctx?.progress(
    `✓ ${label}: ${rate} (±${result.spreadPct.toFixed(0)}% over ${nSamples} samples, ${((Date.now() - t0) / 1000).toFixed(1)}s)`,
  );
  return result;
}

export interface SideBySideImpl {
  name: string;
  fn: Fn;
  /** Defaults to opts.bytesPerOp. */
  bytesPerOp?: number;
}

function summarize(
  label: string,
  rates: number[],
  totalOps: number,
  seconds: number,
  bytes: number,
): ThroughputResult {
  const sorted = [...rates].sort((a, b) => a - b);
  const median =
    sorted.length % 2
      ? sorted[(sorted.length - 1) / 2]!
      : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  return {
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
}

/**
 * Measures several implementations of the same work side by side: after each one's warm-up, their
 * timed samples are interleaved (A B C, C B A, A B C, ...), so a burst of load from elsewhere on the
 * machine hits every implementation alike and the ratio between them stays meaningful. Each gets
 * `durationMs` in total; results come back in the order given.
 */
export async function measureSideBySide(
  ctx: Pick<BenchContext, "progress" | "quick"> | null,
  label: string,
  impls: SideBySideImpl[],
  opts: ThroughputOptions = {},
): Promise<ThroughputResult[]> {
  const quick = opts.quick ?? ctx?.quick ?? false;
  const durationMs = opts.durationMs ?? (quick ? 400 : 3000);
  const warmupMs = opts.warmupMs ?? (quick ? 100 : 500);
  const nSamples = Math.max(1, opts.samples ?? (quick ? 3 : 10));
  const t0 = Date.now();
  ctx?.progress(`▶ ${label}: ${impls.map((i) => i.name).join(" vs ")} (${durationMs} ms each, interleaved)`);
  const state = [];
  for (const impl of impls) {
    const first = impl.fn();
    const isAsync = first instanceof Promise;
    if (isAsync) await first;
    await runFor(impl.fn, isAsync, warmupMs);
    state.push({ impl, isAsync, rates: [] as number[], ops: 0, secs: 0 });
  }
  for (let s = 0; s < nSamples; s++) {
    const order = s % 2 ? [...state].reverse() : state;
    for (const st of order) {
      const [ops, secs] = await runFor(st.impl.fn, st.isAsync, durationMs / nSamples, opts.iterations);
      st.rates.push(ops / secs);
      st.ops += ops;
      st.secs += secs;
    }
  }
  const results = state.map((st) =>
    summarize(
      `${label} — ${st.impl.name}`,
      st.rates,
      st.ops,
      st.secs,
      st.impl.bytesPerOp ?? opts.bytesPerOp ?? 0,
    ),
  );
  const txt = results
    .map((r, i) => {
      const b = impls[i]!.bytesPerOp ?? opts.bytesPerOp ?? 0;
      return `${impls[i]!.name} ${b ? `${r.mbPerSec.toFixed(1)} MB/s` : `${Math.round(r.opsPerSec)} ops/s`} (±${r.spreadPct.toFixed(0)}%)`;
    })
    .join(", ");
  ctx?.progress(`✓ ${label}: ${txt} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
  return results;
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
