/**
 * A KIP-848 consumer group (ConsumerGroupHeartbeat): the group epoch, the target assignment computed
 * by a server-side assignor, and each member's current assignment as it reconciles towards the
 * target. Partitions are identified by topic id.
 *
 * Group states: Empty (no members), Assigning (group epoch ahead of the target assignment),
 * Reconciling (some member not yet at the target), Stable.
 * Member states: STABLE (0), UNREVOKED_PARTITIONS (1: must give up partitions first),
 * UNRELEASED_PARTITIONS (2: waits for partitions another member still owns).
 */
import type { Assignment } from "./assignors.js";

export const MemberState = {
  STABLE: 0,
  UNREVOKED_PARTITIONS: 1,
  UNRELEASED_PARTITIONS: 2,
  UNKNOWN: 127,
} as const;
export type MemberStateCode = (typeof MemberState)[keyof typeof MemberState];

export type ConsumerGroupState = "Empty" | "Assigning" | "Reconciling" | "Stable" | "Dead";

export function cloneAssignment(a: Assignment): Assignment {
  return new Map([...a].map(([t, s]) => [t, new Set(s)]));
}

export function assignmentEquals(a: Assignment, b: Assignment): boolean {
  if (a.size !== b.size) return false;
  for (const [t, s] of a) {
    const o = b.get(t);
    if (!o || o.size !== s.size) return false;
    for (const p of s) if (!o.has(p)) return false;
  }
  return true;
}

export function assignmentSize(a: Assignment): number {
  let n = 0;
  for (const s of a.values()) n += s.size;
  return n;
}

export function toTopicPartitions(a: Assignment): Array<{ topicId: string; partitions: number[] }> {
  return [...a]
    .filter(([, s]) => s.size > 0)
    .map(([topicId, s]) => ({ topicId, partitions: [...s].sort((x, y) => x - y) }));
}

export function fromTopicPartitions(list: Array<{ topicId: string; partitions: number[] }>): Assignment {
  const a: Assignment = new Map();
  for (const tp of list) {
    if (tp.partitions.length === 0) continue;
    let s = a.get(tp.topicId);
    if (!s) {
      s = new Set();
      a.set(tp.topicId, s);
    }
    for (const p of tp.partitions) s.add(p);
  }
  return a;
}

export class ConsumerMember {
  instanceId: string | null = null;
  rackId: string | null = null;
  clientId = "";
  clientHost = "";
  subscribedTopicNames: string[] = [];
  subscribedTopicRegex: string | null = null;
  rebalanceTimeoutMs = -1;
  serverAssignor: string | null = null;
  memberEpoch = 0;
  previousMemberEpoch = 0;
  state: MemberStateCode = MemberState.STABLE;
  assigned: Assignment = new Map();
  pendingRevocation: Assignment = new Map();

  constructor(readonly memberId: string) {}

  isReconciledTo(epoch: number): boolean {
    return this.state === MemberState.STABLE && this.memberEpoch === epoch;
  }

  copy(memberId = this.memberId): ConsumerMember {
    const m = new ConsumerMember(memberId);
    m.instanceId = this.instanceId;
    m.rackId = this.rackId;
    m.clientId = this.clientId;
    m.clientHost = this.clientHost;
    m.subscribedTopicNames = [...this.subscribedTopicNames];
    m.subscribedTopicRegex = this.subscribedTopicRegex;
    m.rebalanceTimeoutMs = this.rebalanceTimeoutMs;
    m.serverAssignor = this.serverAssignor;
    m.memberEpoch = this.memberEpoch;
    m.previousMemberEpoch = this.previousMemberEpoch;
    m.state = this.state;
    m.assigned = cloneAssignment(this.assigned);
    m.pendingRevocation = cloneAssignment(this.pendingRevocation);
    return m;
  }

  /** Same subscription-related metadata (what the member metadata record carries). */
  sameMetadata(o: ConsumerMember): boolean {
    return (
      this.instanceId === o.instanceId &&
      this.rackId === o.rackId &&
      this.clientId === o.clientId &&
      this.clientHost === o.clientHost &&
      this.subscribedTopicRegex === o.subscribedTopicRegex &&
      this.rebalanceTimeoutMs === o.rebalanceTimeoutMs &&
      this.serverAssignor === o.serverAssignor &&
      this.subscribedTopicNames.length === o.subscribedTopicNames.length &&
      this.subscribedTopicNames.every((t, i) => t === o.subscribedTopicNames[i])
    );
  }

