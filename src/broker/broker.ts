/**
 * The broker: owns configuration, cluster metadata (topics), the log manager and the listener.
 * One node is controller and leader of every partition. All state changes happen on the Node event
 * loop, so handlers need no locks; long waits (fsync, fetch long-poll) are promises.
 */
import { mkdirSync, writeFileSync, existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join, resolve } from "node:path";
import { pino, type Logger } from "pino";
import { ErrorCode } from "../protocol/error-codes.js";
import { DEFAULT_LOG_CONFIG, type LogConfig, LogManager, type PartitionLog } from "../storage/index.js";
import { BrokerConfig, ConfigError, type DynamicScope, validateTopicConfigs } from "./config/config.js";
import type { ConfigValue } from "./config/definitions.js";
import { allHandlers } from "./handlers/index.js";
import { type BrokerComponent, createComponents } from "./components.js";
import { FetchSessionCache } from "./fetch-sessions.js";
import type { MetricsServer } from "./metrics/server.js";
import { BrokerStats } from "./metrics/stats.js";
import { TopicStore, type TopicRecord } from "./metadata/topic-store.js";
import { Connection } from "./network/connection.js";
import { Router } from "./router.js";

export interface BrokerOptions {
  host?: string;
  /** 0 = any free port. */
  port?: number;
  dataDir?: string;
  /** Host advertised in Metadata; default `localhost` when bound to 127.0.0.1, else the address the client used. */
  advertisedHost?: string;
  /** Broker configs by Kafka name, lowest precedence first. */
  configLayers?: Array<Record<string, string>>;
  logger?: Logger;
  logLevel?: string;
  /**
   * Serve Prometheus metrics at http://<host>:<metricsPort>/metrics (and /health); 0 = any free
   * port; undefined = no metrics endpoint (the default here; `brook start` turns it on at 9644).
   */
  metricsPort?: number;
}

/** An error a topic operation reports with a Kafka error code. */
export class TopicError extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

const LEGAL_TOPIC = /^[a-zA-Z0-9._-]+$/;
export const MAX_TOPIC_NAME_LENGTH = 249;
/** One transaction marker for one partition (see Broker.writeTxnMarker). */
export interface TxnMarker {
  producerId: bigint;
  producerEpoch: number;
  coordinatorEpoch: number;
  commit: boolean;
  topic: string;
  partition: number;
}

const OFFSETS_TOPIC_NAME = "__consumer_offsets";
export const INTERNAL_TOPICS = new Set([OFFSETS_TOPIC_NAME, "__transaction_state"]);

export function validateTopicName(name: string): string | null {
  if (name.length === 0) return "Topic name is illegal, it can't be empty";
  if (name === "." || name === "..") return 'Topic name cannot be "." or ".."';
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    return `Topic name is illegal, it can't be longer than ${MAX_TOPIC_NAME_LENGTH} characters`;
  }
  if (!LEGAL_TOPIC.test(name)) {
    return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  }
  return null;
}

export class Broker {
  readonly config: BrokerConfig;
  readonly logger: Logger;
  readonly dataDir: string;
  readonly nodeId: number;
  readonly router: Router;
  readonly host: string;
  private readonly requestedPort: number;
  private readonly advertisedHostOption: string | undefined;
  private server: Server | undefined;
  private readonly connections = new Set<Connection>();
  private idleTimer: NodeJS.Timeout | undefined;
  private store!: TopicStore;
  logs!: LogManager;
  port = 0;
  private closing: Promise<void> | undefined;
  readonly startedAt = Date.now();
  readonly fetchSessions = new FetchSessionCache();
  /** Per-topic and per-API counters (always kept; served by the metrics endpoint). */
  readonly stats = new BrokerStats();
  /** The metrics endpoint, when `metricsPort` was given. */
  metrics: MetricsServer | undefined;
  private readonly metricsPort: number | undefined;
  /** Started components (coordinators), stopped in reverse order before the logs close. */
  readonly components: BrokerComponent[] = [];
  private readonly shutdownListeners = new Set<() => void>();

