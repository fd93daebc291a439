/**
 * librdkafka >= 2.4 with group.protocol=consumer (KIP-848), through node-rdkafka built with its
 * bundled librdkafka (2.12) — installed outside Brook's package.json, in .bench-cache/node-rdkafka
 * (the bench suites install it there: `npm run bench -- broker`, or `npm install node-rdkafka` in
 * that directory), or wherever BROOK_RDKAFKA_MODULE points. Skipped when absent.
 *
 * Two members in their own processes: the first gets all six partitions, the second takes half
 * (incremental revoke/assign), both consume, commits land, and when one leaves the other gets
 * everything back.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Kafka, logLevel } from "kafkajs";
import { ConsumerGroupDescribe } from "../../src/protocol/messages/consumer-group-describe.js";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import { RawClient } from "../support/raw-client.js";
import { until } from "./support.js";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

const MEMBER = fileURLToPath(new URL("./fixtures/rdkafka-member.cjs", import.meta.url));
const candidates = [
  process.env.BROOK_RDKAFKA_MODULE,
  fileURLToPath(new URL("../../.bench-cache/node-rdkafka/node_modules/node-rdkafka", import.meta.url)),
  "/tmp/rdk/node_modules/node-rdkafka",
].filter((x): x is string => !!x);
const MODULE = candidates.find((d) => existsSync(`${d}/build/Release/node-librdkafka.node`));

class RdMember {
  readonly proc: ChildProcess;
  readonly assigned = new Set<number>();
  readonly events: string[] = [];
  readonly records: Array<[number, number]> = [];
  version = "";
  exited = false;
  private buf = "";
  constructor(bootstrap: string, group: string, topic: string) {
    this.proc = spawn(process.execPath, [MEMBER, bootstrap, group, topic], {
      env: { ...process.env, RDKAFKA_MODULE: MODULE },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.proc.stdout!.on("data", (d: Buffer) => {
      this.buf += d.toString();
      const lines = this.buf.split("\n");
      this.buf = lines.pop()!;
      for (const line of lines) this.onLine(line);
    });
    this.proc.stderr!.on("data", (d: Buffer) => this.events.push(`STDERR ${d}`));
    this.proc.on("exit", () => (this.exited = true));
  }
  private onLine(line: string): void {
    const [kind, rest] = [
      line.slice(0, line.indexOf(" ") < 0 ? line.length : line.indexOf(" ")),
      line.slice(line.indexOf(" ") + 1),
    ];
    if (kind === "REC") {
      const [p, o] = rest.split(" ").map(Number);
      this.records.push([p!, o!]);
      return;
    }
    this.events.push(line);
    if (kind === "READY") this.version = rest;
    if (kind === "ASSIGNED") for (const p of JSON.parse(rest) as number[]) this.assigned.add(p);
    if (kind === "REVOKED") for (const p of JSON.parse(rest) as number[]) this.assigned.delete(p);
  }
}

describe("librdkafka with group.protocol=consumer (KIP-848)", {
  skip: MODULE ? false : "node-rdkafka is not built in .bench-cache/node-rdkafka (see the file header)",
}, () => {
  let tb: TestBroker;
  const members: RdMember[] = [];
  before(async () => {
    tb = await startTestBroker({
      configs: {
        "offsets.topic.num.partitions": "3",
        "group.consumer.heartbeat.interval.ms": "300",
        "group.consumer.session.timeout.ms": "6000",
      },
    });
  });
  after(async () => {
    for (const m of members) if (!m.exited) m.proc.kill("SIGKILL");
    await tb.close();
  });

  it("joins, gets partitions, shares them with a second member, and takes them back when it leaves", async () => {
    const kafka = new Kafka({ brokers: [tb.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "k848", numPartitions: 6 }] });
    const producer = kafka.producer();
    await producer.connect();
    const send = (from: number, n: number) =>
      producer.send({
        topic: "k848",
        messages: Array.from({ length: n }, (_, i) => ({ partition: (from + i) % 6, value: `m${from + i}` })),
      });
    await send(0, 60);
    const raw = await RawClient.connect(tb.port);
    const describeGroup = async () =>
      (await raw.request(ConsumerGroupDescribe, 0, { groupIds: ["rdk-group"] })).groups[0]!;

    const a = new RdMember(tb.bootstrap, "rdk-group", "k848");
    members.push(a);
    await until(() => a.assigned.size === 6, 20000, "first member assigned everything");
    assert.match(a.version, /^2\.(1[0-9]|[4-9])\./, `librdkafka ${a.version} supports KIP-848`);
    await until(() => a.records.length >= 60, 20000, "first member consumed the backlog");

    const b = new RdMember(tb.bootstrap, "rdk-group", "k848");
    members.push(b);
    await until(() => a.assigned.size === 3 && b.assigned.size === 3, 20000, "partitions shared");
    assert.ok(
      a.events.some((e) => e.startsWith("REVOKED")),
      "the first member revoked partitions incrementally",
    );
    const d = await until(
      async () => {
        const x = await describeGroup();
        return x.groupState === "Stable" ? x : null;
      },
      10000,
      "group stable",
    );
    assert.equal(d!.members.length, 2);
    assert.deepEqual(
      d!.members.map((m) => m.assignment.topicPartitions.flatMap((t) => t.partitions).length),
      [3, 3],
    );
    assert.ok(d!.members.every((m) => m.clientId.startsWith("rdk-")));

    await send(60, 60);
    const seen = () => new Set([...a.records, ...b.records].map(([p, o]) => `${p}@${o}`)).size;
    await until(() => seen() === 120, 20000, "all 120 records consumed");
    for (const p of b.assigned)
      assert.ok(
        b.records.some(([rp]) => rp === p),
        `second member read partition ${p}`,
      );

    // Commits (OffsetCommit v9 with the member epoch) reach the coordinator.
    await until(
      async () => {
        const [{ partitions }] = await admin.fetchOffsets({ groupId: "rdk-group", topics: ["k848"] });
        return partitions.every((p) => p.offset === "20");
      },
      15000,
      "offsets committed",
    );

    b.proc.kill("SIGTERM");
    await until(() => b.exited, 10000, "second member stopped");
    await until(() => a.assigned.size === 6, 20000, "first member got everything back");
    await send(120, 12);
    await until(() => seen() === 132, 20000, "first member consumes every partition again");
    const errors = [...a.events, ...b.events].filter((e) => e.startsWith("ERROR") || e.startsWith("STDERR"));
    assert.deepEqual(errors, []);
    raw.close();
    await producer.disconnect();
    await admin.disconnect();
  });
});
