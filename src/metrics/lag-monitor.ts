/**
 * Samples every consumer group's committed offsets and the partitions' watermarks through Brook's
 * admin client (so it works against any Kafka cluster), and keeps per partition the window of
 * offsets Burrow's rules judge (./lag-status.ts), and per group a history of total lag for charts.
 *
 * One round: ListGroups (one request per broker), DescribeGroups for the classic groups (one per
 * coordinator) and ConsumerGroupDescribe per KIP-848 group (members), OffsetFetch per group, and per
 * topic involved one Metadata plus ListOffsets to its leaders (fetchTopicWatermarks) — a bounded
 * number of requests, at most PARALLEL of them in flight at once.
 *
 * Burrow reads every commit from __consumer_offsets; a sampler only sees the committed offset at
 * each round. Each round adds one window entry per partition. Its commit time is the round's time
 * when the offset moved, or when the group has members (a live consumer is taken to be committing,
 * perhaps the same offset again: STALL); otherwise the previous entry's time is kept (nobody commits:
 * STOP once that is older than the window spans). The sampling interval should therefore be at least
 * the consumers' commit interval (Kafka's auto.commit.interval.ms is 5 s; the default here is 10 s).
 */
import type { Admin, GroupListing, PartitionWatermarks } from "../client/admin/types.js";
import { groupStatus, type LagStatus, type OffsetEntry, partitionStatus } from "./lag-status.js";

export type { LagStatus } from "./lag-status.js";

export interface PartitionLag {
  topic: string;
  partition: number;
  /** -1 when the group has no committed offset for it. */
  committed: number;
  /** High watermark. */
  logEndOffset: number;
  /**
   * logEndOffset − committed (never below 0); −1 when nothing is committed (kafka_exporter's value:
   * kafka-consumer-groups shows `-`), and then left out of the group's totalLag.
   */
  lag: number;
  /** null until the window has enough samples (and for a partition without a committed offset). */
  status: LagStatus | null;
}

export interface GroupLag {
  groupId: string;
  type: "classic" | "consumer";
  state: string;
  members: number;
  /** Epoch ms of the sample. */
  at: number;
  /** Σ lag over the partitions with a committed offset (as the console's group page and lag_sum). */
  totalLag: number;
  /** The worst partition status (Burrow's group rule: OK, WARN or ERR); null until known. */
  status: LagStatus | null;
  partitions: PartitionLag[];
  /** Why this group's offsets could not be read in the last round (the rest is the round before). */
  error?: string;
}

export interface LagMonitorOptions {
  admin: Admin;
  /** Sampling period, default 10_000 (the console uses ~2_000). */
  intervalMs?: number;
  /** Samples per partition kept for the evaluator, default 10 (Burrow). */
  window?: number;
  /** Samples a window needs before a status is given, default `window` (a full window). */
  minSamples?: number;
  /** Total-lag points kept per group for charts, default 360. */
  history?: number;
  groups?: (groupId: string) => boolean;
  /**
   * "all": every topic's watermarks and the cluster's brokers and partitions are sampled too (the
   * exporter's kafka_topic_* metrics); default "consumed": only topics groups committed offsets for.
   */
  topics?: "consumed" | "all";
}

/** A topic as the last round saw it (the exporter's kafka_topic_* metrics). */
export interface TopicSnapshot {
  topic: string;
  partitions: Array<{
    partition: number;
    leader: number;
    replicas: number[];
    isr: number[];
    /** Log start offset; -1 when the leader could not be asked. */
    oldest: number;
    /** High watermark; -1 when the leader could not be asked. */
    current: number;
  }>;
}

export interface ClusterSnapshot {
  at: number;
  brokers: Array<{ nodeId: number; host: string; port: number }>;
  topics: TopicSnapshot[];
}

/** Requests in flight at once within a round. */
const PARALLEL = 8;

interface PartitionState {
  window: OffsetEntry[];
}

/** Epoch ms on the monotonic clock: a wall-clock jump must not look like a stopped consumer. */
function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const key = (groupId: string, topic: string, partition: number) => `${groupId}\0${topic}\0${partition}`;

export class LagMonitor {
  private readonly admin: Admin;
  readonly intervalMs: number;
  readonly windowSize: number;
  private readonly minSamples: number;
  private readonly historySize: number;
  private readonly filter: (groupId: string) => boolean;
  private readonly allTopics: boolean;

  private readonly latest = new Map<string, GroupLag>();
  private readonly histories = new Map<string, Array<{ at: number; totalLag: number }>>();
  private readonly windows = new Map<string, PartitionState>();
  private snapshot: ClusterSnapshot | undefined;
  private inFlight: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private lastError: Error | undefined;

