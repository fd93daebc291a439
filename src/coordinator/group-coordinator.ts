/**
 * The group coordinator: one broker component ("groups") that owns every consumer group (classic and
 * KIP-848) and every committed offset, with their state kept in `__consumer_offsets`.
 *
 * Concurrency: all state changes happen on the event loop. A request changes the in-memory state
 * synchronously, then waits for the records describing the change to be written before it answers:
 * offset commits wait for the fsync and become visible only then; membership records (like Kafka's)
 * are not fsynced. Timers (sessions, rebalance deadlines, offset retention) run on the same loop.
 *
 * At start the coordinator replays `__consumer_offsets` (if it exists) before the broker listens, so
 * it never answers COORDINATOR_LOAD_IN_PROGRESS. At shutdown it answers every parked JoinGroup and
 * SyncGroup with NOT_COORDINATOR and stops accepting requests, so clients fail over cleanly.
 *
 * See docs/groups.md for the design and measured figures.
 */
import type { Logger } from "pino";
import type { Broker } from "../broker/broker.js";
import type { BrokerComponent } from "../broker/components.js";
import { ErrorCode } from "../protocol/error-codes.js";
import { ClassicProtocol } from "./classic.js";
import { ClassicGroup, ClassicMember } from "./classic-group.js";
import { ConsumerProtocol } from "./consumer.js";
import type { ConsumerGroup } from "./consumer-group.js";
import { CoordinatorError, errorCodeOf } from "./errors.js";
import { type OffsetEntry, OffsetStore } from "./offset-store.js";
import { OffsetsTopic, type RecordOrigin } from "./offsets-topic.js";
import {
  type CoordinatorRecord,
  type DecodedCoordinatorRecord,
  groupMetadataTombstone,
  offsetCommitRecord,
  offsetCommitTombstone,
} from "./records.js";
import { KeyedTimers } from "./timers.js";

export type Group = ClassicGroup | ConsumerGroup;

/** Who sent a request: what a member records about its client. */
export interface ClientInfo {
  clientId: string;
  /** Kafka's format: "/" + address. */
  clientHost: string;
  /** API version of the request. */
  version: number;
}

export interface CommitRequest {
  groupId: string;
  generationIdOrMemberEpoch: number;
  memberId: string;
  groupInstanceId: string | null;
  retentionTimeMs: number;
  topics: Array<{
    name: string;
    partitions: Array<{
      partitionIndex: number;
      committedOffset: bigint;
      committedLeaderEpoch: number;
      committedMetadata: string | null;
    }>;
  }>;
}

export interface PartitionResult {
  partitionIndex: number;
  errorCode: number;
}

export interface FetchedOffsets {
  groupId: string;
  errorCode: number;
  topics: Array<{
    name: string;
    partitions: Array<{
      partitionIndex: number;
      committedOffset: bigint;
      committedLeaderEpoch: number;
      metadata: string;
      errorCode: number;
    }>;
  }>;
}

export interface GroupCoordinatorMetrics {
  groupsCreated: number;
  joins: number;
  leaves: number;
  rebalances: number;
  rebalancesCompleted: number;
  memberExpirations: number;
  membersRemoved: number;
  heartbeats: number;
  offsetCommits: number;
  offsetsExpired: number;
  groupsDeleted: number;
  writeFailures: number;
}

export class GroupCoordinator implements BrokerComponent {
  readonly name = "groups";
  readonly groups = new Map<string, Group>();
  readonly offsets = new OffsetStore();
  readonly topic: OffsetsTopic;
  readonly timers: KeyedTimers;
  readonly log: Logger;
  readonly classic: ClassicProtocol;
  readonly consumer: ConsumerProtocol;
  readonly metrics: GroupCoordinatorMetrics = {
    groupsCreated: 0,
    joins: 0,
    leaves: 0,
    rebalances: 0,
    rebalancesCompleted: 0,
    memberExpirations: 0,
    membersRemoved: 0,
    heartbeats: 0,
    offsetCommits: 0,
    offsetsExpired: 0,
    groupsDeleted: 0,
    writeFailures: 0,
  };
  active = false;
  private readonly pendingWrites = new Set<Promise<unknown>>();
  private retentionTimer: NodeJS.Timeout | undefined;
  private offShutdown: (() => void) | undefined;

