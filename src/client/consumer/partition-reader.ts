/**
 * Reads assigned partitions without a consumer group (as kcat -C and kafka-console-consumer
 * --partition do with assign()): no JoinGroup, no commits, nothing left behind on the cluster.
 * Built on Brook's client internals (Cluster, the Fetch message and the consumer's record decoder),
 * never on the broker's.
 *
 * One fetch loop per partition leader. The next Fetch is sent as soon as the previous answer is
 * scanned (its next offsets known), before that answer's records are formatted and written, so the
 * network and the output overlap; at most one answer per leader waits while output is written.
 * A partition whose leader moved, or an answer that failed, makes every loop finish its current
 * round and start again from fresh metadata; a partition whose offset fell out of range restarts
 * at the log start (below it) or end (past it), with a note on stderr.
 */
import { ErrorCode, isRetriable } from "../../protocol/error-codes.js";
import { Fetch } from "../../protocol/messages/index.js";
import type { Broker, Cluster } from "../cluster/index.js";
import { type AbortedTransaction, RecordCursor, scanPartitionRecords } from "./decode.js";
import { EARLIEST, LATEST, leaderEpochOf, listOffsets } from "./offsets.js";
import { protocolError } from "../errors.js";

const NO_TOPIC_ID = "00000000-0000-0000-0000-000000000000";
/** Consecutive failed rounds (connection lost, leader unknown) before the reader gives up. */
const MAX_FAILURES = 6;

export interface ReaderPartition {
  topic: string;
  partition: number;
  /** The next offset to fetch. */
  offset: number;
  /** Stop before this offset (Infinity: read on). */
  end: number;
}

export interface Fetched {
  part: ReaderPartition;
  /** The broker the records came from. */
  broker: number;
  /** The offset the records start at (records before it are skipped by the cursor). */
  from: number;
  cursor: RecordCursor;
  count: number;
}

export interface ReaderOptions {
  isolationLevel: number;
  maxWaitMs: number;
  maxBytes: number;
  partitionMaxBytes: number;
  requestTimeout: number;
  warn: (line: string) => void;
}

export class PartitionReader {
  private stopped = false;
  private regroup = false;
  private failures = 0;

  constructor(
    private readonly cluster: Cluster,
    readonly parts: ReaderPartition[],
    private readonly opts: ReaderOptions,
  ) {}

  stop(): void {
    this.stopped = true;
  }

  /** Reads until every partition reached its end, or stop(); `deliver` gets each answer's records. */
  async run(deliver: (fetched: Fetched[]) => Promise<void> | void): Promise<void> {
    while (!this.stopped) {
      const active = this.parts.filter((p) => p.offset < p.end);
      if (active.length === 0) return;
      this.regroup = false;
      let groups: Map<number, ReaderPartition[]>;
      try {
        groups = this.cluster.groupByLeader(active);
      } catch (e) {
        await this.failed(e);
        continue;
      }
      await Promise.all([...groups].map(([node, parts]) => this.leaderLoop(node, parts, deliver)));
    }
  }

