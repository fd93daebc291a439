/**
 * A classic-protocol group (JoinGroup/SyncGroup/Heartbeat/LeaveGroup) and its members: the data and
 * the small invariants Kafka keeps on it (supported-protocol counts, members awaiting a JoinGroup
 * answer, the static-member index, pending members). The rebalance logic that moves a group between
 * states lives in group-coordinator.ts.
 *
 * States (protocol-notes section g): Empty, PreparingRebalance, CompletingRebalance, Stable, Dead.
 */
import { CONSUMER_PROTOCOL_TYPE, decodeSubscription } from "../protocol/embedded/consumer-protocol.js";

export type ClassicState = "Empty" | "PreparingRebalance" | "CompletingRebalance" | "Stable" | "Dead";

const VALID_PREVIOUS: Record<ClassicState, ClassicState[]> = {
  Empty: ["PreparingRebalance"],
  PreparingRebalance: ["Empty", "Stable", "CompletingRebalance"],
  CompletingRebalance: ["PreparingRebalance"],
  Stable: ["CompletingRebalance"],
  Dead: ["Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead"],
};

export const EMPTY_ASSIGNMENT = Buffer.alloc(0);

export interface Protocol {
  name: string;
  metadata: Buffer;
}

export interface JoinResult {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  skipAssignment: boolean;
  memberId: string;
  members: Array<{ memberId: string; groupInstanceId: string | null; metadata: Buffer }>;
}

export interface SyncResult {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export function joinError(errorCode: number, memberId = ""): JoinResult {
  return {
    errorCode,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leader: "",
    skipAssignment: false,
    memberId,
    members: [],
  };
}

export function syncError(errorCode: number): SyncResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_ASSIGNMENT };
}

export class ClassicMember {
  assignment: Buffer = EMPTY_ASSIGNMENT;
  joinWaiter: ((r: JoinResult) => void) | null = null;
  syncWaiter: ((r: SyncResult) => void) | null = null;
  /** Joined but not yet through a completed join phase: expires on the new-member join timeout. */
  isNew = false;

  constructor(
    readonly memberId: string,
    readonly groupInstanceId: string | null,
    public clientId: string,
    public clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    readonly protocolType: string,
    public protocols: Protocol[],
  ) {}

  get isAwaitingJoin(): boolean {
    return this.joinWaiter !== null;
  }

  get isAwaitingSync(): boolean {
    return this.syncWaiter !== null;
  }

  get isStatic(): boolean {
    return this.groupInstanceId !== null;
  }

  /** Metadata for a protocol the member supports (empty when it does not). */
  metadata(protocolName: string | null): Buffer {
    if (protocolName === null) return EMPTY_ASSIGNMENT;
    return this.protocols.find((p) => p.name === protocolName)?.metadata ?? EMPTY_ASSIGNMENT;
  }

  /** Same protocols with the same metadata, in the same order. */
  matches(protocols: Protocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false;
    return protocols.every(
      (p, i) => p.name === this.protocols[i]!.name && p.metadata.equals(this.protocols[i]!.metadata),
    );
  }

  /** The member's first preference among the candidates. */
  vote(candidates: Set<string>): string {
    const p = this.protocols.find((x) => candidates.has(x.name));
    if (!p) throw new Error(`member ${this.memberId} supports none of the candidate protocols`);
    return p.name;
  }

  /** A session is kept only by members parked in a JoinGroup or SyncGroup; anyone else must heartbeat. */
  hasSatisfiedHeartbeat(): boolean {
    if (this.isNew) return false;
    return this.isAwaitingJoin || this.isAwaitingSync;
  }
}

export class ClassicGroup {
  readonly type = "classic" as const;
  state: ClassicState;
  previousState: ClassicState | null = null;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leaderId: string | null;
  currentStateTimestamp: number | null;
  readonly members = new Map<string, ClassicMember>();
  /** group.instance.id -> member id. */
  readonly staticMembers = new Map<string, string>();
  /** Members told MEMBER_ID_REQUIRED that have not joined with their id yet. */
  readonly pendingJoinMembers = new Set<string>();
  readonly pendingSyncMembers = new Set<string>();
  private readonly supportedProtocols = new Map<string, number>();
  private numAwaitingJoin = 0;
  /** During the initial rebalance: a member joined since the delay timer was last set. */
  newMemberAdded = false;
  subscribedTopics: Set<string> | null = null;

