/** File names of Kafka's log layout, and the small fs helpers the engine shares. */
import { randomBytes } from "node:crypto";
import { promises as fsp } from "node:fs";
import { join } from "node:path";

export const LOG_SUFFIX = ".log";
export const INDEX_SUFFIX = ".index";
export const TIME_INDEX_SUFFIX = ".timeindex";
/** Producer state snapshots: `<offset>.snapshot` in the partition directory, as Kafka names them. */
export const SNAPSHOT_SUFFIX = ".snapshot";
export const TXN_INDEX_SUFFIX = ".txnindex";
export const DELETED_SUFFIX = ".deleted";
export const CLEANED_SUFFIX = ".cleaned";
export const SWAP_SUFFIX = ".swap";
export const DELETE_DIR_SUFFIX = "-delete";
export const CLEAN_SHUTDOWN_FILE = ".kafka_cleanshutdown";
export const RECOVERY_POINT_CHECKPOINT = "recovery-point-offset-checkpoint";
export const LOG_START_OFFSET_CHECKPOINT = "log-start-offset-checkpoint";
export const CLEANER_OFFSET_CHECKPOINT = "cleaner-offset-checkpoint";
export const LEADER_EPOCH_CHECKPOINT = "leader-epoch-checkpoint";
export const PARTITION_METADATA = "partition.metadata";

/** A segment's base name: its base offset zero-padded to 20 digits. */
export function offsetFileName(offset: bigint): string {
  return offset.toString().padStart(20, "0");
}

export function segmentFile(dir: string, base: bigint, suffix: string): string {
  return join(dir, offsetFileName(base) + suffix);
}

/** Parses `<20 digits><suffix>`; undefined when the name is not one. */
export function parseSegmentName(name: string): { base: bigint; suffix: string } | undefined {
  const m = /^(\d{20})(\..+)$/.exec(name);
  if (!m) return undefined;
  return { base: BigInt(m[1]!), suffix: m[2]! };
}

/** `<topic>-<partition>`: Kafka splits at the last dash. */
export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

export function parsePartitionDirName(name: string): { topic: string; partition: number } | undefined {
  const i = name.lastIndexOf("-");
  if (i <= 0) return undefined;
  const p = name.slice(i + 1);
  if (!/^\d+$/.test(p)) return undefined;
  return { topic: name.slice(0, i), partition: Number(p) };
}

/** Kafka's `<topic>-<partition>.<uuid without dashes>-delete`. */
export function deletedDirName(topic: string, partition: number): string {
  return `${partitionDirName(topic, partition)}.${randomBytes(16).toString("hex")}${DELETE_DIR_SUFFIX}`;
}

/** fsync a directory so renames and creations in it are durable (ignored where unsupported). */
export async function fsyncDir(dir: string): Promise<void> {
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(dir, "r");
    await fh.sync();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "EISDIR" && code !== "EINVAL" && code !== "EPERM" && code !== "ENOENT") throw e;
  } finally {
    await fh?.close();
  }
}

/** Writes a file through `<path>.tmp`, fsync and rename, so a crash leaves the old or the new content. */
export async function writeFileAtomic(path: string, data: string | Buffer, dir: string): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await fsp.open(tmp, "w");
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsp.rename(tmp, path);
  await fsyncDir(dir);
}

export async function exists(path: string): Promise<boolean> {
  try {
    await fsp.access(path);
    return true;
  } catch {
    return false;
  }
}

export async function unlinkQuiet(path: string): Promise<void> {
  try {
    await fsp.unlink(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
}

/** Renames when the source exists; false when it does not. */
export async function renameIfExists(from: string, to: string): Promise<boolean> {
  try {
    await fsp.rename(from, to);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw e;
  }
}