  constructor(opts: LagMonitorOptions) {
    this.admin = opts.admin;
    this.intervalMs = opts.intervalMs ?? 10_000;
    this.windowSize = Math.max(1, opts.window ?? 10);
    this.minSamples = Math.min(this.windowSize, Math.max(1, opts.minSamples ?? this.windowSize));
    this.historySize = Math.max(1, opts.history ?? 360);
    this.filter = opts.groups ?? (() => true);
    this.allTopics = opts.topics === "all";
    if (!(this.intervalMs > 0)) throw new RangeError(`intervalMs must be positive, got ${opts.intervalMs}`);
  }

  /** Samples now, then every intervalMs (the next round starts when one ends; never two at once). */
  start(): void {
    if (this.running) return;
    this.running = true;
    const loop = () => {
      if (!this.running) return;
      const next = () => {
        if (!this.running) return;
        this.timer = setTimeout(loop, this.intervalMs);
        // The monitor never keeps a process alive by itself.
        this.timer.unref();
      };
      // A failed round is kept in error(); it must not become an unhandled rejection.
      this.sample().then(next, next);
    };
    loop();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight?.catch(() => {});
  }

  /**
   * One round now; a call during a round joins it. Rejects when the groups cannot be listed (the
   * error is also kept: lastError()); a single group's failure is recorded on that group instead.
   */
  sample(): Promise<void> {
    if (!this.inFlight) {
      this.inFlight = this.round().then(
        () => {
          this.lastError = undefined;
          this.inFlight = undefined;
        },
        (e: unknown) => {
          this.lastError = e instanceof Error ? e : new Error(String(e));
          this.inFlight = undefined;
          throw this.lastError;
        },
      );
      // A round started by the timer has no caller to see its error; lastError() keeps it.
      this.inFlight.catch(() => {});
    }
    return this.inFlight;
  }

  groups(): GroupLag[] {
    return [...this.latest.values()].sort((a, b) => a.groupId.localeCompare(b.groupId));
  }

  group(groupId: string): GroupLag | undefined {
    return this.latest.get(groupId);
  }

  history(groupId: string): { at: number; totalLag: number }[] {
    return [...(this.histories.get(groupId) ?? [])];
  }

  /** Brokers and topics from the last round (with topics "all"; else only the consumed topics). */
  cluster(): ClusterSnapshot | undefined {
    return this.snapshot;
  }

  /** The error of the last round, undefined when it succeeded. */
  error(): Error | undefined {
    return this.lastError;
  }

  /** The window behind a partition's status (oldest first), for display and tests. */
  window(groupId: string, topic: string, partition: number): OffsetEntry[] {
    return [...(this.windows.get(key(groupId, topic, partition))?.window ?? [])];
  }

