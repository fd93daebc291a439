/**
 * What the consumer knows about one assigned partition. Offsets are numbers (exact far beyond any
 * real Kafka offset) and become strings only at the API.
 *
 * Three positions: `committed` (what the group has, or the reset position when it had nothing, as
 * KafkaJS counts it), `resolved` (the offset after the last message the application finished; what
 * the next commit writes) and `fetchOffset` (where the next Fetch starts, ahead of `resolved` while a
 * prefetched batch waits). `epoch` changes whenever earlier fetch results must be dropped (seek,
 * pause, reset, revocation); `seekEpoch` whenever a batch being handled becomes stale (seek, reset),
 * which stops eachMessage loops, turns on eachBatch's isStale() and ignores its later resolves.
 * Revocation (`revoked`) also stops the loops and sets isStale(), but what the handler still
 * finishes is resolved, so the commit before the partition is given up includes it.
 */
import type { ConsumerBatch } from "./batch.js";

export class PartitionState {
  readonly topic: string;
  readonly partition: number;
  readonly key: string;
  committed = -1;
  resolved = -1;
  fetchOffset = -1;
  epoch = 0;
  seekEpoch = 0;
  /** Set once the starting offset is known. */
  ready = false;
  /** Fetched batches waiting for a worker (the prefetch), oldest first. */
  buffered: ConsumerBatch[] = [];
  bufferedBytes = 0;
  /** In the worker queue. */
  queued = false;
  /** A worker is running the handler on one of its batches. */
  inHandler = false;
  /** Part of a Fetch in flight. */
  fetching = false;
  /** fetchOffset must be recomputed from the position before the next Fetch. */
  positionDirty = false;
  revoked = false;
  highWatermark = -1;
  lastStableOffset = -1;
  /** No Fetch before this time (backoff after an error). */
  retryAt = 0;
  failures = 0;
  retryTime = 0;
  /** The preferred read replica the leader named (KIP-392, read-replica.ts), -1 for the leader itself. */
  readReplica = -1;
  /** When the preference lapses and the leader is asked again. */
  readReplicaUntil = 0;
  /** After a replica failed the partition: fetched from the leader without the rack id until then. */
  replicaBackoffUntil = 0;
  replicaBackoffMs = 0;
  /** Woken when the handler finishes a batch (revocation waits for it). */
  idleWaiters: Array<() => void> = [];

  constructor(topic: string, partition: number) {
    this.topic = topic;
    this.partition = partition;
    this.key = partitionKey(topic, partition);
  }

  /** The next offset to hand the application: KafkaJS's nextOffset (resolved, else committed). */
  position(): number {
    return this.resolved >= 0 ? this.resolved : this.committed;
  }

  /** Makes in-flight fetch results stale and the next Fetch start from the position (the caller drops the buffer). */
  invalidateFetch(): void {
    this.epoch++;
    this.positionDirty = true;
  }

  waitIdle(): Promise<void> {
    if (!this.inHandler) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/**
 * KafkaJS's pause bookkeeping: a topic may be paused whole (then single partitions resumed) or
 * partition by partition. It outlives assignments, so a paused partition stays paused after a
 * rebalance hands it back.
 */
export class PauseState {
  private readonly topics = new Map<string, { all: boolean; paused: Set<number>; resumed: Set<number> }>();

  private state(topic: string) {
    let s = this.topics.get(topic);
    if (!s) this.topics.set(topic, (s = { all: false, paused: new Set(), resumed: new Set() }));
    return s;
  }

  pause(items: Array<{ topic: string; partitions?: number[] }>): void {
    for (const { topic, partitions } of items) {
      const s = this.state(topic);
      if (partitions === undefined) {
        s.paused.clear();
        s.resumed.clear();
        s.all = true;
      } else {
        for (const p of partitions) {
          s.paused.add(p);
          s.resumed.delete(p);
        }
        s.all = false;
      }
    }
  }

  resume(items: Array<{ topic: string; partitions?: number[] }>): void {
    for (const { topic, partitions } of items) {
      const s = this.state(topic);
      if (partitions === undefined) {
        s.paused.clear();
        s.resumed.clear();
        s.all = false;
      } else {
        for (const p of partitions) {
          s.paused.delete(p);
          if (s.all) s.resumed.add(p);
        }
      }
    }
  }

  isPaused(topic: string, partition: number): boolean {
    const s = this.topics.get(topic);
    if (!s) return false;
    return (s.all && !s.resumed.has(partition)) || s.paused.has(partition);
  }
}