  constructor(readonly broker: Broker) {
    this.log = broker.logger.child({ component: "groups" });
    this.topic = new OffsetsTopic(broker);
    this.timers = new KeyedTimers((key, e) =>
      this.log.error({ err: e, timer: key.split("\u0000").join("/") }, "coordinator timer failed"),
    );
    this.classic = new ClassicProtocol(this);
    this.consumer = new ConsumerProtocol(this);
  }

  // ---------------------------------------------------------------- configuration

  private num(key: string): number {
    return this.broker.config.number(key);
  }
  get minSessionTimeoutMs(): number {
    return this.num("group.min.session.timeout.ms");
  }
  get maxSessionTimeoutMs(): number {
    return this.num("group.max.session.timeout.ms");
  }
  get initialRebalanceDelayMs(): number {
    return this.num("group.initial.rebalance.delay.ms");
  }
  get maxGroupSize(): number {
    return this.num("group.max.size");
  }
  get offsetMetadataMaxBytes(): number {
    return this.num("offset.metadata.max.bytes");
  }
  get offsetsRetentionMs(): number {
    return this.num("offsets.retention.minutes") * 60_000;
  }
  get consumerSessionTimeoutMs(): number {
    return this.num("group.consumer.session.timeout.ms");
  }
  get consumerHeartbeatIntervalMs(): number {
    return this.num("group.consumer.heartbeat.interval.ms");
  }
  get consumerMaxGroupSize(): number {
    return this.num("group.consumer.max.size");
  }
  get consumerAssignors(): string[] {
    const v = this.broker.config.value("group.consumer.assignors");
    return Array.isArray(v) ? v : ["uniform", "range"];
  }
  get rebalanceProtocols(): string[] {
    const v = this.broker.config.value("group.coordinator.rebalance.protocols");
    return Array.isArray(v) ? v : ["classic", "consumer"];
  }

  // ---------------------------------------------------------------- lifecycle

  async start(): Promise<void> {
    const stats = await this.topic.load({
      record: (rec, origin) => this.replay(rec, origin),
      marker: (producerId, commit) => this.offsets.completeTransaction(producerId, commit),
    });
    for (const g of this.groups.values()) {
      if (g.type === "classic") {
        g.subscribedTopics = g.computeSubscribedTopics();
        this.classic.onLoaded(g);
      } else {
        this.consumer.finishReplay(g);
        this.consumer.onLoaded(g);
      }
    }
    if (stats.partitions > 0) {
      this.log.info(
        { ...stats, groups: this.groups.size, offsets: this.offsets.size },
        "loaded groups and offsets from __consumer_offsets",
      );
    }
    this.offShutdown = this.broker.onShutdown(() => this.unload());
    const interval = this.num("offsets.retention.check.interval.ms");
    this.retentionTimer = setInterval(() => {
      this.cleanupGroupMetadata().catch((e) => this.log.warn({ err: e }, "offset expiry failed"));
    }, interval);
    this.retentionTimer.unref();
    this.active = true;
  }

  /** Stops answering and releases every parked request (called when broker shutdown begins). */
  unload(): void {
    if (!this.active) return;
    this.active = false;
    for (const g of this.groups.values()) if (g.type === "classic") this.classic.unload(g);
  }

  async close(): Promise<void> {
    this.unload();
    this.offShutdown?.();
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    this.timers.close();
    await Promise.allSettled([...this.pendingWrites]);
  }

  // ---------------------------------------------------------------- writes

  /**
   * Appends records for a group; with `durable` (the default: offsets) it resolves once they are
   * fsynced, else once written (membership records). Rejects with CoordinatorError.
   */
  write(groupId: string, records: CoordinatorRecord[], durable = true): Promise<bigint> {
    const p = this.topic.append(groupId, records, { durable });
    this.pendingWrites.add(p);
    p.then(
      () => this.pendingWrites.delete(p),
      () => {
        this.metrics.writeFailures++;
        this.pendingWrites.delete(p);
      },
    );
    return p;
  }

