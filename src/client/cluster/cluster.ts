/**
 * The cluster as one client sees it: seed brokers, a pool of broker connections by node id, the
 * metadata cache (brokers, topics, partition leaders), and coordinator lookup. Producers, consumers
 * and admins each own one Cluster, as in KafkaJS, so disconnecting one never disturbs the others.
 */
import type tls from "node:tls";
import { ErrorCode, errorInfo } from "../../protocol/error-codes.js";
import { FindCoordinator, Metadata } from "../../protocol/messages/index.js";
import type { ResponseOf } from "../../protocol/schema.js";
import {
  KafkaJSBrokerNotFound,
  KafkaJSConnectionError,
  KafkaJSGroupCoordinatorNotFound,
  KafkaJSNonRetriableError,
  KafkaJSTopicMetadataNotLoaded,
  protocolError,
} from "../errors.js";
import type { Logger } from "../logger.js";
import type { EventSink, NetworkEvents } from "../network/connection.js";
import type { SaslConfig } from "../network/sasl.js";
import { isSupportedMechanism } from "../network/sasl.js";
import type { ISocketFactory } from "../network/socket.js";
import { createRetry, type Retrier, type RetryOptions } from "../retry.js";
import { Broker, type BrokerOptions } from "./broker.js";

export type BrokersFunction = () => string[] | Promise<string[]>;

export interface ClusterOptions {
  brokers: string[] | BrokersFunction;
  clientId?: string;
  ssl?: tls.ConnectionOptions | boolean;
  sasl?: SaslConfig;
  connectionTimeout?: number;
  authenticationTimeout?: number;
  reauthenticationThreshold?: number;
  requestTimeout?: number;
  enforceRequestTimeout?: boolean;
  socketFactory?: ISocketFactory;
  logger: Logger;
  retry?: RetryOptions;
  metadataMaxAge?: number;
  allowAutoTopicCreation?: boolean;
  maxInFlightRequests?: number | null;
  instrumentationEmitter?: EventSink;
  networkEvents?: NetworkEvents;
  isolationLevel?: number;
}

export interface BrokerMetadata {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

/** KafkaJS's field names, so assigners and partitioners written for KafkaJS read them unchanged. */
export interface PartitionMetadata {
  partitionErrorCode: number;
  partitionId: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
}

export interface TopicMetadata {
  name: string;
  topicId: string;
  isInternal: boolean;
  errorCode: number;
  partitions: PartitionMetadata[];
}

export type CoordinatorType = "GROUP" | "TRANSACTION";

/** KafkaJS's defaults. */
export const CLUSTER_DEFAULTS = {
  clientId: "kafkajs",
  connectionTimeout: 1000,
  authenticationTimeout: 10000,
  reauthenticationThreshold: 10000,
  requestTimeout: 30000,
  enforceRequestTimeout: true,
  metadataMaxAge: 300000,
};

const NO_TOPIC_ID = "00000000-0000-0000-0000-000000000000";

function parseHostPort(s: string): { host: string; port: number } {
  // [v6]:port, host:port; a missing port means Kafka's default 9092.
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s);
  if (m) return { host: m[1]!, port: Number(m[2]) };
  return { host: s, port: 9092 };
}

export class Cluster {
  readonly retrier: Retrier;
  readonly logger: Logger;
  private readonly opts: ClusterOptions;
  private readonly brokerDefaults: Omit<BrokerOptions, "nodeId" | "host" | "port" | "rack">;
  private readonly allowAutoTopicCreation: boolean;
  private readonly metadataMaxAge: number;
  private seed: Broker | null = null;
  private seedCursor = Math.floor(Math.random() * 1024);
  private readonly pool = new Map<number, Broker>();
  private brokerMeta = new Map<number, BrokerMetadata>();
  private topics = new Map<string, TopicMetadata>();
  private readonly targets = new Set<string>();
  private readonly coordinators = new Map<string, number>();
  private lastRefresh = 0;
  private refreshing: Promise<void> | null = null;
  private refreshQueued: Promise<void> | null = null;
  private connected = false;
  clusterId: string | null = null;
  controllerId = -1;