  constructor(
    readonly groupId: string,
    o: {
      state?: ClassicState;
      generationId?: number;
      protocolType?: string | null;
      protocolName?: string | null;
      leaderId?: string | null;
      currentStateTimestamp?: number | null;
    } = {},
  ) {
    this.state = o.state ?? "Empty";
    this.generationId = o.generationId ?? 0;
    this.protocolType = o.protocolType ?? null;
    this.protocolName = o.protocolName ?? null;
    this.leaderId = o.leaderId ?? null;
    this.currentStateTimestamp = o.currentStateTimestamp ?? null;
  }

  is(state: ClassicState): boolean {
    return this.state === state;
  }

  get isEmpty(): boolean {
    return this.state === "Empty";
  }

  /** A simple group: created by a standalone offset commit, never joined. */
  get isSimple(): boolean {
    return this.protocolType === null;
  }

  transitionTo(next: ClassicState, now = Date.now()): void {
    if (!VALID_PREVIOUS[next].includes(this.state)) {
      throw new Error(`group ${this.groupId}: invalid transition ${this.state} -> ${next}`);
    }
    this.previousState = this.state;
    this.state = next;
    this.currentStateTimestamp = now;
  }

  canRebalance(): boolean {
    return VALID_PREVIOUS.PreparingRebalance.includes(this.state);
  }

  hasMember(memberId: string): boolean {
    return this.members.has(memberId);
  }

  member(memberId: string): ClassicMember {
    const m = this.members.get(memberId);
    if (!m) throw new Error(`group ${this.groupId} has no member ${memberId}`);
    return m;
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  get numAwaitingJoinResponse(): number {
    return this.numAwaitingJoin;
  }

  add(member: ClassicMember, waiter: ((r: JoinResult) => void) | null): void {
    if (member.groupInstanceId !== null) {
      if (this.staticMembers.has(member.groupInstanceId)) {
        throw new Error(`static member ${member.groupInstanceId} is already in group ${this.groupId}`);
      }
      this.staticMembers.set(member.groupInstanceId, member.memberId);
    }
    if (this.members.size === 0) this.protocolType = member.protocolType;
    if (this.leaderId === null) this.leaderId = member.memberId;
    this.members.set(member.memberId, member);
    this.incrementProtocols(member);
    member.joinWaiter = waiter;
    if (member.isAwaitingJoin) this.numAwaitingJoin++;
    this.pendingJoinMembers.delete(member.memberId);
  }

  remove(memberId: string): void {
    const m = this.members.get(memberId);
    if (m) {
      this.members.delete(memberId);
      this.decrementProtocols(m);
      if (m.isAwaitingJoin) this.numAwaitingJoin--;
      if (m.groupInstanceId !== null) this.staticMembers.delete(m.groupInstanceId);
    }
    if (this.leaderId === memberId) {
      const next = this.members.keys().next();
      this.leaderId = next.done ? null : next.value;
    }
    this.pendingJoinMembers.delete(memberId);
    this.pendingSyncMembers.delete(memberId);
  }

  /** Keeps the leader if it rejoined, else picks a member that did; false when nobody rejoined. */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    const leader = this.members.get(this.leaderId);
    if (leader?.isAwaitingJoin) return true;
    for (const m of this.members.values()) {
      if (m.isAwaitingJoin) {
        this.leaderId = m.memberId;
        return true;
      }
    }
    return false;
  }

