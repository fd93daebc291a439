/**
 * Where broker configuration comes from: a Kafka-style `.properties` file, BROOK_<KEY> environment
 * variables (BROOK_NUM_PARTITIONS=3 → num.partitions=3) and repeated `--set key=value` options.
 */
import { readFileSync } from "node:fs";
import { BrokerConfig, ConfigError } from "./config.js";

/** Parses Java .properties text: `key=value`, `key: value` or `key value`; # and ! comments; \ continuations and escapes. */
export function parseProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.replace(/^\s+/, "");
    if (line === "" || line.startsWith("#") || line.startsWith("!")) continue;
    // Logical line continues while it ends with an odd number of backslashes.
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + lines[++i]!.replace(/^\s+/, "");
    }
    let k = 0;
    let key = "";
    for (; k < line.length; k++) {
      const c = line[k]!;
      if (c === "\\" && k + 1 < line.length) {
        key += unescapeChar(line[++k]!);
        continue;
      }
      if (c === "=" || c === ":" || c === " " || c === "\t") break;
      key += c;
    }
    // Skip whitespace, one separator, whitespace.
    while (k < line.length && (line[k] === " " || line[k] === "\t")) k++;
    if (line[k] === "=" || line[k] === ":") k++;
    while (k < line.length && (line[k] === " " || line[k] === "\t")) k++;
    let value = "";
    for (; k < line.length; k++) {
      const c = line[k]!;
      if (c === "\\" && k + 1 < line.length) {
        const n = line[++k]!;
        if (n === "u" && /^[0-9a-fA-F]{4}$/.test(line.slice(k + 1, k + 5))) {
          value += String.fromCharCode(Number.parseInt(line.slice(k + 1, k + 5), 16));
          k += 4;
        } else value += unescapeChar(n);
        continue;
      }
      value += c;
    }
    out[key] = value;
  }
  return out;
}

function unescapeChar(c: string): string {
  return c === "t" ? "\t" : c === "n" ? "\n" : c === "r" ? "\r" : c === "f" ? "\f" : c;
}

export function readPropertiesFile(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ConfigError("--config", `Cannot read config file ${path}: ${(e as Error).message}`);
  }
  return parseProperties(text);
}

/** BROOK_* environment variables that are not broker configs (test and tooling switches). */
const NON_CONFIG_ENV = new Set(["BROOK_LOG_LEVEL", "BROOK_SOAK", "BROOK_BENCH_RESULTS"]);

/** Broker configs from BROOK_<KEY> variables; returns the configs and the names of unknown variables. */
export function configFromEnv(env: NodeJS.ProcessEnv): { values: Record<string, string>; unknown: string[] } {
  const values: Record<string, string> = {};
  const unknown: string[] = [];
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith("BROOK_") || raw === undefined || NON_CONFIG_ENV.has(name)) continue;
    const key = name.slice("BROOK_".length).toLowerCase().replace(/_/g, ".");
    if (BrokerConfig.knownKey(key)) values[key] = raw;
    else unknown.push(name);
  }
  return { values, unknown };
}

/** Parses `key=value` strings from --set. */
export function parseSetOptions(sets: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of sets) {
    const eq = s.indexOf("=");
    if (eq <= 0) throw new ConfigError(s, `--set expects key=value, got "${s}"`);
    out[s.slice(0, eq).trim()] = s.slice(eq + 1);
  }
  return out;
}
