/**
 * `brook consume` against a Brook broker spawned as a process (records written with Brook's client),
 * compared byte for byte with kcat where it is installed, and a round trip against Apache Kafka.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { CompressionTypes } from "../../src/client/index.js";
import {
  startApacheKafka,
  apacheKafkaUnavailable,
  type ApacheKafkaCluster,
} from "../support/apache-kafka.js";
import { brookCommand, ROOT, runBrook, spawnBrook } from "../support/cli-process.js";
import { missing } from "../support/external.js";
import { type PcBroker, startPcBroker } from "../support/produce-consume.js";

let b: PcBroker;
const T0 = 1_700_000_000_000;

/** Topic "c": 2 partitions; partition 0 gets records 0..4 with timestamps T0 + i*1000, partition 1 gets 3. */
before(async () => {
  b = await startPcBroker(["--set", "auto.create.topics.enable=false"]);
  await b.createTopic("c", 2);
  const producer = b.kafka.producer();
  await producer.connect();
  await producer.send({
    topic: "c",
    compression: CompressionTypes.GZIP,
    messages: [
      ...Array.from({ length: 5 }, (_, i) => ({
        partition: 0,
        key: i === 4 ? null : `k${i}`,
        value: i === 3 ? "" : `v${i}`,
        headers: i === 1 ? { h1: "x", h2: "y" } : undefined,
        timestamp: String(T0 + i * 1000),
      })),
      ...Array.from({ length: 3 }, (_, i) => ({
        partition: 1,
        key: `q${i}`,
        value: `w${i}`,
        timestamp: String(T0),
      })),
    ],
  });
  await producer.disconnect();
});
after(async () => {
  await b?.stop();
});

const lines = (s: string) => s.split("\n").filter((x) => x !== "");

