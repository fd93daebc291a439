/**
 * Writing results: `<date>-<suite>.json` (measures + machine), `<date>-<suite>.md` (a table),
 * `<date>-<suite>-<chart>.svg` (vega-lite charts rendered headlessly) and `latest.md`, which
 * combines the newest result of every suite found in the results dir.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as vega from "vega";
import * as vegaLite from "vega-lite";
import { type MachineInfo, machineLine } from "./machine.js";

export interface RecordedMeasure {
  name: string;
  value: number;
  unit: string;
  peer: { name: string; value: number } | null;
  /** value / peer.value */
  ratio: number | null;
  notes: string | null;
}

/** A chart for the suite: a vega-lite spec carrying its data inline (`data: { values: [...] }`). */
export interface ChartRequest {
  /** File-name slug, e.g. "codecs" -> 2025-01-01-protocol-codecs.svg */
  name: string;
  title: string;
  spec: Record<string, unknown>;
}

export interface SuiteResult {
  suite: string;
  date: string;
  startedAt: string;
  durationSec: number;
  quick: boolean;
  status: "ok" | "failed";
  error?: string;
  machine: MachineInfo;
  measures: RecordedMeasure[];
  /** SVG files written beside the JSON. */
  charts: string[];
  /** Charts requested by the suite (not serialized). */
  chartRequests: ChartRequest[];
}

/** Suites in the order they are run and shown. */
export const KNOWN_SUITES = ["protocol", "storage", "broker", "groups", "txn", "client", "cli"] as const;

export function suiteOrder(a: string, b: string): number {
  const ia = (KNOWN_SUITES as readonly string[]).indexOf(a);
  const ib = (KNOWN_SUITES as readonly string[]).indexOf(b);
  if (ia !== ib) return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
  return a < b ? -1 : a > b ? 1 : 0;
}

function slug(s: string): string {
  return (
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "") || "chart"
  );
}

/** Renders a vega-lite spec to an SVG string without a browser or canvas. */
export async function renderSvg(spec: Record<string, unknown>): Promise<string> {
  const full = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    background: "white",
    config: {
      font: "sans-serif",
      axis: { labelLimit: 640 },
      axisY: { labelLimit: 640 },
      axisX: { labelLimit: 640 },
    },
    ...spec,
  };
  const compiled = vegaLite.compile(full as any).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Builds a bar-chart spec: one bar per row, optionally grouped by `color` (a field name). */
export function barChart(opts: {
  title: string;
  data: Record<string, unknown>[];
  /** Field on the category axis. */
  category: string;
  /** Field holding the numeric value. */
  value: string;
  valueTitle: string;
  color?: string;
  /** Horizontal bars (category on y): best for long labels. */
  horizontal?: boolean;
  width?: number;
  /** A reference line at this value (e.g. 1 for ratios). */
  rule?: number;
  logScale?: boolean;
}): Record<string, unknown> {
  const cat = { field: opts.category, type: "nominal", title: null, sort: null };
  const val: Record<string, unknown> = { field: opts.value, type: "quantitative", title: opts.valueTitle };
  if (opts.logScale) val.scale = { type: "log" };
  const enc: Record<string, unknown> = opts.horizontal ? { y: cat, x: val } : { x: cat, y: val };
  if (opts.color) {
    enc.color = { field: opts.color, type: "nominal", title: null };
    enc[opts.horizontal ? "yOffset" : "xOffset"] = { field: opts.color };
  }
  enc.tooltip = [
    { field: opts.category },
    { field: opts.value, format: ".4~g" },
    ...(opts.color ? [{ field: opts.color }] : []),
  ];
  // Bars need a zero baseline, which a log scale lacks: log charts are dot plots instead.
  const bars = opts.logScale
    ? { mark: { type: "circle", size: 90, opacity: 0.9, tooltip: true }, encoding: enc }
    : { mark: { type: "bar", tooltip: true }, encoding: enc };
  const layer: unknown[] = [bars];
  const text = {
    mark: opts.horizontal
      ? { type: "text", align: "left", dx: opts.logScale ? 8 : 3, fontSize: 10 }
      : { type: "text", baseline: "bottom", dy: opts.logScale ? -8 : -2, fontSize: 10 },
    encoding: {
      ...enc,
      text: { field: opts.value, type: "quantitative", format: ",.3~r" },
      color: { value: "#333" },
    },
  };
  layer.push(text);
  if (opts.rule !== undefined) {
    layer.push({
      mark: { type: "rule", color: "#c00", strokeDash: [4, 3] },
      encoding: opts.horizontal
        ? { x: { datum: opts.rule, type: "quantitative" } }
        : { y: { datum: opts.rule, type: "quantitative" } },
    });
  }
  return {
    title: opts.title,
    width: opts.width ?? (opts.horizontal ? 480 : { step: 18 }),
    ...(opts.horizontal ? { height: { step: opts.color ? 12 : 20 } } : { height: 280 }),
    data: { values: opts.data },
    layer,
  };
}

/** The chart every suite with peers gets: Brook's figure as a multiple of the peer's. */
function ratioChart(result: SuiteResult): ChartRequest | null {
  const rows = result.measures
    .filter((m) => m.ratio !== null && Number.isFinite(m.ratio))
    .map((m) => ({ measure: `${m.name} (vs ${m.peer!.name})`, ratio: m.ratio }));
  if (rows.length === 0) return null;
  return {
    name: "vs-peers",
    title: `${result.suite}: Brook ÷ peer (same run; >1 = Brook's figure is larger)`,
    spec: barChart({
      title: `${result.suite}: Brook's figure ÷ the peer's (same run)`,
      data: rows,
      category: "measure",
      value: "ratio",
      valueTitle: "ratio (Brook / peer)",
      horizontal: true,
      rule: 1,
      logScale: true,
    }),
  };
}

