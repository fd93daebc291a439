/**
 * The outbox relay SIGKILLed mid-stream (outbox-fixtures/relay-process.ts, a process of its own)
 * and restarted, then PostgreSQL restarted under the running relay while writers keep writing:
 * every committed event reaches Kafka exactly once (read_committed), in commit order per
 * aggregate, and no event of a rolled-back transaction does. Both modes, against a private
 * PostgreSQL (wal_level=logical) and an in-process Brook broker.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import pg from "pg";
import type { Admin, Kafka } from "../../src/client/index.js";
import { createOutboxTable } from "../../src/patterns/index.js";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import type { LineProcess } from "../support/line-process.js";
import { type PostgresInstance, postgresUnavailable, startPostgres } from "../support/postgres-instance.js";
import {
  checkKafka,
  createAggregates,
  expectedEventCount,
  waitForPublished,
  type Workload,
  writeEvents,
} from "./outbox-fixtures/workload.js";
import { quietKafka, sleep, unique, spawnTsx } from "./support.js";

const FIXTURE = fileURLToPath(new URL("./outbox-fixtures/relay-process.ts", import.meta.url));
const skip = postgresUnavailable();

function startRelay(options: Record<string, unknown>): LineProcess {
  return spawnTsx([FIXTURE, JSON.stringify(options)]);
}

/** The last `PUBLISHED n SKIPPED n ERRORS n` line's numbers. */
function counts(relay: LineProcess): { published: number; skipped: number; errors: number } {
  const line = [...relay.lines].reverse().find((l) => l.startsWith("PUBLISHED "));
  const [, published, , skipped, , errors] = (line ?? "PUBLISHED 0 SKIPPED 0 ERRORS 0").split(" ");
  return { published: Number(published), skipped: Number(skipped), errors: Number(errors) };
}

describe("outbox relay crashes", { skip: skip ?? false }, () => {
  let postgres: PostgresInstance;
  let pool: pg.Pool;
  let tb: TestBroker;
  let kafka: Kafka;
  let admin: Admin;
  const relays: LineProcess[] = [];

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
    await Promise.all(relays.map((r) => r.kill()));
    await admin?.disconnect();
    await tb?.close();
    await pool?.end();
    await postgres?.stop();
  });

  for (const mode of ["polling", "logical"] as const) {
    it(`${mode}: relay SIGKILLed and restarted, PostgreSQL restarted, nothing lost or duplicated`, async (t) => {
      const table = `outbox_crash_${mode}`;
      await createOutboxTable(pool, { table });
      const work: Workload = {
        aggregateTypes: [unique(`Order${mode}`), unique(`Invoice${mode}`)],
        aggregates: 20,
        rolledBack: new Set(),
        committedEvents: 0,
      };
      await createAggregates(pool, work.aggregateTypes, work.aggregates);
      const options = {
        bootstrap: tb.bootstrap,
        connectionString: postgres.connectionString,
        mode,
        table,
        relayId: unique(`crash-${mode}`),
        slot: `${table}_slot`,
        batchSize: 50,
      };
      const describeRelay = (r: LineProcess) =>
        `${r.lines.slice(-3).join(" | ")} stderr: ${r.stderr.slice(-800)}`;

      const first = startRelay(options);
      relays.push(first);
      assert.ok(await first.line("READY", 30_000), `relay did not start: ${describeRelay(first)}`);
      const writing = writeEvents(pool, work, { events: 3000, concurrency: 6, rollbackEvery: 6, table });
      assert.ok(
        await first.until(() => counts(first).published >= 600, 60_000),
        `first relay published too little: ${describeRelay(first)}`,
      );
      // Anywhere in the next batches: inside a Kafka transaction, or between its commit and the
      // rows' delete (polling) or the slot's confirmation (logical).
      await sleep(Math.random() * 40);
      await first.kill("SIGKILL");
      const killedAt = counts(first).published;
      t.diagnostic(`first relay SIGKILLed after ${killedAt} published events`);

      const second = startRelay(options);
      relays.push(second);
      assert.ok(await second.line("READY", 30_000), `relay did not restart: ${describeRelay(second)}`);
      assert.ok(
        await second.until(() => counts(second).published >= 300, 60_000),
        `second relay published too little: ${describeRelay(second)}`,
      );
      await postgres.restart("fast");
      t.diagnostic(`PostgreSQL restarted after the second relay published ${counts(second).published}`);
      await writing;
      // More events after the restart, through the same relay.
      await writeEvents(pool, work, { events: 500, concurrency: 4, rollbackEvery: 6, table });

      const expected = await expectedEventCount(pool, work.aggregateTypes);
      assert.ok(expected >= 3500, `expected at least 3500 committed events, the database has ${expected}`);
      await waitForPublished(kafka, admin, work.aggregateTypes, expected, 120_000);
      second.signal("SIGTERM");
      assert.ok(await second.line("STOPPED", 30_000), `relay did not stop: ${describeRelay(second)}`);
      const final = counts(second);
      // The replication connection always breaks with the restart; polling queries only when one
      // was under way.
      if (mode === "logical")
        assert.ok(final.errors >= 1, "the second relay saw PostgreSQL go away and recovered");
      t.diagnostic(
        `second relay: published ${final.published}, skipped ${final.skipped} already in Kafka, recovered from ${final.errors} errors`,
      );
      assert.equal(await checkKafka(kafka, admin, pool, work), expected);
    });
  }
});
