/**
 * SIGKILL crash tests: a real child process appends with durable=true (fsync before ack) and prints
 * what was acknowledged; it is killed at a random moment; the next round's child recovers the log and
 * checks that every batch acknowledged so far is present and intact. 50 rounds by default (two lanes
 * of 25 in parallel); BROOK_SOAK=1 runs 500 (BROOK_CRASH_ROUNDS overrides).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { appendFileSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, test } from "node:test";
import { LogManager } from "../../src/storage/index.js";
import { decodeBatches, tmpDir } from "./support.js";

const ROUNDS = Number(process.env.BROOK_CRASH_ROUNDS ?? (process.env.BROOK_SOAK ? 500 : 50));
const LANES = 2;
const CHILD = new URL("./crash-child.ts", import.meta.url).pathname;

const cleanups: (() => void)[] = [];
after(() => {
  for (const c of cleanups) c();
});

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

interface RoundResult {
  acks: number;
  ready: string;
}

function runRound(
  dataDir: string,
  expectedFile: string,
  round: number,
  random: () => number,
): Promise<RoundResult> {
  const appenders = [1, 4, 16][Math.floor(random() * 3)]!;
  const checkpointMs = random() < 0.5 ? 20 : 1e9;
  const segmentBytes = [8 * 1024, 64 * 1024, 1 << 20][Math.floor(random() * 3)]!;
  const killAfter = Math.floor(random() * 120);
  // One round in eight is killed at a random moment from spawn, often during recovery itself.
  const earlyKill = random() < 0.125 ? Math.floor(random() * 500) : undefined;
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        CHILD,
        dataDir,
        expectedFile,
        String(round),
        String(appenders),
        String(checkpointMs),
        String(segmentBytes),
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let acks = 0;
    let ready = "";
    let failed = "";
    let stderr = "";
    if (earlyKill !== undefined) setTimeout(() => child.kill("SIGKILL"), earlyKill);
    const timeout = setTimeout(() => {
      child.kill("SIGKILL");
      failed ||= "child did not get ready within 20 s";
    }, 20000);
    child.stderr.on("data", (d) => {
      stderr += String(d);
    });
    const rl = createInterface({ input: child.stdout });
    rl.on("line", (line) => {
      if (line.startsWith("ack ")) {
        appendFileSync(expectedFile, `${line.slice(4)}\n`);
        acks++;
      } else if (line.startsWith("ready")) {
        ready = line;
        clearTimeout(timeout);
        if (earlyKill === undefined) setTimeout(() => child.kill("SIGKILL"), killAfter);
      } else if (line.startsWith("verify-failed")) {
        failed = line;
      }
    });
    child.on("close", (code, signal) => {
      clearTimeout(timeout);
      rl.close();
      if (failed) reject(new Error(`round ${round}: ${failed}\n${stderr}`));
      else if (signal !== "SIGKILL")
        reject(new Error(`round ${round}: child exited ${code}/${signal}\n${stderr}`));
      else resolve({ acks, ready });
    });
  });
}

test(`SIGKILL during durable appends loses no acknowledged batch (${ROUNDS} rounds)`, {
  timeout: 600_000,
}, async () => {
  const lanes = Array.from({ length: LANES }, async (_, lane) => {
    const t = tmpDir("brook-crash-");
    cleanups.push(t.cleanup);
    const dataDir = join(t.dir, "data");
    const expectedFile = join(t.dir, "acked.txt");
    writeFileSync(expectedFile, "");
    const random = rng(1234 + lane * 7919 + Number(process.env.BROOK_CRASH_SEED ?? 0));
    let total = 0;
    let recovered = 0;
    const rounds = Math.ceil(ROUNDS / LANES);
    for (let r = 0; r < rounds; r++) {
      const res = await runRound(dataDir, expectedFile, r, random);
      total += res.acks;
      if (res.ready.split(" ")[2] !== "0") recovered++;
    }
    // Final check in this process, from the last crash.
    const m = await LogManager.open({ dataDir, cleaner: false });
    const log = m.get("crash", 0)!;
    const acked = new Map<bigint, string>();
    if (existsSync(expectedFile)) {
      const { readFileSync } = await import("node:fs");
      for (const line of readFileSync(expectedFile, "utf8").split("\n")) {
        if (!line) continue;
        const [b, , id] = line.split(" ");
        acked.set(BigInt(b!), id!);
      }
    }
    let found = 0;
    let offset = log.logStartOffset;
    while (offset < log.logEndOffset) {
      const bs = (await log.read(offset, 1 << 20)).records.flatMap((x) => decodeBatches(x));
      for (const b of bs) {
        assert.equal(b.baseOffset, offset);
        assert.ok(b.crcOk);
        const id = acked.get(b.baseOffset);
        if (id) {
          assert.ok(b.records[0]!.value!.toString().startsWith(`${id}:`));
          found++;
        }
        offset = b.lastOffset + 1n;
      }
    }
    assert.equal(found, acked.size, "every acknowledged batch is present");
    await m.close();
    return { total, recovered, rounds };
  });
  const results = await Promise.all(lanes);
  const total = results.reduce((a, r) => a + r.total, 0);
  assert.ok(total > ROUNDS * 5, `too few acknowledged appends to mean anything: ${total}`);
  const recovered = results.reduce((a, r) => a + r.recovered, 0);
  console.log(`crash test: ${total} acknowledged appends, ${recovered} rounds recovered segments`);
  // Most rounds start from a crash that needed recovery of at least one segment.
  assert.ok(recovered > 0, "some rounds recovered segments");
});