  constructor(opts: BrokerOptions = {}) {
    this.config = new BrokerConfig(opts.configLayers ?? []);
    this.logger = opts.logger ?? pino({ level: opts.logLevel ?? process.env.BROOK_LOG_LEVEL ?? "info" });
    this.dataDir = resolve(
      opts.dataDir ?? this.config.string("log.dirs") ?? this.config.string("log.dir") ?? "./data",
    );
    this.nodeId = this.config.number("node.id");
    this.host = opts.host ?? "127.0.0.1";
    this.requestedPort = opts.port ?? 9092;
    this.advertisedHostOption = opts.advertisedHost;
    this.metricsPort = opts.metricsPort;
    this.router = new Router(this);
    this.router.register(...allHandlers);
  }

  get clusterId(): string {
    return this.store.clusterId;
  }

  /** The host to advertise to a client connected through `conn`. */
  advertisedHost(conn?: Connection): string {
    if (this.advertisedHostOption) return this.advertisedHostOption;
    if (this.host === "127.0.0.1") return "localhost";
    const local = conn?.socket.localAddress;
    if (local) return local.startsWith("::ffff:") ? local.slice(7) : local;
    return this.host === "0.0.0.0" || this.host === "::" ? "localhost" : this.host;
  }

  async start(): Promise<void> {
    mkdirSync(this.dataDir, { recursive: true });
    this.store = TopicStore.open(this.dataDir, this.nodeId);
    const stored: Array<[DynamicScope, Record<string, string>]> = [
      ["cluster", this.store.brokerConfigs],
      ["broker", this.store.nodeBrokerConfigs],
    ];
    for (const [scope, configs] of stored) {
      for (const [k, v] of Object.entries(configs)) {
        try {
          this.config.setDynamic(k, v, scope);
        } catch (e) {
          // A dynamic value kept by an older Brook for a config that is now read-only (or unknown).
          this.logger.warn({ config: k, err: String(e) }, "ignoring a stored dynamic broker config");
        }
      }
    }
    this.writeMetaProperties();
    this.logs = await LogManager.open({
      dataDir: this.dataDir,
      defaults: this.logConfigFor({}),
      logger: this.storageLogger(),
      cleaner: this.config.bool("log.cleaner.enable"),
      cleanerOptions: { backoffMs: this.config.number("log.cleaner.backoff.ms") },
      retentionCheckIntervalMs: this.config.number("log.retention.check.interval.ms"),
      flushSchedulerIntervalMs: this.config.number("log.flush.scheduler.interval.ms"),
      producerIdExpirationMs: this.config.number("producer.id.expiration.ms"),
      producerIdExpirationCheckIntervalMs: this.config.number("producer.id.expiration.check.interval.ms"),
    });
    await this.reconcileLogs();
    for (const c of createComponents(this)) {
      await c.start();
      this.components.push(c);
    }
    await this.listen();
    if (this.metricsPort !== undefined) {
      const { startMetricsServer } = await import("./metrics/server.js");
      this.metrics = await startMetricsServer(this, { host: this.host, port: this.metricsPort });
    }
  }

  private storageLogger() {
    const l = this.logger.child({ component: "storage" });
    return {
      info: (o: unknown, msg?: string) => l.info(o as object, msg),
      warn: (o: unknown, msg?: string) => l.warn(o as object, msg),
    };
  }

  /** Kafka's meta.properties, so the data dir is recognisable to Kafka tooling. */
  private writeMetaProperties(): void {
    const path = join(this.dataDir, "meta.properties");
    if (existsSync(path)) {
      const text = readFileSync(path, "utf8");
      const node = /^node\.id=(\d+)$/m.exec(text);
      if (node && Number(node[1]) !== this.nodeId) {
        throw new ConfigError(
          "node.id",
          `node.id ${this.nodeId} does not match node.id ${node[1]} stored in ${path}`,
        );
      }
      return;
    }
    writeFileSync(
      path,
      `#\n#${new Date().toString()}\nnode.id=${this.nodeId}\ndirectory.id=${Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64url")}\nversion=1\ncluster.id=${this.store.clusterId}\n`,
    );
  }

