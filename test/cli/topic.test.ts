/** `brook topic …` against a spawned Brook broker: each subcommand's effect, its output, and its errors. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import YAML from "yaml";
import { Kafka, logLevel } from "../../src/client/index.js";
import { type CliBroker, startCliBroker } from "../support/cli-broker.js";

let b: CliBroker;
let kafka: Kafka;

before(async () => {
  b = await startCliBroker();
  kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
});
after(() => b.stop());

/** One line on stderr, nothing on stdout. */
function oneLineError(r: { stdout: string; stderr: string }, pattern: RegExp): void {
  assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
  assert.match(r.stderr, pattern);
}

describe("brook topic", () => {
  it("create: partitions and configs as asked, an existing name refused unless --if-not-exists", async () => {
    const created = await b.json([
      "topic",
      "create",
      "orders",
      "audit",
      "-p",
      "3",
      "-c",
      "cleanup.policy=compact",
    ]);
    assert.deepEqual(
      created.map((r: { topic: string; status: string }) => [r.topic, r.status]),
      [
        ["orders", "CREATED"],
        ["audit", "CREATED"],
      ],
    );
    const d = await b.json(["topic", "describe", "orders"]);
    assert.equal(d.partitions.length, 3);
    const policy = d.configs.find((c: { name: string }) => c.name === "cleanup.policy");
    assert.deepEqual([policy.value, policy.source], ["compact", "DYNAMIC_TOPIC_CONFIG"]);

    const again = await b.brook(["topic", "create", "orders"]);
    assert.equal(again.code, 1);
    assert.match(again.stdout, /orders\s+FAILED\s+.*TOPIC_ALREADY_EXISTS/);
    const tolerant = await b.brook(["topic", "create", "orders", "--if-not-exists"]);
    assert.equal(tolerant.code, 0, tolerant.stderr);
    assert.match(tolerant.stdout, /orders\s+EXISTS/);
  });

  it("create --dry-run validates without creating; a bad config is refused with Kafka's error", async () => {
    const dry = await b.json(["topic", "create", "maybe", "--dry-run", "-p", "2"]);
    assert.equal(dry[0].status, "VALID");
    assert.ok(!(await b.json(["topic", "list"])).some((t: { name: string }) => t.name === "maybe"));
    const bad = await b.brook(["topic", "create", "badcfg", "-c", "cleanup.policy=sometimes"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /badcfg\s+FAILED\s+.*INVALID_CONFIG/);
    assert.ok(!(await b.json(["topic", "list"])).some((t: { name: string }) => t.name === "badcfg"));
  });

  it("list: sorted names with partition and replica counts; internal topics only with -i", async () => {
    // A committed offset makes __consumer_offsets exist.
    const admin = kafka.admin();
    await admin.connect();
    await admin.setOffsets({
      groupId: "g-list",
      topic: "orders",
      partitions: [{ partition: 0, offset: "0" }],
    });
    await admin.disconnect();
    const plain = await b.json(["topic", "list"]);
    const names = plain.map((t: { name: string }) => t.name);
    assert.deepEqual(names, [...names].sort());
    assert.ok(names.includes("orders") && !names.some((n: string) => n.startsWith("__")));
    assert.deepEqual(
      plain.find((t: { name: string }) => t.name === "orders"),
      { name: "orders", partitions: 3, replicas: 1, internal: false },
    );
    const all = await b.json(["topic", "list", "-i"]);
    assert.ok(
      all.some((t: { name: string; internal: boolean }) => t.name === "__consumer_offsets" && t.internal),
    );
    const table = await b.brook(["topic", "list"]);
    assert.match(table.stdout, /^NAME\s+PARTITIONS\s+REPLICAS\n/);
    assert.match(table.stdout, /\norders\s+3\s+1\n/);
  });

  it("describe: log start, high watermark, last stable offset below an open transaction, size on disk", async () => {
    await b.json(["topic", "create", "ledger", "-p", "2"]);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: "ledger",
      messages: [0, 1, 2, 3, 4].map((i) => ({ partition: 0, value: `v${i}` })),
    });
    await producer.disconnect();
    const tx = kafka.producer({ transactionalId: "cli-ledger", maxInFlightRequests: 1, idempotent: true });
    await tx.connect();
    const open = await tx.transaction();
    await open.send({
      topic: "ledger",
      messages: [
        { partition: 0, value: "pending-1" },
        { partition: 0, value: "pending-2" },
      ],
    });
    try {
      const d = await b.json(["topic", "describe", "ledger"]);
      const p0 = d.partitions[0];
      assert.deepEqual([p0.logStartOffset, p0.highWatermark, p0.lastStableOffset], ["0", "7", "5"]);
      assert.ok(p0.size > 0, "partition 0 has bytes on disk");
      assert.deepEqual([d.partitions[1].highWatermark, d.partitions[1].size], ["0", 0]);
      assert.equal(d.size, p0.size);
      const table = await b.brook(["topic", "describe", "ledger", "--partitions-only"]);
      assert.match(
        table.stdout,
        /PARTITION\s+LEADER\s+REPLICAS\s+ISR\s+LOG-START-OFFSET\s+HIGH-WATERMARK\s+LAST-STABLE-OFFSET\s+SIZE/,
      );
      assert.match(table.stdout, /\n0\s+1\s+1\s+1\s+0\s+7\s+5\s+\d+/);
      assert.doesNotMatch(table.stdout, /CONFIG/);
    } finally {
      await open.abort();
      await tx.disconnect();
    }
    const after = await b.json(["topic", "describe", "ledger"]);
    assert.equal(after.partitions[0].lastStableOffset, after.partitions[0].highWatermark);
  });

  it("describe: YAML for scripts, and every config with its source (--non-default: only the ones set)", async () => {
    const r = await b.brook(["topic", "describe", "orders", "--format", "yaml"]);
    assert.equal(r.code, 0, r.stderr);
    const doc = YAML.parse(r.stdout);
    assert.equal(doc.name, "orders");
    assert.ok(doc.configs.length > 10, "all configs, defaults included");
    assert.ok(doc.configs.some((c: { source: string }) => c.source === "DEFAULT_CONFIG"));
    const nonDefault = await b.brook(["topic", "describe", "orders", "--configs-only", "--non-default"]);
    assert.match(nonDefault.stdout, /cleanup\.policy\s+compact\s+DYNAMIC_TOPIC_CONFIG/);
    assert.doesNotMatch(nonDefault.stdout, /DEFAULT_CONFIG/);
  });

  it("alter-config: --set and --delete change only the named configs", async () => {
    const r = await b.brook([
      "topic",
      "alter-config",
      "orders",
      "--set",
      "retention.ms=123456",
      "--delete",
      "cleanup.policy",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const d = await b.json(["topic", "describe", "orders"]);
    const cfg = (name: string) => d.configs.find((c: { name: string }) => c.name === name);
    assert.deepEqual(
      [cfg("retention.ms").value, cfg("retention.ms").source],
      ["123456", "DYNAMIC_TOPIC_CONFIG"],
    );
    assert.deepEqual(
      [cfg("cleanup.policy").value, cfg("cleanup.policy").source],
      ["delete", "DEFAULT_CONFIG"],
    );
    const none = await b.brook(["topic", "alter-config", "orders"]);
    assert.equal(none.code, 2);
    oneLineError(none, /nothing to change/);
    const unknown = await b.brook(["topic", "alter-config", "orders", "--set", "retention.msx=1"]);
    assert.equal(unknown.code, 1);
    oneLineError(unknown, /INVALID_CONFIG|UNKNOWN/);
  });

  it("add-partitions: --to a total or --num more; fewer is refused and nothing changes", async () => {
    assert.equal((await b.json(["topic", "add-partitions", "audit", "--to", "5"]))[0].after, 5);
    const more = await b.json(["topic", "add-partitions", "audit", "--num", "1"]);
    assert.deepEqual([more[0].before, more[0].after], [5, 6]);
    const fewer = await b.brook(["topic", "add-partitions", "audit", "--to", "2"]);
    assert.equal(fewer.code, 1);
    oneLineError(fewer, /audit has 6 partitions.*INVALID_PARTITIONS/);
    assert.equal((await b.json(["topic", "describe", "audit"])).partitions.length, 6);
    const both = await b.brook(["topic", "add-partitions", "audit", "--to", "9", "--num", "1"]);
    assert.equal(both.code, 2);
  });

  it("trim: DeleteRecords to an offset or a time, per partition; refused past the high watermark", async () => {
    await b.json(["topic", "create", "trimmed", "-p", "2"]);
    const producer = kafka.producer();
    await producer.connect();
    const old = Date.now() - 3_600_000;
    await producer.send({
      topic: "trimmed",
      messages: [
        ...[0, 1, 2, 3].map((i) => ({ partition: 0, value: `old${i}`, timestamp: String(old + i) })),
        ...[0, 1].map((i) => ({ partition: 0, value: `new${i}` })),
        ...[0, 1, 2].map((i) => ({ partition: 1, value: `p1-${i}` })),
      ],
    });
    await producer.disconnect();
    const r = await b.json(["topic", "trim", "trimmed", "--offset", "2", "-p", "0"]);
    assert.deepEqual(r, [{ topic: "trimmed", partition: 0, logStartBefore: "0", logStartAfter: "2" }]);
    // Everything older than 30 minutes: partition 0 keeps its two new records, partition 1 all three.
    const byTime = await b.json(["topic", "trim", "trimmed", "--timestamp", "-30m"]);
    assert.deepEqual(
      byTime.map((x: { logStartAfter: string }) => x.logStartAfter),
      ["4", "0"],
    );
    const past = await b.brook(["topic", "trim", "trimmed", "--offset", "99"]);
    assert.equal(past.code, 1);
    oneLineError(past, /beyond the high watermark.*OFFSET_OUT_OF_RANGE/);
    const d = await b.json(["topic", "describe", "trimmed"]);
    assert.deepEqual(
      d.partitions.map((p: { logStartOffset: string }) => p.logStartOffset),
      ["4", "0"],
    );
    const all = await b.json(["topic", "trim", "trimmed", "--offset", "end"]);
    assert.deepEqual(
      all.map((x: { logStartAfter: string }) => x.logStartAfter),
      ["6", "3"],
    );
    for (const bad of [["--offset", "abc"], ["--timestamp", "yesterday"], ["--offset", "1", "-p", "x"], []]) {
      const res = await b.brook(["topic", "trim", "trimmed", ...bad]);
      assert.equal(res.code, 2, `${bad.join(" ")}: ${res.stderr}`);
      oneLineError(res, /brook topic trim: /);
    }
    const noPartition = await b.brook(["topic", "trim", "trimmed", "--offset", "0", "-p", "7"]);
    assert.equal(noPartition.code, 1);
    oneLineError(noPartition, /no partition 7/);
  });

  it("delete: gone afterwards; an unknown topic is an error unless --if-exists", async () => {
    await b.json(["topic", "create", "doomed"]);
    const r = await b.brook(["topic", "delete", "doomed"]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!(await b.json(["topic", "list"])).some((t: { name: string }) => t.name === "doomed"));
    const missing = await b.brook(["topic", "delete", "doomed"]);
    assert.equal(missing.code, 1);
    oneLineError(missing, /UNKNOWN_TOPIC_OR_PARTITION/);
    const tolerant = await b.brook(["topic", "delete", "doomed", "--if-exists"]);
    assert.equal(tolerant.code, 0);
  });

  it("describe of an unknown topic: one line naming the Kafka error, exit 1, nothing on stdout", async () => {
    const r = await b.brook(["topic", "describe", "no-such-topic"]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    oneLineError(r, /^brook topic describe: .*\(UNKNOWN_TOPIC_OR_PARTITION\); .*brook topic list/);
  });
});
