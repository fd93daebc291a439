/**
 * Shared pieces of the consumer tests: KafkaJS 2.2.4 as the reference client (loaded with require,
 * as its CommonJS exports need), topic creation through Brook's admin, polling, and a collector
 * that records what a consumer's handler saw.
 */
import { createRequire } from "node:module";
import type * as KafkaJSTypes from "kafkajs";
import { type Admin, type Consumer, Kafka, logLevel, type Producer } from "../../../src/client/index.js";
import { startTestBroker, type TestBroker } from "../../../src/testing/index.js";
import { until as poll, sleep } from "../../groups/support.js";

const require = createRequire(import.meta.url);
export const kafkajs: typeof KafkaJSTypes = require("kafkajs");

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

export { sleep };

/**
 * Polls `fn` until it returns a truthy value; throws naming `what` after `ms`. The group tests'
 * poll with the consumer tests' defaults: a longer wait, a shorter step.
 */
export function until<T>(fn: () => T | Promise<T>, ms = 20000, what = "condition", step = 25): Promise<T> {
  return poll(fn, ms, what, step);
}

export function brookKafka(bootstrap: string, clientId = "consumer-test"): Kafka {
  return new Kafka({ clientId, brokers: [bootstrap], logLevel: logLevel.NOTHING });
}

export function referenceKafka(bootstrap: string, clientId = "consumer-test"): KafkaJSTypes.Kafka {
  return new kafkajs.Kafka({ clientId, brokers: [bootstrap], logLevel: kafkajs.logLevel.NOTHING });
}

/**
 * A Brook broker, Brook's client and KafkaJS's pointed at it, and a connected admin of Brook's
 * client. Consumers handed to track() are disconnected by close() before the broker stops.
 */
export class ConsumerTestBed {
  private readonly tracked: Array<{ disconnect(): Promise<void> }> = [];
  private groups = 0;

  private constructor(
    readonly broker: TestBroker,
    readonly kafka: Kafka,
    readonly reference: KafkaJSTypes.Kafka,
    readonly admin: Admin,
    private readonly groupPrefix: string,
  ) {}

  /** `groupPrefix` names the groups consumer() makes: `<prefix>-1`, `<prefix>-2`, ... */
  static async start(groupPrefix = "consumer-test"): Promise<ConsumerTestBed> {
    const broker = await startTestBroker();
    const kafka = brookKafka(broker.bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    return new ConsumerTestBed(broker, kafka, referenceKafka(broker.bootstrap), admin, groupPrefix);
  }

  track<C extends { disconnect(): Promise<void> }>(consumer: C): C {
    this.tracked.push(consumer);
    return consumer;
  }

  /** A tracked consumer of Brook's client in a group of its own (unless `config` names one), 100 ms fetch waits. */
  consumer(config: Partial<Parameters<Kafka["consumer"]>[0]> = {}): Consumer {
    return this.track(
      this.kafka.consumer({
        groupId: `${this.groupPrefix}-${++this.groups}`,
        maxWaitTimeInMs: 100,
        ...config,
      }),
    );
  }

  /** Sends `messages` to `topic` with a producer of its own. */
  async produce(topic: string, messages: Parameters<Producer["send"]>[0]["messages"]): Promise<void> {
    const p = this.kafka.producer();
    await p.connect();
    await p.send({ topic, messages });
    await p.disconnect();
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.tracked.map((c) => c.disconnect()));
    await this.admin.disconnect();
    await this.broker.close();
  }
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
