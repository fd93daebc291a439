/**
 * One run of the consumer, from run() (or a restart after a crash) to stop(): the assigned
 * partitions, the fetch loop, the workers that call eachMessage/eachBatch, and commits. Group
 * membership is the driver's (classic-driver.ts, consumer-driver.ts).
 *
 * Data path: one Fetch in flight per broker, for the partitions whose prefetch is not full.
 * Each partition keeps up to PREFETCH_BATCHES fetched batches (as bytes: messages are decoded when a
 * worker gets to them) while a worker handles the previous one, so Fetches overlap the handlers, and
 * the total stays under maxBytes. When some partitions of a broker have a full prefetch, the Fetch
 * for the others waits only about half a handler batch, so a partition whose batch is taken is
 * fetched again soon rather than after a long poll.
 *
 * Workers: `partitionsConsumedConcurrently` batches at once, never two of one partition.
 * Commits: after every batch (KafkaJS's rule) but in the background, coalesced (one OffsetCommit in
 * flight, the next one carries everything resolved meanwhile); awaited before partitions are given
 * up and on stop. Only owned partitions are ever committed.
 *
 * A partition is fetched from its leader, or from the preferred read replica the leader named
 * (KIP-392, with `rackId`; the rules are in read-replica.ts).
 */
import { ErrorCode } from "../../protocol/error-codes.js";
import { Fetch, Metadata } from "../../protocol/messages/index.js";
import type { Broker, Cluster } from "../cluster/index.js";
import {
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSOffsetOutOfRange,
  protocolError,
} from "../errors.js";
import { CONSUMER_EVENTS, type InstrumentationEmitter } from "../instrumentation.js";
import type { Logger } from "../logger.js";
import {
  createRetry,
  jitter,
  nextRetryTime,
  RETRY_DEFAULTS,
  type Retrier,
  type RetryOptions,
} from "../retry.js";
import type {
  EachBatchHandler,
  EachBatchPayload,
  EachMessageHandler,
  Offsets,
  OffsetsByTopicPartition,
  TopicPartitions,
} from "../types.js";
import { ConsumerBatch } from "./batch.js";
import { type AbortedTransaction, scanPartitionRecords } from "./decode.js";
import type { DriverHost, GroupDriver } from "./driver.js";
import { isGroupFencingError } from "./group-metadata.js";
import {
  COORDINATOR_MOVED,
  type CommitEntry,
  commitOffsets as sendOffsetCommit,
  EARLIEST,
  fetchCommittedOffsets,
  LATEST,
  leaderEpochOf,
  listOffsets,
  STALE_LEADER,
} from "./offsets.js";
import { PartitionState, PauseState, partitionKey } from "./partition-state.js";
import {
  adoptReadReplica,
  avoidingReplicas,
  backOffReplicas,
  fetchNodeFor,
  type ReplicaLookup,
  replicaServed,
} from "./read-replica.js";

const NO_TOPIC_ID = "00000000-0000-0000-0000-000000000000";
/** Batches fetched ahead per partition, beyond the one a worker is handling. */
const PREFETCH_BATCHES = 2;
/** Floor of the short Fetch wait used while other partitions of the broker have their prefetch full. */
const MIN_BUSY_WAIT_MS = 2;

export interface SessionOptions {
  groupId: string;
  cluster: Cluster;
  logger: Logger;
  emitter: InstrumentationEmitter;
  topics: string[];
  fromBeginning: Map<string, boolean>;
  maxBytesPerPartition: number;
  minBytes: number;
  maxBytes: number;
  maxWaitTimeInMs: number;
  isolationLevel: number;
  rackId: string;
  requestTimeout: number;
  metadataMaxAge: number;
  retry: RetryOptions;
  autoCommit: boolean;
  autoCommitInterval: number | null;
  autoCommitThreshold: number | null;
  eachBatchAutoResolve: boolean;
  concurrency: number;
  eachBatch: EachBatchHandler | null;
  eachMessage: EachMessageHandler | null;
  onCrash: (error: Error) => void;
}

export class Session implements DriverHost {
  readonly groupId: string;
  readonly logger: Logger;
  readonly emitter: InstrumentationEmitter;
  readonly pauses = new PauseState();
  readonly retrier: Retrier;
  driver!: GroupDriver;
  private readonly opts: SessionOptions;
  private readonly cluster: Cluster;
  private running = false;
  private failed = false;
  private readonly states = new Map<string, PartitionState>();
  private readonly pendingSeeks = new Map<string, { topic: string; partition: number; offset: number }>();
  private readonly readyQueue: PartitionState[] = [];
  private activeWorkers = 0;
  private readonly tasks = new Set<Promise<void>>();
  private readonly fetching = new Set<number>();
  private readonly nodeRetryAt = new Map<number, number>();
  private fetchScheduled = false;
  private fetchTimer: NodeJS.Timeout | null = null;
  private fetchTimerAt = 0;
  private bufferedBytes = 0;
  private batchMsAverage = 0;
  private metadataRefresh: Promise<void> | null = null;
  private partitionCounts = new Map<string, number>();
  private commitQueued: Promise<void> | null = null;
  private commitChain: Promise<void> = Promise.resolve();
  private lastCommit = Date.now();
  private readonly retryOptions: Required<Omit<RetryOptions, "restartOnFailure">>;
  private readonly replicaLookup: ReplicaLookup = {
    partition: (topic, partition) => {
      const ps = this.cluster.topicMetadata(topic)?.partitions;
      if (!ps) return undefined;
      return ps[partition]?.partitionId === partition
        ? ps[partition]
        : ps.find((p) => p.partitionId === partition);
    },
    hasBroker: (nodeId) => this.cluster.brokerList().some((b) => b.nodeId === nodeId),
  };

