/**
 * Brook's admin client: KafkaJS 2.2.4's `Admin` (same methods, arguments, checks, results and error
 * classes) on Brook's protocol codec, using the newest API version the broker and the codec share,
 * plus the admin operations KafkaJS lacks (extras.ts), with the Java AdminClient's semantics.
 *
 * Where this differs from KafkaJS on purpose, the method says so: mostly fresh metadata where KafkaJS
 * read a possibly stale cache, and a retry where KafkaJS gave up on an error that only meant "ask
 * another broker".
 */
import { ErrorCode } from "../../protocol/error-codes.js";
import {
  AlterConfigs,
  AlterPartitionReassignments,
  CreateAcls,
  CreatePartitions,
  CreateTopics,
  DeleteAcls,
  DeleteGroups,
  DeleteRecords,
  DeleteTopics,
  DescribeAcls,
  DescribeConfigs,
  DescribeGroups,
  ListGroups,
  ListPartitionReassignments,
  Metadata,
  OffsetCommit,
  OffsetFetch,
} from "../../protocol/messages/index.js";
import type { Cluster } from "../cluster/index.js";
import { type ConfigResourceTypes, ConfigSource } from "../enums.js";
import {
  KafkaJSAggregateError,
  KafkaJSAlterPartitionReassignmentsError,
  KafkaJSBrokerNotFound,
  KafkaJSCreateTopicError,
  KafkaJSDeleteGroupsError,
  type KafkaJSDeleteGroupsErrorGroups,
  KafkaJSDeleteTopicRecordsError,
  type KafkaJSDeleteTopicRecordsErrorPartition,
  KafkaJSNonRetriableError,
  KafkaJSTimeout,
  protocolError,
} from "../errors.js";
import { groupDescription } from "../group-description.js";
import { ADMIN_EVENTS, createOn, InstrumentationEmitter } from "../instrumentation.js";
import type { Logger } from "../logger.js";
import { createRetry, type RetryOptions } from "../retry.js";
import { createExtras } from "./extras.js";
import {
  checkAclEntries,
  checkAclFilter,
  checkAclFilters,
  checkConfigEntries,
  checkConfigNames,
  checkConfigResources,
  checkGroupId,
  checkGroupIds,
  checkReassignmentQuery,
  checkReassignments,
  checkResourceConfigEntries,
  checkSeekEntries,
  checkTopic,
  checkTopicConfigs,
  checkTopicNames,
  checkTopicPartitions,
} from "./validation.js";
import {
  type AdminContext,
  alterResourceConfigs,
  controllerRetry,
  EARLIEST_OFFSET,
  fetchMetadataSettled,
  groupByAsync,
  hasCode,
  isConnectionFailure,
  isCoordinatorMoved,
  isStaleMetadata,
  LATEST_OFFSET,
  listOffsets,
  maxThrottleTime,
  READ_COMMITTED,
  requestByResourceBroker,
  sleep,
  throwFirstError,
  throwPartitionErrors,
  topicLayout,
  withController,
  withCoordinator,
  withRetries,
} from "./support.js";
import type {
  AclEntry,
  AclFilter,
  Admin,
  AlterConfigResponse,
  DeleteAclResponse,
  DeleteGroupsResult,
  DescribeAclResponse,
  DescribeConfigResponse,
  FetchOffsetsPartition,
  GroupDescription,
  GroupListing,
  IResourceConfig,
  ITopicConfig,
  ITopicPartitionConfig,
  ListPartitionReassignmentsResponse,
  PartitionReassignment,
  ResourceConfigQuery,
  SeekEntry,
  TopicPartitions,
} from "./types.js";

export type * from "./types.js";

export interface AdminOptions {
  cluster: Cluster;
  logger: Logger;
  instrumentationEmitter?: InstrumentationEmitter;
  /** The admin's retry policy (KafkaJS: `kafka.admin({ retry })`, else the client's). */
  retry?: RetryOptions;
  /** Whether the admin's Metadata requests may create missing topics; KafkaJS's admin never does. */
  allowAutoTopicCreation?: boolean;
}

/** Timeout KafkaJS puts in CreateTopics, DeleteTopics, CreatePartitions, ... when none is given. */
const DEFAULT_REQUEST_TIMEOUT_MS = 5000;
/** How long createTopics waits for leaders when no timeout is given (KafkaJS's waitFor default). */
const DEFAULT_LEADER_WAIT_MS = 10_000;

const NO_CONTROLLER_ID = -1;

