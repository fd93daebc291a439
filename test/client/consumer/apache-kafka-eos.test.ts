/**
 * Brook's consumer in processes against Apache Kafka 4.4 (a controller and three brokers, partition
 * leaders on all three, replication 3):
 * - exactly-once consume-transform-produce (test/client/eos/fixtures/processor.ts: Brook's consumer
 *   read_committed, Brook's transactional producer, offsets sent with the consumer's group metadata)
 *   while processors are SIGKILLed and restarted: every result once in the read_committed output;
 * - the KIP-848 protocol (groupProtocol "consumer", Kafka's server-side assignor) with a member
 *   SIGKILLed (its partitions move to the survivor when Kafka expires its session) and a new member
 *   joining afterwards: nothing lost, repeats only at or after the killed member's last commit.
 * Skipped when Java or the Kafka jars are missing.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Admin, Kafka, logLevel } from "../../../src/client/index.js";
import {
  type ApacheKafkaCluster,
  apacheKafkaUnavailable,
  startApacheKafka,
} from "../../support/apache-kafka.js";
import { assertExactlyOnce, type Processor, readCommittedWithJava } from "../eos/processors.js";
import { fillInput, runKillRounds } from "../eos/support.js";
import { checkDelivery, keepProducing, Member } from "./members.js";
import { until } from "./support.js";

const reason = apacheKafkaUnavailable();
if (reason) console.warn(`SKIP exactly-once and KIP-848 vs Apache Kafka: ${reason}`);

/** Partition p led by broker p % 3 + 1, replicated on all three. */
const SPREAD = [0, 1, 2].map((p) => ({ partition: p, replicas: [1, 2, 3].map((_, i) => ((p + i) % 3) + 1) }));
const PER_PARTITION = 1000;
const ROUNDS = 4;

describe("Brook's consumer in processes against Apache Kafka 4.4 (three brokers): exactly-once, KIP-848 kill and rejoin", {
  skip: reason ?? false,
  concurrency: false,
  timeout: 600_000,
}, () => {
  let cluster: ApacheKafkaCluster;
  let kafka: Kafka;
  let admin: Admin;
  const processes: Array<Processor | Member> = [];

  before(async () => {
    cluster = await startApacheKafka({
      brokers: 3,
      quickStart: true,
      configs: {
        "group.min.session.timeout.ms": "1000",
        "group.consumer.heartbeat.interval.ms": "500",
        "group.consumer.min.heartbeat.interval.ms": "500",
        "group.consumer.session.timeout.ms": "5000",
        "group.consumer.min.session.timeout.ms": "3000",
      },
    });
    kafka = new Kafka({
      clientId: "eos-vs-kafka",
      brokers: cluster.bootstrap.split(","),
      logLevel: logLevel.NOTHING,
    });
    admin = kafka.admin();
    await admin.connect();
    for (const topic of ["eos-in", "eos-out", "k848-kill"]) {
      await admin.createTopics({ topics: [{ topic, replicaAssignment: SPREAD }], waitForLeaders: true });
    }
  });

  after(async () => {
    await Promise.all(processes.map((p) => p.kill()));
    await admin?.disconnect();
    await cluster?.stop();
  });

  it(`exactly-once with a processor SIGKILLed in each of ${ROUNDS} rounds: every result once under read_committed`, {
    timeout: 300_000,
  }, async (t) => {
    await fillInput(kafka, "eos-in", 3, PER_PARTITION);
    await runKillRounds({
      bootstrap: cluster.bootstrap,
      admin,
      processes,
      groupId: "eos",
      input: "eos-in",
      output: "eos-out",
      partitions: 3,
      perPartition: PER_PARTITION,
      rounds: ROUNDS,
      sessionTimeout: 3000,
      chunk: 10,
      victim: (round) => (round % 2) as 0 | 1,
      joinMs: 90_000,
      roundMs: 60_000,
      finishMs: 180_000,
      pollMs: 500,
    });
    assertExactlyOnce(await readCommittedWithJava(cluster.bootstrap, "eos-out"), 3, PER_PARTITION);
    t.diagnostic(`${processes.length} processor processes`);
  });

  it("KIP-848: a member SIGKILLed, its partitions move to the survivor, a new member joins; nothing lost", {
    timeout: 240_000,
  }, async (t) => {
    const topic = "k848-kill";
    const producer = kafka.producer();
    await producer.connect();
    const production = keepProducing((messages) => producer.send({ topic, acks: -1, messages }), 3, 50);
    const bootstrap = cluster.bootstrap.split(",")[0]!;
    const base = {
      bootstrap,
      groupId: "k848-kill-group",
      topic,
      client: "brook" as const,
      sessionTimeout: 6000,
      groupProtocol: "consumer" as const,
    };
    const start = (name: string) => {
      const m = new Member(name, base);
      processes.push(m);
      return m;
    };
    const covered = (group: Member[]) =>
      group
        .flatMap((m) => m.assignment)
        .sort((a, b) => a - b)
        .join() === "0,1,2";
    const a = start("a");
    const b = start("b");
    await until(
      () => covered([a, b]) && a.assignment.length > 0 && b.assignment.length > 0,
      90_000,
      `two members split the partitions (a ${a.output.slice(-300)} b ${b.output.slice(-300)})`,
    );
    await until(() => b.commits.size > 0, 60_000, "b committed");
    const orphaned = b.assignment;
    await b.kill("SIGKILL");
    const killedAt = performance.now();
    await until(() => a.assignment.length === 3, 60_000, "the survivor gets every partition");
    const movedAfter = performance.now() - killedAt;
    await until(
      () => orphaned.every((p) => (a.processed.get(p)?.length ?? 0) > 0),
      30_000,
      "the survivor consumes the orphaned partitions",
    );
    const c = start("c");
    await until(
      () => covered([a, c]) && a.assignment.length > 0 && c.assignment.length > 0,
      60_000,
      "a new member takes a share",
    );
    await until(() => [...c.processed.values()].some((l) => l.length > 0), 30_000, "the new member consumes");
    await production.stop();
    await producer.disconnect();
    const hw = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
    const all = [a, b, c];
    await until(
      () => [...hw].every(([p, end]) => all.some((m) => (m.processed.get(p) ?? []).includes(end - 1))),
      60_000,
      "every record processed",
    );
    // Nothing lost; a record read again was not covered by a commit its first reader had made
    // before the second read (a killed member's uncommitted tail is read again, nothing else).
    const duplicates = checkDelivery(all, hw);
    let repeated = 0;
    for (const [partition, offsets] of duplicates) {
      for (const [offset] of offsets) {
        const readers = all
          .filter((m) => m.processedAt.get(partition)?.has(offset))
          .sort(
            (x, y) => x.processedAt.get(partition)!.get(offset)! - y.processedAt.get(partition)!.get(offset)!,
          );
        const [firstReader, ...later] = readers;
        for (const m of later) {
          const at = m.processedAt.get(partition)!.get(offset)!;
          const covering = (firstReader!.commits.get(partition) ?? []).filter(
            (x) => x.at < at && x.offset > offset,
          );
          assert.deepEqual(
            covering,
            [],
            `p${partition}@${offset}: ${m.name} re-read what ${firstReader!.name} had committed`,
          );
          repeated++;
        }
      }
    }
    t.diagnostic(`${repeated} records read twice; partitions moved ${movedAfter} ms after the kill`);
    assert.ok(movedAfter < 30_000, `partitions moved ${movedAfter} ms after the kill`);
    await Promise.all([a, c].map((m) => m.kill("SIGTERM")));
  });
});
