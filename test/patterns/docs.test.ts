/**
 * docs/patterns.md's programs, run as written: each block marked `<!-- tested: name -->` is written
 * to a file with only its imports ("brook", "brook/patterns" → this checkout's sources), the broker
 * address and the topic, group, table and key names changed to this test's, and run as a process
 * of its own against a Brook broker (and PostgreSQL, Redis). What each program does is checked
 * from outside: the topics, the tables, what it printed.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import pg from "pg";
import type { Admin, Kafka } from "../../src/client/index.js";
import { DltHeaders, RetryHeaders } from "../../src/patterns/index.js";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import { ROOT } from "../support/cli-process.js";
import type { LineProcess } from "../support/line-process.js";
import { createTopic, header, quietKafka, readAll, unique, until, spawnTsx } from "./support.js";

const DOC = readFileSync(join(ROOT, "docs/patterns.md"), "utf8");
const WORK = join(ROOT, "test-output", `patterns-docs-${process.pid}`);
const PG_URL = "postgres://postgres@127.0.0.1:5432/test";

function snippet(name: string): string {
  const m = new RegExp(`<!-- tested: ${name} -->\\n\`\`\`js\\n([\\s\\S]*?)\`\`\``).exec(DOC);
  assert.ok(m, `docs/patterns.md has a block marked "tested: ${name}"`);
  return m[1]!;
}

/** The program with its imports pointed at the sources and `replace` applied (each must match). */
function program(name: string, replace: Array<[string | RegExp, string]>): string {
  let code = snippet(name)
    .replaceAll('from "brook/patterns"', `from ${JSON.stringify(join(ROOT, "src/patterns/index.ts"))}`)
    .replaceAll('from "brook"', `from ${JSON.stringify(join(ROOT, "src/index.ts"))}`);
  for (const [from, to] of replace) {
    assert.ok(typeof from === "string" ? code.includes(from) : from.test(code), `${name} contains ${from}`);
    code = typeof from === "string" ? code.replaceAll(from, to) : code.replace(from, to);
  }
  return code;
}

function run(code: string): LineProcess {
  mkdirSync(WORK, { recursive: true });
  const file = join(WORK, `${unique("snippet")}.mjs`);
  writeFileSync(file, code);
  return spawnTsx([file]);
}

async function reachable(check: () => Promise<unknown>, what: string): Promise<string | false> {
  try {
    await check();
    return false;
  } catch (e) {
    return `${what} (${(e as Error).message})`;
  }
}

const noPostgres = await reachable(async () => {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  await c.connect();
  await c.end();
}, "PostgreSQL is not reachable at 127.0.0.1:5432 database test; start it (Debian: apt-get install postgresql; pg_ctlcluster <version> main start)");
const noRedis = await reachable(async () => {
  const r = new Redis({ host: "127.0.0.1", port: 6379, lazyConnect: true, retryStrategy: () => null });
  r.on("error", () => {});
  try {
    await r.connect();
    await r.ping();
  } finally {
    r.disconnect();
  }
}, "Redis is not reachable at 127.0.0.1:6379; start it (Debian: apt-get install redis-server; redis-server --daemonize yes)");

const README = readFileSync(join(ROOT, "README.md"), "utf8");
const readmePatterns = /^## Patterns\n([\s\S]*?)(?=^## )/m.exec(README)?.[1];

describe("README's Patterns section", () => {
  it("quotes only programs that docs/patterns.md runs here", {
    skip: readmePatterns === undefined && "README.md has no Patterns section yet",
  }, () => {
    const tested = [...DOC.matchAll(/<!-- tested: [\w-]+ -->\n```js\n([\s\S]*?)```/g)].map((m) => m[1]!);
    const quoted = [...readmePatterns!.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);
    assert.ok(quoted.length > 0, "the section has js blocks");
    for (const block of quoted) {
      assert.ok(
        tested.some((t) => t.includes(block)),
        `README block is not one of docs/patterns.md's tested programs:\n${block}`,
      );
    }
  });
});

