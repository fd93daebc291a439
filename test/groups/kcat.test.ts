/**
 * kcat -G (librdkafka's balanced consumer, classic protocol, range/roundrobin assignors) against an
 * in-process broker: two members split the partitions between them, offsets are committed, and a
 * later member of the same group resumes after the committed offsets.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { Kafka, logLevel } from "kafkajs";
import { decodeAssignment } from "../../src/protocol/embedded/consumer-protocol.js";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import { run, until } from "./support.js";
import { missing } from "../support/external.js";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

describe("kcat -G balanced consumers", { skip: missing("kcat") ?? false }, () => {
  let tb: TestBroker;
  const children: ChildProcess[] = [];
  before(async () => {
    tb = await startTestBroker({ configs: { "offsets.topic.num.partitions": "3" } });
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
    await tb.close();
  });

  const common = (group: string) => [
    "-b",
    tb.bootstrap,
    "-G",
    group,
    "-q",
    "-u",
    "-f",
    "%p %o %s\\n",
    "-X",
    "auto.offset.reset=earliest",
    "-X",
    "enable.auto.commit=true",
    "-X",
    "auto.commit.interval.ms=100",
    "-X",
    "session.timeout.ms=6000",
    "-X",
    "heartbeat.interval.ms=500",
  ];

  function member(group: string) {
    const proc = spawn("kcat", [...common(group), "kc"], { stdio: ["ignore", "pipe", "pipe"] });
    children.push(proc);
    const lines: string[] = [];
    let buf = "";
    let err = "";
    proc.stdout!.on("data", (d: Buffer) => {
      buf += d.toString();
      const parts = buf.split("\n");
      buf = parts.pop()!;
      lines.push(...parts.filter((l) => l.length > 0));
    });
    proc.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => proc.on("exit", (code) => r(code)));
    return { proc, lines, exited, stderr: () => err };
  }

  it("two members split the partitions, commit, and a new member resumes after the commits", async () => {
    const kafka = new Kafka({ brokers: [tb.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "kc", numPartitions: 4 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: "kc",
      messages: Array.from({ length: 100 }, (_, i) => ({ partition: i % 4, value: `m${i}` })),
    });

    const a = member("kc-group");
    const b = member("kc-group");
    const all = () => [...a.lines, ...b.lines];
    await until(() => new Set(all().map((l) => l.split(" ")[2])).size === 100, 30000, "100 records consumed");
    // Both members have their own partitions once the group settled: each partition is read by one member.
    // (The first member may have read everything before the second joined: wait for the rebalance.)
    const { groups } = (await until(
      async () => {
        const d = await admin.describeGroups(["kc-group"]);
        return d.groups[0]!.state === "Stable" && d.groups[0]!.members.length === 2 ? d : undefined;
      },
      30000,
      "the group stable with both members",
    ))!;
    assert.ok(["range", "roundrobin"].includes(groups[0]!.protocol), groups[0]!.protocol);
    const split = groups[0]!.members.map((m) =>
      decodeAssignment(m.memberAssignment).assignedPartitions.flatMap((t) => t.partitions),
    );
    assert.deepEqual(
      split.map((p) => p.length),
      [2, 2],
    );
    assert.deepEqual(split.flat().sort(), [0, 1, 2, 3]);
    // 40 more records, 10 per partition, now that each member owns two partitions: both read some.
    await producer.send({
      topic: "kc",
      messages: Array.from({ length: 40 }, (_, i) => ({ partition: i % 4, value: `s${i}` })),
    });
    await until(() => new Set(all().map((l) => l.split(" ")[2])).size === 140, 30000, "140 records consumed");
    // Wait for the auto-commit to cover everything, then stop both (kcat commits on close).
    await until(
      async () => {
        const [{ partitions }] = await admin.fetchOffsets({ groupId: "kc-group", topics: ["kc"] });
        return partitions.every((p) => p.offset === "35");
      },
      15000,
      "offsets committed",
    );
    a.proc.kill("SIGTERM");
    b.proc.kill("SIGTERM");
    await Promise.all([a.exited, b.exited]);
    const partitionsOf = (lines: string[]) =>
      new Set(lines.filter((l) => l.split(" ")[2]!.startsWith("s")).map((l) => Number(l.split(" ")[0])));
    const pa = partitionsOf(a.lines);
    const pb = partitionsOf(b.lines);
    assert.ok(pa.size > 0 && pb.size > 0, `a read ${[...pa]}, b read ${[...pb]}`);

    // 20 more records: a new member of the group reads only those, then exits at the end (-e).
    await producer.send({
      topic: "kc",
      messages: Array.from({ length: 20 }, (_, i) => ({ partition: i % 4, value: `n${i}` })),
    });
    const r = await run("kcat", [...common("kc-group"), "-e", "kc"], { timeoutMs: 30000 });
    assert.equal(r.code, 0, r.stderr);
    const values = r.stdout
      .trim()
      .split("\n")
      .map((l) => l.split(" ")[2])
      .sort();
    assert.deepEqual(values, Array.from({ length: 20 }, (_, i) => `n${i}`).sort());
    // A different group starts from the beginning (fan-out).
    const other = await run("kcat", [...common("kc-other"), "-e", "kc"], { timeoutMs: 30000 });
    assert.equal(other.stdout.trim().split("\n").length, 160);
    await producer.disconnect();
    await admin.disconnect();
  });
});
