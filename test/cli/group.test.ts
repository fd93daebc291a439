/**
 * `brook group …` against a spawned Brook broker, with real consumers (Brook's client, classic and
 * KIP-848 groups) as the members: lag figures, members, the reset rules of kafka-consumer-groups, and
 * the refusals of an active group.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Consumer, Kafka, logLevel } from "../../src/client/index.js";
import { type CliBroker, startCliBroker } from "../support/cli-broker.js";

let b: CliBroker;
let kafka: Kafka;
const dir = mkdtempSync(join(tmpdir(), "brook-cli-group-"));
const consumers: Consumer[] = [];

/** Timestamps: partition 0's first 5 records an hour old, the rest now. */
const HOUR_AGO = Date.now() - 3_600_000;

before(async () => {
  b = await startCliBroker();
  kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING, clientId: "group-test" });
  await b.json(["topic", "create", "events", "-p", "2"]);
  await b.json(["topic", "create", "other", "-p", "1"]);
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic: "events",
    messages: [
      ...Array.from({ length: 5 }, (_, i) => ({
        partition: 0,
        value: `old${i}`,
        timestamp: String(HOUR_AGO + i),
      })),
      ...Array.from({ length: 5 }, (_, i) => ({ partition: 0, value: `new${i}` })),
      ...Array.from({ length: 4 }, (_, i) => ({ partition: 1, value: `p1-${i}` })),
    ],
  });
  await producer.send({ topic: "other", messages: [{ value: "x" }, { value: "y" }] });
  await producer.disconnect();
});

after(async () => {
  for (const c of consumers) await c.disconnect().catch(() => {});
  await b.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function commit(groupId: string, topic: string, offsets: Record<number, number>): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.setOffsets({
    groupId,
    topic,
    partitions: Object.entries(offsets).map(([p, o]) => ({ partition: Number(p), offset: String(o) })),
  });
  await admin.disconnect();
}

async function committed(groupId: string, topic: string): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
  await admin.disconnect();
  return t!.partitions.sort((x, y) => x.partition - y.partition).map((p) => p.offset);
}

/** A member that joins, consumes nothing (paused) and commits nothing: the group is Stable. */
async function liveMember(
  groupId: string,
  groupProtocol: "classic" | "consumer" = "classic",
): Promise<Consumer> {
  const consumer = kafka.consumer({ groupId, groupProtocol, sessionTimeout: 10_000, heartbeatInterval: 500 });
  consumers.push(consumer);
  await consumer.connect();
  await consumer.subscribe({ topics: ["events"] });
  let joined!: () => void;
  const ready = new Promise<void>((r) => (joined = r));
  consumer.on(consumer.events.GROUP_JOIN, () => joined());
  await consumer.run({ autoCommit: false, eachMessage: async () => {} });
  consumer.pause([{ topic: "events" }]);
  await ready;
  return consumer;
}

async function waitForState(group: string, state: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const groups = await b.json(["group", "list"]);
    if (groups.find((g: { group: string }) => g.group === group)?.state === state) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`group ${group} never reached ${state}`);
}

function oneLineError(r: { stderr: string }, pattern: RegExp): void {
  assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
  assert.match(r.stderr, pattern);
}

