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
import type { AlterConfigResponse } from "./types.js";

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

/** NOT_CONTROLLER means the controller moved: find it again and retry, as KafkaJS does. */
export function controllerRetry(ctx: AdminContext, warning: string): RetryPlan {
  return {
    retryOn: (e) => hasCode(e, ErrorCode.NOT_CONTROLLER) || isConnectionFailure(e),
    beforeRetry: () => ctx.cluster.refreshMetadata(),
    warning,
  };
}

/** Throws the first failed item of a response's per-item results (KafkaJS reports the first). */
export function throwFirstError(results: Array<{ errorCode: number; errorMessage?: string | null }>): void {
  const failed = results.find((r) => r.errorCode !== 0);
  if (failed) throw protocolError(failed.errorCode, failed.errorMessage);
}

/** Throws the first partition error of a response's topics. */
export function throwPartitionErrors(topics: Array<{ partitions: Array<{ errorCode: number }> }>): void {
  for (const t of topics) {
    for (const p of t.partitions) if (p.errorCode !== 0) throw protocolError(p.errorCode);
  }
}

/** Runs `work` against the controller, finding it again when it moved (see controllerRetry). */
export function withController<T>(
  ctx: AdminContext,
  warning: string,
  work: (controller: Broker) => Promise<T>,
): Promise<T> {
  return withRetries(ctx, async () => work(await ctx.cluster.controller()), controllerRetry(ctx, warning));
}

/** Runs `work` against any broker (one that can forward to the controller), again on a lost connection. */
export function withAnyBroker<T>(ctx: AdminContext, work: (broker: Broker) => Promise<T>): Promise<T> {
  return withRetries(ctx, async () => work(await ctx.cluster.anyBroker()), { retryOn: isConnectionFailure });
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
 * that broker, everything else (the cluster-wide broker default too) on the controller, as KafkaJS
 * and the Java client route them.
 */
export async function brokersForResources<R extends { type: number; name: string }>(
  ctx: AdminContext,
  resources: R[],
): Promise<Map<Broker, R[]>> {
  const controller = await ctx.cluster.controller();
  // The cluster-wide default broker entity (name "") is not any one broker's: the controller takes it,
  // as the Java client sends it to any node.
  return groupByAsync(resources, async (r) =>
    isBrokerResource(r.type) && r.name !== "" ? ctx.cluster.broker(Number(r.name)) : controller,
  );
}

/**
 * Sends `request` to each broker that handles some of the config resources (brokersForResources), in
 * parallel, and throws the first failed resource of any answer.
 */
export async function requestByResourceBroker<R extends { type: number; name: string }, T>(
  ctx: AdminContext,
  resources: R[],
  request: (broker: Broker, resources: R[]) => Promise<T>,
  resultsOf: (response: T) => Array<{ errorCode: number; errorMessage: string | null }>,
): Promise<T[]> {
  const groups = await brokersForResources(ctx, resources);
  return Promise.all(
    [...groups].map(async ([broker, rs]) => {
      const response = await request(broker, rs);
      throwFirstError(resultsOf(response));
      return response;
    }),
  );
}

/** The longest throttle of the answers a call merged (0 when none asked to wait). */
export function maxThrottleTime(responses: Array<{ throttleTimeMs: number }>): number {
  return Math.max(0, ...responses.map((r) => r.throttleTimeMs));
}

interface AlterConfigsAnswer {
  throttleTimeMs: number;
  responses: Array<{
    errorCode: number;
    errorMessage: string | null;
    resourceType: number;
    resourceName: string;
  }>;
}

/**
 * alterConfigs and incrementalAlterConfigs: the same routing, retries and answer; only the request
 * (AlterConfigs or IncrementalAlterConfigs, whose responses have the same fields) differs.
 */
export function alterResourceConfigs<R extends { type: number; name: string }>(
  ctx: AdminContext,
  resources: R[],
  request: (broker: Broker, resources: R[]) => Promise<AlterConfigsAnswer>,
  warning: string,
): Promise<AlterConfigResponse> {
  return withRetries(
    ctx,
    async () => {
      const responses = await requestByResourceBroker(ctx, resources, request, (r) => r.responses);
      return {
        resources: responses.flatMap((response) =>
          response.responses.map((r) => ({
            errorCode: r.errorCode,
            errorMessage: r.errorMessage,
            resourceType: r.resourceType as ConfigResourceTypes,
            resourceName: r.resourceName,
          })),
        ),
        throttleTime: maxThrottleTime(responses),
      };
    },
    controllerRetry(ctx, warning),
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
