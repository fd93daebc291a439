/**
 * Admin operations KafkaJS does not have, with the Java AdminClient's semantics and routing:
 * incremental config changes, deleting a group's offsets, log dirs, transactions, producers, lag,
 * client quotas and SCRAM credentials. Errors are KafkaJS's classes (KafkaJSProtocolError with the
 * code's `type`), thrown for the first failing item, like the KafkaJS methods beside them.
 */
import { ErrorCode } from "../../protocol/error-codes.js";
import {
  AlterClientQuotas,
  ConsumerGroupDescribe,
  AlterUserScramCredentials,
  DescribeClientQuotas,
  DescribeLogDirs,
  DescribeProducers,
  DescribeTransactions,
  DescribeUserScramCredentials,
  IncrementalAlterConfigs,
  ListTransactions,
  OffsetDelete,
} from "../../protocol/messages/index.js";
import { ConfigResourceTypes } from "../enums.js";
import { KafkaJSNonRetriableError, KafkaJSServerDoesNotSupportApiKey, protocolError } from "../errors.js";
import { saltedPassword, randomSalt, SCRAM_MECHANISMS, scramMechanismName } from "./scram.js";
import {
  type AdminContext,
  alterResourceConfigs,
  controllerRetry,
  groupByAsync,
  isConnectionFailure,
  isStaleMetadata,
  EARLIEST_OFFSET,
  LATEST_OFFSET,
  listOffsets,
  READ_COMMITTED,
  READ_UNCOMMITTED,
  throwFirstError,
  throwPartitionErrors,
  topicLayout,
  withAnyBroker,
  withCoordinator,
  withRetries,
} from "./support.js";
import { checkTopic } from "./validation.js";
import type {
  AlterConfigOperation,
  AlterConfigResponse,
  BrokerLogDirs,
  ClientQuotaAlteration,
  ClientQuotaEntry,
  ClientQuotaFilterComponent,
  ConsumerGroupDescription,
  FetchOffsetsPartition,
  GroupLag,
  IncrementalResourceConfig,
  ListTransactionsFilters,
  PartitionProducers,
  PartitionWatermarks,
  ScramCredentialDeletion,
  ScramCredentialUpsertion,
  TopicPartitions,
  TransactionDescription,
  TransactionListing,
  TransactionState,
  UserScramCredentials,
} from "./types.js";

function fail(message: string): never {
  throw new KafkaJSNonRetriableError(message);
}

/** IncrementalAlterConfigs operation codes. */
const CONFIG_OPERATIONS: Record<AlterConfigOperation, number> = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 };

/** DescribeClientQuotas match types. */
const QUOTA_MATCH_TYPES = { EXACT: 0, DEFAULT: 1, ANY: 2 } as const;

const DEFAULT_SCRAM_ITERATIONS = 4096;

export interface ExtrasDependencies {
  fetchOffsets(options: {
    groupId: string;
    topics?: string[];
  }): Promise<Array<{ topic: string; partitions: FetchOffsetsPartition[] }>>;
}

