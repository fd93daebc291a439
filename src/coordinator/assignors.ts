/**
 * Server-side partition assignors for KIP-848 consumer groups (`group.consumer.assignors`, selected
 * per group by the members' `serverAssignor`, default the first configured one):
 *
 * - uniform: every subscribed partition goes to exactly one member subscribed to its topic, counts
 *   per member differ by at most one wherever subscriptions allow, and a partition stays with its
 *   current owner unless balance requires the move (sticky).
 * - range: per topic, the subscribed members in member-id order get contiguous ranges, the first
 *   `partitions % members` one partition more; members with the same subscriptions therefore get the
 *   same partition numbers of every topic (co-partitioning).
 *
 * Both are pure functions of their input, so they are tested without a broker.
 */

/** topic id -> partitions. */
export type Assignment = Map<string, Set<number>>;

export interface AssignorMember {
  memberId: string;
  /** Topic ids the member is subscribed to (already resolved against existing topics). */
  topics: Set<string>;
  /** The member's current target assignment, for stickiness. */
  current: Assignment;
}

export interface AssignorInput {
  members: AssignorMember[];
  /** topic id -> partition count, for every subscribed topic that exists. */
  partitionCounts: Map<string, number>;
}

export interface ServerAssignor {
  readonly name: string;
  assign(input: AssignorInput): Map<string, Assignment>;
}

function emptyResult(members: AssignorMember[]): Map<string, Assignment> {
  return new Map(members.map((m) => [m.memberId, new Map<string, Set<number>>()]));
}

function add(a: Assignment, topic: string, p: number): void {
  let s = a.get(topic);
  if (!s) {
    s = new Set();
    a.set(topic, s);
  }
  s.add(p);
}

function remove(a: Assignment, topic: string, p: number): void {
  const s = a.get(topic);
  if (!s) return;
  s.delete(p);
  if (s.size === 0) a.delete(topic);
}

const byId = (a: AssignorMember, b: AssignorMember) =>
  a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0;

export const uniformAssignor: ServerAssignor = {
  name: "uniform",
  assign({ members, partitionCounts }) {
    const result = emptyResult(members);
    if (members.length === 0) return result;
    const sorted = [...members].sort(byId);
    const load = new Map<string, number>(sorted.map((m) => [m.memberId, 0]));
    const owner = new Map<string, string>(); // "topic\0p" -> member
    const key = (t: string, p: number) => `${t}\u0000${p}`;

    // 1. Keep current ownership where still valid (member subscribed, partition exists, not taken).
    for (const m of sorted) {
      for (const [topic, parts] of m.current) {
        const n = partitionCounts.get(topic);
        if (n === undefined || !m.topics.has(topic)) continue;
        for (const p of [...parts].sort((a, b) => a - b)) {
          if (p >= n || owner.has(key(topic, p))) continue;
          owner.set(key(topic, p), m.memberId);
          add(result.get(m.memberId)!, topic, p);
          load.set(m.memberId, load.get(m.memberId)! + 1);
        }
      }
    }

    // 2. Hand out the remaining partitions, most constrained topics first, to the least-loaded
    //    subscribed member.
    const subscribers = new Map<string, AssignorMember[]>();
    for (const topic of partitionCounts.keys()) {
      subscribers.set(
        topic,
        sorted.filter((m) => m.topics.has(topic)),
      );
    }
    const topics = [...partitionCounts.keys()]
      .filter((t) => subscribers.get(t)!.length > 0)
      .sort(
        (a, b) => subscribers.get(a)!.length - subscribers.get(b)!.length || (a < b ? -1 : a > b ? 1 : 0),
      );
    const leastLoaded = (cands: AssignorMember[], except?: string): AssignorMember | undefined => {
      let best: AssignorMember | undefined;
      for (const m of cands) {
        if (m.memberId === except) continue;
        if (!best || load.get(m.memberId)! < load.get(best.memberId)!) best = m;
      }
      return best;
    };
    for (const topic of topics) {
      const n = partitionCounts.get(topic)!;
      for (let p = 0; p < n; p++) {
        if (owner.has(key(topic, p))) continue;
        const m = leastLoaded(subscribers.get(topic)!)!;
        owner.set(key(topic, p), m.memberId);
        add(result.get(m.memberId)!, topic, p);
        load.set(m.memberId, load.get(m.memberId)! + 1);
      }
    }

    // 3. Balance: move a partition from a member to a less-loaded subscribed member while that
    //    reduces the difference by two or more. Each move lowers the sum of squared loads, so this ends.
    let moved = true;
    for (let round = 0; moved && round < 100_000; round++) {
      moved = false;
      const byLoad = [...sorted].sort((a, b) => load.get(b.memberId)! - load.get(a.memberId)! || byId(a, b));
      for (const heavy of byLoad) {
        const hl = load.get(heavy.memberId)!;
        const assigned = result.get(heavy.memberId)!;
        let done = false;
        for (const [topic, parts] of [...assigned]) {
          const target = leastLoaded(subscribers.get(topic) ?? [], heavy.memberId);
          if (!target || hl - load.get(target.memberId)! < 2) continue;
          const p = Math.max(...parts);
          remove(assigned, topic, p);
          add(result.get(target.memberId)!, topic, p);
          owner.set(key(topic, p), target.memberId);
          load.set(heavy.memberId, hl - 1);
          load.set(target.memberId, load.get(target.memberId)! + 1);
          done = true;
          break;
        }
        if (done) {
          moved = true;
          break;
        }
      }
    }
    return result;
  },
};

export const rangeAssignor: ServerAssignor = {
  name: "range",
  assign({ members, partitionCounts }) {
    const result = emptyResult(members);
    const sorted = [...members].sort(byId);
    for (const [topic, n] of [...partitionCounts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const subs = sorted.filter((m) => m.topics.has(topic));
      if (subs.length === 0) continue;
      const per = Math.floor(n / subs.length);
      const extra = n % subs.length;
      let next = 0;
      subs.forEach((m, i) => {
        const count = per + (i < extra ? 1 : 0);
        for (let k = 0; k < count; k++) add(result.get(m.memberId)!, topic, next++);
      });
    }
    return result;
  },
};

export const SERVER_ASSIGNORS: Record<string, ServerAssignor> = {
  uniform: uniformAssignor,
  range: rangeAssignor,
};