  /** A membership write nobody waits for (Kafka's "warn on failure" writes, e.g. an empty group's metadata). */
  writeAndForget(groupId: string, records: CoordinatorRecord[], what: string): void {
    if (records.length === 0) return;
    this.write(groupId, records, false).catch((e: unknown) =>
      this.log.warn({ group: groupId, err: (e as Error).message }, `failed to write ${what}`),
    );
  }

  classicGroup(groupId: string): ClassicGroup | undefined {
    const g = this.groups.get(groupId);
    return g?.type === "classic" ? g : undefined;
  }

  // ---------------------------------------------------------------- replay

  private replay(rec: DecodedCoordinatorRecord, origin: RecordOrigin): void {
    switch (rec.type) {
      case "offset": {
        if (rec.value === null) {
          this.offsets.remove(rec.group, rec.topic, rec.partition);
          this.offsets.removePending(rec.group, rec.topic, rec.partition);
          return;
        }
        if (!this.groups.has(rec.group)) this.groups.set(rec.group, new ClassicGroup(rec.group));
        const e: OffsetEntry = {
          offset: rec.value.offset,
          leaderEpoch: rec.value.leaderEpoch,
          metadata: rec.value.metadata,
          commitTimestamp: Number(rec.value.commitTimestamp),
          expireTimestamp: rec.value.expireTimestamp >= 0n ? Number(rec.value.expireTimestamp) : null,
          recordOffset: origin.offset,
        };
        if (origin.transactional && origin.producerId >= 0n) {
          this.offsets.putPending(origin.producerId, rec.group, rec.topic, rec.partition, e);
        } else {
          this.offsets.put(rec.group, rec.topic, rec.partition, e);
        }
        return;
      }
      case "group": {
        if (rec.value === null) {
          if (this.groups.get(rec.group)?.type === "classic") this.groups.delete(rec.group);
          return;
        }
        const v = rec.value;
        const group = new ClassicGroup(rec.group, {
          state: v.members.length > 0 ? "Stable" : "Empty",
          generationId: v.generation,
          protocolType: v.protocolType === "" ? null : v.protocolType,
          protocolName: v.protocol,
          leaderId: v.leader,
          currentStateTimestamp: v.currentStateTimestamp >= 0n ? Number(v.currentStateTimestamp) : null,
        });
        for (const m of v.members) {
          const member = new ClassicMember(
            m.memberId,
            m.groupInstanceId,
            m.clientId,
            m.clientHost,
            m.rebalanceTimeout > 0 ? m.rebalanceTimeout : m.sessionTimeout,
            m.sessionTimeout,
            v.protocolType,
            [{ name: v.protocol ?? "", metadata: m.subscription }],
          );
          member.assignment = m.assignment;
          group.add(member, null);
        }
        group.leaderId = v.leader;
        this.groups.set(rec.group, group);
        return;
      }
      case "consumer-group":
        this.consumer.replayEpoch(rec.group, rec.epoch);
        return;
      case "consumer-member":
        this.consumer.replayMember(rec.group, rec.memberId, rec.value);
        return;
      case "target-epoch":
        this.consumer.replayTargetEpoch(rec.group, rec.assignmentEpoch);
        return;
      case "target-member":
        this.consumer.replayTargetMember(rec.group, rec.memberId, rec.partitions);
        return;
      case "current-member":
        this.consumer.replayCurrent(rec.group, rec.memberId, rec.value);
        return;
      default:
        return;
    }
  }

  // ---------------------------------------------------------------- FindCoordinator

  /** Makes sure `__consumer_offsets` exists (created on first use, as Kafka does). */
  async ensureReady(): Promise<number> {
    if (!this.active) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    try {
      await this.topic.ensure();
      return ErrorCode.NONE;
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, "coordinator not available");
      return errorCodeOf(e, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    }
  }

  // ---------------------------------------------------------------- OffsetCommit

