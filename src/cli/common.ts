/** What every cluster command shares: its connection, a connected admin client, and its failure path. */
import type { Command } from "commander";
import type { Admin } from "../client/admin/types.js";
import type { Kafka } from "../client/kafka.js";
import { type Connection, type ConnectionFlags, kafkaFor, resolveConnection } from "./connection.js";
import { describeError, UsageError } from "./errors.js";

export interface CommandContext {
  connection: Connection;
  kafka: Kafka;
}

/** The command's connection, from the program-level flags (commander's optsWithGlobals). */
export function contextOf(cmd: Command): CommandContext {
  const connection = resolveConnection(cmd.optsWithGlobals() as ConnectionFlags);
  return { connection, kafka: kafkaFor(connection) };
}

export async function withAdmin<T>(ctx: CommandContext, work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = ctx.kafka.admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/**
 * Wraps a command action: any error becomes one line on stderr ("brook <command>: …") and the exit
 * code the error calls for. `process.exitCode` rather than exit(), so stdout is drained first.
 */
export function action<A extends unknown[]>(
  run: (...args: A) => Promise<void> | void,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const cmd = args[args.length - 1] as Command;
    try {
      await run(...args);
    } catch (e) {
      let brokers: string[] | undefined;
      try {
        brokers = resolveConnection(cmd.optsWithGlobals() as ConnectionFlags).brokers;
      } catch {
        brokers = undefined;
      }
      fail(cmd, e, brokers);
    }
  };
}

export function fail(cmd: Command, e: unknown, brokers?: string[]): void {
  const { line, exitCode } = describeError(e, brokers);
  process.stderr.write(`${commandPath(cmd)}: ${line}\n`);
  process.exitCode = exitCode;
}

export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

// ---------------------------------------------------------------------------------------------
// Option parsers shared by the commands (commander's argParser): they throw UsageError.

export function intOption(name: string, { min = 0 }: { min?: number } = {}) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value) || Number(value) < min || !Number.isSafeInteger(Number(value))) {
      throw new UsageError(
        `${name} ${value}: expected a whole number${min > 0 ? ` ≥ ${min}` : min === 0 ? " ≥ 0" : ""}`,
      );
    }
    return Number(value);
  };
}

export function collect(value: string, prev: string[] = []): string[] {
  return [...prev, value];
}

/** "k=v" pairs (--config, --set, --header) into an ordered list of [k, v]. */
export function keyValues(option: string, items: string[]): Array<[string, string]> {
  return items.map((item) => {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new UsageError(`${option} "${item}": expected key=value`);
    return [item.slice(0, eq), item.slice(eq + 1)];
  });
}

/** "0,1,3" or "0-3" into partition numbers. */
export function partitionList(option: string, value: string | undefined): number[] | undefined {
  if (value === undefined) return undefined;
  const out: number[] = [];
  for (const part of value.split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new UsageError(`${option} ${value}: expected partition numbers such as 0,2 or 0-3`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) throw new UsageError(`${option} ${value}: ${part} is an empty range`);
    for (let p = from; p <= to; p++) out.push(p);
  }
  return [...new Set(out)].sort((a, b) => a - b);
}

/**
 * A duration: "90s", "15m", "2h", "1d", "500ms", combinations such as "1h30m", or ISO 8601
 * ("PT15M", "P1DT2H", as kafka-consumer-groups --by-duration takes). Milliseconds.
 */
export function parseDuration(option: string, value: string): number {
  const iso = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(value);
  if (iso && value.length > 1 && !/T$/i.test(value)) {
    const [, d, h, m, s] = iso;
    return ((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(m ?? 0)) * 60_000 + Number(s ?? 0) * 1000;
  }
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  let total = 0;
  let rest = value.trim();
  if (!rest) throw new UsageError(`${option}: empty duration`);
  while (rest) {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)/.exec(rest);
    if (!m) throw new UsageError(`${option} ${value}: expected a duration such as 90s, 15m, 1h30m or PT15M`);
    total += Number(m[1]) * units[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return total;
}

/** A point in time: epoch milliseconds, or an ISO 8601 date-time ("2026-12-07T10:00:00Z"). */
export function parseTimestamp(option: string, value: string): number {
  if (/^\d+$/.test(value)) return Number(value);
  const t = Date.parse(value);
  if (Number.isNaN(t)) {
    throw new UsageError(`${option} ${value}: expected epoch milliseconds or an ISO 8601 date-time`);
  }
  return t;
}
