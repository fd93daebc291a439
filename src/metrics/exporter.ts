/**
 * kafka_exporter's metrics for any Kafka cluster, through Brook's client: the same names and labels
 * (checked against danielqsj/kafka_exporter), so Grafana dashboards built for it (7589) work, plus
 * Burrow-style lag statuses. A prom-client Registry of its own (never the global one). Values come
 * from a LagMonitor's last round, or from a fresh round when that one is older than `maxAgeMs`
 * (bounded by `timeoutMs`: a cluster that does not answer fails the scrape, it does not hang it).
 */
import { Gauge, Registry } from "prom-client";
import type { Admin } from "../client/admin/types.js";
import { GROUP_STATUSES, type LagStatus } from "./lag-status.js";
import { type GroupLag, LagMonitor } from "./lag-monitor.js";

/** The statuses a partition can have (ERR is only a group's). */
const PARTITION_STATUSES: readonly LagStatus[] = ["OK", "WARN", "STOP", "STALL", "REWIND"];

/** The scrape could not get the cluster's state in time, or at all. */
export class ScrapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ScrapeError";
  }
}

type Refresh = () => Promise<void>;

/**
 * Burrow-style lag status, one-hot per group: `kafka_consumergroup_lag_status{consumergroup,status}`
 * is 1 for the group's status (OK, WARN or ERR) and 0 for the others, all 0 while the window is
 * still filling; `kafka_consumergroup_partition_lag_status{consumergroup,topic,partition,status}`
 * the same per partition with the precise cause (OK, WARN, STOP, STALL, REWIND).
 */
