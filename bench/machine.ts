/**
 * A description of the machine a run came from: CPU, memory, Node, OS, the disk and filesystem
 * holding the scratch/data dir, and the git commit of the code measured.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";

export interface DiskInfo {
  /** Path the figures were taken in (the suite's scratch dir). */
  path: string;
  device: string | null;
  filesystem: string | null;
  sizeGB: number | null;
  /** From /sys/block/<dev>/queue/rotational: true = spinning disk, false = SSD/virtual. */
  rotational: boolean | null;
}

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryGB: number;
  node: string;
  os: string;
  arch: string;
  disk: DiskInfo;
  git: { commit: string | null; dirty: boolean | null };
  /** 1/5/15-minute load averages when the suite started: other work on the machine skews figures. */
  loadAverage: number[];
}

function sh(cmd: string, args: string[], cwd?: string): string | null {
  try {
    return execFileSync(cmd, args, {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 5000,
      cwd,
    }).trim();
  } catch {
    return null;
  }
}

export function describeDisk(path: string): DiskInfo {
  const info: DiskInfo = { path, device: null, filesystem: null, sizeGB: null, rotational: null };
  const out = sh("df", ["-PT", "-k", path]);
  const line = out?.split("\n")[1];
  if (line) {
    const cols = line.split(/\s+/);
    info.device = cols[0] ?? null;
    info.filesystem = cols[1] ?? null;
    const kb = Number(cols[2]);
    if (Number.isFinite(kb)) info.sizeGB = Math.round(kb / 1024 / 1024);
    const dev = info.device?.match(/^\/dev\/([a-z]+)/)?.[1];
    // vda1 -> vda, nvme0n1p1 -> nvme0n1
    const base = info.device?.match(/^\/dev\/(nvme\d+n\d+|[a-z]+)/)?.[1] ?? dev;
    const rot = base ? `/sys/block/${base}/queue/rotational` : null;
    if (rot && existsSync(rot)) info.rotational = readFileSync(rot, "utf8").trim() === "1";
  }
  return info;
}

export function describeMachine(dataDir: string): MachineInfo {
  const cpus = os.cpus();
  const status = sh("git", ["status", "--porcelain", "--untracked-files=no"]);
  return {
    cores: cpus.length,
    cpuModel: cpus[0]?.model?.trim() ?? "unknown",
    memoryGB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    arch: process.arch,
    disk: describeDisk(dataDir),
    git: { commit: sh("git", ["rev-parse", "HEAD"]), dirty: status === null ? null : status.length > 0 },
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

export function machineLine(m: MachineInfo): string {
  const d = m.disk;
  const disk = [
    d.filesystem,
    d.device,
    d.sizeGB ? `${d.sizeGB} GB` : null,
    d.rotational === false ? "non-rotational" : d.rotational ? "rotational" : null,
  ]
    .filter(Boolean)
    .join(", ");
  const commit = m.git.commit
    ? `${m.git.commit.slice(0, 10)}${m.git.dirty ? " (+ uncommitted changes)" : ""}`
    : "unknown";
  return `${m.cores} × ${m.cpuModel}, ${m.memoryGB} GB RAM, Node ${m.node}, ${m.os} (${m.arch}), data dir on ${disk || "unknown disk"}; commit ${commit}${
    m.loadAverage ? `; load average at start ${m.loadAverage.join(" / ")}` : ""
  }`;
}
