/**
 * KIP-447 in one process, against a real Brook broker: what TxnOffsetCommit carries when Brook's
 * transactional producer sends offsets for Brook's consumer, and how the coordinator answers a
 * member that is no longer in the group's current generation.
 *
 * The requests are seen on the broker side, where the group coordinator receives them (a recorder
 * wrapped around GroupCoordinator.commitTransactionalOffsets; the client under test is untouched).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  type Consumer,
  type ConsumerGroupMetadata,
  Kafka,
  logLevel,
  type Producer,
} from "../../../src/client/index.js";
import type { GroupCoordinator } from "../../../src/coordinator/group-coordinator.js";
import { startTestBroker, type TestBroker } from "../../../src/testing/index.js";
import { committedOffsets, createTopic, until } from "../consumer/support.js";

type TxnCommitRequest = Parameters<GroupCoordinator["commitTransactionalOffsets"]>[0];

/** The partitions a consumer owns right now. */
const owned = (c: Consumer) => c.assignment().flatMap((t) => t.partitions);

describe("transaction.sendOffsets with the consumer's group metadata (KIP-447)", () => {
  let tb: TestBroker;
  let kafka: Kafka;
  const received: TxnCommitRequest[] = [];
  const consumers: Consumer[] = [];
  const producers: Producer[] = [];

  before(async () => {
    tb = await startTestBroker({
      configs: {
        "offsets.topic.num.partitions": "1",
        "transaction.state.log.num.partitions": "1",
        "group.min.session.timeout.ms": "1000",
      },
    });
    const coordinator = tb.broker.component<GroupCoordinator>("groups");
    const original = coordinator.commitTransactionalOffsets.bind(coordinator);
    coordinator.commitTransactionalOffsets = (req) => {
      received.push(req);
      return original(req);
    };
    kafka = new Kafka({ clientId: "kip447", brokers: [tb.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    for (const t of ["m-in", "m-out"]) await createTopic(admin, t, 2);
    await admin.disconnect();
  });

  after(async () => {
    await Promise.allSettled(consumers.map((c) => c.disconnect()));
    await Promise.allSettled(producers.map((p) => p.disconnect()));
    await tb.close();
  });

  async function member(groupId: string, extra: { groupInstanceId?: string } = {}): Promise<Consumer> {
    const c = kafka.consumer({
      groupId,
      sessionTimeout: 6000,
      heartbeatInterval: 500,
      maxWaitTimeInMs: 100,
      ...extra,
    });
    consumers.push(c);
    await c.connect();
    await c.subscribe({ topics: ["m-in"], fromBeginning: true });
    await c.run({ eachMessage: async () => {} });
    return c;
  }

  async function transactional(id: string): Promise<Producer> {
    const p = kafka.producer({ transactionalId: id, maxInFlightRequests: 1 });
    producers.push(p);
    await p.connect();
    return p;
  }

  const offsets = (partition: number, offset: string) => [
    { topic: "m-in", partitions: [{ partition, offset }] },
  ];

  /** One transaction writing a record and the offsets; returns what the coordinator received. */
  async function commitWith(
    producer: Producer,
    args: Parameters<Awaited<ReturnType<Producer["transaction"]>>["sendOffsets"]>[0],
  ): Promise<TxnCommitRequest> {
    const before = received.length;
    const txn = await producer.transaction();
    await txn.send({ topic: "m-out", messages: [{ partition: 0, value: "x" }] });
    await txn.sendOffsets(args);
    await txn.commit();
    assert.equal(received.length, before + 1);
    return received.at(-1)!;
  }

  it("a consumer not running reports no generation; a running one its generation, member id and instance id", async () => {
    const c = kafka.consumer({ groupId: "gm-shape", groupInstanceId: "shape-1" });
    consumers.push(c);
    assert.deepEqual(c.groupMetadata(), {
      groupId: "gm-shape",
      generationId: -1,
      memberId: "",
      groupInstanceId: "shape-1",
    });
    await c.connect();
    await c.subscribe({ topics: ["m-in"] });
    await c.run({ eachMessage: async () => {} });
    const m = c.groupMetadata();
    assert.equal(m.groupId, "gm-shape");
    assert.ok(m.generationId >= 1, `generation ${m.generationId}`);
    assert.ok(m.memberId.length > 0);
    assert.equal(m.groupInstanceId, "shape-1");
    const g = tb.broker.component<GroupCoordinator>("groups").classicGroup("gm-shape")!;
    assert.equal(g.generationId, m.generationId);
    assert.ok(g.members.has(m.memberId), "the member id is the coordinator's");
    await c.disconnect();
  });

  it("{ consumer } sends the consumer's metadata; { consumerGroupId } finds the running consumer of that group", async () => {
    const c = await member("gm-send", { groupInstanceId: "send-1" });
    await until(() => owned(c).length > 0, 10000, "assigned");
    const p = await transactional("gm-send-txn");

    const explicit = await commitWith(p, { consumer: c, topics: offsets(0, "1") });
    const m = c.groupMetadata();
    assert.deepEqual(
      [explicit.groupId, explicit.generationId, explicit.memberId, explicit.groupInstanceId],
      ["gm-send", m.generationId, m.memberId, "send-1"],
    );
    assert.ok(explicit.generationId >= 1);

    // KafkaJS's form: the running consumer of the group in this process supplies the metadata.
    const found = await commitWith(p, { consumerGroupId: "gm-send", topics: offsets(1, "2") });
    assert.deepEqual(
      [found.generationId, found.memberId, found.groupInstanceId],
      [m.generationId, m.memberId, "send-1"],
    );
    const admin = kafka.admin();
    await admin.connect();
    assert.deepEqual([...(await committedOffsets(admin, "gm-send", "m-in"))].sort(), [
      [0, 1],
      [1, 2],
    ]);
    await admin.disconnect();

    // A group without a running consumer here: KafkaJS's request (generation -1, no member).
    const none = await commitWith(p, { consumerGroupId: "gm-nobody", topics: offsets(0, "5") });
    assert.deepEqual([none.generationId, none.memberId, none.groupInstanceId], [-1, "", null]);

    // The consumer and the group id must agree.
    const txn = await p.transaction();
    await assert.rejects(
      txn.sendOffsets({ consumer: c, consumerGroupId: "other", topics: offsets(0, "1") }),
      /not the consumer's group/,
    );
    await txn.abort();
  });

  it("metadata of an older generation: sendOffsets fails with ILLEGAL_GENERATION, commit is refused, nothing is committed", async () => {
    const a = await member("gm-stale");
    await until(() => owned(a).length === 2, 10000, "first member owns both partitions");
    const stale: ConsumerGroupMetadata = a.groupMetadata();
    // A second member makes the group move to a new generation.
    const b = await member("gm-stale");
    await until(() => owned(a).length === 1 && owned(b).length === 1, 15000, "both members hold a partition");
    assert.ok(a.groupMetadata().generationId > stale.generationId);

    const p = await transactional("gm-stale-txn");
    const txn = await p.transaction();
    await txn.send({ topic: "m-out", messages: [{ partition: 1, value: "zombie" }] });
    await assert.rejects(
      txn.sendOffsets({ consumer: { groupMetadata: () => stale }, topics: offsets(0, "7") }),
      (e: { type?: string }) => e.type === "ILLEGAL_GENERATION",
    );
    assert.equal(received.at(-1)!.generationId, stale.generationId);
    await assert.rejects(txn.commit(), /abort/);
    await txn.abort();

    const admin = kafka.admin();
    await admin.connect();
    assert.equal((await committedOffsets(admin, "gm-stale", "m-in")).get(0), -1);
    await admin.disconnect();

    // The same producer goes on with the current metadata.
    const ok = await commitWith(p, { consumer: a, topics: offsets(owned(a)[0]!, "3") });
    assert.equal(ok.generationId, a.groupMetadata().generationId);
  });

  it("a static member replaced under its instance id: FENCED_INSTANCE_ID", async () => {
    const first = await member("gm-static", { groupInstanceId: "static-1" });
    await until(() => owned(first).length === 2, 10000, "assigned");
    const old = first.groupMetadata();
    // A static member does not leave when it stops: the next one with its instance id takes its place.
    await first.stop();
    const second = await member("gm-static", { groupInstanceId: "static-1" });
    await until(() => owned(second).length === 2, 10000, "the replacement is assigned");
    assert.notEqual(second.groupMetadata().memberId, old.memberId);

    const p = await transactional("gm-static-txn");
    const txn = await p.transaction();
    await txn.send({ topic: "m-out", messages: [{ partition: 0, value: "zombie" }] });
    await assert.rejects(
      txn.sendOffsets({ consumer: { groupMetadata: () => old }, topics: offsets(0, "4") }),
      (e: { type?: string }) => e.type === "FENCED_INSTANCE_ID",
    );
    await txn.abort();
    const ok = await commitWith(p, { consumer: second, topics: offsets(0, "4") });
    assert.equal(ok.memberId, second.groupMetadata().memberId);
  });
});
