/**
 * The outbox relay against a private PostgreSQL (wal_level=logical, test/support/postgres-instance)
 * and an in-process Brook broker: 3000 events from concurrent transactions, some rolled back,
 * reach Kafka exactly once and in commit order per aggregate, in both modes; setup mistakes give
 * one-line errors (wal_level, missing table).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import type { Admin, Kafka } from "../../src/client/index.js";
import { createOutboxTable, OutboxError, startOutboxRelay } from "../../src/patterns/index.js";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import { kafkajs } from "../client/consumer/support.js";
import { type PostgresInstance, postgresUnavailable, startPostgres } from "../support/postgres-instance.js";
import {
  checkKafka,
  createAggregates,
  expectedEventCount,
  waitForPublished,
  type Workload,
  writeEvents,
} from "./outbox-fixtures/workload.js";
import { quietKafka, unique, until } from "./support.js";

const skip = postgresUnavailable();
const EVENTS = 3000;

describe("outbox relay", { skip: skip ?? false }, () => {
  let postgres: PostgresInstance;
  let pool: pg.Pool;
  let tb: TestBroker;
  let kafka: Kafka;
  let admin: Admin;

  before(async () => {
    postgres = await startPostgres();
    pool = new pg.Pool({ connectionString: postgres.connectionString, max: 12 });
    pool.on("error", () => {});
    tb = await startTestBroker();
    kafka = quietKafka(tb.bootstrap);
    admin = kafka.admin();
    await admin.connect();
  });

  after(async () => {
    await admin?.disconnect();
    await tb?.close();
    await pool?.end();
    await postgres?.stop();
  });

  for (const mode of ["polling", "logical"] as const) {
    it(`${mode}: ${EVENTS} events from concurrent transactions, some rolled back, reach Kafka once each in commit order per aggregate`, async () => {
      const table = `outbox_${mode}`;
      await createOutboxTable(pool, { table });
      const work: Workload = {
        aggregateTypes: [unique(`Order${mode}`), unique(`Customer${mode}`)],
        aggregates: 25,
        rolledBack: new Set(),
        committedEvents: 0,
      };
      await createAggregates(pool, work.aggregateTypes, work.aggregates);
      const options = {
        kafka,
        pool,
        mode,
        table,
        relayId: unique(mode),
        slot: `${table}_slot`,
        pollIntervalMs: 50,
      };
      // A first run creates the slot (logical mode relays what is written from then on); half the
      // events are written while no relay runs, half while one does.
      await (await startOutboxRelay(options)).stop();
      await writeEvents(pool, work, { events: EVENTS / 2, concurrency: 8, rollbackEvery: 5, table });
      const started = performance.now();
      const relay = await startOutboxRelay(options);
      try {
        // The relay's own pace: the backlog drained with no writer running.
        await until(() => relay.stats().published >= EVENTS / 2, 60_000, "the backlog to be relayed", 5);
        const drained = (performance.now() - started) / 1000;
        console.log(
          `# ${mode}: backlog of ${EVENTS / 2} events relayed in ${drained.toFixed(2)} s (${Math.round(EVENTS / 2 / drained)} events/s, ${relay.stats().batches} Kafka transactions)`,
        );
        await writeEvents(pool, work, { events: EVENTS / 2, concurrency: 8, rollbackEvery: 5, table });
        const expected = await expectedEventCount(pool, work.aggregateTypes);
        assert.equal(expected, EVENTS);
        await waitForPublished(kafka, admin, work.aggregateTypes, expected, 90_000);
        const seconds = (performance.now() - started) / 1000;
        const stats = relay.stats();
        assert.equal(stats.published, EVENTS);
        assert.ok(work.rolledBack.size > 0);
        console.log(
          `# ${mode}: ${EVENTS} events relayed in ${seconds.toFixed(2)} s (${Math.round(EVENTS / seconds)} events/s, ${stats.batches} Kafka transactions, with the writers running)`,
        );
      } finally {
        await relay.stop();
      }
      assert.equal(await checkKafka(kafka, admin, pool, work), EVENTS);
      if (mode === "polling") {
        const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${table}`);
        assert.equal(rows[0].n, 0, "published rows are deleted");
      }
    });
  }

  for (const mode of ["polling", "logical"] as const) {
    it(`${mode}: the relay on KafkaJS 2.2.4's client`, async () => {
      const table = `outbox_kafkajs_${mode}`;
      await createOutboxTable(pool, { table });
      const work: Workload = {
        aggregateTypes: [unique(`Kjs${mode}`)],
        aggregates: 10,
        rolledBack: new Set(),
        committedEvents: 0,
      };
      await createAggregates(pool, work.aggregateTypes, work.aggregates);
      const reference = new kafkajs.Kafka({
        clientId: "outbox-kafkajs",
        brokers: [tb.bootstrap],
        logLevel: kafkajs.logLevel.NOTHING,
      });
      const relay = await startOutboxRelay({
        kafka: reference,
        pool,
        mode,
        table,
        relayId: unique(`kjs-${mode}`),
        slot: `${table}_slot`,
        pollIntervalMs: 50,
        batchSize: 40,
      });
      try {
        await writeEvents(pool, work, { events: 300, concurrency: 4, rollbackEvery: 4, table });
        await waitForPublished(kafka, admin, work.aggregateTypes, 300, 60_000);
      } finally {
        await relay.stop();
      }
      assert.equal(await checkKafka(kafka, admin, pool, work), 300);
    });
  }

  it("a missing table is an error naming createOutboxTable", async () => {
    for (const mode of ["polling", "logical"] as const) {
      await assert.rejects(
        startOutboxRelay({ kafka, pool, mode, table: "no_such_outbox" }),
        (e: Error) =>
          e instanceof OutboxError &&
          /no_such_outbox/.test(e.message) &&
          /createOutboxTable/.test(e.message) &&
          !e.message.includes("\n"),
      );
    }
  });

  it("logical mode with a publication that leaves the table out is an error naming the fix", async () => {
    await createOutboxTable(pool, { table: "outbox_unpublished" });
    await createOutboxTable(pool, { table: "outbox_other" });
    await pool.query("CREATE PUBLICATION other_pub FOR TABLE outbox_other");
    await assert.rejects(
      startOutboxRelay({
        kafka,
        pool,
        mode: "logical",
        table: "outbox_unpublished",
        publication: "other_pub",
      }),
      (e: Error) =>
        e instanceof OutboxError &&
        /ALTER PUBLICATION "other_pub" ADD TABLE/.test(e.message) &&
        !e.message.includes("\n"),
    );
  });

  it("logical mode on a server without wal_level=logical is a one-line error naming wal_level=logical", async (t) => {
    // The machine's own PostgreSQL runs with wal_level=replica; a private one is started if it is absent.
    const system = new pg.Pool({ host: "127.0.0.1", port: 5432, user: "postgres", database: "test", max: 2 });
    system.on("error", () => {});
    let target = system;
    let level: string | undefined;
    let own: PostgresInstance | undefined;
    try {
      level = (await system.query("SHOW wal_level")).rows[0].wal_level;
    } catch {}
    if (level !== "replica" && level !== "minimal") {
      own = await startPostgres({ settings: { wal_level: "replica" } });
      target = new pg.Pool({ connectionString: own.connectionString, max: 2 });
      target.on("error", () => {});
      t.diagnostic(
        "PostgreSQL on 127.0.0.1:5432 unavailable or logical: used a private server with wal_level=replica",
      );
    }
    try {
      const table = unique("outbox_wal").replaceAll("-", "_");
      await createOutboxTable(target, { table });
      await assert.rejects(
        startOutboxRelay({ kafka, pool: target, mode: "logical", table }),
        (e: Error) =>
          e instanceof OutboxError && /wal_level=logical/.test(e.message) && !e.message.includes("\n"),
      );
      await target.query(`DROP TABLE ${table}`);
    } finally {
      if (target !== system) await target.end();
      await system.end();
      await own?.stop();
    }
  });
});
