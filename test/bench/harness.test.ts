import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { crc32c } from "@node-rs/crc32";
import { crc32cSlicing8, crc32cTable } from "../../bench/crc32c-js.js";
import { LatencyRecorder, measureThroughput, readProcUsage, runSuite } from "../../bench/harness.js";
import { measureFileWrite, measureLoopbackTcp } from "../../bench/limits.js";
import { availableSuites, main } from "../../bench/main.js";
import { barChart } from "../../bench/report.js";

const dir = mkdtempSync(join(tmpdir(), "brook-bench-test-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("a fake suite runs through the real harness and writes JSON, markdown and SVG", async () => {
  const lines: string[] = [];
  let scratch = "";
  const result = await runSuite(
    "fake",
    async (ctx) => {
      scratch = ctx.tmpDir;
      assert.ok(existsSync(ctx.tmpDir));
      assert.equal(ctx.quick, true);
      ctx.progress("hello");
      const r = await measureThroughput(ctx, "copy 64 KiB", () => Buffer.alloc(65536).fill(1), {
        bytesPerOp: 65536,
        durationMs: 60,
        warmupMs: 10,
        samples: 3,
      });
      assert.ok(r.opsPerSec > 0 && r.mbPerSec > 0 && r.samples.length === 3);
      ctx.record({
        name: "copy",
        value: 200,
        unit: "MB/s",
        peer: { name: "other", value: 100 },
        notes: "a|b",
      });
      ctx.record({ name: "alone", value: 3, unit: "GB/s" });
      ctx.chart?.({
        name: "bars",
        title: "bars",
        spec: barChart({ title: "t", data: [{ k: "a", v: 1 }], category: "k", value: "v", valueTitle: "v" }),
      });
    },
    { quick: true, resultsDir: dir, log: (l) => lines.push(l), date: new Date("2020-01-02T03:04:05Z") },
  );
  assert.equal(result.status, "ok", result.error);
  assert.ok(!existsSync(scratch), "scratch dir removed");
  assert.ok(lines.some((l) => l.includes("fake: hello")));
  assert.ok(lines.some((l) => l.includes("▶ copy 64 KiB")) && lines.some((l) => l.includes("✓ copy 64 KiB")));

  const json = JSON.parse(readFileSync(join(dir, "2020-01-02-fake.json"), "utf8"));
  assert.equal(json.suite, "fake");
  assert.equal(json.quick, true);
  assert.deepEqual(json.measures[0], {
    name: "copy",
    value: 200,
    unit: "MB/s",
    peer: { name: "other", value: 100 },
    ratio: 2,
    notes: "a|b",
  });
  assert.equal(json.measures[1].peer, null);
  assert.equal(json.measures[1].ratio, null);
  for (const k of ["cores", "cpuModel", "memoryGB", "node", "os", "disk", "git"])
    assert.ok(k in json.machine, k);
  assert.ok(json.machine.disk.filesystem);
  assert.deepEqual(json.charts.sort(), ["2020-01-02-fake-bars.svg", "2020-01-02-fake-vs-peers.svg"]);
  for (const c of json.charts) assert.match(readFileSync(join(dir, c), "utf8"), /^<svg/);

  const md = readFileSync(join(dir, "2020-01-02-fake.md"), "utf8");
  assert.match(md, /\| copy \| 200 MB\/s \| other \| 100 MB\/s \| 2\.00× \| a\\\|b \|/);
  const latest = readFileSync(join(dir, "latest.md"), "utf8");
  assert.match(latest, /## fake — 2020-01-02/);
});

test("a failing suite is reported, not thrown", async () => {
  const r = await runSuite(
    "broken",
    async () => {
      throw new Error("boom");
    },
    { quick: true, resultsDir: dir, log: () => {} },
  );
  assert.equal(r.status, "failed");
  assert.match(r.error ?? "", /boom/);
});

test("plain-JS CRC-32C implementations agree with @node-rs/crc32", () => {
  const buf = Buffer.alloc(4099);
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 7919) & 0xff;
  assert.equal(crc32cTable(Buffer.from("123456789")), 0xe3069283);
  for (const len of [0, 1, 7, 8, 9, 63, 4099]) {
    const b = buf.subarray(0, len);
    assert.equal(crc32cTable(b), crc32c(b) >>> 0, `table ${len}`);
    assert.equal(crc32cSlicing8(b), crc32c(b) >>> 0, `slicing ${len}`);
  }
});

test("latency recorder and /proc usage", () => {
  const l = new LatencyRecorder();
  for (let i = 1; i <= 1000; i++) l.recordMicros(i);
  const s = l.summary();
  assert.equal(s.count, 1000);
  assert.ok(Math.abs(s.p50 - 500) <= 1 && Math.abs(s.p99 - 990) <= 1, JSON.stringify(s));
  l.destroy();
  const u = readProcUsage(process.pid);
  if (u) assert.ok(u.cpuSeconds > 0 && u.peakRssBytes > 0);
});

test("machine limits: loopback TCP between two processes and sequential file writes", async () => {
  const tcp = await measureLoopbackTcp(64 * 1024, 8 * 1024 * 1024);
  assert.equal(tcp.totalBytes, 8 * 1024 * 1024);
  assert.ok(tcp.seconds > 0 && tcp.mbPerSec > 0);
  const plain = measureFileWrite(Buffer.alloc(64 * 1024, 1), 16, { fsync: false, dir });
  assert.equal(plain.bytes, 1024 * 1024);
  assert.equal(plain.latency, null);
  const synced = measureFileWrite(Buffer.alloc(4096, 1), 4, { fsync: true, dir });
  assert.equal(synced.fsync, "each");
  assert.equal(synced.latency?.count, 4);
});

test("the CLI reports planned suites as not yet available and rejects unknown names", async (t) => {
  const logged: string[] = [];
  t.mock.method(console, "log", (...a: unknown[]) => logged.push(a.join(" ")));
  t.mock.method(console, "error", (...a: unknown[]) => logged.push(a.join(" ")));
  const missing = ["storage", "broker", "groups", "txn", "client"].find(
    (s) => !availableSuites().includes(s),
  );
  if (missing) {
    assert.equal(await main([missing, "--results-dir", dir]), 0);
    assert.ok(logged.some((l) => l.includes(`${missing}: not yet available`)));
  }
  assert.equal(await main(["no-such-suite", "--results-dir", dir]), 2);
  assert.equal(await main(["--bogus"]), 2);
});
