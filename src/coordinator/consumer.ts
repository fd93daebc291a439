/**
 * The KIP-848 consumer group protocol: ConsumerGroupHeartbeat and ConsumerGroupDescribe.
 *
 * One heartbeat does, in order (as Kafka 4.x does):
 * 1. create or update the member; a changed subscription (or changed partition counts of the
 *    subscribed topics) bumps the group epoch;
 * 2. when the group epoch is ahead of the target assignment, run the server-side assignor over all
 *    members and store the new target (only the members whose target changed are written);
 * 3. move the member's current assignment towards its target: partitions to give up are first
 *    revoked (the member stays in its epoch until it stops reporting them), partitions still owned by
 *    another member wait (UNRELEASED_PARTITIONS), the rest are assigned with the new epoch.
 * Every change is written to `__consumer_offsets` (record types 3, 5, 6, 7, 8) before the answer
 * (written, not fsynced: a lost membership record only fences members, who rejoin).
 *
 * Epochs: memberEpoch 0 joins (or rejoins), -1 leaves, -2 is a static member leaving temporarily.
 * A heartbeat with an epoch the coordinator did not hand out gets FENCED_MEMBER_EPOCH, except the
 * previous epoch with a subset of the assigned partitions (the answer that bumped it may have been
 * lost). Sessions expire after `group.consumer.session.timeout.ms`; a member that does not revoke
 * partitions within its rebalance timeout is fenced.
 */
import { randomBytes } from "node:crypto";
import { ErrorCode } from "../protocol/error-codes.js";
import { type Assignment, SERVER_ASSIGNORS } from "./assignors.js";
import {
  assignmentEquals,
  ConsumerGroup,
  ConsumerMember,
  cloneAssignment,
  fromTopicPartitions,
  MemberState,
  toTopicPartitions,
} from "./consumer-group.js";
import { CoordinatorError, errorCodeOf } from "./errors.js";
import type { ClientInfo, GroupCoordinator } from "./group-coordinator.js";
import {
  type CoordinatorRecord,
  consumerGroupEpochRecord,
  consumerMemberRecord,
  currentMemberAssignmentRecord,
  targetAssignmentEpochRecord,
  targetAssignmentMemberRecord,
} from "./records.js";

export const LEAVE_GROUP_MEMBER_EPOCH = -1;
export const LEAVE_GROUP_STATIC_MEMBER_EPOCH = -2;

export interface ConsumerHeartbeatRequest {
  groupId: string;
  memberId: string;
  memberEpoch: number;
  instanceId: string | null;
  rackId: string | null;
  rebalanceTimeoutMs: number;
  subscribedTopicNames: string[] | null;
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
  topicPartitions: Array<{ topicId: string; partitions: number[] }> | null;
}

export interface ConsumerHeartbeatResponse {
  errorCode: number;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  assignment: { topicPartitions: Array<{ topicId: string; partitions: number[] }> } | null;
}

const sessionKey = (g: string, m: string) => `consumer-session\u0000${g}\u0000${m}`;
const rebalanceKey = (g: string, m: string) => `consumer-rebalance\u0000${g}\u0000${m}`;

/** Kafka's Uuid.toString(): 16 random bytes in URL-safe base64 without padding. */
function newMemberId(): string {
  return randomBytes(16).toString("base64url");
}

function memberMetadataValue(m: ConsumerMember) {
  return {
    instanceId: m.instanceId,
    rackId: m.rackId,
    clientId: m.clientId,
    clientHost: m.clientHost,
    subscribedTopicNames: m.subscribedTopicNames,
    subscribedTopicRegex: m.subscribedTopicRegex,
    rebalanceTimeoutMs: m.rebalanceTimeoutMs,
    serverAssignor: m.serverAssignor,
  };
}

function currentAssignmentValue(m: ConsumerMember) {
  return {
    memberEpoch: m.memberEpoch,
    previousMemberEpoch: m.previousMemberEpoch,
    state: m.state,
    assignedPartitions: toTopicPartitions(m.assigned),
    partitionsPendingRevocation: toTopicPartitions(m.pendingRevocation),
  };
}

export class ConsumerProtocol {
  /** Per group: a fingerprint of the subscribed topics' partition counts, to notice topic changes. */
  private readonly metadataFingerprint = new Map<string, string>();

  constructor(private readonly c: GroupCoordinator) {}

  private get log() {
    return this.c.log;
  }

  errorResponse(errorCode: number, message: string | null = null): ConsumerHeartbeatResponse {
    return {
      errorCode,
      errorMessage: message,
      memberId: null,
      memberEpoch: 0,
      heartbeatIntervalMs: 0,
      assignment: null,
    };
  }

