/**
 * The machine's limits, measured in the same run as the figures they frame:
 * - raw loopback TCP throughput between two Node processes moving the same buffers;
 * - raw sequential file writes of the same buffers, with and without fdatasync.
 * A broker figure can then be shown as a fraction of what the machine can do.
 */
import { spawn } from "node:child_process";
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { type LatencySummary, LatencyRecorder } from "./latency.js";
import { ProcessMonitor, type ProcessUsage } from "./resources.js";

export interface TcpLimit {
  bytesPerWrite: number;
  totalBytes: number;
  seconds: number;
  mbPerSec: number;
  gbitPerSec: number;
  sender: ProcessUsage | null;
  receiver: ProcessUsage | null;
}

// The receiver: listens on an ephemeral loopback port, prints it, counts bytes, and answers one byte
// once `total` bytes have arrived.
const SINK = `
const net = require("node:net");
const total = Number(process.argv[1]);
const srv = net.createServer((s) => {
  let got = 0;
  s.on("data", (d) => {
    got += d.length;
    if (got >= total) { s.end(Buffer.from([1])); srv.close(); }
  });
  s.on("error", () => {});
});
srv.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ port: srv.address().port })));
`;

// The sender: connects, writes the same buffer repeatedly honouring back-pressure, and reports the
// time from the first write to the receiver's acknowledgement of the last byte.
const SENDER = `
const net = require("node:net");
const [port, per, total] = process.argv.slice(1).map(Number);
const buf = Buffer.alloc(per);
for (let i = 0; i < per; i++) buf[i] = (i * 31 + 7) & 0xff;
const s = net.connect(port, "127.0.0.1", () => {
  s.setNoDelay(true);
  const t0 = process.hrtime.bigint();
  let sent = 0;
  s.once("data", () => {
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    console.log(JSON.stringify({ seconds: secs, sent }));
    s.destroy();
  });
  const pump = () => {
    while (sent < total) {
      const n = Math.min(per, total - sent);
      sent += n;
      if (!s.write(n === per ? buf : buf.subarray(0, n))) { s.once("drain", pump); return; }
    }
  };
  pump();
});
`;

function firstJsonLine(child: ReturnType<typeof spawn>, what: string, timeoutMs: number): Promise<any> {
  return new Promise((resolve, reject) => {
    let stderr = "";
    child.stderr?.on("data", (d) => {
      stderr += String(d);
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${what} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    const rl = createInterface({ input: child.stdout! });
    rl.once("line", (line) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(line));
      } catch {
        reject(new Error(`${what}: unexpected output ${line}`));
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}: ${stderr.trim()}`));
    });
  });
}

/** Raw loopback TCP throughput between two Node processes moving the same buffers. */
export async function measureLoopbackTcp(bytesPerWrite: number, totalBytes: number): Promise<TcpLimit> {
  const node = process.execPath;
  const sink = spawn(node, ["-e", SINK, String(totalBytes)], { stdio: ["ignore", "pipe", "pipe"] });
  try {
    const { port } = await firstJsonLine(sink, "loopback receiver", 10_000);
    const sinkMon = new ProcessMonitor(sink.pid!);
    const sender = spawn(node, ["-e", SENDER, String(port), String(bytesPerWrite), String(totalBytes)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const sendMon = new ProcessMonitor(sender.pid!);
    const timeout = Math.max(30_000, (totalBytes / 50e6) * 1000);
    let senderUsage: ProcessUsage | null = null;
    let receiverUsage: ProcessUsage | null = null;
    let res: { seconds: number };
    try {
      res = await firstJsonLine(sender, "loopback sender", timeout);
    } finally {
      senderUsage = sendMon.stop();
      receiverUsage = sinkMon.stop();
      sender.kill();
    }
    return {
      bytesPerWrite,
      totalBytes,
      seconds: res.seconds,
      mbPerSec: totalBytes / res.seconds / 1e6,
      gbitPerSec: (totalBytes * 8) / res.seconds / 1e9,
      sender: senderUsage,
      receiver: receiverUsage,
    };
  } finally {
    sink.kill();
  }
}

export interface FileWriteLimit {
  bytes: number;
  writes: number;
  fsync: "none" | "each" | "end";
  seconds: number;
  mbPerSec: number;
  writesPerSec: number;
  /** Per write(+fdatasync) latency when fsync is "each". */
  latency: LatencySummary | null;
}

/**
 * Raw sequential file write of `count` copies of `buf` into a fresh file, with writeSync.
 * fsync: false/"none" = no flush (page cache only); true/"each" = fdatasync after every write
 * (the cost of acks=-1 without group commit); "end" = one fdatasync at the end.
 */
export function measureFileWrite(
  buf: Buffer,
  count: number,
  opts: { fsync: boolean | "none" | "each" | "end"; dir?: string },
): FileWriteLimit {
  const mode = opts.fsync === true ? "each" : opts.fsync === false ? "none" : opts.fsync;
  const dir = mkdtempSync(join(opts.dir ?? tmpdir(), "brook-limit-"));
  const file = join(dir, "seq.bin");
  const fd = openSync(file, "w");
  const lat = mode === "each" ? new LatencyRecorder() : null;
  try {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < count; i++) {
      const w0 = lat ? process.hrtime.bigint() : 0n;
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      if (lat) {
        fdatasyncSync(fd);
        lat.recordSince(w0);
      }
    }
    if (mode === "end") fdatasyncSync(fd);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const bytes = buf.length * count;
    return {
      bytes,
      writes: count,
      fsync: mode,
      seconds,
      mbPerSec: bytes / seconds / 1e6,
      writesPerSec: count / seconds,
      latency: lat ? lat.summary() : null,
    };
  } finally {
    closeSync(fd);
    lat?.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}