  /**
   * Commits offsets; unknown topics and partitions were already answered by the handler. Every
   * partition of the request gets the same group-level error when validation or the write fails.
   */
  async commitOffsets(
    req: CommitRequest,
    version: number,
  ): Promise<Array<{ name: string; partitions: PartitionResult[] }>> {
    const all = (code: number) =>
      req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code })),
      }));
    if (!this.active) return all(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    let group: Group | undefined;
    try {
      group = this.validateOffsetCommit(req, version);
    } catch (e) {
      return all(errorCodeOf(e, ErrorCode.UNKNOWN_SERVER_ERROR));
    }
    if (group.type === "classic") this.classic.touchOnCommit(group, req.memberId);

    const now = Date.now();
    const expire = req.retentionTimeMs === -1 ? null : now + req.retentionTimeMs;
    const maxMeta = this.offsetMetadataMaxBytes;
    const records: CoordinatorRecord[] = [];
    const applied: Array<{ topic: string; partition: number; entry: OffsetEntry }> = [];
    const out = req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        const metadata = p.committedMetadata ?? "";
        if (p.committedMetadata !== null && p.committedMetadata.length > maxMeta) {
          return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.OFFSET_METADATA_TOO_LARGE };
        }
        const entry: OffsetEntry = {
          offset: p.committedOffset,
          leaderEpoch: p.committedLeaderEpoch,
          metadata,
          commitTimestamp: now,
          expireTimestamp: expire,
          recordOffset: -1n,
        };
        records.push(
          offsetCommitRecord(req.groupId, t.name, p.partitionIndex, {
            offset: entry.offset,
            leaderEpoch: entry.leaderEpoch,
            metadata,
            commitTimestamp: now,
            expireTimestamp: expire,
          }),
        );
        applied.push({ topic: t.name, partition: p.partitionIndex, entry });
        return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE };
      }),
    }));
    if (records.length === 0) return out;
    try {
      const last = await this.write(req.groupId, records);
      const first = last - BigInt(records.length) + 1n;
      applied.forEach((a, i) => {
        a.entry.recordOffset = first + BigInt(i);
        this.offsets.put(req.groupId, a.topic, a.partition, a.entry);
      });
      this.metrics.offsetCommits += records.length;
      return out;
    } catch (e) {
      const code = errorCodeOf(e, ErrorCode.UNKNOWN_SERVER_ERROR);
      this.log.warn({ group: req.groupId, err: (e as Error).message }, "offset commit write failed");
      return out.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => (p.errorCode === ErrorCode.NONE ? { ...p, errorCode: code } : p)),
      }));
    }
  }

  private validateOffsetCommit(req: CommitRequest, version: number): Group {
    let group = this.groups.get(req.groupId);
    if (!group) {
      if (req.generationIdOrMemberEpoch < 0) {
        // A standalone commit (admin tools, assign() consumers): a "simple" group is created.
        this.log.info({ group: req.groupId }, "creating a simple consumer group via manual offset commit");
        group = new ClassicGroup(req.groupId);
        this.groups.set(req.groupId, group);
        this.metrics.groupsCreated++;
        return group;
      }
      throw new CoordinatorError(version >= 9 ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.ILLEGAL_GENERATION);
    }
    if (group.type === "classic") {
      this.classic.validateOffsetCommit(
        group,
        req.memberId,
        req.groupInstanceId,
        req.generationIdOrMemberEpoch,
        false,
      );
    } else {
      this.consumer.validateOffsetCommit(group, req.memberId, req.generationIdOrMemberEpoch, false, version);
    }
    return group;
  }

  // ---------------------------------------------------------------- TxnOffsetCommit (for the transactions coordinator)

  /**
   * TxnOffsetCommit: offsets written in the producer's transaction (a transactional batch on the
   * group's offsets partition), pending until a COMMIT or ABORT marker reaches that partition
   * (`completeTransaction`). Validation as Kafka's: a missing group with generation -1 becomes a simple
   * group, a missing group with a generation is ILLEGAL_GENERATION, members are checked as for
   * OffsetCommit (a KIP-848 epoch mismatch is reported as ILLEGAL_GENERATION).
   */
  async commitTransactionalOffsets(req: {
    groupId: string;
    producerId: bigint;
    producerEpoch: number;
    generationId: number;
    memberId: string;
    groupInstanceId: string | null;
    topics: CommitRequest["topics"];
  }): Promise<Array<{ name: string; partitions: PartitionResult[] }>> {
    const all = (code: number) =>
      req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code })),
      }));
    if (!this.active) return all(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (!req.groupId) return all(ErrorCode.INVALID_GROUP_ID);
    try {
      let group = this.groups.get(req.groupId);
      if (!group) {
        if (req.generationId >= 0) throw new CoordinatorError(ErrorCode.ILLEGAL_GENERATION);
        group = new ClassicGroup(req.groupId);
        this.groups.set(req.groupId, group);
      } else if (group.type === "classic") {
        this.classic.validateOffsetCommit(group, req.memberId, req.groupInstanceId, req.generationId, true);
      } else if (!(req.generationId < 0 && req.memberId === "")) {
        try {
          this.consumer.validateOffsetCommit(group, req.memberId, req.generationId, true, 0);
        } catch (e) {
          if (errorCodeOf(e, 0) === ErrorCode.STALE_MEMBER_EPOCH)
            throw new CoordinatorError(ErrorCode.ILLEGAL_GENERATION);
          throw e;
        }
      }
    } catch (e) {
      return all(errorCodeOf(e, ErrorCode.UNKNOWN_SERVER_ERROR));
    }
    const now = Date.now();
    const maxMeta = this.offsetMetadataMaxBytes;
    const records: CoordinatorRecord[] = [];
    const pending: Array<{ topic: string; partition: number; entry: OffsetEntry }> = [];
    const out = req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        if (p.committedMetadata !== null && p.committedMetadata.length > maxMeta) {
          return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.OFFSET_METADATA_TOO_LARGE };
        }
        const entry: OffsetEntry = {
          offset: p.committedOffset,
          leaderEpoch: p.committedLeaderEpoch,
          metadata: p.committedMetadata ?? "",
          commitTimestamp: now,
          expireTimestamp: null,
          recordOffset: -1n,
        };
        records.push(
          offsetCommitRecord(req.groupId, t.name, p.partitionIndex, { ...entry, expireTimestamp: null }),
        );
        pending.push({ topic: t.name, partition: p.partitionIndex, entry });
        return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE };
      }),
    }));
    if (records.length === 0) return out;
    try {
      const last = await this.topic.append(req.groupId, records, {
        durable: true,
        txn: { producerId: req.producerId, producerEpoch: req.producerEpoch },
      });
      const first = last - BigInt(records.length) + 1n;
      pending.forEach((x, i) => {
        x.entry.recordOffset = first + BigInt(i);
        this.offsets.putPending(req.producerId, req.groupId, x.topic, x.partition, x.entry);
      });
      return out;
    } catch (e) {
      const code = errorCodeOf(e, ErrorCode.UNKNOWN_SERVER_ERROR);
      return out.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => (p.errorCode === ErrorCode.NONE ? { ...p, errorCode: code } : p)),
      }));
    }
  }

  /**
   * A transaction marker was appended to an offsets partition: COMMIT makes the producer's pending
   * offsets committed offsets, ABORT drops them. (Replay at start does the same from the log.)
   */
  completeTransaction(producerId: bigint, commit: boolean): void {
    this.offsets.completeTransaction(producerId, commit);
  }

  // ---------------------------------------------------------------- OffsetFetch

  /**
   * Committed offsets of one group: the listed partitions, or every committed partition when
   * `topics` is null. `requireStable` waits for commits still being written.
   */
  async fetchOffsets(
    groupId: string,
    topics: Array<{ name: string; partitionIndexes: number[] }> | null,
    requireStable: boolean,
    memberId: string | null = null,
    memberEpoch = -1,
  ): Promise<FetchedOffsets> {
    if (!this.active) return { groupId, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, topics: [] };
    if (requireStable) await this.topic.settled(groupId);
    const group = this.groups.get(groupId);
    let failAll = false;
    try {
      if (group?.type === "consumer") this.consumer.validateOffsetFetch(group, memberId, memberEpoch);
      if (!group) failAll = true;
    } catch (e) {
      return { groupId, errorCode: errorCodeOf(e, ErrorCode.UNKNOWN_SERVER_ERROR), topics: [] };
    }
    const unstable = (topic: string, p: number) =>
      requireStable && this.offsets.hasPending(groupId, topic, p);
    const row = (topic: string, p: number, e: OffsetEntry | undefined) =>
      unstable(topic, p)
        ? {
            partitionIndex: p,
            committedOffset: -1n,
            committedLeaderEpoch: -1,
            metadata: "",
            errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT,
          }
        : e
          ? {
              partitionIndex: p,
              committedOffset: e.offset,
              committedLeaderEpoch: e.leaderEpoch,
              metadata: e.metadata,
              errorCode: ErrorCode.NONE,
            }
          : {
              partitionIndex: p,
              committedOffset: -1n,
              committedLeaderEpoch: -1,
              metadata: "",
              errorCode: ErrorCode.NONE,
            };
    if (topics === null) {
      if (failAll) return { groupId, errorCode: ErrorCode.NONE, topics: [] };
      const mine = this.offsets.group(groupId);
      const out: FetchedOffsets["topics"] = [];
      if (mine) {
        for (const [topic, parts] of mine) {
          out.push({ name: topic, partitions: [...parts].map(([p, e]) => row(topic, p, e)) });
        }
      }
      return { groupId, errorCode: ErrorCode.NONE, topics: out };
    }
    return {
      groupId,
      errorCode: ErrorCode.NONE,
      topics: topics.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((p) =>
          row(t.name, p, failAll ? undefined : this.offsets.get(groupId, t.name, p)),
        ),
      })),
    };
  }

  // ---------------------------------------------------------------- OffsetDelete

  async deleteOffsets(
    groupId: string,
    topics: Array<{ name: string; partitions: number[] }>,
  ): Promise<{ errorCode: number; topics: Array<{ name: string; partitions: PartitionResult[] }> }> {
    if (!this.active) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, topics: [] };
    const group = this.groups.get(groupId);
    if (!group) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] };
    if (group.type === "classic") {
      if (group.is("Dead")) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] };
      if (!group.is("Empty") && group.protocolType !== "consumer")
        return { errorCode: ErrorCode.NON_EMPTY_GROUP, topics: [] };
    }
    const subscribed = (topic: string) =>
      group.type === "classic" ? group.isSubscribedToTopic(topic) : group.subscribedTopicNames().has(topic);
    const records: CoordinatorRecord[] = [];
    const removed: Array<[string, number]> = [];
    const out = topics.map((t) => {
      if (subscribed(t.name)) {
        return {
          name: t.name,
          partitions: t.partitions.map((p) => ({
            partitionIndex: p,
            errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC,
          })),
        };
      }
      for (const p of t.partitions) {
        if (this.offsets.get(groupId, t.name, p) || this.offsets.hasPending(groupId, t.name, p)) {
          records.push(offsetCommitTombstone(groupId, t.name, p));
          removed.push([t.name, p]);
        }
      }
      return {
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p, errorCode: ErrorCode.NONE })),
      };
    });
    if (records.length > 0) {
      try {
        await this.write(groupId, records);
      } catch (e) {
        return { errorCode: errorCodeOf(e, ErrorCode.UNKNOWN_SERVER_ERROR), topics: [] };
      }
      for (const [t, p] of removed) {
        this.offsets.remove(groupId, t, p);
        this.offsets.removePending(groupId, t, p);
      }
    }
    return { errorCode: ErrorCode.NONE, topics: out };
  }

  // ---------------------------------------------------------------- DescribeGroups / ListGroups

  /**
   * DescribeGroups' answer for one group. A group that is not a (live) classic group is "Dead"; from
   * v6 (KIP-1043) it also carries GROUP_ID_NOT_FOUND, as `notFoundError` asks.
   */
  describeGroup(groupId: string, notFoundError = false) {
    const g = this.classicGroup(groupId);
    if (!g || g.is("Dead")) {
      const other = this.groups.get(groupId);
      return {
        errorCode: notFoundError ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.NONE,
        errorMessage: !notFoundError
          ? null
          : other && other.type !== "classic"
            ? `Group ${groupId} is not a classic group.`
            : `Group ${groupId} not found.`,
        groupId,
        groupState: "Dead",
        protocolType: "",
        protocolData: "",
        members: [],
      };
    }
    const stable = g.is("Stable");
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      groupId,
      groupState: g.state,
      protocolType: g.protocolType ?? "",
      protocolData: stable ? (g.protocolName ?? "") : "",
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: stable ? m.metadata(g.protocolName) : Buffer.alloc(0),
        memberAssignment: stable ? m.assignment : Buffer.alloc(0),
      })),
    };
  }

  listGroups(statesFilter: string[], typesFilter: string[]) {
    const states = new Set(statesFilter.map((s) => s.trim().toLowerCase()));
    const types = new Set(typesFilter.map((s) => s.trim().toLowerCase()));
    const out: Array<{ groupId: string; protocolType: string; groupState: string; groupType: string }> = [];
    for (const g of this.groups.values()) {
      const state = g.type === "classic" ? g.state : g.state;
      if (state === "Dead") continue;
      if (states.size > 0 && !states.has(state.toLowerCase())) continue;
      if (types.size > 0 && !types.has(g.type)) continue;
      out.push({
        groupId: g.type === "classic" ? g.groupId : g.groupId,
        protocolType: g.type === "classic" ? (g.protocolType ?? "") : "consumer",
        groupState: state,
        groupType: g.type,
      });
    }
    return out;
  }

  // ---------------------------------------------------------------- DeleteGroups

  /** Tombstones for a group's metadata (and, with `withOffsets`, all its offsets). */
  deleteGroupRecords(group: Group, withOffsets: boolean): CoordinatorRecord[] {
    const records: CoordinatorRecord[] = [];
    const groupId = group.type === "classic" ? group.groupId : group.groupId;
    if (withOffsets) {
      const offs = this.offsets.group(groupId);
      if (offs)
        for (const [t, parts] of offs)
          for (const p of parts.keys()) records.push(offsetCommitTombstone(groupId, t, p));
    }
    if (group.type === "classic") records.push(groupMetadataTombstone(groupId));
    else records.push(...this.consumer.groupTombstones(group));
    return records;
  }

  async deleteGroups(groupIds: string[]): Promise<Array<{ groupId: string; errorCode: number }>> {
    const unique = [...new Set(groupIds)];
    if (!this.active)
      return unique.map((groupId) => ({ groupId, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE }));
    return Promise.all(
      unique.map(async (groupId) => {
        const group = this.groups.get(groupId);
        if (!group || (group.type === "classic" && group.is("Dead")))
          return { groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND };
        if (!group.isEmpty) return { groupId, errorCode: ErrorCode.NON_EMPTY_GROUP };
        const records = this.deleteGroupRecords(group, true);
        this.groups.delete(groupId);
        const offsets = this.offsets.takeGroup(groupId);
        try {
          await this.write(groupId, records);
          if (group.type === "consumer") this.consumer.forget(groupId);
          this.metrics.groupsDeleted++;
          this.log.info({ group: groupId }, "group deleted");
          return { groupId, errorCode: ErrorCode.NONE };
        } catch (e) {
          if (!this.groups.has(groupId)) this.groups.set(groupId, group);
          if (offsets) this.offsets.restoreGroup(groupId, offsets);
          return { groupId, errorCode: errorCodeOf(e, ErrorCode.UNKNOWN_SERVER_ERROR) };
        }
      }),
    );
  }

  // ---------------------------------------------------------------- retention

  /**
   * offsets.retention.minutes: expires offsets (Kafka's rules: an empty classic group counts from
   * when it became empty, a simple group and a KIP-848 group from each commit, and offsets of
   * topics a group still subscribes to never expire), then deletes empty groups with no offsets left.
   */
  async cleanupGroupMetadata(now = Date.now()): Promise<number> {
    if (!this.active) return 0;
    for (const t of this.deletedTopicsWithOffsets()) await this.onTopicDeleted(t);
    const retention = this.offsetsRetentionMs;
    let expired = 0;
    const work: Promise<void>[] = [];
    for (const [groupId, group] of [...this.groups]) {
      const offs = this.offsets.group(groupId);
      const records: CoordinatorRecord[] = [];
      const gone: Array<[string, number]> = [];
      let allExpired = true;
      if (offs) {
        const base = this.expirationBase(group);
        if (base === null) allExpired = false;
        else {
          for (const [topic, parts] of offs) {
            const subscribed =
              group.type === "classic"
                ? group.isSubscribedToTopic(topic)
                : group.subscribedTopicNames().has(topic);
            if (subscribed) {
              allExpired = false;
              continue;
            }
            for (const [p, e] of parts) {
              const isExpired =
                e.expireTimestamp !== null ? now >= e.expireTimestamp : now - base(e) >= retention;
              if (isExpired && !this.offsets.hasPending(groupId, topic, p)) {
                records.push(offsetCommitTombstone(groupId, topic, p));
                gone.push([topic, p]);
              } else allExpired = false;
            }
          }
        }
      }
      const deleteGroup = allExpired && !this.offsets.hasOpenTransactions(groupId) && group.isEmpty;
      if (deleteGroup) records.push(...this.deleteGroupRecords(group, false));
      if (records.length === 0) continue;
      for (const [t, p] of gone) this.offsets.remove(groupId, t, p);
      if (deleteGroup) {
        this.groups.delete(groupId);
        if (group.type === "consumer") this.consumer.forget(groupId);
      }
      expired += gone.length;
      work.push(
        this.write(groupId, records, false).then(
          () => {
            if (gone.length > 0 || deleteGroup) {
              this.log.info(
                { group: groupId, expiredOffsets: gone.length, groupDeleted: deleteGroup },
                "expired group metadata",
              );
            }
          },
          (e: unknown) =>
            this.log.warn({ group: groupId, err: (e as Error).message }, "failed to write expired offsets"),
        ),
      );
    }
    await Promise.all(work);
    this.metrics.offsetsExpired += expired;
    return expired;
  }

  /**
   * Kafka's onPartitionsDeleted: a deleted topic's committed offsets are removed (tombstones), so a
   * topic created again under the same name starts without them. Called by the retention sweep for
   * topics that no longer exist; the broker may call it right after deleting a topic.
   */
  async onTopicDeleted(topic: string): Promise<number> {
    const byGroup = new Map<string, number[]>();
    for (const { group, partition } of this.offsets.partitionsOfTopic(topic)) {
      if (!byGroup.has(group)) byGroup.set(group, []);
      byGroup.get(group)!.push(partition);
    }
    await Promise.all(
      [...byGroup].map(async ([group, partitions]) => {
        for (const p of partitions) {
          this.offsets.remove(group, topic, p);
          this.offsets.removePending(group, topic, p);
        }
        await this.write(
          group,
          partitions.map((p) => offsetCommitTombstone(group, topic, p)),
          false,
        ).catch((e: unknown) =>
          this.log.warn(
            { group, topic, err: (e as Error).message },
            "failed to delete offsets of a deleted topic",
          ),
        );
      }),
    );
    let n = 0;
    for (const ps of byGroup.values()) n += ps.length;
    if (n > 0) this.log.info({ topic, offsets: n }, "removed committed offsets of a deleted topic");
    return n;
  }

  /** Topics with committed offsets that no longer exist. */
  private deletedTopicsWithOffsets(): string[] {
    const topics = new Set<string>();
    for (const g of this.offsets.groups()) for (const t of this.offsets.group(g)?.keys() ?? []) topics.add(t);
    return [...topics].filter((t) => this.broker.topic(t) === undefined);
  }

  /** From when an offset's retention counts, or null when the group's offsets do not expire now. */
  private expirationBase(group: Group): ((e: OffsetEntry) => number) | null {
    if (group.type === "consumer") return (e) => e.commitTimestamp;
    if (group.protocolType === null) return (e) => e.commitTimestamp;
    if (group.is("Empty")) {
      const since = group.currentStateTimestamp;
      return (e) => since ?? e.commitTimestamp;
    }
    if (group.protocolType === "consumer" && group.subscribedTopics !== null && group.is("Stable")) {
      return (e) => e.commitTimestamp;
    }
    return null;
  }

  /** Counters for the metrics endpoint. */
  snapshot(): GroupCoordinatorMetrics & { groups: number; members: number; offsets: number } {
    let members = 0;
    for (const g of this.groups.values()) members += g.members.size;
    return { ...this.metrics, groups: this.groups.size, members, offsets: this.offsets.size };
  }
}