export function registerLagStatus(registry: Registry, monitor: LagMonitor, refresh?: Refresh): void {
  const registers = [registry];
  new Gauge({
    name: "kafka_consumergroup_lag_status",
    help: "Burrow-style lag status of a consumer group: 1 for its status (OK, WARN, ERR), 0 for the others; all 0 until its window is full.",
    labelNames: ["consumergroup", "status"],
    registers,
    async collect() {
      await refresh?.();
      this.reset();
      for (const g of monitor.groups()) {
        if (g.error && g.partitions.length === 0) continue;
        for (const s of GROUP_STATUSES)
          this.set({ consumergroup: g.groupId, status: s }, g.status === s ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: "kafka_consumergroup_partition_lag_status",
    help: "Burrow-style lag status of a group's partition: 1 for its status (OK, WARN, STOP, STALL, REWIND), 0 for the others; all 0 until its window is full.",
    labelNames: ["consumergroup", "topic", "partition", "status"],
    registers,
    async collect() {
      await refresh?.();
      this.reset();
      for (const g of monitor.groups()) {
        for (const p of g.partitions) {
          if (p.committed < 0) continue;
          const labels = { consumergroup: g.groupId, topic: p.topic, partition: String(p.partition) };
          for (const s of PARTITION_STATUSES) this.set({ ...labels, status: s }, p.status === s ? 1 : 0);
        }
      }
    },
  });
}

export interface KafkaExporterOptions {
  /** A connected admin (the exporter does not connect or disconnect it). */
  admin: Admin;
  /** Sampling period of the exporter's monitor when started, and its lag-status window pace. */
  intervalMs?: number;
  /** Samples per partition for the lag status (Burrow's default 10). */
  window?: number;
  /** A scrape uses the last round when it is younger than this; default 2 × intervalMs. */
  maxAgeMs?: number;
  /** Longest a scrape waits for a fresh round; default 10 s. */
  timeoutMs?: number;
  groups?: (groupId: string) => boolean;
}

export interface KafkaExporter {
  registry: Registry;
  monitor: LagMonitor;
  /** Samples every intervalMs in the background (scrapes then rarely wait for the cluster). */
  start(): void;
  stop(): Promise<void>;
  /** The metrics text, as a scrape gets it; rejects with ScrapeError when the cluster fails. */
  metrics(): Promise<string>;
}

export function createKafkaExporter(opts: KafkaExporterOptions): KafkaExporter {
  const intervalMs = opts.intervalMs ?? 10_000;
  const maxAgeMs = opts.maxAgeMs ?? 2 * intervalMs;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const monitor = new LagMonitor({
    admin: opts.admin,
    intervalMs,
    ...(opts.window !== undefined ? { window: opts.window } : {}),
    ...(opts.groups ? { groups: opts.groups } : {}),
    topics: "all",
  });
  const registry = new Registry();
  const registers = [registry];

  // One fresh round per scrape at most, shared by every metric's collect().
  let pending: Promise<void> | undefined;
  const refresh: Refresh = () => {
    const snapshot = monitor.cluster();
    const age = snapshot ? performance.timeOrigin + performance.now() - snapshot.at : Infinity;
    if (age <= maxAgeMs) return Promise.resolve();
    pending ??= new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new ScrapeError(`the cluster did not answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
      monitor.sample().then(
        () => {
          clearTimeout(timer);
          resolve();
        },
        (e: unknown) => {
          clearTimeout(timer);
          reject(new ScrapeError(e instanceof Error ? e.message : String(e)));
        },
      );
    }).finally(() => {
      pending = undefined;
    });
    return pending;
  };

  const gauge = (
    name: string,
    help: string,
    labelNames: string[],
    fill: (g: Gauge<string>) => void,
  ): Gauge<string> =>
    new Gauge({
      name,
      help,
      labelNames,
      registers,
      async collect() {
        await refresh();
        this.reset();
        fill(this);
      },
    });
  const topics = () => monitor.cluster()?.topics ?? [];
  const perPartition = (
    name: string,
    help: string,
    value: (p: ReturnType<typeof topics>[number]["partitions"][number]) => number | undefined,
  ) =>
    gauge(name, help, ["topic", "partition"], (g) => {
      for (const t of topics()) {
        for (const p of t.partitions) {
          const v = value(p);
          if (v !== undefined) g.set({ topic: t.topic, partition: String(p.partition) }, v);
        }
      }
    });

  gauge("kafka_brokers", "Number of Brokers in the Kafka Cluster.", [], (g) =>
    g.set(monitor.cluster()?.brokers.length ?? 0),
  );
  gauge("kafka_broker_info", "Information about the Kafka Broker.", ["id", "address"], (g) => {
    for (const b of monitor.cluster()?.brokers ?? [])
      g.set({ id: String(b.nodeId), address: `${b.host}:${b.port}` }, 1);
  });
  gauge("kafka_topic_partitions", "Number of partitions for this Topic.", ["topic"], (g) => {
    for (const t of topics()) g.set({ topic: t.topic }, t.partitions.length);
  });
  perPartition(
    "kafka_topic_partition_current_offset",
    "Current Offset of a Broker at Topic/Partition (high watermark).",
    (p) => (p.current >= 0 ? p.current : undefined),
  );
  perPartition(
    "kafka_topic_partition_oldest_offset",
    "Oldest Offset of a Broker at Topic/Partition (log start offset).",
    (p) => (p.oldest >= 0 ? p.oldest : undefined),
  );
  perPartition("kafka_topic_partition_leader", "Leader Broker ID of this Topic/Partition.", (p) =>
    p.leader >= 0 ? p.leader : undefined,
  );
  perPartition(
    "kafka_topic_partition_replicas",
    "Number of Replicas for this Topic/Partition.",
    (p) => p.replicas.length,
  );
  perPartition(
    "kafka_topic_partition_in_sync_replica",
    "Number of In-Sync Replicas for this Topic/Partition.",
    (p) => p.isr.length,
  );
  perPartition(
    "kafka_topic_partition_leader_is_preferred",
    "1 if Topic/Partition is using the Preferred Broker.",
    (p) => (p.leader >= 0 && p.replicas[0] === p.leader ? 1 : 0),
  );
  perPartition(
    "kafka_topic_partition_under_replicated_partition",
    "1 if Topic/Partition is under Replicated.",
    (p) => (p.isr.length < p.replicas.length ? 1 : 0),
  );

  const groupLabels = ["consumergroup", "topic", "partition"];
  const eachPartition = (fn: (g: GroupLag, p: GroupLag["partitions"][number]) => void) => {
    for (const g of monitor.groups()) for (const p of g.partitions) fn(g, p);
  };
  const perTopic = (fn: (g: GroupLag, topic: string, parts: GroupLag["partitions"]) => void) => {
    for (const g of monitor.groups()) {
      const byTopic = new Map<string, GroupLag["partitions"]>();
      for (const p of g.partitions) {
        const list = byTopic.get(p.topic);
        if (list) list.push(p);
        else byTopic.set(p.topic, [p]);
      }
      for (const [topic, parts] of byTopic) fn(g, topic, parts);
    }
  };
  gauge(
    "kafka_consumergroup_current_offset",
    "Current Offset of a ConsumerGroup at Topic/Partition (-1: none committed).",
    groupLabels,
    (m) =>
      eachPartition((g, p) =>
        m.set({ consumergroup: g.groupId, topic: p.topic, partition: String(p.partition) }, p.committed),
      ),
  );
  gauge(
    "kafka_consumergroup_current_offset_sum",
    "Current Offset of a ConsumerGroup at Topic for all partitions (committed ones).",
    ["consumergroup", "topic"],
    (m) =>
      perTopic((g, topic, parts) =>
        m.set(
          { consumergroup: g.groupId, topic },
          parts.reduce((sum, p) => sum + Math.max(0, p.committed), 0),
        ),
      ),
  );
  gauge(
    "kafka_consumergroup_lag",
    "Current Approximate Lag of a ConsumerGroup at Topic/Partition (-1: no offset committed).",
    groupLabels,
    (m) =>
      eachPartition((g, p) =>
        m.set(
          { consumergroup: g.groupId, topic: p.topic, partition: String(p.partition) },
          p.committed < 0 ? -1 : p.lag,
        ),
      ),
  );
  gauge(
    "kafka_consumergroup_lag_sum",
    "Current Approximate Lag of a ConsumerGroup at Topic for all partitions.",
    ["consumergroup", "topic"],
    (m) =>
      perTopic((g, topic, parts) =>
        m.set(
          { consumergroup: g.groupId, topic },
          parts.reduce((sum, p) => sum + (p.committed < 0 ? 0 : p.lag), 0),
        ),
      ),
  );
  gauge("kafka_consumergroup_members", "Amount of members in a consumer group.", ["consumergroup"], (m) => {
    for (const g of monitor.groups()) m.set({ consumergroup: g.groupId }, g.members);
  });
  registerLagStatus(registry, monitor, refresh);

  return {
    registry,
    monitor,
    start: () => monitor.start(),
    stop: () => monitor.stop(),
    metrics: () => registry.metrics(),
  };
}
