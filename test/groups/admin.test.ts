/**
 * KafkaJS 2.2.4's admin client on consumer groups (listGroups, describeGroups, fetchOffsets,
 * setOffsets, resetOffsets, deleteGroups) and the errors KafkaJS users see for bad input
 * (INVALID_SESSION_TIMEOUT, OFFSET_METADATA_TOO_LARGE, UNKNOWN_TOPIC_OR_PARTITION, NON_EMPTY_GROUP,
 * GROUP_ID_NOT_FOUND), with the group still working afterwards. Everything (admin, producer and
 * the group members) runs with KafkaJS, then with Brook's client (test/support/clients.ts).
 */
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import type { Consumer, Kafka } from "kafkajs";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import { describeEachClient, kafkajs } from "../support/clients.js";
import { until } from "./support.js";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

describeEachClient("admin on consumer groups", (client) => {
  let tb: TestBroker;
  let kafka: Kafka;
  let consumerKafka: Kafka;
  const consumers: Consumer[] = [];
  before(async () => {
    tb = await startTestBroker({ configs: { "offsets.topic.num.partitions": "3" } });
    const config = {
      clientId: "admin-test",
      brokers: [tb.bootstrap],
      logLevel: kafkajs.logLevel.NOTHING,
      retry: { retries: 1 },
    };
    kafka = new client.module.Kafka(config);
    consumerKafka = new client.module.Kafka(config);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "adm", numPartitions: 3 }] });
    await admin.disconnect();
    const p = kafka.producer();
    await p.connect();
    await p.send({
      topic: "adm",
      messages: Array.from({ length: 30 }, (_, i) => ({ partition: i % 3, value: `v${i}` })),
    });
    await p.disconnect();
  });
  after(async () => {
    await Promise.allSettled(consumers.map((c) => c.disconnect()));
    await tb.close();
  });

  async function consumeAll(groupId: string): Promise<Consumer> {
    const c = consumerKafka.consumer({ groupId, maxWaitTimeInMs: 100 });
    consumers.push(c);
    await c.connect();
    await c.subscribe({ topic: "adm", fromBeginning: true });
    let n = 0;
    await c.run({ eachMessage: async () => void n++ });
    await until(() => n >= 30, 15000, "consumed");
    return c;
  }

  it("lists, describes, fetches, sets, resets and deletes group offsets", async () => {
    const admin = kafka.admin();
    await admin.connect();
    const c = await consumeAll("adm-group");
    const offsetsOf = async () =>
      (await admin.fetchOffsets({ groupId: "adm-group", topics: ["adm"] }))[0]!.partitions
        .sort((a, b) => a.partition - b.partition)
        .map((p) => p.offset);
    await until(async () => (await offsetsOf()).join() === "10,10,10", 15000, "committed");

    // While a member runs: Stable, and KafkaJS refuses to move the group's offsets.
    const running = await admin.describeGroups(["adm-group"]);
    assert.equal(running.groups[0]!.state, "Stable");
    assert.equal(running.groups[0]!.protocolType, "consumer");
    assert.equal(running.groups[0]!.protocol, "RoundRobinAssigner");
    assert.equal(running.groups[0]!.members.length, 1);
    assert.equal(running.groups[0]!.members[0]!.clientId, "admin-test");
    await assert.rejects(
      admin.setOffsets({ groupId: "adm-group", topic: "adm", partitions: [{ partition: 0, offset: "1" }] }),
      /no running instances/,
    );
    await assert.rejects(
      admin.deleteGroups(["adm-group"]),
      (e: any) => e.groups?.[0]?.error?.type === "NON_EMPTY_GROUP",
    );

    await c.disconnect();
    const listed = await admin.listGroups();
    assert.deepEqual(
      listed.groups.filter((g) => g.groupId === "adm-group"),
      [{ groupId: "adm-group", protocolType: "consumer" }],
    );
    assert.equal((await admin.describeGroups(["adm-group"])).groups[0]!.state, "Empty");

    await admin.setOffsets({
      groupId: "adm-group",
      topic: "adm",
      partitions: [
        { partition: 0, offset: "3" },
        { partition: 2, offset: "7" },
      ],
    });
    assert.deepEqual(await offsetsOf(), ["3", "10", "7"]);
    // A member started afterwards reads from the offsets that were set.
    const readFrom = async () => {
      const m = consumerKafka.consumer({ groupId: "adm-group", maxWaitTimeInMs: 100 });
      consumers.push(m);
      const seen: string[] = [];
      await m.connect();
      await m.subscribe({ topic: "adm" });
      await m.run({
        eachMessage: async ({ partition, message }) => void seen.push(`${partition}@${message.offset}`),
      });
      return { m, seen };
    };
    const first = await readFrom();
    await until(() => first.seen.length >= 10, 15000, "read from the set offsets");
    assert.deepEqual(
      first.seen.filter((x) => x.startsWith("0@")).length +
        first.seen.filter((x) => x.startsWith("2@")).length,
      10,
    );
    assert.ok(
      first.seen.includes("0@3") &&
        !first.seen.includes("0@2") &&
        first.seen.includes("2@7") &&
        !first.seen.includes("2@6"),
    );
    await first.m.disconnect();

    // KafkaJS commits the sentinel itself (-2 for earliest), which Kafka stores as given;
    // fetchOffsets({ resolveOffsets: true }) turns it into the log start offsets and commits those.
    await admin.resetOffsets({ groupId: "adm-group", topic: "adm", earliest: true });
    assert.deepEqual(await offsetsOf(), ["-2", "-2", "-2"]);
    const resolved = (
      await admin.fetchOffsets({ groupId: "adm-group", topics: ["adm"], resolveOffsets: true })
    )[0]!;
    assert.deepEqual(
      resolved.partitions.map((p) => p.offset),
      ["0", "0", "0"],
    );
    assert.deepEqual(await offsetsOf(), ["0", "0", "0"]);
    const second = await readFrom();
    await until(() => second.seen.length >= 30, 15000, "read from the beginning");
    assert.equal(new Set(second.seen).size, 30);
    await second.m.disconnect();

    const deleted = await admin.deleteGroups(["adm-group"]);
    assert.deepEqual(
      deleted.map((d) => [d.groupId, d.errorCode]),
      [["adm-group", 0]],
    );
    assert.deepEqual(await offsetsOf(), ["-1", "-1", "-1"]);
    assert.equal((await admin.describeGroups(["adm-group"])).groups[0]!.state, "Dead");
    await assert.rejects(
      admin.deleteGroups(["never-was"]),
      (e: any) => e.groups?.[0]?.error?.type === "GROUP_ID_NOT_FOUND",
    );
    await admin.disconnect();
  });

  it("bad input reaches KafkaJS as Kafka's error codes, and the group keeps working", async () => {
    // A session timeout below group.min.session.timeout.ms (6000 by default).
    const tooShort = consumerKafka.consumer({
      groupId: "bad-group",
      sessionTimeout: 1000,
      heartbeatInterval: 100,
      retry: { retries: 0 },
    });
    consumers.push(tooShort);
    const crashed = new Promise<any>((resolve) =>
      tooShort.on(tooShort.events.CRASH, (e) => resolve(e.payload.error)),
    );
    await tooShort.connect();
    await tooShort.subscribe({ topic: "adm", fromBeginning: true });
    await tooShort.run({ eachMessage: async () => {} });
    const err = await crashed;
    assert.equal(err.type, "INVALID_SESSION_TIMEOUT");
    await tooShort.disconnect();

    const c = await consumeAll("bad-group");
    // Oversized metadata and an unknown topic in a commit.
    await assert.rejects(
      c.commitOffsets([{ topic: "adm", partition: 0, offset: "5", metadata: "x".repeat(5000) } as any]),
      (e: any) => (e.type ?? e.cause?.type) === "OFFSET_METADATA_TOO_LARGE",
    );
    await assert.rejects(
      c.commitOffsets([{ topic: "no-such-topic", partition: 0, offset: "5" }]),
      (e: any) =>
        (e.type ?? e.cause?.type) === "UNKNOWN_TOPIC_OR_PARTITION" ||
        /UNKNOWN_TOPIC_OR_PARTITION|does not host/.test(String(e.message)),
    );
    // The group is unharmed: still Stable with its member, commits still accepted.
    await c.commitOffsets([{ topic: "adm", partition: 0, offset: "4" }]);
    const admin = kafka.admin();
    await admin.connect();
    const d = (await admin.describeGroups(["bad-group"])).groups[0]!;
    assert.equal(d.state, "Stable");
    assert.equal(d.members.length, 1);
    const [{ partitions }] = await admin.fetchOffsets({ groupId: "bad-group", topics: ["adm"] });
    assert.equal(partitions.find((p) => p.partition === 0)!.offset, "4");
    await admin.disconnect();
    await c.disconnect();
  });
});
