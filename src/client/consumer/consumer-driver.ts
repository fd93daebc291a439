/**
 * The KIP-848 consumer group protocol (`groupProtocol: "consumer"`): one ConsumerGroupHeartbeat
 * request does joining, heartbeating and assignment, and the broker runs the assignor.
 *
 * The member sends its subscription and the partitions it owns; the answer carries its epoch, the
 * heartbeat interval and, when it changed, its target assignment. Reconciling a new target revokes
 * the partitions taken away first (handlers finish, offsets are committed with the current epoch),
 * then starts the new ones, and reports the result in the next heartbeat, sent at once. Partitions
 * are never revoked before the broker asks, so others keep consuming through a rebalance.
 * Fenced (FENCED_MEMBER_EPOCH, UNKNOWN_MEMBER_ID): everything owned is dropped without a commit and
 * the member joins again with epoch 0 and the same member id.
 */
import { randomBytes } from "node:crypto";
import { ErrorCode } from "../../protocol/error-codes.js";
import { ConsumerGroupHeartbeat } from "../../protocol/messages/index.js";
import type { Broker, Cluster } from "../cluster/index.js";
import { KafkaJSNonRetriableError, protocolError } from "../errors.js";
import { CONSUMER_EVENTS } from "../instrumentation.js";
import type { Retrier } from "../retry.js";
import type { DriverHost, GroupDriver } from "./driver.js";
import { COORDINATOR_MOVED, type MemberIdentity } from "./offsets.js";
import { partitionKey } from "./partition-state.js";

const LEAVE_EPOCH = -1;
const STATIC_LEAVE_EPOCH = -2;
const DEFAULT_INTERVAL_MS = 5000;

export interface ConsumerProtocolDriverOptions {
  host: DriverHost;
  cluster: Cluster;
  groupCluster: Cluster;
  groupId: string;
  groupInstanceId: string | null;
  rackId: string | null;
  rebalanceTimeout: number;
  serverAssignor: string | null;
  retrier: Retrier;
}

/** Kafka's Uuid text form: 16 random bytes, URL-safe base64 without padding (KIP-1082: the client picks it). */
function newMemberId(): string {
  return randomBytes(16).toString("base64url");
}

const FATAL = new Set<number>([
  ErrorCode.GROUP_AUTHORIZATION_FAILED,
  ErrorCode.UNSUPPORTED_ASSIGNOR,
  ErrorCode.UNSUPPORTED_VERSION,
  ErrorCode.INVALID_REQUEST,
  ErrorCode.GROUP_MAX_SIZE_REACHED,
  ErrorCode.GROUP_ID_NOT_FOUND,
  ErrorCode.TOPIC_AUTHORIZATION_FAILED,
  ErrorCode.INVALID_REGULAR_EXPRESSION,
]);

export class ConsumerProtocolDriver implements GroupDriver {
  private readonly opts: ConsumerProtocolDriverOptions;
  private readonly host: DriverHost;
  private memberId = newMemberId();
  private memberEpoch = 0;
  private intervalMs = DEFAULT_INTERVAL_MS;
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private reconciling: Promise<void> | null = null;
  private lastBeat = Number.NEGATIVE_INFINITY;
  private stopped = false;
  private joinedOnce = false;
  private fencing = false;

  constructor(opts: ConsumerProtocolDriverOptions) {
    this.opts = opts;
    this.host = opts.host;
  }

  get rebalancing(): boolean {
    return this.reconciling !== null;
  }

  identity(): MemberIdentity {
    return {
      groupId: this.opts.groupId,
      memberId: this.memberId,
      generationId: this.memberEpoch,
      groupInstanceId: this.opts.groupInstanceId,
    };
  }

  offsetFetchIdentity(): { memberId: string | null; memberEpoch: number } {
    return { memberId: this.memberId, memberEpoch: this.memberEpoch };
  }

  coordinator(): Promise<Broker> {
    return this.opts.groupCluster.coordinator(this.opts.groupId, "GROUP");
  }

  forgetCoordinator(): void {
    this.opts.groupCluster.forgetCoordinator(this.opts.groupId, "GROUP");
  }

