/**
 * sagaOrchestrator against a Brook broker and a real PostgreSQL (127.0.0.1:5432, database `test`):
 * a three-step saga whose participants (sagaParticipant + postgresStore) record their effects. A
 * saga succeeds; fails at its last step and compensates the others in reverse order; times out
 * and compensates; and, with the orchestrator in a child process SIGKILLed mid-saga and restarted,
 * every saga ends once (one end row) with each effect applied once.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import pg from "pg";
import type { Admin, Kafka } from "../../src/client/index.js";
import type { SagaParticipant } from "../../src/patterns/index.js";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import { LineProcess } from "../support/line-process.js";
import {
  createTables,
  effectsOf,
  threeParticipants,
  threeStepOrchestrator,
  topicsOf,
} from "./saga-fixtures/three-steps.js";
import { createTopic, quietKafka, until, PG, postgresMissing } from "./support.js";

const FIXTURE = fileURLToPath(new URL("./saga-fixtures/orchestrator-process.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const noPostgres = await postgresMissing();

let runSeq = 0;
const newPrefix = () => `saga_${process.pid}_${Date.now().toString(36)}_${++runSeq}`;

describe("sagaOrchestrator", { skip: noPostgres }, () => {
  let tb: TestBroker;
  let kafka: Kafka;
  let admin: Admin;
  let pool: pg.Pool;
  const prefixes: string[] = [];

  before(async () => {
    tb = await startTestBroker({ configs: { "group.min.session.timeout.ms": "1000" } });
    kafka = quietKafka(tb.bootstrap);
    admin = kafka.admin();
    await admin.connect();
    pool = new pg.Pool({ ...PG, max: 12 });
  });

  after(async () => {
    for (const p of prefixes) {
      const { rows } = await pool.query(`SELECT tablename FROM pg_tables WHERE tablename LIKE $1`, [
        `${p}\\_%`,
      ]);
      for (const r of rows) await pool.query(`DROP TABLE IF EXISTS "${r.tablename}"`);
    }
    await pool.end();
    await admin.disconnect();
    await tb.close();
  });

  async function setup(prefix: string): Promise<SagaParticipant[]> {
    prefixes.push(prefix);
    const t = topicsOf(prefix);
    for (const topic of [...Object.values(t.commands), t.replies]) await createTopic(admin, topic, 2);
    await createTables(pool, prefix);
    const participants = threeParticipants(kafka, pool, prefix, 0);
    for (const p of participants) await p.run();
    return participants;
  }

  async function endOf(prefix: string, id: string, ms: number): Promise<string> {
    const row = await until(
      async () => {
        const { rows } = await pool.query(`SELECT status FROM ${prefix}_sagas WHERE id = $1`, [id]);
        return rows[0] && (rows[0].status === "completed" || rows[0].status === "compensated")
          ? rows[0]
          : undefined;
      },
      ms,
      `saga ${id} to end`,
    );
    return row.status;
  }

  it("runs a saga to completion, fails one at its last step and compensates in reverse order, and times one out (the timed-out step undone first)", async () => {
    const prefix = newPrefix();
    const participants = await setup(prefix);
    // 1500 ms for the saga that hangs at c, 20 s for the others (a loaded machine is slow).
    const orchestrator = threeStepOrchestrator(
      kafka,
      pool,
      prefix,
      { a: 20_000, b: 20_000, c: 20_000 },
      undefined,
      1500,
    );
    await orchestrator.createTable();
    await orchestrator.run();
    try {
      assert.equal(await orchestrator.start("ok", {}), true);
      assert.equal(await orchestrator.start("ok", {}), false, "a second start of the same id does nothing");
      await orchestrator.start("fails", { fail: "c" });
      const t0 = performance.now();
      await orchestrator.start("hangs", { hang: "c" });

      assert.equal(await endOf(prefix, "ok", 20_000), "completed");
      assert.deepEqual(await effectsOf(pool, prefix, "ok"), ["a", "b", "c"]);

      assert.equal(await endOf(prefix, "fails", 20_000), "compensated");
      assert.deepEqual(await effectsOf(pool, prefix, "fails"), ["a", "b", "undo b", "undo a"]);
      assert.equal((await orchestrator.get("fails"))?.error, "c.failed");

      assert.equal(await endOf(prefix, "hangs", 20_000), "compensated");
      const waited = performance.now() - t0;
      assert.ok(waited >= 1400, `compensated after ${waited.toFixed(0)} ms, before c's 1500 ms deadline`);
      assert.ok(
        waited < 15_000,
        `compensated after ${waited.toFixed(0)} ms: the 1500 ms timeout was not the saga's own`,
      );
      // c's compensation is sent too (c might have acted with its reply late), before b's and a's.
      assert.deepEqual(await effectsOf(pool, prefix, "hangs"), ["a", "b", "undo c", "undo b", "undo a"]);
      const hung = await orchestrator.get("hangs");
      assert.equal(hung?.error, "timeout at c");
      assert.equal(hung?.deadline, null);

      const { rows } = await pool.query(`SELECT saga_id, status FROM ${prefix}_ends ORDER BY saga_id`);
      assert.deepEqual(
        rows.map((r) => `${r.saga_id} ${r.status}`),
        ["fails compensated", "hangs compensated", "ok completed"],
      );
    } finally {
      await orchestrator.stop();
      for (const p of participants) await p.stop();
    }
  });

  it("a failure at the first step compensates nothing; an undispatched saga is sent on; bad arguments are clear errors", async () => {
    const prefix = newPrefix();
    const participants = await setup(prefix);
    const orchestrator = threeStepOrchestrator(kafka, pool, prefix, {});
    await orchestrator.createTable();
    await assert.rejects(orchestrator.start("x", {}), /call run\(\) first/);
    await orchestrator.run();
    try {
      await orchestrator.start("first", { fail: "a" });
      assert.equal(await endOf(prefix, "first", 20_000), "compensated");
      assert.deepEqual(await effectsOf(pool, prefix, "first"), []);
      // A row whose starter died between the insert and the first command (not dispatched):
      // the deadline check sends the command and the saga runs.
      await pool.query(
        `INSERT INTO ${orchestrator.table} (id, step, status, data) VALUES ('orphan', 0, 'running', '{}')`,
      );
      assert.equal(await endOf(prefix, "orphan", 20_000), "completed");
      assert.deepEqual(await effectsOf(pool, prefix, "orphan"), ["a", "b", "c"]);
      await assert.rejects(orchestrator.start("", {}), TypeError);
    } finally {
      await orchestrator.stop();
      for (const p of participants) await p.stop();
    }
    const { sagaOrchestrator } = await import("../../src/patterns/index.js");
    assert.throws(() => sagaOrchestrator({ kafka, pool, name: "bad name", steps: [] }), /name must be/);
    assert.throws(() => sagaOrchestrator({ kafka, pool, name: "n", steps: [] }), /non-empty/);
    assert.throws(
      () =>
        sagaOrchestrator({
          kafka,
          pool,
          name: "n",
          steps: [
            {
              name: "s",
              command: { topic: "t", build: () => 1 },
              reply: { topic: "r", success: () => true },
              timeoutMs: 0,
            },
          ],
        }),
      /timeoutMs > 0/,
    );
  });

  it("an orchestrator SIGKILLed mid-saga and restarted ends every saga exactly once", async () => {
    const prefix = newPrefix();
    prefixes.push(prefix);
    const t = topicsOf(prefix);
    for (const topic of [...Object.values(t.commands), t.replies]) await createTopic(admin, topic, 2);
    await createTables(pool, prefix);
    // Slow participants (150 ms a command), so the kill falls while sagas are at various steps.
    const participants = threeParticipants(kafka, pool, prefix, 150);
    for (const p of participants) await p.run();
    const ids = Array.from({ length: 12 }, (_, i) => `s${i}`);
    const sagas = ids.map((id, i) => ({ id, data: i % 3 === 2 ? { fail: "c" } : {} }));
    const timeoutMs = { a: 20_000, b: 20_000, c: 20_000 };
    const spawnOrchestrator = (start: typeof sagas) => {
      const proc = spawn(
        process.execPath,
        [
          "--import",
          "tsx",
          FIXTURE,
          JSON.stringify({ bootstrap: tb.bootstrap, prefix, pg: PG, timeoutMs, start }),
        ],
        { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
      );
      const killOnExit = () => proc.kill("SIGKILL");
      process.on("exit", killOnExit);
      proc.on("exit", () => process.off("exit", killOnExit));
      return new LineProcess(proc);
    };
    // The table exists before either process runs (the child only runs).
    await threeStepOrchestrator(kafka, pool, prefix, timeoutMs).createTable();
    const first = spawnOrchestrator(sagas);
    let second: LineProcess | undefined;
    try {
      assert.ok(
        await first.until(
          (l) => l.includes("STARTED") && l.filter((x) => x.startsWith("CHANGE ")).length >= 20,
          60_000,
        ),
        `first orchestrator made no progress: ${first.lines.slice(-5).join(" | ")} ${first.stderr.slice(-1000)}`,
      );
      await first.kill("SIGKILL");
      const { rows: before } = await pool.query(
        `SELECT count(*)::int AS n FROM ${prefix}_sagas WHERE status IN ('running', 'compensating')`,
      );
      second = spawnOrchestrator([]);
      for (const id of ids) await endOf(prefix, id, 60_000);
      for (const [i, id] of ids.entries()) {
        const expected = i % 3 === 2 ? ["a", "b", "undo b", "undo a"] : ["a", "b", "c"];
        assert.deepEqual(await effectsOf(pool, prefix, id), expected, `effects of ${id}`);
      }
      const { rows: ends } = await pool.query(
        `SELECT saga_id, count(*)::int AS n, min(status) AS status FROM ${prefix}_ends GROUP BY saga_id ORDER BY saga_id`,
      );
      assert.equal(ends.length, ids.length);
      for (const e of ends) {
        assert.equal(e.n, 1, `saga ${e.saga_id} ended ${e.n} times`);
        assert.equal(e.status, Number(e.saga_id.slice(1)) % 3 === 2 ? "compensated" : "completed");
      }
      // Sagas were in flight at the kill, or the test proved nothing about recovery.
      assert.ok(before[0].n > 0, "every saga had ended before the kill");
    } finally {
      await first.kill();
      await second?.kill();
      for (const p of participants) await p.stop();
    }
  });
});
