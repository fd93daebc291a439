/**
 * Committed offsets in memory, by group, topic and partition, plus the offsets of transactions that
 * are not decided yet (TxnOffsetCommit writes them; a COMMIT marker on the offsets partition makes
 * them committed offsets, an ABORT marker drops them). The coordinator changes this store only after
 * the record that carries the change is durable in `__consumer_offsets`, so a read never returns an
 * offset a crash could lose.
 */

export interface OffsetEntry {
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  /** Set only by OffsetCommit v2-v4 with an explicit retention time. */
  expireTimestamp: number | null;
  /** Offset of the record in `__consumer_offsets` (orders concurrent commits of one partition). */
  recordOffset: bigint;
}

type TopicOffsets = Map<number, OffsetEntry>;
type GroupOffsets = Map<string, TopicOffsets>;

export class OffsetStore {
  private readonly byGroup = new Map<string, GroupOffsets>();
  /** producerId -> group -> topic -> partition -> offset. */
  private readonly pending = new Map<bigint, Map<string, GroupOffsets>>();
  private readonly openTxnsByGroup = new Map<string, Set<bigint>>();

  get(group: string, topic: string, partition: number): OffsetEntry | undefined {
    return this.byGroup.get(group)?.get(topic)?.get(partition);
  }

  /** Stores an offset unless a later record for the same partition was applied already. */
  put(group: string, topic: string, partition: number, e: OffsetEntry): void {
    let g = this.byGroup.get(group);
    if (!g) {
      g = new Map();
      this.byGroup.set(group, g);
    }
    let t = g.get(topic);
    if (!t) {
      t = new Map();
      g.set(topic, t);
    }
    const prev = t.get(partition);
    if (prev && prev.recordOffset > e.recordOffset && e.recordOffset >= 0n) return;
    t.set(partition, e);
  }

  remove(group: string, topic: string, partition: number): OffsetEntry | undefined {
    const g = this.byGroup.get(group);
    const t = g?.get(topic);
    const prev = t?.get(partition);
    if (!t || !prev) return undefined;
    t.delete(partition);
    if (t.size === 0) g!.delete(topic);
    if (g!.size === 0) this.byGroup.delete(group);
    return prev;
  }

  /** The group's offsets (live map; do not change it). */
  group(group: string): ReadonlyMap<string, ReadonlyMap<number, OffsetEntry>> | undefined {
    return this.byGroup.get(group);
  }

  hasOffsets(group: string): boolean {
    return this.byGroup.has(group);
  }

  /** Removes and returns every offset of a group (for DeleteGroups). */
  takeGroup(group: string): GroupOffsets | undefined {
    const g = this.byGroup.get(group);
    this.byGroup.delete(group);
    return g;
  }

  restoreGroup(group: string, offsets: GroupOffsets): void {
    for (const [topic, parts] of offsets) for (const [p, e] of parts) this.put(group, topic, p, e);
  }

  groups(): IterableIterator<string> {
    return this.byGroup.keys();
  }

  /** Every (group, topic, partition) with a committed offset in a topic (for topic deletion). */
  *partitionsOfTopic(topic: string): Generator<{ group: string; partition: number }> {
    for (const [group, g] of this.byGroup) {
      const t = g.get(topic);
      if (t) for (const p of t.keys()) yield { group, partition: p };
    }
  }

  // ---- transactional offsets (used by TxnOffsetCommit and transaction markers)

  putPending(producerId: bigint, group: string, topic: string, partition: number, e: OffsetEntry): void {
    let byGroup = this.pending.get(producerId);
    if (!byGroup) {
      byGroup = new Map();
      this.pending.set(producerId, byGroup);
    }
    let g = byGroup.get(group);
    if (!g) {
      g = new Map();
      byGroup.set(group, g);
    }
    let t = g.get(topic);
    if (!t) {
      t = new Map();
      g.set(topic, t);
    }
    t.set(partition, e);
    let open = this.openTxnsByGroup.get(group);
    if (!open) {
      open = new Set();
      this.openTxnsByGroup.set(group, open);
    }
    open.add(producerId);
  }

  hasPending(group: string, topic: string, partition: number): boolean {
    const open = this.openTxnsByGroup.get(group);
    if (!open) return false;
    for (const pid of open) if (this.pending.get(pid)?.get(group)?.get(topic)?.has(partition)) return true;
    return false;
  }

  hasOpenTransactions(group: string): boolean {
    return (this.openTxnsByGroup.get(group)?.size ?? 0) > 0;
  }

  /** A transaction marker: commit moves the producer's pending offsets into the store, abort drops them. */
  completeTransaction(producerId: bigint, commit: boolean): void {
    const byGroup = this.pending.get(producerId);
    if (!byGroup) return;
    this.pending.delete(producerId);
    for (const [group, g] of byGroup) {
      const open = this.openTxnsByGroup.get(group);
      open?.delete(producerId);
      if (open && open.size === 0) this.openTxnsByGroup.delete(group);
      if (!commit) continue;
      for (const [topic, parts] of g) for (const [p, e] of parts) this.put(group, topic, p, e);
    }
  }

  /** Drops pending offsets of a partition (an offset tombstone also removes uncommitted transactional offsets). */
  removePending(group: string, topic: string, partition: number): void {
    const open = this.openTxnsByGroup.get(group);
    if (!open) return;
    for (const pid of open) this.pending.get(pid)?.get(group)?.get(topic)?.delete(partition);
  }

  get size(): number {
    let n = 0;
    for (const g of this.byGroup.values()) for (const t of g.values()) n += t.size;
    return n;
  }
}