  async start(): Promise<void> {
    // The first answer carries the assignment; run() resolves once it is being consumed.
    await this.opts.retrier(async (bail) => {
      for (;;) {
        if (!this.host.isRunning()) bail(new KafkaJSNonRetriableError("The consumer stopped while joining"));
        try {
          await this.beat(true);
        } catch (e) {
          // A static member's previous incarnation still holds the instance id until its session
          // expires (or it left with epoch -2): wait for that, as Java's consumer does.
          if ((e as { code?: number }).code === ErrorCode.UNRELEASED_INSTANCE_ID) {
            await new Promise((r) => setTimeout(r, 500));
            continue;
          }
          throw e;
        }
        if (this.memberEpoch <= 0) throw protocolError(ErrorCode.COORDINATOR_NOT_AVAILABLE, "not joined yet");
        return;
      }
    });
    await this.reconciling;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.inFlight?.catch(() => {});
    await this.reconciling?.catch(() => {});
    if (this.memberEpoch <= 0 && !this.joinedOnce) return;
    // A static member leaves "temporarily" (-2): it may come back under its instance id.
    const epoch = this.opts.groupInstanceId !== null ? STATIC_LEAVE_EPOCH : LEAVE_EPOCH;
    try {
      const coordinator = await this.coordinator();
      await coordinator.request(ConsumerGroupHeartbeat, {
        groupId: this.opts.groupId,
        memberId: this.memberId,
        memberEpoch: epoch,
        instanceId: this.opts.groupInstanceId,
        rackId: null,
        rebalanceTimeoutMs: -1,
        subscribedTopicNames: null,
        subscribedTopicRegex: null,
        serverAssignor: null,
        topicPartitions: null,
      });
    } catch (e) {
      this.host.logger.warn(`Leaving the group failed: ${(e as Error).message}`, {
        groupId: this.opts.groupId,
      });
    }
    this.memberEpoch = 0;
  }

  heartbeatIfDue(): Promise<void> {
    if (performance.now() - this.lastBeat < this.intervalMs) return Promise.resolve();
    return this.beat(false).catch(() => {});
  }

  onCommitError(code: number, epochUsed: number): void {
    if (epochUsed !== this.memberEpoch) return;
    if (code === ErrorCode.FENCED_MEMBER_EPOCH || code === ErrorCode.UNKNOWN_MEMBER_ID) this.fenced();
    // STALE_MEMBER_EPOCH: a newer epoch is on its way in a heartbeat; the next commit carries it.
  }

  onPartitionCountChange(): void {
    // The broker watches partition counts itself and recomputes the assignment.
  }

