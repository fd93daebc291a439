/**
 * What the admin's methods share: the retry loop with KafkaJS's "retry these, give up on the rest"
 * shape, raw Metadata with KafkaJS's error checks, a topic's partitions, and ListOffsets by leader.
 */
import { ErrorCode } from "../../protocol/error-codes.js";
import { ListOffsets, Metadata } from "../../protocol/messages/index.js";
import type { ResponseOf } from "../../protocol/schema.js";
import type { Broker, Cluster } from "../cluster/index.js";
import { ConfigResourceTypes } from "../enums.js";
import { KafkaJSConnectionError, protocolError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { Retrier } from "../retry.js";

export type MetadataResponse = ResponseOf<typeof Metadata>;

export interface AdminContext {
  cluster: Cluster;
  logger: Logger;
  /** The admin's own retrier (its `retry` options), as KafkaJS's admin creates one per call. */
  retrier: Retrier;
  allowAutoTopicCreation: boolean;
}

/** Special ListOffsets timestamps. */
export const LATEST_OFFSET = -1n;
export const EARLIEST_OFFSET = -2n;
export const READ_UNCOMMITTED = 0;
export const READ_COMMITTED = 1;

/** KafkaJS error codes by which a request went to a broker with stale metadata. */
const STALE_METADATA_CODES = new Set<number>([
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
]);

const COORDINATOR_MOVED_CODES = new Set<number>([
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
]);

export function codeOf(e: unknown): number | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "number" ? code : undefined;
}

export function hasCode(e: unknown, code: number): boolean {
  return codeOf(e) === code;
}

export function isStaleMetadata(e: unknown): boolean {
  const code = codeOf(e);
  return code !== undefined && STALE_METADATA_CODES.has(code);
}

export function isCoordinatorMoved(e: unknown): boolean {
  const code = codeOf(e);
  return code !== undefined && COORDINATOR_MOVED_CODES.has(code);
}

/** A dropped connection: worth another attempt on a fresh one. */
export function isConnectionFailure(e: unknown): boolean {
  return e instanceof KafkaJSConnectionError;
}

export interface RetryPlan {
  /** Errors that deserve another attempt; anything else ends the call with that error as is. */
  retryOn: (e: unknown) => boolean;
  /** Runs before the next attempt (refresh metadata, forget a coordinator). */
  beforeRetry?: (e: unknown) => Promise<void> | void;
  /** Logged as a warning on each retry, as KafkaJS does. */
  warning?: string;
}

/**
 * KafkaJS's admin pattern: errors the plan names are thrown to the retrier (retried while retriable,
 * then KafkaJSNumberOfRetriesExceeded), every other error is the call's result unchanged.
 */
export function withRetries<T>(
  ctx: AdminContext,
  attempt: (retryCount: number) => Promise<T>,
  plan: RetryPlan,
): Promise<T> {
  return ctx.retrier(async (bail, retryCount, retryTime) => {
    try {
      return await attempt(retryCount);
    } catch (e) {
      if (!plan.retryOn(e)) bail(e as Error);
      if (plan.warning) {
        ctx.logger.warn(plan.warning, { error: (e as Error).message, retryCount, retryTime });
      }
      await plan.beforeRetry?.(e);
      throw e;
    }
  });
}

/**
 * Metadata from any broker; `null` asks for every topic. Like KafkaJS, a topic or partition error in
 * the answer is thrown (the first one), so callers see UNKNOWN_TOPIC_OR_PARTITION and friends.
 */
export async function fetchMetadata(ctx: AdminContext, topics: string[] | null): Promise<MetadataResponse> {
  const broker = await ctx.cluster.anyBroker();
  const response = await broker.request(Metadata, {
    topics: topics === null ? null : topics.map((name) => ({ name })),
    allowAutoTopicCreation: ctx.allowAutoTopicCreation,
  });
  throwMetadataErrors(response);
  return response;
}

function throwMetadataErrors(response: MetadataResponse): void {
  for (const topic of response.topics) {
    if (topic.errorCode !== 0) throw protocolError(topic.errorCode);
  }
  for (const topic of response.topics) {
    for (const partition of topic.partitions) {
      if (partition.errorCode !== 0) throw protocolError(partition.errorCode);
    }
  }
}

