/**
 * Isolation levels with real clients: KafkaJS transactions seen by read_committed (KafkaJS's
 * default) and read_uncommitted consumers, the LSO in Fetch and ListOffsets, aborted transactions
 * in Fetch, and librdkafka's idempotent producer (kcat -X enable.idempotence=true). The producing
 * side runs with KafkaJS, then with Brook's client (test/support/clients.ts); the readers are KafkaJS
 * consumers in both runs.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, it } from "node:test";
import type { Consumer, Kafka } from "kafkajs";
import { Fetch } from "../../src/protocol/messages/fetch.js";
import { ListOffsets } from "../../src/protocol/messages/list-offsets.js";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import { describeEachClient, kafkajs } from "../support/clients.js";
import { missing } from "../support/external.js";
import { fetchAllRecords } from "../support/fetch-records.js";
import { RawClient } from "../support/raw-client.js";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeEachClient("transactions and isolation levels", (client) => {
  let tb: TestBroker;
  let kafka: Kafka;
  let consumerKafka: Kafka;
  const consumers: Consumer[] = [];
  before(async () => {
    tb = await startTestBroker({
      configs: {
        "group.initial.rebalance.delay.ms": "0",
        "offsets.topic.num.partitions": "3",
        "transaction.state.log.num.partitions": "3",
      },
    });
    const config = { clientId: "iso", brokers: [tb.bootstrap], logLevel: kafkajs.logLevel.NOTHING };
    kafka = new client.module.Kafka(config);
    consumerKafka = new kafkajs.Kafka(config);
  });
  after(async () => {
    await Promise.allSettled(consumers.map((c) => c.disconnect()));
    await tb.close();
  });

  async function collect(topic: string, readUncommitted: boolean) {
    const consumer = consumerKafka.consumer({
      groupId: `iso-${topic}-${readUncommitted}`,
      readUncommitted,
      maxWaitTimeInMs: 100,
    });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const values: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void values.push(message.value!.toString()) });
    return values;
  }

  async function offsets(topic: string, isolationLevel: 0 | 1) {
    const c = await RawClient.connect(tb.port);
    try {
      const res = await c.request(ListOffsets, 7, {
        replicaId: -1,
        isolationLevel,
        topics: [
          { name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] },
        ],
      });
      return res.topics[0]!.partitions[0]!.offset;
    } finally {
      c.close();
    }
  }

  it("read_committed stops at the LSO of an open transaction, never sees aborted records; read_uncommitted sees everything", {
    timeout: 60_000,
  }, async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "iso", numPartitions: 1 }] });
    await admin.disconnect();
    const plain = kafka.producer();
    await plain.connect();
    await plain.send({ topic: "iso", messages: [{ value: "before" }] });
    const tx = kafka.producer({ transactionalId: "iso-tx", maxInFlightRequests: 1, idempotent: true });
    await tx.connect();

    // An open transaction: its records are past the LSO.
    const open = await tx.transaction();
    await open.send({ topic: "iso", messages: [{ value: "aborted-1" }, { value: "aborted-2" }] });
    await plain.send({ topic: "iso", messages: [{ value: "plain-during" }] });
    assert.equal(await offsets("iso", 0), 4n, "latest (read_uncommitted) is the high watermark");
    assert.equal(await offsets("iso", 1), 1n, "latest (read_committed) is the LSO");
    const committed = await collect("iso", false);
    const uncommitted = await collect("iso", true);
    await sleep(1500);
    assert.deepEqual(committed, ["before"], "read_committed waits at the LSO");
    assert.deepEqual(uncommitted, ["before", "aborted-1", "aborted-2", "plain-during"]);

    await open.abort();
    const next = await tx.transaction();
    await next.send({ topic: "iso", messages: [{ value: "committed-1" }] });
    await next.commit();
    await plain.send({ topic: "iso", messages: [{ value: "after" }] });
    const deadline = performance.now() + 15_000;
    while (committed.length < 4 && performance.now() < deadline) await sleep(100);
    await sleep(500);
    assert.deepEqual(committed, ["before", "plain-during", "committed-1", "after"]);
    assert.deepEqual(uncommitted, [
      "before",
      "aborted-1",
      "aborted-2",
      "plain-during",
      "committed-1",
      "after",
    ]);
    assert.equal(
      await offsets("iso", 1),
      await offsets("iso", 0),
      "no open transaction: LSO = high watermark",
    );

    // Fetch names the aborted transaction for read_committed, and only then.
    const c = await RawClient.connect(tb.port);
    try {
      const fetch = (isolationLevel: number) =>
        c.request(Fetch, 11, {
          replicaId: -1,
          maxWaitMs: 0,
          minBytes: 0,
          maxBytes: 1 << 20,
          isolationLevel,
          sessionEpoch: -1,
          topics: [
            { topic: "iso", partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] },
          ],
        });
      const rc = (await fetch(1)).responses[0]!.partitions[0]!;
      assert.equal(rc.abortedTransactions?.length, 1);
      assert.equal(rc.abortedTransactions![0]!.firstOffset, 1n);
      assert.equal((await fetch(0)).responses[0]!.partitions[0]!.abortedTransactions, null);
    } finally {
      c.close();
    }
    await tx.disconnect();
    await plain.disconnect();
  });

  it("kcat (librdkafka) with enable.idempotence=true produces through InitProducerId and sequences", {
    timeout: 30_000,
    skip: missing("kcat") ?? false,
  }, async () => {
    await tb.broker.createTopic("kcat-idem", 1, 1, {});
    const lines = Array.from({ length: 500 }, (_, i) => `m${i}`);
    await new Promise<void>((resolve, reject) => {
      const child = execFile(
        "kcat",
        [
          "-b",
          tb.bootstrap,
          "-P",
          "-t",
          "kcat-idem",
          "-p",
          "0",
          "-X",
          "enable.idempotence=true",
          "-X",
          "linger.ms=1",
        ],
        { timeout: 20_000 },
        (e, _out, err) => (e ? reject(new Error(`${e.message}\n${err}`)) : resolve()),
      );
      child.stdin!.end(`${lines.join("\n")}\n`);
    });
    const records = await fetchAllRecords(tb.port, "kcat-idem", 0);
    assert.deepEqual(
      records.map((r) => r.value?.toString()),
      lines,
    );
    const pids = tb.broker.partitionLog("kcat-idem", 0)!.producers.producers;
    assert.equal(pids.size, 1, "one idempotent producer id");
    const entry = [...pids.values()][0]!;
    assert.ok(entry.producerId >= 0n);
    assert.equal(entry.batches.at(-1)!.lastSeq, 499, "sequences 0..499");
  });
});