  /** Makes the logs on disk match the topic metadata: creates missing partitions, removes orphans. */
  private async reconcileLogs(): Promise<void> {
    const wanted = new Set<string>();
    for (const t of this.store.list()) {
      for (let p = 0; p < t.partitions; p++) {
        wanted.add(`${t.name}\u0000${p}`);
        if (!this.logs.get(t.name, p)) await this.logs.create(t.name, p, this.logConfigFor(t.configs), t.id);
        else this.logs.get(t.name, p)!.updateConfig(this.logConfigFor(t.configs));
      }
    }
    for (const log of this.logs.all()) {
      if (!wanted.has(`${log.topic}\u0000${log.partition}`)) {
        this.logger.warn(
          { topic: log.topic, partition: log.partition },
          "removing partition log with no topic metadata",
        );
        await this.logs.delete(log.topic, log.partition);
      }
    }
  }

  private listen(): Promise<void> {
    const server = createServer({ noDelay: true }, (socket) => {
      const conn = new Connection(
        socket,
        this.router,
        {
          maxRequestBytes: this.config.number("socket.request.max.bytes"),
          maxQueuedRequests: this.config.number("queued.max.requests"),
        },
        (c, reason) => {
          this.connections.delete(c);
          if (reason) this.logger.debug({ client: c.remote, reason }, "connection closed");
        },
      );
      if (this.closing) {
        conn.close("broker shutting down");
        return;
      }
      this.connections.add(conn);
    });
    server.maxConnections = this.config.number("max.connections");
    this.server = server;
    const idleMs = this.config.number("connections.max.idle.ms");
    if (idleMs > 0) {
      this.idleTimer = setInterval(
        () => {
          const now = Date.now();
          for (const c of this.connections)
            if (now - c.lastActive > idleMs) c.close("idle (connections.max.idle.ms)");
        },
        Math.min(idleMs, 30_000),
      );
      this.idleTimer.unref();
    }
    return new Promise((resolvePromise, reject) => {
      server.once("error", reject);
      server.listen(this.requestedPort, this.host, () => {
        server.off("error", reject);
        const addr = server.address();
        this.port = typeof addr === "object" && addr ? addr.port : this.requestedPort;
        resolvePromise();
      });
    });
  }

  get isShuttingDown(): boolean {
    return this.closing !== undefined;
  }

  /** Called once when shutdown begins (wakes long polls so they answer at once). */
  onShutdown(fn: () => void): () => void {
    this.shutdownListeners.add(fn);
    return () => this.shutdownListeners.delete(fn);
  }

  /** Graceful stop: stop accepting, finish requests in flight, flush logs and write checkpoints. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.idleTimer) clearInterval(this.idleTimer);
      const metricsClosed = this.metrics?.close();
      for (const fn of [...this.shutdownListeners]) fn();
      const serverClosed = new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
      await Promise.race([
        Promise.all([...this.connections].map((c) => c.drain())),
        new Promise((r) => setTimeout(r, 5000).unref()),
      ]);
      for (const c of this.connections) c.close("broker shutting down");
      await serverClosed;
      await this.onClose();
      await this.logs?.close();
      await metricsClosed;
    })();
    return this.closing;
  }

  /** Hooks for coordinators to stop timers and persist state before logs close. */
  private readonly closeHooks: Array<() => Promise<void> | void> = [];
  addCloseHook(fn: () => Promise<void> | void): void {
    this.closeHooks.push(fn);
  }
  private async onClose(): Promise<void> {
    for (const c of [...this.components].reverse()) await c.close();
    for (const fn of this.closeHooks) await fn();
  }

  /** A started component by name (e.g. "groups"), for handlers that need it. */
  component<T extends BrokerComponent>(name: string): T {
    const c = this.components.find((x) => x.name === name);
    if (!c) throw new Error(`broker component ${name} is not running`);
    return c as T;
  }

  // ---- topics

  topics(): TopicRecord[] {
    return this.store.list();
  }

  topic(name: string): TopicRecord | undefined {
    return this.store.get(name);
  }

  topicById(id: string): TopicRecord | undefined {
    return this.store.getById(id);
  }