function esc(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

function cell(v: number | null, unit: string): string {
  if (v === null || !Number.isFinite(v)) return "—";
  const a = Math.abs(v);
  const txt =
    a === 0
      ? "0"
      : a >= 1000
        ? Math.round(v).toLocaleString("en-US")
        : a >= 100
          ? v.toFixed(0)
          : a >= 10
            ? v.toFixed(1)
            : a >= 1
              ? v.toFixed(2)
              : v.toPrecision(3);
  return `${txt} ${unit}`;
}

export function markdownTable(measures: RecordedMeasure[]): string {
  const lines = [
    "| Measure | Brook | Peer / limit | Peer value | Brook ÷ peer | Notes |",
    "|---|---:|---|---:|---:|---|",
  ];
  for (const m of measures) {
    lines.push(
      `| ${esc(m.name)} | ${cell(m.value, m.unit)} | ${m.peer ? esc(m.peer.name) : ""} | ${
        m.peer ? cell(m.peer.value, m.unit) : ""
      } | ${m.ratio !== null ? `${m.ratio.toPrecision(3)}×` : ""} | ${m.notes ? esc(m.notes) : ""} |`,
    );
  }
  return lines.join("\n");
}

function suiteMarkdown(r: SuiteResult, heading = "#"): string {
  const parts = [
    `${heading} ${r.suite} — ${r.date}${r.quick ? " (quick run: small sizes, indicative only)" : ""}`,
    "",
    `Machine: ${machineLine(r.machine)}.`,
    "",
    `Run started ${r.startedAt}, took ${r.durationSec} s${r.status === "failed" ? ", **FAILED**" : ""}. ` +
      "Peer figures come from the same run on the same machine; the ratio is Brook's value divided by the peer's " +
      "(for throughput, >1 means Brook is faster; for latency, CPU or memory, <1 means Brook uses less).",
    "",
  ];
  if (r.status === "failed" && r.error) {
    parts.push("```", r.error.split("\n").slice(0, 8).join("\n"), "```", "");
  }
  parts.push(r.measures.length ? markdownTable(r.measures) : "_No measures recorded._", "");
  for (const c of r.charts) parts.push(`![${c}](${c})`, "");
  return parts.join("\n");
}

/** Writes JSON, markdown and charts for one suite run, then refreshes latest.md. Returns the file names. */
export async function writeSuiteResults(r: SuiteResult, dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const base = `${r.date}-${r.suite}`;
  const written: string[] = [];
  const requests = [...r.chartRequests];
  const rc = ratioChart(r);
  if (rc) requests.push(rc);
  const used = new Set<string>();
  for (const c of requests) {
    let name = slug(c.name);
    while (used.has(name)) name += "-x";
    used.add(name);
    const file = `${base}-${name}.svg`;
    try {
      const spec = { title: c.title, ...c.spec };
      writeFileSync(join(dir, file), await renderSvg(spec));
      r.charts.push(file);
    } catch (err) {
      r.measures.push({
        name: `chart ${c.name}`,
        value: Number.NaN,
        unit: "",
        peer: null,
        ratio: null,
        notes: `chart could not be rendered: ${err instanceof Error ? err.message : String(err)}`,
      });
    }
  }
  const { chartRequests: _omit, ...json } = r;
  writeFileSync(join(dir, `${base}.json`), `${JSON.stringify(json, null, 2)}\n`);
  written.push(`${base}.json`);
  writeFileSync(join(dir, `${base}.md`), suiteMarkdown(r));
  written.push(`${base}.md`, ...r.charts);
  await writeLatest(dir);
  written.push("latest.md");
  return written;
}

/** Combines the newest JSON result of each suite in `dir` into latest.md. */
export async function writeLatest(dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const newest = new Map<string, SuiteResult>();
  for (const f of readdirSync(dir)) {
    if (!/^\d{4}-\d{2}-\d{2}-.+\.json$/.test(f)) continue;
    let r: SuiteResult;
    try {
      r = JSON.parse(readFileSync(join(dir, f), "utf8"));
    } catch {
      continue;
    }
    if (!r || typeof r.suite !== "string" || !Array.isArray(r.measures)) continue;
    const prev = newest.get(r.suite);
    if (!prev || `${r.date} ${r.startedAt}` > `${prev.date} ${prev.startedAt}`) newest.set(r.suite, r);
  }
  const suites = [...newest.keys()].sort(suiteOrder);
  const parts = [
    "# Brook benchmarks — latest results",
    "",
    "Generated by `npm run bench` (see [docs/benchmarks.md](../../docs/benchmarks.md) for the method). " +
      "Each section is the newest run of that suite; every peer figure was measured in the same run on the same machine.",
    "",
  ];
  if (suites.length === 0) parts.push("_No results yet._", "");
  for (const s of suites) {
    const r = newest.get(s)!;
    parts.push(suiteMarkdown({ ...r, chartRequests: [] }, "##"));
    parts.push(
      `Files: [${r.date}-${r.suite}.json](${r.date}-${r.suite}.json), [${r.date}-${r.suite}.md](${r.date}-${r.suite}.md)`,
      "",
    );
  }
  const file = join(dir, "latest.md");
  writeFileSync(file, parts.join("\n"));
  return file;
}
