/**
 * A transaction that began first but was aborted last (its producer fenced by a restart, the way an
 * exactly-once processor dies) must still be hidden from read_committed readers that walk Fetch's
 * aborted-transaction list in order, as KafkaJS 2.2.4 does: the broker answers the list sorted by
 * first offset, not in the order the abort markers were written.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Kafka, logLevel } from "kafkajs";
import { Fetch } from "../../src/protocol/messages/fetch.js";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import { RawClient } from "../support/raw-client.js";

describe("read_committed: aborted transactions answered in first-offset order", () => {
  let tb: TestBroker;
  before(async () => {
    tb = await startTestBroker({});
  });
  after(async () => {
    await tb.close();
  });

  it("a long transaction aborted after a later one is hidden from KafkaJS's read_committed consumer", async () => {
    const topic = "aborted-order";
    const kafka = new Kafka({ brokers: [tb.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    const early = kafka.producer({
      transactionalId: "order-early",
      maxInFlightRequests: 1,
      idempotent: true,
    });
    const late = kafka.producer({ transactionalId: "order-late", maxInFlightRequests: 1, idempotent: true });
    await early.connect();
    await late.connect();
    // early opens first (lower first offset), late aborts first: the index holds late's abort first.
    const t1 = await early.transaction();
    await t1.send({ topic, messages: [{ value: "early-aborted" }] });
    const t2 = await late.transaction();
    await t2.send({ topic, messages: [{ value: "late-aborted" }] });
    await t2.abort();
    const t3 = await late.transaction();
    await t3.send({ topic, messages: [{ value: "late-committed" }] });
    await t3.commit();
    await t1.abort();
    const plain = kafka.producer();
    await plain.connect();
    await plain.send({ topic, messages: [{ value: "plain" }] });

    const port = Number(tb.bootstrap.split(":")[1]);
    const c = await RawClient.connect(port);
    const res = await c.request(Fetch, 11, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
      isolationLevel: 1,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
    });
    c.close();
    const aborted = res.responses[0]!.partitions[0]!.abortedTransactions!.map((t) => t.firstOffset);
    assert.equal(aborted.length, 2);
    assert.deepEqual(
      aborted,
      [...aborted].sort((a, b) => (a < b ? -1 : 1)),
      "sorted by first offset",
    );

    const consumer = kafka.consumer({ groupId: "aborted-order-reader", maxWaitTimeInMs: 100 });
    const seen: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(String(message.value)) });
    for (let i = 0; i < 100 && !seen.includes("plain"); i++) await new Promise((r) => setTimeout(r, 100));
    await consumer.disconnect();
    await Promise.all([early.disconnect(), late.disconnect(), plain.disconnect(), admin.disconnect()]);
    assert.deepEqual(seen, ["late-committed", "plain"]);
  });
});
