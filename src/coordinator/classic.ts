/**
 * The classic group protocol: JoinGroup, SyncGroup, Heartbeat and LeaveGroup over ClassicGroup, with
 * Kafka 4.x's rules:
 * - a dynamic member joining with an empty member id on JoinGroup v4+ gets MEMBER_ID_REQUIRED and a
 *   generated id, and is kept as a pending member on a session-timeout timer until it rejoins;
 * - the first rebalance of an empty group waits `group.initial.rebalance.delay.ms`, extended while
 *   members keep joining, up to the rebalance timeout;
 * - a rebalance completes when every known member has rejoined or the rebalance timeout (the
 *   largest of the members') runs out; dynamic members that did not rejoin are removed;
 * - the leader's SyncGroup assignment is written to `__consumer_offsets` before any member gets it
 *   (written, not fsynced: as in Kafka, a lost membership record only makes members rejoin);
 * - members must heartbeat within their session timeout; new members that never complete a join
 *   expire after 5 minutes; members that do not SyncGroup within the rebalance timeout are removed;
 * - static members (group.instance.id) keep their place across restarts; a newer instance with the
 *   same id fences the older one (FENCED_INSTANCE_ID).
 */
import { randomUUID } from "node:crypto";
import { ErrorCode } from "../protocol/error-codes.js";
import {
  ClassicGroup,
  ClassicMember,
  EMPTY_ASSIGNMENT,
  type JoinResult,
  joinError,
  type Protocol,
  type SyncResult,
  syncError,
} from "./classic-group.js";
import { CoordinatorError, errorCodeOf } from "./errors.js";
import type { ClientInfo, GroupCoordinator } from "./group-coordinator.js";
import { type CoordinatorRecord, groupMetadataRecord } from "./records.js";

/** Kafka's CLASSIC_GROUP_NEW_MEMBER_JOIN_TIMEOUT_MS. */
export const NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60 * 1000;

export interface JoinRequest {
  groupId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string;
  protocols: Protocol[];
  reason: string | null;
}

export interface SyncRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: Array<{ memberId: string; assignment: Buffer }>;
}

export interface LeaveMember {
  memberId: string;
  groupInstanceId: string | null;
  reason: string | null;
}

export interface LeaveResult {
  errorCode: number;
  members: Array<{ memberId: string; groupInstanceId: string | null; errorCode: number }>;
}

const hbKey = (g: string, m: string) => `classic-hb\u0000${g}\u0000${m}`;
const joinKey = (g: string) => `classic-join\u0000${g}`;
const syncKey = (g: string) => `classic-sync\u0000${g}`;

/** The GroupMetadataValue record of a classic group with the given assignment. */
export function classicGroupRecord(group: ClassicGroup, assignment: Map<string, Buffer>): CoordinatorRecord {
  return groupMetadataRecord(group.groupId, {
    protocolType: group.protocolType ?? "",
    generation: group.generationId,
    protocol: group.protocolName,
    leader: group.leaderId,
    currentStateTimestamp: group.currentStateTimestamp ?? -1,
    members: [...group.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      rebalanceTimeout: m.rebalanceTimeoutMs,
      sessionTimeout: m.sessionTimeoutMs,
      subscription: m.metadata(group.protocolName),
      assignment: assignment.get(m.memberId) ?? EMPTY_ASSIGNMENT,
    })),
  });
}

export class ClassicProtocol {
  constructor(private readonly c: GroupCoordinator) {}

  private get log() {
    return this.c.log;
  }

  // ---------------------------------------------------------------- JoinGroup