  partitionLog(topic: string, partition: number): PartitionLog | undefined {
    return this.logs.get(topic, partition);
  }

  /**
   * WriteTxnMarkers on a single node: appends a COMMIT or ABORT control batch for `producerId` to
   * one partition (durably), which ends the producer's transaction there (LSO, `.txnindex` for
   * aborts) and, on a `__consumer_offsets` partition, makes the producer's pending offsets committed
   * or drops them. Resolves to the partition's error code (NONE, UNKNOWN_TOPIC_OR_PARTITION,
   * INVALID_PRODUCER_EPOCH, TRANSACTION_COORDINATOR_FENCED, ...).
   */
  async writeTxnMarker(m: TxnMarker): Promise<number> {
    const log = this.partitionLog(m.topic, m.partition);
    if (!log || !this.topic(m.topic)) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    try {
      await log.appendTxnMarker({
        producerId: m.producerId,
        producerEpoch: m.producerEpoch,
        coordinatorEpoch: m.coordinatorEpoch,
        commit: m.commit,
      });
    } catch (e) {
      const code = (e as { errorCode?: number }).errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
      if (code === ErrorCode.UNKNOWN_SERVER_ERROR)
        this.logger.error(
          { err: e, topic: m.topic, partition: m.partition },
          "writing a transaction marker failed",
        );
      return code;
    }
    // Pending transactional offsets become committed (or are dropped) once the marker is durable.
    if (m.topic === OFFSETS_TOPIC_NAME) {
      this.component<BrokerComponent & { completeTransaction(pid: bigint, commit: boolean): void }>(
        "groups",
      ).completeTransaction(m.producerId, m.commit);
    }
    return ErrorCode.NONE;
  }

  /** Effective topic config values (overrides, then broker defaults, then Kafka defaults). */
  topicConfigValues(overrides: Record<string, string>): Map<string, ConfigValue> {
    return this.config.topicValues(overrides);
  }

  /**
   * A topic's effective config, cached: the produce path reads it on every request, and resolving
   * it parses every config. Invalidated whenever topic or broker configs change.
   */
  effectiveTopicConfig(t: TopicRecord): Map<string, ConfigValue> {
    let v = this.topicConfigCache.get(t.name);
    if (!v) {
      v = this.config.topicValues(t.configs);
      this.topicConfigCache.set(t.name, v);
    }
    return v;
  }
  private readonly topicConfigCache = new Map<string, Map<string, ConfigValue>>();

  logConfigFor(overrides: Record<string, string>): LogConfig {
    const v = this.topicConfigValues(overrides);
    const num = (k: string): number => v.get(k) as number;
    return {
      ...DEFAULT_LOG_CONFIG,
      segmentBytes: num("segment.bytes"),
      segmentMs: num("segment.ms"),
      segmentIndexBytes: num("segment.index.bytes"),
      indexIntervalBytes: num("index.interval.bytes"),
      retentionMs: num("retention.ms"),
      retentionBytes: num("retention.bytes"),
      cleanupPolicy: v.get("cleanup.policy") as ("delete" | "compact")[],
      deleteRetentionMs: num("delete.retention.ms"),
      minCompactionLagMs: num("min.compaction.lag.ms"),
      maxCompactionLagMs: num("max.compaction.lag.ms"),
      minCleanableDirtyRatio: num("min.cleanable.dirty.ratio"),
      flushMessages: num("flush.messages"),
      flushMs: num("flush.ms"),
      maxMessageBytes: num("max.message.bytes"),
      messageTimestampType: v.get("message.timestamp.type") as "CreateTime" | "LogAppendTime",
      messageTimestampBeforeMaxMs: num("message.timestamp.before.max.ms"),
      messageTimestampAfterMaxMs: num("message.timestamp.after.max.ms"),
      fileDeleteDelayMs: num("file.delete.delay.ms"),
    };
  }

