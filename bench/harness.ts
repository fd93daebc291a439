/**
 * The benchmark harness: the contract suites are written against (`BenchContext`), and the runner
 * that gives each suite a scratch directory, prints live progress, collects its measures and charts,
 * and writes the results (see report.ts).
 *
 * A suite is `bench/suites/<name>.ts` with
 *   `export default async function run(ctx: BenchContext): Promise<void>`.
 * Helpers for suites (timing, latency histograms, process CPU/RSS, machine limits, peers) live in
 * timing.ts, latency.ts, resources.ts, limits.ts and peers.ts, and are re-exported here.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeMachine, type MachineInfo } from "./machine.js";
import { type ChartRequest, type SuiteResult, writeLatest, writeSuiteResults } from "./report.js";

export type { ChartRequest, SuiteResult } from "./report.js";
export { type LatencySummary, LatencyRecorder } from "./latency.js";
export {
  cpuSecondsOf,
  inProcessUsage,
  ProcessMonitor,
  type ProcessUsage,
  readProcUsage,
} from "./resources.js";
export {
  measureSideBySide,
  measureThroughput,
  type SideBySideImpl,
  type ThroughputOptions,
  type ThroughputResult,
  timeOnce,
} from "./timing.js";

/** What a suite records: one figure, optionally beside a peer's figure from the same run. */
export interface MeasureInput {
  name: string;
  value: number;
  unit: string;
  peer?: { name: string; value: number };
  notes?: string;
}

export interface BenchContext {
  /** Small sizes and short durations: a few minutes per suite at most (the broker suite, which starts Apache Kafka beside Brook, is the longest). */
  quick: boolean;
  /** A fresh scratch directory for this suite run, removed afterwards. */
  tmpDir: string;
  /** Prints a live progress line (prefixed with the elapsed time and suite name). */
  progress(msg: string): void;
  /** Records a measure; the harness computes ratio = value / peer.value. */
  record(m: MeasureInput): void;
  /** Adds a chart (a vega-lite spec with inline data), rendered to SVG beside the results. */
  chart?(c: ChartRequest): void;
  /** The suite's name, e.g. "protocol". */
  suite?: string;
}

export type SuiteFn = (ctx: BenchContext) => Promise<void>;

export interface RunOptions {
  quick: boolean;
  /** Where results are written (bench/results by default; see main.ts). */
  resultsDir: string;
  /** Where each line of progress goes (console.log by default). */
  log?: (line: string) => void;
  /** Time origin for the elapsed-time prefix (start of the whole run). */
  startedAt?: number;
  /** Print "still running" when nothing was printed for this long (ms). */
  heartbeatMs?: number;
  /** Machine description, computed once per run. */
  machine?: MachineInfo;
  /** Date used in file names (defaults to today, UTC). */
  date?: Date;
}

export function fmtElapsed(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1).padStart(5)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${(s - m * 60).toFixed(0).padStart(2, "0")}s`;
}

/** Formats a number with about 3-4 significant digits, for progress lines and tables. */
export function fmtNum(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a === 0) return "0";
  if (a >= 1000) return Math.round(v).toLocaleString("en-US");
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

function roundSig(v: number, digits = 5): number {
  if (!Number.isFinite(v) || v === 0) return v;
  return Number(v.toPrecision(digits));
}

/** Runs one suite through the real harness and writes its results. Never throws for a suite failure. */
export async function runSuite(name: string, run: SuiteFn, opts: RunOptions): Promise<SuiteResult> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const origin = opts.startedAt ?? Date.now();
  const t0 = Date.now();
  let lastOutput = Date.now();
  let lastMsg = "starting";
  const print = (msg: string) => {
    lastOutput = Date.now();
    log(`[${fmtElapsed(Date.now() - origin)}] ${name}: ${msg}`);
  };
  const heartbeatMs = opts.heartbeatMs ?? 15_000;
  const heartbeat = setInterval(
    () => {
      if (Date.now() - lastOutput >= heartbeatMs) {
        print(`… still running (${fmtElapsed(Date.now() - t0).trim()} into the suite; last: ${lastMsg})`);
      }
    },
    Math.max(250, Math.floor(heartbeatMs / 3)),
  );
  heartbeat.unref();

  const tmpDir = mkdtempSync(join(tmpdir(), `brook-bench-${name}-`));
  const machine = opts.machine ?? describeMachine(tmpDir);
  const result: SuiteResult = {
    suite: name,
    date: (opts.date ?? new Date()).toISOString().slice(0, 10),
    startedAt: new Date(t0).toISOString(),
    durationSec: 0,
    quick: opts.quick,
    status: "ok",
    machine,
    measures: [],
    charts: [],
    chartRequests: [],
  };

  const ctx: BenchContext = {
    quick: opts.quick,
    tmpDir,
    suite: name,
    progress(msg: string) {
      lastMsg = msg;
      print(msg);
    },
    record(m: MeasureInput) {
      if (!m || typeof m.name !== "string" || typeof m.unit !== "string") {
        throw new TypeError("record() needs { name, value, unit }");
      }
      const peer = m.peer ? { name: m.peer.name, value: roundSig(m.peer.value) } : null;
      const ratio =
        peer && Number.isFinite(m.value) && Number.isFinite(peer.value) && peer.value !== 0
          ? roundSig(m.value / peer.value, 4)
          : null;
      result.measures.push({
        name: m.name,
        value: roundSig(m.value),
        unit: m.unit,
        peer,
        ratio,
        notes: m.notes ?? null,
      });
      const peerTxt = peer
        ? ` | ${peer.name}: ${fmtNum(peer.value)} ${m.unit} (×${fmtNum(ratio ?? NaN)})`
        : "";
      print(`= ${m.name}: ${fmtNum(m.value)} ${m.unit}${peerTxt}${m.notes ? ` — ${m.notes}` : ""}`);
    },
    chart(c: ChartRequest) {
      result.chartRequests.push(c);
    },
  };

  print(opts.quick ? "start (quick)" : "start");
  try {
    await run(ctx);
  } catch (err) {
    result.status = "failed";
    result.error = err instanceof Error ? (err.stack ?? err.message) : String(err);
    print(`FAILED: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    clearInterval(heartbeat);
    try {
      rmSync(tmpDir, { recursive: true, force: true });
    } catch {
      // best effort
    }
  }
  result.durationSec = roundSig((Date.now() - t0) / 1000, 4);
  try {
    const files = await writeSuiteResults(result, opts.resultsDir);
    print(`done in ${fmtElapsed(Date.now() - t0).trim()}: ${files.join(", ")}`);
  } catch (err) {
    result.status = "failed";
    result.error = `writing results: ${err instanceof Error ? err.message : String(err)}`;
    print(`FAILED to write results: ${result.error}`);
  }
  return result;
}

/** Rewrites latest.md in the results dir from the newest JSON of each suite. */
export async function refreshLatest(resultsDir: string): Promise<string> {
  return writeLatest(resultsDir);
}