  private validate(req: ConsumerHeartbeatRequest): void {
    const bad = (msg: string) => new CoordinatorError(ErrorCode.INVALID_REQUEST, msg);
    if (!req.groupId) throw bad("GroupId can't be empty.");
    if (req.instanceId === "") throw bad("InstanceId can't be empty.");
    if (req.rackId === "") throw bad("RackId can't be empty.");
    const e = req.memberEpoch;
    if (e > 0 || e === LEAVE_GROUP_MEMBER_EPOCH) {
      if (!req.memberId) throw bad("MemberId can't be empty.");
    } else if (e === 0) {
      if (req.rebalanceTimeoutMs === -1) throw bad("RebalanceTimeoutMs must be provided in first request.");
      if (req.topicPartitions === null || req.topicPartitions.length > 0) {
        throw bad("TopicPartitions must be empty when (re-)joining.");
      }
      // An empty list is a subscription too (a Java consumer whose pattern matches no topic yet).
      if (req.subscribedTopicNames === null && req.subscribedTopicRegex === null) {
        throw bad("Either SubscribedTopicNames or SubscribedTopicRegex must be non-null when (re-)joining.");
      }
    } else if (e === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
      if (!req.memberId) throw bad("MemberId can't be empty.");
      if (req.instanceId === null) throw bad("InstanceId can't be null.");
    } else {
      throw bad("MemberEpoch is invalid.");
    }
    if (req.serverAssignor !== null && !this.c.consumerAssignors.includes(req.serverAssignor)) {
      throw new CoordinatorError(
        ErrorCode.UNSUPPORTED_ASSIGNOR,
        `ServerAssignor ${req.serverAssignor} is not supported. Supported assignors: ${this.c.consumerAssignors.join(", ")}.`,
      );
    }
    if (req.subscribedTopicRegex !== null) {
      try {
        new RegExp(req.subscribedTopicRegex);
      } catch {
        throw new CoordinatorError(
          ErrorCode.INVALID_REGULAR_EXPRESSION,
          `SubscribedTopicRegex ${req.subscribedTopicRegex} is not a valid regular expression.`,
        );
      }
    }
  }