  sameAssignmentState(o: ConsumerMember): boolean {
    return (
      this.memberEpoch === o.memberEpoch &&
      this.previousMemberEpoch === o.previousMemberEpoch &&
      this.state === o.state &&
      assignmentEquals(this.assigned, o.assigned) &&
      assignmentEquals(this.pendingRevocation, o.pendingRevocation)
    );
  }
}

export class ConsumerGroup {
  readonly type = "consumer" as const;
  /**
   * Kafka 4.x starts a new group at epoch 1 (its target assignment at 0), so the first member's
   * join makes it epoch 2; replay overwrites both from the log.
   */
  groupEpoch = 1;
  assignmentEpoch = 0;
  readonly members = new Map<string, ConsumerMember>();
  readonly staticMembers = new Map<string, string>();
  /** member id -> target assignment. */
  readonly target = new Map<string, Assignment>();
  /** topic id -> partition -> epoch of the member that owns it (or still has to revoke it). */
  private readonly partitionEpochs = new Map<string, Map<number, number>>();
  /** Milliseconds when the group was last seen without members (offset expiry). */
  emptySince: number | null = null;

  constructor(readonly groupId: string) {}

  get state(): ConsumerGroupState {
    if (this.members.size === 0) return "Empty";
    if (this.groupEpoch > this.assignmentEpoch) return "Assigning";
    for (const m of this.members.values()) if (!m.isReconciledTo(this.assignmentEpoch)) return "Reconciling";
    return "Stable";
  }

  get isEmpty(): boolean {
    return this.members.size === 0;
  }

  currentPartitionEpoch(topicId: string, partition: number): number {
    return this.partitionEpochs.get(topicId)?.get(partition) ?? -1;
  }

  private addEpochs(a: Assignment, epoch: number): void {
    for (const [t, parts] of a) {
      let m = this.partitionEpochs.get(t);
      if (!m) {
        m = new Map();
        this.partitionEpochs.set(t, m);
      }
      for (const p of parts) m.set(p, epoch);
    }
  }

  private removeEpochs(a: Assignment, epoch: number): void {
    for (const [t, parts] of a) {
      const m = this.partitionEpochs.get(t);
      if (!m) continue;
      for (const p of parts) if (m.get(p) === epoch) m.delete(p);
      if (m.size === 0) this.partitionEpochs.delete(t);
    }
  }

  /** Adds or replaces a member, keeping the static-member index and partition epochs in step. */
  setMember(m: ConsumerMember): void {
    const old = this.members.get(m.memberId);
    if (old) {
      this.removeEpochs(old.assigned, old.memberEpoch);
      this.removeEpochs(old.pendingRevocation, old.memberEpoch);
      if (old.instanceId !== null && this.staticMembers.get(old.instanceId) === old.memberId) {
        this.staticMembers.delete(old.instanceId);
      }
    }
    this.members.set(m.memberId, m);
    if (m.instanceId !== null) this.staticMembers.set(m.instanceId, m.memberId);
    this.addEpochs(m.assigned, m.memberEpoch);
    this.addEpochs(m.pendingRevocation, m.memberEpoch);
    this.emptySince = null;
  }

  removeMember(memberId: string, now = Date.now()): ConsumerMember | undefined {
    const old = this.members.get(memberId);
    if (!old) return undefined;
    this.removeEpochs(old.assigned, old.memberEpoch);
    this.removeEpochs(old.pendingRevocation, old.memberEpoch);
    this.members.delete(memberId);
    this.target.delete(memberId);
    if (old.instanceId !== null && this.staticMembers.get(old.instanceId) === memberId) {
      this.staticMembers.delete(old.instanceId);
    }
    if (this.members.size === 0) this.emptySince = now;
    return old;
  }

  staticMember(instanceId: string): ConsumerMember | undefined {
    const id = this.staticMembers.get(instanceId);
    return id === undefined ? undefined : this.members.get(id);
  }

  /** Topic names subscribed to by any member (for offset expiry and OffsetDelete). */
  subscribedTopicNames(): Set<string> {
    const s = new Set<string>();
    for (const m of this.members.values()) for (const t of m.subscribedTopicNames) s.add(t);
    return s;
  }

  /** The assignor to use: the one most members name, else the broker default. */
  preferredAssignor(defaultName: string): string {
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      if (m.serverAssignor) votes.set(m.serverAssignor, (votes.get(m.serverAssignor) ?? 0) + 1);
    }
    let best = defaultName;
    let n = 0;
    for (const [name, c] of votes) {
      if (c > n) {
        best = name;
        n = c;
      }
    }
    return best;
  }
}