  private schedule(): void {
    if (this.stopped || !this.host.isRunning()) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.beat(false)
        .catch(() => {})
        .finally(() => this.schedule());
    }, this.intervalMs);
  }

  private ownedWithIds(): Array<{ topicId: string; partitions: number[] }> {
    const out: Array<{ topicId: string; partitions: number[] }> = [];
    for (const { topic, partitions } of this.host.owned()) {
      const id = this.opts.cluster.topicMetadata(topic)?.topicId;
      if (id) out.push({ topicId: id, partitions });
    }
    return out;
  }

  /** One heartbeat (serialised); `throwErrors` makes the join attempt in start() see failures. */
  private beat(throwErrors: boolean): Promise<void> {
    if (this.inFlight) return this.inFlight;
    this.inFlight = this.doBeat(throwErrors).finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async doBeat(throwErrors: boolean): Promise<void> {
    if (this.stopped) return;
    const joining = this.memberEpoch === 0;
    const epochSent = this.memberEpoch;
    let coordinator: Broker;
    try {
      coordinator = await this.coordinator();
    } catch (e) {
      this.forgetCoordinator();
      if (throwErrors) throw e;
      return;
    }
    let res: Awaited<ReturnType<typeof coordinator.request<typeof ConsumerGroupHeartbeat>>>;
    try {
      res = await coordinator.request(ConsumerGroupHeartbeat, {
        groupId: this.opts.groupId,
        memberId: this.memberId,
        memberEpoch: this.memberEpoch,
        instanceId: this.opts.groupInstanceId,
        rackId: this.opts.rackId,
        rebalanceTimeoutMs: this.opts.rebalanceTimeout,
        subscribedTopicNames: this.host.topics(),
        subscribedTopicRegex: null,
        serverAssignor: this.opts.serverAssignor,
        topicPartitions: joining ? [] : this.ownedWithIds(),
      });
    } catch (e) {
      this.forgetCoordinator();
      this.host.logger.debug(`Heartbeat failed: ${(e as Error).message}`, { groupId: this.opts.groupId });
      if (throwErrors) throw e;
      return;
    }
    this.lastBeat = performance.now();
    if (res.errorCode !== ErrorCode.NONE) {
      const err = protocolError(res.errorCode, res.errorMessage);
      if (COORDINATOR_MOVED.has(res.errorCode)) this.forgetCoordinator();
      else if (
        res.errorCode === ErrorCode.FENCED_MEMBER_EPOCH ||
        res.errorCode === ErrorCode.UNKNOWN_MEMBER_ID
      ) {
        if (epochSent === this.memberEpoch) this.fenced();
      } else if (FATAL.has(res.errorCode)) {
        const fatal = new KafkaJSNonRetriableError(err, { cause: err });
        if (throwErrors) throw fatal;
        this.host.fail(fatal);
        return;
      }
      if (throwErrors) throw err;
      return;
    }
    if (res.memberId) this.memberId = res.memberId;
    this.memberEpoch = res.memberEpoch;
    if (res.heartbeatIntervalMs > 0) this.intervalMs = res.heartbeatIntervalMs;
    this.joinedOnce = true;
    this.host.emitter.emit(CONSUMER_EVENTS.HEARTBEAT, {
      groupId: this.opts.groupId,
      memberId: this.memberId,
      groupGenerationId: this.memberEpoch,
    });
    if (res.assignment) this.reconcile(res.assignment.topicPartitions);
  }

  private fenced(): void {
    if (this.fencing || this.stopped) return;
    this.fencing = true;
    this.host.logger.warn("The member was fenced, dropping its partitions and joining again", {
      groupId: this.opts.groupId,
      memberId: this.memberId,
    });
    this.memberEpoch = 0;
    const keys = this.host
      .owned()
      .flatMap(({ topic, partitions }) => partitions.map((p) => partitionKey(topic, p)));
    void this.host.revokePartitions(keys, { commit: false }).finally(() => {
      this.fencing = false;
      void this.beat(false).catch(() => {});
    });
  }

  /** Moves the owned partitions to the target: revoke first, then add, then report at once. */
  private reconcile(target: Array<{ topicId: string; partitions: number[] }>): void {
    const previous = this.reconciling ?? Promise.resolve();
    const run = async () => {
      await previous.catch(() => {});
      const names = await this.topicNames(target.map((t) => t.topicId));
      const wanted = new Map<string, { topic: string; partition: number }>();
      for (const t of target) {
        const topic = names.get(t.topicId);
        if (!topic) continue; // a topic id not in metadata yet: the next assignment brings it again
        for (const p of t.partitions) wanted.set(partitionKey(topic, p), { topic, partition: p });
      }
      const ownedKeys = new Set(
        this.host.owned().flatMap(({ topic, partitions }) => partitions.map((p) => partitionKey(topic, p))),
      );
      const revoked = [...ownedKeys].filter((k) => !wanted.has(k));
      const added = [...wanted].filter(([k]) => !ownedKeys.has(k)).map(([, tp]) => tp);
      const changed = revoked.length > 0 || added.length > 0;
      if (!changed && this.joinedOnce && this.announcedJoin) return;
      const started = Date.now();
      if (changed) {
        this.host.emitter.emit(CONSUMER_EVENTS.REBALANCING, {
          groupId: this.opts.groupId,
          memberId: this.memberId,
        });
      }
      if (revoked.length > 0) await this.host.revokePartitions(revoked, { commit: true });
      const byTopic = new Map<string, number[]>();
      for (const { topic, partition } of added) {
        let list = byTopic.get(topic);
        if (!list) byTopic.set(topic, (list = []));
        list.push(partition);
      }
      await this.host.addPartitions([...byTopic].map(([topic, partitions]) => ({ topic, partitions })));
      const memberAssignment: Record<string, number[]> = {};
      for (const { topic, partitions } of this.host.owned()) memberAssignment[topic] = partitions;
      this.announcedJoin = true;
      this.host.emitter.emit(CONSUMER_EVENTS.GROUP_JOIN, {
        groupId: this.opts.groupId,
        memberId: this.memberId,
        leaderId: "",
        isLeader: false,
        memberAssignment,
        groupProtocol: this.opts.serverAssignor ?? "",
        duration: Date.now() - started,
      });
      // Tell the broker straight away, so the partitions given up can go to their next owner.
      if (changed && !this.stopped) void this.beat(false).catch(() => {});
    };
    const p = run()
      .catch((e) => this.host.fail(e as Error))
      .finally(() => {
        if (this.reconciling === p) this.reconciling = null;
      });
    this.reconciling = p;
  }

  private announcedJoin = false;

  private async topicNames(ids: string[]): Promise<Map<string, string>> {
    const lookup = () => {
      const out = new Map<string, string>();
      for (const topic of this.host.topics()) {
        const id = this.opts.cluster.topicMetadata(topic)?.topicId;
        if (id) out.set(id, topic);
      }
      return out;
    };
    let names = lookup();
    if (ids.some((id) => !names.has(id))) {
      await this.opts.cluster.refreshMetadata(this.host.topics()).catch(() => {});
      names = lookup();
    }
    return names;
  }
}
