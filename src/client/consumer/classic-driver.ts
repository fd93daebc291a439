/**
 * The classic group protocol for a running consumer: the rebalance loop and the heartbeat timer.
 *
 * Heartbeats run on their own timer, whatever the handlers are doing, so a slow handler does not
 * lose its partitions. A rebalance (announced by a heartbeat or commit answer) runs in the background:
 * - eager: every partition is revoked first — handlers finish their current message (eachMessage)
 *   or batch (eachBatch, which sees isStale()), the processed offsets are committed — then JoinGroup;
 * - cooperative (KIP-429): consumption goes on during JoinGroup/SyncGroup; afterwards only the
 *   partitions taken away are revoked (committed first), and if there were any the member joins
 *   again so the group can hand them to their new owners.
 * Partitions lost (the generation moved on without this member) are dropped without a commit.
 */
import { ErrorCode } from "../../protocol/error-codes.js";
import { KafkaJSError, KafkaJSNonRetriableError, protocolError } from "../errors.js";
import { CONSUMER_EVENTS } from "../instrumentation.js";
import type { Retrier } from "../retry.js";
import type { ClassicMember } from "./classic-member.js";
import type { DriverHost, GroupDriver } from "./driver.js";
import type { MemberIdentity } from "./offsets.js";
import { partitionKey } from "./partition-state.js";

export interface ClassicDriverOptions {
  host: DriverHost;
  member: ClassicMember;
  heartbeatInterval: number;
  retrier: Retrier;
  groupInstanceId: string | null;
}

type RejoinReason = "rebalance" | "lost";

export class ClassicDriver implements GroupDriver {
  private readonly host: DriverHost;
  private readonly member: ClassicMember;
  private readonly heartbeatInterval: number;
  private readonly retrier: Retrier;
  private readonly groupInstanceId: string | null;
  private timer: NodeJS.Timeout | null = null;
  private heartbeatInFlight: Promise<void> | null = null;
  private lastHeartbeat = Number.NEGATIVE_INFINITY;
  private rebalance: Promise<void> | null = null;
  private again: RejoinReason | null = null;
  private stopped = false;

  constructor(opts: ClassicDriverOptions) {
    this.host = opts.host;
    this.member = opts.member;
    this.heartbeatInterval = opts.heartbeatInterval;
    this.retrier = opts.retrier;
    this.groupInstanceId = opts.groupInstanceId;
  }

  get rebalancing(): boolean {
    return this.rebalance !== null;
  }

  identity(): MemberIdentity {
    return {
      groupId: this.host.groupId,
      memberId: this.member.memberId,
      generationId: this.member.generationId,
      groupInstanceId: this.groupInstanceId,
    };
  }

  offsetFetchIdentity(): { memberId: string | null; memberEpoch: number } {
    return { memberId: null, memberEpoch: -1 };
  }

  coordinator() {
    return this.member.coordinator();
  }

  forgetCoordinator(): void {
    this.member.forgetCoordinator();
  }

  async start(): Promise<void> {
    await this.joinLoop("rebalance", true);
    this.lastHeartbeat = performance.now();
    this.timer = setInterval(() => void this.heartbeat(), this.heartbeatInterval);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.rebalance?.catch(() => {});
    await this.heartbeatInFlight?.catch(() => {});
    await this.member.leave().catch((e) => {
      this.host.logger.warn(`Leaving the group failed: ${(e as Error).message}`, {
        groupId: this.host.groupId,
      });
    });
  }

  heartbeatIfDue(): Promise<void> {
    if (performance.now() - this.lastHeartbeat < this.heartbeatInterval) return Promise.resolve();
    return this.heartbeat();
  }

  onCommitError(code: number, generationUsed: number): void {
    if (generationUsed !== this.member.generationId) return; // about a generation already left behind
    // Commits made while this member is already rejoining (cooperative) need no second rebalance.
    if (code === ErrorCode.REBALANCE_IN_PROGRESS) {
      if (!this.rebalance) this.requestRejoin("rebalance");
    } else if (code === ErrorCode.ILLEGAL_GENERATION || code === ErrorCode.UNKNOWN_MEMBER_ID) {
      if (code === ErrorCode.UNKNOWN_MEMBER_ID) this.member.memberId = "";
      this.requestRejoin("lost");
    } else if (code === ErrorCode.FENCED_INSTANCE_ID) {
      this.host.fail(
        new KafkaJSNonRetriableError(protocolError(code, `group.instance.id ${this.groupInstanceId}`)),
      );
    }
  }