  /** A static member rejoining with a new member id takes over the old member's place. */
  replaceStaticMember(
    groupInstanceId: string,
    oldMemberId: string,
    newMemberId: string,
    fenced: number,
  ): ClassicMember {
    const old = this.members.get(oldMemberId);
    if (!old) throw new Error(`cannot replace unknown member ${oldMemberId}`);
    this.members.delete(oldMemberId);
    this.completeJoin(old, {
      ...joinError(fenced, oldMemberId),
    });
    this.completeSync(old, syncError(fenced));
    const m = new ClassicMember(
      newMemberId,
      old.groupInstanceId,
      old.clientId,
      old.clientHost,
      old.rebalanceTimeoutMs,
      old.sessionTimeoutMs,
      old.protocolType,
      old.protocols,
    );
    m.assignment = old.assignment;
    this.members.set(newMemberId, m);
    if (this.leaderId === oldMemberId) this.leaderId = newMemberId;
    this.staticMembers.set(groupInstanceId, newMemberId);
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId);
    return m;
  }

  updateMember(
    member: ClassicMember,
    protocols: Protocol[],
    rebalanceTimeoutMs: number,
    sessionTimeoutMs: number,
    waiter: ((r: JoinResult) => void) | null,
  ): void {
    this.decrementProtocols(member);
    member.protocols = protocols;
    this.incrementProtocols(member);
    member.rebalanceTimeoutMs = rebalanceTimeoutMs;
    member.sessionTimeoutMs = sessionTimeoutMs;
    if (waiter !== null && !member.isAwaitingJoin) this.numAwaitingJoin++;
    else if (waiter === null && member.isAwaitingJoin) this.numAwaitingJoin--;
    member.joinWaiter = waiter;
  }

  completeJoin(member: ClassicMember, r: JoinResult): boolean {
    const w = member.joinWaiter;
    if (!w) return false;
    member.joinWaiter = null;
    this.numAwaitingJoin--;
    w(r);
    return true;
  }

  completeSync(member: ClassicMember, r: SyncResult): boolean {
    const w = member.syncWaiter;
    if (!w) return false;
    member.syncWaiter = null;
    w(r);
    return true;
  }

  completeAllJoins(errorCode: number): void {
    for (const m of this.members.values()) this.completeJoin(m, joinError(errorCode, m.memberId));
  }

  completeAllSyncs(errorCode: number): void {
    for (const m of this.members.values()) this.completeSync(m, syncError(errorCode));
  }

  hasAllMembersJoined(): boolean {
    return this.members.size === this.numAwaitingJoin && this.pendingJoinMembers.size === 0;
  }

  notYetRejoinedMembers(): ClassicMember[] {
    return [...this.members.values()].filter((m) => !m.isAwaitingJoin);
  }

  /** The largest rebalance timeout of the members (0 with no members). */
  rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) if (m.rebalanceTimeoutMs > max) max = m.rebalanceTimeoutMs;
    return max;
  }

  /** Can a member of this type, offering these protocols, join? */
  supportsProtocols(protocolType: string, protocols: Iterable<string>): boolean {
    const names = [...protocols];
    if (this.is("Empty")) return protocolType.length > 0 && names.length > 0;
    return (
      this.protocolType === protocolType &&
      names.some((n) => (this.supportedProtocols.get(n) ?? 0) === this.members.size)
    );
  }

  /** The protocol every member supports that most members prefer. */
  selectProtocol(): string {
    const candidates = new Set<string>();
    for (const [name, count] of this.supportedProtocols)
      if (count === this.members.size) candidates.add(name);
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const v = m.vote(candidates);
      votes.set(v, (votes.get(v) ?? 0) + 1);
    }
    let best: string | null = null;
    let bestVotes = -1;
    for (const [name, n] of votes) {
      if (n > bestVotes) {
        best = name;
        bestVotes = n;
      }
    }
    if (best === null) throw new Error(`group ${this.groupId} has no protocol every member supports`);
    return best;
  }

  /** Next generation: CompletingRebalance with a chosen protocol, or Empty when nobody is left. */
  initNextGeneration(now = Date.now()): void {
    this.generationId++;
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo("CompletingRebalance", now);
    } else {
      this.protocolName = null;
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo("Empty", now);
    }
    this.pendingSyncMembers.clear();
  }

  /** The JoinGroup member list the leader receives. */
  joinMembers(): JoinResult["members"] {
    return [...this.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: m.metadata(this.protocolName),
    }));
  }

  /**
   * Topics the group consumes, read from the members' consumer-protocol subscriptions; null when the
   * group does not use the consumer protocol or a subscription cannot be read.
   */
  computeSubscribedTopics(): Set<string> | null {
    if (this.protocolType !== CONSUMER_PROTOCOL_TYPE) return null;
    if (this.members.size === 0) return new Set();
    if (this.protocolName === null) return null;
    const topics = new Set<string>();
    try {
      for (const m of this.members.values()) {
        for (const t of decodeSubscription(m.metadata(this.protocolName)).topics) topics.add(t);
      }
    } catch {
      return null;
    }
    return topics;
  }

  /** Whether offsets of `topic` are in use (and so must not be deleted or expired). */
  isSubscribedToTopic(topic: string): boolean {
    if (this.subscribedTopics !== null) return this.subscribedTopics.has(topic);
    return this.protocolType === CONSUMER_PROTOCOL_TYPE;
  }

  private incrementProtocols(m: ClassicMember): void {
    for (const p of m.protocols)
      this.supportedProtocols.set(p.name, (this.supportedProtocols.get(p.name) ?? 0) + 1);
  }

  private decrementProtocols(m: ClassicMember): void {
    for (const p of m.protocols)
      this.supportedProtocols.set(p.name, (this.supportedProtocols.get(p.name) ?? 0) - 1);
  }
}
