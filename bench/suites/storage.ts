/**
 * Storage suite: the partition log's speed beside the machine's raw file limits, measured in the same
 * run on the same file system (ctx.tmpDir).
 *
 * - Append throughput (MB/s and batches/s) of record batches of 1 KiB records, 16 KiB and 1 MiB per
 *   batch, from 1, 8 and 64 concurrent appenders, without fsync (acks=1) and with group-commit fsync
 *   (acks=-1). Peers: the raw limit of the same buffers written one after another with plain
 *   fs.write (FileHandle.write) and with fs.write + fdatasync after each, and for group commit the
 *   log's own no-fsync rate at the same concurrency.
 * - Read throughput from the page cache (Fetch-like reads of up to 1 MiB), beside a plain sequential
 *   read of the same segment file.
 * - Recovery time after kill -9 of a 2 GiB log (1 GiB with --quick): a child process writes the log,
 *   checkpoints, appends a little more and is killed; a fresh process opens the log dir. Also the
 *   time with no usable checkpoint (every segment rescanned), for comparison.
 */
import { spawn } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { BenchContext } from "../harness.js";
import { measureFileWrite } from "../limits.js";
import { logConfig, PartitionLog } from "../../src/storage/index.js";
import { buildBatch } from "../../src/storage/records.js";

const KiB = 1024;
const MiB = 1024 * 1024;

/** A v2 batch (base offset 0, as a producer sends it) of `n` records of 1 KiB (key + value + overhead). */
function makeBatch(bytes: number): Buffer {
  const n = Math.max(1, Math.round(bytes / KiB));
  const records: Buffer[] = [];
  const ts = 1_700_000_000_000;
  for (let i = 0; i < n; i++) {
    // length varint(2) attrs(1) tsDelta(1) offsetDelta(1-2) keyLen(1) key(8) valueLen(2) value headers(1)
    const key = Buffer.from(`key${String(i).padStart(5, "0")}`);
    const value = Buffer.alloc(KiB - 20 - key.length, 0x61 + (i % 26));
    records.push(encodeRecord(i, key, value));
  }
  return buildBatch(
    {
      baseOffset: 0n,
      partitionLeaderEpoch: -1,
      attributes: 0,
      lastOffsetDelta: n - 1,
      baseTimestamp: BigInt(ts),
      maxTimestamp: BigInt(ts),
      producerId: -1n,
      producerEpoch: -1,
      baseSequence: -1,
      recordsCount: n,
    },
    records,
  );
}

function varint(v: number): number[] {
  let z = v >= 0 ? v * 2 : -v * 2 - 1;
  const out: number[] = [];
  while (z >= 128) {
    out.push((z & 0x7f) | 0x80);
    z = Math.floor(z / 128);
  }
  out.push(z);
  return out;
}

function encodeRecord(offsetDelta: number, key: Buffer, value: Buffer): Buffer {
  const body = Buffer.concat([
    Buffer.from([0, ...varint(0), ...varint(offsetDelta), ...varint(key.length)]),
    key,
    Buffer.from(varint(value.length)),
    value,
    Buffer.from(varint(0)),
  ]);
  return Buffer.concat([Buffer.from(varint(body.length)), body]);
}