describe("docs/patterns.md, run as written", () => {
  let tb: TestBroker;
  let kafka: Kafka;
  let admin: Admin;
  const procs: LineProcess[] = [];

  before(async () => {
    tb = await startTestBroker();
    kafka = quietKafka(tb.bootstrap);
    admin = kafka.admin();
    await admin.connect();
  });

  after(async () => {
    await Promise.all(procs.map((p) => p.kill()));
    await admin.disconnect();
    await tb.close();
    rmSync(WORK, { recursive: true, force: true });
  });

  const started = (code: string) => {
    const p = run(code);
    procs.push(p);
    return p;
  };
  const describeProc = (p: LineProcess) =>
    `${p.lines.slice(-5).join(" | ")} stderr: ${p.stderr.slice(-1500)}`;

  /** Whether `groupId` committed every partition of `topic` up to its end. */
  async function caughtUp(groupId: string, topic: string): Promise<boolean> {
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return ends.every(
      (e) => committed!.partitions.find((p) => p.partition === e.partition)?.offset === e.high,
    );
  }

  async function send(
    topic: string,
    messages: Array<{ key?: string; value: string; headers?: Record<string, string> }>,
  ) {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages });
    await producer.disconnect();
  }

  const orders = unique("order.created");
  const totals: Record<string, number> = {};
  for (let i = 1; i <= 12; i++) totals[`o-${i}`] = i === 3 || i === 7 ? -i : i * 10;

  it("retry: every order is charged once or ends in the DLT; declined payments at once, with their headers", {
    timeout: 90_000,
  }, async () => {
    await createTopic(admin, orders, 3);
    await send(
      orders,
      Object.entries(totals).map(([id, total]) => ({ key: id, value: JSON.stringify({ id, total }) })),
    );
    const p = started(
      program("retry", [
        ['"localhost:9092"', JSON.stringify(tb.bootstrap)],
        ['"order.created"', JSON.stringify(orders)],
      ]),
    );
    const dltCount = async () =>
      (await admin.fetchTopicOffsets(`${orders}-dlt`).catch(() => [])).reduce(
        (n, x) => n + Number(x.high),
        0,
      );
    const charged = () => p.lines.filter((l) => l.startsWith("charged "));
    try {
      await until(async () => charged().length + (await dltCount()) >= 12, 60_000, "all orders handled", 200);
    } catch (e) {
      throw new Error(`${(e as Error).message}: ${describeProc(p)}`);
    }
    p.signal("SIGTERM");
    assert.ok(await until(() => p.exited, 15_000, "the program to stop on SIGTERM"));
    assert.equal(p.proc.exitCode, 0, describeProc(p));

    const chargedIds = charged().map((l) => l.slice("charged ".length));
    assert.equal(new Set(chargedIds).size, chargedIds.length, "no order charged twice");
    const dead = await readAll(kafka, admin, `${orders}-dlt`);
    const deadIds = dead.map((r) => JSON.parse(r.message.value!.toString()).id as string);
    assert.deepEqual(
      [...chargedIds, ...deadIds].sort(),
      Object.keys(totals).sort(),
      "each order once, one way or the other",
    );
    for (const { message } of dead) {
      const { id } = JSON.parse(message.value!.toString()) as { id: string };
      assert.equal(header(message, DltHeaders.originalTopic), orders);
      if (totals[id]! < 0) {
        assert.equal(header(message, DltHeaders.exceptionFqcn), "PaymentDeclined");
        assert.equal(header(message, DltHeaders.exceptionMessage), `order ${id}: negative total`);
        assert.equal(header(message, RetryHeaders.attempts), "1");
      } else {
        assert.equal(header(message, DltHeaders.exceptionMessage), "payment service timed out");
        assert.equal(header(message, RetryHeaders.attempts), "4");
      }
    }
    assert.ok(deadIds.includes("o-3") && deadIds.includes("o-7"));
    const topics = await admin.listTopics();
    for (const t of [`${orders}-retry-1000`, `${orders}-retry-2000`, `${orders}-retry-4000`])
      assert.ok(topics.includes(t), t);
  });

  it("redrive: the timed-out dead letters go back to the orders topic, the declined ones stay", {
    timeout: 60_000,
  }, async () => {
    const dlt = `${orders}-dlt`;
    // One more dead letter as a timed-out payment leaves it, so the filter has something to take.
    await send(dlt, [
      {
        key: "o-99",
        value: JSON.stringify({ id: "o-99", total: 990 }),
        headers: {
          [DltHeaders.originalTopic]: orders,
          [DltHeaders.originalPartition]: "0",
          [DltHeaders.exceptionMessage]: "payment service timed out",
        },
      },
    ]);
    const timedOut = (await readAll(kafka, admin, dlt)).filter(
      (r) => header(r.message, DltHeaders.exceptionMessage) === "payment service timed out",
    ).length;
    const before = (await admin.fetchTopicOffsets(orders)).reduce((n, x) => n + Number(x.high), 0);
    const p = started(
      program("redrive", [
        ['"localhost:9092"', JSON.stringify(tb.bootstrap)],
        ['"order.created-dlt"', JSON.stringify(dlt)],
      ]),
    );
    assert.ok(await until(() => p.exited, 45_000, "the redrive program to finish"));
    assert.equal(p.proc.exitCode, 0, describeProc(p));
    assert.match(
      p.lines.join("\n"),
      new RegExp(`^redrove ${timedOut} records \\{ '${orders}': ${timedOut} \\}`, "m"),
    );
    const afterCount = (await admin.fetchTopicOffsets(orders)).reduce((n, x) => n + Number(x.high), 0);
    assert.equal(afterCount - before, timedOut);
  });

  describe("idempotent consumers", () => {
    it("PostgreSQL: events sent twice, then read again by a second group, are paid once", {
      skip: noPostgres,
      timeout: 90_000,
    }, async () => {
      const topic = unique("order.placed");
      const processed = `docs_processed_${process.pid}`;
      const payments = `docs_payments_${process.pid}`;
      const pool = new pg.Pool({ connectionString: PG_URL });
      try {
        await pool.query(`DROP TABLE IF EXISTS ${processed}, ${payments}`);
        await createTopic(admin, topic, 2);
        const event = (i: number) => ({
          key: `o-${i}`,
          value: JSON.stringify({
            eventId: `ev-${i}`,
            eventType: "order.placed",
            aggregateId: `o-${i}`,
            payload: { total: i * 10 },
          }),
        });
        // ev-1 and ev-2 twice: a producer retry after a lost acknowledgement.
        await send(topic, [1, 2, 3, 4, 5, 6, 1, 2].map(event));
        for (const groupId of [unique("payment-service"), unique("payment-service")]) {
          const p = started(
            program("postgres", [
              ['"localhost:9092"', JSON.stringify(tb.bootstrap)],
              ['"order.placed"', JSON.stringify(topic)],
              ['"processed_events"', JSON.stringify(processed)],
              [/\bpayments\b/g, payments],
              ['groupId: "payment-service"', `groupId: ${JSON.stringify(groupId)}`],
            ]),
          );
          try {
            await until(() => caughtUp(groupId, topic), 45_000, `${groupId} to consume everything`, 200);
          } catch (e) {
            throw new Error(`${(e as Error).message}: ${describeProc(p)}`);
          }
          await p.kill("SIGKILL");
          const { rows } = await pool.query(
            `SELECT count(*)::int AS n, sum(amount)::int AS s FROM ${payments}`,
          );
          assert.deepEqual(rows[0], { n: 6, s: 210 }, "each order paid once");
        }
      } finally {
        await pool.query(`DROP TABLE IF EXISTS ${processed}, ${payments}`);
        await pool.end();
      }
    });

    it("Redis: events sent twice, then read again by a second group, are emailed once", {
      skip: noRedis,
      timeout: 90_000,
    }, async () => {
      const topic = unique("order.placed");
      const prefix = `${unique("docs")}:processed:`;
      await createTopic(admin, topic, 2);
      const event = (i: number) => ({
        key: `o-${i}`,
        value: JSON.stringify({ orderId: `o-${i}` }),
        headers: { "event-id": `ev-${i}` },
      });
      await send(topic, [1, 2, 3, 4, 1, 2].map(event));
      const emails: string[] = [];
      for (const groupId of [unique("notification-service"), unique("notification-service")]) {
        const p = started(
          program("redis", [
            ['"localhost:9092"', JSON.stringify(tb.bootstrap)],
            ['"order.placed"', JSON.stringify(topic)],
            ['prefix: "processed:"', `prefix: ${JSON.stringify(prefix)}`],
            ['groupId: "notification-service"', `groupId: ${JSON.stringify(groupId)}`],
          ]),
        );
        try {
          await until(() => caughtUp(groupId, topic), 45_000, `${groupId} to consume everything`, 200);
        } catch (e) {
          throw new Error(`${(e as Error).message}: ${describeProc(p)}`);
        }
        await p.kill("SIGKILL");
        emails.push(...p.lines.filter((l) => l.startsWith("email for ")));
      }
      assert.deepEqual(emails.map((l) => l.split(":")[0]).sort(), [
        "email for ev-1",
        "email for ev-2",
        "email for ev-3",
        "email for ev-4",
      ]);
      const redis = new Redis({ host: "127.0.0.1", port: 6379 });
      try {
        const keys = await redis.keys(`${prefix}*`);
        assert.equal(keys.length, 4);
        assert.ok((await redis.ttl(keys[0]!)) > 3600, "remembered for ttlSeconds");
        await redis.del(...keys);
      } finally {
        redis.disconnect();
      }
    });
  });
});
