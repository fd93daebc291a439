/**
 * The broker's Prometheus endpoint (issue 17, first slice), against real parts: an in-process
 * broker with metrics on an ephemeral port, Brook's producer and consumer, and a real Prometheus
 * (Debian package `prometheus`) scraping it. Records are produced to two partitions, a group
 * commits the first COMMITTED of each and stays in the group; /metrics must then show exactly what
 * was sent and the true lag, and PromQL over what Prometheus scraped must return the same lag.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Gauge, Registry } from "prom-client";
import { type Consumer, Kafka, logLevel } from "../../src/client/index.js";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import { freePort, one, parseMetrics, pick, until } from "../metrics/support.js";

const TOPIC = "metered";
const GROUP = "metered-readers";
const PER_PARTITION = 50;
const N = 2 * PER_PARTITION;
const COMMITTED = 20;
const TRUE_LAG = 2 * (PER_PARTITION - COMMITTED);

describe("broker metrics endpoint", () => {
  let tb: TestBroker;
  let consumer: Consumer | undefined;
  let metricsUrl: string;

  const scrape = async () => {
    const res = await fetch(metricsUrl);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain/);
    return parseMetrics(await res.text());
  };

  before(async () => {
    tb = await startTestBroker({ metricsPort: 0 });
    assert.ok(tb.broker.metrics, "metrics endpoint started");
    metricsUrl = tb.broker.metrics.url;
    const kafka = new Kafka({
      clientId: "metrics-test",
      brokers: [tb.bootstrap],
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();

    const producer = kafka.producer();
    await producer.connect();
    // Five sends, each one batch per partition.
    for (let round = 0; round < 5; round++) {
      const messages = [];
      for (let i = 0; i < N / 5; i++)
        messages.push({ partition: i % 2, key: `k${round}-${i}`, value: `value ${round}-${i}`.repeat(3) });
      await producer.send({ topic: TOPIC, messages });
    }
    await producer.disconnect();

    // The group reads everything but commits only the first COMMITTED offsets of each partition.
    consumer = kafka.consumer({ groupId: GROUP, maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
    const c = consumer;
    const committed = new Set<number>();
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const next = Number(message.offset) + 1;
        if (next <= COMMITTED) {
          await c.commitOffsets([{ topic: TOPIC, partition, offset: String(next) }]);
          if (next === COMMITTED) committed.add(partition);
        }
      },
    });
    await until(() => committed.size === 2, 20_000, "both partitions committed");
  });

  after(async () => {
    await consumer?.disconnect();
    await tb?.close();
  });

  it("counts what was produced, per topic, and the requests", async () => {
    const s = await until(
      async () => {
        const s = await scrape();
        return pick(s, "kafka_consumergroup_members", { consumergroup: GROUP })[0]?.value === 1
          ? s
          : undefined;
      },
      20_000,
      "the group's member",
    );
    const topic = { topic: TOPIC };
    assert.equal(one(s, "kafka_server_brokertopicmetrics_messagesin_total", topic), N);
    // Bytes in: exactly the batches stored (the topic keeps the producer's codec).
    const stored =
      one(s, "kafka_log_log_size", { topic: TOPIC, partition: "0" }) +
      one(s, "kafka_log_log_size", { topic: TOPIC, partition: "1" });
    assert.ok(stored > N * 10, `log size ${stored}`);
    assert.equal(one(s, "kafka_server_brokertopicmetrics_bytesin_total", topic), stored);
    // Five sends, each one request for both partitions: counted per partition, as Kafka does.
    assert.equal(one(s, "kafka_server_brokertopicmetrics_totalproducerequests_total", topic), 10);
    assert.equal(one(s, "kafka_server_brokertopicmetrics_failedproducerequests_total", topic), 0);
    assert.ok(one(s, "kafka_server_brokertopicmetrics_totalfetchrequests_total", topic) >= 1);
    // The consumer has read everything: at least every stored byte went out.
    assert.ok(one(s, "kafka_server_brokertopicmetrics_bytesout_total", topic) >= stored);
    assert.ok(one(s, "kafka_network_requestmetrics_requests_total", { request: "Produce" }) >= 5);
    assert.ok(one(s, "brook_request_duration_seconds_count", { api: "Produce" }) >= 5);
    assert.ok(one(s, "brook_request_duration_seconds_bucket", { api: "Produce", le: "+Inf" }) >= 5);
    assert.ok(one(s, "kafka_server_socket_server_metrics_connection_count", { listener: "PLAINTEXT" }) >= 1);
    assert.equal(one(s, "kafka_brokers"), 1);
    assert.equal(one(s, "kafka_topic_partitions", topic), 2);
    for (const p of ["0", "1"]) {
      const labels = { topic: TOPIC, partition: p };
      assert.equal(one(s, "kafka_topic_partition_current_offset", labels), PER_PARTITION);
      assert.equal(one(s, "kafka_topic_partition_oldest_offset", labels), 0);
      assert.equal(one(s, "kafka_log_log_logendoffset", labels), PER_PARTITION);
    }
    // Process metrics come from prom-client's default collectors on this broker's registry.
    assert.ok(pick(s, "process_cpu_user_seconds_total").length === 1);
    assert.ok(pick(s, "nodejs_eventloop_lag_seconds").length === 1);
  });

  it("reports the group's true lag and members with kafka_exporter's names", async () => {
    const s = await scrape();
    for (const p of ["0", "1"]) {
      const labels = { consumergroup: GROUP, topic: TOPIC, partition: p };
      assert.equal(one(s, "kafka_consumergroup_current_offset", labels), COMMITTED);
      assert.equal(one(s, "kafka_consumergroup_lag", labels), PER_PARTITION - COMMITTED);
    }
    assert.equal(one(s, "kafka_consumergroup_lag_sum", { consumergroup: GROUP, topic: TOPIC }), TRUE_LAG);
    assert.equal(one(s, "kafka_consumergroup_members", { consumergroup: GROUP }), 1);
    assert.equal(
      one(s, "kafka_coordinator_group_groupmetadatamanager_numgroups", { state: "Stable", type: "classic" }) +
        one(s, "kafka_coordinator_group_groupmetadatamanager_numgroups", {
          state: "Stable",
          type: "consumer",
        }),
      1,
    );
  });

  it("times every group-commit fsync in brook_log_flush_duration_seconds", async () => {
    const s = await scrape();
    const count = one(s, "brook_log_flush_duration_seconds_count");
    // The producer's acks=all sends and the group's commits each waited for an fsync.
    assert.ok(count >= 5, `fsyncs timed: ${count}`);
    assert.equal(count, one(s, "brook_log_flushes_total"), "every fsync counted is timed");
    assert.equal(one(s, "brook_log_flush_duration_seconds_bucket", { le: "+Inf" }), count);
    const sum = one(s, "brook_log_flush_duration_seconds_sum");
    assert.ok(sum > 0 && sum < count * 5, `fsync time ${sum} s`);
  });

  it("serves registries its host adds after the broker's own metrics", async () => {
    const extra = new Registry();
    new Gauge({ name: "hosted_thing", help: "A metric of something the host runs.", registers: [extra] }).set(
      7,
    );
    tb.broker.metrics!.addRegistry(extra);
    const s = await scrape();
    assert.equal(one(s, "hosted_thing"), 7);
    assert.equal(one(s, "kafka_brokers"), 1);
    tb.broker.metrics!.removeRegistry(extra);
    assert.equal(pick(await scrape(), "hosted_thing").length, 0);
  });

  it("answers /health and 404 elsewhere", async () => {
    const health = await fetch(metricsUrl.replace(/\/metrics$/, "/health"));
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, "UP");
    assert.equal((await fetch(metricsUrl.replace(/\/metrics$/, "/nope"))).status, 404);
  });

  describe("scraped by a real Prometheus", () => {
    const hasPrometheus = spawnSync("prometheus", ["--version"], { stdio: "ignore" }).status === 0;
    if (!hasPrometheus)
      console.warn(
        "metrics.test: no prometheus binary; install the Debian package `prometheus` to run the Prometheus test",
      );
    let prom: ChildProcess | undefined;
    let dir: string | undefined;
    let promLog = "";

    after(async () => {
      if (prom && prom.exitCode === null) {
        const exited = new Promise((r) => prom!.once("exit", r));
        prom.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (prom.exitCode === null) prom.kill("SIGKILL");
      }
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("PromQL kafka_consumergroup_lag_sum returns the true lag", {
      skip: !hasPrometheus && "prometheus not installed",
      timeout: 60_000,
    }, async () => {
      dir = mkdtempSync(join(tmpdir(), "brook-prometheus-"));
      const target = new URL(metricsUrl).host;
      writeFileSync(
        join(dir, "prometheus.yml"),
        [
          "global:",
          "  scrape_interval: 1s",
          "  evaluation_interval: 1s",
          "scrape_configs:",
          "  - job_name: brook",
          "    scrape_interval: 1s",
          "    static_configs:",
          `      - targets: ["${target}"]`,
          "",
        ].join("\n"),
      );
      const port = await freePort();
      prom = spawn(
        "prometheus",
        [
          `--config.file=${join(dir, "prometheus.yml")}`,
          `--storage.tsdb.path=${join(dir, "data")}`,
          `--web.listen-address=127.0.0.1:${port}`,
        ],
        { stdio: ["ignore", "ignore", "pipe"] },
      );
      prom.stderr!.on("data", (d: Buffer) => {
        promLog = (promLog + d.toString()).slice(-4000);
      });
      const query = `kafka_consumergroup_lag_sum{consumergroup="${GROUP}"}`;
      const api = `http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(query)}`;
      type Answer = {
        status: string;
        data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
      };
      const answer = await until(
        async () => {
          if (prom!.exitCode !== null) throw new Error(`prometheus exited ${prom!.exitCode}: ${promLog}`);
          try {
            const a = (await (await fetch(api)).json()) as Answer;
            return a.status === "success" && a.data.result.length > 0 ? a : undefined;
          } catch {
            return undefined;
          }
        },
        45_000,
        `Prometheus to scrape ${target} (log: ${promLog.slice(-500)})`,
      );
      assert.equal(answer.data.result.length, 1);
      const [series] = answer.data.result;
      assert.equal(series!.metric.topic, TOPIC);
      assert.equal(series!.metric.job, "brook");
      assert.equal(Number(series!.value[1]), TRUE_LAG);
    });
  });
});
