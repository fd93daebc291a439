/**
 * Incremental fetch sessions (KIP-227). A client that opens a session (epoch 0) then sends only
 * the partitions that changed; the broker answers with only the partitions whose data or offsets
 * changed. Sessions are kept in a bounded LRU cache (max.incremental.fetch.session.cache.slots).
 */

export interface SessionPartition {
  topic: string;
  topicId: string;
  partition: number;
  fetchOffset: bigint;
  maxBytes: number;
  currentLeaderEpoch: number;
  /** What the client was last told, to decide whether the partition changed. */
  lastHighWatermark: bigint;
  lastStableOffset: bigint;
  lastLogStartOffset: bigint;
}

export interface FetchSession {
  id: number;
  epoch: number;
  /** Keyed by `${topic}\0${partition}`; insertion order is the order partitions are answered in. */
  partitions: Map<string, SessionPartition>;
  lastUsed: number;
}

export const INVALID_SESSION_ID = 0;
export const INITIAL_EPOCH = 0;
export const FINAL_EPOCH = -1;

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export class FetchSessionCache {
  private readonly sessions = new Map<number, FetchSession>();
  private nextId = 1 + Math.floor(Math.random() * 1_000_000);

  constructor(private readonly maxSlots = 1000) {}

  create(partitions: Map<string, SessionPartition>): FetchSession {
    if (this.sessions.size >= this.maxSlots) {
      // Evict the least recently used session (Map iteration order is insertion; touch re-inserts).
      const oldest = this.sessions.keys().next().value;
      if (oldest !== undefined) this.sessions.delete(oldest);
    }
    let id = this.nextId++;
    if (this.nextId > 0x7fffffff) this.nextId = 1;
    while (this.sessions.has(id) || id === INVALID_SESSION_ID) id = this.nextId++;
    const session: FetchSession = { id, epoch: 1, partitions, lastUsed: Date.now() };
    this.sessions.set(id, session);
    return session;
  }

  get(id: number): FetchSession | undefined {
    const s = this.sessions.get(id);
    if (s) {
      this.sessions.delete(id);
      this.sessions.set(id, s);
      s.lastUsed = Date.now();
    }
    return s;
  }

  remove(id: number): void {
    this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }
}
