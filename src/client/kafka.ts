/**
 * `new Kafka(config)`: the client's root, as in KafkaJS. It only holds configuration; each producer,
 * consumer and admin it creates owns its own Cluster (connections and metadata) and instrumentation
 * emitter, so one client's disconnect or failure never affects another's.
 */
import { createAdmin } from "./admin/index.js";
import type { Admin, AdminConfig } from "./admin/types.js";
import { CLUSTER_DEFAULTS, Cluster, type ClusterOptions } from "./cluster/index.js";
import { createConsumer } from "./consumer/index.js";
import type { BrookConsumerConfig, Consumer } from "./consumer/types.js";
import { KafkaJSNonRetriableError } from "./errors.js";
import {
  ADMIN_EVENTS,
  CONSUMER_EVENTS,
  type EventTable,
  InstrumentationEmitter,
  PRODUCER_EVENTS,
} from "./instrumentation.js";
import { createLogger, type Logger } from "./logger.js";
import { createProducer } from "./producer/index.js";
import type { Producer, ProducerConfig } from "./producer/types.js";
import type { KafkaConfig } from "./types.js";

export class Kafka {
  private readonly config: KafkaConfig;
  private readonly rootLogger: Logger;

  constructor(config: KafkaConfig) {
    if (config === null || typeof config !== "object")
      throw new KafkaJSNonRetriableError("Kafka client config must be an object with a brokers list");
    this.config = { ...config };
    this.rootLogger = createLogger({ level: config.logLevel, logCreator: config.logCreator });
    if (config.sasl && (typeof config.sasl !== "object" || !config.sasl.mechanism)) {
      throw new KafkaJSNonRetriableError("SASL mechanism is missing: sasl must be { mechanism, ... }");
    }
  }

  private cluster(
    extra: Partial<ClusterOptions>,
    emitter: InstrumentationEmitter,
    events: EventTable & { REQUEST: string; REQUEST_TIMEOUT: string; REQUEST_QUEUE_SIZE: string },
  ): Cluster {
    const c = this.config;
    return new Cluster({
      brokers: c.brokers,
      clientId: c.clientId,
      ssl: c.ssl,
      sasl: c.sasl as ClusterOptions["sasl"],
      connectionTimeout: c.connectionTimeout,
      authenticationTimeout: c.authenticationTimeout,
      reauthenticationThreshold: c.reauthenticationThreshold,
      requestTimeout: c.requestTimeout,
      enforceRequestTimeout: c.enforceRequestTimeout,
      socketFactory: c.socketFactory,
      logger: this.rootLogger,
      instrumentationEmitter: emitter,
      networkEvents: {
        REQUEST: events.REQUEST,
        REQUEST_TIMEOUT: events.REQUEST_TIMEOUT,
        REQUEST_QUEUE_SIZE: events.REQUEST_QUEUE_SIZE,
      },
      ...extra,
    });
  }

  producer(config: ProducerConfig = {}): Producer {
    const retry = { ...this.config.retry, ...config.retry };
    const emitter = new InstrumentationEmitter(PRODUCER_EVENTS, "producer");
    const cluster = this.cluster(
      {
        retry,
        metadataMaxAge: config.metadataMaxAge,
        allowAutoTopicCreation: config.allowAutoTopicCreation,
        maxInFlightRequests: config.maxInFlightRequests,
      },
      emitter,
      PRODUCER_EVENTS,
    );
    return createProducer({
      ...config,
      retry,
      cluster,
      logger: this.rootLogger,
      instrumentationEmitter: emitter,
    });
  }

  admin(config: AdminConfig = {}): Admin {
    const retry = { ...this.config.retry, ...config.retry };
    const emitter = new InstrumentationEmitter(ADMIN_EVENTS, "admin");
    const cluster = this.cluster({ retry, allowAutoTopicCreation: false }, emitter, ADMIN_EVENTS);
    return createAdmin({
      ...config,
      retry,
      cluster,
      logger: this.rootLogger,
      instrumentationEmitter: emitter,
    });
  }

  consumer(config: BrookConsumerConfig): Consumer {
    const options = config ?? ({} as BrookConsumerConfig);
    const retry = { ...this.config.retry, ...options.retry };
    const emitter = new InstrumentationEmitter(CONSUMER_EVENTS, "consumer");
    const cluster = this.cluster(
      {
        retry,
        metadataMaxAge: options.metadataMaxAge,
        allowAutoTopicCreation: options.allowAutoTopicCreation,
        maxInFlightRequests: options.maxInFlightRequests,
        isolationLevel: options.readUncommitted ? 0 : 1,
      },
      emitter,
      CONSUMER_EVENTS,
    );
    // The group coordinator gets connections of its own, so a Fetch long poll (Kafka answers one
    // connection's requests in order) never delays a heartbeat, as in Java's client.
    const groupCluster = this.cluster(
      { retry, metadataMaxAge: options.metadataMaxAge, allowAutoTopicCreation: false },
      emitter,
      CONSUMER_EVENTS,
    );
    return createConsumer({
      ...options,
      retry,
      cluster,
      groupCluster,
      logger: this.rootLogger,
      instrumentationEmitter: emitter,
      requestTimeout: this.config.requestTimeout ?? CLUSTER_DEFAULTS.requestTimeout,
    });
  }

  logger(): Logger {
    return this.rootLogger;
  }
}
