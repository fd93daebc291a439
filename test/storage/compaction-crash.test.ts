/**
 * A crash in the middle of a clean loses nothing: a child process is SIGKILLed at each step of the
 * cleaner's swap (and at random moments while it copies), then the log is reopened here and checked:
 * every record left is one that was written, at its offset; every key still reads its latest value;
 * no temporary file survives recovery; and a later clean gives exactly the compacted log.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { LogManager } from "../../src/storage/index.js";
import { readAll, tmpDir } from "./support.js";

const CHILD = new URL("./compaction-crash-child.ts", import.meta.url).pathname;
const cleanups: (() => void)[] = [];
after(() => {
  for (const c of cleanups) c();
});

function run(
  dataDir: string,
  point: string,
): Promise<{ code: number | null; signal: string | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", CHILD, dataDir, point], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => {
      out += String(d);
    });
    child.stderr.on("data", (d) => {
      out += String(d);
    });
    child.on("close", (code, signal) => resolve({ code, signal, out }));
  });
}

// The content the child writes: record n (offset n) has key key<n % 97> and value "<n>:xxx…".
const TOTAL = 3000;
const keyOf = (n: number) => `key${n % 97}`;

async function check(dataDir: string, label: string): Promise<void> {
  const m = await LogManager.open({ dataDir, cleanerOptions: { backoffMs: 1e9 } });
  const log = m.get("cc", 0)!;
  assert.deepEqual(
    readdirSync(log.dir).filter((f) => /\.(cleaned|swap)$/.test(f)),
    [],
    `${label}: no temporary files after recovery`,
  );
  assert.equal(log.logEndOffset, BigInt(TOTAL), `${label}: LEO`);
  const batches = await readAll(log, 0n, 1 << 20);
  let prev = -1n;
  const latest = new Map<string, number>();
  for (const b of batches) {
    assert.ok(b.crcOk, `${label}: CRC`);
    assert.ok(b.baseOffset > prev, `${label}: offsets increase`);
    prev = b.lastOffset;
    for (const r of b.records) {
      const n = Number(r.offset);
      assert.equal(r.key!.toString(), keyOf(n), `${label}: key at ${n}`);
      assert.ok(r.value!.toString().startsWith(`${n}:`), `${label}: value at ${n}`);
      latest.set(keyOf(n), n);
    }
  }
  for (let k = 0; k < 97; k++) {
    const last = TOTAL - 1 - ((TOTAL - 1 - k) % 97);
    assert.equal(latest.get(`key${k}`), last, `${label}: key${k} still reads its latest value`);
  }
  // A full clean afterwards yields exactly one record per key below the active segment.
  await m.cleaner!.clean(log, Date.now());
  const end = Number(log.activeSegment.baseOffset);
  const recs = (await readAll(log, 0n, 1 << 20)).flatMap((b) => b.records.map((r) => Number(r.offset)));
  const want: number[] = [];
  for (let n = 0; n < TOTAL; n++) {
    if (n >= end) want.push(n);
    else {
      let lastBelow = n;
      while (lastBelow + 97 < end) lastBelow += 97;
      if (lastBelow === n) want.push(n);
    }
  }
  assert.deepEqual(recs, want, `${label}: a clean after recovery compacts exactly`);
  await m.close();
}

test("SIGKILL at each step of a clean loses nothing", { timeout: 120_000 }, async () => {
  const points = ["after-swap-commit", "after-retire", "timer:2", "timer:10", "timer:30", "none"];
  let killedMidCopy = 0;
  await Promise.all(
    [points.slice(0, 3), points.slice(3)].map(async (lane) => {
      for (const point of lane) {
        const t = tmpDir("brook-cc-");
        cleanups.push(t.cleanup);
        const dataDir = join(t.dir, "data");
        const r = await run(dataDir, point);
        const files = readdirSync(join(dataDir, "cc-0"));
        if (point === "none") {
          assert.equal(r.code, 0, r.out);
          assert.match(r.out, /cleaned/);
        } else if (point.startsWith("timer:")) {
          assert.equal(r.signal, "SIGKILL", `${point}: ${r.out}`);
          if (!r.out.includes("cleaned")) killedMidCopy++;
        } else {
          assert.equal(r.signal, "SIGKILL", `${point}: ${r.out}`);
          assert.ok(
            files.some((f) => f.endsWith(".log.swap")),
            `${point}: the crash left a committed swap to finish (${files.join(",")})`,
          );
          if (point === "after-retire") assert.ok(files.some((f) => f.endsWith(".log.deleted")));
        }
        await check(dataDir, point);
      }
    }),
  );
  assert.ok(killedMidCopy >= 1, "at least one kill landed while the cleaner was copying");
});
