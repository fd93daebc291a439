/**
 * Retry topics and the dead-letter topic against a Brook broker: transient errors are retried
 * through `<topic>-retry-<delay>` topics after their backoff (measured: never early, late by at
 * most the tolerance), permanent ones go straight to `<topic>-dlt`, every record ends processed
 * exactly once or in the DLT with the full headers; redrive sends DLT records back and they are
 * processed, resuming from committed progress.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Admin, Kafka, KafkaMessage } from "../../src/client/index.js";
import {
  DltHeaders,
  type ForwardEvent,
  RetryHeaders,
  RetryTopicsError,
  redrive,
  retryingConsumer,
  retryPlan,
} from "../../src/patterns/index.js";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import { createTopic, header, quietKafka, readAll, unique, until } from "./support.js";

class TransientError extends Error {}
class PermanentError extends Error {}

const PARTITIONS = 3;
const RECORDS = 30;
const BACKOFF = { initialMs: 300, multiplier: 2, maxMs: 1000 };
/** How late a retry may start after its due time on a loaded 2-core machine. */
const LATE_TOLERANCE_MS = 1500;

type Kind = "ok" | "flaky1" | "flaky2" | "permanent" | "always";
const kindOf = (i: number): Kind => (["ok", "flaky1", "flaky2", "permanent", "always"] as const)[i % 5]!;

