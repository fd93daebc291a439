/**
 * The Prometheus registry of one broker (never prom-client's global one: a process may run several
 * brokers, tests do). Names follow what Kafka's JMX exporter rules produce (Grafana dashboard 721)
 * and, for lag, what kafka_exporter exports (Grafana 7589); see docs/metrics.md. Everything but the
 * request latency histogram is computed at scrape time from the broker's own state: the request
 * path only bumps plain counters (./stats.ts).
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { GroupCoordinator } from "../../coordinator/group-coordinator.js";
import type { Broker } from "../broker.js";
import type { TopicStats } from "./stats.js";

const CLASSIC_STATES = ["Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead"];
const CONSUMER_STATES = ["Empty", "Assigning", "Reconciling", "Stable", "Dead"];

/** Request latency buckets, seconds: sub-millisecond answers up to long-polling fetches. */
export const REQUEST_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

/** fsync buckets, seconds: from a page-cache-only tmpfs (tens of µs) to a struggling disk. */
export const FLUSH_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];

function groupsOf(broker: Broker): GroupCoordinator | undefined {
  return broker.components.find((c) => c.name === "groups") as GroupCoordinator | undefined;
}

export interface BrokerRegistry {
  registry: Registry;
  /** Stops timing requests (the registry stays readable). */
  detach(): void;
}