  constructor(options: ClusterOptions) {
    this.opts = options;
    this.logger = options.logger.namespace("Cluster");
    this.retrier = createRetry(options.retry);
    this.allowAutoTopicCreation = options.allowAutoTopicCreation ?? true;
    this.metadataMaxAge = options.metadataMaxAge ?? CLUSTER_DEFAULTS.metadataMaxAge;
    if (options.sasl && !isSupportedMechanism(options.sasl)) {
      throw new KafkaJSNonRetriableError(
        `SASL ${String(options.sasl.mechanism).toUpperCase()} mechanism is not supported by the client`,
      );
    }
    this.brokerDefaults = {
      clientId: options.clientId ?? CLUSTER_DEFAULTS.clientId,
      ssl: options.ssl,
      sasl: options.sasl,
      connectionTimeout: options.connectionTimeout ?? CLUSTER_DEFAULTS.connectionTimeout,
      authenticationTimeout: options.authenticationTimeout ?? CLUSTER_DEFAULTS.authenticationTimeout,
      reauthenticationThreshold:
        options.reauthenticationThreshold ?? CLUSTER_DEFAULTS.reauthenticationThreshold,
      requestTimeout: options.requestTimeout ?? CLUSTER_DEFAULTS.requestTimeout,
      enforceRequestTimeout: options.enforceRequestTimeout ?? CLUSTER_DEFAULTS.enforceRequestTimeout,
      socketFactory: options.socketFactory,
      logger: options.logger,
      maxInFlightRequests: options.maxInFlightRequests ?? null,
      instrumentation:
        options.instrumentationEmitter && options.networkEvents
          ? { emitter: options.instrumentationEmitter, events: options.networkEvents }
          : undefined,
    };
  }

  isConnected(): boolean {
    if (!this.connected) return false;
    if (this.seed?.isConnected()) return true;
    for (const b of this.pool.values()) if (b.isConnected()) return true;
    return false;
  }

  /** Validates and resolves the bootstrap list (KafkaJS's messages for a bad one). */
  private async seedList(): Promise<string[]> {
    const brokers = this.opts.brokers;
    let list: unknown;
    if (typeof brokers === "function") {
      try {
        list = await brokers();
      } catch (e) {
        const wrapped = new KafkaJSConnectionError(
          `Failed to connect: "config.brokers" threw: ${(e as Error).message}`,
        );
        wrapped.stack = `${wrapped.name}\n  Caused by: ${(e as Error).stack}`;
        throw wrapped;
      }
    } else list = brokers;
    if (!list) throw new KafkaJSNonRetriableError("Failed to connect: brokers should not be null");
    if (Array.isArray(list)) {
      if (list.length === 0) throw new KafkaJSNonRetriableError("Failed to connect: brokers array is empty");
      list.forEach((b, i) => {
        if (!b || typeof b !== "string")
          throw new KafkaJSNonRetriableError(
            `Failed to connect: broker at index ${i} is invalid "${typeof b}"`,
          );
      });
      return list as string[];
    }
    throw new KafkaJSNonRetriableError(
      `Failed to connect: brokers should be an array or a function, got ${typeof list}`,
    );
  }

  private newBroker(m: BrokerMetadata): Broker {
    return new Broker({ ...this.brokerDefaults, nodeId: m.nodeId, host: m.host, port: m.port, rack: m.rack });
  }

  /** Connects to one seed broker (trying the next on failure) and loads metadata. */
  async connect(): Promise<void> {
    if (this.isConnected()) return;
    await this.retrier(async (bail, retryCount) => {
      let list: string[];
      try {
        list = await this.seedList();
      } catch (e) {
        if (e instanceof KafkaJSNonRetriableError) bail(e);
        throw e;
      }
      const address = list[this.seedCursor++ % list.length]!;
      const { host, port } = parseHostPort(address);
      if (this.seed && (this.seed.host !== host || this.seed.port !== port)) {
        await this.seed.disconnect().catch(() => {});
        this.seed = null;
      }
      this.seed ??= this.newBroker({ nodeId: -1, host, port, rack: null });
      try {
        await this.seed.connect();
      } catch (e) {
        this.logger.error(
          `Failed to connect to seed broker, trying another broker from the list: ${(e as Error).message}`,
          {
            retryCount,
          },
        );
        const seed = this.seed;
        this.seed = null;
        await seed.disconnect().catch(() => {});
        // Authentication and protocol refusals end the attempt as they are (KafkaJS does not wrap
        // them); connection failures go on to the next seed.
        if ((e as { retriable?: boolean }).retriable === false) bail(e as Error);
        throw e;
      }
    });
    this.connected = true;
    await this.refreshMetadata();
  }