  private async failed(e: unknown): Promise<void> {
    if (++this.failures >= MAX_FAILURES) throw e;
    await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** this.failures)));
    this.cluster.invalidateMetadata();
    await this.cluster.refreshMetadata().catch(() => {});
  }

  private async leaderLoop(
    node: number,
    parts: ReaderPartition[],
    deliver: (fetched: Fetched[]) => Promise<void> | void,
  ): Promise<void> {
    let broker: Broker;
    try {
      broker = await this.cluster.broker(node);
    } catch (e) {
      this.regroup = true;
      await this.failed(e);
      return;
    }
    let live = parts.filter((p) => p.offset < p.end);
    let pending: Promise<Fetched[] | null> | null = this.fetchAndScan(broker, node, live);
    while (pending) {
      const fetched = await pending;
      pending = null;
      if (fetched === null) return; // failed: the round starts again
      live = live.filter((p) => p.offset < p.end);
      if (!this.stopped && !this.regroup && live.length > 0) {
        pending = this.fetchAndScan(broker, node, live);
        // Settled here too, so a fetch abandoned at stop() is never an unhandled rejection.
        pending.catch(() => {});
      }
      if (fetched.length > 0 && !this.stopped) await deliver(fetched);
      if (this.stopped) return;
    }
  }

  /** One Fetch; records scanned and offsets advanced. Null when the answer failed (retry later). */
  private async fetchAndScan(
    broker: Broker,
    node: number,
    parts: ReaderPartition[],
  ): Promise<Fetched[] | null> {
    const offsets = parts.map((p) => p.offset);
    let response: Awaited<ReturnType<PartitionReader["sendFetch"]>>;
    try {
      response = await this.sendFetch(broker, parts, offsets);
      if (response.errorCode !== ErrorCode.NONE) throw protocolError(response.errorCode, "Fetch");
    } catch (e) {
      if (this.stopped) return null;
      this.regroup = true;
      const code = (e as { code?: number }).code;
      if (typeof code === "number" && !isRetriable(code)) throw e;
      await this.failed(e);
      return null;
    }
    this.failures = 0;
    const index = new Map<string, number>();
    for (const [i, p] of parts.entries()) index.set(`${p.topic}\u0000${p.partition}`, i);
    const out: Fetched[] = [];
    for (const t of response.responses) {
      const topic = t.topic || response.idToName.get(t.topicId) || "";
      for (const r of t.partitions) {
        const i = index.get(`${topic}\u0000${r.partitionIndex}`);
        if (i === undefined) continue;
        const p = parts[i]!;
        const from = offsets[i]!;
        if (p.offset !== from) continue;
        if (r.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
          await this.resetOutOfRange(p);
          continue;
        }
        if (r.errorCode !== ErrorCode.NONE) {
          if (!isRetriable(r.errorCode)) throw protocolError(r.errorCode, `${p.topic}-${p.partition}`);
          this.regroup = true;
          this.cluster.invalidateMetadata();
          continue;
        }
        const records = r.records;
        if (!records || records.length === 0) continue;
        const aborted: AbortedTransaction[] | null =
          this.opts.isolationLevel === 1 ? (r.abortedTransactions ?? null) : null;
        const scanned = await scanPartitionRecords(records, from, aborted);
        if (!scanned.hadBatches) continue;
        const last = scanned.lastOffset >= 0 ? scanned.lastOffset : from - 1;
        p.offset = Math.max(from, last + 1);
        if (scanned.count > 0) {
          out.push({
            part: p,
            broker: node,
            from,
            cursor: new RecordCursor(scanned.segments, from),
            count: scanned.count,
          });
        }
      }
    }
    if (this.regroup) {
      await this.cluster.refreshMetadata().catch(() => {});
    }
    return out;
  }

  private async resetOutOfRange(p: ReaderPartition): Promise<void> {
    const key = `${p.topic}\u0000${p.partition}`;
    const [low, high] = await Promise.all([
      listOffsets(
        this.cluster,
        [{ topic: p.topic, partition: p.partition, timestamp: EARLIEST }],
        this.opts.isolationLevel,
      ),
      listOffsets(
        this.cluster,
        [{ topic: p.topic, partition: p.partition, timestamp: LATEST }],
        this.opts.isolationLevel,
      ),
    ]);
    const lo = low.get(key) ?? 0;
    const hi = high.get(key) ?? 0;
    const to = p.offset < lo ? lo : hi;
    this.opts.warn(
      `${p.topic} [${p.partition}]: offset ${p.offset} is out of range (${lo}–${hi}), reading from ${to}`,
    );
    p.offset = to;
  }

  private async sendFetch(broker: Broker, parts: ReaderPartition[], offsets: number[]) {
    let version = broker.versionOf(Fetch);
    const topicIds = new Map<string, string>();
    for (const p of parts) {
      if (!topicIds.has(p.topic))
        topicIds.set(p.topic, this.cluster.topicMetadata(p.topic)?.topicId ?? NO_TOPIC_ID);
    }
    if (version >= 13 && [...topicIds.values()].some((id) => id === NO_TOPIC_ID)) version = 12;
    const byTopic = new Map<string, Array<{ partition: number; offset: number }>>();
    parts.forEach((p, i) => {
      let list = byTopic.get(p.topic);
      if (!list) byTopic.set(p.topic, (list = []));
      list.push({ partition: p.partition, offset: offsets[i]! });
    });
    const maxWaitMs = this.opts.maxWaitMs;
    const response = await broker.request(
      Fetch,
      {
        clusterId: null,
        replicaId: -1,
        replicaState: { replicaId: -1, replicaEpoch: -1 },
        maxWaitMs,
        minBytes: 1,
        maxBytes: this.opts.maxBytes,
        isolationLevel: this.opts.isolationLevel,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [...byTopic].map(([topic, ps]) => ({
          topic,
          topicId: topicIds.get(topic)!,
          partitions: ps.map((x) => ({
            partition: x.partition,
            currentLeaderEpoch: leaderEpochOf(this.cluster, topic, x.partition),
            fetchOffset: x.offset,
            lastFetchedEpoch: -1,
            logStartOffset: -1,
            partitionMaxBytes: this.opts.partitionMaxBytes,
          })),
        })),
        forgottenTopicsData: [],
        rackId: "",
      },
      { version, timeout: this.opts.requestTimeout + maxWaitMs },
    );
    const idToName = new Map<string, string>();
    for (const [name, id] of topicIds) idToName.set(id, name);
    return Object.assign(response, { idToName });
  }
}