  onPartitionCountChange(): void {
    this.requestRejoin("rebalance");
  }

  private heartbeat(): Promise<void> {
    if (this.heartbeatInFlight) return this.heartbeatInFlight;
    if (this.rebalance || this.stopped || !this.member.memberId) return Promise.resolve();
    const generation = this.member.generationId;
    this.heartbeatInFlight = (async () => {
      try {
        const code = await this.member.heartbeat();
        if (code === ErrorCode.NONE) {
          this.lastHeartbeat = performance.now();
          this.host.emitter.emit(CONSUMER_EVENTS.HEARTBEAT, {
            groupId: this.host.groupId,
            memberId: this.member.memberId,
            groupGenerationId: generation,
          });
          return;
        }
        if (generation !== this.member.generationId || this.stopped) return;
        if (code === ErrorCode.REBALANCE_IN_PROGRESS) this.requestRejoin("rebalance");
        else if (code === ErrorCode.ILLEGAL_GENERATION) this.requestRejoin("lost");
        else if (code === ErrorCode.UNKNOWN_MEMBER_ID) {
          this.host.logger.error("The coordinator is not aware of this member, re-joining the group", {
            groupId: this.host.groupId,
            memberId: this.member.memberId,
          });
          this.member.memberId = "";
          this.requestRejoin("lost");
        } else if (code === ErrorCode.FENCED_INSTANCE_ID) {
          this.host.fail(
            new KafkaJSNonRetriableError(protocolError(code, `group.instance.id ${this.groupInstanceId}`)),
          );
        } else {
          this.host.logger.debug(`Heartbeat failed: ${protocolError(code).message}`, {
            groupId: this.host.groupId,
          });
        }
      } catch (e) {
        // The coordinator may have moved or the connection dropped: the next beat looks it up again.
        this.member.forgetCoordinator();
        this.host.logger.debug(`Heartbeat failed: ${(e as Error).message}`, { groupId: this.host.groupId });
      } finally {
        this.heartbeatInFlight = null;
      }
    })();
    return this.heartbeatInFlight;
  }

  private requestRejoin(reason: RejoinReason): void {
    if (this.stopped || !this.host.isRunning()) return;
    if (this.rebalance) {
      if (this.again !== "lost") this.again = reason;
      return;
    }
    this.rebalance = this.joinLoop(reason, false)
      .catch((e) => this.host.fail(e as Error))
      .finally(() => {
        this.rebalance = null;
        this.lastHeartbeat = performance.now();
      });
  }

  private async joinLoop(firstReason: RejoinReason, initial: boolean): Promise<void> {
    let reason: RejoinReason | null = firstReason;
    while (reason !== null) {
      this.again = null;
      if (!initial) {
        this.host.logger.warn("The group is rebalancing, re-joining", {
          groupId: this.host.groupId,
          memberId: this.member.memberId,
        });
        this.host.emitter.emit(CONSUMER_EVENTS.REBALANCING, {
          groupId: this.host.groupId,
          memberId: this.member.memberId,
        });
      }
      await this.rejoin(reason);
      initial = false;
      reason = this.again;
    }
  }

