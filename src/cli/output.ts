/**
 * Output for people and for scripts: aligned tables with upper-case column names (the style of
 * Kafka's own tools), or the same facts as JSON or YAML with stable lower-case keys.
 */
import { scaleBytes } from "../tools/bytes.js";
import YAML from "yaml";
import { UsageError } from "./errors.js";

export type OutputFormat = "table" | "json" | "yaml";

export function outputFormat(value: string | undefined): OutputFormat {
  const v = (value ?? "table").toLowerCase();
  if (v === "table" || v === "text") return "table";
  if (v === "json" || v === "yaml") return v;
  throw new UsageError(`--format ${value}: expected table, json or yaml`);
}

export type Cell = string | number | bigint | boolean | null | undefined;

/** Columns aligned with two spaces between them; empty cells print as "-" as kafka-consumer-groups does. */
export function table(columns: string[], rows: Cell[][]): string {
  const text = rows.map((r) => r.map((c) => (c === null || c === undefined || c === "" ? "-" : String(c))));
  const widths = columns.map((c, i) => Math.max(c.length, ...text.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return `${[line(columns), ...text.map(line)].join("\n")}\n`;
}

/** JSON with bigint as strings (offsets can exceed 2^53). */
export function toJson(doc: unknown): string {
  return `${JSON.stringify(doc, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2)}\n`;
}

export function emit(format: OutputFormat, doc: unknown, human: () => string): void {
  const text =
    format === "json" ? toJson(doc) : format === "yaml" ? YAML.stringify(JSON.parse(toJson(doc))) : human();
  process.stdout.write(text);
}

export function humanBytes(n: number): string {
  if (n < 0) return "-";
  const { value, unit } = scaleBytes(n);
  return unit === "B" ? `${value} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${unit}`;
}
