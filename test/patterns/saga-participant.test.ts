/**
 * sagaParticipant (choreography) against a Brook broker and a real PostgreSQL: two participants on
 * one events topic (inventory reserves on order.created and releases on payment.failed; payment
 * captures or fails on stock.reserved). The saga id and event ids propagate in headers, a
 * duplicated event takes effect once, an emit of an undeclared type is retried then dead-lettered,
 * and a value that is not JSON goes to the dead-letter topic at once.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import type { Admin, Kafka } from "../../src/client/index.js";
import { postgresStore, SagaHeaders, sagaParticipant } from "../../src/patterns/index.js";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import { createTopic, header, quietKafka, readAll, unique, until, PG, postgresMissing } from "./support.js";

const noPostgres = await postgresMissing();

describe("sagaParticipant (choreography)", { skip: noPostgres }, () => {
  let tb: TestBroker;
  let kafka: Kafka;
  let admin: Admin;
  let pool: pg.Pool;
  const prefix = `sagap_${process.pid}_${Date.now().toString(36)}`;

  before(async () => {
    tb = await startTestBroker({ configs: { "group.min.session.timeout.ms": "1000" } });
    kafka = quietKafka(tb.bootstrap);
    admin = kafka.admin();
    await admin.connect();
    pool = new pg.Pool({ ...PG, max: 6 });
  });

  after(async () => {
    const { rows } = await pool.query(`SELECT tablename FROM pg_tables WHERE tablename LIKE $1`, [
      `${prefix}\\_%`,
    ]);
    for (const r of rows) await pool.query(`DROP TABLE IF EXISTS "${r.tablename}"`);
    await pool.end();
    await admin.disconnect();
    await tb.close();
  });

  it("reacts to events, emits with the saga id, compensates, and takes a duplicated event once", async () => {
    const topic = unique("saga-events");
    await createTopic(admin, topic, 2);
    await pool.query(`CREATE TABLE ${prefix}_effects (saga_id text, action text)`);
    const consumerConfig = { sessionTimeout: 3000, heartbeatInterval: 300, maxWaitTimeInMs: 100 };
    const inventory = sagaParticipant({
      kafka,
      groupId: `${prefix}-inventory`,
      topic,
      store: postgresStore({ pool, table: `${prefix}_inventory_processed` }),
      consumerConfig,
      emits: { "stock.reserved": topic, "stock.released": topic },
      handlers: {
        "order.created": async (e, ctx) => {
          await ctx.tx.query(`INSERT INTO ${prefix}_effects VALUES ($1, 'reserve')`, [e.sagaId]);
          ctx.emit("stock.reserved", { amount: e.data.amount });
        },
      },
      compensations: {
        "payment.failed": async (e, ctx) => {
          await ctx.tx.query(`INSERT INTO ${prefix}_effects VALUES ($1, 'release')`, [e.sagaId]);
          ctx.emit("stock.released", {});
        },
      },
    });
    const payment = sagaParticipant({
      kafka,
      groupId: `${prefix}-payment`,
      topic,
      store: postgresStore({ pool, table: `${prefix}_payment_processed` }),
      consumerConfig,
      emits: { "payment.captured": topic, "payment.failed": topic },
      handlers: {
        "stock.reserved": async (e, ctx) => {
          await ctx.tx.query(`INSERT INTO ${prefix}_effects VALUES ($1, 'pay')`, [e.sagaId]);
          ctx.emit(e.data.amount > 100 ? "payment.failed" : "payment.captured", {});
        },
      },
    });
    assert.deepEqual(inventory.declaration, {
      handles: ["order.created"],
      compensates: ["payment.failed"],
      emits: { "stock.reserved": topic, "stock.released": topic },
    });
    for (const table of [`${prefix}_inventory_processed`, `${prefix}_payment_processed`]) {
      await postgresStore({ pool, table }).createTable();
    }
    await inventory.run();
    await payment.run();
    try {
      const producer = kafka.producer();
      await producer.connect();
      const created = (sagaId: string, amount: number) => ({
        key: sagaId,
        value: JSON.stringify({ amount }),
        headers: { "event-id": `created-${sagaId}`, "event-type": "order.created", "saga-id": sagaId },
      });
      // s1's event twice (a producer retry): it must take effect once.
      await producer.send({ topic, messages: [created("s1", 50), created("s2", 500), created("s1", 50)] });
      await producer.disconnect();
      await until(
        async () => (await pool.query(`SELECT count(*)::int AS n FROM ${prefix}_effects`)).rows[0].n >= 5,
        30_000,
        "five effects",
      );
      await until(
        async () => {
          const records = await readAll(kafka, admin, topic);
          return records.some((r) => header(r.message, "event-type") === "stock.released");
        },
        30_000,
        "stock.released",
      );
      const { rows } = await pool.query(
        `SELECT saga_id, action FROM ${prefix}_effects ORDER BY saga_id, action`,
      );
      assert.deepEqual(
        rows.map((r) => `${r.saga_id} ${r.action}`),
        ["s1 pay", "s1 reserve", "s2 pay", "s2 release", "s2 reserve"],
      );
      const records = await readAll(kafka, admin, topic);
      const of = (sagaId: string) =>
        records
          .filter((r) => header(r.message, SagaHeaders.sagaId) === sagaId)
          .map((r) => `${header(r.message, "event-type")} ${header(r.message, "event-id")}`)
          .sort();
      assert.deepEqual(of("s1"), [
        "order.created created-s1",
        "order.created created-s1",
        "payment.captured created-s1/stock.reserved/payment.captured",
        "stock.reserved created-s1/stock.reserved",
      ]);
      assert.deepEqual(of("s2"), [
        "order.created created-s2",
        "payment.failed created-s2/stock.reserved/payment.failed",
        "stock.released created-s2/stock.reserved/payment.failed/stock.released",
        "stock.reserved created-s2/stock.reserved",
      ]);
      // Keyed by the saga id: one saga's events share a partition, so they stay in order.
      for (const sagaId of ["s1", "s2"]) {
        const partitions = new Set(
          records.filter((r) => header(r.message, SagaHeaders.sagaId) === sagaId).map((r) => r.partition),
        );
        assert.equal(partitions.size, 1);
      }
    } finally {
      await inventory.stop();
      await payment.stop();
    }
  });

  it("dead-letters an undeclared emit after its retries and a value that is not JSON at once", async () => {
    const topic = unique("saga-bad");
    await createTopic(admin, topic, 1);
    const store = postgresStore({ pool, table: `${prefix}_bad_processed` });
    await store.createTable();
    const failed: string[] = [];
    const participant = sagaParticipant({
      kafka,
      groupId: `${prefix}-bad`,
      topic,
      store,
      attempts: 2,
      backoff: { initialMs: 200, multiplier: 1 },
      consumerConfig: { sessionTimeout: 3000, heartbeatInterval: 300, maxWaitTimeInMs: 100 },
      emits: { ok: topic },
      handlers: {
        go: async (_e, ctx) => {
          failed.push("go");
          ctx.emit("not-declared", {});
        },
      },
    });
    const dlt = participant.consumer.plan.dlt;
    await participant.run();
    try {
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({
        topic,
        messages: [
          { key: "a", value: "{}", headers: { "event-type": "go", "event-id": "go-1" } },
          { key: "b", value: "{oops", headers: { "event-type": "go", "event-id": "go-2" } },
        ],
      });
      await producer.disconnect();
      const dead = await until(
        async () => {
          const records = await readAll(kafka, admin, dlt).catch(() => []);
          return records.length === 2 ? records : undefined;
        },
        30_000,
        "two records in the DLT",
      );
      const byId = new Map(dead!.map((r) => [header(r.message, "event-id"), r.message]));
      assert.equal(header(byId.get("go-1")!, "kafka_dlt-exception-fqcn"), "SagaError");
      assert.match(
        header(byId.get("go-1")!, "kafka_dlt-exception-message") ?? "",
        /"not-declared" is not declared/,
      );
      assert.equal(header(byId.get("go-2")!, "kafka_dlt-exception-fqcn"), "SagaMessageError");
      assert.equal(
        failed.length,
        2,
        "the undeclared emit was tried twice (attempts: 2), the poison never reached the handler",
      );
    } finally {
      await participant.stop();
    }
    assert.throws(
      () =>
        sagaParticipant({
          kafka,
          groupId: "g",
          topic,
          store,
          handlers: { x: async () => {} },
          compensations: { x: async () => {} },
        }),
      /both a handler and a compensation/,
    );
  });
});