  private async round(): Promise<void> {
    const listings = (await this.admin.listGroupListings()).filter((g) => this.filter(g.groupId));
    const members = await this.countMembers(listings);
    const committed = await mapLimit(listings, PARALLEL, async (g) => {
      try {
        return { offsets: await this.admin.fetchOffsets({ groupId: g.groupId }) };
      } catch (e) {
        return { error: message(e) };
      }
    });

    const wanted = new Set<string>();
    for (const c of committed) for (const t of c.offsets ?? []) wanted.add(t.topic);
    let metadata: Awaited<ReturnType<Admin["fetchTopicMetadata"]>> | undefined;
    let brokers: ClusterSnapshot["brokers"] = [];
    if (this.allTopics) {
      const [cluster, meta] = await Promise.all([
        this.admin.describeCluster(),
        this.admin.fetchTopicMetadata(),
      ]);
      brokers = cluster.brokers;
      metadata = meta;
      for (const t of meta.topics) wanted.add(t.name);
    }
    const topics = [...wanted].sort();
    const marks = new Map<string, PartitionWatermarks[] | undefined>();
    await mapLimit(topics, PARALLEL, async (topic) => {
      // A topic deleted since it was listed, or a leader away: its offsets are left out this round.
      marks.set(topic, await this.admin.fetchTopicWatermarks(topic).catch(() => undefined));
    });

    const at = nowMs();
    const seen = new Set<string>();
    listings.forEach((listing, i) => {
      const { groupId } = listing;
      seen.add(groupId);
      const result = committed[i]!;
      const type = listing.groupType === "consumer" ? "consumer" : "classic";
      const info = members.get(groupId);
      const state = info?.state ?? listing.groupState ?? "Unknown";
      const memberCount = info?.members ?? 0;
      if (!result.offsets) {
        const previous = this.latest.get(groupId);
        this.latest.set(groupId, {
          ...(previous ?? { partitions: [], totalLag: 0, status: null, at }),
          groupId,
          type,
          state,
          members: memberCount,
          error: result.error,
        });
        return;
      }
      const partitions: PartitionLag[] = [];
      const live = new Set<string>();
      for (const { topic, partitions: offsets } of result.offsets) {
        const topicMarks = marks.get(topic);
        if (!topicMarks) continue;
        const byPartition = new Map(offsets.map((p) => [p.partition, Number(p.offset)]));
        // Only partitions of topics the group committed on; the others of such a topic are listed
        // with committed -1 (as kafka_exporter does).
        if (![...byPartition.values()].some((o) => o >= 0)) continue;
        for (const m of topicMarks) {
          const offset = byPartition.get(m.partition) ?? -1;
          const end = Number(m.high);
          const k = key(groupId, topic, m.partition);
          if (offset < 0) {
            // Where such a group would start depends on its consumers' auto.offset.reset, so no
            // lag is guessed (not the whole log, which a "latest" consumer never reads).
            partitions.push({
              topic,
              partition: m.partition,
              committed: -1,
              logEndOffset: end,
              lag: -1,
              status: null,
            });
            continue;
          }
          const lag = Math.max(0, end - offset);
          live.add(k);
          let slot = this.windows.get(k);
          if (!slot) {
            slot = { window: [] };
            this.windows.set(k, slot);
          }
          const prev = slot.window[slot.window.length - 1];
          const committedAt = !prev || prev.offset !== offset || memberCount > 0 ? at : prev.timestamp;
          slot.window.push({ offset, timestamp: committedAt, lag });
          if (slot.window.length > this.windowSize) slot.window.shift();
          partitions.push({
            topic,
            partition: m.partition,
            committed: offset,
            logEndOffset: end,
            lag,
            status: slot.window.length >= this.minSamples ? partitionStatus(slot.window, lag, at) : null,
          });
        }
      }
      // Partitions the group no longer commits for start afresh if they come back.
      const prefix = `${groupId}\0`;
      for (const k of this.windows.keys()) if (k.startsWith(prefix) && !live.has(k)) this.windows.delete(k);
      partitions.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
      const totalLag = partitions.reduce((sum, p) => (p.committed < 0 ? sum : sum + p.lag), 0);
      this.latest.set(groupId, {
        groupId,
        type,
        state,
        members: memberCount,
        at,
        totalLag,
        status: groupStatus(partitions.filter((p) => p.committed >= 0).map((p) => p.status)),
        partitions,
      });
      let points = this.histories.get(groupId);
      if (!points) {
        points = [];
        this.histories.set(groupId, points);
      }
      points.push({ at, totalLag });
      if (points.length > this.historySize) points.splice(0, points.length - this.historySize);
    });
    // Groups gone from the cluster (deleted, or expired) go from the monitor too.
    for (const groupId of [...this.latest.keys()]) {
      if (seen.has(groupId)) continue;
      this.latest.delete(groupId);
      this.histories.delete(groupId);
      const prefix = `${groupId}\0`;
      for (const k of this.windows.keys()) if (k.startsWith(prefix)) this.windows.delete(k);
    }

    const snapshotTopics: TopicSnapshot[] = [];
    const layout = new Map(metadata?.topics.map((t) => [t.name, t.partitions]) ?? []);
    for (const topic of topics) {
      const m = marks.get(topic);
      const parts = layout.get(topic);
      if (!m && !parts) continue;
      const byPartition = new Map(m?.map((w) => [w.partition, w]) ?? []);
      const ids = parts ? parts.map((p) => p.partitionId) : m!.map((w) => w.partition);
      snapshotTopics.push({
        topic,
        partitions: ids
          .slice()
          .sort((a, b) => a - b)
          .map((partition) => {
            const p = parts?.find((x) => x.partitionId === partition);
            const w = byPartition.get(partition);
            return {
              partition,
              leader: p?.leader ?? w?.leader ?? -1,
              replicas: p?.replicas ?? [],
              isr: p?.isr ?? [],
              oldest: w ? Number(w.low) : -1,
              current: w ? Number(w.high) : -1,
            };
          }),
      });
    }
    this.snapshot = { at, brokers, topics: snapshotTopics };
  }

  /** Members and state per group: DescribeGroups for classic groups, ConsumerGroupDescribe for KIP-848. */
  private async countMembers(
    listings: GroupListing[],
  ): Promise<Map<string, { members: number; state: string }>> {
    const out = new Map<string, { members: number; state: string }>();
    // Share and streams groups (Kafka 4.x) are neither: DescribeGroups would fail them, so they are
    // left with the listing's state and no member count.
    const classic = listings
      .filter((g) => g.groupType === null || g.groupType === "classic")
      .map((g) => g.groupId);
    const consumer = listings.filter((g) => g.groupType === "consumer").map((g) => g.groupId);
    if (classic.length > 0) {
      try {
        const { groups } = await this.admin.describeGroups(classic);
        for (const g of groups) out.set(g.groupId, { members: g.members.length, state: g.state });
      } catch {
        // Left unknown: members 0 and the listing's state.
      }
    }
    await mapLimit(consumer, PARALLEL, async (groupId) => {
      try {
        const [g] = await this.admin.describeConsumerGroups([groupId]);
        if (g) out.set(groupId, { members: g.members.length, state: g.state });
      } catch {
        // As above.
      }
    });
    return out;
  }
}
