/**
 * A `brook start` process killed with SIGKILL in the middle of KafkaJS transactions:
 * - before EndTxn: after restart the transaction is aborted (by its timeout) on every partition it
 *   wrote to, and its offsets never become committed;
 * - right after EndTxn(commit) is acknowledged (the coordinator may still be writing markers): after
 *   restart the transaction is committed on every partition and its offsets are committed.
 * The transactions and the admin checks run with KafkaJS, then with Brook's client
 * (test/support/clients.ts); the read_committed reader is a KafkaJS consumer in both runs.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, it } from "node:test";
import type { Kafka } from "kafkajs";
import { ListOffsets } from "../../src/protocol/messages/list-offsets.js";
import { type BrokerProcess, spawnBroker } from "../support/broker-process.js";
import { describeEachClient, kafkajs } from "../support/clients.js";
import { RawClient } from "../support/raw-client.js";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const argsFor = (dir: string) => [
  "--port",
  "0",
  "--data-dir",
  dir,
  "--set",
  "transaction.abort.timed.out.transaction.cleanup.interval.ms=300",
  "--set",
  "transaction.state.log.num.partitions=3",
  "--set",
  "offsets.topic.num.partitions=3",
  "--set",
  "group.initial.rebalance.delay.ms=0",
];

async function latest(
  port: number,
  topic: string,
  partition: number,
  isolationLevel: 0 | 1,
): Promise<bigint> {
  const c = await RawClient.connect(port);
  try {
    const res = await c.request(ListOffsets, 7, {
      replicaId: -1,
      isolationLevel,
      topics: [
        { name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -1n }] },
      ],
    });
    return res.topics[0]!.partitions[0]!.offset;
  } finally {
    c.close();
  }
}

/** Waits until no transaction holds back the LSO of crash-out's two partitions. */
async function settled(port: number, what: string): Promise<void> {
  const deadline = performance.now() + 20_000;
  for (const p of [0, 1]) {
    while ((await latest(port, "crash-out", p, 1)) < (await latest(port, "crash-out", p, 0))) {
      assert.ok(performance.now() < deadline, `partition ${p}: ${what}`);
      await sleep(200);
    }
  }
}

/** Values a read_committed KafkaJS consumer sees on `topic` from the beginning (waits `ms`). */
async function readCommitted(kafka: Kafka, topic: string, group: string, ms: number): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const values: string[] = [];
  await consumer.run({ eachMessage: async ({ message }) => void values.push(message.value!.toString()) });
  await sleep(ms);
  await consumer.disconnect();
  return values.sort();
}

describeEachClient("broker SIGKILL during transactions", (client) => {
  const dir = mkdtempSync(join(tmpdir(), "brook-txn-crash-"));
  const ARGS = argsFor(dir);
  let broker: BrokerProcess | undefined;
  after(async () => {
    await broker?.stop("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("an open transaction is aborted after restart; a committed one is complete on every partition and the offsets partition", {
    timeout: 120_000,
  }, async () => {
    broker = await spawnBroker(ARGS);
    let kafka = new client.module.Kafka({
      clientId: "crash",
      brokers: [`127.0.0.1:${broker.port}`],
      logLevel: client.module.logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: "crash-out", numPartitions: 2 },
        { topic: "crash-in", numPartitions: 1 },
      ],
    });
    await admin.disconnect();

    // 1. Open transaction (records on both partitions + offsets), broker killed before EndTxn.
    const open = kafka.producer({
      transactionalId: "crash-open",
      transactionTimeout: 2000,
      maxInFlightRequests: 1,
      idempotent: true,
    });
    await open.connect();
    const t1 = await open.transaction();
    await t1.send({
      topic: "crash-out",
      messages: [
        { partition: 0, value: "open-0" },
        { partition: 1, value: "open-1" },
      ],
    });
    await t1.sendOffsets({
      consumerGroupId: "crash-open-g",
      topics: [{ topic: "crash-in", partitions: [{ partition: 0, offset: "42" }] }],
    });
    await broker.stop("SIGKILL");
    open.disconnect().catch(() => {});

    broker = await spawnBroker(ARGS);
    kafka = new client.module.Kafka({
      clientId: "crash",
      brokers: [`127.0.0.1:${broker.port}`],
      logLevel: client.module.logLevel.NOTHING,
    });
    // The coordinator aborts it once its 2 s timeout passes: the LSO reaches the high watermark.
    await settled(broker.port, "the open transaction is aborted after restart");
    const admin2 = kafka.admin();
    await admin2.connect();
    const openOffsets = await admin2.fetchOffsets({ groupId: "crash-open-g", topics: ["crash-in"] });
    assert.equal(
      openOffsets[0]!.partitions[0]!.offset,
      "-1",
      "offsets of the aborted transaction are not committed",
    );

    // 2. A transaction committed, then the broker killed at once.
    const committer = kafka.producer({
      transactionalId: "crash-commit",
      maxInFlightRequests: 1,
      idempotent: true,
    });
    await committer.connect();
    const t2 = await committer.transaction();
    await t2.send({
      topic: "crash-out",
      messages: [
        { partition: 0, value: "commit-0" },
        { partition: 1, value: "commit-1" },
      ],
    });
    await t2.sendOffsets({
      consumerGroupId: "crash-commit-g",
      topics: [{ topic: "crash-in", partitions: [{ partition: 0, offset: "7" }] }],
    });
    await t2.commit();
    await broker.stop("SIGKILL");
    committer.disconnect().catch(() => {});
    await admin2.disconnect().catch(() => {});

    broker = await spawnBroker(ARGS);
    kafka = new client.module.Kafka({
      clientId: "crash",
      brokers: [`127.0.0.1:${broker.port}`],
      logLevel: client.module.logLevel.NOTHING,
    });
    await settled(broker.port, "the committed transaction is completed after restart");
    const reader = new kafkajs.Kafka({
      clientId: "crash",
      brokers: [`127.0.0.1:${broker.port}`],
      logLevel: kafkajs.logLevel.NOTHING,
    });
    assert.deepEqual(await readCommitted(reader, "crash-out", "crash-verify", 2000), [
      "commit-0",
      "commit-1",
    ]);
    const admin3 = kafka.admin();
    await admin3.connect();
    const committed = await admin3.fetchOffsets({ groupId: "crash-commit-g", topics: ["crash-in"] });
    assert.equal(committed[0]!.partitions[0]!.offset, "7");
    const stillOpen = await admin3.fetchOffsets({ groupId: "crash-open-g", topics: ["crash-in"] });
    assert.equal(stillOpen[0]!.partitions[0]!.offset, "-1");
    await admin3.disconnect();
  });
});
