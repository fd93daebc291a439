/**
 * `brook metrics` as a user runs it: a child process serving kafka_exporter's metrics for a real
 * Apache Kafka (test/support/apache-kafka.ts; skipped without Java), whose lag per partition must
 * be what Kafka's offsets say (read with Brook's admin); a clean stop on SIGINT; and its command-line
 * errors as one line with exit code 2 (usage) or 1 (cluster).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Admin, type Consumer, Kafka, logLevel } from "../../src/client/index.js";
import {
  type ApacheKafkaCluster,
  apacheKafkaUnavailable,
  startApacheKafka,
} from "../support/apache-kafka.js";
import { runBrook, spawnBrook } from "../support/cli-process.js";
import { LineProcess } from "../support/line-process.js";
import { one, parseMetrics, pick, stuckConsumer, until } from "./support.js";

const TOPIC = "ak-orders";
const PER_PARTITION = 30;
const STATIC = "ak-static";
const LIVE = "ak-live";

describe("brook metrics: command-line errors", () => {
  it("a bad --port, --interval or --group is a usage error (exit 2), one line", async () => {
    for (const args of [
      ["--port", "70000"],
      ["--interval", "soon"],
      ["--group", "("],
      ["--window", "0"],
    ]) {
      const r = await runBrook(["metrics", "-b", "127.0.0.1:1", ...args]);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.match(r.stderr, /^brook( metrics)?: /);
    }
  });

  it("brook start --lag-interval with a bad duration is a usage error before anything starts", async () => {
    const r = await runBrook([
      "start",
      "--port",
      "0",
      "--data-dir",
      "/nonexistent/brook",
      "--lag-interval",
      "soon",
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^brook start: --lag-interval soon: expected a duration/);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  });

  it("an unreachable cluster is exit 1 with one line naming it", async () => {
    const r = await runBrook(["metrics", "-b", "127.0.0.1:1", "-X", "retries=0", "--port", "0"]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^brook metrics: cannot reach 127\.0\.0\.1:1/);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.equal(r.stdout, "");
  });
});

const reason = apacheKafkaUnavailable();
if (reason) console.warn(`SKIP brook metrics against Apache Kafka: ${reason}`);

describe("brook metrics against Apache Kafka", { skip: reason ?? false, timeout: 240_000 }, () => {
  let cluster: ApacheKafkaCluster | undefined;
  let admin: Admin;
  let consumer: Consumer | undefined;
  let exporter: LineProcess | undefined;
  let url = "";
  let release: () => void = () => {};

  before(async () => {
    cluster = await startApacheKafka({ brokers: 1, quickStart: true });
    const kafka = new Kafka({
      clientId: "metrics-ak",
      brokers: [cluster.bootstrap],
      logLevel: logLevel.NOTHING,
    });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 3 }] });
    const producer = kafka.producer();
    await producer.connect();
    const messages = [];
    for (let i = 0; i < 3 * PER_PARTITION; i++) messages.push({ partition: i % 3, value: `o${i}` });
    await producer.send({ topic: TOPIC, messages });
    await producer.disconnect();
    // An idle group with offsets 5, 10, 15.
    await admin.setOffsets({
      groupId: STATIC,
      topic: TOPIC,
      partitions: [0, 1, 2].map((partition) => ({ partition, offset: String(5 * (partition + 1)) })),
    });
    // A live member that committed 4 of each partition and is stuck on the fifth record.
    const live = stuckConsumer(kafka, {
      groupId: LIVE,
      topic: TOPIC,
      partitions: 3,
      stopAt: 4,
      waitMs: 60_000,
      what: "the live member's commits",
    });
    consumer = live.consumer;
    release = live.release;
    await live.start();

    exporter = new LineProcess(
      spawnBrook(["metrics", "-b", cluster.bootstrap, "--port", "0", "--interval", "1s"]),
    );
    const line = await exporter.line("metrics on ", 60_000);
    assert.ok(line, `no start line: ${exporter.stderr}`);
    url = line.slice("metrics on ".length);
  });

  after(async () => {
    release();
    if (exporter && !exporter.exited) await exporter.kill();
    await consumer?.disconnect().catch(() => {});
    await admin?.disconnect().catch(() => {});
    await cluster?.stop();
  });

  it("exports Kafka's brokers and partitions", async () => {
    const s = parseMetrics(await (await fetch(url)).text());
    assert.equal(one(s, "kafka_brokers"), 1);
    assert.equal(pick(s, "kafka_broker_info", { id: "1" }).length, 1);
    assert.equal(one(s, "kafka_topic_partitions", { topic: TOPIC }), 3);
    for (let p = 0; p < 3; p++) {
      const labels = { topic: TOPIC, partition: String(p) };
      assert.equal(one(s, "kafka_topic_partition_current_offset", labels), PER_PARTITION);
      assert.equal(one(s, "kafka_topic_partition_leader", labels), 1);
      assert.equal(one(s, "kafka_topic_partition_in_sync_replica", labels), 1);
    }
  });

  it("reports per partition the lag Kafka's offsets give", async () => {
    const s = parseMetrics(await (await fetch(url)).text());
    for (const groupId of [STATIC, LIVE]) {
      const truth = await admin.fetchLag({ groupId });
      const [t] = truth.topics;
      assert.ok(t, `${groupId} has offsets on Kafka`);
      for (const p of t.partitions) {
        const labels = { consumergroup: groupId, topic: TOPIC, partition: String(p.partition) };
        assert.equal(one(s, "kafka_consumergroup_current_offset", labels), Number(p.offset));
        assert.equal(one(s, "kafka_consumergroup_lag", labels), Number(p.lag), `${groupId} ${p.partition}`);
      }
      assert.equal(
        one(s, "kafka_consumergroup_lag_sum", { consumergroup: groupId, topic: TOPIC }),
        Number(t.totalLag),
      );
    }
    assert.equal(one(s, "kafka_consumergroup_lag_sum", { consumergroup: STATIC, topic: TOPIC }), 90 - 30);
    assert.equal(one(s, "kafka_consumergroup_members", { consumergroup: LIVE }), 1);
    assert.equal(one(s, "kafka_consumergroup_members", { consumergroup: STATIC }), 0);
  });

  it("stops cleanly on SIGINT", async () => {
    exporter!.signal("SIGINT");
    await until(() => exporter!.exited, 15_000, "brook metrics to exit");
    assert.equal(exporter!.proc.exitCode, 0, exporter!.stderr);
    await assert.rejects(fetch(url), "the port is closed");
  });
});
