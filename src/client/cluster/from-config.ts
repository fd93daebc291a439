/** A standalone Cluster built from a Kafka() config, for tools that read metadata and fetch without a producer or consumer. */
import { createLogger, logLevel } from "../logger.js";
import type { KafkaConfig } from "../types.js";
import { Cluster } from "./cluster.js";

/**
 * A Cluster (connections and metadata) for `config`'s connection settings, logging nothing (the
 * tools report errors themselves). Topics are never auto-created unless asked for.
 */
export function clusterFor(config: KafkaConfig, isolationLevel = 0, allowAutoTopicCreation = false): Cluster {
  return new Cluster({
    brokers: config.brokers,
    clientId: config.clientId,
    ssl: config.ssl,
    // KafkaConfig's SASL union admits a custom mechanism object Cluster's narrower type spells differently.
    sasl: config.sasl as never,
    connectionTimeout: config.connectionTimeout,
    authenticationTimeout: config.authenticationTimeout,
    requestTimeout: config.requestTimeout,
    logger: createLogger({ level: logLevel.NOTHING }),
    retry: config.retry,
    allowAutoTopicCreation,
    isolationLevel,
  });
}