export function createExtras(ctx: AdminContext, deps: ExtrasDependencies) {
  const { cluster } = ctx;

  async function allBrokerIds(): Promise<number[]> {
    if (cluster.brokerList().length === 0) await cluster.refreshMetadata();
    return cluster.brokerList().map((b) => b.nodeId);
  }

  async function incrementalAlterConfigs({
    resources,
    validateOnly = false,
  }: {
    resources: IncrementalResourceConfig[];
    validateOnly?: boolean;
  }): Promise<AlterConfigResponse> {
    if (!Array.isArray(resources) || resources.length === 0) fail("Resources array cannot be empty");
    for (const r of resources) {
      if (!(Object.values(ConfigResourceTypes) as number[]).includes(r?.type)) {
        fail(`Invalid resource type ${r?.type}: ${JSON.stringify(r)}`);
      }
      if (typeof r.name !== "string") fail(`Invalid resource name ${r.name}: ${JSON.stringify(r)}`);
      if (!Array.isArray(r.configEntries)) fail(`Invalid resource configEntries: ${JSON.stringify(r)}`);
      for (const e of r.configEntries) {
        if (typeof e?.name !== "string" || !(e.operation in CONFIG_OPERATIONS)) {
          fail(
            `Invalid config entry (name and an operation of SET, DELETE, APPEND, SUBTRACT): ${JSON.stringify(e)}`,
          );
        }
        if (e.operation !== "DELETE" && typeof e.value !== "string") {
          fail(`Config entry ${e.name}: ${e.operation} needs a string value`);
        }
      }
    }
    return alterResourceConfigs(
      ctx,
      resources,
      (broker, rs) =>
        broker.request(IncrementalAlterConfigs, {
          resources: rs.map((r) => ({
            resourceType: r.type,
            resourceName: r.name,
            configs: r.configEntries.map((e) => ({
              name: e.name,
              configOperation: CONFIG_OPERATIONS[e.operation],
              value: e.operation === "DELETE" ? null : (e.value ?? null),
            })),
          })),
          validateOnly,
        }),
      "Could not alter configs incrementally",
    );
  }

  async function deleteConsumerGroupOffsets({
    groupId,
    topic,
    partitions,
  }: {
    groupId: string;
    topic: string;
    partitions?: number[];
  }): Promise<void> {
    if (!groupId || typeof groupId !== "string") fail(`Invalid groupId ${groupId}`);
    checkTopic(topic);
    const ids = partitions ?? (await topicLayout(ctx, topic)).map((p) => p.partition);
    await withCoordinator(ctx, groupId, "GROUP", async (coordinator) => {
      const response = await coordinator.request(OffsetDelete, {
        groupId,
        topics: [{ name: topic, partitions: ids.map((partitionIndex) => ({ partitionIndex })) }],
      });
      // GROUP_SUBSCRIBED_TO_TOPIC (members still consume it), GROUP_ID_NOT_FOUND, ...
      if (response.errorCode !== 0) throw protocolError(response.errorCode);
      throwPartitionErrors(response.topics);
    });
  }

  async function describeLogDirs({
    brokers,
    topics,
  }: {
    brokers?: number[];
    topics?: TopicPartitions[];
  } = {}): Promise<BrokerLogDirs[]> {
    const nodeIds = brokers ?? (await allBrokerIds());
    return Promise.all(
      nodeIds.map(async (nodeId) => {
        const broker = await cluster.broker(nodeId);
        const response = await broker.request(DescribeLogDirs, {
          topics: topics ? topics.map((t) => ({ topic: t.topic, partitions: t.partitions })) : null,
        });
        if (response.errorCode !== 0) throw protocolError(response.errorCode);
        return {
          nodeId,
          logDirs: response.results.map((d) => ({
            logDir: d.logDir,
            errorCode: d.errorCode,
            totalBytes: Number(d.totalBytes),
            usableBytes: Number(d.usableBytes),
            topics: d.topics.map((t) => ({
              topic: t.name,
              partitions: t.partitions.map((p) => ({
                partition: p.partitionIndex,
                size: Number(p.partitionSize),
                offsetLag: Number(p.offsetLag),
                isFuture: p.isFutureKey,
              })),
            })),
          })),
        };
      }),
    );
  }

  /** Every broker coordinates some transactional ids, so each one is asked, as Java's admin does. */
  async function listTransactions(filters: ListTransactionsFilters = {}): Promise<TransactionListing[]> {
    const nodeIds = await allBrokerIds();
    const perBroker = await Promise.all(
      nodeIds.map((nodeId) =>
        ctx.retrier(async () => {
          const broker = await cluster.broker(nodeId);
          const version = broker.versionOf(ListTransactions);
          if (filters.durationMs !== undefined && version < 1) {
            throw new KafkaJSServerDoesNotSupportApiKey(
              "Filtering transactions by duration needs ListTransactions v1",
              {
                apiKey: ListTransactions.key,
                apiName: ListTransactions.name,
              },
            );
          }
          const response = await broker.request(
            ListTransactions,
            {
              stateFilters: filters.states ?? [],
              producerIdFilters: (filters.producerIds ?? []).map((id) => BigInt(id)),
              durationFilter: filters.durationMs ?? -1,
            },
            { version },
          );
          if (response.errorCode !== 0) throw protocolError(response.errorCode);
          return response.transactionStates.map((t) => ({
            transactionalId: t.transactionalId,
            producerId: String(t.producerId),
            state: t.transactionState as TransactionState,
            coordinatorId: nodeId,
          }));
        }),
      ),
    );
    return perBroker.flat();
  }

  async function describeTransactions(transactionalIds: string[]): Promise<TransactionDescription[]> {
    if (!Array.isArray(transactionalIds) || transactionalIds.some((id) => typeof id !== "string" || !id)) {
      fail(`Invalid transactionalIds array ${JSON.stringify(transactionalIds)}`);
    }
    const described = await Promise.all(
      transactionalIds.map((transactionalId) =>
        withCoordinator(ctx, transactionalId, "TRANSACTION", async (coordinator) => {
          const response = await coordinator.request(DescribeTransactions, {
            transactionalIds: [transactionalId],
          });
          const t = response.transactionStates[0];
          if (!t) throw protocolError(ErrorCode.UNKNOWN_SERVER_ERROR, "empty DescribeTransactions response");
          if (t.errorCode !== 0) throw protocolError(t.errorCode);
          return {
            transactionalId: t.transactionalId,
            coordinatorId: coordinator.nodeId,
            state: t.transactionState as TransactionState,
            producerId: String(t.producerId),
            producerEpoch: t.producerEpoch,
            transactionTimeoutMs: t.transactionTimeoutMs,
            transactionStartTimeMs: Number(t.transactionStartTimeMs),
            topicPartitions: t.topics.map((tp) => ({ topic: tp.topic, partitions: tp.partitions })),
          };
        }),
      ),
    );
    return described;
  }

  async function describeProducers({
    topic,
    partitions,
  }: {
    topic: string;
    partitions?: number[];
  }): Promise<PartitionProducers[]> {
    checkTopic(topic);
    return withRetries(
      ctx,
      async () => {
        const layout = await topicLayout(ctx, topic);
        const wanted = partitions ? layout.filter((p) => partitions.includes(p.partition)) : layout;
        if (partitions && wanted.length < partitions.length)
          throw protocolError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        const byLeader = await groupByAsync(wanted, async (p) => p.leader);
        const results = await Promise.all(
          [...byLeader].map(async ([nodeId, ps]) => {
            const broker = await cluster.broker(nodeId);
            const response = await broker.request(DescribeProducers, {
              topics: [{ name: topic, partitionIndexes: ps.map((p) => p.partition) }],
            });
            return response.topics.flatMap((t) =>
              t.partitions.map((p) => {
                if (p.errorCode !== 0) throw protocolError(p.errorCode, p.errorMessage);
                return {
                  partition: p.partitionIndex,
                  activeProducers: p.activeProducers.map((a) => ({
                    producerId: String(a.producerId),
                    producerEpoch: a.producerEpoch,
                    lastSequence: a.lastSequence,
                    lastTimestamp: Number(a.lastTimestamp),
                    coordinatorEpoch: a.coordinatorEpoch,
                    currentTransactionStartOffset: String(a.currentTxnStartOffset),
                  })),
                };
              }),
            );
          }),
        );
        return results.flat().sort((a, b) => a.partition - b.partition);
      },
      { retryOn: (e) => isStaleMetadata(e) || isConnectionFailure(e) },
    );
  }

  /**
   * Committed offsets beside the log end offsets (high watermark, read_uncommitted, as
   * kafka-consumer-groups.sh reports LOG-END-OFFSET). Without `topics`, the topics the group has
   * committed offsets for.
   */
  async function fetchLag({ groupId, topics }: { groupId: string; topics?: string[] }): Promise<GroupLag> {
    const committed = await deps.fetchOffsets({ groupId, topics });
    const perTopic = await Promise.all(
      committed.map(async ({ topic, partitions }) => {
        const layout = await topicLayout(ctx, topic);
        const ends = await listOffsets(ctx, topic, layout, LATEST_OFFSET, READ_UNCOMMITTED);
        let totalLag = 0n;
        const lags = partitions
          .slice()
          .sort((a, b) => a.partition - b.partition)
          .map(({ partition, offset }) => {
            const high = ends.get(partition) ?? -1n;
            const at = BigInt(offset);
            // Negative committed offsets are "none" or the earliest/latest markers, not positions.
            const lag = at >= 0n && high >= 0n ? high - at : null;
            if (lag !== null) totalLag += lag;
            return { partition, offset, high: String(high), lag: lag === null ? null : String(lag) };
          });
        return { topic, partitions: lags, totalLag };
      }),
    );
    const total = perTopic.reduce((sum, t) => sum + t.totalLag, 0n);
    return {
      groupId,
      topics: perTopic.map((t) => ({ ...t, totalLag: String(t.totalLag) })),
      totalLag: String(total),
    };
  }

  /**
   * Each partition's log start, high watermark and last stable offset (the end a read_committed
   * consumer sees), from the partition leaders; what `kafka-get-offsets` gives with each spec.
   */
  async function fetchTopicWatermarks(topic: string): Promise<PartitionWatermarks[]> {
    checkTopic(topic);
    return withRetries(
      ctx,
      async () => {
        const layout = await topicLayout(ctx, topic);
        const [low, high, stable] = await Promise.all([
          listOffsets(ctx, topic, layout, EARLIEST_OFFSET, READ_UNCOMMITTED),
          listOffsets(ctx, topic, layout, LATEST_OFFSET, READ_UNCOMMITTED),
          listOffsets(ctx, topic, layout, LATEST_OFFSET, READ_COMMITTED),
        ]);
        return layout.map(({ partition, leader }) => ({
          partition,
          leader,
          low: String(low.get(partition)),
          high: String(high.get(partition)),
          lastStable: String(stable.get(partition)),
        }));
      },
      {
        retryOn: (e: unknown) => isStaleMetadata(e) || isConnectionFailure(e),
        beforeRetry: () => ctx.cluster.refreshMetadata(),
      },
    );
  }

  /**
   * KIP-848 ("consumer" protocol) groups, by ConsumerGroupDescribe: state, epochs and each member's
   * current assignment. Classic groups are described by describeGroups; a classic group named here
   * fails with GROUP_ID_NOT_FOUND, as Kafka answers.
   */
  async function describeConsumerGroups(groupIds: string[]): Promise<ConsumerGroupDescription[]> {
    if (!Array.isArray(groupIds) || groupIds.some((id) => typeof id !== "string" || !id)) {
      fail(`Invalid groupIds array ${JSON.stringify(groupIds)}`);
    }
    return Promise.all(
      groupIds.map((groupId) =>
        withCoordinator(ctx, groupId, "GROUP", async (coordinator) => {
          const response = await coordinator.request(ConsumerGroupDescribe, {
            groupIds: [groupId],
            includeAuthorizedOperations: false,
          });
          const g = response.groups[0];
          if (!g) throw protocolError(ErrorCode.UNKNOWN_SERVER_ERROR, "empty ConsumerGroupDescribe response");
          if (g.errorCode !== 0) throw protocolError(g.errorCode, g.errorMessage);
          const partitionsOf = (a: { topicPartitions: Array<{ topicName: string; partitions: number[] }> }) =>
            a.topicPartitions.map((tp) => ({
              topic: tp.topicName,
              partitions: tp.partitions.slice().sort((x, y) => x - y),
            }));
          return {
            groupId: g.groupId,
            state: g.groupState,
            groupEpoch: g.groupEpoch,
            assignmentEpoch: g.assignmentEpoch,
            assignor: g.assignorName,
            coordinatorId: coordinator.nodeId,
            members: g.members.map((m) => ({
              memberId: m.memberId,
              instanceId: m.instanceId,
              clientId: m.clientId,
              clientHost: m.clientHost,
              memberEpoch: m.memberEpoch,
              subscribedTopics: m.subscribedTopicNames,
              assignment: partitionsOf(m.assignment),
              targetAssignment: partitionsOf(m.targetAssignment),
            })),
          };
        }),
      ),
    );
  }

  async function alterClientQuotas({
    entries,
    validateOnly = false,
  }: {
    entries: ClientQuotaAlteration[];
    validateOnly?: boolean;
  }): Promise<void> {
    if (!Array.isArray(entries) || entries.length === 0)
      fail("Invalid quota entries: a non-empty array is needed");
    for (const e of entries) {
      for (const op of e.ops ?? []) {
        if (!op.remove && typeof op.value !== "number")
          fail(`Quota ${op.key}: a number value (or remove: true) is needed`);
      }
    }
    await withAnyBroker(ctx, async (broker) => {
      const response = await broker.request(AlterClientQuotas, {
        entries: entries.map((e) => ({
          entity: e.entity.map((c) => ({ entityType: c.entityType, entityName: c.entityName })),
          ops: e.ops.map((op) => ({ key: op.key, value: op.value ?? 0, remove: !!op.remove })),
        })),
        validateOnly,
      });
      throwFirstError(response.entries);
    });
  }

  async function describeClientQuotas({
    components = [],
    strict = false,
  }: {
    components?: ClientQuotaFilterComponent[];
    strict?: boolean;
  } = {}): Promise<ClientQuotaEntry[]> {
    for (const c of components) {
      if (!(c?.matchType in QUOTA_MATCH_TYPES)) fail(`Invalid quota filter component ${JSON.stringify(c)}`);
    }
    return withAnyBroker(ctx, async (broker) => {
      const response = await broker.request(DescribeClientQuotas, {
        components: components.map((c) => ({
          entityType: c.entityType,
          matchType: QUOTA_MATCH_TYPES[c.matchType],
          match: c.matchType === "EXACT" ? (c.match ?? null) : null,
        })),
        strict,
      });
      if (response.errorCode !== 0) throw protocolError(response.errorCode, response.errorMessage);
      return (response.entries ?? []).map((e) => ({
        entity: e.entity.map((c) => ({ entityType: c.entityType, entityName: c.entityName })),
        values: Object.fromEntries(e.values.map((v) => [v.key, v.value])),
      }));
    });
  }

  async function describeUserScramCredentials(users?: string[]): Promise<UserScramCredentials[]> {
    return withAnyBroker(ctx, async (broker) => {
      const response = await broker.request(DescribeUserScramCredentials, {
        users: users && users.length > 0 ? users.map((name) => ({ name })) : null,
      });
      if (response.errorCode !== 0) throw protocolError(response.errorCode, response.errorMessage);
      return response.results.map((r) => {
        // RESOURCE_NOT_FOUND for a user asked for by name that has no credentials.
        if (r.errorCode !== 0) throw protocolError(r.errorCode, r.errorMessage);
        return {
          user: r.user,
          credentials: r.credentialInfos.map((c) => ({
            mechanism: scramMechanismName(c.mechanism),
            iterations: c.iterations,
          })),
        };
      });
    });
  }

  /** Passwords never leave the client: only the salted password (SCRAM's Hi) is sent, as Java does. */
  async function alterUserScramCredentials({
    upsertions = [],
    deletions = [],
  }: {
    upsertions?: ScramCredentialUpsertion[];
    deletions?: ScramCredentialDeletion[];
  }): Promise<void> {
    for (const u of [...upsertions, ...deletions]) {
      if (!u?.user || typeof u.user !== "string") fail(`Invalid SCRAM user ${JSON.stringify(u?.user)}`);
      if (!(u.mechanism in SCRAM_MECHANISMS)) fail(`Invalid SCRAM mechanism ${u.mechanism}`);
    }
    const prepared = await Promise.all(
      upsertions.map(async (u) => {
        if (typeof u.password !== "string") fail(`Invalid SCRAM password for ${u.user}`);
        const iterations = u.iterations ?? DEFAULT_SCRAM_ITERATIONS;
        const salt = u.salt ?? randomSalt();
        return {
          name: u.user,
          mechanism: SCRAM_MECHANISMS[u.mechanism],
          iterations,
          salt,
          saltedPassword: await saltedPassword(u.mechanism, u.password, salt, iterations),
        };
      }),
    );
    await withRetries(
      ctx,
      async () => {
        const broker = await cluster.anyBroker();
        const response = await broker.request(AlterUserScramCredentials, {
          deletions: deletions.map((d) => ({ name: d.user, mechanism: SCRAM_MECHANISMS[d.mechanism] })),
          upsertions: prepared,
        });
        throwFirstError(response.results);
      },
      controllerRetry(ctx, "Could not alter SCRAM credentials"),
    );
  }

  return {
    incrementalAlterConfigs,
    deleteConsumerGroupOffsets,
    describeLogDirs,
    listTransactions,
    describeTransactions,
    describeProducers,
    fetchLag,
    fetchTopicWatermarks,
    describeConsumerGroups,
    alterClientQuotas,
    describeClientQuotas,
    describeUserScramCredentials,
    alterUserScramCredentials,
  };
}
