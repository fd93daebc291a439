/** `brook produce` against a Brook broker spawned as a process; records read back with Brook's client. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { spawnBrook } from "../support/cli-process.js";
import { type PcBroker, startPcBroker } from "../support/produce-consume.js";

let b: PcBroker;
const dir = mkdtempSync(join(tmpdir(), "brook-produce-"));

before(async () => {
  b = await startPcBroker(["--set", "auto.create.topics.enable=false"]);
});
after(async () => {
  await b?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("brook produce", () => {
  it("writes one record per line, keys split at -k, headers from -H, to -p's partition", async () => {
    await b.createTopic("p-basic", 3);
    const r = await b.brook(["produce", "p-basic", "-k", ":", "-H", "a=1", "-H", "b=x=y", "-p", "2"], {
      input: "k1:v1\n\nk2:v:2\nno-key\nlast:line",
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "");
    const records = await b.readAll("p-basic");
    assert.deepEqual(
      records.map((x) => [x.partition, x.key, x.value]),
      [
        [2, "k1", "v1"],
        [2, null, ""],
        [2, "k2", "v:2"],
        [2, null, "no-key"],
        [2, "last", "line"],
      ],
    );
    for (const x of records) assert.deepEqual(x.headers, { a: "1", b: "x=y" });
    assert.match(
      r.stderr,
      /^produced 5 records \(0\.00 MB\) to p-basic in [\d.]+s: [\d,]+ records\/s, [\d.]+ MB\/s\n$/,
    );
  });

  it("reads --file, takes another --delimiter, and --quiet prints nothing", async () => {
    await b.createTopic("p-file");
    const file = join(dir, "in.txt");
    writeFileSync(file, "a;b;c;");
    const r = await b.brook(["produce", "p-file", "-f", file, "-D", ";", "--quiet"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    assert.deepEqual(
      (await b.readAll("p-file")).map((x) => x.value),
      ["a", "b", "c"],
    );
  });

  for (const codec of ["gzip", "snappy", "lz4", "zstd"]) {
    it(`compresses with -z ${codec}`, async () => {
      const topic = `p-z-${codec}`;
      await b.createTopic(topic);
      const lines = Array.from({ length: 200 }, (_, i) => `record-${i}-${"x".repeat(i % 50)}`);
      const r = await b.brook(["produce", topic, "-z", codec, "--acks", "1"], {
        input: `${lines.join("\n")}\n`,
      });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(
        (await b.readAll(topic)).map((x) => x.value),
        lines,
      );
    });
  }

  it("takes JSON lines: key, any JSON value (non-strings as JSON text), headers, partition", async () => {
    await b.createTopic("p-json", 2);
    const input = [
      JSON.stringify({ key: "k", value: "plain", headers: { h: "v" }, partition: 1 }),
      JSON.stringify({ value: { a: [1, 2] } }),
      JSON.stringify({ key: 7, value: null, partition: 0 }),
      "",
    ].join("\n");
    const r = await b.brook(["produce", "p-json", "--format", "json", "-p", "0"], { input });
    assert.equal(r.code, 0, r.stderr);
    const records = await b.readAll("p-json");
    assert.deepEqual(
      records.map((x) => [x.partition, x.key, x.value, x.headers]),
      [
        [0, null, '{"a":[1,2]}', {}],
        [0, "7", null, {}],
        [1, "k", "plain", { h: "v" }],
      ],
    );
  });

  it("stops at a bad JSON line: the lines before it are produced and acknowledged, nothing after", async () => {
    await b.createTopic("p-badjson");
    const input = ['{"value":"one"}', '{"value":"two"}', "{not json", '{"value":"four"}', ""].join("\n");
    const r = await b.brook(["produce", "p-badjson", "--format", "json"], { input });
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split("\n").length, 2, r.stderr); // the summary, then the error
    assert.match(r.stderr, /^produced 2 records/);
    assert.match(r.stderr, /brook produce: line 3: not JSON: .*; 2 records were acknowledged before it\n$/);
    assert.deepEqual(
      (await b.readAll("p-badjson")).map((x) => x.value),
      ["one", "two"],
    );
  });

  it("refuses a bad first JSON line with nothing written", async () => {
    await b.createTopic("p-badjson1");
    const r = await b.brook(["produce", "p-badjson1", "--format", "json", "-q"], {
      input: '["not", "an object"]\n',
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^brook produce: line 1: expected a JSON object/);
    assert.equal(r.stderr.trim().split("\n").length, 1);
    assert.equal(await b.highWatermark("p-badjson1"), 0);
  });

  it("fails on an unknown topic (auto-create off) with one line naming the Kafka error", async () => {
    const r = await b.brook(["produce", "p-nope"], { input: "a\nb\n", timeoutMs: 30000 });
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, /^brook produce: .*UNKNOWN_TOPIC_OR_PARTITION.*0 records were acknowledged/);
  });

  it("refuses bad options with exit code 2 and writes nothing", async () => {
    await b.createTopic("p-usage");
    const cases: string[][] = [
      ["--acks", "2"],
      ["-p", "x"],
      ["-H", "novalue"],
      ["-z", "brotli"],
      ["--format", "xml"],
      ["-f", join(dir, "missing.txt")],
      ["-k", ""],
    ];
    for (const extra of cases) {
      const r = await b.brook(["produce", "p-usage", ...extra], { input: "a\n" });
      assert.equal(r.code, 2, `${extra.join(" ")}: ${r.stderr}`);
      assert.ok(r.stderr.trim().length > 0, extra.join(" "));
    }
    assert.equal(await b.highWatermark("p-usage"), 0);
  });

  it("fails with exit 1 when the broker goes away mid-run, saying how many records were acknowledged", async () => {
    const other = await startPcBroker();
    try {
      await other.createTopic("p-down");
      const proc = spawnBrook(["-b", other.bootstrap, "produce", "p-down", "-q"]);
      let stderr = "";
      proc.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => proc.on("close", (code) => resolve(code)));
      proc.stdin!.on("error", () => {});
      proc.stdin!.write(`${"first\n".repeat(20000)}`);
      // Wait until the first records are in, then take the broker away and send more.
      const deadline = performance.now() + 15000;
      while ((await other.highWatermark("p-down").catch(() => 0)) === 0 && performance.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      await other.kill();
      proc.stdin!.end("after\n".repeat(20000));
      const code = await exited;
      assert.equal(code, 1, stderr);
      assert.equal(stderr.trim().split("\n").length, 1, stderr);
      assert.match(stderr, /^brook produce: .*; \d+ records? (were|was) acknowledged before it\n$/);
    } finally {
      await other.stop().catch(() => {});
    }
  });
});
