/**
 * The retry topics, the DLT and redrive against Apache Kafka 4.4 (one KRaft node): the parts talk
 * Kafka only through Brook's client, so they behave there as on Brook. Transactional mode, so
 * Kafka's own transaction coordinator and read_committed judge the forwards. Skips, saying what
 * to install, without Java 17+ and the Kafka jars.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Admin, Kafka } from "../../src/client/index.js";
import { DltHeaders, RetryHeaders, redrive, retryingConsumer, retryPlan } from "../../src/patterns/index.js";
import {
  type ApacheKafkaCluster,
  apacheKafkaUnavailable,
  startApacheKafka,
} from "../support/apache-kafka.js";
import { createTopic, header, quietKafka, readAll, unique, until } from "./support.js";

class PermanentError extends Error {}

describe("retry topics, DLT and redrive on Apache Kafka", { skip: apacheKafkaUnavailable() ?? false }, () => {
  let cluster: ApacheKafkaCluster;
  let kafka: Kafka;
  let admin: Admin;

  before(async () => {
    cluster = await startApacheKafka({ brokers: 1, quickStart: true });
    kafka = quietKafka(cluster.bootstrap);
    admin = kafka.admin();
    await admin.connect();
  });

  after(async () => {
    await admin?.disconnect();
    await cluster?.stop();
  });

  it("transactional: transient failures retried once each, permanent ones dead-lettered, then redriven and processed", {
    timeout: 120_000,
  }, async () => {
    const topic = unique("ak-orders");
    const plan = retryPlan(topic, 2, { initialMs: 500 });
    await createTopic(admin, topic, 2);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: Array.from({ length: 12 }, (_, i) => ({ key: `k-${i}`, value: `r-${i}`, partition: i % 2 })),
    });
    await producer.disconnect();
    const processed: string[] = [];
    let healed = false;
    const worker = retryingConsumer({
      kafka,
      groupId: unique("ak-billing"),
      topic,
      attempts: 2,
      backoff: { initialMs: 500 },
      transactional: true,
      fromBeginning: true,
      nonRetryable: [PermanentError],
      consumerConfig: { maxWaitTimeInMs: 100 },
      handler: async ({ message, attempt }) => {
        const v = message.value!.toString();
        const i = Number(v.slice(2));
        if (!healed && i % 3 === 0) throw new PermanentError(`declined ${v}`);
        if (!healed && i % 3 === 1 && attempt === 1) throw new Error(`timed out ${v}`);
        processed.push(`${v}@${attempt}`);
      },
    });
    try {
      await worker.run();
      await until(() => processed.length === 8, 60_000, "the retried and plain records processed");
      const dead = (await until(
        async () => {
          const records = await readAll(kafka, admin, plan.dlt);
          return records.length === 4 ? records : null;
        },
        30_000,
        "4 records in the DLT",
        500,
      ))!;
      for (const { partition, message } of dead) {
        assert.equal(header(message, DltHeaders.originalTopic), topic);
        assert.equal(header(message, DltHeaders.originalPartition), String(partition));
        assert.equal(header(message, DltHeaders.exceptionFqcn), "PermanentError");
        assert.equal(header(message, RetryHeaders.attempts), "1");
      }
      assert.equal(
        (await readAll(kafka, admin, plan.topics[0]!)).length,
        4,
        "each transient failure forwarded once",
      );

      healed = true;
      const result = await redrive({ kafka, dlt: plan.dlt });
      assert.equal(result.redriven, 4);
      await until(() => processed.length === 12, 30_000, "the redriven records processed");
    } finally {
      await worker.stop();
    }
    assert.deepEqual(
      processed.sort(),
      Array.from({ length: 12 }, (_, i) => `r-${i}@${i % 3 === 1 ? 2 : 1}`).sort(),
      "each record processed once",
    );
  });
});