  async disconnect(): Promise<void> {
    this.connected = false;
    const all = [...this.pool.values()];
    if (this.seed) all.push(this.seed);
    this.pool.clear();
    this.seed = null;
    this.coordinators.clear();
    this.topics = new Map();
    this.brokerMeta = new Map();
    this.lastRefresh = 0;
    await Promise.allSettled(all.map((b) => b.disconnect()));
  }

  /** Makes sure metadata for these topics is loaded, refreshing when any is missing. */
  async addTargetTopics(topics: string[]): Promise<void> {
    let missing = false;
    for (const t of topics) {
      if (!this.targets.has(t)) this.targets.add(t);
      if (!this.topics.has(t)) missing = true;
    }
    if (missing || this.isStale()) await this.refreshMetadata();
  }

  private isStale(): boolean {
    return Date.now() - this.lastRefresh >= this.metadataMaxAge;
  }

  async refreshMetadataIfNecessary(): Promise<void> {
    if (this.isStale() || this.brokerMeta.size === 0) await this.refreshMetadata();
  }

  /**
   * Loads metadata for every target topic (plus `topics`). Concurrent calls share the refresh in
   * flight, and at most one more is queued behind it, so a burst of NOT_LEADER errors costs two
   * Metadata requests rather than one per failed batch.
   */
  refreshMetadata(topics: string[] = []): Promise<void> {
    for (const t of topics) this.targets.add(t);
    if (!this.refreshing) {
      this.refreshing = this.doRefresh().finally(() => {
        this.refreshing = null;
      });
      return this.refreshing;
    }
    if (!this.refreshQueued) {
      const current = this.refreshing;
      this.refreshQueued = current
        .catch(() => {})
        .then(() => {
          this.refreshQueued = null;
          return this.refreshMetadata();
        });
    }
    return this.refreshQueued;
  }

