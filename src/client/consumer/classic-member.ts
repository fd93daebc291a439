/**
 * Membership in a classic consumer group: JoinGroup and SyncGroup (running the assigner when this
 * member leads), Heartbeat and LeaveGroup, with static membership (KIP-345) and the cooperative
 * protocol's subscription (owned partitions and generation, KIP-429).
 *
 * Group requests go to the coordinator through the consumer's own group Cluster, whose connections
 * carry nothing else: a Fetch long poll on the data connection to the same broker never holds up a
 * heartbeat, as Kafka answers the requests of one connection in order.
 */
import { ErrorCode } from "../../protocol/error-codes.js";
import { decodeAssignment, decodeSubscription } from "../../protocol/embedded/consumer-protocol.js";
import { Heartbeat, JoinGroup, LeaveGroup, SyncGroup } from "../../protocol/messages/index.js";
import type { Broker, Cluster } from "../cluster/index.js";
import { KafkaJSNonRetriableError, protocolError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { GroupMemberAssignment } from "../types.js";
import type { AssignerGroupMember, BrookAssigner, RebalanceProtocol } from "./assigners.js";
import { COORDINATOR_MOVED } from "./offsets.js";

export interface JoinResult {
  assignment: Map<string, number[]>;
  generationId: number;
  memberId: string;
  leaderId: string;
  isLeader: boolean;
  protocolName: string;
}

export interface ClassicMemberOptions {
  groupId: string;
  groupInstanceId: string | null;
  /** Data cluster: topic metadata for the assigner. */
  cluster: Cluster;
  /** Group cluster: the coordinator connection. */
  groupCluster: Cluster;
  assigners: BrookAssigner[];
  sessionTimeout: number;
  rebalanceTimeout: number;
  rackId: string | null;
  logger: Logger;
}

/** Errors the join loop answers by joining again (after looking the coordinator up, where needed). */
export class RejoinNeeded extends Error {}

export class ClassicMember {
  memberId = "";
  generationId = -1;
  leaderId = "";
  protocolName: string | null = null;
  private readonly opts: ClassicMemberOptions;
  private readonly logger: Logger;

  constructor(opts: ClassicMemberOptions) {
    this.opts = opts;
    this.logger = opts.logger;
  }

  /** Cooperative only when every assigner offered supports it, as Java decides. */
  get rebalanceProtocol(): RebalanceProtocol {
    return this.opts.assigners.every((a) => a.rebalanceProtocol === "cooperative") ? "cooperative" : "eager";
  }

  coordinator(): Promise<Broker> {
    return this.opts.groupCluster.coordinator(this.opts.groupId, "GROUP");
  }

  forgetCoordinator(): void {
    this.opts.groupCluster.forgetCoordinator(this.opts.groupId, "GROUP");
  }

  /** Throws for a group error code; coordinator moves and rebalances become retriable errors. */
  private check(code: number, what: string): void {
    if (code === ErrorCode.NONE) return;
    if (COORDINATOR_MOVED.has(code)) this.forgetCoordinator();
    if (code === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = "";
    const err = protocolError(code, what);
    if (
      code === ErrorCode.UNKNOWN_MEMBER_ID ||
      code === ErrorCode.REBALANCE_IN_PROGRESS ||
      code === ErrorCode.ILLEGAL_GENERATION ||
      COORDINATOR_MOVED.has(code)
    ) {
      err.retriable = true;
    }
    throw err;
  }

  /**
   * One JoinGroup + SyncGroup round. Throws retriable errors for the caller's retrier (rebalance in
   * progress, coordinator moved, unknown member) and non-retriable ones for fatal group errors.
   */
  async joinAndSync(
    topics: string[],
    owned: Array<{ topic: string; partitions: number[] }>,
  ): Promise<JoinResult> {
    const { groupId, groupInstanceId, sessionTimeout, rebalanceTimeout } = this.opts;
    const coordinator = await this.coordinator();
    const protocols = this.opts.assigners.map((a) => {
      const p = a.protocol({
        topics,
        ownedPartitions: owned,
        generationId: this.generationId,
        rackId: this.opts.rackId,
      });
      return { name: p.name, metadata: p.metadata };
    });
    // The coordinator holds JoinGroup and SyncGroup until every member has rejoined.
    const timeout = rebalanceTimeout + 5000;
    let join = await coordinator.request(
      JoinGroup,
      {
        groupId,
        sessionTimeoutMs: sessionTimeout,
        rebalanceTimeoutMs: rebalanceTimeout,
        memberId: this.memberId,
        groupInstanceId,
        protocolType: "consumer",
        protocols,
        reason: null,
      },
      { timeout },
    );
    if (join.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
      // KIP-394: the first JoinGroup only hands out the member id; join again with it.
      this.memberId = join.memberId;
      join = await coordinator.request(
        JoinGroup,
        {
          groupId,
          sessionTimeoutMs: sessionTimeout,
          rebalanceTimeoutMs: rebalanceTimeout,
          memberId: this.memberId,
          groupInstanceId,
          protocolType: "consumer",
          protocols,
          reason: null,
        },
        { timeout },
      );
    }
    if (join.errorCode === ErrorCode.FENCED_INSTANCE_ID) {
      throw new KafkaJSNonRetriableError(
        protocolError(join.errorCode, `group.instance.id ${groupInstanceId}`),
      );
    }
    this.check(join.errorCode, `JoinGroup ${groupId}`);
    this.memberId = join.memberId;
    this.generationId = join.generationId;
    this.leaderId = join.leader;
    this.protocolName = join.protocolName;
    const isLeader = join.leader === join.memberId;

    let assignments: GroupMemberAssignment[] = [];
    if (isLeader && !join.skipAssignment) {
      assignments = await this.assign(join.protocolName ?? "", join.members);
    }
    const sync = await coordinator.request(
      SyncGroup,
      {
        groupId,
        generationId: this.generationId,
        memberId: this.memberId,
        groupInstanceId,
        protocolType: "consumer",
        protocolName: join.protocolName,
        assignments: assignments.map((a) => ({ memberId: a.memberId, assignment: a.memberAssignment })),
      },
      { timeout },
    );
    if (sync.errorCode === ErrorCode.FENCED_INSTANCE_ID) {
      throw new KafkaJSNonRetriableError(
        protocolError(sync.errorCode, `group.instance.id ${groupInstanceId}`),
      );
    }
    this.check(sync.errorCode, `SyncGroup ${groupId}`);
    const assignment = new Map<string, number[]>();
    // Fewer than 2 bytes: the member was given nothing (KafkaJS reads it the same way).
    if (sync.assignment.length >= 2) {
      for (const tp of decodeAssignment(sync.assignment).assignedPartitions) {
        assignment.set(tp.topic, [...(assignment.get(tp.topic) ?? []), ...tp.partitions]);
      }
    }
    return {
      assignment,
      generationId: this.generationId,
      memberId: this.memberId,
      leaderId: this.leaderId,
      isLeader,
      protocolName: join.protocolName ?? "",
    };
  }

  private async assign(
    protocolName: string,
    members: Array<{ memberId: string; groupInstanceId: string | null; metadata: Buffer }>,
  ): Promise<GroupMemberAssignment[]> {
    const assigner = this.opts.assigners.find((a) => a.name === protocolName);
    if (!assigner) {
      throw new KafkaJSNonRetriableError(
        `Unsupported partition assigner "${protocolName}", the assigner wasn't found in the assigners list`,
      );
    }
    // Every member's topics, so the assigner sees the partitions of topics only others subscribe to.
    const topics = new Set<string>();
    for (const m of members) {
      try {
        for (const t of decodeSubscription(m.metadata).topics) topics.add(t);
      } catch {
        // a custom assigner's own metadata format: it knows its topics itself
      }
    }
    const cluster = this.opts.cluster;
    await cluster.addTargetTopics([...topics]).catch((e) => {
      this.logger.warn(`Could not load metadata for every subscribed topic: ${(e as Error).message}`, {
        groupId: this.opts.groupId,
      });
    });
    await cluster.refreshMetadata().catch(() => {});
    const groupMembers: AssignerGroupMember[] = members.map((m) => ({
      memberId: m.memberId,
      memberMetadata: m.metadata,
      groupInstanceId: m.groupInstanceId,
    }));
    const result = await assigner.assign({ members: groupMembers, topics: [...topics] });
    this.logger.debug("Group assignment", {
      groupId: this.opts.groupId,
      generationId: this.generationId,
      groupProtocol: protocolName,
      members: result.map((r) => r.memberId),
    });
    return result;
  }

  /** One Heartbeat; returns its error code (connection failures throw). */
  async heartbeat(): Promise<number> {
    const coordinator = await this.coordinator();
    const res = await coordinator.request(Heartbeat, {
      groupId: this.opts.groupId,
      generationId: this.generationId,
      memberId: this.memberId,
      groupInstanceId: this.opts.groupInstanceId,
    });
    if (COORDINATOR_MOVED.has(res.errorCode)) this.forgetCoordinator();
    return res.errorCode;
  }

  /** Leaves the group (dynamic members only: a static member stays until its session expires, KIP-345). */
  async leave(): Promise<void> {
    if (!this.memberId || this.opts.groupInstanceId !== null) return;
    const memberId = this.memberId;
    this.memberId = "";
    this.generationId = -1;
    const coordinator = await this.coordinator();
    const res = await coordinator.request(LeaveGroup, {
      groupId: this.opts.groupId,
      memberId,
      members: [{ memberId, groupInstanceId: null, reason: "the consumer is leaving the group" }],
    });
    if (res.errorCode !== ErrorCode.NONE && res.errorCode !== ErrorCode.UNKNOWN_MEMBER_ID)
      throw protocolError(res.errorCode, `LeaveGroup ${this.opts.groupId}`);
  }
}