  async heartbeat(req: ConsumerHeartbeatRequest, client: ClientInfo): Promise<ConsumerHeartbeatResponse> {
    const c = this.c;
    if (!c.active) return this.errorResponse(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (!c.rebalanceProtocols.includes("consumer")) {
      return this.errorResponse(ErrorCode.UNSUPPORTED_VERSION, "The consumer group protocol is disabled.");
    }
    const records: CoordinatorRecord[] = [];
    let response: ConsumerHeartbeatResponse;
    try {
      this.validate(req);
      if (
        req.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH ||
        req.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH
      ) {
        response = this.leave(req, records);
      } else {
        response = this.doHeartbeat(req, client, records);
      }
    } catch (e) {
      const code = errorCodeOf(e, ErrorCode.UNKNOWN_SERVER_ERROR);
      if (code === ErrorCode.UNKNOWN_SERVER_ERROR)
        this.log.error({ err: e, group: req.groupId }, "ConsumerGroupHeartbeat failed");
      return this.errorResponse(code, (e as Error).message);
    }
    if (records.length > 0) {
      try {
        await c.write(req.groupId, records, false);
      } catch (e) {
        return this.errorResponse(errorCodeOf(e, ErrorCode.UNKNOWN_SERVER_ERROR), (e as Error).message);
      }
    }
    return response;
  }

  /** The group, created on a join (memberEpoch 0); an empty classic group of that id is replaced. */
  private groupFor(groupId: string, create: boolean, records: CoordinatorRecord[]): ConsumerGroup {
    const c = this.c;
    const g = c.groups.get(groupId);
    if (g?.type === "consumer") return g;
    if (g && g.type === "classic") {
      if (!create || !g.isEmpty) {
        throw new CoordinatorError(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${groupId} is not a consumer group.`);
      }
      // An empty classic group becomes a consumer group (its offsets stay).
      records.push(...c.deleteGroupRecords(g, false));
      c.groups.delete(groupId);
    } else if (!g && !create) {
      throw new CoordinatorError(ErrorCode.GROUP_ID_NOT_FOUND, `Consumer group ${groupId} not found.`);
    }
    const group = new ConsumerGroup(groupId);
    c.groups.set(groupId, group);
    c.metrics.groupsCreated++;
    return group;
  }

  private doHeartbeat(
    req: ConsumerHeartbeatRequest,
    client: ClientInfo,
    records: CoordinatorRecord[],
  ): ConsumerHeartbeatResponse {
    const c = this.c;
    const now = Date.now();
    const joining = req.memberEpoch === 0;
    const group = this.groupFor(req.groupId, joining, records);
    const memberId = req.memberId || newMemberId();
    if (group.members.size >= c.consumerMaxGroupSize && !group.members.has(memberId)) {
      throw new CoordinatorError(
        ErrorCode.GROUP_MAX_SIZE_REACHED,
        `The consumer group has reached its maximum capacity of ${c.consumerMaxGroupSize} members.`,
      );
    }

    // ---- find or create the member
    let member: ConsumerMember;
    let isNew = false;
    if (req.instanceId === null) {
      const existing = group.members.get(memberId);
      if (!existing) {
        if (!joining)
          throw new CoordinatorError(
            ErrorCode.UNKNOWN_MEMBER_ID,
            `Member ${memberId} is not a member of group ${req.groupId}.`,
          );
        member = new ConsumerMember(memberId);
        isNew = true;
        this.log.info(
          { group: req.groupId, member: memberId, clientId: client.clientId },
          "member joined consumer group",
        );
      } else if (joining) {
        member = this.resetForRejoin(existing);
      } else {
        this.checkEpoch(existing, req.memberEpoch, req.topicPartitions);
        member = existing;
      }
    } else {
      const existingStatic = group.staticMember(req.instanceId);
      if (joining) {
        if (!existingStatic) {
          const byId = group.members.get(memberId);
          member = byId ? this.resetForRejoin(byId) : new ConsumerMember(memberId);
          isNew = !byId;
          this.log.info(
            { group: req.groupId, member: memberId, instance: req.instanceId },
            "static member joined consumer group",
          );
        } else if (existingStatic.memberId === memberId) {
          member = this.resetForRejoin(existingStatic);
        } else {
          if (existingStatic.memberEpoch !== LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
            throw new CoordinatorError(
              ErrorCode.UNRELEASED_INSTANCE_ID,
              `Static member ${memberId} with instance id ${req.instanceId} cannot join the group because the instance id is owned by ${existingStatic.memberId} member.`,
            );
          }
          // The static member comes back under a new member id: take over its place and target.
          member = existingStatic.copy(memberId);
          member.memberEpoch = 0;
          member.previousMemberEpoch = 0;
          const target = group.target.get(existingStatic.memberId) ?? new Map();
          this.removeMemberRecords(group, existingStatic.memberId, records);
          this.cancelTimers(group.groupId, existingStatic.memberId);
          group.removeMember(existingStatic.memberId, now);
          group.target.set(memberId, target);
          records.push(consumerMemberRecord(group.groupId, memberId, memberMetadataValue(member)));
          records.push(targetAssignmentMemberRecord(group.groupId, memberId, toTopicPartitions(target)));
          records.push(
            currentMemberAssignmentRecord(group.groupId, memberId, currentAssignmentValue(member)),
          );
          group.setMember(member);
          this.log.info(
            { group: req.groupId, instance: req.instanceId, old: existingStatic.memberId, member: memberId },
            "static member rejoined consumer group under a new member id",
          );
        }
      } else {
        if (!existingStatic) {
          throw new CoordinatorError(
            ErrorCode.UNKNOWN_MEMBER_ID,
            `Instance id ${req.instanceId} is unknown.`,
          );
        }
        if (existingStatic.memberId !== memberId) {
          throw new CoordinatorError(
            ErrorCode.FENCED_INSTANCE_ID,
            `Static member ${memberId} with instance id ${req.instanceId} was fenced by member ${existingStatic.memberId}.`,
          );
        }
        this.checkEpoch(existingStatic, req.memberEpoch, req.topicPartitions);
        member = existingStatic;
      }
    }

    // ---- 1. update the member's metadata
    const updated = member.copy();
    if (req.instanceId !== null) updated.instanceId = req.instanceId;
    if (req.rackId !== null) updated.rackId = req.rackId;
    if (req.rebalanceTimeoutMs !== -1) updated.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    if (req.serverAssignor !== null) updated.serverAssignor = req.serverAssignor;
    if (req.subscribedTopicNames !== null) updated.subscribedTopicNames = [...req.subscribedTopicNames];
    if (req.subscribedTopicRegex !== null) updated.subscribedTopicRegex = req.subscribedTopicRegex;
    updated.clientId = client.clientId;
    updated.clientHost = client.clientHost;

    let bump = false;
    if (isNew || !updated.sameMetadata(member)) {
      records.push(consumerMemberRecord(group.groupId, memberId, memberMetadataValue(updated)));
      const names = (a: string[]) => [...a].sort().join("\u0000");
      // As Kafka: a new member bumps the group epoch only if it subscribes to something.
      if (names(updated.subscribedTopicNames) !== names(member.subscribedTopicNames)) bump = true;
      if (updated.subscribedTopicRegex !== member.subscribedTopicRegex) bump = true;
    }
    if (!group.members.has(memberId) || member !== group.members.get(memberId)) {
      // A reset rejoin released partitions: record it and let the new state in.
      if (!isNew)
        records.push(currentMemberAssignmentRecord(group.groupId, memberId, currentAssignmentValue(updated)));
    }
    group.setMember(updated);

    const fingerprint = this.subscriptionFingerprint(group);
    if (fingerprint !== (this.metadataFingerprint.get(group.groupId) ?? "")) {
      this.metadataFingerprint.set(group.groupId, fingerprint);
      bump = true;
    }
    if (bump) {
      group.groupEpoch++;
      records.push(consumerGroupEpochRecord(group.groupId, group.groupEpoch));
      c.metrics.rebalances++;
      this.log.info({ group: group.groupId, epoch: group.groupEpoch }, "bumped consumer group epoch");
    }

    // ---- 2. target assignment
    if (group.groupEpoch > group.assignmentEpoch) this.updateTargetAssignment(group, records);
    const target = group.target.get(memberId) ?? new Map<string, Set<number>>();

    // ---- 3. reconcile
    let current = updated;
    if (!current.isReconciledTo(group.assignmentEpoch)) {
      const next = this.computeNextAssignment(group, current, target, req.topicPartitions);
      if (!next.sameAssignmentState(current)) {
        records.push(currentMemberAssignmentRecord(group.groupId, memberId, currentAssignmentValue(next)));
        group.setMember(next);
        if (next.state === MemberState.UNREVOKED_PARTITIONS) {
          const epoch = next.memberEpoch;
          c.timers.schedule(rebalanceKey(group.groupId, memberId), Math.max(next.rebalanceTimeoutMs, 0), () =>
            this.onRebalanceTimeout(group.groupId, memberId, epoch),
          );
        } else {
          c.timers.cancel(rebalanceKey(group.groupId, memberId));
        }
        this.log.debug(
          {
            group: group.groupId,
            member: memberId,
            epoch: next.memberEpoch,
            state: next.state,
            assigned: toTopicPartitions(next.assigned),
            revoking: toTopicPartitions(next.pendingRevocation),
          },
          "member assignment updated",
        );
      }
      current = next;
    }

    this.scheduleSession(group.groupId, memberId);
    c.metrics.heartbeats++;

    const full =
      joining ||
      (req.rebalanceTimeoutMs !== -1 && req.subscribedTopicNames !== null && req.topicPartitions !== null);
    const changed = !assignmentEquals(member.assigned, current.assigned) || isNew;
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId,
      memberEpoch: current.memberEpoch,
      heartbeatIntervalMs: c.consumerHeartbeatIntervalMs,
      assignment: full || changed ? { topicPartitions: toTopicPartitions(current.assigned) } : null,
    };
  }

  /** A member rejoining with epoch 0 under its own id starts over: no partitions, epoch 0. */
  private resetForRejoin(existing: ConsumerMember): ConsumerMember {
    const m = existing.copy();
    m.memberEpoch = 0;
    m.previousMemberEpoch = 0;
    m.state = MemberState.STABLE;
    m.assigned = new Map();
    m.pendingRevocation = new Map();
    return m;
  }

  private checkEpoch(
    member: ConsumerMember,
    received: number,
    owned: Array<{ topicId: string; partitions: number[] }> | null,
  ): void {
    if (received > member.memberEpoch) {
      throw new CoordinatorError(
        ErrorCode.FENCED_MEMBER_EPOCH,
        `The consumer group member has a greater member epoch (${received}) than the one known by the group coordinator (${member.memberEpoch}). The member must abandon all its partitions and rejoin.`,
      );
    }
    if (received < member.memberEpoch) {
      const subset = owned?.every((tp) =>
        tp.partitions.every((p) => member.assigned.get(tp.topicId)?.has(p) ?? false),
      );
      if (received !== member.previousMemberEpoch || !subset) {
        throw new CoordinatorError(
          ErrorCode.FENCED_MEMBER_EPOCH,
          `The consumer group member has a smaller member epoch (${received}) than the one known by the group coordinator (${member.memberEpoch}). The member must abandon all its partitions and rejoin.`,
        );
      }
    }
  }

  /** Topic ids a member subscribes to (names and regex, resolved against existing topics). */
  private subscribedTopicIds(m: ConsumerMember): Set<string> {
    const ids = new Set<string>();
    for (const name of m.subscribedTopicNames) {
      const t = this.c.broker.topic(name);
      if (t) ids.add(t.id);
    }
    if (m.subscribedTopicRegex !== null) {
      let re: RegExp;
      try {
        re = new RegExp(`^(?:${m.subscribedTopicRegex})$`);
      } catch {
        return ids;
      }
      for (const t of this.c.broker.topics()) {
        if (!t.name.startsWith("__") && re.test(t.name)) ids.add(t.id);
      }
    }
    return ids;
  }

  private subscriptionFingerprint(group: ConsumerGroup): string {
    const ids = new Set<string>();
    for (const m of group.members.values()) for (const id of this.subscribedTopicIds(m)) ids.add(id);
    return [...ids]
      .sort()
      .map((id) => `${id}:${this.c.broker.topicById(id)?.partitions ?? 0}`)
      .join(",");
  }

  private updateTargetAssignment(group: ConsumerGroup, records: CoordinatorRecord[]): void {
    const c = this.c;
    const started = performance.now();
    const assignorName = group.preferredAssignor(c.consumerAssignors[0] ?? "uniform");
    const assignor = SERVER_ASSIGNORS[assignorName] ?? SERVER_ASSIGNORS.uniform!;
    const partitionCounts = new Map<string, number>();
    const members = [...group.members.values()].map((m) => {
      const topics = this.subscribedTopicIds(m);
      for (const id of topics) partitionCounts.set(id, c.broker.topicById(id)?.partitions ?? 0);
      return { memberId: m.memberId, topics, current: group.target.get(m.memberId) ?? new Map() };
    });
    const result = assignor.assign({ members, partitionCounts });
    let changed = 0;
    for (const [memberId, assignment] of result) {
      const prev = group.target.get(memberId);
      if (!prev || !assignmentEquals(prev, assignment)) {
        group.target.set(memberId, assignment);
        records.push(targetAssignmentMemberRecord(group.groupId, memberId, toTopicPartitions(assignment)));
        changed++;
      }
    }
    group.assignmentEpoch = group.groupEpoch;
    records.push(targetAssignmentEpochRecord(group.groupId, group.assignmentEpoch));
    this.log.info(
      {
        group: group.groupId,
        epoch: group.assignmentEpoch,
        assignor: assignor.name,
        members: group.members.size,
        changed,
        ms: Math.round((performance.now() - started) * 100) / 100,
      },
      "computed a new target assignment",
    );
  }

  /** Kafka's CurrentAssignmentBuilder: one reconciliation step towards the target. */
  private computeNextAssignment(
    group: ConsumerGroup,
    member: ConsumerMember,
    target: Assignment,
    owned: Array<{ topicId: string; partitions: number[] }> | null,
  ): ConsumerMember {
    const ownsAny = (revoking: Assignment): boolean => {
      if (owned === null) return true;
      for (const tp of owned) {
        const s = revoking.get(tp.topicId);
        if (s && tp.partitions.some((p) => s.has(p))) return true;
      }
      return false;
    };
    const step = (epoch: number, current: Assignment): ConsumerMember => {
      let unreleased = false;
      const assigned: Assignment = new Map();
      const revoking: Assignment = new Map();
      const adding: Assignment = new Map();
      const topics = new Set([...target.keys(), ...current.keys()]);
      for (const t of topics) {
        const tgt = target.get(t) ?? new Set<number>();
        const cur = current.get(t) ?? new Set<number>();
        const keep = new Set([...cur].filter((p) => tgt.has(p)));
        const revoke = new Set([...cur].filter((p) => !keep.has(p)));
        const add = new Set<number>();
        for (const p of tgt) {
          if (keep.has(p)) continue;
          const owner = group.currentPartitionEpoch(t, p);
          // A partition still held by another member (or by this member under an old epoch entry).
          if (owner !== -1 && !(member.assigned.get(t)?.has(p) ?? false)) unreleased = true;
          else add.add(p);
        }
        if (keep.size > 0) assigned.set(t, keep);
        if (revoke.size > 0) revoking.set(t, revoke);
        if (add.size > 0) adding.set(t, add);
      }
      const next = member.copy();
      if (revoking.size > 0 && ownsAny(revoking)) {
        next.state = MemberState.UNREVOKED_PARTITIONS;
        next.previousMemberEpoch = member.memberEpoch;
        next.memberEpoch = epoch;
        next.assigned = assigned;
        next.pendingRevocation = revoking;
        return next;
      }
      for (const [t, s] of adding) {
        const a = assigned.get(t) ?? new Set<number>();
        for (const p of s) a.add(p);
        assigned.set(t, a);
      }
      next.state = unreleased ? MemberState.UNRELEASED_PARTITIONS : MemberState.STABLE;
      next.previousMemberEpoch = member.memberEpoch;
      next.memberEpoch = group.assignmentEpoch;
      next.assigned = assigned;
      next.pendingRevocation = new Map();
      return next;
    };
    switch (member.state) {
      case MemberState.STABLE:
        return member.memberEpoch !== group.assignmentEpoch
          ? step(member.memberEpoch, member.assigned)
          : member;
      case MemberState.UNREVOKED_PARTITIONS:
        if (ownsAny(member.pendingRevocation)) return member;
        return step(member.memberEpoch + 1, member.assigned);
      case MemberState.UNRELEASED_PARTITIONS:
        return step(member.memberEpoch, member.assigned);
      default:
        if (owned === null || owned.length > 0) {
          throw new CoordinatorError(
            ErrorCode.FENCED_MEMBER_EPOCH,
            "The consumer group member is in a unknown state. The member must abandon all its partitions and rejoin.",
          );
        }
        return step(group.assignmentEpoch, member.assigned);
    }
  }

  // ---------------------------------------------------------------- leaving and fencing

  private leave(req: ConsumerHeartbeatRequest, records: CoordinatorRecord[]): ConsumerHeartbeatResponse {
    const c = this.c;
    const g = c.groups.get(req.groupId);
    if (g?.type !== "consumer") {
      throw new CoordinatorError(ErrorCode.GROUP_ID_NOT_FOUND, `Consumer group ${req.groupId} not found.`);
    }
    const response: ConsumerHeartbeatResponse = {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId: req.memberId,
      memberEpoch: req.memberEpoch,
      heartbeatIntervalMs: 0,
      assignment: null,
    };
    let member: ConsumerMember | undefined;
    if (req.instanceId === null) {
      member = g.members.get(req.memberId);
      if (!member)
        throw new CoordinatorError(
          ErrorCode.UNKNOWN_MEMBER_ID,
          `Member ${req.memberId} is not a member of group ${req.groupId}.`,
        );
    } else {
      member = g.staticMember(req.instanceId);
      if (!member)
        throw new CoordinatorError(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${req.instanceId} is unknown.`);
      if (member.memberId !== req.memberId) {
        throw new CoordinatorError(
          ErrorCode.FENCED_INSTANCE_ID,
          `Static member ${req.memberId} with instance id ${req.instanceId} was fenced by member ${member.memberId}.`,
        );
      }
      if (req.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
        // Temporarily gone: keep its partitions until it comes back or its session expires.
        const m = member.copy();
        m.memberEpoch = LEAVE_GROUP_STATIC_MEMBER_EPOCH;
        records.push(currentMemberAssignmentRecord(g.groupId, m.memberId, currentAssignmentValue(m)));
        g.setMember(m);
        this.log.info(
          { group: g.groupId, member: m.memberId, instance: req.instanceId },
          "static member temporarily left consumer group",
        );
        return response;
      }
    }
    this.log.info({ group: g.groupId, member: member.memberId }, "member left consumer group");
    c.metrics.leaves++;
    this.fence(g, member.memberId, records);
    return response;
  }

  private removeMemberRecords(group: ConsumerGroup, memberId: string, records: CoordinatorRecord[]): void {
    records.push(currentMemberAssignmentRecord(group.groupId, memberId, null));
    records.push(targetAssignmentMemberRecord(group.groupId, memberId, null));
    records.push(consumerMemberRecord(group.groupId, memberId, null));
  }

  /**
   * Removes a member and bumps the group epoch so the others get its partitions. When it was the
   * last member, the (empty) target assignment moves to the new epoch at once, as in Kafka: no
   * heartbeat is left to compute it.
   */
  private fence(group: ConsumerGroup, memberId: string, records: CoordinatorRecord[]): void {
    this.removeMemberRecords(group, memberId, records);
    this.cancelTimers(group.groupId, memberId);
    group.removeMember(memberId);
    group.groupEpoch++;
    records.push(consumerGroupEpochRecord(group.groupId, group.groupEpoch));
    if (group.members.size === 0) {
      group.assignmentEpoch = group.groupEpoch;
      records.push(targetAssignmentEpochRecord(group.groupId, group.assignmentEpoch));
    }
    this.metadataFingerprint.set(group.groupId, this.subscriptionFingerprint(group));
  }

  private fenceAndWrite(groupId: string, memberId: string, reason: string): void {
    const g = this.c.groups.get(groupId);
    if (g?.type !== "consumer" || !g.members.has(memberId)) return;
    this.log.info({ group: groupId, member: memberId, reason }, "member fenced from consumer group");
    this.c.metrics.memberExpirations++;
    const records: CoordinatorRecord[] = [];
    this.fence(g, memberId, records);
    this.c.writeAndForget(groupId, records, "consumer group fencing");
  }

  private scheduleSession(groupId: string, memberId: string): void {
    this.c.timers.schedule(sessionKey(groupId, memberId), this.c.consumerSessionTimeoutMs, () =>
      this.fenceAndWrite(groupId, memberId, "the member session expired"),
    );
  }

  private onRebalanceTimeout(groupId: string, memberId: string, epoch: number): void {
    const g = this.c.groups.get(groupId);
    const m = g?.type === "consumer" ? g.members.get(memberId) : undefined;
    if (!m || m.memberEpoch !== epoch) return;
    this.fenceAndWrite(
      groupId,
      memberId,
      `it failed to transition from epoch ${epoch} within its rebalance timeout`,
    );
  }

  cancelTimers(groupId: string, memberId: string): void {
    this.c.timers.cancel(sessionKey(groupId, memberId));
    this.c.timers.cancel(rebalanceKey(groupId, memberId));
  }

  /** Tombstones for every record of a consumer group (DeleteGroups, or replacement by a classic group). */
  groupTombstones(group: ConsumerGroup): CoordinatorRecord[] {
    const records: CoordinatorRecord[] = [];
    for (const id of group.members.keys())
      records.push(currentMemberAssignmentRecord(group.groupId, id, null));
    for (const id of new Set([...group.members.keys(), ...group.target.keys()])) {
      records.push(targetAssignmentMemberRecord(group.groupId, id, null));
    }
    records.push(targetAssignmentEpochRecord(group.groupId, null));
    for (const id of group.members.keys()) records.push(consumerMemberRecord(group.groupId, id, null));
    records.push(consumerGroupEpochRecord(group.groupId, null));
    return records;
  }

  /** Removes an empty consumer group from memory and returns its tombstones (a classic join takes the id). */
  deleteEmptyGroup(group: ConsumerGroup): CoordinatorRecord[] {
    this.c.groups.delete(group.groupId);
    this.metadataFingerprint.delete(group.groupId);
    return this.groupTombstones(group);
  }

  forget(groupId: string): void {
    this.metadataFingerprint.delete(groupId);
  }

  /** After loading: every member must heartbeat within the session timeout. */
  onLoaded(group: ConsumerGroup): void {
    this.metadataFingerprint.set(group.groupId, this.subscriptionFingerprint(group));
    for (const m of group.members.values()) {
      this.scheduleSession(group.groupId, m.memberId);
      if (m.state === MemberState.UNREVOKED_PARTITIONS) {
        const epoch = m.memberEpoch;
        this.c.timers.schedule(
          rebalanceKey(group.groupId, m.memberId),
          Math.max(m.rebalanceTimeoutMs, 0),
          () => this.onRebalanceTimeout(group.groupId, m.memberId, epoch),
        );
      }
    }
  }

  // ---------------------------------------------------------------- offsets and describe

  validateOffsetCommit(
    group: ConsumerGroup,
    memberId: string,
    memberEpoch: number,
    transactional: boolean,
    version: number,
  ): void {
    if (memberEpoch < 0 && group.isEmpty) return;
    const member = group.members.get(memberId);
    if (!member)
      throw new CoordinatorError(
        ErrorCode.UNKNOWN_MEMBER_ID,
        `Member ${memberId} is not a member of group ${group.groupId}.`,
      );
    if (!transactional && version < 9) {
      throw new CoordinatorError(
        ErrorCode.UNSUPPORTED_VERSION,
        "OffsetCommit version 9 or above must be used by members using the modern group protocol",
      );
    }
    if (memberEpoch !== member.memberEpoch) {
      throw new CoordinatorError(
        ErrorCode.STALE_MEMBER_EPOCH,
        `The received member epoch ${memberEpoch} does not match the expected member epoch ${member.memberEpoch}.`,
      );
    }
  }

  validateOffsetFetch(group: ConsumerGroup, memberId: string | null, memberEpoch: number): void {
    if (memberId === null && memberEpoch < 0) return;
    const member = memberId === null ? undefined : group.members.get(memberId);
    if (!member)
      throw new CoordinatorError(
        ErrorCode.UNKNOWN_MEMBER_ID,
        `Member ${memberId} is not a member of group ${group.groupId}.`,
      );
    if (memberEpoch !== member.memberEpoch) {
      throw new CoordinatorError(
        ErrorCode.STALE_MEMBER_EPOCH,
        `The received member epoch ${memberEpoch} does not match the expected member epoch ${member.memberEpoch}.`,
      );
    }
  }

  describe(group: ConsumerGroup) {
    const c = this.c;
    const named = (a: Assignment) =>
      toTopicPartitions(a).map((tp) => ({
        topicId: tp.topicId,
        topicName: c.broker.topicById(tp.topicId)?.name ?? "",
        partitions: tp.partitions,
      }));
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      groupId: group.groupId,
      groupState: group.state,
      groupEpoch: group.groupEpoch,
      assignmentEpoch: group.assignmentEpoch,
      assignorName: group.preferredAssignor(c.consumerAssignors[0] ?? "uniform"),
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        instanceId: m.instanceId,
        rackId: m.rackId,
        memberEpoch: m.memberEpoch,
        clientId: m.clientId,
        clientHost: m.clientHost,
        subscribedTopicNames: m.subscribedTopicNames,
        subscribedTopicRegex: m.subscribedTopicRegex,
        assignment: { topicPartitions: named(m.assigned) },
        targetAssignment: { topicPartitions: named(group.target.get(m.memberId) ?? new Map()) },
        // 1: a member speaking the consumer protocol (0 would be a classic member, which Brook's
        // consumer groups do not hold).
        memberType: 1,
      })),
    };
  }

  // ---------------------------------------------------------------- replay (load)

  replayEpoch(groupId: string, epoch: number | null): void {
    const c = this.c;
    let g = c.groups.get(groupId);
    if (epoch === null) {
      if (g?.type === "consumer") c.groups.delete(groupId);
      return;
    }
    if (g?.type !== "consumer") {
      g = new ConsumerGroup(groupId);
      c.groups.set(groupId, g);
    }
    g.groupEpoch = epoch;
  }

  private replayGroup(groupId: string): ConsumerGroup {
    const c = this.c;
    let g = c.groups.get(groupId);
    if (g?.type !== "consumer") {
      g = new ConsumerGroup(groupId);
      c.groups.set(groupId, g);
    }
    return g;
  }

  replayMember(groupId: string, memberId: string, v: ReturnType<typeof memberMetadataValue> | null): void {
    const g = this.replayGroup(groupId);
    if (v === null) {
      g.removeMember(memberId);
      return;
    }
    const m = g.members.get(memberId)?.copy() ?? new ConsumerMember(memberId);
    m.instanceId = v.instanceId;
    m.rackId = v.rackId;
    m.clientId = v.clientId;
    m.clientHost = v.clientHost;
    m.subscribedTopicNames = [...v.subscribedTopicNames];
    m.subscribedTopicRegex = v.subscribedTopicRegex;
    m.rebalanceTimeoutMs = v.rebalanceTimeoutMs;
    m.serverAssignor = v.serverAssignor;
    g.setMember(m);
  }

  replayTargetEpoch(groupId: string, epoch: number | null): void {
    const g = this.replayGroup(groupId);
    g.assignmentEpoch = epoch ?? 0;
  }

  replayTargetMember(
    groupId: string,
    memberId: string,
    partitions: Array<{ topicId: string; partitions: number[] }> | null,
  ): void {
    const g = this.replayGroup(groupId);
    if (partitions === null) g.target.delete(memberId);
    else g.target.set(memberId, fromTopicPartitions(partitions));
  }

  replayCurrent(
    groupId: string,
    memberId: string,
    v: {
      memberEpoch: number;
      previousMemberEpoch: number;
      state: number;
      assignedPartitions: Array<{ topicId: string; partitions: number[] }>;
      partitionsPendingRevocation: Array<{ topicId: string; partitions: number[] }>;
    } | null,
  ): void {
    const g = this.replayGroup(groupId);
    const existing = g.members.get(memberId);
    if (v === null) {
      if (existing) {
        const m = existing.copy();
        m.assigned = new Map();
        m.pendingRevocation = new Map();
        g.setMember(m);
      }
      return;
    }
    const m = existing?.copy() ?? new ConsumerMember(memberId);
    m.memberEpoch = v.memberEpoch;
    m.previousMemberEpoch = v.previousMemberEpoch;
    m.state = (
      v.state === 0 || v.state === 1 || v.state === 2 ? v.state : MemberState.UNKNOWN
    ) as ConsumerMember["state"];
    m.assigned = fromTopicPartitions(v.assignedPartitions);
    m.pendingRevocation = fromTopicPartitions(v.partitionsPendingRevocation);
    g.setMember(m);
  }

  /** Drops members that only had assignment records (their metadata was deleted) after a load. */
  finishReplay(group: ConsumerGroup): void {
    for (const [id, m] of [...group.members]) {
      if (
        m.clientId === "" &&
        m.subscribedTopicNames.length === 0 &&
        m.subscribedTopicRegex === null &&
        m.rebalanceTimeoutMs === -1
      ) {
        group.removeMember(id);
      }
    }
    for (const id of [...group.target.keys()]) if (!group.members.has(id)) group.target.delete(id);
    void cloneAssignment;
  }
}
