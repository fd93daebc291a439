/**
 * Client-side partition assignors for the classic group protocol, in KafkaJS's PartitionAssigner
 * shape so the group leader runs them like any custom assigner:
 * - `roundRobin`: KafkaJS's (../assigners.ts), the default, so Brook and KafkaJS members can share a group;
 * - `range`: Apache Kafka's RangeAssignor ("range"): per topic, members in order take consecutive
 *   ranges, the first `partitions % members` one partition more;
 * - `cooperativeSticky`: Kafka's CooperativeStickyAssignor ("cooperative-sticky", KIP-429): members
 *   keep what they own as far as balance allows, and a partition that moves to another member is left
 *   out of this round's assignment, so its owner revokes just that partition and rejoins; the
 *   follow-up rebalance gives it to its new member. Everything else keeps being consumed throughout.
 *
 * Brook passes assigners a little more than KafkaJS does — each member's `groupInstanceId`, and the
 * owned partitions and generation for `protocol()` — and reads an optional `rebalanceProtocol`;
 * assigners written for KafkaJS ignore the extras and are treated as eager.
 */
import { AssignerProtocol, PartitionAssigners as KafkaJSAssigners } from "../assigners.js";
import {
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  type Subscription,
} from "../../protocol/embedded/consumer-protocol.js";
import type {
  Assigner,
  GroupMember,
  GroupMemberAssignment,
  GroupState,
  PartitionAssigner,
} from "../types.js";

export type RebalanceProtocol = "eager" | "cooperative";

/** A member as Brook hands it to assigners: KafkaJS's fields plus the static instance id. */
export interface AssignerGroupMember extends GroupMember {
  groupInstanceId?: string | null;
}

/** What Brook passes to `protocol()`: KafkaJS's `{ topics }` plus the member's current state. */
export interface ProtocolSubscription {
  topics: string[];
  ownedPartitions?: Array<{ topic: string; partitions: number[] }>;
  generationId?: number;
  rackId?: string | null;
}

/** An Assigner that may say it supports incremental (cooperative) rebalancing. */
export type BrookAssigner = Omit<Assigner, "protocol"> & {
  rebalanceProtocol?: RebalanceProtocol;
  protocol(subscription: ProtocolSubscription): GroupState;
};

interface MemberInfo {
  memberId: string;
  groupInstanceId: string | null;
  subscription: Subscription;
}

/** Kafka's member order: static members by instance id first, then dynamic ones by member id. */
function compareMembers(a: MemberInfo, b: MemberInfo): number {
  if (a.groupInstanceId !== null && b.groupInstanceId !== null)
    return a.groupInstanceId < b.groupInstanceId ? -1 : a.groupInstanceId > b.groupInstanceId ? 1 : 0;
  if (a.groupInstanceId !== null) return -1;
  if (b.groupInstanceId !== null) return 1;
  return a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0;
}

function decodeMembers(members: GroupMember[]): MemberInfo[] {
  return members.map((m) => ({
    memberId: m.memberId,
    groupInstanceId: (m as AssignerGroupMember).groupInstanceId ?? null,
    subscription: decodeSubscription(m.memberMetadata),
  }));
}

function encodeMemberAssignment(assignment: Map<string, number[]>, version: number): Buffer {
  const assignedPartitions = [...assignment]
    .filter(([, partitions]) => partitions.length > 0)
    .map(([topic, partitions]) => ({ topic, partitions: [...partitions].sort((a, b) => a - b) }));
  // Version 0 of the layout (what every Kafka client reads), stamped with the assigner's version.
  const bytes = encodeAssignment({ assignedPartitions, userData: null }, 0);
  bytes.writeInt16BE(version, 0);
  return bytes;
}

/** The topics any member subscribes to, and their partitions from the leader's metadata. */
function partitionsOf(
  cluster: { findTopicPartitionMetadata(topic: string): Array<{ partitionId: number }> },
  topics: Iterable<string>,
): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const topic of [...new Set(topics)].sort()) {
    let ids: number[];
    try {
      ids = cluster.findTopicPartitionMetadata(topic).map((p) => p.partitionId);
    } catch {
      continue; // a topic nobody can read (deleted, not yet created) gets no assignment
    }
    out.set(
      topic,
      ids.sort((a, b) => a - b),
    );
  }
  return out;
}

const range: PartitionAssigner = ({ cluster }) => {
  const assigner: BrookAssigner = {
    name: "range",
    version: 0,
    rebalanceProtocol: "eager",
    async assign({ members }) {
      const infos = decodeMembers(members);
      const byMember = new Map<string, Map<string, number[]>>(infos.map((m) => [m.memberId, new Map()]));
      const partitions = partitionsOf(
        cluster,
        infos.flatMap((m) => m.subscription.topics),
      );
      for (const [topic, ids] of partitions) {
        const subscribers = infos.filter((m) => m.subscription.topics.includes(topic)).sort(compareMembers);
        if (subscribers.length === 0) continue;
        const per = Math.floor(ids.length / subscribers.length);
        const extra = ids.length % subscribers.length;
        subscribers.forEach((m, i) => {
          const start = per * i + Math.min(i, extra);
          const length = per + (i < extra ? 1 : 0);
          if (length > 0) byMember.get(m.memberId)!.set(topic, ids.slice(start, start + length));
        });
      }
      return [...byMember].map(
        ([memberId, assignment]): GroupMemberAssignment => ({
          memberId,
          memberAssignment: encodeMemberAssignment(assignment, assigner.version),
        }),
      );
    },
    protocol({ topics }) {
      return {
        name: assigner.name,
        metadata: AssignerProtocol.MemberMetadata.encode({
          version: assigner.version,
          topics,
          userData: Buffer.alloc(0),
        }),
      };
    },
  };
  return assigner;
};

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/** The generation a member's subscription claims: v2+ carries it; older ones in userData, as Java writes it. */
function generationOf(s: Subscription): number {
  if (s.generationId >= 0) return s.generationId;
  if (s.userData && s.userData.length >= 4) return s.userData.readInt32BE(0);
  return -1;
}

