/**
 * A real Prometheus (Debian package `prometheus`) scraping a real `brook start` process (its own
 * /metrics, with the lag status from the monitor start.ts hosts) and a real `brook metrics` process
 * pointed at that broker, while a producer (acks=all, so fsyncs happen) and a slow consumer group
 * run. The PromQL of Grafana dashboards 7589 (kafka_exporter overview) and 721 (Kafka JMX overview)
 * and of our own examples/grafana/brook.json must each return data.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Consumer, Kafka, logLevel, type Producer } from "../../src/client/index.js";
import { ROOT, spawnBrook } from "../support/cli-process.js";
import { LineProcess } from "../support/line-process.js";
import { hasPrometheus, type PromResult, Prometheus, until } from "./support.js";

const TOPIC = "clicks";
const GROUP = "dash-readers";

/**
 * Grafana 7589 "Kafka Exporter Overview": its panel expressions and variable queries, as in
 * danielqsj/kafka_exporter kafka_exporter_overview.json (commit 74450bff), the dashboard the
 * kafka_exporter README publishes under that id.
 */
const DASHBOARD_7589 = [
  'sum(rate(kafka_topic_partition_current_offset{instance="$instance", topic=~"$topic"}[1m])) by (topic)',
  'sum(kafka_consumergroup_lag{instance="$instance",topic=~"$topic"}) by (consumergroup, topic) ',
  "sum(delta(kafka_topic_partition_current_offset{instance=~'$instance', topic=~\"$topic\"}[5m])/5) by (topic)",
  "sum(delta(kafka_consumergroup_current_offset{instance=~'$instance',topic=~\"$topic\"}[5m])/5) by (consumergroup, topic)",
  'sum by(topic) (kafka_topic_partitions{instance="$instance",topic=~"$topic"})',
  // Variables (label_values(m, l) is Grafana's; the series query behind it is m).
  "kafka_consumergroup_current_offset",
  'kafka_consumergroup_current_offset{job=~"$job"}',
  "kafka_topic_partition_current_offset{instance='$instance',topic!='__consumer_offsets',topic!='--kafka'}",
];

/**
 * Grafana 721 "Kafka Overview" (JMX exporter names): the panels CPU Usage, Messages In, Bytes In and
 * Bytes Out Per Topic, with the dashboard's job selector (as vendored in the Grafana 10 copy of it
 * that the code search found, whose panels carry the same expressions with $job/$instance/$topic
 * selectors). Its "JVM Memory Used" (jvm_memory_bytes_used) and "Time spent in GC"
 * (jvm_gc_collection_seconds_sum) panels have no data from Brook: there is no JVM; the Node.js
 * equivalents are nodejs_heap_size_used_bytes and nodejs_gc_duration_seconds (docs/metrics.md).
 */
const DASHBOARD_721 = [
  'irate(process_cpu_seconds_total{job=~"$job"}[1m])*100',
  'sum without(instance)(rate(kafka_server_brokertopicmetrics_messagesin_total{job=~"$job",topic!=""}[1m]))',
  'sum without(instance)(rate(kafka_server_brokertopicmetrics_bytesin_total{job=~"$job",topic!=""}[1m]))',
  'sum without(instance)(rate(kafka_server_brokertopicmetrics_bytesout_total{job=~"$job",topic!=""}[1m]))',
];

/** Every `expr` of a Grafana dashboard, rows' nested panels included. */
function dashboardExprs(dashboard: { panels: unknown[] }): string[] {
  const out: string[] = [];
  const walk = (panels: unknown[]) => {
    for (const p of panels as Array<{ targets?: Array<{ expr?: string }>; panels?: unknown[] }>) {
      for (const t of p.targets ?? []) if (t.expr) out.push(t.expr);
      if (p.panels) walk(p.panels);
    }
  };
  walk(dashboard.panels);
  return out;
}

const fill = (expr: string, vars: Record<string, string>) =>
  expr.replace(/\$(__rate_interval|[a-z]+)/g, (_, name: string) => vars[name] ?? `$${name}`);

const hasNumber = (r: PromResult[]) => r.some((s) => !Number.isNaN(Number(s.value[1])));