describe("brook group", () => {
  it("describe: per-partition committed offset, log end and lag, and the total, for a group without members", async () => {
    await commit("billing", "events", { 0: 3, 1: 4 });
    await commit("billing", "other", { 0: 1 });
    const d = await b.json(["group", "describe", "billing"]);
    assert.equal(d.state, "Empty");
    assert.deepEqual(
      d.partitions.map((p: Record<string, unknown>) => [
        p.topic,
        p.partition,
        p.currentOffset,
        p.logEndOffset,
        p.lag,
        p.memberId,
      ]),
      [
        ["events", 0, "3", "10", "7", null],
        ["events", 1, "4", "4", "0", null],
        ["other", 0, "1", "2", "1", null],
      ],
    );
    assert.equal(d.totalLag, "8");
    const table = await b.brook(["group", "describe", "billing"]);
    assert.match(
      table.stdout,
      /GROUP\s+TOPIC\s+PARTITION\s+CURRENT-OFFSET\s+LOG-END-OFFSET\s+LAG\s+CONSUMER-ID\s+HOST\s+CLIENT-ID/,
    );
    assert.match(table.stdout, /billing\s+events\s+0\s+3\s+10\s+7\s+-\s+-\s+-/);
    assert.match(table.stdout, /total lag 8/);
  });

  it("describe: a live classic member's id, host and client id beside its partitions", async () => {
    await liveMember("live-classic");
    await waitForState("live-classic", "Stable");
    const d = await b.json(["group", "describe", "live-classic"]);
    assert.equal(d.type, "classic");
    assert.equal(d.members.length, 1);
    assert.equal(d.members[0].clientId, "group-test");
    assert.deepEqual(
      d.partitions.map((p: Record<string, unknown>) => [
        p.topic,
        p.partition,
        p.currentOffset,
        p.logEndOffset,
        p.lag,
      ]),
      [
        ["events", 0, null, "10", null],
        ["events", 1, null, "4", null],
      ],
    );
    for (const p of d.partitions) {
      assert.equal(p.memberId, d.members[0].memberId);
      assert.equal(p.clientId, "group-test");
      assert.match(p.host, /127\.0\.0\.1/);
    }
  });

  it("describe: a KIP-848 (consumer protocol) member and its assignment", async () => {
    await liveMember("live-848", "consumer");
    await waitForState("live-848", "Stable");
    const d = await b.json(["group", "describe", "live-848"]);
    assert.equal(d.type, "consumer");
    assert.equal(d.members.length, 1);
    assert.deepEqual(
      d.members[0].partitions.map((p: { partition: number }) => p.partition),
      [0, 1],
    );
    assert.ok(d.partitions.every((p: { clientId: string }) => p.clientId === "group-test"));
  });

  it("list: every group with its state and type; --state filters", async () => {
    const groups = await b.json(["group", "list"]);
    const byId = Object.fromEntries(groups.map((g: { group: string }) => [g.group, g]));
    assert.deepEqual(
      [byId.billing.state, byId["live-classic"].state, byId["live-classic"].type, byId["live-848"].type],
      ["Empty", "Stable", "classic", "consumer"],
    );
    const empty = await b.json(["group", "list", "--state", "empty"]);
    assert.ok(empty.every((g: { state: string }) => g.state === "Empty"));
    assert.ok(empty.some((g: { group: string }) => g.group === "billing"));
  });

  it("seek: a dry run by default; each reset spec gives kafka-consumer-groups' offsets (clamped to the log)", async () => {
    await commit("resets", "events", { 0: 6, 1: 2 });
    const plan = async (...spec: string[]) =>
      (await b.json(["group", "seek", "resets", "--topic", "events", ...spec])).offsets.map(
        (o: { newOffset: string }) => o.newOffset,
      );
    assert.deepEqual(await plan("--to-earliest"), ["0", "0"]);
    assert.deepEqual(await plan("--to-latest"), ["10", "4"]);
    assert.deepEqual(await plan("--to-current"), ["6", "2"]);
    assert.deepEqual(await plan("--to-offset", "7"), ["7", "4"]);
    assert.deepEqual(await plan("--shift-by", "-3"), ["3", "0"]);
    assert.deepEqual(await plan("--shift-by", "5"), ["10", "4"]);
    // Half an hour ago: partition 0's records from then on start at 5; partition 1's at 0.
    const halfHourAgo = new Date(Date.now() - 1_800_000).toISOString();
    assert.deepEqual(await plan("--to-datetime", halfHourAgo), ["5", "0"]);
    assert.deepEqual(await plan("--by-duration", "30m"), ["5", "0"]);
    assert.deepEqual(await plan("--by-duration", "PT2H"), ["0", "0"]);
    const one = await b.json(["group", "seek", "resets", "--topic", "events:1", "--to-earliest"]);
    assert.deepEqual(
      one.offsets.map((o: { partition: number }) => o.partition),
      [1],
    );
    assert.equal(one.executed, false);
    assert.deepEqual(await committed("resets", "events"), ["6", "2"], "a dry run changes nothing");
    const table = await b.brook(["group", "seek", "resets", "--topic", "events", "--to-earliest"]);
    assert.match(
      table.stdout,
      /GROUP\s+TOPIC\s+PARTITION\s+CURRENT-OFFSET\s+NEW-OFFSET\nresets\s+events\s+0\s+6\s+0/,
    );
    assert.match(table.stderr, /dry run: nothing changed; add --execute/);
  });

  it("seek --execute applies; --export writes the CSV --from-file reads back", async () => {
    await commit("applied", "events", { 0: 8, 1: 3 });
    const r = await b.json([
      "group",
      "seek",
      "applied",
      "--topic",
      "events",
      "--shift-by",
      "-2",
      "--execute",
    ]);
    assert.equal(r.executed, true);
    assert.deepEqual(await committed("applied", "events"), ["6", "1"]);
    const exported = await b.brook(["group", "seek", "applied", "--all-topics", "--to-current", "--export"]);
    assert.equal(exported.stdout, "events,0,6\nevents,1,1\n");
    await b.json(["group", "seek", "applied", "--topic", "events", "--to-latest", "--execute"]);
    const file = join(dir, "offsets.csv");
    writeFileSync(file, exported.stdout);
    await b.json(["group", "seek", "applied", "--from-file", file, "--execute"]);
    assert.deepEqual(await committed("applied", "events"), ["6", "1"]);
  });

  it("seek is refused while the group has members, and changes nothing", async () => {
    const before = await committed("live-classic", "events");
    const r = await b.brook([
      "group",
      "seek",
      "live-classic",
      "--topic",
      "events",
      "--to-earliest",
      "--execute",
    ]);
    assert.equal(r.code, 1);
    oneLineError(
      r,
      /can only be reset if the group 'live-classic' is inactive, but the current state is Stable/,
    );
    assert.deepEqual(await committed("live-classic", "events"), before);
  });

  it("seek: usage errors exit 2 with one line and change nothing", async () => {
    const cases: string[][] = [
      ["--topic", "events"],
      ["--topic", "events", "--to-earliest", "--to-latest"],
      ["--to-earliest"],
      ["--topic", "events", "--to-offset", "x"],
      ["--topic", "events", "--shift-by", "1.5"],
      ["--topic", "events", "--by-duration", "soon"],
      ["--topic", "events", "--to-datetime", "not-a-date"],
      ["--from-file", join(dir, "missing.csv")],
      ["--topic", "events:a", "--to-earliest"],
    ];
    for (const c of cases) {
      const r = await b.brook(["group", "seek", "resets", ...c, "--execute"]);
      assert.equal(r.code, 2, `${c.join(" ")}: ${r.stderr}`);
      oneLineError(r, /^brook group seek: /);
    }
    const bad = join(dir, "bad.csv");
    writeFileSync(bad, "events,0,1\nevents;1;2\n");
    const r = await b.brook(["group", "seek", "resets", "--from-file", bad, "--execute"]);
    assert.equal(r.code, 2);
    oneLineError(r, /line 2 is not topic,partition,offset/);
    assert.deepEqual(await committed("resets", "events"), ["6", "2"]);
    const noPartition = await b.brook(["group", "seek", "resets", "--topic", "events:5", "--to-earliest"]);
    assert.equal(noPartition.code, 1);
    oneLineError(noPartition, /events has no partition 5/);
  });

  it("delete-offsets removes a topic's (or a partition's) committed offsets", async () => {
    await commit("pruned", "events", { 0: 1, 1: 1 });
    await commit("pruned", "other", { 0: 1 });
    const r = await b.brook(["group", "delete-offsets", "pruned", "--topic", "events", "-p", "1"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await committed("pruned", "events"), ["1", "-1"]);
    await b.brook(["group", "delete-offsets", "pruned", "--topic", "other"]);
    assert.deepEqual(await committed("pruned", "other"), ["-1"]);
  });

  it("delete: an empty group goes; an active one is refused with NON_EMPTY_GROUP; an unknown one is an error", async () => {
    const ok = await b.brook(["group", "delete", "pruned"]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(!(await b.json(["group", "list"])).some((g: { group: string }) => g.group === "pruned"));
    const active = await b.brook(["group", "delete", "live-classic"]);
    assert.equal(active.code, 1);
    oneLineError(active, /live-classic: .*NON_EMPTY_GROUP/);
    const unknown = await b.brook(["group", "describe", "never-was"]);
    assert.equal(unknown.code, 1);
    oneLineError(unknown, /group never-was does not exist \(GROUP_ID_NOT_FOUND\)/);
  });
});