  /** One rebalance: revoke what the protocol says, then join (twice when cooperative partitions move). */
  private async rejoin(reason: RejoinReason): Promise<void> {
    const host = this.host;
    const allOwned = () =>
      host.owned().flatMap(({ topic, partitions }) => partitions.map((p) => partitionKey(topic, p)));
    if (reason === "lost") await host.revokePartitions(allOwned(), { commit: false });
    else if (this.member.rebalanceProtocol === "eager")
      await host.revokePartitions(allOwned(), { commit: true });

    for (;;) {
      if (!host.isRunning() || this.stopped) return;
      const started = Date.now();
      const topics = host.topics();
      const result = await this.retrier(async (bail) => {
        // A round another member's join interrupted is joined again at once; the backoff is for failures.
        for (let immediate = 0; ; immediate++) {
          try {
            return await this.member.joinAndSync(topics, host.owned());
          } catch (e) {
            if (!host.isRunning() || this.stopped)
              bail(new KafkaJSError("The consumer stopped while joining"));
            const err = e as KafkaJSError & { type?: string };
            if (err.retriable === false) bail(err);
            const again =
              err.type === "REBALANCE_IN_PROGRESS" ||
              err.type === "ILLEGAL_GENERATION" ||
              err.type === "UNKNOWN_MEMBER_ID";
            // The membership the (cooperative) partitions were held under is gone: they are lost,
            // as Java's consumer treats them. Dropped without a commit before joining again, so no
            // handler carries on under the next generation with records read in this one (its
            // transactional commits would then pass the coordinator's KIP-447 check).
            if (
              (err.type === "ILLEGAL_GENERATION" || err.type === "UNKNOWN_MEMBER_ID") &&
              allOwned().length > 0
            )
              await host.revokePartitions(allOwned(), { commit: false });
            if (!again || immediate >= 3) throw e;
          }
        }
      });
      if (!host.isRunning() || this.stopped) return;

      const assignedTopics = [...result.assignment.keys()];
      const notSubscribed = assignedTopics.filter((t) => !topics.includes(t));
      if (notSubscribed.length > 0) {
        const payload = {
          groupId: host.groupId,
          generationId: result.generationId,
          memberId: result.memberId,
          assignedTopics,
          topicsSubscribed: topics,
          topicsNotSubscribed: notSubscribed,
        };
        host.emitter.emit(CONSUMER_EVENTS.RECEIVED_UNSUBSCRIBED_TOPICS, payload);
        host.logger.warn("Consumer group received unsubscribed topics", payload);
      }
      const assigned = new Map<string, { topic: string; partition: number }>();
      for (const [topic, partitions] of result.assignment) {
        if (!topics.includes(topic)) continue;
        for (const p of partitions) assigned.set(partitionKey(topic, p), { topic, partition: p });
      }
      const ownedNow = new Set(allOwned());
      const revoked = [...ownedNow].filter((k) => !assigned.has(k));
      const added = [...assigned].filter(([k]) => !ownedNow.has(k)).map(([, tp]) => tp);
      if (revoked.length > 0) await host.revokePartitions(revoked, { commit: true });
      const addedByTopic = new Map<string, number[]>();
      for (const { topic, partition } of added) {
        let list = addedByTopic.get(topic);
        if (!list) addedByTopic.set(topic, (list = []));
        list.push(partition);
      }
      await host.addPartitions([...addedByTopic].map(([topic, partitions]) => ({ topic, partitions })));

      const memberAssignment: Record<string, number[]> = {};
      for (const { topic, partitions } of host.owned()) memberAssignment[topic] = partitions;
      const payload = {
        groupId: host.groupId,
        memberId: result.memberId,
        leaderId: result.leaderId,
        isLeader: result.isLeader,
        memberAssignment,
        groupProtocol: result.protocolName,
        duration: Date.now() - started,
      };
      host.emitter.emit(CONSUMER_EVENTS.GROUP_JOIN, payload);
      host.logger.info("Consumer has joined the group", payload);
      // KIP-429: partitions given up must be offered to the group in a follow-up rebalance.
      if (revoked.length > 0 && this.member.rebalanceProtocol === "cooperative") continue;
      if (this.member.rebalanceProtocol === "cooperative") this.heartbeatSoon();
      return;
    }
  }

  /**
   * After a cooperative round, the members that gave partitions up join again at once, and the
   * others learn of that follow-up round from a heartbeat. Two early heartbeats let them join it
   * within a few hundred milliseconds instead of up to a whole heartbeatInterval later, which is
   * how long the moved partitions would stay unconsumed. One that fires after stop() does nothing
   * (heartbeat() checks), and none keeps the process alive.
   */
  private heartbeatSoon(): void {
    for (const ms of [100, 300]) {
      if (ms < this.heartbeatInterval) setTimeout(() => void this.heartbeat(), ms).unref();
    }
  }
}
