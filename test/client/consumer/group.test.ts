/**
 * Consumer groups of Brook's client, each member in its own process, on a 6-partition topic that
 * keeps receiving records: members share the partitions; a member that leaves hands its partitions
 * over with its offsets committed (nothing lost, nothing repeated); a fourth member joins and a
 * member is SIGKILLed (nothing lost; records repeated only at or after the killed member's last
 * commit); Brook and KafkaJS members in one classic group.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Admin, Kafka, Producer } from "../../../src/client/index.js";
import { startTestBroker, type TestBroker } from "../../../src/testing/index.js";
import { checkDelivery, keepProducing, Member, type MemberOptions } from "./members.js";
import { brookKafka, createTopic, until } from "./support.js";

const PARTITIONS = 6;

describe("consumer groups of Brook's client (members in their own processes)", () => {
  let tb: TestBroker;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  const members: Member[] = [];

  before(async () => {
    tb = await startTestBroker();
    kafka = brookKafka(tb.bootstrap);
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer();
    await producer.connect();
  });

  after(async () => {
    await Promise.all(members.map((m) => m.kill()));
    await producer.disconnect();
    await admin.disconnect();
    await tb.close();
  });

  function start(name: string, options: Omit<MemberOptions, "bootstrap">): Member {
    const m = new Member(name, { bootstrap: tb.bootstrap, ...options });
    members.push(m);
    return m;
  }

  async function highWatermarks(topic: string): Promise<Map<number, number>> {
    return new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
  }

  /** Waits until the given members' latest assignments cover every partition exactly once. */
  async function settled(group: Member[], what: string, ms = 30000): Promise<void> {
    await until(
      () => {
        const all = group.flatMap((m) => m.assignment).sort((a, b) => a - b);
        return all.length === PARTITIONS && all.every((p, i) => p === i);
      },
      ms,
      what,
    );
  }

  async function drained(group: Member[], topic: string): Promise<Map<number, number>> {
    const hw = await highWatermarks(topic);
    await until(
      () =>
        [...hw].every(
          ([p, end]) => group.some((m) => (m.processed.get(p) ?? []).includes(end - 1)) || end === 0,
        ),
      30000,
      "every record processed",
    );
    return hw;
  }

  it("three members share the partitions; one leaves and hands over its partitions: nothing lost, nothing repeated", {
    timeout: 90_000,
  }, async () => {
    const topic = "share";
    await createTopic(admin, topic, PARTITIONS);
    const base = { groupId: "share-group", topic, client: "brook" as const, sessionTimeout: 6000 };
    const production = keepProducing((messages) => producer.send({ topic, messages }), PARTITIONS);
    const group = [start("a", base), start("b", base), start("c", base)];
    await settled(group, "three members with two partitions each");
    await until(() => group.every((m) => m.assignment.length === 2), 30000, "two partitions each");
    await until(
      () => group.every((m) => [...m.processed.values()].some((l) => l.length > 5)),
      30000,
      "all consuming",
    );

    const leaving = group[1]!;
    const handedOver = leaving.assignment;
    await leaving.kill("SIGTERM");
    const rest = [group[0]!, group[2]!];
    await settled(rest, "the remaining two own everything");
    assert.deepEqual(
      rest.map((m) => m.assignment.length),
      [3, 3],
    );
    await until(
      () => handedOver.every((p) => rest.some((m) => (m.processed.get(p)?.length ?? 0) > 0)),
      30000,
      "the handed-over partitions consumed by the others",
    );
    await production.stop();
    const hw = await drained(rest, topic);
    const duplicates = checkDelivery(group, hw);
    assert.equal(
      duplicates.size,
      0,
      `repeated: ${JSON.stringify([...duplicates].map(([p, d]) => [p, [...d]]))}`,
    );
    await Promise.all(rest.map((m) => m.kill("SIGTERM")));
  });

  it("3+1 members and a SIGKILL: nothing lost; repeats only at or after the killed member's last commit", {
    timeout: 120_000,
  }, async () => {
    const topic = "work";
    await createTopic(admin, topic, PARTITIONS);
    const base = { groupId: "work-group", topic, client: "brook" as const, sessionTimeout: 6000, delayMs: 2 };
    const production = keepProducing((messages) => producer.send({ topic, messages }), PARTITIONS);
    const group = [start("w1", base), start("w2", base), start("w3", base)];
    await settled(group, "three members");
    const fourth = start("w4", base);
    group.push(fourth);
    await until(() => fourth.assignment.length > 0, 30000, "the fourth member gets partitions");
    await settled(group, "four members");

    const victim = group.find((m) => m.assignment.length > 0 && m !== fourth)!;
    await until(() => victim.commits.size > 0, 30000, "the victim committed something");
    const orphaned = victim.assignment;
    await victim.kill("SIGKILL");
    const survivors = group.filter((m) => m !== victim);
    await settled(survivors, "the survivors own everything after the session timeout", 40000);
    await production.stop();
    const hw = await drained(survivors, topic);
    const duplicates = checkDelivery(group, hw);
    for (const [partition, offsets] of duplicates) {
      assert.ok(
        orphaned.includes(partition),
        `partition ${partition} was not the killed member's, yet repeated`,
      );
      const lastCommit = victim.lastCommit(partition);
      for (const [offset, names] of offsets) {
        assert.ok(names.includes(victim.name), `offset ${offset} repeated by ${names}`);
        assert.ok(offset >= lastCommit, `offset ${offset} repeated though ${lastCommit} was committed`);
      }
    }
    await Promise.all(survivors.map((m) => m.kill("SIGTERM")));
  });

  it("Brook and KafkaJS members in one classic group share the partitions (RoundRobinAssigner)", {
    timeout: 90_000,
  }, async () => {
    const topic = "mixed";
    await createTopic(admin, topic, PARTITIONS);
    const base = { groupId: "mixed-group", topic, sessionTimeout: 6000 };
    const production = keepProducing((messages) => producer.send({ topic, messages }), PARTITIONS);
    const group = [
      start("brook-1", { ...base, client: "brook" }),
      start("kafkajs-1", { ...base, client: "kafkajs" }),
      start("brook-2", { ...base, client: "brook" }),
    ];
    await settled(group, "a mixed group");
    await until(() => group.every((m) => m.assignment.length === 2), 30000, "two partitions each");
    await production.stop();
    const hw = await drained(group, topic);
    assert.equal(checkDelivery(group, hw).size, 0);
    const description = await admin.describeGroups(["mixed-group"]);
    assert.equal(description.groups[0]!.protocol, "RoundRobinAssigner");
    assert.equal(description.groups[0]!.members.length, 3);
    await Promise.all(group.map((m) => m.kill("SIGTERM")));
  });
});