/**
 * Metadata that waits out LEADER_NOT_AVAILABLE (a topic just created), with the cluster's retrier as
 * KafkaJS's `cluster.metadata` does; other errors end the call.
 */
export function fetchMetadataSettled(ctx: AdminContext, topics: string[] | null): Promise<MetadataResponse> {
  return ctx.cluster.retrier(async (bail) => {
    try {
      return await fetchMetadata(ctx, topics);
    } catch (e) {
      if (hasCode(e, ErrorCode.LEADER_NOT_AVAILABLE) || isConnectionFailure(e)) throw e;
      return bail(e as Error);
    }
  });
}

export interface PartitionLeader {
  partition: number;
  /** Node id of the partition's leader, -1 while it has none. */
  leader: number;
}

/**
 * A topic's partitions (ascending) and their leaders, from fresh Metadata rather than the cluster's
 * cache: an admin call right after createPartitions or a leader change must see the new layout, and a
 * topic that turns out not to exist must not become one of the cluster's target topics.
 */
export async function topicLayout(ctx: AdminContext, topic: string): Promise<PartitionLeader[]> {
  const metadata = await fetchMetadata(ctx, [topic]);
  const found = metadata.topics.find((t) => t.name === topic);
  if (!found) throw protocolError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  return found.partitions
    .map((p) => ({ partition: p.partitionIndex, leader: p.leaderId }))
    .sort((a, b) => a.partition - b.partition);
}

/**
 * ListOffsets for partitions of one topic, each request to the partition's leader. A partition error
 * is thrown (the first one), as KafkaJS does.
 */
export async function listOffsets(
  ctx: AdminContext,
  topic: string,
  partitions: PartitionLeader[],
  timestamp: bigint,
  isolationLevel: number,
): Promise<Map<number, bigint>> {
  const byLeader = new Map<number, number[]>();
  for (const { partition, leader } of partitions) {
    if (leader < 0) throw protocolError(ErrorCode.LEADER_NOT_AVAILABLE);
    const list = byLeader.get(leader);
    if (list) list.push(partition);
    else byLeader.set(leader, [partition]);
  }
  const offsets = new Map<number, bigint>();
  await Promise.all(
    [...byLeader].map(async ([nodeId, ids]) => {
      const broker = await ctx.cluster.broker(nodeId);
      const response = await broker.request(ListOffsets, {
        replicaId: -1,
        isolationLevel,
        topics: [
          {
            name: topic,
            partitions: ids.map((partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp })),
          },
        ],
        timeoutMs: 5000,
      });
      for (const t of response.topics) {
        for (const p of t.partitions) {
          if (p.errorCode !== 0) throw protocolError(p.errorCode);
          offsets.set(p.partitionIndex, p.offset);
        }
      }
    }),
  );
  return offsets;
}

/** Runs `work` against the coordinator of a group or transactional id, finding it again when it moved. */
export function withCoordinator<T>(
  ctx: AdminContext,
  key: string,
  type: "GROUP" | "TRANSACTION",
  work: (coordinator: Broker) => Promise<T>,
): Promise<T> {
  return withRetries(ctx, async () => work(await ctx.cluster.coordinator(key, type)), {
    retryOn: (e) => isCoordinatorMoved(e) || isConnectionFailure(e),
    beforeRetry: () => ctx.cluster.forgetCoordinator(key, type),
  });
}

const isBrokerResource = (type: number) =>
  type === ConfigResourceTypes.BROKER || type === ConfigResourceTypes.BROKER_LOGGER;

/**
 * Config resources by the broker that must handle them: a broker's (or broker logger's) configs on
 * that broker, everything else on the controller, as KafkaJS and the Java client route them.
 */
export async function brokersForResources<R extends { type: number; name: string }>(
  ctx: AdminContext,
  resources: R[],
): Promise<Map<Broker, R[]>> {
  const controller = await ctx.cluster.controller();
  return groupByAsync(resources, async (r) =>
    isBrokerResource(r.type) ? ctx.cluster.broker(Number(r.name)) : controller,
  );
}

/** Groups items by an async key, keeping first-seen order (KafkaJS's groupBy). */
export async function groupByAsync<T, K>(items: T[], keyOf: (item: T) => Promise<K>): Promise<Map<K, T[]>> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = await keyOf(item);
    const list = groups.get(key);
    if (list) list.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
