/**
 * retryingConsumer on KafkaJS 2.2.4's client instead of Brook's (the parts use only KafkaJS's API):
 * at least once and transactional, against a Brook broker, records that fail once are retried and
 * processed once.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Admin, Kafka } from "../../src/client/index.js";
import { retryingConsumer } from "../../src/patterns/index.js";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import { kafkajs } from "../client/consumer/support.js";
import { createTopic, quietKafka, readAll, unique, until } from "./support.js";

describe("retryingConsumer with KafkaJS's client", () => {
  let tb: TestBroker;
  let admin: Admin;
  let brook: Kafka;

  before(async () => {
    tb = await startTestBroker();
    brook = quietKafka(tb.bootstrap);
    admin = brook.admin();
    await admin.connect();
  });

  after(async () => {
    await admin.disconnect();
    await tb.close();
  });

  for (const transactional of [false, true]) {
    it(`${transactional ? "transactional" : "at least once"}: records failing once are retried, each processed once`, {
      timeout: 60_000,
    }, async () => {
      const topic = unique("kjs-orders");
      await createTopic(admin, topic, 2);
      const producer = brook.producer();
      await producer.connect();
      await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ value: `r-${i}` })) });
      await producer.disconnect();
      const reference = new kafkajs.Kafka({
        clientId: "kafkajs-patterns",
        brokers: [tb.bootstrap],
        logLevel: kafkajs.logLevel.NOTHING,
      });
      const processed: string[] = [];
      const worker = retryingConsumer({
        kafka: reference as unknown as Kafka,
        groupId: unique("kjs"),
        topic,
        attempts: 2,
        backoff: { initialMs: 200 },
        transactional,
        fromBeginning: true,
        consumerConfig: { maxWaitTimeInMs: 100 },
        handler: async ({ message, attempt }) => {
          const v = message.value!.toString();
          if (Number(v.slice(2)) % 2 === 0 && attempt === 1) throw new Error(`first try of ${v}`);
          processed.push(`${v}@${attempt}`);
        },
      });
      try {
        await worker.run();
        await until(() => processed.length >= 10, 30_000, "all records processed");
      } finally {
        await worker.stop();
      }
      assert.deepEqual(
        processed.sort(),
        Array.from({ length: 10 }, (_, i) => `r-${i}@${i % 2 === 0 ? 2 : 1}`).sort(),
      );
      const retried = await readAll(brook, admin, worker.plan.topics[0]!);
      assert.equal(retried.length, 5);
    });
  }
});