  private async doRefresh(): Promise<void> {
    const names = [...this.targets];
    // A few quick rounds for topics whose leader is still being elected (auto-creation).
    for (let round = 0; ; round++) {
      const broker = await this.anyBroker();
      const response = await broker.request(Metadata, {
        topics: names.map((name) => ({ topicId: NO_TOPIC_ID, name })),
        allowAutoTopicCreation: this.allowAutoTopicCreation,
        includeTopicAuthorizedOperations: false,
      });
      this.applyMetadata(response);
      const failed = response.topics.find((t) => t.errorCode !== ErrorCode.NONE);
      if (!failed) return;
      const waitable =
        failed.errorCode === ErrorCode.LEADER_NOT_AVAILABLE ||
        (failed.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && this.allowAutoTopicCreation);
      if (!waitable || round >= 10) {
        const err = protocolError(failed.errorCode, failed.name ? `topic ${failed.name}` : null);
        // Unknown topics must not stay in the target list, or every later refresh fails too.
        if (failed.name && failed.errorCode !== ErrorCode.LEADER_NOT_AVAILABLE)
          this.targets.delete(failed.name);
        throw err;
      }
      await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** round, 1000)));
    }
  }

  private applyMetadata(r: ResponseOf<typeof Metadata>): void {
    const meta = new Map<number, BrokerMetadata>();
    for (const b of r.brokers)
      meta.set(b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack });
    for (const [id, broker] of this.pool) {
      const m = meta.get(id);
      if (!m || m.host !== broker.host || m.port !== broker.port) {
        this.pool.delete(id);
        void broker.disconnect().catch(() => {});
      }
    }
    this.brokerMeta = meta;
    this.clusterId = r.clusterId;
    this.controllerId = r.controllerId;
    for (const t of r.topics) {
      if (!t.name) continue;
      if (t.errorCode !== ErrorCode.NONE && t.partitions.length === 0) {
        this.topics.delete(t.name);
        continue;
      }
      const previous = this.topics.get(t.name);
      const next: TopicMetadata = {
        name: t.name,
        topicId: t.topicId,
        isInternal: t.isInternal,
        errorCode: t.errorCode,
        partitions: t.partitions
          .map((p) => ({
            partitionErrorCode: p.errorCode,
            partitionId: p.partitionIndex,
            leader: p.leaderId,
            leaderEpoch: p.leaderEpoch,
            replicas: p.replicaNodes,
            isr: p.isrNodes,
            offlineReplicas: p.offlineReplicas ?? [],
          }))
          .sort((a, b) => a.partitionId - b.partitionId),
      };
      // In a cluster a broker's metadata can lag behind: never go back to an older leader epoch
      // than one already seen (from an earlier refresh or a Produce/Fetch response), as Java's
      // client does, or requests would bounce to a former leader.
      if (previous && previous.topicId === next.topicId) {
        for (const [i, p] of next.partitions.entries()) {
          const old = previous.partitions.find((x) => x.partitionId === p.partitionId);
          if (old && old.leaderEpoch >= 0 && p.leaderEpoch >= 0 && old.leaderEpoch > p.leaderEpoch)
            next.partitions[i] = old;
        }
      }
      this.topics.set(t.name, next);
    }
    this.lastRefresh = Date.now();
  }

  topicMetadata(topic: string): TopicMetadata | undefined {
    return this.topics.get(topic);
  }

  findTopicPartitionMetadata(topic: string): PartitionMetadata[] {
    const t = this.topics.get(topic);
    if (!t) throw new KafkaJSTopicMetadataNotLoaded("Topic metadata not loaded", { topic } as never);
    return t.partitions;
  }

  /** Every topic the last refresh returned (targets only, unless refreshed with all topics). */
  knownTopics(): string[] {
    return [...this.topics.keys()];
  }

  brokerList(): BrokerMetadata[] {
    return [...this.brokerMeta.values()];
  }

  leaderFor(topic: string, partition: number): number {
    const t = this.topics.get(topic);
    if (!t) throw new KafkaJSTopicMetadataNotLoaded("Topic metadata not loaded", { topic } as never);
    const p =
      t.partitions[partition]?.partitionId === partition
        ? t.partitions[partition]
        : t.partitions.find((x) => x.partitionId === partition);
    if (!p) throw protocolError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${topic}-${partition}`);
    if (p.leader < 0) throw protocolError(ErrorCode.LEADER_NOT_AVAILABLE, `${topic}-${partition}`);
    return p.leader;
  }

  /** The connected broker with this node id (connecting it first). */
  async broker(nodeId: number): Promise<Broker> {
    let b = this.pool.get(nodeId);
    if (!b) {
      const m = this.brokerMeta.get(nodeId);
      if (!m) throw new KafkaJSBrokerNotFound(`Broker ${nodeId} not found in the cached metadata`);
      b = this.newBroker(m);
      this.pool.set(nodeId, b);
    }
    try {
      await b.connect();
    } catch (e) {
      // A broker that cannot be reached may have moved: the next lookup re-reads metadata.
      if (this.pool.get(nodeId) === b) this.pool.delete(nodeId);
      this.lastRefresh = 0;
      throw e;
    }
    return b;
  }

  /** Some connected broker: one already connected if any, else the seed, else any known node. */
  async anyBroker(): Promise<Broker> {
    for (const b of this.pool.values()) if (b.isConnected()) return b;
    if (this.seed?.isConnected()) return this.seed;
    const ids = [...this.brokerMeta.keys()].sort(() => Math.random() - 0.5);
    let last: Error | null = null;
    for (const id of ids) {
      try {
        return await this.broker(id);
      } catch (e) {
        last = e as Error;
      }
    }
    if (this.seed) {
      await this.seed.connect();
      return this.seed;
    }
    if (this.connected || last) {
      // Every known broker failed: start again from the bootstrap list.
      this.connected = false;
      await this.connect();
      if (this.seed) return this.seed;
    }
    throw last ?? new KafkaJSConnectionError("Not connected to any broker");
  }

  async controller(): Promise<Broker> {
    if (this.controllerId < 0 || !this.brokerMeta.has(this.controllerId)) await this.refreshMetadata();
    if (this.controllerId < 0) throw protocolError(ErrorCode.NOT_CONTROLLER);
    return this.broker(this.controllerId);
  }

  /** The group or transaction coordinator for a key, cached until forgotten. */
  async coordinator(key: string, type: CoordinatorType): Promise<Broker> {
    const cacheKey = `${type}:${key}`;
    const cached = this.coordinators.get(cacheKey);
    if (cached !== undefined && this.brokerMeta.has(cached)) {
      try {
        return await this.broker(cached);
      } catch {
        this.coordinators.delete(cacheKey);
      }
    }
    const keyType = type === "GROUP" ? 0 : 1;
    return this.retrier(async (bail) => {
      const broker = await this.anyBroker();
      const version = broker.versionOf(FindCoordinator);
      let found: {
        nodeId: number;
        host: string;
        port: number;
        errorCode: number;
        errorMessage: string | null;
      };
      if (version >= 4) {
        const res = await broker.request(FindCoordinator, { keyType, coordinatorKeys: [key] }, { version });
        const c = res.coordinators[0];
        if (!c) throw new KafkaJSGroupCoordinatorNotFound("Failed to find coordinator");
        found = c;
      } else {
        const res = await broker.request(FindCoordinator, { key, keyType }, { version });
        found = { ...res, errorMessage: res.errorMessage ?? null };
      }
      if (found.errorCode !== ErrorCode.NONE) {
        const err = protocolError(found.errorCode, found.errorMessage);
        if (!errorInfo(found.errorCode).retriable) bail(err);
        throw err;
      }
      if (!this.brokerMeta.has(found.nodeId)) {
        this.brokerMeta.set(found.nodeId, {
          nodeId: found.nodeId,
          host: found.host,
          port: found.port,
          rack: null,
        });
      }
      this.coordinators.set(cacheKey, found.nodeId);
      return this.broker(found.nodeId);
    });
  }

  forgetCoordinator(key: string, type: CoordinatorType): void {
    this.coordinators.delete(`${type}:${key}`);
  }

  groupByLeader<T extends { topic: string; partition: number }>(items: T[]): Map<number, T[]> {
    const out = new Map<number, T[]>();
    for (const item of items) {
      const leader = this.leaderFor(item.topic, item.partition);
      let list = out.get(leader);
      if (!list) out.set(leader, (list = []));
      list.push(item);
    }
    return out;
  }

  /**
   * Applies a newer leader reported by a broker (KIP-951: Produce and Fetch responses name the
   * current leader and its endpoint with NOT_LEADER_OR_FOLLOWER), so the retry goes straight to it
   * without a Metadata round trip. Ignored unless its epoch is newer than the cached one.
   */
  noteLeader(
    topic: string,
    partition: number,
    leaderId: number,
    leaderEpoch: number,
    endpoint?: { host: string; port: number; rack?: string | null },
  ): boolean {
    const p = this.topics.get(topic)?.partitions.find((x) => x.partitionId === partition);
    if (!p || leaderId < 0 || leaderEpoch < 0 || leaderEpoch <= p.leaderEpoch) return false;
    if (!this.brokerMeta.has(leaderId)) {
      if (!endpoint) return false;
      this.brokerMeta.set(leaderId, {
        nodeId: leaderId,
        host: endpoint.host,
        port: endpoint.port,
        rack: endpoint.rack ?? null,
      });
    }
    p.leader = leaderId;
    p.leaderEpoch = leaderEpoch;
    return true;
  }

  /** Marks cached metadata stale so the next addTargetTopics/refreshMetadataIfNecessary reloads it. */
  invalidateMetadata(): void {
    this.lastRefresh = 0;
  }
}