  join(req: JoinRequest, client: ClientInfo): Promise<JoinResult> {
    const c = this.c;
    if (!c.active) return Promise.resolve(joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, req.memberId));
    if (!req.groupId) return Promise.resolve(joinError(ErrorCode.INVALID_GROUP_ID, req.memberId));
    if (req.sessionTimeoutMs < c.minSessionTimeoutMs || req.sessionTimeoutMs > c.maxSessionTimeoutMs) {
      return Promise.resolve(joinError(ErrorCode.INVALID_SESSION_TIMEOUT, req.memberId));
    }
    return new Promise<JoinResult>((resolve) => {
      let answered = false;
      const respond = (r: JoinResult) => {
        if (answered) return;
        answered = true;
        resolve(r);
      };
      try {
        this.doJoin(req, client, respond);
      } catch (e) {
        this.log.error({ err: e, group: req.groupId }, "JoinGroup failed");
        respond(joinError(errorCodeOf(e, ErrorCode.UNKNOWN_SERVER_ERROR), req.memberId));
      }
    });
  }

  private doJoin(req: JoinRequest, client: ClientInfo, respond: (r: JoinResult) => void): void {
    const c = this.c;
    const records: CoordinatorRecord[] = [];
    const existing = c.groups.get(req.groupId);
    if (existing && existing.type === "consumer") {
      if (!existing.isEmpty) {
        // Brook keeps a group id on one protocol while it has members (no classic members inside a
        // KIP-848 group, which Kafka allows through its online migration).
        respond(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
        return;
      }
      records.push(...c.consumer.deleteEmptyGroup(existing));
    }
    const isUnknown = req.memberId === "";
    let group = c.classicGroup(req.groupId);
    const isNew = group === undefined;
    if (!group) {
      if (!isUnknown) {
        respond(joinError(ErrorCode.UNKNOWN_MEMBER_ID, req.memberId));
        return;
      }
      group = new ClassicGroup(req.groupId);
      c.groups.set(req.groupId, group);
      c.metrics.groupsCreated++;
    }
    let wrote = false;
    if (!this.acceptJoiningMember(group, req.memberId)) {
      group.remove(req.memberId);
      respond(joinError(ErrorCode.GROUP_MAX_SIZE_REACHED));
    } else if (isUnknown) {
      wrote = this.joinNewMember(group, req, client, respond, records);
    } else {
      wrote = this.joinExistingMember(group, req, client, respond);
    }
    if (!wrote && (isNew || records.length > 0)) {
      // Commit the new (empty) group to the log, as Kafka does; the answer does not wait for it.
      if (isNew) records.push(classicGroupRecord(group, new Map()));
      c.writeAndForget(group.groupId, records, "group metadata");
    }
  }

  private acceptJoiningMember(group: ClassicGroup, memberId: string): boolean {
    const max = this.c.maxGroupSize;
    switch (group.state) {
      case "Empty":
      case "Dead":
        return true;
      case "PreparingRebalance":
        return (
          (group.hasMember(memberId) && group.member(memberId).isAwaitingJoin) ||
          group.numAwaitingJoinResponse < max
        );
      default:
        return group.hasMember(memberId) || group.members.size < max;
    }
  }

  /** Returns true when it issued a write that includes `records`. */
  private joinNewMember(
    group: ClassicGroup,
    req: JoinRequest,
    client: ClientInfo,
    respond: (r: JoinResult) => void,
    records: CoordinatorRecord[],
  ): boolean {
    if (group.is("Dead")) {
      respond(joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
      return false;
    }
    if (
      !group.supportsProtocols(
        req.protocolType,
        req.protocols.map((p) => p.name),
      )
    ) {
      respond(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
      return false;
    }
    const newMemberId = `${req.groupInstanceId ?? client.clientId}-${randomUUID()}`;
    if (req.groupInstanceId !== null) {
      const existingId = group.staticMembers.get(req.groupInstanceId);
      if (existingId !== undefined) {
        this.log.info(
          {
            group: group.groupId,
            instance: req.groupInstanceId,
            old: existingId,
            member: newMemberId,
            state: group.state,
          },
          "static member rejoined with an unknown member id; replacing the previous member",
        );
        return this.updateStaticMember(group, req, client, existingId, newMemberId, respond, records);
      }
      this.addMember(group, req, client, newMemberId, respond);
      return false;
    }
    if (client.version >= 4) {
      // JoinGroup v4+: hand out the id and make the member come back with it.
      group.pendingJoinMembers.add(newMemberId);
      this.c.timers.schedule(hbKey(group.groupId, newMemberId), req.sessionTimeoutMs, () =>
        this.expireHeartbeat(group.groupId, newMemberId),
      );
      this.log.debug(
        { group: group.groupId, member: newMemberId },
        "new member must rejoin with its assigned id",
      );
      respond({ ...joinError(ErrorCode.MEMBER_ID_REQUIRED, newMemberId) });
      return false;
    }
    this.addMember(group, req, client, newMemberId, respond);
    return false;
  }

  private joinExistingMember(
    group: ClassicGroup,
    req: JoinRequest,
    client: ClientInfo,
    respond: (r: JoinResult) => void,
  ): boolean {
    const memberId = req.memberId;
    if (group.is("Dead")) {
      respond(joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, memberId));
      return false;
    }
    if (
      !group.supportsProtocols(
        req.protocolType,
        req.protocols.map((p) => p.name),
      )
    ) {
      respond(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, memberId));
      return false;
    }
    if (group.pendingJoinMembers.has(memberId)) {
      if (req.groupInstanceId !== null) {
        respond(joinError(ErrorCode.UNKNOWN_SERVER_ERROR, memberId));
        return false;
      }
      this.addMember(group, req, client, memberId, respond);
      return false;
    }
    const invalid = this.validateMember(group, memberId, req.groupInstanceId);
    if (invalid !== ErrorCode.NONE) {
      respond(joinError(invalid, memberId));
      return false;
    }
    const member = group.member(memberId);
    const reason = req.reason ?? "not provided";
    switch (group.state) {
      case "PreparingRebalance":
        this.updateMemberThenRebalance(
          group,
          member,
          req,
          respond,
          `member ${memberId} rejoined (${reason})`,
        );
        return false;
      case "CompletingRebalance":
        if (member.matches(req.protocols)) {
          // The member lost the JoinGroup answer: hand out the current generation again.
          respond(this.joinAnswer(group, memberId, group.isLeader(memberId)));
        } else {
          this.updateMemberThenRebalance(
            group,
            member,
            req,
            respond,
            `member ${memberId} changed its metadata`,
          );
        }
        return false;
      case "Stable":
        if (group.isLeader(memberId)) {
          this.updateMemberThenRebalance(
            group,
            member,
            req,
            respond,
            `leader ${memberId} rejoined (${reason})`,
          );
        } else if (!member.matches(req.protocols)) {
          this.updateMemberThenRebalance(
            group,
            member,
            req,
            respond,
            `member ${memberId} changed its metadata`,
          );
        } else {
          respond(this.joinAnswer(group, memberId, false));
        }
        return false;
      default:
        respond(joinError(ErrorCode.UNKNOWN_MEMBER_ID, memberId));
        return false;
    }
  }

  private joinAnswer(
    group: ClassicGroup,
    memberId: string,
    withMembers: boolean,
    skipAssignment = false,
  ): JoinResult {
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? "",
      skipAssignment,
      memberId,
      members: withMembers ? group.joinMembers() : [],
    };
  }

  /** FENCED_INSTANCE_ID / UNKNOWN_MEMBER_ID checks shared by Join, Sync, Heartbeat, Leave, OffsetCommit. */
  validateMember(group: ClassicGroup, memberId: string, groupInstanceId: string | null): number {
    if (groupInstanceId !== null) {
      const existing = group.staticMembers.get(groupInstanceId);
      if (existing === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (existing !== memberId) {
        this.log.info(
          { group: group.groupId, instance: groupInstanceId, member: memberId, current: existing },
          "static member fenced by a newer instance",
        );
        return ErrorCode.FENCED_INSTANCE_ID;
      }
    }
    return group.hasMember(memberId) ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
  }

  private addMember(
    group: ClassicGroup,
    req: JoinRequest,
    client: ClientInfo,
    memberId: string,
    respond: (r: JoinResult) => void,
  ): void {
    const c = this.c;
    const member = new ClassicMember(
      memberId,
      req.groupInstanceId,
      client.clientId,
      client.clientHost,
      req.rebalanceTimeoutMs,
      req.sessionTimeoutMs,
      req.protocolType,
      req.protocols,
    );
    member.isNew = true;
    if (group.is("PreparingRebalance") && group.previousState === "Empty") group.newMemberAdded = true;
    group.add(member, respond);
    c.metrics.joins++;
    this.log.info(
      {
        group: group.groupId,
        member: memberId,
        instance: req.groupInstanceId,
        clientId: member.clientId,
        state: group.state,
      },
      "member joined group",
    );
    // A new member has no id yet to heartbeat with; its JoinGroup is bounded by the new-member timeout.
    this.rescheduleHeartbeat(group, member, NEW_MEMBER_JOIN_TIMEOUT_MS);
    this.maybePrepareRebalanceOrCompleteJoin(
      group,
      `adding new member ${memberId} with group instance id ${req.groupInstanceId}; client reason: ${req.reason ?? "not provided"}`,
    );
  }

  private updateMemberThenRebalance(
    group: ClassicGroup,
    member: ClassicMember,
    req: JoinRequest,
    respond: (r: JoinResult) => void,
    reason: string,
  ): void {
    group.updateMember(member, req.protocols, req.rebalanceTimeoutMs, req.sessionTimeoutMs, respond);
    this.maybePrepareRebalanceOrCompleteJoin(group, reason);
  }

  private updateStaticMember(
    group: ClassicGroup,
    req: JoinRequest,
    client: ClientInfo,
    oldMemberId: string,
    newMemberId: string,
    respond: (r: JoinResult) => void,
    records: CoordinatorRecord[],
  ): boolean {
    const c = this.c;
    const currentLeader = group.leaderId;
    const member = group.replaceStaticMember(
      req.groupInstanceId!,
      oldMemberId,
      newMemberId,
      ErrorCode.FENCED_INSTANCE_ID,
    );
    c.timers.cancel(hbKey(group.groupId, oldMemberId));
    this.rescheduleHeartbeat(group, member);
    const old = {
      protocols: member.protocols,
      rebalanceTimeoutMs: member.rebalanceTimeoutMs,
      sessionTimeoutMs: member.sessionTimeoutMs,
      clientId: member.clientId,
      clientHost: member.clientHost,
    };
    member.clientId = client.clientId;
    member.clientHost = client.clientHost;
    group.updateMember(member, req.protocols, req.rebalanceTimeoutMs, req.sessionTimeoutMs, respond);

    if (group.is("Stable")) {
      if ((group.protocolName ?? "") === group.selectProtocol()) {
        // Same protocol for the next generation: persist the new member id, no rebalance.
        const assignment = new Map(
          [...group.members.values()].map((m) => [m.memberId, m.assignment] as const),
        );
        records.push(classicGroupRecord(group, assignment));
        const write = c.write(group.groupId, records.splice(0), false);
        write.then(
          () => {
            const isLeader = group.isLeader(newMemberId);
            if (client.version >= 9) {
              group.completeJoin(member, this.joinAnswer(group, newMemberId, isLeader, isLeader));
            } else {
              group.completeJoin(member, {
                ...this.joinAnswer(group, newMemberId, false),
                leader: currentLeader ?? "",
              });
            }
          },
          (e: unknown) => {
            this.log.warn(
              { group: group.groupId, member: newMemberId, err: (e as Error).message },
              "failed to persist the replaced static member; reverting",
            );
            group.updateMember(member, old.protocols, old.rebalanceTimeoutMs, old.sessionTimeoutMs, null);
            member.clientId = old.clientId;
            member.clientHost = old.clientHost;
            const reverted = group.replaceStaticMember(
              req.groupInstanceId!,
              newMemberId,
              oldMemberId,
              ErrorCode.FENCED_INSTANCE_ID,
            );
            this.rescheduleHeartbeat(group, reverted);
            respond({
              ...joinError(errorCodeOf(e, ErrorCode.UNKNOWN_SERVER_ERROR), ""),
              generationId: group.generationId,
              protocolType: group.protocolType,
              protocolName: group.protocolName,
              leader: currentLeader ?? "",
            });
          },
        );
        return true;
      }
      this.maybePrepareRebalanceOrCompleteJoin(
        group,
        `group's selected protocol will change because static member ${newMemberId} joined with other protocols`,
      );
      return false;
    }
    if (group.is("CompletingRebalance")) {
      this.prepareRebalance(
        group,
        `updating metadata for static member ${newMemberId} with instance id ${req.groupInstanceId}`,
      );
      return false;
    }
    this.maybeCompleteJoinPhase(group);
    return false;
  }

  // ---------------------------------------------------------------- rebalance machinery

  private maybePrepareRebalanceOrCompleteJoin(group: ClassicGroup, reason: string): void {
    if (group.canRebalance()) this.prepareRebalance(group, reason);
    else this.maybeCompleteJoinPhase(group);
  }

  prepareRebalance(group: ClassicGroup, reason: string): void {
    const c = this.c;
    if (group.is("CompletingRebalance"))
      this.resetAndPropagateAssignmentWithError(group, ErrorCode.REBALANCE_IN_PROGRESS);
    this.removeSyncExpiration(group);
    const initial = group.is("Empty");
    if (initial) {
      const delay = c.initialRebalanceDelayMs;
      const remaining = Math.max(group.rebalanceTimeoutMs() - delay, 0);
      c.timers.schedule(joinKey(group.groupId), delay, () =>
        this.tryCompleteInitialRebalance(group.groupId, delay, remaining),
      );
    }
    group.transitionTo("PreparingRebalance");
    c.metrics.rebalances++;
    this.log.info(
      { group: group.groupId, generation: group.generationId, members: group.members.size, reason },
      "preparing to rebalance group",
    );
    if (!initial) this.maybeCompleteJoinElseSchedule(group);
  }

  private maybeCompleteJoinElseSchedule(group: ClassicGroup): void {
    if (group.hasAllMembersJoined()) this.completeJoin(group);
    else {
      this.c.timers.schedule(joinKey(group.groupId), group.rebalanceTimeoutMs(), () =>
        this.completeJoinById(group.groupId),
      );
    }
  }

  private tryCompleteInitialRebalance(groupId: string, delayMs: number, remainingMs: number): void {
    const group = this.c.classicGroup(groupId);
    if (!group) return;
    if (group.newMemberAdded && remainingMs !== 0) {
      group.newMemberAdded = false;
      const nextDelay = Math.min(this.c.initialRebalanceDelayMs, remainingMs);
      const nextRemaining = Math.max(remainingMs - delayMs, 0);
      this.c.timers.schedule(joinKey(groupId), nextDelay, () =>
        this.tryCompleteInitialRebalance(groupId, nextDelay, nextRemaining),
      );
    } else {
      this.completeJoin(group);
    }
  }

  private maybeCompleteJoinPhase(group: ClassicGroup): void {
    if (!group.is("PreparingRebalance")) return;
    if (group.previousState === "Empty") return; // the initial rebalance completes on its timer
    if (!group.hasAllMembersJoined()) return;
    this.completeJoin(group);
  }

  private completeJoinById(groupId: string): void {
    const group = this.c.classicGroup(groupId);
    if (group) this.completeJoin(group);
  }

  /** End of the join phase: drop dynamic members that did not rejoin, start the next generation. */
  private completeJoin(group: ClassicGroup): void {
    const c = this.c;
    c.timers.cancel(joinKey(group.groupId));
    const missing = group.notYetRejoinedMembers().filter((m) => !m.isStatic);
    if (missing.length > 0) {
      for (const m of missing) {
        group.remove(m.memberId);
        c.timers.cancel(hbKey(group.groupId, m.memberId));
      }
      c.metrics.membersRemoved += missing.length;
      this.log.info(
        { group: group.groupId, members: missing.map((m) => m.memberId) },
        "removed members that did not rejoin during the rebalance",
      );
    }
    if (group.is("Dead")) return;
    if (!group.maybeElectNewJoinedLeader() && group.members.size > 0) {
      // Nobody rejoined (only static members that have not come back yet): wait another round.
      this.log.warn(
        { group: group.groupId },
        "group could not complete the rebalance because no member rejoined",
      );
      c.timers.schedule(joinKey(group.groupId), group.rebalanceTimeoutMs(), () =>
        this.completeJoinById(group.groupId),
      );
      return;
    }
    group.initNextGeneration();
    if (group.is("Empty")) {
      this.log.info({ group: group.groupId, generation: group.generationId }, "group is now empty");
      c.writeAndForget(group.groupId, [classicGroupRecord(group, new Map())], "empty group metadata");
      return;
    }
    this.log.info(
      {
        group: group.groupId,
        generation: group.generationId,
        members: group.members.size,
        protocol: group.protocolName,
        leader: group.leaderId,
      },
      "group stabilized its generation; awaiting the leader's assignment",
    );
    for (const m of [...group.members.values()]) {
      const answer = this.joinAnswer(group, m.memberId, group.isLeader(m.memberId));
      group.completeJoin(m, answer);
      this.rescheduleHeartbeat(group, m);
      m.isNew = false;
      group.pendingSyncMembers.add(m.memberId);
    }
    const generation = group.generationId;
    c.timers.schedule(syncKey(group.groupId), group.rebalanceTimeoutMs(), () =>
      this.expirePendingSync(group.groupId, generation),
    );
  }

  private expirePendingSync(groupId: string, generation: number): void {
    const group = this.c.classicGroup(groupId);
    if (!group || group.generationId !== generation) return;
    if (!group.is("CompletingRebalance") && !group.is("Stable")) return;
    if (group.pendingSyncMembers.size === 0) return;
    const missing = [...group.pendingSyncMembers];
    for (const id of missing) {
      group.remove(id);
      this.c.timers.cancel(hbKey(groupId, id));
    }
    this.c.metrics.membersRemoved += missing.length;
    this.log.info(
      { group: groupId, members: missing },
      "removed members that did not send SyncGroup in time",
    );
    this.prepareRebalance(group, `removing ${missing.join(", ")} on pending sync request expiration`);
  }

  private removeSyncExpiration(group: ClassicGroup): void {
    group.pendingSyncMembers.clear();
    this.c.timers.cancel(syncKey(group.groupId));
  }

  private resetAndPropagateAssignmentWithError(group: ClassicGroup, errorCode: number): void {
    for (const m of group.members.values()) m.assignment = EMPTY_ASSIGNMENT;
    this.propagateAssignment(group, errorCode);
  }

  private propagateAssignment(group: ClassicGroup, errorCode: number): void {
    const ok = errorCode === ErrorCode.NONE;
    for (const m of group.members.values()) {
      const sent = group.completeSync(m, {
        errorCode,
        protocolType: ok ? group.protocolType : null,
        protocolName: ok ? group.protocolName : null,
        assignment: m.assignment,
      });
      if (sent) this.rescheduleHeartbeat(group, m);
    }
  }

  rescheduleHeartbeat(group: ClassicGroup, member: ClassicMember, timeoutMs = member.sessionTimeoutMs): void {
    const groupId = group.groupId;
    const memberId = member.memberId;
    this.c.timers.schedule(hbKey(groupId, memberId), timeoutMs, () =>
      this.expireHeartbeat(groupId, memberId),
    );
  }

  private expireHeartbeat(groupId: string, memberId: string): void {
    const group = this.c.classicGroup(groupId);
    if (!group || group.is("Dead")) return;
    if (group.pendingJoinMembers.has(memberId)) {
      this.log.info({ group: groupId, member: memberId }, "pending member expired before rejoining");
      group.remove(memberId);
      if (group.is("PreparingRebalance") && group.hasAllMembersJoined()) this.completeJoin(group);
      return;
    }
    const member = group.members.get(memberId);
    if (!member || member.hasSatisfiedHeartbeat()) return;
    this.c.metrics.memberExpirations++;
    this.log.info(
      { group: groupId, member: memberId, sessionTimeoutMs: member.sessionTimeoutMs, state: group.state },
      "member session expired; removing it from the group",
    );
    this.removeMemberAndUpdateGroup(group, member, `removing member ${memberId} on heartbeat expiration`);
  }

  private removeMemberAndUpdateGroup(group: ClassicGroup, member: ClassicMember, reason: string): void {
    group.completeJoin(member, joinError(ErrorCode.UNKNOWN_MEMBER_ID));
    group.remove(member.memberId);
    if (group.is("Stable") || group.is("CompletingRebalance"))
      this.maybePrepareRebalanceOrCompleteJoin(group, reason);
    else if (group.is("PreparingRebalance") && group.hasAllMembersJoined()) this.completeJoin(group);
  }

  // ---------------------------------------------------------------- SyncGroup

  sync(req: SyncRequest, client: ClientInfo): Promise<SyncResult> {
    const c = this.c;
    if (!c.active) return Promise.resolve(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (!req.groupId) return Promise.resolve(syncError(ErrorCode.INVALID_GROUP_ID));
    // v5+: protocol type and name are mandatory.
    if (client.version >= 5 && (req.protocolType === null || req.protocolName === null)) {
      return Promise.resolve(syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    const g = c.groups.get(req.groupId);
    if (!g || g.isEmpty || g.type !== "classic") {
      // KIP-848 groups have no classic members in Brook.
      return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    }
    const group = g;
    const err = this.validateSync(group, req);
    if (err !== ErrorCode.NONE) return Promise.resolve(syncError(err));
    if (group.is("PreparingRebalance")) return Promise.resolve(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
    if (group.is("Stable")) {
      this.removePendingSyncMember(group, req.memberId);
      const m = group.member(req.memberId);
      return Promise.resolve({
        errorCode: ErrorCode.NONE,
        protocolType: group.protocolType,
        protocolName: group.protocolName,
        assignment: m.assignment,
      });
    }
    // CompletingRebalance: park the member until the leader's assignment is stored.
    return new Promise<SyncResult>((resolve) => {
      const member = group.member(req.memberId);
      // A second SyncGroup from the same member replaces the first (the first gets REBALANCE_IN_PROGRESS).
      if (member.syncWaiter) group.completeSync(member, syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      member.syncWaiter = resolve;
      this.removePendingSyncMember(group, req.memberId);
      if (!group.isLeader(req.memberId)) return;
      const assignment = new Map<string, Buffer>();
      for (const a of req.assignments) assignment.set(a.memberId, a.assignment);
      const missing: string[] = [];
      for (const m of group.members.values()) {
        if (!assignment.has(m.memberId)) {
          assignment.set(m.memberId, EMPTY_ASSIGNMENT);
          missing.push(m.memberId);
        }
      }
      if (missing.length > 0) {
        this.log.warn(
          { group: group.groupId, members: missing },
          "leader gave no assignment to some members; using empty ones",
        );
      }
      this.log.info(
        {
          group: group.groupId,
          leader: req.memberId,
          generation: group.generationId,
          members: group.members.size,
        },
        "assignment received from the group leader",
      );
      const generation = req.generationId;
      c.write(group.groupId, [classicGroupRecord(group, assignment)], false).then(
        () => {
          if (!group.is("CompletingRebalance") || group.generationId !== generation) return;
          for (const m of group.members.values())
            m.assignment = assignment.get(m.memberId) ?? EMPTY_ASSIGNMENT;
          this.propagateAssignment(group, ErrorCode.NONE);
          group.transitionTo("Stable");
          c.metrics.rebalancesCompleted++;
          this.log.info(
            { group: group.groupId, generation: group.generationId, members: group.members.size },
            "group is stable",
          );
        },
        (e: unknown) => {
          if (!group.is("CompletingRebalance") || group.generationId !== generation) return;
          const code = errorCodeOf(e, ErrorCode.UNKNOWN_SERVER_ERROR);
          this.log.warn(
            { group: group.groupId, err: (e as Error).message },
            "failed to store the group assignment",
          );
          this.resetAndPropagateAssignmentWithError(group, code);
          this.maybePrepareRebalanceOrCompleteJoin(group, `error ${code} when storing the group assignment`);
        },
      );
    });
  }

  private validateSync(group: ClassicGroup, req: SyncRequest): number {
    if (group.is("Dead")) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const err = this.validateMember(group, req.memberId, req.groupInstanceId);
    if (err !== ErrorCode.NONE) return err;
    if (req.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    const inconsistent = (a: string | null, b: string | null) => a !== null && b !== null && a !== b;
    if (
      inconsistent(req.protocolType, group.protocolType) ||
      inconsistent(req.protocolName, group.protocolName)
    ) {
      return ErrorCode.INCONSISTENT_GROUP_PROTOCOL;
    }
    return ErrorCode.NONE;
  }

  private removePendingSyncMember(group: ClassicGroup, memberId: string): void {
    group.pendingSyncMembers.delete(memberId);
    if (group.pendingSyncMembers.size === 0 || !(group.is("CompletingRebalance") || group.is("Stable"))) {
      this.c.timers.cancel(syncKey(group.groupId));
    }
  }

  // ---------------------------------------------------------------- Heartbeat

  heartbeat(req: {
    groupId: string;
    generationId: number;
    memberId: string;
    groupInstanceId: string | null;
  }): number {
    const c = this.c;
    if (!c.active) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (!req.groupId) return ErrorCode.INVALID_GROUP_ID;
    const g = c.groups.get(req.groupId);
    if (g?.type !== "classic") return ErrorCode.UNKNOWN_MEMBER_ID;
    if (g.is("Dead")) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const err = this.validateMember(g, req.memberId, req.groupInstanceId);
    if (err !== ErrorCode.NONE) return err;
    if (req.generationId !== g.generationId) return ErrorCode.ILLEGAL_GENERATION;
    c.metrics.heartbeats++;
    switch (g.state) {
      case "Empty":
        return ErrorCode.UNKNOWN_MEMBER_ID;
      case "PreparingRebalance":
        this.rescheduleHeartbeat(g, g.member(req.memberId));
        return ErrorCode.REBALANCE_IN_PROGRESS;
      default:
        this.rescheduleHeartbeat(g, g.member(req.memberId));
        return ErrorCode.NONE;
    }
  }

  // ---------------------------------------------------------------- LeaveGroup

  leave(groupId: string, members: LeaveMember[]): LeaveResult {
    const c = this.c;
    if (!c.active) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    if (!groupId) return { errorCode: ErrorCode.INVALID_GROUP_ID, members: [] };
    const g = c.groups.get(groupId);
    if (g?.type !== "classic") return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID, members: [] };
    const group = g;
    if (group.is("Dead")) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    const out: LeaveResult["members"] = [];
    for (const m of members) {
      const reason = m.reason ?? "not provided";
      if (m.memberId === "") {
        // Administrative removal of a static member by instance id.
        const id = m.groupInstanceId !== null ? group.staticMembers.get(m.groupInstanceId) : undefined;
        if (id !== undefined) {
          this.removeCurrentMember(group, id, reason);
          out.push({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: ErrorCode.NONE });
        } else {
          out.push({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            errorCode: ErrorCode.UNKNOWN_MEMBER_ID,
          });
        }
      } else if (group.pendingJoinMembers.has(m.memberId)) {
        group.remove(m.memberId);
        c.timers.cancel(hbKey(groupId, m.memberId));
        this.log.info({ group: groupId, member: m.memberId, reason }, "pending member left the group");
        out.push({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: ErrorCode.NONE });
      } else {
        const err = this.validateMember(group, m.memberId, m.groupInstanceId);
        if (err === ErrorCode.NONE) this.removeCurrentMember(group, m.memberId, reason);
        out.push({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: err });
      }
    }
    const left = out.filter((r) => r.errorCode === ErrorCode.NONE);
    if (left.length > 0) {
      const reason = `explicit LeaveGroup request for (${left.map((r) => r.memberId).join(", ")}) members`;
      if (group.is("Stable") || group.is("CompletingRebalance"))
        this.maybePrepareRebalanceOrCompleteJoin(group, reason);
      else if (group.is("PreparingRebalance")) this.maybeCompleteJoinPhase(group);
    }
    return { errorCode: ErrorCode.NONE, members: out };
  }

  private removeCurrentMember(group: ClassicGroup, memberId: string, reason: string): void {
    const member = group.member(memberId);
    this.c.timers.cancel(hbKey(group.groupId, memberId));
    this.log.info({ group: group.groupId, member: memberId, reason }, "member left the group");
    this.c.metrics.leaves++;
    group.completeJoin(member, joinError(ErrorCode.UNKNOWN_MEMBER_ID));
    group.remove(memberId);
  }

  // ---------------------------------------------------------------- load / unload

  /** After loading: members of a loaded group must heartbeat within their session timeout. */
  onLoaded(group: ClassicGroup): void {
    for (const m of group.members.values()) this.rescheduleHeartbeat(group, m);
    if (group.members.size > this.c.maxGroupSize) {
      this.prepareRebalance(
        group,
        `freshly-loaded group has more members than group.max.size (${this.c.maxGroupSize})`,
      );
    }
  }

  /** Shutdown: answer every parked JoinGroup and SyncGroup so clients look for the coordinator again. */
  unload(group: ClassicGroup): void {
    group.completeAllJoins(ErrorCode.NOT_COORDINATOR);
    group.completeAllSyncs(ErrorCode.NOT_COORDINATOR);
  }

  /** Commits keep a classic member's session alive (Stable and PreparingRebalance). */
  touchOnCommit(group: ClassicGroup, memberId: string): void {
    if ((group.is("Stable") || group.is("PreparingRebalance")) && group.hasMember(memberId)) {
      this.rescheduleHeartbeat(group, group.member(memberId));
    }
  }

  /** The validation OffsetCommit (and TxnOffsetCommit) applies to a classic group. */
  validateOffsetCommit(
    group: ClassicGroup,
    memberId: string,
    groupInstanceId: string | null,
    generationId: number,
    transactional: boolean,
  ): void {
    if (group.is("Dead")) throw new CoordinatorError(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (generationId < 0 && group.is("Empty")) return; // admin client or a consumer without group management
    if (generationId >= 0 || memberId !== "" || groupInstanceId !== null) {
      const err = this.validateMember(group, memberId, groupInstanceId);
      if (err !== ErrorCode.NONE) throw new CoordinatorError(err);
      if (generationId !== group.generationId) throw new CoordinatorError(ErrorCode.ILLEGAL_GENERATION);
    } else if (!transactional && !group.is("Empty")) {
      throw new CoordinatorError(ErrorCode.UNKNOWN_MEMBER_ID);
    }
    if (!transactional && group.is("CompletingRebalance"))
      throw new CoordinatorError(ErrorCode.REBALANCE_IN_PROGRESS);
  }
}
