/**
 * CLI suite: `brook produce` and `brook consume` beside kcat (librdkafka) on the same spawned Brook
 * broker in the same run. N records (1M, 100k with --quick) of 100 B and of 1 KiB values:
 * - produce: `brook produce <topic> -f file` vs `kcat -P -l file` (each into a topic of its own);
 * - consume: `brook consume <topic> -e -o beginning -f '%s\n' > /dev/null` vs
 *   `kcat -C -e -o beginning -f '%s\n' > /dev/null`, both reading the topic brook produced.
 * Figures are whole-process wall times (start-up and connection included, for both tools), the
 * median of the rounds (3, 1 with --quick). The built CLI (node dist/cli/main.js) is used when
 * `npm run build` succeeds, else src through tsx (slower start-up); the notes say which.
 * Goal (reported, not asserted): brook ≥ 0.8× kcat's records/s.
 */
import { spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { startBrokerProcess } from "../broker-process.js";
import type { BenchContext } from "../harness.js";
import { REPO_ROOT } from "../peers.js";

function run(
  cmd: string,
  args: string[],
  stdoutTo: "ignore" | "pipe" = "ignore",
): Promise<{ ms: number; code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const proc = spawn(cmd, args, { cwd: REPO_ROOT, stdio: ["ignore", stdoutTo, "pipe"] });
    let stderr = "";
    proc.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    proc.on("error", reject);
    proc.on("close", (code) => resolve({ ms: performance.now() - started, code, stderr }));
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function writeInput(file: string, n: number, size: number): void {
  const line = Buffer.alloc(size + 1, 0x61);
  line[size] = 0x0a;
  const per = 4096;
  const chunk = Buffer.concat(Array.from({ length: per }, () => line));
  const fd = openSync(file, "w");
  try {
    let left = n;
    while (left > 0) {
      const k = Math.min(per, left);
      writeSync(fd, chunk, 0, k * (size + 1));
      left -= k;
    }
  } finally {
    closeSync(fd);
  }
}

export default async function cli(ctx: BenchContext): Promise<void> {
  const n = ctx.quick ? 100_000 : 1_000_000;
  const rounds = ctx.quick ? 1 : 3;
  const kcat = spawnSync("kcat", ["-V"]).status === 0;
  if (!kcat) ctx.progress("kcat is not installed (Debian/Ubuntu: apt-get install kcat): brook figures only");

  ctx.progress("building dist (npm run build)");
  const build = spawnSync("npm", ["run", "build"], { cwd: REPO_ROOT, encoding: "utf8" });
  const dist = build.status === 0 && existsSync(join(REPO_ROOT, "dist", "cli", "main.js"));
  const brookCmd = dist
    ? [process.execPath, join(REPO_ROOT, "dist", "cli", "main.js")]
    : [process.execPath, "--import", "tsx", join(REPO_ROOT, "src", "cli", "main.ts")];
  const how = dist ? "node dist/cli/main.js" : "tsx src/cli/main.ts (npm run build failed)";
  ctx.progress(`brook CLI: ${how}`);

  const broker = await startBrokerProcess(join(ctx.tmpDir, "data"));
  const bs = `127.0.0.1:${broker.port}`;
  try {
    for (const size of [100, 1024]) {
      const file = join(ctx.tmpDir, `in-${size}.txt`);
      writeInput(file, n, size);
      const mb = (n * size) / 1e6;
      const prod = { brook: [] as number[], kcat: [] as number[] };
      const cons = { brook: [] as number[], kcat: [] as number[] };
      for (let r = 0; r < rounds; r++) {
        const bt = `cli-brook-${size}-${r}`;
        ctx.progress(`${size} B, round ${r + 1}/${rounds}: brook produce`);
        const bp = await run(brookCmd[0]!, [...brookCmd.slice(1), "-b", bs, "produce", bt, "-f", file, "-q"]);
        if (bp.code !== 0) throw new Error(`brook produce failed: ${bp.stderr}`);
        prod.brook.push(bp.ms);
        if (kcat) {
          ctx.progress(`${size} B, round ${r + 1}/${rounds}: kcat -P`);
          const kp = await run("kcat", ["-P", "-b", bs, "-t", `cli-kcat-${size}-${r}`, "-l", file]);
          if (kp.code !== 0) throw new Error(`kcat -P failed: ${kp.stderr}`);
          prod.kcat.push(kp.ms);
        }
        ctx.progress(`${size} B, round ${r + 1}/${rounds}: brook consume`);
        const bc = await run(brookCmd[0]!, [
          ...brookCmd.slice(1),
          "-b",
          bs,
          "consume",
          bt,
          "-e",
          "-o",
          "beginning",
          "-f",
          "%s\\n",
        ]);
        if (bc.code !== 0) throw new Error(`brook consume failed: ${bc.stderr}`);
        cons.brook.push(bc.ms);
        if (kcat) {
          ctx.progress(`${size} B, round ${r + 1}/${rounds}: kcat -C`);
          const kc = await run("kcat", [
            "-C",
            "-b",
            bs,
            "-t",
            bt,
            "-e",
            "-o",
            "beginning",
            "-q",
            "-f",
            "%s\\n",
          ]);
          if (kc.code !== 0) throw new Error(`kcat -C failed: ${kc.stderr}`);
          cons.kcat.push(kc.ms);
        }
      }
      for (const [what, t] of [
        ["produce", prod],
        ["consume", cons],
      ] as const) {
        const bs_ = median(t.brook) / 1000;
        const ks = t.kcat.length ? median(t.kcat) / 1000 : null;
        ctx.record({
          name: `${what} ${n.toLocaleString("en-US")} × ${size} B`,
          value: Math.round(n / bs_),
          unit: "records/s",
          ...(ks ? { peer: { name: "kcat", value: Math.round(n / ks) } } : {}),
          notes: `brook ${(mb / bs_).toFixed(1)} MB/s in ${bs_.toFixed(2)} s${ks ? `, kcat ${(mb / ks).toFixed(1)} MB/s in ${ks.toFixed(2)} s` : ""}; ${how}; wall time of the whole process`,
        });
      }
    }
  } finally {
    await broker.stop();
  }
}
