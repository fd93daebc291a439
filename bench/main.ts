/**
 * `npm run bench [-- [--quick] [--results-dir <dir>] [<suite>...]]`
 *
 * Runs every suite found in bench/suites/ (or the ones named), one after another, printing live
 * progress, and writes results to bench/results/ (quick runs go to bench/results/quick/ so they
 * never replace full figures). Suites that are planned but not written yet are reported as
 * "not yet available".
 */
import { existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { fmtElapsed, runSuite, type SuiteFn } from "./harness.js";
import { describeMachine, machineLine } from "./machine.js";
import { KNOWN_SUITES, suiteOrder } from "./report.js";

const here = dirname(fileURLToPath(import.meta.url));
export const SUITES_DIR = join(here, "suites");
export const DEFAULT_RESULTS_DIR = join(here, "results");

export function availableSuites(dir = SUITES_DIR): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts") && !f.startsWith("_"))
    .map((f) => f.slice(0, -3))
    .sort(suiteOrder);
}

interface Args {
  quick: boolean;
  suites: string[];
  resultsDir: string | null;
  list: boolean;
  help: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { quick: false, suites: [], resultsDir: null, list: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i]!;
    if (x === "--quick" || x === "-q") a.quick = true;
    else if (x === "--list") a.list = true;
    else if (x === "--help" || x === "-h") a.help = true;
    else if (x === "--results-dir") a.resultsDir = argv[++i] ?? null;
    else if (x.startsWith("--results-dir=")) a.resultsDir = x.slice("--results-dir=".length);
    else if (x.startsWith("-")) throw new Error(`unknown option ${x}`);
    else a.suites.push(x);
  }
  return a;
}

const USAGE = `usage: npm run bench -- [--quick] [--results-dir <dir>] [--list] [<suite>...]
  suites: ${KNOWN_SUITES.join(", ")} (default: every suite found in bench/suites/)
  --quick          small sizes and short durations (a few minutes); results go to <results>/quick/
  --results-dir    where to write results (default bench/results, or $BROOK_BENCH_RESULTS_DIR)`;

export async function main(argv: string[]): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const found = availableSuites();
  if (args.list) {
    for (const s of [...new Set([...KNOWN_SUITES, ...found])].sort(suiteOrder)) {
      console.log(`${s}${found.includes(s) ? "" : " (not yet available)"}`);
    }
    return 0;
  }
  const explicitDir = args.resultsDir ?? process.env.BROOK_BENCH_RESULTS_DIR ?? null;
  const resultsDir = resolve(
    explicitDir ?? (args.quick ? join(DEFAULT_RESULTS_DIR, "quick") : DEFAULT_RESULTS_DIR),
  );

  const wanted = args.suites.length
    ? [...new Set(args.suites)]
    : [...new Set([...KNOWN_SUITES, ...found])].sort(suiteOrder);
  const unknown = wanted.filter(
    (s) => !found.includes(s) && !(KNOWN_SUITES as readonly string[]).includes(s),
  );
  if (unknown.length) {
    console.error(`unknown suite(s): ${unknown.join(", ")} (known: ${KNOWN_SUITES.join(", ")})`);
    return 2;
  }
  const startedAt = Date.now();
  const machine = describeMachine(tmpdir());
  console.log(
    `Brook bench${args.quick ? " (quick)" : ""}: ${wanted.filter((s) => found.includes(s)).join(", ") || "no suites found"}`,
  );
  console.log(`machine: ${machineLine(machine)}`);
  console.log(`results: ${resultsDir}`);

  const outcome: string[] = [];
  let failed = 0;
  for (const name of wanted) {
    if (!found.includes(name)) {
      console.log(
        `[${fmtElapsed(Date.now() - startedAt)}] ${name}: not yet available (no bench/suites/${name}.ts)`,
      );
      outcome.push(`${name}: not yet available`);
      continue;
    }
    let run: SuiteFn;
    try {
      const mod = await import(pathToFileURL(join(SUITES_DIR, `${name}.ts`)).href);
      run = mod.default;
      if (typeof run !== "function")
        throw new Error(`bench/suites/${name}.ts has no default export function`);
    } catch (err) {
      failed++;
      console.log(
        `[${fmtElapsed(Date.now() - startedAt)}] ${name}: FAILED to load: ${(err as Error).message}`,
      );
      outcome.push(`${name}: failed to load`);
      continue;
    }
    const r = await runSuite(name, run, { quick: args.quick, resultsDir, startedAt });
    if (r.status === "failed") failed++;
    outcome.push(`${name}: ${r.status}, ${r.measures.length} measures, ${r.durationSec} s`);
  }
  console.log(`\nfinished in ${fmtElapsed(Date.now() - startedAt).trim()}`);
  for (const o of outcome) console.log(`  ${o}`);
  if (outcome.length) console.log(`latest: ${join(resultsDir, "latest.md")}`);
  return failed ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
