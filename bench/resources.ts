/**
 * Resource use: CPU time and peak RSS of a child process (from /proc/<pid>/stat and
 * /proc/<pid>/status, Linux) or of this process (process.resourceUsage()).
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

export interface ProcessUsage {
  /** User + system CPU time, seconds. */
  cpuSeconds: number;
  userSeconds: number;
  systemSeconds: number;
  /** Current resident set size, bytes. */
  rssBytes: number;
  /** Peak resident set size (VmHWM), bytes. */
  peakRssBytes: number;
}

let clkTck: number | null = null;
function ticksPerSecond(): number {
  if (clkTck === null) {
    try {
      clkTck = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/** Reads a live process's usage from /proc; null when the process is gone or /proc is missing. */
export function readProcUsage(pid: number): ProcessUsage | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may contain spaces; fields after it start past the last ')'.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // rest[0] is field 3 (state); utime is field 14, stime field 15.
    const hz = ticksPerSecond();
    const user = Number(rest[11]) / hz;
    const sys = Number(rest[12]) / hz;
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (key: string) =>
      Number(status.match(new RegExp(`^${key}:\\s+(\\d+) kB`, "m"))?.[1] ?? 0) * 1024;
    return {
      cpuSeconds: user + sys,
      userSeconds: user,
      systemSeconds: sys,
      rssBytes: kb("VmRSS"),
      peakRssBytes: kb("VmHWM"),
    };
  } catch {
    return null;
  }
}

/** This process's usage since it started (process.resourceUsage; maxRSS is the peak). */
export function inProcessUsage(): ProcessUsage {
  const u = process.resourceUsage();
  return {
    cpuSeconds: (u.userCPUTime + u.systemCPUTime) / 1e6,
    userSeconds: u.userCPUTime / 1e6,
    systemSeconds: u.systemCPUTime / 1e6,
    rssBytes: process.memoryUsage.rss(),
    peakRssBytes: u.maxRSS * 1024,
  };
}

/** CPU seconds used between two snapshots. */
export function cpuSecondsOf(before: ProcessUsage, after: ProcessUsage): number {
  return after.cpuSeconds - before.cpuSeconds;
}

/**
 * Samples a child process while it runs, so its last CPU time and peak RSS are known even after it
 * exits (when /proc/<pid> disappears). Call `stop()` just before ending the process for exact figures.
 */
export class ProcessMonitor {
  private last: ProcessUsage | null = null;
  private first: ProcessUsage | null = null;
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly pid: number,
    intervalMs = 200,
  ) {
    this.sample();
    this.first = this.last;
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  private sample(): void {
    const u = readProcUsage(this.pid);
    if (u) this.last = u;
  }

  /** Stops sampling and returns the usage over the monitored span (CPU) and the peak RSS. */
  stop(): ProcessUsage | null {
    this.sample();
    clearInterval(this.timer);
    if (!this.last) return null;
    const base = this.first ?? { cpuSeconds: 0, userSeconds: 0, systemSeconds: 0 };
    return {
      ...this.last,
      cpuSeconds: this.last.cpuSeconds - base.cpuSeconds,
      userSeconds: this.last.userSeconds - base.userSeconds,
      systemSeconds: this.last.systemSeconds - base.systemSeconds,
    };
  }

  /** Usage since the process started (not just since monitoring began). */
  total(): ProcessUsage | null {
    this.sample();
    return this.last;
  }
}