interface Rate {
  mbPerSec: number;
  perSec: number;
  samples: number[];
  spreadPct: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function rateOf(samples: { bytes: number; ops: number; secs: number }[]): Rate {
  const mbs = samples.map((s) => s.bytes / s.secs / 1e6);
  const ops = samples.map((s) => s.ops / s.secs);
  const m = median(mbs);
  return {
    mbPerSec: m,
    perSec: median(ops),
    samples: mbs,
    spreadPct: m > 0 ? ((Math.max(...mbs) - Math.min(...mbs)) / m) * 100 : 0,
  };
}

function note(r: Rate): string {
  return `median of ${r.samples.length} samples, spread ±${r.spreadPct.toFixed(0)}%`;
}

interface Subject {
  name: string;
  workers: number;
  step: (w: number) => Promise<number>;
}

/**
 * Runs each subject's `step` in `workers` concurrent loops, one subject at a time, in round-robin
 * sample windows (warm-up first), so every subject sees the same machine conditions (page cache
 * writeback, CPU frequency) over the run. Returns each subject's median rate.
 */
async function interleaved(
  subjects: Subject[],
  warmMs: number,
  sampleMs: number,
  samples: number,
): Promise<Rate[]> {
  const out = subjects.map(() => [] as { bytes: number; ops: number; secs: number }[]);
  for (let s = -1; s < samples; s++) {
    for (const [i, sub] of subjects.entries()) {
      const ms = s < 0 ? warmMs : sampleMs;
      let bytes = 0;
      let ops = 0;
      const t0 = performance.now();
      const deadline = t0 + ms;
      await Promise.all(
        Array.from({ length: sub.workers }, async (_, w) => {
          while (performance.now() < deadline) {
            const b = await sub.step(w); // not `bytes += await …`: that reads `bytes` before the await
            bytes += b;
            ops++;
          }
        }),
      );
      const secs = (performance.now() - t0) / 1000;
      if (s >= 0) out[i]!.push({ bytes, ops, secs });
    }
  }
  return out.map(rateOf);
}

function fmtSize(n: number): string {
  return n >= MiB ? `${n / MiB} MiB` : `${n / KiB} KiB`;
}

export default async function run(ctx: BenchContext): Promise<void> {
  const quick = ctx.quick;
  const warmMs = quick ? 200 : 500;
  const sampleMs = quick ? 400 : 1000;
  const samples = quick ? 3 : 5;
  const base = join(ctx.tmpDir, "storage");
  mkdirSync(base, { recursive: true });
  let n = 0;
  const freshDir = () => {
    const d = join(base, `run-${n++}`);
    mkdirSync(d, { recursive: true });
    return d;
  };
  const rows: { label: string; brook: number; peer: number }[] = [];

  for (const batchBytes of [16 * KiB, MiB]) {
    const size = fmtSize(batchBytes);
    const proto = makeBatch(batchBytes);
    const dirs: string[] = [];
    const logs: PartitionLog[] = [];
    const openLog = async () => {
      const dir = freshDir();
      dirs.push(dir);
      const log = await PartitionLog.open({
        dir: join(dir, "bench-0"),
        topic: "bench",
        partition: 0,
        config: logConfig({ maxMessageBytes: 2 * MiB }),
      });
      logs.push(log);
      return log;
    };
    const rawDir = freshDir();
    dirs.push(rawDir);
    const fh = await open(join(rawDir, "raw.bin"), "w");
    let pos = 0;
    const rawWrite = async (sync: boolean) => {
      let off = 0;
      while (off < proto.length)
        off += (await fh.write(proto, off, proto.length - off, pos + off)).bytesWritten;
      pos += proto.length; // a growing file, like the log: fresh pages, never rewriting cached ones
      if (sync) await fh.datasync();
      return proto.length;
    };
    const appendSubject = async (
      appenders: number,
      durable: boolean,
    ): Promise<Subject & { log: PartitionLog }> => {
      const log = await openLog();
      const bufs = Array.from({ length: appenders }, () => Buffer.from(proto));
      return {
        name: `${appenders}-${durable}`,
        workers: appenders,
        log,
        step: async (w) => {
          const b = bufs[w]!;
          b.writeBigInt64BE(0n, 0); // a producer's batch arrives with base offset 0
          await log.append(b, { durable });
          return b.length;
        },
      };
    };
    const counts = [1, 8, 64];

    // ---- without fsync, beside plain fs.write of the same buffers
    ctx.progress(
      `▶ ${size} batches, no fsync: raw fs.write vs the log at 1, 8, 64 appenders (interleaved samples)`,
    );
    const noSync = [
      await appendSubject(1, false),
      await appendSubject(8, false),
      await appendSubject(64, false),
    ];
    const [raw, ...appendRates] = await interleaved(
      [{ name: "raw", workers: 1, step: () => rawWrite(false) }, ...noSync],
      warmMs,
      sampleMs,
      samples,
    );
    const syncLimit = measureFileWrite(
      proto,
      Math.max(8, Math.round(((quick ? 64 : 256) * MiB) / proto.length)),
      {
        fsync: "none",
        dir: base,
      },
    );
    ctx.record({
      name: `Raw limit: fs.write of ${size} buffers, one at a time (page cache)`,
      value: raw!.mbPerSec,
      unit: "MB/s",
      peer: {
        name: "writeSync loop of the same buffers (bench/limits.ts), no event loop round trip",
        value: syncLimit.mbPerSec,
      },
      notes: `${note(raw!)}; ${raw!.perSec.toFixed(0)} writes/s`,
    });
    for (const [i, appenders] of counts.entries()) {
      const r = appendRates[i]!;
      ctx.progress(
        `✓ append ${size}, ${appenders} appender(s), no fsync: ${r.mbPerSec.toFixed(0)} MB/s (raw ${raw!.mbPerSec.toFixed(0)})`,
      );
      ctx.record({
        name: `Append ${size} batches (1 KiB records), ${appenders} appender${appenders > 1 ? "s" : ""}, no fsync`,
        value: r.mbPerSec,
        unit: "MB/s",
        peer: { name: "raw fs.write of the same buffers, one at a time", value: raw!.mbPerSec },
        notes: `${note(r)}; ${r.perSec.toFixed(0)} batches/s; ${(noSync[i]!.log.stats.appends / Math.max(1, noSync[i]!.log.stats.writes)).toFixed(1)} appends per write`,
      });
      rows.push({ label: `${size} ×${appenders} no fsync`, brook: r.mbPerSec, peer: raw!.mbPerSec });
    }
    for (const l of logs.splice(0)) await l.close({ flush: false });

    // ---- with fsync (acks=-1), beside fs.write + fdatasync and beside the log's no-fsync rate
    ctx.progress(
      `▶ ${size} batches, fsync: raw fs.write+fdatasync vs group commit at 1, 8, 64 appenders (interleaved)`,
    );
    const durableSubjects = [
      await appendSubject(1, true),
      await appendSubject(8, true),
      await appendSubject(64, true),
    ];
    const peers = [await appendSubject(8, false), await appendSubject(64, false)];
    const [rawSync, d1, d8, d64, n8, n64] = await interleaved(
      [{ name: "raw+sync", workers: 1, step: () => rawWrite(true) }, ...durableSubjects, ...peers],
      warmMs,
      sampleMs,
      samples,
    );
    ctx.record({
      name: `Raw limit: fs.write + fdatasync of ${size} buffers, one at a time`,
      value: rawSync!.mbPerSec,
      unit: "MB/s",
      notes: `${note(rawSync!)}; ${rawSync!.perSec.toFixed(0)} write+fdatasync/s`,
    });
    const durableRates = [d1!, d8!, d64!];
    const peerFor = [
      { name: "raw fs.write + fdatasync of the same buffers, one at a time", value: rawSync!.mbPerSec },
      { name: "the log without fsync, 8 appenders (same samples)", value: n8!.mbPerSec },
      { name: "the log without fsync, 64 appenders (same samples)", value: n64!.mbPerSec },
    ];
    for (const [i, appenders] of counts.entries()) {
      const r = durableRates[i]!;
      const st = durableSubjects[i]!.log.stats;
      ctx.progress(
        `✓ append ${size}, ${appenders} appender(s), group commit: ${r.mbPerSec.toFixed(0)} MB/s (peer ${peerFor[i]!.value.toFixed(0)})`,
      );
      ctx.record({
        name: `Append ${size} batches (1 KiB records), ${appenders} appender${appenders > 1 ? "s" : ""}, group-commit fsync (acks=-1)`,
        value: r.mbPerSec,
        unit: "MB/s",
        peer: peerFor[i]!,
        notes: `${note(r)}; ${r.perSec.toFixed(0)} batches/s; ${(st.durableAppends / Math.max(1, st.syncs)).toFixed(1)} appends per fdatasync`,
      });
      rows.push({ label: `${size} ×${appenders} fsync`, brook: r.mbPerSec, peer: peerFor[i]!.value });
    }
    for (const l of logs.splice(0)) await l.close({ flush: false });
    await fh.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }

  // ---- reads from the page cache
  for (const batchBytes of [16 * KiB, MiB]) {
    const size = fmtSize(batchBytes);
    const dir = freshDir();
    const log = await PartitionLog.open({
      dir: join(dir, "read-0"),
      topic: "read",
      partition: 0,
      config: logConfig({ maxMessageBytes: 2 * MiB }),
    });
    const total = (quick ? 256 : 1024) * MiB;
    const proto = makeBatch(batchBytes);
    ctx.progress(`▶ writing ${total / MiB} MiB of ${size} batches to read back`);
    const bufs = Array.from({ length: 8 }, () => Buffer.from(proto));
    let written = 0;
    await Promise.all(
      bufs.map(async (b) => {
        while (written < total) {
          written += b.length;
          b.writeBigInt64BE(0n, 0);
          await log.append(b, { durable: false });
        }
      }),
    );
    const leo = log.logEndOffset;
    let offset = 0n;
    const segFile = log.segments[0]!.logPath;
    const fh = await open(segFile, "r");
    const segSize = (await fh.stat()).size;
    let rpos = 0;
    ctx.progress(`▶ reads of ${size} batches from the page cache vs raw fs.read (interleaved)`);
    const [r, rawRead] = (await interleaved(
      [
        {
          name: "log",
          workers: 1,
          step: async () => {
            if (offset >= leo) offset = 0n;
            const res = await log.read(offset, MiB, {});
            let bytes = 0;
            for (const chunk of res.records) {
              bytes += chunk.length;
              // next offset: walk the batch headers of what came back
              let p = 0;
              while (p + 61 <= chunk.length) {
                const sz = chunk.readInt32BE(p + 8) + 12;
                offset = chunk.readBigInt64BE(p) + BigInt(chunk.readInt32BE(p + 23)) + 1n;
                p += sz;
              }
            }
            return bytes;
          },
        },
        {
          name: "raw",
          workers: 1,
          step: async () => {
            if (rpos >= segSize) rpos = 0;
            const { bytesRead } = await fh.read(Buffer.allocUnsafe(MiB), 0, MiB, rpos);
            rpos += bytesRead;
            return bytesRead;
          },
        },
      ],
      warmMs,
      sampleMs,
      samples,
    )) as [Rate, Rate];
    await fh.close();
    await log.close({ flush: false });
    rmSync(dir, { recursive: true, force: true });
    ctx.progress(
      `✓ read ${size} batches: ${r.mbPerSec.toFixed(0)} MB/s (raw read ${rawRead.mbPerSec.toFixed(0)} MB/s)`,
    );
    ctx.record({
      name: `Read from page cache, ${size} batches, reads of up to 1 MiB (Fetch-like)`,
      value: r.mbPerSec,
      unit: "MB/s",
      peer: { name: "raw fs.read of the same segment file, 1 MiB at a time", value: rawRead.mbPerSec },
      notes: `${note(r)}; ${r.perSec.toFixed(0)} reads/s; whole batches, index lookup + header walk per read`,
    });
  }

  // ---- recovery after kill -9
  const logBytes = (quick ? 1024 : 2048) * MiB;
  for (const fresh of [true, false]) {
    const dir = freshDir();
    const what = fresh ? "fresh checkpoint" : "no checkpoint (full rescan)";
    ctx.progress(`▶ recovery of a ${logBytes / MiB} MiB log after kill -9, ${what}: writing it`);
    await writeAndKill(dir, logBytes, fresh);
    const res = await openInChild(dir);
    rmSync(dir, { recursive: true, force: true });
    ctx.progress(`✓ recovery (${what}): ${res.ms.toFixed(0)} ms, ${res.recovered} segment(s) rescanned`);
    ctx.record({
      name: `Recovery of a ${logBytes / MiB / 1024} GiB log after kill -9, ${what}`,
      value: res.ms / 1000,
      unit: "s",
      notes: `LogManager.open in a fresh process; ${res.segments} segments of 1 GiB, ${res.recovered} rescanned (CRC-checked, indexes rebuilt); log in the page cache${fresh ? "; 64 MiB appended after the last checkpoint" : ""}`,
    });
  }
}

const CHILD_WRITE = `
const { LogManager, logConfig } = await import(process.argv[1]);
const { buildBatch } = await import(process.argv[2]);
const [dir, total, fresh] = [process.argv[3], Number(process.argv[4]), process.argv[5] === "1"];
const m = await LogManager.open({ dataDir: dir, cleaner: false, checkpointIntervalMs: 1e9 });
const log = await m.create("rec", 0, logConfig({ maxMessageBytes: 2 << 20 }), "8d6f0e4e-1b2a-4c3d-9e8f-0a1b2c3d4e5f");
const body = Buffer.alloc((1 << 20) - 61, 0x62);
const mk = () => buildBatch({ baseOffset: 0n, partitionLeaderEpoch: -1, attributes: 0, lastOffsetDelta: 0, baseTimestamp: 1700000000000n, maxTimestamp: 1700000000000n, producerId: -1n, producerEpoch: -1, baseSequence: -1, recordsCount: 1 }, [recordOf(body)]);
function varint(v) { let z = v >= 0 ? v * 2 : -v * 2 - 1; const o = []; while (z >= 128) { o.push((z & 127) | 128); z = Math.floor(z / 128); } o.push(z); return o; }
function recordOf(value) { const b = Buffer.concat([Buffer.from([0, 0, 0, 1]), Buffer.from(varint(value.length)), value, Buffer.from([0])]); return Buffer.concat([Buffer.from(varint(b.length)), b]); }
let written = 0;
const bufs = Array.from({ length: 4 }, mk);
const fill = async (limit) => { await Promise.all(bufs.map(async (b) => { while (written < limit) { written += b.length; b.writeBigInt64BE(0n, 0); await log.append(b, { durable: false }); } })); };
await fill(total - (fresh ? 64 << 20 : 0));
if (fresh) { await log.flush(); await m.writeCheckpoints(); await fill(total); }
console.log("done " + log.logEndOffset);
setInterval(() => {}, 1000);
`;

const CHILD_OPEN = `
const { LogManager } = await import(process.argv[1]);
const t0 = performance.now();
const m = await LogManager.open({ dataDir: process.argv[2], cleaner: false });
const ms = performance.now() - t0;
const log = m.get("rec", 0);
console.log(JSON.stringify({ ms, segments: log.segments.length, recovered: log.recoveryReport.recoveredSegments, leo: String(log.logEndOffset) }));
process.exit(0);
`;

function srcUrl(rel: string): string {
  return new URL(rel, import.meta.url).href;
}

function runChild(
  code: string,
  args: string[],
  onLine: (line: string, kill: () => void) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let err = "";
    child.stderr.on("data", (d) => {
      err += String(d);
    });
    createInterface({ input: child.stdout }).on("line", (l) => onLine(l, () => child.kill("SIGKILL")));
    child.on("close", (code, signal) => {
      if (code === 0 || signal === "SIGKILL") resolve();
      else reject(new Error(`child exited ${code}/${signal}: ${err}`));
    });
  });
}

async function writeAndKill(dir: string, total: number, fresh: boolean): Promise<void> {
  await runChild(
    CHILD_WRITE,
    [
      srcUrl("../../src/storage/index.ts"),
      srcUrl("../../src/storage/records.ts"),
      dir,
      String(total),
      fresh ? "1" : "0",
    ],
    (line, kill) => {
      if (line.startsWith("done")) kill();
    },
  );
}

async function openInChild(dir: string): Promise<{ ms: number; segments: number; recovered: number }> {
  let out: { ms: number; segments: number; recovered: number } | undefined;
  await runChild(CHILD_OPEN, [srcUrl("../../src/storage/index.ts"), dir], (line) => {
    out = JSON.parse(line);
  });
  if (!out) throw new Error("recovery child printed nothing");
  return out;
}
