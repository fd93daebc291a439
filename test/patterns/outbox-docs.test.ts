/**
 * docs/patterns.md's outbox program (the block marked `<!-- tested: outbox -->`), run as written
 * with its imports pointed at this checkout and the PostgreSQL and broker addresses changed to a
 * private PostgreSQL and an in-process Brook broker. Checked from outside: the order row, the
 * outbox emptied, and the record in outbox.event.order with Debezium's key and headers.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import pg from "pg";
import type { Admin, Kafka } from "../../src/client/index.js";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import { LineProcess } from "../support/line-process.js";
import { type PostgresInstance, postgresUnavailable, startPostgres } from "../support/postgres-instance.js";
import { header, quietKafka, readAll } from "./support.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const WORK = join(ROOT, "test-output", `outbox-docs-${process.pid}`);
const skip = postgresUnavailable();

function snippet(): string {
  const doc = readFileSync(join(ROOT, "docs/patterns.md"), "utf8");
  const m = /<!-- tested: outbox -->\n```js\n([\s\S]*?)```/.exec(doc);
  assert.ok(m, 'docs/patterns.md has a block marked "tested: outbox"');
  return m[1]!;
}

describe("docs/patterns.md: the outbox program", { skip: skip ?? false }, () => {
  let postgres: PostgresInstance;
  let tb: TestBroker;
  let kafka: Kafka;
  let admin: Admin;

  before(async () => {
    postgres = await startPostgres();
    tb = await startTestBroker();
    kafka = quietKafka(tb.bootstrap);
    admin = kafka.admin();
    await admin.connect();
  });

  after(async () => {
    await admin?.disconnect();
    await tb?.close();
    await postgres?.stop();
    rmSync(WORK, { recursive: true, force: true });
  });

  it("commits an order with its event and relays the event to outbox.event.order", async () => {
    let code = snippet();
    for (const [from, to] of [
      ['from "brook/patterns"', `from ${JSON.stringify(join(ROOT, "src/patterns/index.ts"))}`],
      ['from "brook"', `from ${JSON.stringify(join(ROOT, "src/index.ts"))}`],
      ["postgres://postgres@127.0.0.1:5432/test", postgres.connectionString],
      ["127.0.0.1:9092", tb.bootstrap],
    ] as const) {
      assert.ok(code.includes(from), `the program contains ${from}`);
      code = code.replaceAll(from, to);
    }
    mkdirSync(WORK, { recursive: true });
    const file = join(WORK, "outbox.mjs");
    writeFileSync(file, code);
    const proc = new LineProcess(
      spawn(process.execPath, ["--import", "tsx", file], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] }),
    );
    const killOnExit = () => proc.proc.kill("SIGKILL");
    process.on("exit", killOnExit);
    try {
      assert.ok(
        await proc.line("published 1 event(s)", 60_000),
        `the program did not publish: ${proc.lines.join(" | ")} ${proc.stderr.slice(-1500)}`,
      );
      await proc.until(() => false, 10_000);
      assert.ok(proc.exited, "the program ends by itself");
      assert.equal(proc.proc.exitCode, 0, proc.stderr);
    } finally {
      process.off("exit", killOnExit);
      await proc.kill();
    }
    const eventId = proc.lines
      .find((l) => l.startsWith("committed order o-1001 with event "))
      ?.split(" ")
      .pop();
    assert.ok(eventId);

    const pool = new pg.Pool({ connectionString: postgres.connectionString });
    try {
      assert.equal(
        (await pool.query("SELECT total::text FROM orders WHERE id = 'o-1001'")).rows[0].total,
        "59.97",
      );
      assert.equal((await pool.query("SELECT count(*)::int AS n FROM outbox")).rows[0].n, 0);
    } finally {
      await pool.end();
    }
    const records = await readAll(kafka, admin, "outbox.event.order");
    assert.equal(records.length, 1);
    const { message } = records[0]!;
    assert.equal(message.key?.toString(), "o-1001");
    assert.deepEqual(JSON.parse(message.value!.toString()), { orderId: "o-1001", total: 59.97 });
    assert.equal(header(message, "id"), eventId);
    assert.equal(header(message, "type"), "OrderPlaced");
    assert.equal(header(message, "trace-id"), "4bf92f35");
  });
});
