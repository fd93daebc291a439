/**
 * The Apache Kafka reference cluster (test/support/apache-kafka.ts) starts and serves real clients:
 * a single combined node, and a controller with three brokers where a topic of 6 partitions and
 * replication factor 3 gets its leaders spread over all three brokers. KafkaJS produces and consumes
 * through both, and Kafka's TopicCommand runs from the same jars. Start times are printed as test
 * diagnostics (the clusters use quickStart: a C1-only JVM, fine for tests, not for benches).
 *
 * Skipped, with the reason, when Java 17+ or the jars are missing (scripts/apache-kafka/install.sh).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Kafka, logLevel } from "kafkajs";
import {
  apacheKafkaUnavailable,
  type ApacheKafkaCluster,
  runKafkaJava,
  startApacheKafka,
} from "../support/apache-kafka.js";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

const reason = apacheKafkaUnavailable();
if (reason) console.warn(`SKIP apache-kafka reference tests: ${reason}`);

async function roundTrip(cluster: ApacheKafkaCluster, topic: string, partitions: number, rf: number) {
  const kafka = new Kafka({
    clientId: "reference-test",
    brokers: cluster.bootstrap.split(","),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  const consumer = kafka.consumer({ groupId: `${topic}-group`, sessionTimeout: 10_000 });
  try {
    assert.equal(
      await admin.createTopics({
        topics: [{ topic, numPartitions: partitions, replicationFactor: rf }],
        waitForLeaders: true,
      }),
      true,
    );
    const md = await admin.fetchTopicMetadata({ topics: [topic] });
    const parts = md.topics[0]!.partitions;
    assert.equal(parts.length, partitions);
    for (const p of parts) assert.equal(p.replicas.length, rf, `partition ${p.partitionId} replicas`);

    await producer.connect();
    const sent = Array.from({ length: 12 }, (_, i) => ({
      key: `k${i}`,
      value: `v${i}`,
      partition: i % partitions,
    }));
    await producer.send({ topic, acks: -1, messages: sent });

    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    // By key: KafkaJS's consumer delivers at least once, and a group rebalance on a loaded machine
    // hands some records over twice before anything is committed.
    const byKey = new Map<string, { partition: number; key: string; value: string }>();
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`consumed ${byKey.size} of ${sent.length}`)), 60_000);
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            const key = message.key!.toString();
            byKey.set(key, { partition, key, value: message.value!.toString() });
            if (byKey.size === sent.length) {
              clearTimeout(t);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    const order = (a: { key: string }, b: { key: string }) => a.key.localeCompare(b.key);
    assert.deepEqual([...byKey.values()].sort(order), [...sent].sort(order));
    return parts;
  } finally {
    await consumer.disconnect().catch(() => {});
    await producer.disconnect().catch(() => {});
    await admin.disconnect().catch(() => {});
  }
}

describe("Apache Kafka reference cluster", { skip: reason ?? false, concurrency: false }, () => {
  it("one combined controller+broker node: starts, serves KafkaJS, stops", {
    timeout: 240_000,
  }, async (t) => {
    const cluster = await startApacheKafka({ brokers: 1, quickStart: true });
    let failed = false;
    try {
      t.diagnostic(`Apache Kafka ${cluster.version}, 1 broker: started in ${Math.round(cluster.startMs)} ms`);
      console.log(`apache-kafka 1-broker start: ${Math.round(cluster.startMs)} ms (${cluster.bootstrap})`);
      assert.deepEqual(
        cluster.brokers.map((b) => b.nodeId),
        [1],
      );
      await roundTrip(cluster, "ref-one", 3, 1);
      // Kafka's own tools run from the same jars (kafka-topics.sh is this class).
      const described = await runKafkaJava("org.apache.kafka.tools.TopicCommand", [
        "--bootstrap-server",
        cluster.bootstrap,
        "--describe",
        "--topic",
        "ref-one",
      ]);
      assert.equal(described.code, 0, described.stderr);
      assert.match(described.stdout, /PartitionCount: 3\s+ReplicationFactor: 1/);
    } catch (e) {
      failed = true;
      throw new Error(`${(e as Error).message}\nlogs kept in ${cluster.logDir}\n${cluster.logTail(20)}`);
    } finally {
      const s = performance.now();
      await cluster.stop({ keepData: failed });
      t.diagnostic(`stopped in ${Math.round(performance.now() - s)} ms`);
    }
  });

  it("a controller and three brokers: RF 3 topic with leaders on every broker", {
    timeout: 240_000,
  }, async (t) => {
    const cluster = await startApacheKafka({ brokers: 3, quickStart: true });
    let failed = false;
    try {
      t.diagnostic(
        `Apache Kafka ${cluster.version}, 3 brokers: started in ${Math.round(cluster.startMs)} ms`,
      );
      console.log(`apache-kafka 3-broker start: ${Math.round(cluster.startMs)} ms (${cluster.bootstrap})`);
      assert.deepEqual(
        cluster.brokers.map((b) => b.nodeId),
        [1, 2, 3],
      );
      assert.equal(new Set(cluster.brokers.map((b) => b.port)).size, 3, "one port per broker");
      const parts = await roundTrip(cluster, "ref-three", 6, 3);
      const leaders = new Map<number, number>();
      for (const p of parts) leaders.set(p.leader, (leaders.get(p.leader) ?? 0) + 1);
      t.diagnostic(`leaders per broker: ${JSON.stringify(Object.fromEntries(leaders))}`);
      assert.deepEqual([...leaders.keys()].sort(), [1, 2, 3], "leaders spread over the three brokers");
    } catch (e) {
      failed = true;
      throw new Error(`${(e as Error).message}\nlogs kept in ${cluster.logDir}\n${cluster.logTail(20)}`);
    } finally {
      const s = performance.now();
      await cluster.stop({ keepData: failed });
      t.diagnostic(`stopped in ${Math.round(performance.now() - s)} ms`);
    }
  });
});