export function createBrokerRegistry(broker: Broker): BrokerRegistry {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });

  // ---- BrokerTopicMetrics (JMX exporter: kafka_server_brokertopicmetrics_<name>_total{topic})
  const topicCounter = (name: string, help: string, field: keyof TopicStats) =>
    new Counter({
      name: `kafka_server_brokertopicmetrics_${name}_total`,
      help,
      labelNames: ["topic"],
      registers,
      collect() {
        this.reset();
        for (const [topic, s] of broker.stats.allTopics()) this.inc({ topic }, s[field]);
      },
    });
  topicCounter("bytesin", "Bytes of record batches appended, by topic.", "bytesIn");
  topicCounter("bytesout", "Bytes of record batches returned to fetches, by topic.", "bytesOut");
  topicCounter(
    "messagesin",
    "Records appended (duplicates of idempotent retries excluded), by topic.",
    "messagesIn",
  );
  topicCounter(
    "totalproducerequests",
    "Produce requests, counted per partition, by topic.",
    "totalProduceRequests",
  );
  topicCounter(
    "totalfetchrequests",
    "Fetch requests, counted per partition, by topic.",
    "totalFetchRequests",
  );
  topicCounter(
    "failedproducerequests",
    "Produce partitions answered with an error, by topic.",
    "failedProduceRequests",
  );
  topicCounter(
    "failedfetchrequests",
    "Fetch partitions answered with an error, by topic.",
    "failedFetchRequests",
  );

  // ---- requests
  new Counter({
    name: "kafka_network_requestmetrics_requests_total",
    help: "Requests handled, by API (Kafka's request name).",
    labelNames: ["request"],
    registers,
    collect() {
      this.reset();
      const { requests, apiNames } = broker.stats;
      requests.forEach((n, key) => {
        if (n !== undefined) this.inc({ request: apiNames[key] ?? String(key) }, n);
      });
    },
  });
  const latency = new Histogram({
    name: "brook_request_duration_seconds",
    help: "Time from a request's decoding to its response, by API (Fetch includes its long poll).",
    labelNames: ["api"],
    buckets: REQUEST_BUCKETS,
    registers,
  });
  const children: Array<ReturnType<typeof latency.labels> | undefined> = [];
  broker.stats.onRequest = (key, name, seconds) => {
    let c = children[key];
    if (!c) {
      c = latency.labels({ api: name });
      children[key] = c;
    }
    c.observe(seconds);
  };

  // ---- network, sessions, cluster shape
  new Gauge({
    name: "kafka_server_socket_server_metrics_connection_count",
    help: "Open client connections, by listener.",
    labelNames: ["listener"],
    registers,
    collect() {
      this.set({ listener: "PLAINTEXT" }, broker.connectionCount());
    },
  });
  new Gauge({
    name: "kafka_server_fetchsessioncache_numincrementalfetchsessions",
    help: "Incremental fetch sessions open (KIP-227).",
    registers,
    collect() {
      this.set(broker.fetchSessions.size);
    },
  });
  const constant = (name: string, help: string, value: () => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(value());
      },
    });
  constant("kafka_brokers", "Brokers in the cluster (kafka_exporter).", () => 1);
  constant("kafka_controller_kafkacontroller_activecontrollercount", "1 on the active controller.", () => 1);
  constant(
    "kafka_controller_kafkacontroller_offlinepartitionscount",
    "Partitions without a leader.",
    () => 0,
  );
  constant("kafka_server_replicamanager_underreplicatedpartitions", "Under-replicated partitions.", () => 0);
  constant("kafka_server_replicamanager_leadercount", "Partitions this broker leads.", () =>
    broker.logs ? broker.logs.all().length : 0,
  );
  constant("kafka_server_replicamanager_partitioncount", "Partitions on this broker.", () =>
    broker.logs ? broker.logs.all().length : 0,
  );
  // Kafka's LogFlushRateAndTimeMs is a JMX timer (rate and percentiles); a histogram is what
  // Prometheus can aggregate and take quantiles of across partitions and brokers.
  const flushes = new Histogram({
    name: "brook_log_flush_duration_seconds",
    help: "Duration of each group-commit fsync of a partition log (all partitions).",
    buckets: FLUSH_BUCKETS,
    registers,
  });
  if (broker.logs) broker.logs.onSync = (seconds) => flushes.observe(seconds);
  new Counter({
    name: "brook_log_flushes_total",
    help: "Group-commit fsyncs of the partition logs open now, summed.",
    registers,
    collect() {
      let n = 0;
      for (const log of broker.logs?.all() ?? []) n += log.stats.syncs;
      this.reset();
      this.inc(n);
    },
  });

  // ---- logs, per partition (kafka_log_log_<name>{topic,partition}) and kafka_exporter's offsets.
  // The first gauge registered fills all of them in one pass over the logs at scrape time.
  new Gauge({
    name: "kafka_topic_partitions",
    help: "Partitions of a topic (kafka_exporter).",
    labelNames: ["topic"],
    registers,
    collect() {
      for (const g of [size, start, end, segments, current, oldest, ...replication]) g.reset();
      this.reset();
      if (!broker.logs) return;
      for (const t of broker.topics()) this.set({ topic: t.name }, t.partitions);
      for (const log of broker.logs.all()) {
        const labels = { topic: log.topic, partition: String(log.partition) };
        size.set(labels, log.sizeInBytes());
        start.set(labels, Number(log.logStartOffset));
        end.set(labels, Number(log.logEndOffset));
        segments.set(labels, log.segments.length);
        current.set(labels, Number(log.highWatermark));
        oldest.set(labels, Number(log.logStartOffset));
        // One replica, this broker: leader, preferred, in sync.
        leader.set(labels, broker.nodeId);
        replicas.set(labels, 1);
        inSync.set(labels, 1);
        preferred.set(labels, 1);
        underReplicated.set(labels, 0);
      }
    },
  });
  const partitionGauge = (name: string, help: string) =>
    new Gauge({ name, help, labelNames: ["topic", "partition"], registers });
  const size = partitionGauge("kafka_log_log_size", "Bytes on disk of a partition's log segments.");
  const start = partitionGauge("kafka_log_log_logstartoffset", "A partition's log start offset.");
  const end = partitionGauge("kafka_log_log_logendoffset", "A partition's log end offset.");
  const segments = partitionGauge("kafka_log_log_numlogsegments", "A partition's segment count.");
  const current = partitionGauge(
    "kafka_topic_partition_current_offset",
    "A partition's high watermark (kafka_exporter).",
  );
  const oldest = partitionGauge(
    "kafka_topic_partition_oldest_offset",
    "A partition's log start offset (kafka_exporter).",
  );
  const leader = partitionGauge("kafka_topic_partition_leader", "A partition's leader (kafka_exporter).");
  const replicas = partitionGauge(
    "kafka_topic_partition_replicas",
    "A partition's replicas (kafka_exporter).",
  );
  const inSync = partitionGauge(
    "kafka_topic_partition_in_sync_replica",
    "A partition's in-sync replicas (kafka_exporter).",
  );
  const preferred = partitionGauge(
    "kafka_topic_partition_leader_is_preferred",
    "1 when the partition's leader is its preferred replica (kafka_exporter).",
  );
  const underReplicated = partitionGauge(
    "kafka_topic_partition_under_replicated_partition",
    "1 when the partition is under-replicated (kafka_exporter).",
  );
  const replication = [leader, replicas, inSync, preferred, underReplicated];
  new Gauge({
    name: "kafka_broker_info",
    help: "The broker: 1 with its id and advertised address (kafka_exporter).",
    labelNames: ["id", "address"],
    registers,
    collect() {
      this.reset();
      this.set({ id: String(broker.nodeId), address: `${broker.advertisedHost()}:${broker.port}` }, 1);
    },
  });

  // ---- groups: counts by state, and kafka_exporter's consumer group metrics
  new Gauge({
    name: "kafka_coordinator_group_groupmetadatamanager_numgroups",
    help: "Consumer groups by state and type (classic or consumer).",
    labelNames: ["state", "type"],
    registers,
    // Registered first of the group metrics, it fills them all at scrape time.
    collect() {
      for (const g of [this, members, committed, lag, lagSum, committedSum]) g.reset();
      const coordinator = groupsOf(broker);
      if (!coordinator) return;
      for (const s of CLASSIC_STATES) this.set({ state: s, type: "classic" }, 0);
      for (const s of CONSUMER_STATES) this.set({ state: s, type: "consumer" }, 0);
      for (const g of coordinator.groups.values()) {
        this.inc({ state: g.state, type: g.type });
        if (g.state !== "Dead") members.set({ consumergroup: g.groupId }, g.members.size);
      }
      for (const groupId of coordinator.offsets.groups()) {
        const topics = coordinator.offsets.group(groupId);
        if (!topics) continue;
        // A group known only by its committed offsets (an admin's commit) has no members.
        if (!coordinator.groups.has(groupId)) members.set({ consumergroup: groupId }, 0);
        for (const [topic, parts] of topics) {
          let sum = 0;
          let offsets = 0;
          for (const [partition, entry] of parts) {
            const log = broker.partitionLog(topic, partition);
            if (!log) continue;
            const labels = { consumergroup: groupId, topic, partition: String(partition) };
            const offset = Number(entry.offset);
            const behind = Math.max(0, Number(log.highWatermark) - offset);
            committed.set(labels, offset);
            lag.set(labels, behind);
            sum += behind;
            offsets += offset;
          }
          lagSum.set({ consumergroup: groupId, topic }, sum);
          committedSum.set({ consumergroup: groupId, topic }, offsets);
        }
      }
    },
  });
  const members = new Gauge({
    name: "kafka_consumergroup_members",
    help: "Members of a consumer group (kafka_exporter).",
    labelNames: ["consumergroup"],
    registers,
  });
  const groupLabels = ["consumergroup", "topic", "partition"];
  const committed = new Gauge({
    name: "kafka_consumergroup_current_offset",
    help: "A group's committed offset of a partition (kafka_exporter).",
    labelNames: groupLabels,
    registers,
  });
  const lag = new Gauge({
    name: "kafka_consumergroup_lag",
    help: "High watermark minus the group's committed offset (kafka_exporter).",
    labelNames: groupLabels,
    registers,
  });
  const committedSum = new Gauge({
    name: "kafka_consumergroup_current_offset_sum",
    help: "A group's committed offsets summed over a topic's partitions (kafka_exporter).",
    labelNames: ["consumergroup", "topic"],
    registers,
  });
  const lagSum = new Gauge({
    name: "kafka_consumergroup_lag_sum",
    help: "A group's lag summed over a topic's partitions (kafka_exporter).",
    labelNames: ["consumergroup", "topic"],
    registers,
  });

  return {
    registry,
    detach() {
      broker.stats.onRequest = undefined;
      if (broker.logs) broker.logs.onSync = undefined;
    },
  };
}
