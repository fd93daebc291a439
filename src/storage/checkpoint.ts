/**
 * Kafka's text checkpoint files: a version line (0), a count line, then one entry per line.
 * Offset checkpoints (recovery point, log start offset, cleaner offset) hold `<topic> <partition> <offset>`;
 * leader-epoch-checkpoint holds `<epoch> <startOffset>`. Written atomically (tmp + fsync + rename).
 */
import { promises as fsp } from "node:fs";
import { writeFileAtomic } from "./files.js";

export type OffsetCheckpoint = Map<string, bigint>;

/** Map key for a partition: `<topic>\0<partition>` (a NUL never occurs in topic names). */
export function tpKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export function formatOffsetCheckpoint(entries: Iterable<[string, number, bigint]>): string {
  const lines: string[] = [];
  for (const [t, p, o] of entries) lines.push(`${t} ${p} ${o}`);
  return `0\n${lines.length}\n${lines.map((l) => `${l}\n`).join("")}`;
}

export function parseOffsetCheckpoint(text: string): OffsetCheckpoint {
  const lines = text.split("\n");
  if (lines[0]?.trim() !== "0") throw new Error(`unknown checkpoint version ${JSON.stringify(lines[0])}`);
  const count = Number(lines[1]);
  if (!Number.isInteger(count) || count < 0)
    throw new Error(`bad checkpoint count ${JSON.stringify(lines[1])}`);
  const out: OffsetCheckpoint = new Map();
  for (let i = 0; i < count; i++) {
    const line = lines[2 + i];
    const m = line === undefined ? null : /^(\S+) (\d+) (-?\d+)$/.exec(line.trim());
    if (!m) throw new Error(`bad checkpoint line ${i + 3}: ${JSON.stringify(line)}`);
    out.set(tpKey(m[1]!, Number(m[2])), BigInt(m[3]!));
  }
  return out;
}

/** Reads an offset checkpoint; a missing file is empty. Throws on a malformed one. */
export async function readOffsetCheckpoint(path: string): Promise<OffsetCheckpoint> {
  let text: string;
  try {
    text = await fsp.readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return new Map();
    throw e;
  }
  return parseOffsetCheckpoint(text);
}

export async function writeOffsetCheckpoint(
  path: string,
  dir: string,
  entries: Iterable<[string, number, bigint]>,
): Promise<void> {
  await writeFileAtomic(path, formatOffsetCheckpoint(entries), dir);
}

export interface EpochEntry {
  epoch: number;
  startOffset: bigint;
}

export function formatEpochCheckpoint(entries: readonly EpochEntry[]): string {
  return `0\n${entries.length}\n${entries.map((e) => `${e.epoch} ${e.startOffset}\n`).join("")}`;
}

export function parseEpochCheckpoint(text: string): EpochEntry[] {
  const lines = text.split("\n");
  if (lines[0]?.trim() !== "0")
    throw new Error(`unknown leader-epoch-checkpoint version ${JSON.stringify(lines[0])}`);
  const count = Number(lines[1]);
  if (!Number.isInteger(count) || count < 0) throw new Error(`bad leader-epoch-checkpoint count`);
  const out: EpochEntry[] = [];
  for (let i = 0; i < count; i++) {
    const m = /^(\d+) (\d+)$/.exec((lines[2 + i] ?? "").trim());
    if (!m) throw new Error(`bad leader-epoch-checkpoint line ${i + 3}`);
    out.push({ epoch: Number(m[1]), startOffset: BigInt(m[2]!) });
  }
  return out;
}