  constructor(opts: SessionOptions) {
    this.opts = opts;
    this.groupId = opts.groupId;
    this.cluster = opts.cluster;
    this.logger = opts.logger;
    this.emitter = opts.emitter;
    this.retrier = createRetry(opts.retry);
    this.retryOptions = {
      ...RETRY_DEFAULTS,
      ...Object.fromEntries(
        Object.entries(opts.retry).filter(([k, v]) => v !== undefined && k !== "restartOnFailure"),
      ),
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle

  isRunning(): boolean {
    return this.running;
  }

  topics(): string[] {
    return this.opts.topics;
  }

  async start(): Promise<void> {
    this.running = true;
    await this.cluster.addTargetTopics(this.opts.topics);
    this.rememberPartitionCounts();
    await this.driver.start();
  }

  /** Stops consuming: handlers finish their current message/batch, offsets are committed, the member leaves. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.fetchTimer) clearTimeout(this.fetchTimer);
    this.fetchTimer = null;
    await Promise.allSettled([...this.tasks]);
    if (!this.failed) await this.flushCommits();
    await this.driver.stop();
    for (const s of this.states.values()) s.wakeIdle();
    this.states.clear();
  }

  fail(error: Error): void {
    if (!this.running || this.failed) return;
    this.failed = true;
    // Outside the caller's stack: the crash handler stops this session, which waits for that caller.
    setImmediate(() => this.opts.onCrash(error));
  }

  // ---------------------------------------------------------------------------------------------
  // Assignment

  owned(): TopicPartitions[] {
    const byTopic = new Map<string, number[]>();
    for (const s of this.states.values()) {
      if (s.revoked) continue;
      let list = byTopic.get(s.topic);
      if (!list) byTopic.set(s.topic, (list = []));
      list.push(s.partition);
    }
    return [...byTopic].map(([topic, partitions]) => ({
      topic,
      partitions: partitions.sort((a, b) => a - b),
    }));
  }

  async addPartitions(assignment: TopicPartitions[]): Promise<void> {
    const added: PartitionState[] = [];
    for (const { topic, partitions } of assignment) {
      for (const partition of partitions) {
        const key = partitionKey(topic, partition);
        if (this.states.has(key)) continue;
        const s = new PartitionState(topic, partition);
        this.states.set(key, s);
        added.push(s);
      }
    }
    if (added.length === 0) return;
    await this.cluster.addTargetTopics([...new Set(added.map((s) => s.topic))]).catch(() => {});
    await this.initialiseOffsets(added);
    this.scheduleFetch();
  }

  /**
   * Committed offsets for new partitions; where the group has none, the earliest or latest offset.
   * Under read_committed the coordinator answers UNSTABLE_OFFSET_COMMIT while a transaction has sent
   * offsets for a partition and not ended: an expected wait (until the producer ends it, a new
   * incarnation aborts it or it times out). It goes on in the background, so that the join
   * completes and heartbeats continue; the partitions are fetched once their offsets are known.
   */
  private async initialiseOffsets(added: PartitionState[]): Promise<void> {
    const committed = await this.stableCommitted(added);
    if (committed) return this.startFrom(added, committed);
    this.logger.info("Waiting for the offsets of an open transaction to be committed or aborted", {
      groupId: this.groupId,
    });
    const task: Promise<void> = this.awaitStableOffsets(added)
      .then(() => this.scheduleFetch())
      .catch((e) => this.fail(e as Error))
      .finally(() => this.tasks.delete(task));
    this.tasks.add(task);
  }

  /** Polls the committed offsets until none is pending any more, as Java does: at most every second. */
  private async awaitStableOffsets(added: PartitionState[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** attempt)));
      if (!this.running || added.every((s) => s.revoked)) return;
      const committed = await this.stableCommitted(added);
      if (committed && this.running) return this.startFrom(added, committed);
    }
  }

  /**
   * The group's committed offsets for `added`, or null while a transaction has some of them pending
   * (UNSTABLE_OFFSET_COMMIT, read_committed only). Other failures are retried, then thrown.
   */
  private stableCommitted(added: PartitionState[]): Promise<Map<string, Map<number, number>> | null> {
    return this.retrier(async (bail) => {
      if (!this.running) bail(new KafkaJSError("The consumer stopped"));
      const coordinator = await this.driver.coordinator();
      try {
        return await fetchCommittedOffsets(
          coordinator,
          this.groupId,
          added.map((s) => ({ topic: s.topic, partition: s.partition })),
          { requireStable: this.opts.isolationLevel === 1, ...this.driver.offsetFetchIdentity() },
        );
      } catch (e) {
        const code = (e as { code?: number }).code;
        if (code === ErrorCode.UNSTABLE_OFFSET_COMMIT) return null;
        if (code !== undefined && COORDINATOR_MOVED.has(code)) this.driver.forgetCoordinator();
        throw e;
      }
    });
  }

  /** Sets each partition's position from its committed offset, or the reset offset where none is. */
  private async startFrom(
    added: PartitionState[],
    committed: Map<string, Map<number, number>>,
  ): Promise<void> {
    const missing: Array<{ topic: string; partition: number; timestamp: number }> = [];
    for (const s of added) {
      const offset = committed.get(s.topic)?.get(s.partition) ?? -1;
      if (offset >= 0) s.committed = offset;
      else missing.push({ topic: s.topic, partition: s.partition, timestamp: this.resetTimestamp(s.topic) });
    }
    if (missing.length > 0) {
      const found = await this.retrier(() => listOffsets(this.cluster, missing, this.opts.isolationLevel));
      for (const s of added) if (s.committed < 0) s.committed = found.get(s.key) ?? 0;
    }
    for (const s of added) {
      s.fetchOffset = s.committed;
      s.ready = true;
      const seek = this.pendingSeeks.get(s.key);
      if (seek) {
        this.pendingSeeks.delete(s.key);
        this.applySeek(s, seek.offset);
      }
    }
  }

  private resetTimestamp(topic: string): number {
    return this.opts.fromBeginning.get(topic) ? EARLIEST : LATEST;
  }

  async revokePartitions(keys: string[], { commit }: { commit: boolean }): Promise<void> {
    const revoking: PartitionState[] = [];
    for (const key of keys) {
      const s = this.states.get(key);
      if (!s || s.revoked) continue;
      // The message or batch being handled still completes and counts: it is resolved and committed.
      s.revoked = true;
      this.dropBuffered(s);
      s.epoch++;
      revoking.push(s);
    }
    if (revoking.length === 0) return;
    // Handlers stop at the next message (eachMessage) or see isStale() (eachBatch); wait for them.
    await Promise.all(revoking.map((s) => s.waitIdle()));
    if (commit && this.opts.autoCommit) {
      await this.commitNow(this.uncommittedEntries(revoking)).catch((e) => {
        this.logger.warn(`Could not commit offsets of revoked partitions: ${(e as Error).message}`, {
          groupId: this.groupId,
        });
      });
    }
    for (const s of revoking) this.states.delete(s.key);
  }

  assignment(): TopicPartitions[] {
    return this.owned();
  }

  // ---------------------------------------------------------------------------------------------
  // Seek, pause, lag

  seek(topic: string, partition: number, offset: number): void {
    const s = this.states.get(partitionKey(topic, partition));
    if (!s?.ready) {
      this.pendingSeeks.set(partitionKey(topic, partition), { topic, partition, offset });
      return;
    }
    this.applySeek(s, offset);
  }

  private applySeek(s: PartitionState, offset: number): void {
    s.seekEpoch++;
    this.dropBuffered(s);
    s.epoch++;
    s.positionDirty = false;
    if (offset === EARLIEST || offset === LATEST) {
      // Resolved with ListOffsets first; the partition is not fetched until then.
      s.retryAt = Number.POSITIVE_INFINITY;
      const epoch = s.epoch;
      void this.retrier(() =>
        listOffsets(
          this.cluster,
          [{ topic: s.topic, partition: s.partition, timestamp: offset }],
          this.opts.isolationLevel,
        ),
      )
        .then((found) => {
          if (s.epoch !== epoch || s.revoked) return;
          s.retryAt = 0;
          this.applySeek(s, found.get(s.key) ?? 0);
        })
        .catch((e) => this.fail(e as Error));
      return;
    }
    s.fetchOffset = offset;
    s.retryAt = 0;
    if (this.opts.autoCommit) {
      // KafkaJS commits the sought offset straight away when auto-committing.
      s.resolved = -1;
      s.committed = offset;
      void this.commitNow([{ topic: s.topic, partition: s.partition, offset }]).catch((e) =>
        this.logger.warn(`Could not commit the sought offset: ${(e as Error).message}`, {
          groupId: this.groupId,
        }),
      );
    } else {
      s.resolved = offset;
    }
    this.scheduleFetch();
  }

  pause(items: Array<{ topic: string; partitions?: number[] }>): void {
    this.pauses.pause(items);
    for (const s of this.states.values()) {
      if (this.pauses.isPaused(s.topic, s.partition)) {
        // What was fetched ahead is fetched again after resume, from the position reached.
        if (s.buffered.length > 0 || s.fetching) {
          this.dropBuffered(s);
          s.invalidateFetch();
        }
      }
    }
  }

  resume(items: Array<{ topic: string; partitions?: number[] }>): void {
    this.pauses.resume(items);
    this.scheduleFetch();
  }

  paused(): TopicPartitions[] {
    return this.owned()
      .map(({ topic, partitions }) => ({
        topic,
        partitions: partitions.filter((p) => this.pauses.isPaused(topic, p)),
      }))
      .filter((t) => t.partitions.length > 0);
  }

  isStale(s: PartitionState, seekEpoch: number): boolean {
    return s.seekEpoch !== seekEpoch || s.revoked;
  }

  async lag(): Promise<
    Array<{ topic: string; partition: number; offset: string; highWatermark: string; lag: string }>
  > {
    const states = [...this.states.values()].filter((s) => s.ready && !s.revoked);
    const unknown = states.filter((s) => s.highWatermark < 0);
    if (unknown.length > 0) {
      const found = await listOffsets(
        this.cluster,
        unknown.map((s) => ({ topic: s.topic, partition: s.partition, timestamp: LATEST })),
        this.opts.isolationLevel,
      );
      for (const s of unknown) if (s.highWatermark < 0) s.highWatermark = found.get(s.key) ?? -1;
    }
    return states
      .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1))
      .map((s) => {
        const end =
          this.opts.isolationLevel === 1 && s.lastStableOffset >= 0 ? s.lastStableOffset : s.highWatermark;
        const position = s.position();
        return {
          topic: s.topic,
          partition: s.partition,
          offset: String(position),
          highWatermark: String(end),
          lag: String(Math.max(0, end - position)),
        };
      });
  }

  // ---------------------------------------------------------------------------------------------
  // Fetching

  private dropBuffered(s: PartitionState): void {
    if (s.buffered.length > 0) {
      this.bufferedBytes -= s.bufferedBytes;
      s.buffered = [];
      s.bufferedBytes = 0;
    }
  }

  scheduleFetch(): void {
    if (!this.running || this.fetchScheduled) return;
    this.fetchScheduled = true;
    queueMicrotask(() => {
      this.fetchScheduled = false;
      this.runFetchSchedule();
    });
  }

  private runFetchSchedule(): void {
    if (!this.running) return;
    const now = Date.now();
    const byNode = new Map<number, PartitionState[]>();
    const busyNodes = new Set<number>();
    let wakeAt = Number.POSITIVE_INFINITY;
    let metadataMissing = false;
    const full = this.bufferedBytes >= this.opts.maxBytes;
    for (const s of this.states.values()) {
      if (!s.ready || s.revoked || s.fetching) continue;
      if (this.pauses.isPaused(s.topic, s.partition)) continue;
      if (s.retryAt > now) {
        wakeAt = Math.min(wakeAt, s.retryAt);
        continue;
      }
      let node: number;
      try {
        node = fetchNodeFor(this.replicaLookup, s, this.cluster.leaderFor(s.topic, s.partition), now);
      } catch {
        metadataMissing = true;
        continue;
      }
      if (s.buffered.length >= PREFETCH_BATCHES || (s.positionDirty && s.inHandler)) {
        busyNodes.add(node);
        continue;
      }
      if (full) continue;
      const retryAt = this.nodeRetryAt.get(node) ?? 0;
      if (retryAt > now) {
        wakeAt = Math.min(wakeAt, retryAt);
        continue;
      }
      if (s.positionDirty) {
        s.fetchOffset = s.position();
        s.positionDirty = false;
      }
      let list = byNode.get(node);
      if (!list) byNode.set(node, (list = []));
      list.push(s);
    }
    if (metadataMissing) this.refreshMetadata();
    else this.refreshMetadataIfStale();
    for (const [node, list] of byNode) {
      if (this.fetching.has(node)) continue;
      void this.fetchFrom(node, list, busyNodes.has(node));
    }
    if (wakeAt !== Number.POSITIVE_INFINITY) this.wakeFetchAt(wakeAt);
  }

  private wakeFetchAt(at: number): void {
    if (this.fetchTimer && this.fetchTimerAt <= at) return;
    if (this.fetchTimer) clearTimeout(this.fetchTimer);
    this.fetchTimerAt = at;
    this.fetchTimer = setTimeout(
      () => {
        this.fetchTimer = null;
        this.scheduleFetch();
      },
      Math.max(0, at - Date.now()),
    );
  }

  private refreshMetadata(): void {
    if (this.metadataRefresh) return;
    this.metadataRefresh = this.cluster
      .refreshMetadata()
      .then(() => this.checkPartitionCounts())
      .catch((e) =>
        this.logger.debug(`Metadata refresh failed: ${(e as Error).message}`, { groupId: this.groupId }),
      )
      .finally(() => {
        this.metadataRefresh = null;
        this.scheduleFetch();
      });
  }

  private lastMetadataCheck = Date.now();

  private refreshMetadataIfStale(): void {
    const now = Date.now();
    if (now - this.lastMetadataCheck < this.opts.metadataMaxAge) return;
    this.lastMetadataCheck = now;
    this.refreshMetadata();
  }

  private rememberPartitionCounts(): void {
    for (const topic of this.opts.topics) {
      const n = this.cluster.topicMetadata(topic)?.partitions.length;
      if (n !== undefined) this.partitionCounts.set(topic, n);
    }
  }

  /** A subscribed topic gained partitions: the group must rebalance to hand them out. */
  private checkPartitionCounts(): void {
    let changed = false;
    for (const topic of this.opts.topics) {
      const n = this.cluster.topicMetadata(topic)?.partitions.length;
      if (n === undefined) continue;
      const before = this.partitionCounts.get(topic);
      if (before !== undefined && before !== n) changed = true;
      this.partitionCounts.set(topic, n);
    }
    if (changed) this.driver.onPartitionCountChange();
  }

  private async fetchFrom(nodeId: number, parts: PartitionState[], busy: boolean): Promise<void> {
    this.fetching.add(nodeId);
    const epochs = parts.map((s) => s.epoch);
    const offsets = parts.map((s) => s.fetchOffset);
    const started = Date.now();
    // Routed here as their read replica (runFetchSchedule) rather than as their leader.
    const viaReplica = parts.map((s) => s.readReplica === nodeId);
    const rackId = parts.some((s) => avoidingReplicas(s, started)) ? "" : this.opts.rackId;
    for (const s of parts) s.fetching = true;
    this.emitter.emit(CONSUMER_EVENTS.FETCH_START, { nodeId });
    let numberOfBatches = 0;
    const waitMs = busy
      ? Math.min(this.opts.maxWaitTimeInMs, Math.max(MIN_BUSY_WAIT_MS, Math.round(this.batchMsAverage / 2)))
      : this.opts.maxWaitTimeInMs;
    try {
      const broker = await this.cluster.broker(nodeId);
      const response = await this.sendFetch(broker, parts, offsets, waitMs, rackId);
      const byTopic = new Map<string, Map<number, number>>();
      parts.forEach((s, i) => {
        let m = byTopic.get(s.topic);
        if (!m) byTopic.set(s.topic, (m = new Map()));
        m.set(s.partition, i);
      });
      if (response.errorCode !== ErrorCode.NONE) throw protocolError(response.errorCode, "Fetch");
      const decoding: Promise<void>[] = [];
      for (const t of response.responses) {
        const topic = t.topic || response.idToName.get(t.topicId) || "";
        const indexes = byTopic.get(topic);
        if (!indexes) continue;
        for (const p of t.partitions) {
          const i = indexes.get(p.partitionIndex);
          if (i === undefined) continue;
          const s = parts[i]!;
          if (s.epoch !== epochs[i] || s.revoked || this.states.get(s.key) !== s) continue;
          if (viaReplica[i]) {
            if (p.errorCode !== ErrorCode.NONE) {
              // Whatever the replica's trouble (no longer a replica, behind, out of range there),
              // the leader decides next; nothing is reset on a replica's word.
              this.logger.info(
                `Fetch of ${s.topic}-${s.partition} from read replica ${nodeId} failed (error ${p.errorCode}), fetching from the leader`,
                { groupId: this.groupId },
              );
              backOffReplicas(s, Date.now());
              continue;
            }
            replicaServed(s);
          } else if (p.errorCode !== ErrorCode.NONE) {
            this.onPartitionError(s, p.errorCode, p.currentLeader);
            continue;
          } else if (p.preferredReadReplica >= 0 && p.preferredReadReplica !== nodeId) {
            this.onPreferredReadReplica(s, p.preferredReadReplica);
          }
          s.highWatermark = Number(p.highWatermark);
          s.lastStableOffset = Number(p.lastStableOffset);
          const records = p.records;
          if (!records || records.length === 0) continue;
          const aborted: AbortedTransaction[] | null =
            this.opts.isolationLevel === 1 ? (p.abortedTransactions ?? null) : null;
          decoding.push(
            this.acceptRecords(s, epochs[i]!, offsets[i]!, records, aborted).then((accepted) => {
              if (accepted) numberOfBatches++;
            }),
          );
        }
      }
      await Promise.all(decoding);
      this.nodeRetryAt.delete(nodeId);
    } catch (e) {
      const err = e as KafkaJSError;
      this.logger.debug(`Fetch from broker ${nodeId} failed: ${err.message}`, { groupId: this.groupId });
      let replicaParts = 0;
      parts.forEach((s, i) => {
        if (!viaReplica[i]) return;
        replicaParts++;
        backOffReplicas(s, Date.now());
      });
      if (replicaParts > 0) {
        this.logger.info(
          `Fetch from read replica ${nodeId} failed, fetching from the leaders: ${err.message}`,
          {
            groupId: this.groupId,
          },
        );
      }
      // A replica's failure is never fatal by itself: its partitions go back to their leaders.
      if (err.retriable === false && err.name !== "KafkaJSConnectionError" && replicaParts < parts.length) {
        this.fail(err);
      } else {
        this.nodeRetryAt.set(nodeId, Date.now() + Math.min(1000, 100 + 100 * this.fetching.size));
        this.cluster.invalidateMetadata();
        this.refreshMetadata();
      }
    } finally {
      for (const s of parts) s.fetching = false;
      this.fetching.delete(nodeId);
      this.emitter.emit(CONSUMER_EVENTS.FETCH, { numberOfBatches, duration: Date.now() - started, nodeId });
      this.pump();
      this.scheduleFetch();
    }
  }

  /** The leader named a preferred read replica for the partition (its answer carries no records). */
  private onPreferredReadReplica(s: PartitionState, nodeId: number): void {
    // Only a leader names one, so this is a switch (at most once per metadataMaxAge, or after a failure).
    if (adoptReadReplica(this.replicaLookup, s, nodeId, Date.now(), this.opts.metadataMaxAge)) {
      this.logger.info(`Fetching ${s.topic}-${s.partition} from its preferred read replica ${nodeId}`, {
        groupId: this.groupId,
      });
      return;
    }
    // Not a replica the cached metadata knows of: fetch from the leader meanwhile, and look again.
    this.logger.debug(
      `Preferred read replica ${nodeId} of ${s.topic}-${s.partition} unknown, staying on the leader`,
      {
        groupId: this.groupId,
      },
    );
    this.cluster.invalidateMetadata();
    this.refreshMetadata();
  }

  private async sendFetch(
    broker: Broker,
    parts: PartitionState[],
    offsets: number[],
    waitMs: number,
    rackId: string,
  ) {
    let version = broker.versionOf(Fetch);
    const topicIds = new Map<string, string>();
    for (const s of parts) {
      if (topicIds.has(s.topic)) continue;
      topicIds.set(s.topic, this.cluster.topicMetadata(s.topic)?.topicId ?? NO_TOPIC_ID);
    }
    // Topic ids are needed from v13; without them (an older cluster's metadata) stay at v12.
    if (version >= 13 && [...topicIds.values()].some((id) => id === NO_TOPIC_ID)) version = 12;
    const topics = new Map<
      string,
      Array<{ partition: number; currentLeaderEpoch: number; fetchOffset: number }>
    >();
    parts.forEach((s, i) => {
      let list = topics.get(s.topic);
      if (!list) topics.set(s.topic, (list = []));
      list.push({
        partition: s.partition,
        currentLeaderEpoch: leaderEpochOf(this.cluster, s.topic, s.partition),
        fetchOffset: offsets[i]!,
      });
    });
    const response = await broker.request(
      Fetch,
      {
        clusterId: null,
        replicaId: -1,
        replicaState: { replicaId: -1, replicaEpoch: -1 },
        maxWaitMs: waitMs,
        minBytes: this.opts.minBytes,
        maxBytes: this.opts.maxBytes,
        isolationLevel: this.opts.isolationLevel,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [...topics].map(([topic, ps]) => ({
          topic,
          topicId: topicIds.get(topic)!,
          partitions: ps.map((p) => ({
            partition: p.partition,
            currentLeaderEpoch: p.currentLeaderEpoch,
            fetchOffset: p.fetchOffset,
            lastFetchedEpoch: -1,
            logStartOffset: -1,
            partitionMaxBytes: this.opts.maxBytesPerPartition,
          })),
        })),
        forgottenTopicsData: [],
        rackId,
      },
      { version, timeout: this.opts.requestTimeout + waitMs },
    );
    const idToName = new Map<string, string>();
    for (const [name, id] of topicIds) idToName.set(id, name);
    return Object.assign(response, { idToName });
  }

  /** Decodes a partition's records into its buffered batch; false when the result came too late. */
  private async acceptRecords(
    s: PartitionState,
    epoch: number,
    fetchOffset: number,
    records: Buffer,
    aborted: AbortedTransaction[] | null,
  ): Promise<boolean> {
    let decoded: Awaited<ReturnType<typeof scanPartitionRecords>>;
    try {
      decoded = await scanPartitionRecords(records, fetchOffset, aborted);
    } catch (e) {
      this.logger.error(`Could not decode records of ${s.topic}-${s.partition}: ${(e as Error).message}`, {
        groupId: this.groupId,
        offset: String(fetchOffset),
      });
      this.backoff(s);
      return false;
    }
    if (s.epoch !== epoch || s.revoked || this.states.get(s.key) !== s) return false;
    if (!decoded.hadBatches) return false;
    const batch = new ConsumerBatch(s.topic, s.partition, fetchOffset, s.highWatermark, decoded);
    s.buffered.push(batch);
    s.bufferedBytes += decoded.bytes;
    this.bufferedBytes += decoded.bytes;
    s.fetchOffset = batch.lastOffsetNumber() + 1;
    if (!s.queued) {
      s.queued = true;
      this.readyQueue.push(s);
    }
    return true;
  }

  private backoff(s: PartitionState): void {
    s.retryTime =
      s.retryTime === 0
        ? jitter(this.retryOptions.factor, this.retryOptions.initialRetryTime)
        : nextRetryTime(s.retryTime, this.retryOptions);
    s.retryAt = Date.now() + s.retryTime;
  }

  private onPartitionError(
    s: PartitionState,
    code: number,
    currentLeader: { leaderId: number; leaderEpoch: number } | undefined,
  ): void {
    if (code === ErrorCode.OFFSET_OUT_OF_RANGE) {
      const error = new KafkaJSOffsetOutOfRange(protocolError(code), {
        topic: s.topic,
        partition: s.partition,
      });
      this.logger.error("Offset out of range, resetting to default offset", {
        topic: s.topic,
        partition: s.partition,
        groupId: this.groupId,
        error: error.message,
      });
      this.resetOffset(s);
      return;
    }
    if (STALE_LEADER.has(code)) {
      const moved =
        currentLeader !== undefined &&
        currentLeader.leaderId >= 0 &&
        this.cluster.noteLeader(s.topic, s.partition, currentLeader.leaderId, currentLeader.leaderEpoch);
      if (!moved) {
        this.cluster.invalidateMetadata();
        this.refreshMetadata();
      }
      s.retryAt = Date.now() + (moved ? 0 : 100);
      this.wakeFetchAt(s.retryAt);
      return;
    }
    const err = protocolError(code, `${s.topic}-${s.partition}`);
    if (!err.retriable) {
      this.fail(new KafkaJSNonRetriableError(err, { cause: err }));
      return;
    }
    this.logger.warn(`Fetch of ${s.topic}-${s.partition} failed: ${err.message}`, { groupId: this.groupId });
    this.backoff(s);
    this.wakeFetchAt(s.retryAt);
  }

  /** OFFSET_OUT_OF_RANGE: restart from the earliest or latest offset, per the topic's fromBeginning. */
  private resetOffset(s: PartitionState): void {
    s.retryAt = Number.POSITIVE_INFINITY;
    const epoch = ++s.epoch;
    void this.retrier(() =>
      listOffsets(
        this.cluster,
        [{ topic: s.topic, partition: s.partition, timestamp: this.resetTimestamp(s.topic) }],
        this.opts.isolationLevel,
      ),
    )
      .then((found) => {
        if (s.epoch !== epoch || s.revoked) return;
        const offset = found.get(s.key) ?? 0;
        s.seekEpoch++;
        this.dropBuffered(s);
        s.epoch++;
        s.fetchOffset = offset;
        // Committed at the next commit, as KafkaJS commits the reset offset.
        s.resolved = offset;
        s.positionDirty = false;
        s.retryAt = 0;
        this.scheduleFetch();
      })
      .catch((e) => this.fail(e as Error));
  }

  // ---------------------------------------------------------------------------------------------
  // Workers

  private pump(): void {
    while (this.running && this.activeWorkers < this.opts.concurrency && this.readyQueue.length > 0) {
      const s = this.readyQueue.shift()!;
      s.queued = false;
      if (s.buffered.length === 0 || s.inHandler || s.revoked || this.pauses.isPaused(s.topic, s.partition))
        continue;
      const batch = s.buffered.shift()!;
      s.bufferedBytes -= batch.bytes;
      this.bufferedBytes -= batch.bytes;
      s.inHandler = true;
      this.activeWorkers++;
      const task = this.process(s, batch).finally(() => {
        this.activeWorkers--;
        s.inHandler = false;
        this.tasks.delete(task);
        s.wakeIdle();
        if (s.buffered.length > 0 && !s.queued && !s.revoked) {
          s.queued = true;
          this.readyQueue.push(s);
        }
        this.pump();
        this.scheduleFetch();
      });
      this.tasks.add(task);
    }
    this.scheduleFetch();
  }

  private batchEventPayload(batch: ConsumerBatch) {
    return {
      topic: batch.topic,
      partition: batch.partition,
      highWatermark: batch.highWatermark,
      offsetLag: batch.offsetLag(),
      offsetLagLow: batch.offsetLagLow(),
      batchSize: batch.count,
      firstOffset: batch.firstOffset(),
      lastOffset: batch.lastOffset(),
    };
  }

  private async process(s: PartitionState, batch: ConsumerBatch): Promise<void> {
    const started = Date.now();
    const epoch = s.epoch;
    const expectedNext = batch.lastOffsetNumber() + 1;
    const wantEvents =
      this.emitter.listenerCount(CONSUMER_EVENTS.START_BATCH_PROCESS) > 0 ||
      this.emitter.listenerCount(CONSUMER_EVENTS.END_BATCH_PROCESS) > 0;
    const payload = wantEvents ? this.batchEventPayload(batch) : null;
    try {
      if (batch.isEmptyDueToFiltering()) {
        // Only control records or aborted transactions: nothing for the handler, but move past them.
        this.emitter.emit(CONSUMER_EVENTS.START_BATCH_PROCESS, payload);
        this.resolve(s, s.seekEpoch, batch.lastOffsetNumber());
        this.emitter.emit(
          CONSUMER_EVENTS.END_BATCH_PROCESS,
          payload && { ...payload, duration: Date.now() - started },
        );
        this.commitSoon();
        return;
      }
      this.emitter.emit(CONSUMER_EVENTS.START_BATCH_PROCESS, payload);
      if (this.opts.eachMessage) await this.runEachMessage(s, batch);
      else if (this.opts.eachBatch) await this.runEachBatch(s, batch);
      s.failures = 0;
      s.retryTime = 0;
      this.emitter.emit(
        CONSUMER_EVENTS.END_BATCH_PROCESS,
        payload && { ...payload, duration: Date.now() - started },
      );
      if (this.opts.autoCommit) this.commitSoon();
    } catch (e) {
      this.onHandlerError(s, batch, e as Error);
    } finally {
      const ms = Date.now() - started;
      this.batchMsAverage = this.batchMsAverage === 0 ? ms : this.batchMsAverage * 0.8 + ms * 0.2;
      // Anything short of the whole batch resolved (an error, a pause, eachBatch resolving less):
      // the prefetched batch does not follow on, so fetch again from the position, as KafkaJS does.
      if (s.epoch === epoch && !s.revoked && s.position() !== expectedNext) {
        this.dropBuffered(s);
        s.invalidateFetch();
      }
    }
  }

  private resolve(s: PartitionState, seekEpoch: number, offset: number): void {
    if (s.seekEpoch !== seekEpoch) return;
    s.resolved = offset + 1;
  }

  private async runEachMessage(s: PartitionState, batch: ConsumerBatch): Promise<void> {
    const handler = this.opts.eachMessage!;
    const { topic, partition } = batch;
    const seekEpoch = s.seekEpoch;
    const heartbeat = () => this.driver.heartbeatIfDue();
    const pause = () => {
      this.pause([{ topic, partitions: [partition] }]);
      return () => this.resume([{ topic, partitions: [partition] }]);
    };
    const checkCommit =
      this.opts.autoCommit &&
      (this.opts.autoCommitInterval !== null || this.opts.autoCommitThreshold !== null);
    const cursor = batch.cursor();
    for (;;) {
      if (!this.running || s.seekEpoch !== seekEpoch || s.revoked) break;
      const message = cursor.next();
      if (message === null) break;
      try {
        await handler({ topic, partition, message, heartbeat, pause });
      } catch (e) {
        if (!(e instanceof KafkaJSError)) {
          this.logger.error("Error when calling eachMessage", {
            topic,
            partition,
            offset: message.offset,
            stack: (e as Error)?.stack,
            error: e,
          });
        }
        throw e;
      }
      if (s.seekEpoch === seekEpoch) s.resolved = cursor.offset + 1;
      if (checkCommit) await this.commitIfNecessary();
      if (this.pauses.isPaused(topic, partition)) break;
    }
  }

  private async runEachBatch(s: PartitionState, batch: ConsumerBatch): Promise<void> {
    const handler = this.opts.eachBatch!;
    const { topic, partition } = batch;
    const seekEpoch = s.seekEpoch;
    const messages = batch.materialize();
    const lastMessage = messages[messages.length - 1];
    const payload: EachBatchPayload = {
      batch,
      resolveOffset: (offset: string) => {
        // Resolving the last message also covers filtered records after it (a transaction's commit
        // marker), or the consumer would stop short of them forever.
        const n =
          lastMessage && String(offset) === lastMessage.offset ? batch.lastOffsetNumber() : Number(offset);
        this.resolve(s, seekEpoch, n);
      },
      heartbeat: () => this.driver.heartbeatIfDue(),
      pause: () => {
        this.pause([{ topic, partitions: [partition] }]);
        return () => this.resume([{ topic, partitions: [partition] }]);
      },
      commitOffsetsIfNecessary: (offsets?: Offsets) =>
        offsets ? this.commitOffsets(offsets, false) : this.commitIfNecessary(),
      uncommittedOffsets: () => this.uncommittedOffsets(),
      isRunning: () => this.running,
      isStale: () => this.isStale(s, seekEpoch),
    };
    try {
      await handler(payload);
    } catch (e) {
      if (!(e instanceof KafkaJSError)) {
        this.logger.error("Error when calling eachBatch", {
          topic,
          partition,
          offset: batch.firstOffset(),
          stack: (e as Error)?.stack,
          error: e,
        });
      }
      throw e;
    }
    if (this.opts.eachBatchAutoResolve) this.resolve(s, seekEpoch, batch.lastOffsetNumber());
  }

  /**
   * A handler threw. As with KafkaJS, what was processed is committed and the rest is delivered
   * again after a backoff; after `retry.retries` failures in a row the consumer crashes (and
   * restarts unless `retry.restartOnFailure` says otherwise). Unlike KafkaJS only this partition
   * waits; the others go on.
   */
  private onHandlerError(s: PartitionState, _batch: ConsumerBatch, error: Error): void {
    if (this.opts.autoCommit) this.commitSoon();
    if (!this.running) return;
    // A transactional commit refused because the group moved on (KIP-447): if the partition has
    // gone, its next owner takes over; if it is still ours, the batch is retried under the new
    // generation. Neither is a reason to crash.
    if (isGroupFencingError(error)) {
      if (s.revoked) return;
    } else {
      const name = (error as { name?: string })?.name;
      const programmingError =
        name === "TypeError" || name === "RangeError" || name === "ReferenceError" || name === "SyntaxError";
      if ((error as KafkaJSError)?.retriable === false || programmingError) {
        this.fail(new KafkaJSNonRetriableError(error, { cause: (error.cause as Error) ?? error }));
        return;
      }
    }
    if (s.failures >= this.retryOptions.retries) {
      this.fail(
        new KafkaJSNumberOfRetriesExceeded(error, { retryCount: s.failures, retryTime: s.retryTime }),
      );
      return;
    }
    s.failures++;
    this.backoff(s);
    this.dropBuffered(s);
    s.invalidateFetch();
    this.wakeFetchAt(s.retryAt);
  }

  // ---------------------------------------------------------------------------------------------
  // Commits

  private uncommittedEntries(states: Iterable<PartitionState>): CommitEntry[] {
    const out: CommitEntry[] = [];
    for (const s of states) {
      if (s.resolved >= 0 && s.resolved !== s.committed)
        out.push({ topic: s.topic, partition: s.partition, offset: s.resolved });
    }
    return out;
  }

  uncommittedOffsets(): OffsetsByTopicPartition {
    const byTopic = new Map<string, Array<{ partition: number; offset: string }>>();
    for (const e of this.uncommittedEntries([...this.states.values()].filter((s) => !s.revoked))) {
      let list = byTopic.get(e.topic);
      if (!list) byTopic.set(e.topic, (list = []));
      list.push({ partition: e.partition, offset: String(e.offset) });
    }
    return { topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) };
  }

  /** Commits resolved offsets soon, in the background; errors are handled, not thrown. */
  commitSoon(): void {
    if (this.commitQueued) return;
    const p = this.commitChain.then(() => {
      this.commitQueued = null;
      return this.commitResolved();
    });
    this.commitQueued = p;
    this.commitChain = p.catch((e) => {
      this.logger.debug(`Auto-commit failed: ${(e as Error).message}`, { groupId: this.groupId });
    });
  }

  private commitResolved(): Promise<void> {
    const entries = this.uncommittedEntries([...this.states.values()].filter((s) => !s.revoked));
    if (entries.length === 0) {
      this.lastCommit = Date.now();
      return Promise.resolve();
    }
    return this.sendCommit(entries);
  }

  /** Waits for queued commits, then commits whatever is still resolved and uncommitted. */
  async flushCommits(): Promise<void> {
    if (!this.opts.autoCommit) return;
    await this.commitChain;
    await this.commitNow(this.uncommittedEntries(this.states.values())).catch((e) => {
      this.logger.warn(`Could not commit offsets: ${(e as Error).message}`, { groupId: this.groupId });
    });
  }

  /** Commits these entries after the commits already queued. */
  commitNow(entries: CommitEntry[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    const p = this.commitChain.then(() => this.sendCommit(entries));
    this.commitChain = p.catch(() => {});
    return p;
  }

  private countResolved(): number {
    let n = 0;
    for (const s of this.states.values()) {
      if (s.revoked || s.resolved < 0) continue;
      n += s.committed >= 0 ? s.resolved - s.committed : s.resolved;
    }
    return n;
  }

  /** KafkaJS's commitOffsetsIfNecessary: commits when the interval elapsed or the threshold is reached. */
  commitIfNecessary(): Promise<void> {
    const { autoCommitInterval, autoCommitThreshold } = this.opts;
    const timeUp = autoCommitInterval !== null && Date.now() >= this.lastCommit + autoCommitInterval;
    const enough = autoCommitThreshold !== null && this.countResolved() >= autoCommitThreshold;
    if (!timeUp && !enough) return Promise.resolve();
    const p = this.commitChain.then(() => this.commitResolved());
    this.commitChain = p.catch(() => {});
    return p;
  }

  /** Explicit offsets (consumer.commitOffsets, commitOffsetsIfNecessary(offsets)). */
  commitOffsets(offsets: Offsets, retry: boolean): Promise<void> {
    const entries: CommitEntry[] = [];
    for (const { topic, partitions } of offsets.topics ?? []) {
      for (const p of partitions) {
        entries.push({
          topic,
          partition: Number(p.partition),
          offset: Number(p.offset),
          metadata: (p as { metadata?: string | null }).metadata ?? null,
        });
      }
    }
    if (entries.length === 0) return Promise.resolve();
    if (!retry) return this.commitNow(entries);
    return this.retrier(async (bail) => {
      if (!this.running) return;
      try {
        await this.commitNow(entries);
      } catch (e) {
        if (!this.running) return;
        if ((e as Error).name === "KafkaJSNotImplemented") bail(e as Error);
        throw e;
      }
    });
  }

  private async sendCommit(entries: CommitEntry[]): Promise<void> {
    const identity = this.driver.identity();
    let coordinator: Broker;
    try {
      coordinator = await this.driver.coordinator();
    } catch (e) {
      this.driver.forgetCoordinator();
      throw e;
    }
    const results = await sendOffsetCommit(coordinator, identity, entries);
    let firstError = 0;
    const committed: Array<{ topic: string; partition: number; offset: number }> = [];
    for (const r of results) {
      if (r.errorCode === ErrorCode.NONE) {
        committed.push(r);
        const s = this.states.get(partitionKey(r.topic, r.partition));
        if (s) s.committed = r.offset;
      } else if (firstError === 0) firstError = r.errorCode;
    }
    this.lastCommit = Date.now();
    if (committed.length > 0 && this.emitter.listenerCount(CONSUMER_EVENTS.COMMIT_OFFSETS) > 0) {
      const byTopic = new Map<string, Array<{ partition: number; offset: string }>>();
      for (const c of committed) {
        let list = byTopic.get(c.topic);
        if (!list) byTopic.set(c.topic, (list = []));
        list.push({ partition: c.partition, offset: String(c.offset) });
      }
      this.emitter.emit(CONSUMER_EVENTS.COMMIT_OFFSETS, {
        groupId: identity.groupId,
        memberId: identity.memberId,
        groupGenerationId: identity.generationId,
        topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
      });
    }
    if (firstError !== 0) {
      if (COORDINATOR_MOVED.has(firstError)) this.driver.forgetCoordinator();
      this.driver.onCommitError(firstError, identity.generationId);
      throw protocolError(firstError, `OffsetCommit ${this.groupId}`);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Topics for regular-expression subscriptions

  static async topicsMatching(cluster: Cluster, patterns: RegExp[]): Promise<string[]> {
    const broker = await cluster.anyBroker();
    const res = await broker.request(Metadata, {
      topics: null,
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
    });
    return res.topics
      .map((t) => t.name ?? "")
      .filter(
        (name) =>
          name &&
          patterns.some((re) => {
            re.lastIndex = 0;
            return re.test(name);
          }),
      );
  }
}