describe("brook consume", () => {
  it("prints every value with -e -o beginning, and exits", async () => {
    const r = await b.brook(["consume", "c", "-e", "-o", "beginning", "-p", "0"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "v0\nv1\nv2\n\nv4\n");
    assert.equal(r.stderr, "");
    const both = await b.brook(["consume", "c", "-e", "-o", "beginning"]);
    assert.deepEqual(lines(both.stdout).sort(), ["v0", "v1", "v2", "v4", "w0", "w1", "w2"]);
  });

  it("formats every kcat token", async () => {
    const r = await b.brook([
      "consume",
      "c",
      "-e",
      "-o",
      "beginning",
      "-p",
      "0",
      "-f",
      "%t|%p|%o|%k|%K|%s|%S|%T|%h|100%%\\t\\x41\\n",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const expected = [0, 1, 2, 3, 4]
      .map((i) => {
        const key = i === 4 ? "" : `k${i}`;
        const keyLen = i === 4 ? "-1" : "2";
        const value = i === 3 ? "" : `v${i}`;
        const headers = i === 1 ? "h1=x,h2=y" : "";
        return `c|0|${i}|${key}|${keyLen}|${value}|${value.length}|${T0 + i * 1000}|${headers}|100%\tA\n`;
      })
      .join("");
    assert.equal(r.stdout, expected);
  });

  it("writes %R as a 4-byte big-endian length and \\0 as a NUL byte", async () => {
    const r = await b.brook(["consume", "c", "-e", "-o", "0", "-p", "1", "-c", "1", "-f", "%R%s\\0"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([...r.stdoutBytes], [0, 0, 0, 2, 0x77, 0x30, 0]);
  });

  it("starts at each --offset spec", async () => {
    const at = async (spec: string) => {
      const r = await b.brook(["consume", "c", "-e", "-p", "0", "-f", "%o ", `--offset=${spec}`]);
      assert.equal(r.code, 0, `${spec}: ${r.stderr}`);
      return r.stdout;
    };
    assert.equal(await at("beginning"), "0 1 2 3 4 ");
    assert.equal(await at("end"), "");
    assert.equal(await at("2"), "2 3 4 ");
    assert.equal(await at("99"), ""); // past the end: clamped to it
    assert.equal(await at("-2"), "3 4 ");
    assert.equal(await at("-99"), "0 1 2 3 4 ");
    assert.equal(await at(`@${T0 + 2500}`), "3 4 ");
    assert.equal(await at(`@${new Date(T0 + 1000).toISOString()}`), "1 2 3 4 ");
    // The records are from 2023: an hour ago is after all of them, 100000 days ago before.
    assert.equal(await at("@-1h"), "");
    assert.equal(await at("@-100000d"), "0 1 2 3 4 "); // before 1970
    assert.equal(await at("@-20000d"), "0 1 2 3 4 ");
  });

  it("prints kcat's -J envelope", async () => {
    const r = await b.brook(["consume", "c", "-e", "-o", "beginning", "-p", "0", "-J"]);
    assert.equal(r.code, 0, r.stderr);
    const rows = lines(r.stdout).map((l) => JSON.parse(l));
    assert.equal(rows.length, 5);
    assert.deepEqual(rows[1], {
      topic: "c",
      partition: 0,
      offset: 1,
      tstype: "create",
      ts: T0 + 1000,
      broker: 1,
      headers: ["h1", "x", "h2", "y"],
      key: "k1",
      payload: "v1",
    });
    assert.equal(rows[4].key, null);
    assert.equal("headers" in rows[0], false);
  });

  it("re-indents JSON values with --pretty", async () => {
    await b.createTopic("c-json");
    const p = b.kafka.producer();
    await p.connect();
    await p.send({ topic: "c-json", messages: [{ value: '{"a":[1,2]}' }, { value: "not json" }] });
    await p.disconnect();
    const r = await b.brook(["consume", "c-json", "-e", "-o", "beginning", "--pretty"]);
    assert.equal(r.stdout, `${JSON.stringify({ a: [1, 2] }, null, 2)}\nnot json\n`);
  });

  it("-c stops after n records; -e on an empty range exits at once", async () => {
    const r = await b.brook(["consume", "c", "-o", "beginning", "-p", "0", "-c", "2"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "v0\nv1\n");
    const empty = await b.brook(["consume", "c", "-e"]);
    assert.equal(empty.code, 0, empty.stderr);
    assert.equal(empty.stdout, "");
  });

  it("consumes in a group with -g, commits, and starts from the committed offsets next time", async () => {
    const r = await b.brook(["consume", "c", "-g", "cli-g1", "-e", "-o", "beginning", "-f", "%p:%o\\n"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stdout).sort(), ["0:0", "0:1", "0:2", "0:3", "0:4", "1:0", "1:1", "1:2"]);
    const [committed] = await b.admin.fetchOffsets({ groupId: "cli-g1", topics: ["c"] });
    assert.deepEqual(committed!.partitions.map((p) => [p.partition, p.offset]).sort(), [
      [0, "5"],
      [1, "3"],
    ]);
    const again = await b.brook(["consume", "c", "-g", "cli-g1", "-e"]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, "");
    // -c in a group commits only what was printed.
    const some = await b.brook([
      "consume",
      "c",
      "-g",
      "cli-g2",
      "-o",
      "beginning",
      "-c",
      "1",
      "-f",
      "%p:%o\\n",
    ]);
    assert.equal(some.code, 0, some.stderr);
    const [p, o] = some.stdout.trim().split(":").map(Number);
    const [g2] = await b.admin.fetchOffsets({ groupId: "cli-g2", topics: ["c"] });
    assert.equal(g2!.partitions.find((x) => x.partition === p)!.offset, String(o! + 1));
  });

  it("--read-committed hides records of open and aborted transactions", async () => {
    await b.createTopic("c-txn");
    const plain = b.kafka.producer();
    await plain.connect();
    await plain.send({ topic: "c-txn", messages: [{ value: "before" }] });
    const aborting = b.kafka.producer({
      transactionalId: "cli-aborted",
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await aborting.connect();
    const t1 = await aborting.transaction();
    await t1.send({ topic: "c-txn", messages: [{ value: "aborted" }] });
    await t1.abort();
    const committing = b.kafka.producer({
      transactionalId: "cli-committed",
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await committing.connect();
    const t2 = await committing.transaction();
    await t2.send({ topic: "c-txn", messages: [{ value: "committed" }] });
    await t2.commit();
    const open = b.kafka.producer({ transactionalId: "cli-open", idempotent: true, maxInFlightRequests: 1 });
    await open.connect();
    const t3 = await open.transaction();
    await t3.send({ topic: "c-txn", messages: [{ value: "open" }] });
    try {
      const rc = await b.brook(["consume", "c-txn", "-e", "-o", "beginning", "--read-committed"]);
      assert.equal(rc.code, 0, rc.stderr);
      assert.equal(rc.stdout, "before\ncommitted\n");
      const ru = await b.brook(["consume", "c-txn", "-e", "-o", "beginning"]);
      assert.equal(ru.code, 0, ru.stderr);
      assert.equal(ru.stdout, "before\naborted\ncommitted\nopen\n");
    } finally {
      await t3.abort().catch(() => {});
      for (const p of [plain, aborting, committing, open]) await p.disconnect().catch(() => {});
    }
  });

  it("exits 0 quietly when stdout is closed early (| head)", async () => {
    await b.createTopic("c-many");
    const p = b.kafka.producer();
    await p.connect();
    for (let i = 0; i < 5; i++) {
      await p.send({
        topic: "c-many",
        messages: Array.from({ length: 20000 }, (_, j) => ({ value: `line-${i}-${j}` })),
      });
    }
    await p.disconnect();
    const [node, args] = brookCommand(["-b", b.bootstrap, "consume", "c-many", "-o", "beginning"]);
    const cmd = `${[node, ...args].map((a) => `'${a}'`).join(" ")} | head -3; echo "status=\${PIPESTATUS[0]}" >&2`;
    const r = spawnSync("bash", ["-c", cmd], { cwd: ROOT, encoding: "utf8", timeout: 30000 });
    assert.equal(r.stdout, "line-0-0\nline-0-1\nline-0-2\n");
    assert.equal(r.stderr, "status=0\n");
  });

  it("ends a live tail on SIGTERM with exit code 0", async () => {
    const proc = spawnBrook(["-b", b.bootstrap, "consume", "c", "-o", "beginning", "-p", "1"]);
    let out = "";
    let err = "";
    proc.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    proc.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    const code = new Promise<number | null>((resolve) => proc.on("close", (c) => resolve(c)));
    const deadline = performance.now() + 20000;
    while (!out.includes("w2") && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    proc.kill("SIGTERM");
    assert.equal(await code, 0, err);
    assert.equal(out, "w0\nw1\nw2\n");
    assert.equal(err, "");
  });

  it("refuses bad input with one line and the right exit code", async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [["consume", "c", "-o", "sometime"], 2, /--offset sometime: expected/],
      [["consume", "c", "-o", "@-15x"], 2, /--offset 15x: expected a duration/],
      [["consume", "c", "-f", "%s %x"], 2, /unknown token %x/],
      [["consume", "c", "-o", "stored"], 2, /needs --group/],
      [["consume", "c", "-g", "g", "-p", "0"], 2, /not with --group/],
      [["consume", "c", "-c", "0"], 2, /--num 0/],
      [["consume", "c", "-p", "7", "-e"], 1, /topic c has no partition 7/],
      [["consume", "nope", "-e"], 1, /UNKNOWN_TOPIC_OR_PARTITION/],
    ];
    for (const [args, code, re] of cases) {
      const r = await b.brook(args);
      assert.equal(r.code, code, `${args.join(" ")}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      // Option parsers (intOption) throw inside commander: main.ts reports those as "brook: …".
      assert.match(r.stderr, /^brook( consume)?: /);
      assert.match(r.stderr, re);
      assert.equal(r.stdout, "");
    }
  });

  it("fails fast with exit 1 when no broker is reachable", async () => {
    const started = performance.now();
    const r = await runBrook(["-b", "127.0.0.1:1", "consume", "c", "-e"], { timeoutMs: 20000 });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^brook consume: cannot reach 127\.0\.0\.1:1/);
    assert.ok(performance.now() - started < 10000, `took ${performance.now() - started} ms`);
  });

  const noKcat = missing("kcat");
  it("prints the same bytes as kcat -C -e -f for every token, and the same -J", {
    skip: noKcat ?? false,
  }, async () => {
    const fmt = "%t|%p|%o|%k|%K|%s|%S|%T|%h|%R|\\t%%\\n";
    for (const p of ["0", "1"]) {
      const ours = await b.brook(["consume", "c", "-e", "-o", "beginning", "-p", p, "-f", fmt]);
      const kcat = spawnSync("kcat", [
        "-b",
        b.bootstrap,
        "-C",
        "-t",
        "c",
        "-p",
        p,
        "-e",
        "-o",
        "beginning",
        "-q",
        "-f",
        fmt,
      ]);
      assert.equal(kcat.status, 0, kcat.stderr.toString());
      assert.deepEqual(ours.stdoutBytes, kcat.stdout);
      const oursJ = await b.brook(["consume", "c", "-e", "-o", "beginning", "-p", p, "-J"]);
      const kcatJ = spawnSync("kcat", [
        "-b",
        b.bootstrap,
        "-C",
        "-t",
        "c",
        "-p",
        p,
        "-e",
        "-o",
        "beginning",
        "-q",
        "-J",
      ]);
      assert.equal(oursJ.stdout, kcatJ.stdout.toString());
    }
  });
  if (noKcat) console.warn(`SKIP brook consume vs kcat: ${noKcat}`);
});

const kafkaReason = apacheKafkaUnavailable();
if (kafkaReason) console.warn(`SKIP brook produce/consume against Apache Kafka: ${kafkaReason}`);

describe("brook produce and consume against Apache Kafka", { skip: kafkaReason ?? false }, () => {
  let kafka: ApacheKafkaCluster;
  before(async () => {
    kafka = await startApacheKafka({ brokers: 1, quickStart: true, configs: { "num.partitions": "2" } });
  });
  after(async () => {
    await kafka?.stop();
  });

  it("round-trips keys, headers and values", async () => {
    const brook = (args: string[], input?: string) =>
      runBrook(["-b", kafka.bootstrap, ...args], {
        input,
        timeoutMs: 60000,
        env: { BROOK_PROFILE: "", BROOK_BROKERS: "" },
      });
    const produced = await brook(
      ["produce", "rt", "-k", "=", "-H", "src=brook", "-p", "1"],
      "a=1\nb=2\nc=3\n",
    );
    assert.equal(produced.code, 0, produced.stderr);
    const r = await brook(["consume", "rt", "-e", "-o", "beginning", "-f", "%p %o %k %s %h\\n"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "1 0 a 1 src=brook\n1 1 b 2 src=brook\n1 2 c 3 src=brook\n");
    const g = await brook(["consume", "rt", "-g", "rt-g", "-o", "beginning", "-e", "-J"]);
    assert.equal(g.code, 0, g.stderr);
    assert.deepEqual(
      lines(g.stdout).map((l) => JSON.parse(l).key),
      ["a", "b", "c"],
    );
  });
});
