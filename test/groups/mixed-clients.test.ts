/**
 * One classic consumer group with three different clients, each in its own process: Brook's client
 * and KafkaJS 2.2.4 (test/groups/fixtures/group-worker.cjs, both with the "range" assignor, which
 * KafkaJS gets as a custom assigner) and librdkafka through node-rdkafka
 * (fixtures/rdkafka-member.cjs with group.protocol=classic and partition.assignment.strategy=range).
 * Whichever member leads computes the assignment for the others.
 *
 * Records are produced while the group is stable; each client in turn leaves (SIGTERM: a clean
 * leave) and joins again with a new process. Every record is consumed exactly once over all the
 * processes, and the partitions are always split between the members present.
 *
 * node-rdkafka comes from BROOK_RDKAFKA_MODULE or .bench-cache/node-rdkafka (see
 * kip848-librdkafka.test.ts); without it the test is skipped.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Kafka, logLevel } from "kafkajs";
import type { GroupCoordinator } from "../../src/coordinator/group-coordinator.js";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import { until } from "./support.js";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

const WORKER = fileURLToPath(new URL("./fixtures/group-worker.cjs", import.meta.url));
const RDKAFKA_MEMBER = fileURLToPath(new URL("./fixtures/rdkafka-member.cjs", import.meta.url));
const NODE_PATH = fileURLToPath(new URL("../../node_modules", import.meta.url));
const TSX = import.meta.resolve("tsx");
const RDKAFKA = [
  process.env.BROOK_RDKAFKA_MODULE,
  fileURLToPath(new URL("../../.bench-cache/node-rdkafka/node_modules/node-rdkafka", import.meta.url)),
  "/tmp/rdk/node_modules/node-rdkafka",
]
  .filter((x): x is string => !!x)
  .find((d) => existsSync(`${d}/build/Release/node-librdkafka.node`));

const GROUP = "mixed";
const TOPIC = "mixed-work";
const PARTITIONS = 6;
const SESSION_MS = 6000;

type Kind = "brook" | "kafkajs" | "librdkafka";

class Member {
  readonly proc: ChildProcess;
  /** The partitions this member says it holds now. */
  assigned = new Set<number>();
  readonly records: Array<[number, number]> = [];
  output = "";
  exited = false;
  private buf = "";

  constructor(
    readonly kind: Kind,
    bootstrap: string,
  ) {
    this.proc =
      kind === "librdkafka"
        ? spawn(process.execPath, [RDKAFKA_MEMBER, bootstrap, GROUP, TOPIC, "classic", "range"], {
            env: { ...process.env, RDKAFKA_MODULE: RDKAFKA },
            stdio: ["ignore", "pipe", "pipe"],
          })
        : spawn(
            process.execPath,
            ["--import", TSX, WORKER, bootstrap, GROUP, TOPIC, String(SESSION_MS), "0"],
            {
              env: { ...process.env, NODE_PATH, GROUP_WORKER_CLIENT: kind, GROUP_WORKER_ASSIGNER: "range" },
              stdio: ["ignore", "pipe", "pipe"],
            },
          );
    this.proc.stdout!.on("data", (d: Buffer) => {
      this.buf += d.toString();
      const lines = this.buf.split("\n");
      this.buf = lines.pop()!;
      for (const line of lines) this.onLine(line);
    });
    this.proc.stderr!.on("data", (d: Buffer) => (this.output += `STDERR ${d}`));
    this.proc.on("exit", () => (this.exited = true));
  }

  private onLine(line: string): void {
    const space = line.indexOf(" ");
    const kind = space < 0 ? line : line.slice(0, space);
    const rest = line.slice(space + 1);
    if (kind === "REC") {
      const [p, o] = rest.split(" ").map(Number);
      this.records.push([p!, o!]);
      return;
    }
    this.output += `${line}\n`;
    if (kind === "JOIN") {
      const assignment = JSON.parse(rest.slice(rest.indexOf("{"))) as Record<string, number[]>;
      this.assigned = new Set(assignment[TOPIC] ?? []);
    } else if (kind === "ASSIGNED") {
      for (const p of JSON.parse(rest) as number[]) this.assigned.add(p);
    } else if (kind === "REVOKED") {
      for (const p of JSON.parse(rest) as number[]) this.assigned.delete(p);
    }
  }

  errors(): string[] {
    return this.output.split("\n").filter((l) => l.startsWith("ERROR") || l.startsWith("STDERR"));
  }

  /** SIGTERM: the member leaves the group cleanly and the process exits. */
  leave(): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      this.proc.once("exit", () => resolve());
      this.proc.kill("SIGTERM");
    });
  }
}

