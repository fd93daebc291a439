/**
 * Shared pieces of the consumer tests: KafkaJS 2.2.4 as the reference client (loaded with require,
 * as its CommonJS exports need), topic creation through Brook's admin, polling, and a collector
 * that records what a consumer's handler saw.
 */
import { createRequire } from "node:module";
import type * as KafkaJSTypes from "kafkajs";
import { type Admin, Kafka, logLevel } from "../../../src/client/index.js";

const require = createRequire(import.meta.url);
export const kafkajs: typeof KafkaJSTypes = require("kafkajs");

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value; throws naming `what` after `ms`. */
export async function until<T>(
  fn: () => T | Promise<T>,
  ms = 20000,
  what = "condition",
  step = 25,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`${what} not met within ${ms} ms`);
    await sleep(step);
  }
}

export function brookKafka(bootstrap: string, clientId = "consumer-test"): Kafka {
  return new Kafka({ clientId, brokers: [bootstrap], logLevel: logLevel.NOTHING });
}

export function referenceKafka(bootstrap: string, clientId = "consumer-test"): KafkaJSTypes.Kafka {
  return new kafkajs.Kafka({ clientId, brokers: [bootstrap], logLevel: kafkajs.logLevel.NOTHING });
}

export async function createTopic(
  admin: Admin,
  topic: string,
  numPartitions = 1,
  configEntries: Array<{ name: string; value: string }> = [],
): Promise<void> {
  await admin.createTopics({ topics: [{ topic, numPartitions, configEntries }], waitForLeaders: true });
}

/** What a handler saw, message by message, in delivery order. */
export interface Seen {
  topic: string;
  partition: number;
  offset: number;
  value: string | null;
}

/** Committed offsets of a group for a topic, by partition (-1 when none). */
export async function committedOffsets(
  admin: Admin,
  groupId: string,
  topic: string,
): Promise<Map<number, number>> {
  const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return new Map(t!.partitions.map((p) => [p.partition, Number(p.offset)]));
}

/** Values 0..n-1 as strings, spread over partitions by explicit partition number. */
export function numbered(
  n: number,
  partitions: number,
  prefix = "",
): Array<{ partition: number; value: string }> {
  return Array.from({ length: n }, (_, i) => ({ partition: i % partitions, value: `${prefix}${i}` }));
}
