/**
 * One consumer group of processes (test/groups/fixtures/group-worker.cjs) on a 6-partition topic
 * while records keep arriving, with KafkaJS's consumer and then with Brook's client
 * (test/support/clients.ts): three members own two partitions each; a fourth member
 * triggers a rebalance; one member killed with SIGKILL loses its partitions to the others once its
 * session times out; every record produced is processed, and a record is processed twice only when
 * it lies at or after the last offset the member that first processed it had committed.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { after, before, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Kafka, logLevel } from "kafkajs";
import type { GroupCoordinator } from "../../src/coordinator/group-coordinator.js";
import { decodeAssignment } from "../../src/protocol/embedded/consumer-protocol.js";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import { type ClientName, describeEachClient } from "../support/clients.js";
import { sleep, until } from "./support.js";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

const WORKER = fileURLToPath(new URL("./fixtures/group-worker.cjs", import.meta.url));
const NODE_PATH = fileURLToPath(new URL("../../node_modules", import.meta.url));
/** tsx's loader, for members that run Brook's client (TypeScript sources). */
const TSX = import.meta.resolve("tsx");
const SESSION_MS = 3000;
const TOPIC = "work";
const GROUP = "workers";

class Worker {
  readonly proc: ChildProcess;
  readonly joins: Array<{ memberId: string; partitions: number[] }> = [];
  /** partition -> offsets processed, in order. */
  readonly processed = new Map<number, number[]>();
  /** partition -> when (test-process clock) each offset was processed. */
  readonly processedAt = new Map<number, Map<number, number>>();
  /** partition -> last committed offset (next offset to read) reported. */
  readonly committed = new Map<number, number>();
  /** partition -> every acknowledged commit, with when it was reported. */
  readonly commits = new Map<number, Array<{ at: number; offset: number }>>();
  output = "";
  private buf = "";
  exited = false;