describe("Brook, KafkaJS and librdkafka members in one classic group (range)", {
  skip: RDKAFKA
    ? false
    : "node-rdkafka is not built in .bench-cache/node-rdkafka (see kip848-librdkafka.test.ts)",
}, () => {
  let tb: TestBroker;
  const all: Member[] = [];
  before(async () => {
    tb = await startTestBroker({ configs: { "offsets.topic.num.partitions": "3" } });
  });
  after(async () => {
    for (const m of all) if (!m.exited) m.proc.kill("SIGKILL");
    await tb.close();
  });

  it("every record consumed once while each client leaves and rejoins; the partitions are always shared", {
    timeout: 120_000,
  }, async (t) => {
    const kafka = new Kafka({
      clientId: "mixed-driver",
      brokers: [tb.bootstrap],
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
    const producer = kafka.producer();
    await producer.connect();
    const coordinator = tb.broker.component<GroupCoordinator>("groups");

    const live = new Map<Kind, Member>();
    const start = (kind: Kind) => {
      const m = new Member(kind, tb.bootstrap);
      all.push(m);
      live.set(kind, m);
      return m;
    };
    /** The coordinator's group is Stable with the live members, whose own views split the partitions. */
    const settled = () => {
      const g = coordinator.classicGroup(GROUP);
      if (g?.state !== "Stable" || g.members.size !== live.size || g.protocolName !== "range") return false;
      const views = [...live.values()].map((m) => [...m.assigned]);
      const union = views.flat().sort((a, b) => a - b);
      return (
        views.every((v) => v.length === PARTITIONS / live.size) &&
        union.join() === Array.from({ length: PARTITIONS }, (_, i) => i).join()
      );
    };
    const describeLive = () =>
      [...live.values()].map((m) => `${m.kind} [${[...m.assigned]}] ${m.output.slice(-300)}`).join("\n");

    let produced = 0;
    /** Produces a round of records and waits until all are consumed and committed. */
    const round = async (what: string) => {
      await until(settled, 30000, `group settled (${what}):\n${describeLive()}`);
      await producer.send({
        topic: TOPIC,
        messages: Array.from({ length: 120 }, (_, i) => ({
          partition: i % PARTITIONS,
          value: `v${produced + i}`,
        })),
      });
      produced += 120;
      const consumed = () => new Set(all.flatMap((m) => m.records.map(([p, o]) => `${p}@${o}`))).size;
      await until(() => consumed() === produced, 30000, `${produced} records consumed (${what})`);
      await until(
        async () => {
          const [{ partitions }] = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
          return partitions.every((p) => Number(p.offset) === produced / PARTITIONS);
        },
        30000,
        `offsets committed (${what})`,
      );
      // Each live member consumed its share of this round.
      for (const m of live.values())
        assert.ok(
          m.records.some(([p, o]) => m.assigned.has(p) && o >= produced / PARTITIONS - 20),
          `${m.kind} consumed in round "${what}"`,
        );
    };

    for (const kind of ["brook", "kafkajs", "librdkafka"] as const) start(kind);
    await round("three members");
    for (const kind of ["kafkajs", "librdkafka", "brook"] as const) {
      await live.get(kind)!.leave();
      live.delete(kind);
      await round(`${kind} left`);
      start(kind);
      await round(`${kind} rejoined`);
    }

    // Exactly once over every process that ever ran.
    const count = new Map<string, number>();
    for (const m of all)
      for (const [p, o] of m.records) count.set(`${p}@${o}`, (count.get(`${p}@${o}`) ?? 0) + 1);
    const twice = [...count].filter(([, n]) => n > 1).map(([k]) => k);
    assert.deepEqual(twice, [], "no record consumed twice");
    assert.equal(count.size, produced);
    assert.deepEqual(
      all.flatMap((m) => m.errors()),
      [],
    );
    const rd = all.find((m) => m.kind === "librdkafka")!;
    t.diagnostic(`${produced} records over ${all.length} processes; ${rd.output.split("\n")[0]}`);

    await Promise.all([...live.values()].map((m) => m.leave()));
    await producer.disconnect();
    await admin.disconnect();
  });
});
