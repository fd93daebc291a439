/**
 * The consumer's offset requests: committed offsets from the group coordinator (OffsetFetch),
 * offsets by time from partition leaders (ListOffsets, for fromBeginning and seeks to -2/-1), and
 * commits (OffsetCommit) in the shape KafkaJS's events report them.
 */
import { ErrorCode, errorInfo } from "../../protocol/error-codes.js";
import { ListOffsets, OffsetCommit, OffsetFetch } from "../../protocol/messages/index.js";
import type { Broker, Cluster } from "../cluster/index.js";
import { KafkaJSConnectionError, protocolError } from "../errors.js";

export const EARLIEST = -2;
export const LATEST = -1;

export interface TopicPartitionNumber {
  topic: string;
  partition: number;
}

/** Who commits: the group member's identity (generation for classic groups, epoch for KIP-848). */
export interface MemberIdentity {
  groupId: string;
  memberId: string;
  generationId: number;
  groupInstanceId: string | null;
}

export interface CommitEntry {
  topic: string;
  partition: number;
  offset: number;
  metadata?: string | null;
}

/** Errors after which the coordinator must be looked up again. */
export const COORDINATOR_MOVED = new Set<number>([
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
]);

/** Partition errors that mean the cached leader is wrong or not ready yet. */
export const STALE_LEADER = new Set<number>([
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.UNKNOWN_TOPIC_ID,
  ErrorCode.KAFKA_STORAGE_ERROR,
  ErrorCode.OFFSET_NOT_AVAILABLE,
  ErrorCode.REPLICA_NOT_AVAILABLE,
]);

function byTopic<T extends { topic: string }>(items: T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    let list = out.get(item.topic);
    if (!list) out.set(item.topic, (list = []));
    list.push(item);
  }
  return out;
}

/**
 * Committed offsets (-1 where the group has none). With `requireStable` (read_committed) the
 * coordinator answers UNSTABLE_OFFSET_COMMIT while a transaction's offsets are pending; that is
 * thrown as a retriable error for the caller's retrier.
 */
export async function fetchCommittedOffsets(
  coordinator: Broker,
  groupId: string,
  partitions: TopicPartitionNumber[],
  options: { requireStable: boolean; memberId?: string | null; memberEpoch?: number },
): Promise<Map<string, Map<number, number>>> {
  const topics = [...byTopic(partitions)].map(([name, ps]) => ({
    name,
    partitionIndexes: ps.map((p) => p.partition),
  }));
  const version = coordinator.versionOf(OffsetFetch);
  const out = new Map<string, Map<number, number>>();
  const take = (
    list: Array<{
      name: string;
      partitions: Array<{ partitionIndex: number; committedOffset: bigint; errorCode: number }>;
    }>,
  ) => {
    for (const t of list) {
      let m = out.get(t.name);
      if (!m) out.set(t.name, (m = new Map()));
      for (const p of t.partitions) {
        if (p.errorCode !== ErrorCode.NONE) throw protocolError(p.errorCode, `${t.name}-${p.partitionIndex}`);
        m.set(p.partitionIndex, Number(p.committedOffset));
      }
    }
  };
  if (version >= 8) {
    const res = await coordinator.request(
      OffsetFetch,
      {
        groups: [
          {
            groupId,
            memberId: options.memberId ?? null,
            memberEpoch: options.memberEpoch ?? -1,
            topics,
          },
        ],
        requireStable: options.requireStable,
      },
      { version },
    );
    const group = res.groups[0];
    if (!group) throw protocolError(ErrorCode.UNKNOWN_SERVER_ERROR, "OffsetFetch answered no group");
    if (group.errorCode !== ErrorCode.NONE) throw protocolError(group.errorCode);
    take(group.topics);
  } else {
    const res = await coordinator.request(
      OffsetFetch,
      { groupId, topics, requireStable: options.requireStable },
      { version },
    );
    if (res.errorCode !== ErrorCode.NONE) throw protocolError(res.errorCode);
    take(res.topics);
  }
  return out;
}

/**
 * Offsets by timestamp (EARLIEST, LATEST or a time) from each partition's leader. Leader errors
 * refresh the metadata and are thrown retriable, so the caller's retrier tries again.
 */
export async function listOffsets(
  cluster: Cluster,
  requests: Array<TopicPartitionNumber & { timestamp: number }>,
  isolationLevel: number,
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (requests.length === 0) return out;
  await cluster.addTargetTopics([...new Set(requests.map((r) => r.topic))]);
  const byLeader = cluster.groupByLeader(requests);
  await Promise.all(
    [...byLeader].map(async ([nodeId, items]) => {
      const broker = await cluster.broker(nodeId);
      const res = await broker.request(ListOffsets, {
        replicaId: -1,
        isolationLevel,
        timeoutMs: 5000,
        topics: [...byTopic(items)].map(([name, ps]) => ({
          name,
          partitions: ps.map((p) => ({
            partitionIndex: p.partition,
            currentLeaderEpoch: leaderEpochOf(cluster, p.topic, p.partition),
            timestamp: p.timestamp,
          })),
        })),
      });
      for (const t of res.topics) {
        for (const p of t.partitions) {
          if (p.errorCode !== ErrorCode.NONE) {
            if (STALE_LEADER.has(p.errorCode)) cluster.invalidateMetadata();
            throw protocolError(p.errorCode, `${t.name}-${p.partitionIndex}`);
          }
          const offset = p.oldStyleOffsets?.length ? Number(p.oldStyleOffsets[0]) : Number(p.offset);
          out.set(`${t.name}\u0000${p.partitionIndex}`, offset);
        }
      }
    }),
  ).catch(async (e) => {
    if (e instanceof KafkaJSConnectionError || (e as { retriable?: boolean }).retriable) {
      await cluster.refreshMetadata().catch(() => {});
    }
    throw e;
  });
  return out;
}

export function leaderEpochOf(cluster: Cluster, topic: string, partition: number): number {
  const p = cluster.topicMetadata(topic)?.partitions.find((x) => x.partitionId === partition);
  return p?.leaderEpoch ?? -1;
}

/** Sends one OffsetCommit; throws the first partition error (the others were committed or not, per partition). */
export async function commitOffsets(
  coordinator: Broker,
  member: MemberIdentity,
  entries: CommitEntry[],
): Promise<Array<{ topic: string; partition: number; offset: number; errorCode: number }>> {
  const res = await coordinator.request(OffsetCommit, {
    groupId: member.groupId,
    generationIdOrMemberEpoch: member.generationId,
    memberId: member.memberId,
    groupInstanceId: member.groupInstanceId,
    retentionTimeMs: -1,
    topics: [...byTopic(entries)].map(([name, ps]) => ({
      name,
      partitions: ps.map((p) => ({
        partitionIndex: p.partition,
        committedOffset: p.offset,
        committedLeaderEpoch: -1,
        committedMetadata: p.metadata ?? null,
      })),
    })),
  });
  const results: Array<{ topic: string; partition: number; offset: number; errorCode: number }> = [];
  const wanted = new Map(entries.map((e) => [`${e.topic}\u0000${e.partition}`, e.offset]));
  for (const t of res.topics) {
    for (const p of t.partitions) {
      results.push({
        topic: t.name,
        partition: p.partitionIndex,
        offset: wanted.get(`${t.name}\u0000${p.partitionIndex}`) ?? -1,
        errorCode: p.errorCode,
      });
    }
  }
  return results;
}

export function isRetriableCode(code: number): boolean {
  return errorInfo(code).retriable;
}