  /**
   * Creates a topic. Throws TopicError with Kafka's code: TOPIC_ALREADY_EXISTS, INVALID_TOPIC_EXCEPTION,
   * INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR, INVALID_CONFIG.
   */
  async createTopic(
    name: string,
    partitions: number,
    replicationFactor: number,
    configs: Record<string, string | null>,
    opts: { validateOnly?: boolean; internal?: boolean } = {},
  ): Promise<TopicRecord | undefined> {
    const invalid = validateTopicName(name);
    if (invalid) throw new TopicError(ErrorCode.INVALID_TOPIC_EXCEPTION, invalid);
    if (this.store.get(name))
      throw new TopicError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`);
    // '.' and '_' collide in metric names, so Kafka refuses a name equal to another up to them.
    const collision = this.store.list().find((t) => t.name.replace(/\./g, "_") === name.replace(/\./g, "_"));
    if (collision) {
      throw new TopicError(
        ErrorCode.INVALID_TOPIC_EXCEPTION,
        `Topic '${name}' collides with existing topic: ${collision.name}`,
      );
    }
    if (partitions === -1) partitions = this.config.number("num.partitions");
    if (!Number.isInteger(partitions) || partitions < 1) {
      throw new TopicError(
        ErrorCode.INVALID_PARTITIONS,
        `Number of partitions must be larger than 0 (got ${partitions}).`,
      );
    }
    if (partitions > 100_000) {
      throw new TopicError(
        ErrorCode.INVALID_PARTITIONS,
        `Number of partitions ${partitions} is more than Brook allows (100000).`,
      );
    }
    if (replicationFactor === -1) replicationFactor = 1;
    if (replicationFactor < 1) {
      throw new TopicError(ErrorCode.INVALID_REPLICATION_FACTOR, "Replication factor must be larger than 0.");
    }
    if (replicationFactor > 1 && !opts.internal) {
      throw new TopicError(
        ErrorCode.INVALID_REPLICATION_FACTOR,
        `Unable to replicate the partition ${replicationFactor} time(s): The target replication factor of ${replicationFactor} cannot be reached because only 1 broker(s) are registered or some brokers have all their log directories cordoned.`,
      );
    }
    let overrides: Record<string, string>;
    try {
      overrides = validateTopicConfigs(configs);
    } catch (e) {
      if (e instanceof ConfigError) throw new TopicError(ErrorCode.INVALID_CONFIG, e.message);
      throw e;
    }
    if (opts.validateOnly) return undefined;
    this.topicConfigCache.delete(name);
    const t = this.store.create(name, partitions, overrides);
    const logConfig = this.logConfigFor(overrides);
    for (let p = 0; p < partitions; p++) await this.logs.create(name, p, logConfig, t.id);
    this.logger.info({ topic: name, partitions, configs: overrides }, "topic created");
    return t;
  }

  /** Creates a topic if auto-creation is on; returns it, or undefined when it does not exist. */
  async autoCreateTopic(name: string): Promise<TopicRecord | undefined> {
    const existing = this.store.get(name);
    if (existing || !this.config.bool("auto.create.topics.enable") || INTERNAL_TOPICS.has(name))
      return existing;
    if (validateTopicName(name)) return undefined;
    return this.createTopic(name, this.config.number("num.partitions"), 1, {});
  }

  async deleteTopic(name: string): Promise<void> {
    const t = this.store.get(name);
    if (!t)
      throw new TopicError(
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        "This server does not host this topic-partition.",
      );
    if (!this.config.bool("delete.topic.enable")) {
      throw new TopicError(ErrorCode.TOPIC_DELETION_DISABLED, "Topic deletion is disabled.");
    }
    this.store.delete(name);
    this.topicConfigCache.delete(name);
    this.stats.removeTopic(name);
    for (let p = 0; p < t.partitions; p++) await this.logs.delete(name, p);
    this.logger.info({ topic: name }, "topic deleted");
    // Committed offsets of the topic go too (as Kafka's group coordinator drops them on deletion).
    const groups = this.components.find((c) => c.name === "groups") as
      | (BrokerComponent & { onTopicDeleted(topic: string): Promise<number> })
      | undefined;
    await groups?.onTopicDeleted(name).catch((e: unknown) => {
      this.logger.warn({ err: String(e), topic: name }, "could not remove the offsets of a deleted topic");
    });
  }

  async createPartitions(name: string, count: number, validateOnly: boolean): Promise<void> {
    const t = this.store.get(name);
    if (!t) throw new TopicError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${name}' does not exist.`);
    // Kafka's controller's wording (kafka-topics --alter prints it).
    if (count < t.partitions) {
      throw new TopicError(
        ErrorCode.INVALID_PARTITIONS,
        `The topic ${name} currently has ${t.partitions} partition(s); ${count} would not be an increase.`,
      );
    }
    if (count === t.partitions) {
      throw new TopicError(ErrorCode.INVALID_PARTITIONS, `Topic already has ${t.partitions} partition(s).`);
    }
    if (count > 100_000) throw new TopicError(ErrorCode.INVALID_PARTITIONS, `Too many partitions: ${count}.`);
    if (validateOnly) return;
    const logConfig = this.logConfigFor(t.configs);
    for (let p = t.partitions; p < count; p++) await this.logs.create(name, p, logConfig, t.id);
    this.store.setPartitions(name, count);
    this.logger.info({ topic: name, partitions: count }, "partitions added");
  }

  /** Replaces a topic's config overrides (AlterConfigs semantics) after validating them. */
  setTopicConfigs(name: string, configs: Record<string, string>, validateOnly: boolean): void {
    const t = this.store.get(name);
    if (!t) throw new TopicError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${name} does not exist`);
    let overrides: Record<string, string>;
    try {
      overrides = validateTopicConfigs(configs);
    } catch (e) {
      if (e instanceof ConfigError) throw new TopicError(ErrorCode.INVALID_CONFIG, e.message);
      throw e;
    }
    if (validateOnly) return;
    this.store.setConfigs(name, overrides);
    this.topicConfigCache.delete(name);
    const lc = this.logConfigFor(overrides);
    for (let p = 0; p < t.partitions; p++) this.logs.get(name, p)?.updateConfig(lc);
  }

  /**
   * Applies dynamic broker configs, cluster-wide defaults (broker resource "") or this node's own
   * (`scope` "broker"), and pushes the new defaults to every log.
   */
  setBrokerConfigs(
    configs: Record<string, string | null>,
    validateOnly: boolean,
    scope: DynamicScope = "cluster",
  ): void {
    // As Kafka: every config of the request that cannot change at run time is named at once.
    const fixed = Object.keys(configs).filter((k) => BrokerConfig.isReadOnly(k));
    if (fixed.length > 0) {
      throw new TopicError(
        ErrorCode.INVALID_REQUEST,
        `Cannot update these configs dynamically: [${fixed.join(", ")}]`,
      );
    }
    const trial = new BrokerConfig();
    for (const [k, v] of Object.entries(configs)) {
      try {
        trial.setDynamic(k, v, scope);
      } catch (e) {
        // As Kafka: a read-only broker config or a bad value makes the request invalid (an unknown
        // name stays INVALID_CONFIG).
        if (e instanceof ConfigError && BrokerConfig.knownKey(k)) {
          throw new TopicError(ErrorCode.INVALID_REQUEST, e.message);
        }
        throw e;
      }
    }
    if (validateOnly) return;
    for (const [k, v] of Object.entries(configs)) this.config.setDynamic(k, v, scope);
    if (scope === "broker") this.store.setNodeBrokerConfigs(this.config.dynamicEntries("broker"));
    else this.store.setBrokerConfigs(this.config.dynamicEntries("cluster"));
    this.topicConfigCache.clear();
    for (const t of this.store.list()) {
      const lc = this.logConfigFor(t.configs);
      for (let p = 0; p < t.partitions; p++) this.logs.get(t.name, p)?.updateConfig(lc);
    }
  }

  connectionCount(): number {
    return this.connections.size;
  }
}

/** Starts a broker and resolves once it accepts connections. */
export async function startBroker(opts: BrokerOptions = {}): Promise<Broker & { port: number }> {
  const broker = new Broker(opts);
  try {
    await broker.start();
  } catch (e) {
    await broker.close().catch(() => {});
    throw e;
  }
  return broker;
}