  constructor(
    bootstrap: string,
    readonly name: string,
    client: ClientName,
  ) {
    const brook = client === "Brook";
    this.proc = spawn(
      process.execPath,
      [...(brook ? ["--import", TSX] : []), WORKER, bootstrap, GROUP, TOPIC, String(SESSION_MS), "1"],
      {
        env: { ...process.env, NODE_PATH, GROUP_WORKER_CLIENT: brook ? "brook" : "kafkajs" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    this.proc.stdout!.on("data", (d: Buffer) => this.onData(d.toString()));
    this.proc.stderr!.on("data", (d: Buffer) => (this.output += d.toString()));
    this.proc.on("exit", () => (this.exited = true));
  }

  private onData(s: string): void {
    this.buf += s;
    let i = this.buf.indexOf("\n");
    while (i >= 0) {
      const line = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 1);
      this.output += `${line}\n`;
      const [kind, a, b] = line.split(" ", 3);
      const now = performance.now();
      if (kind === "REC") {
        const p = Number(a);
        if (!this.processed.has(p)) {
          this.processed.set(p, []);
          this.processedAt.set(p, new Map());
        }
        this.processed.get(p)!.push(Number(b));
        if (!this.processedAt.get(p)!.has(Number(b))) this.processedAt.get(p)!.set(Number(b), now);
      } else if (kind === "JOIN") {
        const assignment = JSON.parse(line.slice(line.indexOf("{"))) as Record<string, number[]>;
        this.joins.push({ memberId: a!, partitions: [...(assignment[TOPIC] ?? [])].sort() });
      } else if (kind === "COMMIT") {
        for (const c of JSON.parse(line.slice(7)) as Array<{ partition: number; offset: number }>) {
          this.committed.set(c.partition, c.offset);
          if (!this.commits.has(c.partition)) this.commits.set(c.partition, []);
          this.commits.get(c.partition)!.push({ at: now, offset: c.offset });
        }
      }
      i = this.buf.indexOf("\n");
    }
  }

  get current(): { memberId: string; partitions: number[] } | undefined {
    return this.joins.at(-1);
  }

  processedCount(): number {
    let n = 0;
    for (const l of this.processed.values()) n += l.length;
    return n;
  }
}

/**
 * The workers' latest assignments, once the broker's group is Stable with exactly these members and
 * each worker's last JOIN matches what the coordinator handed it (so no stale view is compared).
 */
function settled(coordinator: GroupCoordinator, workers: Worker[]): number[][] | null {
  const g = coordinator.classicGroup(GROUP);
  if (g?.state !== "Stable" || g.members.size !== workers.length) return null;
  const out: number[][] = [];
  for (const w of workers) {
    const cur = w.current;
    const m = cur && g.members.get(cur.memberId);
    if (!m) return null;
    const assigned = decodeAssignment(m.assignment)
      .assignedPartitions.flatMap((t) => t.partitions)
      .sort();
    if (assigned.join() !== cur.partitions.join()) return null;
    out.push(cur.partitions);
  }
  if (out.flat().sort().join() !== "0,1,2,3,4,5") return null;
  return out;
}

describeEachClient("a consumer group of processes", (client) => {
  let tb: TestBroker;
  const workers: Worker[] = [];
  before(async () => {
    tb = await startTestBroker({
      configs: { "group.min.session.timeout.ms": "1000", "offsets.topic.num.partitions": "3" },
    });
  });
  after(async () => {
    for (const w of workers) if (!w.exited) w.proc.kill("SIGKILL");
    await tb.close();
  });

  it("3 members share 6 partitions, a 4th rebalances them, a SIGKILLed member's partitions move after its session timeout, nothing is lost", async (t) => {
    const kafka = new Kafka({ clientId: "driver", brokers: [tb.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 6 }] });
    const producer = kafka.producer();
    await producer.connect();
    const produceBurst = (n: number) =>
      producer.send({
        topic: TOPIC,
        messages: Array.from({ length: n }, (_, i) => ({ partition: i % 6, value: `r${i}` })),
      });
    await produceBurst(600);

    const coordinator = tb.broker.component<GroupCoordinator>("groups");
    const generation = () => coordinator.classicGroup(GROUP)!.generationId;
    for (let i = 0; i < 3; i++) workers.push(new Worker(tb.bootstrap, `w${i}`, client.name));
    const three = (await until(() => settled(coordinator, workers), 30000, "three members settled"))!;
    assert.deepEqual(
      three.map((p) => p.length),
      [2, 2, 2],
    );
    for (const w of workers) assert.match(w.output, new RegExp(`^CLIENT ${client.name.toLowerCase()}$`, "m"));

    // Records keep arriving from here on.
    let producing = true;
    const background = (async () => {
      while (producing) {
        await produceBurst(30);
        await sleep(50);
      }
    })();

    workers.push(new Worker(tb.bootstrap, "w3", client.name));
    const four = (await until(
      () => {
        const s = settled(coordinator, workers);
        return s && workers[3]!.current ? s : null;
      },
      30000,
      "four members settled",
    ))!;
    assert.deepEqual(four.map((p) => p.length).sort(), [1, 1, 2, 2]);
    const generationWithFour = generation();
    const fourAt = performance.now();

    // Kill a member that owns two partitions, once it has processed and committed in this generation.
    const victim = workers.find((w) => w.current!.partitions.length === 2)!;
    const victimPartitions = victim.current!.partitions;
    await until(
      () => victimPartitions.every((p) => (victim.commits.get(p) ?? []).some((c) => c.at > fourAt)),
      15000,
      "victim committed in this generation",
    );
    victim.proc.kill("SIGKILL");
    const killedAt = performance.now();
    const killedAtPerf = performance.now();
    await until(() => victim.exited, 5000, "victim exited");
    const lastCommit = new Map(victim.committed);
    const survivors = workers.filter((w) => w !== victim);
    const three2 = (await until(
      () => {
        const s = settled(coordinator, survivors);
        return s && generation() > generationWithFour ? s : null;
      },
      30000,
      "survivors settled",
    ))!;
    const movedAfter = performance.now() - killedAt;
    assert.deepEqual(
      three2.map((p) => p.length),
      [2, 2, 2],
    );
    assert.ok(
      movedAfter >= SESSION_MS - 500,
      `partitions moved after ${movedAfter} ms, before the session timeout`,
    );

    producing = false;
    await background;
    const ends = new Map((await admin.fetchTopicOffsets(TOPIC)).map((o) => [o.partition, Number(o.offset)]));
    const total = [...ends.values()].reduce((a, b) => a + b, 0);
    assert.ok(total > 600);
    await until(
      () =>
        [...ends].every(([p, end]) => {
          const seen = new Set(workers.flatMap((w) => w.processed.get(p) ?? []));
          return seen.size === end;
        }),
      30000,
      "every record processed",
    );

    // No loss: every offset of every partition was processed by some member.
    for (const [p, end] of ends) {
      const seen = new Set(workers.flatMap((w) => w.processed.get(p) ?? []));
      for (let o = 0; o < end; o++) assert.ok(seen.has(o), `partition ${p} offset ${o} never processed`);
    }
    // Duplicates only at or after the last commit of the member that processed the record first: when
    // member B processes a record member A had processed, no commit of A reported before that moment
    // covers it. (A commit A sends after the group moved on is refused, so it is never reported.)
    let duplicates = 0;
    for (const [p] of ends) {
      for (const b of workers) {
        for (const [o, atB] of b.processedAt.get(p) ?? []) {
          for (const a of workers) {
            if (a === b) continue;
            const atA = a.processedAt.get(p)?.get(o);
            if (atA === undefined || atA > atB) continue;
            duplicates++;
            const covering = (a.commits.get(p) ?? []).filter((c) => c.at < atB && c.offset > o);
            assert.equal(
              covering.length,
              0,
              `p${p}@${o}: ${b.name} reprocessed a record ${a.name} had committed (${covering[0]?.offset})`,
            );
          }
        }
      }
    }
    // The victim's partitions: after the kill, the new owner started at (or after) the victim's last
    // reported commit, and no later than just past the victim's last processed record. Between the
    // two lie the re-read records (a commit acknowledged as the process died can shrink that range).
    for (const p of victimPartitions) {
      const mine = victim.processed.get(p) ?? [];
      const newOwner = survivors.find((w) => w.current!.partitions.includes(p))!;
      const afterKill = [...(newOwner.processedAt.get(p) ?? [])]
        .filter(([, at]) => at > killedAtPerf)
        .map(([o]) => o);
      const resumedAt = Math.min(...afterKill);
      assert.ok(
        resumedAt >= (lastCommit.get(p) ?? 0),
        `p${p}: resumed at ${resumedAt}, below the last commit ${lastCommit.get(p)}`,
      );
      assert.ok(
        resumedAt <= Math.max(...mine) + 1,
        `p${p}: resumed at ${resumedAt}, past the victim's last record ${Math.max(...mine)}`,
      );
    }
    t.diagnostic(
      `${total} records, ${duplicates} processed twice, partitions moved ${movedAfter} ms after the kill`,
    );

    for (const w of survivors) w.proc.kill("SIGTERM");
    await until(() => survivors.every((w) => w.exited), 15000, "survivors stopped");
    await producer.disconnect();
    await admin.disconnect();
  });
});