describe("retry topics and dead-letter topic", () => {
  let tb: TestBroker;
  let kafka: Kafka;
  let admin: Admin;

  before(async () => {
    tb = await startTestBroker();
    kafka = quietKafka(tb.bootstrap);
    admin = kafka.admin();
    await admin.connect();
  });

  after(async () => {
    await admin.disconnect();
    await tb.close();
  });

  it("names topics by delay as Spring does; capped delays share the max-delay topic", () => {
    const plan = retryPlan("orders", 5, { initialMs: 1000, multiplier: 2, maxMs: 3000 });
    assert.deepEqual(plan.delays, [1000, 2000, 3000, 3000]);
    assert.deepEqual(plan.topics, ["orders-retry-1000", "orders-retry-2000", "orders-retry-3000"]);
    assert.equal(plan.retryTopics[3], "orders-retry-3000");
    assert.equal(plan.dlt, "orders-dlt");
    assert.deepEqual(retryPlan("orders", 1).topics, []);
    const seedNames = retryPlan(
      "orders",
      2,
      { initialMs: 500 },
      { dltSuffix: ".dlq", retryTopicSuffix: ".retry" },
    );
    assert.deepEqual([seedNames.topics, seedNames.dlt], [["orders.retry-500"], "orders.dlq"]);
    assert.throws(() => retryPlan("orders", 0), /attempts must be a whole number/);
    assert.throws(() => retryPlan("orders", 3, { multiplier: 0.5 }), /multiplier must be a number ≥ 1/);
  });

  it("refuses a missing source topic, and missing retry topics when it may not create them", async () => {
    const missing = retryingConsumer({
      kafka,
      groupId: unique("g"),
      topic: unique("absent"),
      handler: async () => {},
    });
    await assert.rejects(
      missing.run(),
      (e: Error) => e instanceof RetryTopicsError && /does not exist/.test(e.message),
    );
    await missing.stop();
    const topic = unique("no-create");
    await createTopic(admin, topic, 2);
    const strict = retryingConsumer({
      kafka,
      groupId: unique("g"),
      topic,
      handler: async () => {},
      createTopics: false,
    });
    await assert.rejects(
      strict.run(),
      (e: Error) =>
        e instanceof RetryTopicsError &&
        e.message.includes(`${topic}-retry-1000`) &&
        e.message.includes(`${topic}-dlt`),
    );
    await strict.stop();
    await admin.deleteTopics({ topics: [topic] });
  });

  it("a record waiting in a retry topic holds up neither the main topic nor the handler", {
    timeout: 30_000,
  }, async () => {
    const topic = unique("non-blocking");
    await createTopic(admin, topic, 1);
    const seen: Array<{ value: string; attempt: number; at: number }> = [];
    const wrapper = retryingConsumer({
      kafka,
      groupId: unique("nb"),
      topic,
      attempts: 2,
      backoff: { initialMs: 3000 },
      fromBeginning: true,
      consumerConfig: { maxWaitTimeInMs: 100 },
      handler: async ({ message, attempt }) => {
        const value = message.value!.toString();
        seen.push({ value, attempt, at: performance.now() });
        if (value === "slow" && attempt === 1) throw new TransientError("not yet");
      },
    });
    const producer = kafka.producer();
    await producer.connect();
    try {
      await wrapper.run();
      await producer.send({ topic, messages: [{ value: "slow" }] });
      await until(() => seen.length === 1, 10_000, "the first delivery");
      const failedAt = seen[0]!.at;
      // The retry partition is paused now; records sent to the main topic go through meanwhile.
      for (let i = 0; i < 5; i++) await producer.send({ topic, messages: [{ value: `fast-${i}` }] });
      await until(() => seen.length === 7, 10_000, "the retry");
      const fast = seen.filter((s) => s.value.startsWith("fast-"));
      const retry = seen.find((s) => s.value === "slow" && s.attempt === 2)!;
      assert.equal(fast.length, 5);
      for (const f of fast) assert.ok(f.at < retry.at, "main-topic records handled while the retry waited");
      assert.ok(retry.at - failedAt >= 2990, `retried after ${(retry.at - failedAt).toFixed(0)} ms`);
    } finally {
      await producer.disconnect();
      await wrapper.stop();
    }
  });

  describe("transient and permanent errors, then redrive", () => {
    const topic = unique("orders");
    const groupId = unique("billing");
    /** Where each id was first consumed, from its first delivery. */
    const firstSeen = new Map<string, { partition: number; offset: string; timestamp: string }>();
    const attemptsSeen = new Map<string, number[]>();
    const succeeded = new Map<string, number>();
    const failedAt = new Map<string, number>();
    const lateness: number[] = [];
    const early: string[] = [];
    const forwards: ForwardEvent[] = [];
    const redrivenSeen: Array<{ partition: number; message: KafkaMessage }> = [];
    let healed = false;
    const plan = retryPlan(topic, 3, BACKOFF);

    let wrapper: ReturnType<typeof retryingConsumer>;

    before(async () => {
      await createTopic(admin, topic, PARTITIONS);
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({
        topic,
        messages: Array.from({ length: RECORDS }, (_, i) => ({
          key: `k-${i}`,
          value: JSON.stringify({ id: `e-${i}`, kind: kindOf(i) }),
          partition: i % PARTITIONS,
          headers: { "event-id": `e-${i}`, "content-type": "application/json" },
        })),
      });
      await producer.disconnect();
      wrapper = retryingConsumer({
        kafka,
        groupId,
        topic,
        attempts: 3,
        backoff: BACKOFF,
        fromBeginning: true,
        partitionsConsumedConcurrently: PARTITIONS,
        nonRetryable: [PermanentError, (e) => e instanceof Error && e.message.startsWith("fatal:")],
        consumerConfig: { maxWaitTimeInMs: 100 },
        onForward: (event) => forwards.push(event),
        handler: async ({ topic: from, partition, message, attempt, originalTopic }) => {
          assert.equal(originalTopic, topic);
          const { id, kind } = JSON.parse(message.value!.toString()) as { id: string; kind: Kind };
          const now = Date.now();
          if (attempt === 1 && from === topic && !firstSeen.has(id)) {
            firstSeen.set(id, { partition, offset: message.offset, timestamp: message.timestamp });
          }
          if (attempt > 1) {
            const due = Number(header(message, RetryHeaders.backoffTimestamp));
            if (now < due) early.push(`${id} attempt ${attempt} ${due - now} ms early`);
            lateness.push(now - due);
            const delay = plan.delays[attempt - 2]!;
            // The due time was set just after the previous attempt failed: the gap is at least the delay.
            assert.ok(
              now - failedAt.get(id)! >= delay,
              `${id}: retried ${now - failedAt.get(id)!} ms after failing, delay ${delay}`,
            );
          }
          if (healed && from === topic && header(message, DltHeaders.originalTopic) === undefined) {
            redrivenSeen.push({ partition, message });
          }
          attemptsSeen.set(id, [...(attemptsSeen.get(id) ?? []), attempt]);
          const fail =
            !healed &&
            {
              ok: false,
              flaky1: attempt < 2,
              flaky2: attempt < 3,
              permanent: true,
              always: true,
            }[kind];
          if (fail) {
            failedAt.set(id, Date.now());
            // Non-retryable by class (odd ids) or by the predicate (even ids).
            if (kind === "permanent") {
              throw Number(id.slice(2)) % 2
                ? new PermanentError(`permanent failure of ${id}`)
                : new Error(`fatal: ${id}`);
            }
            throw new TransientError(`always failing ${id}`);
          }
          succeeded.set(id, (succeeded.get(id) ?? 0) + 1);
        },
      });
      await wrapper.run();
    });

    after(async () => {
      await wrapper.stop();
      await admin.deleteTopics({ topics: [topic, ...plan.topics, plan.dlt] }).catch(() => {});
    });

    it("every record ends processed once or in the DLT with the full headers; retries wait their backoff", {
      timeout: 60_000,
    }, async () => {
      const expectedOk = Array.from({ length: RECORDS }, (_, i) => i).filter((i) =>
        ["ok", "flaky1", "flaky2"].includes(kindOf(i)),
      );
      const expectedDead = RECORDS - expectedOk.length;
      await until(
        () =>
          succeeded.size === expectedOk.length &&
          forwards.filter((f) => f.deadLetter).length === expectedDead,
        40_000,
        "all records processed or dead-lettered",
      );
      // The retry topics exist with the main topic's partition count.
      const meta = await admin.fetchTopicMetadata({ topics: [...plan.topics, plan.dlt] });
      for (const t of meta.topics) assert.equal(t.partitions.length, PARTITIONS, t.name);
      assert.deepEqual(plan.topics, [`${topic}-retry-300`, `${topic}-retry-600`]);

      for (const i of expectedOk) {
        const id = `e-${i}`;
        assert.equal(succeeded.get(id), 1, `${id} processed once`);
        const want = { ok: [1], flaky1: [1, 2], flaky2: [1, 2, 3] }[kindOf(i) as "ok" | "flaky1" | "flaky2"];
        assert.deepEqual(attemptsSeen.get(id), want, `${id} attempts`);
      }
      assert.deepEqual(early, [], "no retry before its due time");
      assert.equal(lateness.length, 30, "6 flaky1 records retried once, 6 flaky2 and 6 always twice");
      const maxLate = Math.max(...lateness);
      assert.ok(
        maxLate <= LATE_TOLERANCE_MS,
        `retries at most ${LATE_TOLERANCE_MS} ms late, worst ${maxLate} ms`,
      );
      console.log(
        `# backoff: ${lateness.length} retries, started after their due time by mean ${(
          lateness.reduce((a, b) => a + b, 0) / lateness.length
        ).toFixed(0)} ms, max ${maxLate} ms`,
      );

      const dead = await readAll(kafka, admin, plan.dlt);
      assert.equal(dead.length, expectedDead);
      for (const { partition, message } of dead) {
        const { id, kind } = JSON.parse(message.value!.toString()) as { id: string; kind: Kind };
        const first = firstSeen.get(id)!;
        assert.equal(message.key?.toString(), `k-${id.slice(2)}`);
        assert.equal(header(message, "event-id"), id, "application headers kept");
        assert.equal(header(message, "content-type"), "application/json");
        assert.equal(partition, first.partition, "same partition as the original");
        assert.equal(header(message, DltHeaders.originalTopic), topic);
        assert.equal(header(message, DltHeaders.originalPartition), String(first.partition));
        assert.equal(header(message, DltHeaders.originalOffset), first.offset);
        assert.equal(header(message, DltHeaders.originalTimestamp), first.timestamp);
        assert.equal(header(message, DltHeaders.originalConsumerGroup), groupId);
        assert.equal(header(message, RetryHeaders.originalTimestamp), first.timestamp);
        if (kind === "permanent") {
          assert.equal(header(message, RetryHeaders.attempts), "1", `${id}: non-retryable, no retries`);
          const byClass = Number(id.slice(2)) % 2 === 1;
          assert.equal(header(message, DltHeaders.exceptionFqcn), byClass ? "PermanentError" : "Error");
          assert.equal(
            header(message, DltHeaders.exceptionMessage),
            byClass ? `permanent failure of ${id}` : `fatal: ${id}`,
          );
          assert.deepEqual(attemptsSeen.get(id), [1]);
        } else {
          assert.equal(kind, "always");
          assert.equal(header(message, RetryHeaders.attempts), "3");
          assert.equal(header(message, DltHeaders.exceptionFqcn), "TransientError");
          assert.equal(header(message, DltHeaders.exceptionMessage), `always failing ${id}`);
          assert.deepEqual(attemptsSeen.get(id), [1, 2, 3]);
        }
        assert.match(header(message, DltHeaders.exceptionStacktrace)!, /Error: .*\n\s+at /);
      }
      // Retry topics: each record stays in its original partition and carries its next attempt number.
      const retried = await readAll(kafka, admin, plan.topics[0]!);
      assert.equal(
        retried.length,
        18,
        "flaky1, flaky2 and always records went through the first retry topic",
      );
      for (const { partition, message } of retried) {
        assert.equal(header(message, DltHeaders.originalPartition), String(partition));
        assert.equal(header(message, RetryHeaders.attempts), "2");
      }
    });

    it("redrive: a dry run sends nothing; runs with a limit resume from committed progress; redriven records are processed", {
      timeout: 60_000,
    }, async () => {
      healed = true;
      const deadIds = [...attemptsSeen.keys()].filter((id) => !succeeded.has(id)).sort();
      assert.equal(deadIds.length, 12);
      const before = await admin.fetchTopicOffsets(topic);

      const dry = await redrive({ kafka, dlt: plan.dlt, dryRun: true });
      assert.equal(dry.redriven, 12);
      assert.deepEqual(dry.byTopic, { [topic]: 12 });
      assert.deepEqual(await admin.fetchTopicOffsets(topic), before, "a dry run sends nothing");

      const first = await redrive({ kafka, dlt: plan.dlt, limit: 5 });
      assert.equal(first.redriven, 5);
      assert.equal(first.remaining, 7);
      const second = await redrive({ kafka, dlt: plan.dlt });
      assert.equal(second.redriven, 7, "the second run resumes after the first's committed progress");
      assert.equal(second.remaining, 0);
      const third = await redrive({ kafka, dlt: plan.dlt });
      assert.equal(third.redriven, 0, "nothing is redriven twice");

      await until(() => deadIds.every((id) => succeeded.get(id) === 1), 20_000, "redriven records processed");
      assert.equal(redrivenSeen.length, 12);
      for (const { partition, message } of redrivenSeen) {
        assert.equal(header(message, RetryHeaders.attempts), undefined, "redriven records start afresh");
        const id = header(message, "event-id")!;
        assert.ok(deadIds.includes(id));
        assert.equal(partition, firstSeen.get(id)!.partition, "back in the original partition");
      }
      const after = await admin.fetchTopicOffsets(topic);
      const added =
        after.reduce((n, p) => n + Number(p.high), 0) - before.reduce((n, p) => n + Number(p.high), 0);
      assert.equal(added, 12);
    });
  });
});
