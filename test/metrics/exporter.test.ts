/**
 * The kafka_exporter-compatible exporter (src/metrics/exporter.ts) against a real in-process Brook,
 * through Brook's client only: a producer, a slow consumer group that stops part-way (a live member
 * stuck on a record), and a group with one partition committed. Its lag must be the truth computed
 * from the offsets, agree with the broker's own /metrics (computed from broker internals, a second
 * path), carry kafka_exporter's names and labels, and show the stuck group's status; a cluster that
 * goes away makes a scrape answer 500 with one line, quickly.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Admin, type Consumer, Kafka, logLevel } from "../../src/client/index.js";
import { createKafkaExporter, type KafkaExporter } from "../../src/metrics/exporter.js";
import { serveExporter } from "../../src/metrics/server.js";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import { one, parseMetrics, pick, stuckConsumer, until } from "./support.js";

const TOPIC = "orders";
const PARTITIONS = 3;
const PER_PARTITION = 100;
/** The slow group reads this many records of each partition, committing each, then gets stuck. */
const READ = 40;
const SLOW = "slow-readers";
const PARTIAL = "partial";

describe("kafka_exporter metrics through Brook's client", () => {
  let tb: TestBroker;
  let kafka: Kafka;
  let admin: Admin;
  let consumer: Consumer | undefined;
  let exporter: KafkaExporter;
  let release: () => void = () => {};

  /** Lag by the book: high watermark minus committed offset, per partition with a commit. */
  const truth = async (groupId: string) => {
    const ends = new Map((await admin.fetchTopicOffsets(TOPIC)).map((o) => [o.partition, Number(o.high)]));
    const [t] = await admin.fetchOffsets({ groupId, topics: [TOPIC] });
    const lag = new Map<number, number>();
    for (const p of t!.partitions)
      if (Number(p.offset) >= 0) lag.set(p.partition, ends.get(p.partition)! - Number(p.offset));
    return lag;
  };

  before(async () => {
    tb = await startTestBroker({ metricsPort: 0 });
    kafka = new Kafka({ clientId: "exporter-test", brokers: [tb.bootstrap], logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
    const producer = kafka.producer();
    await producer.connect();
    for (let round = 0; round < 4; round++) {
      const messages = [];
      for (let i = 0; i < (PARTITIONS * PER_PARTITION) / 4; i++)
        messages.push({ partition: i % PARTITIONS, key: `k${i}`, value: `order ${round}-${i}` });
      await producer.send({ topic: TOPIC, messages });
    }
    await producer.disconnect();

    // A slow consumer: one record at a time, a commit after each, stuck at READ per partition.
    const slow = stuckConsumer(kafka, {
      groupId: SLOW,
      topic: TOPIC,
      partitions: PARTITIONS,
      stopAt: READ,
      config: { maxBytesPerPartition: 512 },
      pauseMs: 2,
      waitMs: 30_000,
      what: "the slow group to reach its stopping point",
    });
    consumer = slow.consumer;
    release = slow.release;
    await slow.start();
    await admin.setOffsets({ groupId: PARTIAL, topic: TOPIC, partitions: [{ partition: 0, offset: "25" }] });

    exporter = createKafkaExporter({ admin, window: 3, maxAgeMs: 0 });
  });

  after(async () => {
    release();
    await exporter?.stop();
    await consumer?.disconnect();
    await admin?.disconnect();
    await tb?.close();
  });

  it("exports the cluster's brokers and partitions with kafka_exporter's names", async () => {
    const s = parseMetrics(await exporter.metrics());
    assert.equal(one(s, "kafka_brokers"), 1);
    assert.equal(one(s, "kafka_broker_info", { id: "1", address: tb.bootstrap }), 1);
    assert.equal(one(s, "kafka_topic_partitions", { topic: TOPIC }), PARTITIONS);
    for (let p = 0; p < PARTITIONS; p++) {
      const labels = { topic: TOPIC, partition: String(p) };
      assert.equal(one(s, "kafka_topic_partition_current_offset", labels), PER_PARTITION);
      assert.equal(one(s, "kafka_topic_partition_oldest_offset", labels), 0);
      assert.equal(one(s, "kafka_topic_partition_leader", labels), 1);
      assert.equal(one(s, "kafka_topic_partition_replicas", labels), 1);
      assert.equal(one(s, "kafka_topic_partition_in_sync_replica", labels), 1);
      assert.equal(one(s, "kafka_topic_partition_leader_is_preferred", labels), 1);
      assert.equal(one(s, "kafka_topic_partition_under_replicated_partition", labels), 0);
    }
    // Brook's internal offsets topic is a topic like any other, as kafka_exporter shows it.
    assert.ok(pick(s, "kafka_topic_partitions", { topic: "__consumer_offsets" }).length === 1);
  });

  it("reports each group's true lag, equal to the broker's own /metrics", async () => {
    const s = parseMetrics(await exporter.metrics());
    const broker = parseMetrics(await tb.broker.metrics!.scrape());
    const slowTruth = await truth(SLOW);
    assert.equal(slowTruth.size, PARTITIONS);
    let sum = 0;
    for (let p = 0; p < PARTITIONS; p++) {
      const labels = { consumergroup: SLOW, topic: TOPIC, partition: String(p) };
      assert.equal(one(s, "kafka_consumergroup_current_offset", labels), READ);
      assert.equal(one(s, "kafka_consumergroup_lag", labels), slowTruth.get(p));
      assert.equal(one(s, "kafka_consumergroup_lag", labels), one(broker, "kafka_consumergroup_lag", labels));
      sum += slowTruth.get(p)!;
    }
    assert.equal(sum, PARTITIONS * (PER_PARTITION - READ));
    const topicLabels = { consumergroup: SLOW, topic: TOPIC };
    assert.equal(one(s, "kafka_consumergroup_lag_sum", topicLabels), sum);
    assert.equal(one(broker, "kafka_consumergroup_lag_sum", topicLabels), sum);
    assert.equal(one(s, "kafka_consumergroup_current_offset_sum", topicLabels), PARTITIONS * READ);
    assert.equal(one(s, "kafka_consumergroup_members", { consumergroup: SLOW }), 1);

    // One partition committed: the others of the topic are -1 (kafka_exporter's way to alert on them)
    // and stay out of the sum.
    assert.equal(
      one(s, "kafka_consumergroup_current_offset", { consumergroup: PARTIAL, partition: "0" }),
      25,
    );
    assert.equal(
      one(s, "kafka_consumergroup_lag", { consumergroup: PARTIAL, partition: "0" }),
      PER_PARTITION - 25,
    );
    assert.equal(
      one(s, "kafka_consumergroup_current_offset", { consumergroup: PARTIAL, partition: "1" }),
      -1,
    );
    assert.equal(one(s, "kafka_consumergroup_lag", { consumergroup: PARTIAL, partition: "2" }), -1);
    assert.equal(
      one(s, "kafka_consumergroup_lag_sum", { consumergroup: PARTIAL, topic: TOPIC }),
      PER_PARTITION - 25,
    );
    assert.equal(one(s, "kafka_consumergroup_members", { consumergroup: PARTIAL }), 0);
  });

  it("exposes the lag status once the window is full: the stuck live group stalls", async () => {
    // Two scrapes so far (each a fresh round, maxAgeMs 0); the third fills the window of 3.
    const s = parseMetrics(await exporter.metrics());
    const status = (g: string, st: string) =>
      one(s, "kafka_consumergroup_lag_status", { consumergroup: g, status: st });
    assert.deepEqual(
      ["OK", "WARN", "ERR"].map((st) => status(SLOW, st)),
      [0, 0, 1],
    );
    for (let p = 0; p < PARTITIONS; p++) {
      const labels = { consumergroup: SLOW, topic: TOPIC, partition: String(p) };
      assert.equal(one(s, "kafka_consumergroup_partition_lag_status", { ...labels, status: "STALL" }), 1);
      assert.equal(
        pick(s, "kafka_consumergroup_partition_lag_status", labels).reduce((n, x) => n + x.value, 0),
        1,
        "one status per partition",
      );
    }
    // Nobody commits for the idle partial group: its committed partition stopped.
    assert.equal(status(PARTIAL, "ERR"), 1);
    assert.equal(
      one(s, "kafka_consumergroup_partition_lag_status", {
        consumergroup: PARTIAL,
        partition: "0",
        status: "STOP",
      }),
      1,
    );
    assert.equal(
      pick(s, "kafka_consumergroup_partition_lag_status", { consumergroup: PARTIAL, partition: "1" }).length,
      0,
    );
  });

  it("answers 500 with one line, in time, when the cluster is gone", { timeout: 60_000 }, async () => {
    const other = await startTestBroker();
    const client = new Kafka({
      clientId: "exporter-gone",
      brokers: [other.bootstrap],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 500,
      retry: { retries: 1, initialRetryTime: 100 },
    });
    const a = client.admin();
    await a.connect();
    const gone = createKafkaExporter({ admin: a, maxAgeMs: 0, timeoutMs: 2000 });
    const server = await serveExporter(gone, { host: "127.0.0.1", port: 0 });
    try {
      const ok = await fetch(server.url);
      assert.equal(ok.status, 200);
      assert.equal((await fetch(server.url.replace(/metrics$/, "health"))).status, 200);
      await other.close();
      const started = performance.now();
      const res = await fetch(server.url);
      const elapsed = performance.now() - started;
      assert.equal(res.status, 500);
      const body = await res.text();
      assert.match(body, /^metrics collection failed: .+\n$/);
      assert.equal(body.split("\n").length, 2, "one line");
      assert.ok(elapsed < 5000, `answered in ${Math.round(elapsed)} ms`);
      await until(
        async () => (await fetch(server.url.replace(/metrics$/, "health"))).status === 503,
        15_000,
        "/health to report the failure",
      );
      assert.equal((await fetch(server.url.replace(/metrics$/, "nope"))).status, 404);
    } finally {
      await server.close();
      await gone.stop();
      await a.disconnect().catch(() => {});
    }
  });
});