/**
 * The sticky target assignment: valid owned partitions stay (newest generation wins a conflict),
 * free partitions go to the least loaded eligible member, then partitions move from the most to the
 * least loaded member until no eligible move narrows the gap. Returns memberId → partition keys.
 */
export function stickyTarget(
  infos: MemberInfo[],
  partitions: Map<string, number[]>,
): { target: Map<string, string[]>; owner: Map<string, string> } {
  const order = [...infos].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  const subscribed = new Map(order.map((m) => [m.memberId, new Set(m.subscription.topics)]));
  const exists = new Set<string>();
  for (const [topic, ids] of partitions) for (const p of ids) exists.add(key(topic, p));

  // Who validly owns what right now.
  const owner = new Map<string, string>();
  const ownerGeneration = new Map<string, number>();
  const byGeneration = [...order].sort((a, b) => generationOf(b.subscription) - generationOf(a.subscription));
  for (const m of byGeneration) {
    const generation = generationOf(m.subscription);
    for (const { topic, partitions: ps } of m.subscription.ownedPartitions) {
      if (!subscribed.get(m.memberId)!.has(topic)) continue;
      for (const p of ps) {
        const k = key(topic, p);
        if (!exists.has(k) || owner.has(k)) continue;
        owner.set(k, m.memberId);
        ownerGeneration.set(k, generation);
      }
    }
  }

  const target = new Map<string, string[]>(order.map((m) => [m.memberId, []]));
  for (const [k, memberId] of owner) target.get(memberId)!.push(k);
  const topicOf = (k: string) => k.slice(0, k.indexOf("\u0000"));
  const eligible = (memberId: string, k: string) => subscribed.get(memberId)!.has(topicOf(k));

  // Free partitions, in topic/partition order, to the least loaded eligible member.
  for (const [topic, ids] of partitions) {
    for (const p of ids) {
      const k = key(topic, p);
      if (owner.has(k)) continue;
      let best: string | null = null;
      for (const m of order) {
        if (!eligible(m.memberId, k)) continue;
        if (best === null || target.get(m.memberId)!.length < target.get(best)!.length) best = m.memberId;
      }
      if (best !== null) target.get(best)!.push(k);
    }
  }

  // Even out: move a partition from a member holding at least two more than an eligible one.
  for (let guard = 0; guard < exists.size * order.length + 1; guard++) {
    let moved = false;
    const byLoad = [...order].sort((a, b) => target.get(b.memberId)!.length - target.get(a.memberId)!.length);
    outer: for (const from of byLoad) {
      const fromList = target.get(from.memberId)!;
      for (let i = byLoad.length - 1; i >= 0; i--) {
        const to = byLoad[i]!;
        const toList = target.get(to.memberId)!;
        if (fromList.length - toList.length < 2) break;
        // Prefer giving away the partitions added most recently (the end of the list).
        for (let j = fromList.length - 1; j >= 0; j--) {
          if (!eligible(to.memberId, fromList[j]!)) continue;
          toList.push(fromList.splice(j, 1)[0]!);
          moved = true;
          break outer;
        }
      }
    }
    if (!moved) break;
  }
  return { target, owner };
}

const cooperativeSticky: PartitionAssigner = ({ cluster }) => {
  const assigner: BrookAssigner = {
    name: "cooperative-sticky",
    version: 0,
    rebalanceProtocol: "cooperative",
    async assign({ members }) {
      const infos = decodeMembers(members);
      const partitions = partitionsOf(
        cluster,
        infos.flatMap((m) => m.subscription.topics),
      );
      const { target, owner } = stickyTarget(infos, partitions);
      return [...target].map(([memberId, keys]): GroupMemberAssignment => {
        const assignment = new Map<string, number[]>();
        for (const k of keys) {
          // KIP-429: a partition still owned by another member is not handed over in this round.
          const current = owner.get(k);
          if (current !== undefined && current !== memberId) continue;
          const sep = k.indexOf("\u0000");
          const topic = k.slice(0, sep);
          let list = assignment.get(topic);
          if (!list) assignment.set(topic, (list = []));
          list.push(Number(k.slice(sep + 1)));
        }
        return { memberId, memberAssignment: encodeMemberAssignment(assignment, assigner.version) };
      });
    },
    protocol({ topics, ownedPartitions = [], generationId = -1, rackId = null }) {
      // Java writes the generation into userData too, for members that only read subscription v0/v1.
      const userData = Buffer.alloc(4);
      userData.writeInt32BE(generationId, 0);
      return {
        name: assigner.name,
        metadata: encodeSubscription({ topics, userData, ownedPartitions, generationId, rackId }, 3),
      };
    },
  };
  return assigner;
};

/** KafkaJS's PartitionAssigners plus Kafka's range and cooperative-sticky assignors. */
export const PartitionAssigners: {
  roundRobin: PartitionAssigner;
  range: PartitionAssigner;
  cooperativeSticky: PartitionAssigner;
} = { roundRobin: KafkaJSAssigners.roundRobin, range, cooperativeSticky };