/** Topic names in the order KafkaJS reports errors for them. */
const byName = (a: { name: string | null }, b: { name: string | null }) =>
  (a.name ?? "").localeCompare(b.name ?? "");

/** An ACL filter as DescribeAcls and DeleteAcls both carry it; absent strings match anything. */
const aclFilterFields = (f: AclFilter) => ({
  resourceTypeFilter: f.resourceType,
  resourceNameFilter: f.resourceName ?? null,
  patternTypeFilter: f.resourcePatternType,
  principalFilter: f.principal ?? null,
  hostFilter: f.host ?? null,
  operation: f.operation,
  permissionType: f.permissionType,
});

export function createAdmin({
  cluster,
  logger: rootLogger,
  instrumentationEmitter,
  retry,
  allowAutoTopicCreation = false,
}: AdminOptions): Admin {
  const logger = rootLogger.namespace("Admin");
  const emitter = instrumentationEmitter ?? new InstrumentationEmitter();
  const ctx: AdminContext = { cluster, logger, retrier: createRetry(retry), allowAutoTopicCreation };

  // -------------------------------------------------------------------------------------------
  // Connection

  async function connect(): Promise<void> {
    await cluster.connect();
    emitter.emit(ADMIN_EVENTS.CONNECT);
  }

  async function disconnect(): Promise<void> {
    await cluster.disconnect();
    emitter.emit(ADMIN_EVENTS.DISCONNECT);
  }

  // -------------------------------------------------------------------------------------------
  // Topics

  async function listTopics(): Promise<string[]> {
    const metadata = await fetchMetadataSettled(ctx, null);
    return metadata.topics.map((t) => t.name as string);
  }

  /**
   * Polls Metadata until every topic has a leader for every partition. Unlike KafkaJS, a topic the
   * queried broker does not know yet is waited for too (in a multi-broker cluster, metadata reaches
   * brokers one after another); other errors end the wait.
   */
  async function waitForLeaders(topics: string[], maxWaitMs: number): Promise<void> {
    const deadline = performance.now() + maxWaitMs;
    for (;;) {
      await sleep(100);
      const broker = await cluster.anyBroker();
      const response = await broker.request(Metadata, {
        topics: topics.map((name) => ({ name })),
        allowAutoTopicCreation: false,
      });
      let ready = true;
      for (const topic of response.topics) {
        const codes = [topic.errorCode, ...topic.partitions.map((p) => p.errorCode)];
        for (const code of codes) {
          if (code === 0) continue;
          if (code !== ErrorCode.LEADER_NOT_AVAILABLE && code !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
            throw protocolError(code);
          }
          ready = false;
        }
        if (topic.partitions.some((p) => p.leaderId < 0)) ready = false;
      }
      if (ready) return;
      if (performance.now() >= deadline)
        throw new KafkaJSTimeout("Timed out while waiting for topic leaders");
    }
  }

  async function createTopics({
    topics,
    validateOnly,
    timeout,
    waitForLeaders: shouldWait = true,
  }: {
    validateOnly?: boolean;
    waitForLeaders?: boolean;
    timeout?: number;
    topics: ITopicConfig[];
  }): Promise<boolean> {
    checkTopicConfigs(topics);
    checkConfigEntries(topics);

    return withController(ctx, "Could not create topics", async (broker) => {
      const response = await broker.request(CreateTopics, {
        topics: topics.map((t) => ({
          name: t.topic,
          numPartitions: t.numPartitions ?? -1,
          replicationFactor: t.replicationFactor ?? -1,
          assignments: (t.replicaAssignment ?? []).map((a) => ({
            partitionIndex: a.partition,
            brokerIds: a.replicas,
          })),
          configs: (t.configEntries ?? []).map((c) => ({ name: c.name, value: c.value })),
        })),
        timeoutMs: timeout ?? DEFAULT_REQUEST_TIMEOUT_MS,
        validateOnly: !!validateOnly,
      });
      const failed = response.topics.filter((t) => t.errorCode !== 0).sort(byName);
      const created = response.topics.filter((t) => t.errorCode === 0).map((t) => t.name);
      // validateOnly creates nothing, so there are no leaders to wait for (KafkaJS waits anyway and
      // fails with UNKNOWN_TOPIC_OR_PARTITION).
      if (shouldWait && !validateOnly && created.length > 0) {
        await waitForLeaders(created, timeout ?? DEFAULT_LEADER_WAIT_MS);
      }
      if (failed.length === 0) return true;
      // Only "already exists" errors: KafkaJS's answer is false rather than an error.
      if (failed.every((t) => t.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS)) return false;
      throw new KafkaJSAggregateError(
        "Topic creation errors",
        failed.map((t) => new KafkaJSCreateTopicError(protocolError(t.errorCode, t.errorMessage), t.name)),
      );
    });
  }

  async function createPartitions({
    topicPartitions,
    validateOnly,
    timeout,
  }: {
    validateOnly?: boolean;
    timeout?: number;
    topicPartitions: ITopicPartitionConfig[];
  }): Promise<boolean> {
    checkTopicPartitions(topicPartitions);
    return withController(ctx, "Could not create partitions", async (broker) => {
      const response = await broker.request(CreatePartitions, {
        topics: topicPartitions.map(({ topic, count, assignments }) => ({
          name: topic,
          count,
          // KafkaJS sends an empty list as null: "let the controller place the new partitions".
          assignments:
            assignments && assignments.length > 0 ? assignments.map((brokerIds) => ({ brokerIds })) : null,
        })),
        timeoutMs: timeout ?? DEFAULT_REQUEST_TIMEOUT_MS,
        validateOnly: !!validateOnly,
      });
      const failed = response.results.filter((r) => r.errorCode !== 0).sort(byName);
      if (failed.length > 0) throw protocolError(failed[0]!.errorCode, failed[0]!.errorMessage);
      // KafkaJS resolves to undefined although its d.ts promises a boolean; Brook keeps the promise.
      return true;
    });
  }

  async function deleteTopics({ topics, timeout }: { topics: string[]; timeout?: number }): Promise<void> {
    checkTopicNames(topics);
    return withRetries(
      ctx,
      async () => {
        const broker = await cluster.controller();
        const version = broker.versionOf(DeleteTopics);
        const timeoutMs = timeout ?? DEFAULT_REQUEST_TIMEOUT_MS;
        // v6 names topics in structs (so they may be named by id instead); older versions by name.
        const response = await broker.request(
          DeleteTopics,
          version >= 6
            ? { topics: topics.map((name) => ({ name })), timeoutMs }
            : { topicNames: topics, timeoutMs },
          { version },
        );
        const failed = response.responses.filter((r) => r.errorCode !== 0).sort(byName);
        if (failed.length > 0) {
          const first = failed[0]!;
          if (first.errorCode === ErrorCode.REQUEST_TIMED_OUT) {
            logger.error("Could not delete topics within the timeout; the deletion may still complete", {
              error: protocolError(first.errorCode).message,
              topics,
            });
          }
          throw protocolError(first.errorCode, first.errorMessage);
        }
        // The admin never adds target topics (it reads fresh metadata instead), so this refresh
        // cannot ask for, or auto-create, a topic just deleted.
        await cluster.refreshMetadata();
      },
      {
        // KafkaJS retries UNKNOWN_TOPIC_OR_PARTITION too (metadata may lag the controller), so a
        // topic that does not exist ends in KafkaJSNumberOfRetriesExceeded.
        retryOn: (e) =>
          hasCode(e, ErrorCode.NOT_CONTROLLER) ||
          hasCode(e, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) ||
          isConnectionFailure(e),
        beforeRetry: () => cluster.refreshMetadata(),
        warning: "Could not delete topics",
      },
    );
  }

  async function fetchTopicMetadata({ topics = [] }: { topics?: string[] } = {}) {
    if (topics) {
      for (const topic of topics) {
        if (!topic || typeof topic !== "string") throw new KafkaJSNonRetriableError(`Invalid topic ${topic}`);
      }
    }
    // An empty list means every topic, as in KafkaJS.
    const metadata = await fetchMetadataSettled(ctx, topics && topics.length > 0 ? topics : null);
    return {
      topics: metadata.topics.map((t) => ({
        name: t.name as string,
        partitions: t.partitions.map((p) => ({
          partitionErrorCode: p.errorCode,
          partitionId: p.partitionIndex,
          leader: p.leaderId,
          replicas: p.replicaNodes,
          isr: p.isrNodes,
          offlineReplicas: p.offlineReplicas,
        })),
      })),
    };
  }

  async function describeCluster() {
    const metadata = await fetchMetadataSettled(ctx, []);
    return {
      brokers: metadata.brokers.map(({ nodeId, host, port }) => ({ nodeId, host, port })),
      controller: metadata.controllerId === NO_CONTROLLER_ID ? null : metadata.controllerId,
      clusterId: metadata.clusterId as string,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Topic offsets

  /**
   * Each partition of `topic` with its high watermark and its offset at `timestamp` (ListOffsets,
   * read_committed). Unlike KafkaJS, partitions and leaders come from fresh metadata rather than the
   * cache, so a partition added a moment ago is included.
   */
  async function topicOffsets<T>(
    topic: string,
    timestamp: bigint,
    entry: (partition: number, high: bigint, atTimestamp: bigint) => T,
  ): Promise<T[]> {
    return withRetries(
      ctx,
      async () => {
        const layout = await topicLayout(ctx, topic);
        const high = await listOffsets(ctx, topic, layout, LATEST_OFFSET, READ_COMMITTED);
        const found = await listOffsets(ctx, topic, layout, timestamp, READ_COMMITTED);
        return layout.map(({ partition }) => entry(partition, high.get(partition)!, found.get(partition)!));
      },
      {
        retryOn: (e: unknown) => isStaleMetadata(e) || isConnectionFailure(e),
        beforeRetry: () => cluster.refreshMetadata(),
      },
    );
  }

  async function fetchTopicOffsets(topic: string) {
    checkTopic(topic);
    return topicOffsets(topic, EARLIEST_OFFSET, (partition, high, low) => {
      const h = String(high);
      return { partition, offset: h, high: h, low: String(low) };
    });
  }

  async function fetchTopicOffsetsByTimestamp(topic: string, timestamp?: number) {
    checkTopic(topic);
    // No timestamp: the latest offsets, as KafkaJS.
    const at = timestamp === undefined || timestamp === null ? LATEST_OFFSET : BigInt(timestamp);
    // No record at or after the timestamp: the partition's end.
    return topicOffsets(topic, at, (partition, high, offset) => ({
      partition,
      offset: String(offset >= 0n ? offset : high),
    }));
  }

  // -------------------------------------------------------------------------------------------
  // Group offsets

  async function offsetFetch(
    groupId: string,
    topics: Array<{ name: string; partitionIndexes: number[] }> | null,
  ): Promise<Array<{ topic: string; partitions: FetchOffsetsPartition[] }>> {
    return withCoordinator(ctx, groupId, "GROUP", async (coordinator) => {
      const version = coordinator.versionOf(OffsetFetch);
      const response = await coordinator.request(
        OffsetFetch,
        // v8 batches groups; before it, one group per request. null topics: every committed one.
        version >= 8 ? { groups: [{ groupId, topics }] } : { groupId, topics },
        { version },
      );
      const group = version >= 8 ? response.groups[0] : response;
      if (!group) throw protocolError(ErrorCode.UNKNOWN_SERVER_ERROR, "no group in OffsetFetch response");
      if (group.errorCode !== 0) throw protocolError(group.errorCode);
      throwPartitionErrors(group.topics);
      return group.topics.map((t) => ({
        topic: t.name,
        partitions: t.partitions.map((p) => ({
          partition: p.partitionIndex,
          offset: String(p.committedOffset),
          metadata: p.metadata || null,
        })),
      }));
    });
  }

  async function fetchOffsets({
    groupId,
    topics,
    resolveOffsets = false,
  }: {
    groupId: string;
    topics?: string[];
    resolveOffsets?: boolean;
  }): Promise<Array<{ topic: string; partitions: FetchOffsetsPartition[] }>> {
    checkGroupId(groupId);
    const topicList = topics ?? [];
    if (!Array.isArray(topicList)) throw new KafkaJSNonRetriableError("Expected topics array to be set");

    const request = await Promise.all(
      topicList.map(async (name) => ({
        name,
        partitionIndexes: (await topicLayout(ctx, name)).map((p) => p.partition),
      })),
    );
    let offsets = await offsetFetch(groupId, request.length > 0 ? request : null);

    if (resolveOffsets) {
      // Replace the "earliest"/"latest" markers (and "-1", no commit) by real offsets, and commit them.
      offsets = await Promise.all(
        offsets.map(async ({ topic, partitions }) => {
          const ends = new Map((await fetchTopicOffsets(topic)).map((o) => [o.partition, o]));
          const resolved = partitions.map((p) => {
            const end = ends.get(p.partition);
            if (end && BigInt(p.offset) === EARLIEST_OFFSET) return { ...p, offset: end.low };
            if (end && BigInt(p.offset) === LATEST_OFFSET) return { ...p, offset: end.high };
            return p;
          });
          await setOffsets({ groupId, topic, partitions: resolved });
          return { topic, partitions: resolved };
        }),
      );
    }
    return offsets;
  }

  async function describeGroupState(groupId: string): Promise<string> {
    const { groups } = await describeGroups([groupId]);
    return groups[0]?.state ?? "Dead";
  }

  /**
   * Commits offsets for a group that has no running members. KafkaJS does this by joining the group
   * with a throw-away consumer; Brook commits directly with generation -1, as Java's
   * alterConsumerGroupOffsets does. The visible difference: a group created this way has an empty
   * protocolType (KafkaJS's gets "consumer").
   */
  async function setOffsets({
    groupId,
    topic,
    partitions,
  }: {
    groupId: string;
    topic: string;
    partitions: SeekEntry[];
  }): Promise<void> {
    checkGroupId(groupId);
    if (!topic) throw new KafkaJSNonRetriableError(`Invalid topic ${topic}`);
    checkSeekEntries(partitions);

    const state = await describeGroupState(groupId);
    if (state !== "Empty" && state !== "Dead") {
      throw new KafkaJSNonRetriableError(
        `The consumer group must have no running instances, current state: ${state}`,
      );
    }
    await withCoordinator(ctx, groupId, "GROUP", async (coordinator) => {
      const response = await coordinator.request(OffsetCommit, {
        groupId,
        generationIdOrMemberEpoch: -1,
        memberId: "",
        groupInstanceId: null,
        topics: [
          {
            name: topic,
            partitions: partitions.map((p) => ({
              partitionIndex: p.partition,
              committedOffset: BigInt(p.offset),
              committedLeaderEpoch: -1,
              committedMetadata: null,
            })),
          },
        ],
      });
      throwPartitionErrors(response.topics);
    });
  }

  async function resetOffsets({
    groupId,
    topic,
    earliest = false,
  }: {
    groupId: string;
    topic: string;
    earliest: boolean;
  }): Promise<void> {
    checkGroupId(groupId);
    if (!topic) throw new KafkaJSNonRetriableError(`Invalid topic ${topic}`);
    const layout = await topicLayout(ctx, topic);
    // The markers themselves are committed, as KafkaJS does; consumers resolve them on start.
    const offset = String(earliest ? EARLIEST_OFFSET : LATEST_OFFSET);
    return setOffsets({ groupId, topic, partitions: layout.map(({ partition }) => ({ partition, offset })) });
  }

  // -------------------------------------------------------------------------------------------
  // Configs

  async function describeConfigs({
    resources,
    includeSynonyms,
  }: {
    resources: ResourceConfigQuery[];
    includeSynonyms: boolean;
  }): Promise<DescribeConfigResponse> {
    checkConfigResources(resources);
    checkConfigNames(resources as unknown as Array<Record<string, unknown>>);
    return withRetries(
      ctx,
      async () => {
        const responses = await requestByResourceBroker(
          ctx,
          resources,
          (broker, rs) =>
            broker.request(DescribeConfigs, {
              resources: rs.map((r) => ({
                resourceType: r.type,
                resourceName: r.name,
                // No names (or an empty list): every config of the resource.
                configurationKeys: r.configNames && r.configNames.length > 0 ? r.configNames : null,
              })),
              includeSynonyms: !!includeSynonyms,
              includeDocumentation: false,
            }),
          (response) => response.results,
        );
        return {
          resources: responses.flatMap((response) =>
            response.results.map((r) => ({
              errorCode: r.errorCode,
              errorMessage: r.errorMessage as string,
              resourceType: r.resourceType as ConfigResourceTypes,
              resourceName: r.resourceName,
              configEntries: r.configs.map((c) => ({
                configName: c.name,
                configValue: c.value as string,
                readOnly: c.readOnly,
                isDefault: c.configSource === ConfigSource.DEFAULT_CONFIG,
                configSource: c.configSource as ConfigSource,
                isSensitive: c.isSensitive,
                configSynonyms: c.synonyms.map((s) => ({
                  configName: s.name,
                  configValue: s.value as string,
                  configSource: s.source as ConfigSource,
                })),
              })),
            })),
          ),
          throttleTime: maxThrottleTime(responses),
        };
      },
      controllerRetry(ctx, "Could not describe configs"),
    );
  }

  async function alterConfigs({
    resources,
    validateOnly,
  }: {
    validateOnly: boolean;
    resources: IResourceConfig[];
  }): Promise<AlterConfigResponse> {
    checkConfigResources(resources);
    checkResourceConfigEntries(resources as unknown as Array<Record<string, unknown>>);
    return alterResourceConfigs(
      ctx,
      resources,
      (broker, rs) =>
        broker.request(AlterConfigs, {
          resources: rs.map((r) => ({
            resourceType: r.type,
            resourceName: r.name,
            configs: r.configEntries.map((c) => ({ name: c.name, value: c.value })),
          })),
          validateOnly: !!validateOnly,
        }),
      "Could not alter configs",
    );
  }

  // -------------------------------------------------------------------------------------------
  // Groups

  /** Every broker's groups (each coordinates its own share), with state and type where sent. */
  async function listGroupListings(): Promise<GroupListing[]> {
    await cluster.refreshMetadata();
    const groups: GroupListing[] = [];
    for (const { nodeId } of cluster.brokerList()) {
      const broker = await cluster.broker(nodeId);
      const response = await broker.request(ListGroups, { statesFilter: [], typesFilter: [] });
      if (response.errorCode !== 0) throw protocolError(response.errorCode);
      for (const g of response.groups) {
        groups.push({
          groupId: g.groupId,
          protocolType: g.protocolType,
          // ListGroups v4 and v5 add them; older brokers leave them null.
          groupState: g.groupState || null,
          groupType: g.groupType || null,
        });
      }
    }
    return groups;
  }

  async function listGroups() {
    // KafkaJS's shape exactly (the state and type are in listGroupListings).
    const groups = await listGroupListings();
    return { groups: groups.map(({ groupId, protocolType }) => ({ groupId, protocolType })) };
  }

  async function describeGroups(groupIds: string[]) {
    // Retriable group errors (a coordinator still loading, or moved) are retried, looking the
    // coordinators up again; the others reach the caller wrapped in KafkaJSNonRetriableError, as
    // KafkaJS's retrier does.
    const groups = await ctx.retrier(async () => {
      const byCoordinator = await groupByAsync(groupIds, (groupId) => cluster.coordinator(groupId, "GROUP"));
      const perCoordinator = await Promise.all(
        [...byCoordinator].map(async ([coordinator, ids]) => {
          const response = await coordinator.request(DescribeGroups, {
            groups: ids,
            includeAuthorizedOperations: false,
          });
          return response.groups.map((g) => {
            if (g.errorCode !== ErrorCode.NONE && isCoordinatorMoved({ code: g.errorCode }))
              cluster.forgetCoordinator(g.groupId, "GROUP");
            return groupDescription(g);
          });
        }),
      );
      return perCoordinator.flat();
    });
    return { groups: groups as Array<GroupDescription & { errorCode: number }> };
  }

  async function deleteGroups(groupIds: string[]): Promise<DeleteGroupsResult[]> {
    checkGroupIds(groupIds);
    // A retry only repeats the groups that failed, as KafkaJS.
    let pending = groupIds.slice();
    return withRetries(
      ctx,
      async () => {
        if (pending.length === 0) return [];
        const byCoordinator = await groupByAsync(pending, (groupId) => cluster.coordinator(groupId, "GROUP"));
        const responses = await Promise.all(
          [...byCoordinator].map(([coordinator, ids]) =>
            coordinator.request(DeleteGroups, { groupsNames: ids }),
          ),
        );
        const results: DeleteGroupsResult[] = responses.flatMap((r) =>
          r.results.map(({ groupId, errorCode }) =>
            errorCode === 0
              ? { groupId, errorCode }
              : { groupId, errorCode, error: protocolError(errorCode) },
          ),
        );
        const errors = results.filter((r) => r.errorCode !== 0) as KafkaJSDeleteGroupsErrorGroups[];
        pending = errors.map((e) => e.groupId);
        if (errors.length > 0) {
          for (const e of errors)
            if (isCoordinatorMoved(e.error)) cluster.forgetCoordinator(e.groupId, "GROUP");
          throw new KafkaJSDeleteGroupsError("Error in DeleteGroups", errors);
        }
        return results;
      },
      {
        // KafkaJS gives up on any group error; Brook retries when every failure only says the group's
        // coordinator moved.
        retryOn: (e) =>
          hasCode(e, ErrorCode.NOT_CONTROLLER) ||
          isCoordinatorMoved(e) ||
          isConnectionFailure(e) ||
          (e instanceof KafkaJSDeleteGroupsError && e.groups.every((g) => isCoordinatorMoved(g.error))),
        warning: "Could not delete groups",
      },
    );
  }

  // -------------------------------------------------------------------------------------------
  // Records

  async function deleteTopicRecords({
    topic,
    partitions,
  }: {
    topic: string;
    partitions: SeekEntry[];
  }): Promise<void> {
    if (!topic || typeof topic !== "string") throw new KafkaJSNonRetriableError(`Invalid topic "${topic}"`);
    checkSeekEntries(partitions);

    const layout = await topicLayout(ctx, topic);
    const leaders = new Map(layout.map((p) => [p.partition, p.leader]));
    const missing = partitions.filter((p) => !leaders.has(p.partition));
    if (missing.length > 0) {
      throw new KafkaJSDeleteTopicRecordsError({
        topic,
        partitions: missing.map(({ partition, offset }) => ({
          partition,
          offset,
          error: new KafkaJSBrokerNotFound("Could not find the leader for the partition", {
            retriable: false,
          }),
        })),
      });
    }
    const ends = await fetchTopicOffsets(topic);
    for (const { partition, offset } of partitions) {
      const low = ends.find((e) => e.partition === partition)?.low;
      if (low !== undefined && BigInt(offset) < BigInt(low) && BigInt(offset) !== -1n) {
        logger.warn(
          "The offset is below the partition's start offset: nothing is deleted from this partition",
          {
            topic,
            partition,
            offset,
          },
        );
      }
    }

    // Partitions already done are left out of a retry.
    let remaining = partitions.slice();
    return ctx.retrier(async () => {
      const current = await topicLayout(ctx, topic);
      const leaderOf = new Map(current.map((p) => [p.partition, p.leader]));
      const byLeader = await groupByAsync(remaining, async (p) => leaderOf.get(p.partition) ?? -1);
      const failures: KafkaJSDeleteTopicRecordsErrorPartition[] = [];
      await Promise.all(
        [...byLeader].map(async ([nodeId, entries]) => {
          const broker = await cluster.broker(nodeId);
          const response = await broker.request(DeleteRecords, {
            topics: [
              {
                name: topic,
                partitions: entries.map((p) => ({ partitionIndex: p.partition, offset: BigInt(p.offset) })),
              },
            ],
            timeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
          });
          for (const t of response.topics) {
            for (const p of t.partitions) {
              if (p.errorCode === 0) continue;
              const offset = entries.find((e) => e.partition === p.partitionIndex)?.offset ?? "";
              failures.push({ partition: p.partitionIndex, offset, error: protocolError(p.errorCode) });
            }
          }
        }),
      );
      remaining = remaining.filter((p) => failures.some((f) => f.partition === p.partition));
      // Retriable only when every failure is (KafkaJSDeleteTopicRecordsError decides); a non-retriable
      // one reaches the caller wrapped in KafkaJSNonRetriableError, as with KafkaJS.
      if (failures.length > 0) throw new KafkaJSDeleteTopicRecordsError({ topic, partitions: failures });
    });
  }

  // -------------------------------------------------------------------------------------------
  // ACLs (Brook's broker does not implement them; Apache Kafka with an authorizer does)

  async function createAcls({ acl }: { acl: AclEntry[] }): Promise<boolean> {
    checkAclEntries(acl);
    return withController(ctx, "Could not create ACL", async (broker) => {
      const response = await broker.request(CreateAcls, {
        creations: acl.map((a) => ({
          resourceType: a.resourceType,
          resourceName: a.resourceName,
          resourcePatternType: a.resourcePatternType,
          principal: a.principal,
          host: a.host,
          operation: a.operation,
          permissionType: a.permissionType,
        })),
      });
      throwFirstError(response.results);
      return true;
    });
  }

  async function describeAcls(filter: AclFilter): Promise<DescribeAclResponse> {
    checkAclFilter(filter as unknown as Record<string, unknown>);
    return withController(ctx, "Could not describe ACL", async (broker) => {
      const response = await broker.request(DescribeAcls, aclFilterFields(filter));
      if (response.errorCode !== 0) throw protocolError(response.errorCode, response.errorMessage);
      return {
        // KafkaJS resolves to { resources } only; its d.ts also promises the three fields below.
        throttleTime: response.throttleTimeMs,
        errorCode: response.errorCode,
        errorMessage: response.errorMessage as string,
        resources: response.resources.map((r) => ({
          resourceType: r.resourceType as AclEntry["resourceType"],
          resourceName: r.resourceName,
          resourcePatternType: r.patternType as AclEntry["resourcePatternType"],
          acls: r.acls.map((a) => ({
            principal: a.principal,
            host: a.host,
            operation: a.operation as AclEntry["operation"],
            permissionType: a.permissionType as AclEntry["permissionType"],
          })),
        })),
      };
    });
  }

  async function deleteAcls({ filters }: { filters: AclFilter[] }): Promise<DeleteAclResponse> {
    checkAclFilters(filters);
    return withController(ctx, "Could not delete ACL", async (broker) => {
      const response = await broker.request(DeleteAcls, {
        filters: filters.map(aclFilterFields),
      });
      throwFirstError(response.filterResults);
      for (const f of response.filterResults) throwFirstError(f.matchingAcls);
      return {
        throttleTime: response.throttleTimeMs,
        filterResponses: response.filterResults.map((f) => ({
          errorCode: f.errorCode,
          errorMessage: f.errorMessage as string,
          matchingAcls: f.matchingAcls.map((m) => ({
            errorCode: m.errorCode,
            errorMessage: m.errorMessage as string,
            resourceType: m.resourceType as AclEntry["resourceType"],
            resourceName: m.resourceName,
            resourcePatternType: m.patternType as AclEntry["resourcePatternType"],
            principal: m.principal,
            host: m.host,
            operation: m.operation as AclEntry["operation"],
            permissionType: m.permissionType as AclEntry["permissionType"],
          })),
        })),
      };
    });
  }

  // -------------------------------------------------------------------------------------------
  // Partition reassignments

  async function alterPartitionReassignments({
    topics,
    timeout,
  }: {
    topics: PartitionReassignment[];
    timeout?: number;
  }): Promise<void> {
    checkTopicConfigs(topics);
    checkReassignments(topics);
    return withController(ctx, "Could not reassign partitions", async (broker) => {
      const response = await broker.request(AlterPartitionReassignments, {
        timeoutMs: timeout ?? DEFAULT_REQUEST_TIMEOUT_MS,
        topics: topics.map((t) => ({
          name: t.topic,
          partitions: t.partitionAssignment.map((p) => ({
            partitionIndex: p.partition,
            replicas: p.replicas,
          })),
        })),
      });
      if (response.errorCode !== 0) {
        throw new KafkaJSAlterPartitionReassignmentsError(
          protocolError(response.errorCode, response.errorMessage),
        );
      }
      const failed = response.responses.flatMap((t) =>
        t.partitions.filter((p) => p.errorCode !== 0).map((p) => ({ ...p, topic: t.name })),
      );
      if (failed.length > 0) {
        throw new KafkaJSAggregateError(
          "Errors altering partition reassignments",
          failed.map(
            (p) =>
              new KafkaJSAlterPartitionReassignmentsError(
                protocolError(p.errorCode, p.errorMessage),
                p.topic,
                p.partitionIndex,
              ),
          ),
        );
      }
    });
  }

  async function listPartitionReassignments({
    topics = undefined,
    timeout,
  }: {
    topics?: TopicPartitions[];
    timeout?: number;
  } = {}): Promise<ListPartitionReassignmentsResponse> {
    checkReassignmentQuery(topics);
    return withController(ctx, "Could not list partition reassignments", async (broker) => {
      const response = await broker.request(ListPartitionReassignments, {
        timeoutMs: timeout ?? DEFAULT_REQUEST_TIMEOUT_MS,
        topics: topics ? topics.map((t) => ({ name: t.topic, partitionIndexes: t.partitions })) : null,
      });
      if (response.errorCode !== 0) throw protocolError(response.errorCode, response.errorMessage);
      return {
        topics: response.topics.map((t) => ({
          // KafkaJS's objects say name/partition, its d.ts topic/partitionIndex: both are here.
          name: t.name,
          topic: t.name,
          partitions: t.partitions.map((p) => ({
            partition: p.partitionIndex,
            partitionIndex: p.partitionIndex,
            replicas: p.replicas,
            addingReplicas: p.addingReplicas,
            removingReplicas: p.removingReplicas,
          })),
        })),
      };
    });
  }

  const on = createOn(emitter, ADMIN_EVENTS, "admin", logger);

  const admin = {
    connect,
    disconnect,
    listTopics,
    createTopics,
    deleteTopics,
    createPartitions,
    fetchTopicMetadata,
    describeCluster,
    events: ADMIN_EVENTS,
    fetchOffsets,
    fetchTopicOffsets,
    fetchTopicOffsetsByTimestamp,
    setOffsets,
    resetOffsets,
    describeConfigs,
    alterConfigs,
    on,
    logger: () => logger,
    listGroups,
    listGroupListings,
    describeGroups,
    deleteGroups,
    describeAcls,
    deleteAcls,
    createAcls,
    deleteTopicRecords,
    alterPartitionReassignments,
    listPartitionReassignments,
    ...createExtras(ctx, { fetchOffsets }),
  };
  return admin as Admin;
}
