/**
 * Regression (issue 19): an aborted transaction spanning segment rolls must stay invisible to
 * read_committed readers. The abort marker and its .txnindex entry live in the last segment, so a
 * fetch from an earlier segment has to find the entry further on. Reproduced as reported: KafkaJS
 * 2.2.4 sends 300 batches of 10 × 1 KB in one transaction on a topic with segment.bytes=1 MiB and
 * aborts it; a KafkaJS consumer (readUncommitted: false) and kcat/librdkafka
 * (isolation.level=read_committed) then read the topic, across a broker restart too. The producing
 * side runs with KafkaJS, then with Brook's client (test/support/clients.ts); the KafkaJS consumer
 * reads in both runs.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { rmSync } from "node:fs";
import { after, before, it } from "node:test";
import type { Consumer, Kafka } from "kafkajs";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import { describeEachClient, kafkajs } from "../support/clients.js";
import { missing } from "../support/external.js";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const NO_KCAT = missing("kcat") ?? false;

const TOPIC = "spanning";
const KB = "x".repeat(1000);

describeEachClient("aborted transactions spanning segment rolls, with real clients", (client) => {
  let tb: TestBroker;
  let kafka: Kafka;
  let consumerKafka: Kafka;
  const consumers: Consumer[] = [];
  const expected: string[] = [];

  async function start(dataDir?: string) {
    tb = await startTestBroker({
      dataDir,
      configs: { "transaction.state.log.num.partitions": "2", "offsets.topic.num.partitions": "2" },
    });
    const config = { clientId: "spanning", brokers: [tb.bootstrap], logLevel: kafkajs.logLevel.NOTHING };
    kafka = new client.module.Kafka(config);
    consumerKafka = new kafkajs.Kafka(config);
  }

  before(async () => {
    await start();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: TOPIC, numPartitions: 1, configEntries: [{ name: "segment.bytes", value: "1048576" }] },
      ],
    });
    await admin.disconnect();

    const plain = kafka.producer();
    await plain.connect();
    await plain.send({ topic: TOPIC, messages: [{ value: "before" }] });
    expected.push("before");

    const tx = kafka.producer({ transactionalId: "spanning-tx", maxInFlightRequests: 1, idempotent: true });
    await tx.connect();
    const aborted = await tx.transaction();
    for (let b = 0; b < 300; b++) {
      await aborted.send({
        topic: TOPIC,
        messages: Array.from({ length: 10 }, (_, i) => ({ value: `aborted-${b * 10 + i}-${KB}` })),
      });
    }
    await aborted.abort();
    const committed = await tx.transaction();
    for (let b = 0; b < 3; b++) {
      const messages = Array.from({ length: 10 }, (_, i) => ({ value: `committed-${b * 10 + i}` }));
      await committed.send({ topic: TOPIC, messages });
      expected.push(...messages.map((m) => m.value));
    }
    await committed.commit();
    await plain.send({ topic: TOPIC, messages: [{ value: "after" }] });
    expected.push("after");
    await tx.disconnect();
    await plain.disconnect();
  });
  after(async () => {
    await Promise.allSettled(consumers.map((c) => c.disconnect()));
    await tb.close();
    rmSync(tb.dataDir, { recursive: true, force: true });
  });

  it("the transaction really spans rolls: the abort is indexed in the marker's segment, with its first offset", async () => {
    const log = tb.broker.partitionLog(TOPIC, 0)!;
    const segments = log.segments;
    assert.ok(segments.length >= 3, `the aborted transaction should span rolls: ${segments.length} segments`);
    const entries = await Promise.all(segments.map((s) => s.txnIndex.all()));
    const withEntry = entries.flatMap((list, i) => (list.length > 0 ? [i] : []));
    assert.equal(withEntry.length, 1, "one segment holds the abort");
    const entry = entries[withEntry[0]!]![0]!;
    assert.equal(entry.firstOffset, 1n, "the transaction began right after 'before'");
    assert.ok(withEntry[0]! >= 2 && segments[withEntry[0]!]!.baseOffset <= entry.lastOffset);
    assert.equal(log.lastStableOffset, log.highWatermark);
  });

  async function kafkajsRead(readUncommitted: boolean, until: number): Promise<string[]> {
    const consumer = consumerKafka.consumer({
      groupId: `spanning-${readUncommitted}-${consumers.length}`,
      readUncommitted,
      maxWaitTimeInMs: 100,
    });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    const values: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void values.push(message.value!.toString()) });
    const deadline = performance.now() + 30_000;
    while (performance.now() < deadline && !values.includes("after")) await sleep(100);
    await sleep(300);
    await consumer.disconnect();
    assert.ok(values.length >= until, `read ${values.length} records, expected at least ${until}`);
    return values;
  }

  it("KafkaJS readUncommitted: false sees only the committed records", { timeout: 60_000 }, async () => {
    const values = await kafkajsRead(false, expected.length);
    const leaked = values.filter((v) => v.startsWith("aborted-")).length;
    assert.equal(leaked, 0, `${leaked} aborted records delivered to a read_committed consumer`);
    assert.deepEqual(values, expected);
  });

  it("KafkaJS readUncommitted: true sees the aborted records too", { timeout: 60_000 }, async () => {
    const values = await kafkajsRead(true, expected.length + 3000);
    assert.equal(values.filter((v) => v.startsWith("aborted-")).length, 3000);
  });

  function kcatRead(extra: string[]): Promise<string[]> {
    return new Promise((resolve, reject) => {
      execFile(
        "kcat",
        ["-b", tb.bootstrap, "-C", "-t", TOPIC, "-o", "beginning", "-e", "-q", "-f", "%s\\n", ...extra],
        { timeout: 30_000, maxBuffer: 64 << 20 },
        (e, out, err) =>
          e ? reject(new Error(`${e.message}\n${err}`)) : resolve(out.split("\n").filter(Boolean)),
      );
    });
  }

  it("kcat with isolation.level=read_committed sees only the committed records", {
    skip: NO_KCAT,
    timeout: 60_000,
  }, async () => {
    const values = await kcatRead(["-X", "isolation.level=read_committed", "-X", "message.max.bytes=10000"]);
    assert.equal(values.filter((v) => v.startsWith("aborted-")).length, 0, "aborted records delivered");
    assert.deepEqual(values, expected);
    const all = await kcatRead(["-X", "isolation.level=read_uncommitted"]);
    assert.equal(all.length, expected.length + 3000);
  });

  it("after a restart (indexes reloaded from disk) read_committed readers still skip the aborted records", {
    timeout: 90_000,
  }, async () => {
    const dataDir = tb.dataDir;
    await tb.broker.close();
    await start(dataDir);
    const values = await kafkajsRead(false, expected.length);
    assert.deepEqual(values, expected);
    if (!NO_KCAT) {
      assert.deepEqual(
        await kcatRead(["-X", "isolation.level=read_committed", "-X", "message.max.bytes=10000"]),
        expected,
      );
    }
  });
});