describe("Prometheus scraping brook start and brook metrics", {
  skip: !hasPrometheus && "prometheus not installed",
}, () => {
  if (!hasPrometheus)
    console.warn(
      "prometheus.test: no prometheus binary; install the Debian package `prometheus` to run the Prometheus tests",
    );
  let dir: string;
  let broker: LineProcess | undefined;
  let exporter: LineProcess | undefined;
  let prom: Prometheus | undefined;
  let producer: Producer | undefined;
  let consumer: Consumer | undefined;
  let producing = true;
  let produced: Promise<void> | undefined;
  let brokerTarget = "";
  let exporterTarget = "";

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "brook-prom-"));
    broker = new LineProcess(
      spawnBrook(
        [
          "start",
          "--port",
          "0",
          "--data-dir",
          join(dir, "data"),
          "--metrics-port",
          "0",
          "--lag-interval",
          "500ms",
          // The console's default port (8080) may be taken by another test or program.
          "--no-console",
        ],
        { env: { BROOK_LOG_LEVEL: "warn" } },
      ),
    );
    const line = await broker.line("brook ", 30_000);
    assert.ok(line, `brook start printed no start line: ${broker.stderr}`);
    const port = /listening on [^\s:]+:(\d+)/.exec(line)![1]!;
    brokerTarget = new URL(/metrics on (\S+)/.exec(line)![1]!).host;
    const bootstrap = `127.0.0.1:${port}`;

    exporter = new LineProcess(
      spawnBrook(["metrics", "-b", bootstrap, "--port", "0", "--interval", "1s", "--window", "3"]),
    );
    const exporterLine = await exporter.line("metrics on ", 30_000);
    assert.ok(exporterLine, `brook metrics printed no line: ${exporter.stderr}`);
    exporterTarget = new URL(exporterLine.slice("metrics on ".length)).host;

    const kafka = new Kafka({
      clientId: "prometheus-test",
      brokers: [bootstrap],
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 3 }] });
    await admin.disconnect();
    producer = kafka.producer();
    await producer.connect();
    const p = producer;
    // A steady trickle with acks=all: throughput, fsyncs and a lag that moves.
    produced = (async () => {
      let i = 0;
      while (producing) {
        await p.send({ topic: TOPIC, acks: -1, messages: [{ key: `k${i % 7}`, value: `click ${i++}` }] });
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    consumer = kafka.consumer({ groupId: GROUP, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
    await consumer.run({
      eachMessage: async () => {
        // Slower than the producer: the lag grows.
        await new Promise((r) => setTimeout(r, 150));
      },
    });
    prom = await Prometheus.start({ brook: brokerTarget, "brook-exporter": exporterTarget });
    await prom.targetsUp(["brook", "brook-exporter"], 45_000);
  });

  after(async () => {
    producing = false;
    await produced?.catch(() => {});
    await consumer?.disconnect().catch(() => {});
    await producer?.disconnect().catch(() => {});
    await prom?.stop();
    if (exporter) {
      exporter.signal("SIGINT");
      await until(() => exporter!.exited, 10_000, "brook metrics to stop").catch(() => exporter!.kill());
    }
    if (broker) {
      broker.signal("SIGTERM");
      await until(() => broker!.exited, 15_000, "brook start to stop").catch(() => broker!.kill());
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Waits until `promql` has a numeric value (rates need two scrapes, statuses a full window). */
  const returnsData = (promql: string, ms = 30_000) =>
    until(
      async () => hasNumber(await prom!.query(promql)) && (await prom!.query(promql)),
      ms,
      `data for ${promql}`,
    );

  it("dashboard 7589's queries return data from both the broker and brook metrics", {
    timeout: 120_000,
  }, async () => {
    for (const [job, instance] of [
      ["brook-exporter", exporterTarget],
      ["brook", brokerTarget],
    ] as const) {
      for (const expr of DASHBOARD_7589) {
        const result = await returnsData(fill(expr, { instance, job, topic: TOPIC }));
        assert.ok(result.length > 0, `${job}: ${expr}`);
      }
    }
  });

  it("dashboard 721's queries return data from the broker", { timeout: 60_000 }, async () => {
    for (const expr of DASHBOARD_721) await returnsData(fill(expr, { job: "brook" }));
  });

  it("examples/grafana/brook.json's queries each return data", { timeout: 120_000 }, async () => {
    const dashboard = JSON.parse(readFileSync(join(ROOT, "examples/grafana/brook.json"), "utf8"));
    const exprs = dashboardExprs(dashboard);
    assert.ok(exprs.length >= 15, `${exprs.length} queries`);
    for (const expr of exprs) {
      await returnsData(fill(expr, { job: "brook", group: ".*", __rate_interval: "1m" }), 60_000);
    }
    // The lag panels work on brook metrics' series too (any cluster).
    for (const expr of exprs.filter((e) => e.includes("consumergroup"))) {
      await returnsData(fill(expr, { job: "brook-exporter", group: GROUP, __rate_interval: "1m" }), 60_000);
    }
    // The variables' queries.
    for (const v of dashboard.templating.list as Array<{ definition?: string }>) {
      const m = v.definition && /^label_values\((.+), \w+\)$/.exec(v.definition);
      if (m) await returnsData(fill(m[1]!, { job: "brook" }));
    }
  });

  it("both report the slow group's lag, and the broker the fsync histogram", {
    timeout: 60_000,
  }, async () => {
    for (const job of ["brook", "brook-exporter"]) {
      const [series] = await returnsData(
        `kafka_consumergroup_lag_sum{job="${job}",consumergroup="${GROUP}"}`,
      );
      assert.equal(series!.metric.topic, TOPIC);
      assert.ok(Number(series!.value[1]) >= 0);
    }
    const [flushes] = await returnsData('brook_log_flush_duration_seconds_count{job="brook"}');
    assert.ok(Number(flushes!.value[1]) > 0, "acks=all produced fsyncs");
    // The status series: exactly one status is 1 per group on each job, once the window is full.
    for (const job of ["brook", "brook-exporter"]) {
      const ones = await returnsData(
        `kafka_consumergroup_lag_status{job="${job}",consumergroup="${GROUP}"} == 1`,
        45_000,
      );
      assert.equal(ones.length, 1, `${job}: one status`);
      assert.ok(["OK", "WARN", "ERR"].includes(ones[0]!.metric.status!));
    }
  });
});
