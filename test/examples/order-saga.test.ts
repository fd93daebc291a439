/**
 * The order-saga demo (examples/order-saga) as it runs: its five services as processes of their
 * own against a Brook broker and a real PostgreSQL (127.0.0.1:5432, database `test`), orders placed
 * over HTTP, end states read from each service's schema. An order completes; one is declined by
 * payment (its stock released); one times out while the shipping service is stopped (refunded,
 * released, and not shipped when shipping comes back); a poison message ends in the payment DLT.
 * Then a burst of orders with the payment service SIGKILLed and restarted mid-way ends consistent:
 * every order final, stock = initial - shipped, one charge at most per order, charges only for
 * completed orders.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { INITIAL_STOCK, SERVICES, createDemoTopics, schema, topics } from "../../examples/order-saga/lib.js";
import type { Admin, Kafka } from "../../src/client/index.js";
import { redrive } from "../../src/patterns/index.js";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import { quietKafka, until, PG, postgresMissing } from "../patterns/support.js";
import { LineProcess } from "../support/line-process.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SHIP_TIMEOUT_MS = 8000;
const noPostgres = await postgresMissing();

describe("the order-saga demo", { skip: noPostgres }, () => {
  const prefix = `osaga_${process.pid}_${Date.now().toString(36)}`;
  const s = (svc: (typeof SERVICES)[number]) => schema(svc, prefix);
  let tb: TestBroker;
  let kafka: Kafka;
  let admin: Admin;
  let pool: pg.Pool;
  let orderPort = 0;
  const procs = new Map<string, LineProcess>();

  function startService(name: (typeof SERVICES)[number]): LineProcess {
    const file = name === "orders" ? "order-service.ts" : `${name}-service.ts`;
    const proc = spawn(process.execPath, ["--import", "tsx", `examples/order-saga/${file}`], {
      cwd: ROOT,
      env: {
        ...process.env,
        BROOK_BROKERS: tb.bootstrap,
        DEMO_PREFIX: prefix,
        ORDER_PORT: "0",
        SHIP_TIMEOUT_MS: String(SHIP_TIMEOUT_MS),
        STEP_TIMEOUT_MS: "30000",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const killOnExit = () => proc.kill("SIGKILL");
    process.on("exit", killOnExit);
    proc.on("exit", () => process.off("exit", killOnExit));
    const lp = new LineProcess(proc);
    procs.set(name, lp);
    return lp;
  }

  async function ready(name: (typeof SERVICES)[number]): Promise<LineProcess> {
    const lp = procs.get(name)!;
    assert.ok(
      await lp.until((l) => l.some((x) => x.endsWith("] READY")), 60_000),
      `${name} did not start: ${lp.stderr.slice(-1500)}`,
    );
    return lp;
  }

  async function post(order: Record<string, unknown>): Promise<string> {
    const res = await fetch(`http://127.0.0.1:${orderPort}/orders`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(order),
    });
    const body = (await res.json()) as { orderId: string; error?: string };
    assert.equal(res.status, 201, body.error);
    return body.orderId;
  }

  async function rows(sql: string, values: unknown[] = []): Promise<any[]> {
    return (await pool.query(sql, values)).rows;
  }

  async function finalStatus(id: string, ms = 60_000): Promise<{ status: string; reason: string | null }> {
    return until(
      async () => {
        const [o] = await rows(`SELECT status, reason FROM ${s("orders")}.orders WHERE id = $1`, [id]);
        return o && o.status !== "PENDING" ? o : undefined;
      },
      ms,
      `order ${id} to end`,
      100,
    );
  }

  before(async () => {
    tb = await startTestBroker({ configs: { "group.min.session.timeout.ms": "1000" } });
    kafka = quietKafka(tb.bootstrap);
    admin = kafka.admin();
    await admin.connect();
    pool = new pg.Pool({ ...PG, max: 4 });
    await createDemoTopics(admin, prefix);
    for (const name of SERVICES) startService(name);
    for (const name of SERVICES) await ready(name);
    const listening = await procs.get("orders")!.line("[order] LISTENING ", 1000);
    orderPort = Number(listening!.split(" ").pop());
  });

  after(async () => {
    await Promise.all([...procs.values()].map((p) => p.kill()));
    for (const name of SERVICES) await pool.query(`DROP SCHEMA IF EXISTS ${s(name)} CASCADE`).catch(() => {});
    await pool.end();
    await admin.disconnect();
    await tb.close();
  });

  it("completes an order, cancels one declined by payment and one timed out at shipping, releasing their stock", async () => {
    const bad = await fetch(`http://127.0.0.1:${orderPort}/orders`, { method: "POST", body: "{" });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /JSON/);

    const ok = await post({ customer: "ann", product: "widget", quantity: 2, amount: 40 });
    const declined = await post({ customer: "cy", product: "widget", quantity: 1, amount: 5000 });
    assert.deepEqual(await finalStatus(ok), { status: "COMPLETED", reason: null });
    assert.deepEqual(await finalStatus(declined), { status: "CANCELLED", reason: "payment.declined" });
    assert.deepEqual(await rows(`SELECT order_id, status FROM ${s("payment")}.payments`), [
      { order_id: ok, status: "CHARGED" },
    ]);
    assert.deepEqual(
      await rows(`SELECT order_id, status FROM ${s("inventory")}.reservations ORDER BY status`),
      [
        { order_id: declined, status: "RELEASED" },
        { order_id: ok, status: "RESERVED" },
      ],
    );
    assert.deepEqual(await rows(`SELECT order_id, status FROM ${s("shipping")}.shipments`), [
      { order_id: ok, status: "SHIPPED" },
    ]);
    const stock = async (product: string) =>
      (await rows(`SELECT available FROM ${s("inventory")}.stock WHERE product = $1`, [product]))[0]
        .available;
    assert.equal(await stock("widget"), INITIAL_STOCK.widget! - 2);

    // The shipping service stopped: the saga times out at shipping and compensates.
    await procs.get("shipping")!.kill("SIGTERM");
    const t0 = performance.now();
    const late = await post({ customer: "eve", product: "widget", quantity: 3, amount: 60 });
    assert.deepEqual(await finalStatus(late), { status: "CANCELLED", reason: "timeout at ship" });
    assert.ok(performance.now() - t0 >= SHIP_TIMEOUT_MS - 100, "cancelled before the shipping deadline");
    assert.deepEqual(await rows(`SELECT status FROM ${s("payment")}.payments WHERE order_id = $1`, [late]), [
      { status: "REFUNDED" },
    ]);
    assert.deepEqual(
      await rows(`SELECT status FROM ${s("inventory")}.reservations WHERE order_id = $1`, [late]),
      [{ status: "RELEASED" }],
    );
    assert.equal(await stock("widget"), INITIAL_STOCK.widget! - 2);
    // Back, the shipping service finds the command past its deadline and does not ship.
    const shipping = startService("shipping");
    await ready("shipping");
    assert.ok(await shipping.until((l) => l.some((x) => x.includes(`order ${late}: not shipped`)), 30_000));
    assert.deepEqual(await rows(`SELECT * FROM ${s("shipping")}.shipments WHERE order_id = $1`, [late]), []);
    await until(
      async () =>
        (await rows(`SELECT count(*)::int AS n FROM ${s("notification")}.notifications`))[0].n === 3,
      30_000,
      "three notifications",
    );

    // A poison message goes to the payment service's dead-letter topic at once.
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: topics(prefix).payment, messages: [{ key: "poison", value: "{not json" }] });
    await producer.disconnect();
    await until(
      async () => {
        const offsets = await admin.fetchTopicOffsets(`${topics(prefix).payment}-dlt`).catch(() => []);
        return offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0) === 1;
      },
      30_000,
      "the poison message in the DLT",
    );
    // Redriven (as `brook dlq redrive` does), it goes back to the payment commands, and, still
    // not JSON, to the DLT again.
    const result = await redrive({ kafka, dlt: `${topics(prefix).payment}-dlt` });
    assert.deepEqual(result.byTopic, { [topics(prefix).payment]: 1 });
    await until(
      async () => {
        const offsets = await admin.fetchTopicOffsets(`${topics(prefix).payment}-dlt`);
        return offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0) === 2;
      },
      30_000,
      "the redriven poison message back in the DLT",
    );
  });

  /** Stock added by the tests on top of INITIAL_STOCK. */
  const restocked: Record<string, number> = { widget: 0, gadget: 0 };

  async function burst(tag: string): Promise<string[]> {
    const placed: string[] = [];
    for (let i = 0; i < 12; i++) {
      placed.push(
        await post({
          customer: `${tag}${i}`,
          product: i % 2 === 0 ? "widget" : "gadget",
          quantity: 1 + (i % 3),
          amount: i % 5 === 4 ? 2000 : 10 + i,
        }),
      );
    }
    return placed;
  }

  /** Every order final; stock = initial + restocked - shipped; one charge at most per order, charged exactly for the completed. */
  async function assertConsistent(placed: string[]): Promise<void> {
    const all = (await rows(`SELECT id FROM ${s("orders")}.orders`)).map((r) => r.id as string);
    for (const id of all) await finalStatus(id, 90_000);
    const orders = await rows(`SELECT id, product, quantity, status FROM ${s("orders")}.orders`);
    assert.ok(orders.every((o) => o.status === "COMPLETED" || o.status === "CANCELLED"));
    for (const id of placed)
      assert.ok(
        orders.some((o) => o.id === id),
        `order ${id} was lost`,
      );
    const completed = new Set(orders.filter((o) => o.status === "COMPLETED").map((o) => o.id));
    assert.ok(
      placed.some((id) => completed.has(id)),
      "no order of the burst completed",
    );
    // Inventory and payment are given 30 s: a saga that waited that long lost a command or a reply.
    const stalled = await rows(
      `SELECT id, reason FROM ${s("orders")}.orders WHERE reason IN ('timeout at reserve-stock', 'timeout at charge-payment')`,
    );
    assert.deepEqual(stalled, []);

    const shipped = await rows(
      `SELECT order_id, product, quantity FROM ${s("shipping")}.shipments WHERE status = 'SHIPPED'`,
    );
    assert.deepEqual(shipped.map((r) => r.order_id).sort(), [...completed].sort());
    for (const [product, initial] of Object.entries(INITIAL_STOCK)) {
      const out = shipped.filter((r) => r.product === product).reduce((n, r) => n + r.quantity, 0);
      const [row] = await rows(`SELECT available FROM ${s("inventory")}.stock WHERE product = $1`, [product]);
      assert.equal(row.available, initial + restocked[product]! - out, `stock of ${product}`);
    }
    // One payment row per order at most (the key), charged exactly for the completed orders.
    const payments = await rows(`SELECT order_id, status FROM ${s("payment")}.payments`);
    assert.equal(new Set(payments.map((p) => p.order_id)).size, payments.length);
    assert.deepEqual(
      payments
        .filter((p) => p.status === "CHARGED")
        .map((p) => p.order_id)
        .sort(),
      [...completed].sort(),
    );
    const reserved = await rows(
      `SELECT order_id FROM ${s("inventory")}.reservations WHERE status = 'RESERVED'`,
    );
    assert.deepEqual(reserved.map((r) => r.order_id).sort(), [...completed].sort());
    await until(
      async () =>
        (await rows(`SELECT count(*)::int AS n FROM ${s("notification")}.notifications`))[0].n ===
        orders.length,
      30_000,
      "one notification per order",
    );
  }

  async function restock(n: number): Promise<void> {
    for (const product of Object.keys(INITIAL_STOCK)) {
      await pool.query(`UPDATE ${s("inventory")}.stock SET available = available + $2 WHERE product = $1`, [
        product,
        n,
      ]);
      restocked[product]! += n;
    }
  }

  it("ends consistent with the payment service SIGKILLed and restarted in the middle of a burst of orders", async () => {
    const payment = procs.get("payment")!;
    const charged = () => payment.lines.filter((l) => l.includes(": charged ")).length;
    const before = charged();
    const placed = await burst("p");
    assert.ok(
      await payment.until(() => charged() >= before + 1, 60_000),
      `payment handled nothing: ${payment.stderr.slice(-1000)}`,
    );
    await payment.kill("SIGKILL");
    const restarted = startService("payment");
    await ready("payment");
    await assertConsistent(placed);
    // The kill fell mid-burst: the restarted service had commands left to handle.
    assert.ok(
      restarted.lines.some((l) => / charged | declined /.test(l)),
      `the restarted payment service handled nothing (killed after ${charged()} charges)`,
    );
  });

  it("ends consistent with the order service (outbox relay, orchestrator) SIGKILLed and restarted mid-burst", async () => {
    await restock(15);
    const order = procs.get("orders")!;
    const changes = () => order.lines.filter((l) => l.includes("] saga ")).length;
    const before = changes();
    const placed = await burst("o");
    assert.ok(
      await order.until(() => changes() >= before + 8, 60_000),
      `no saga moved: ${order.stderr.slice(-1000)}`,
    );
    await order.kill("SIGKILL");
    const { rows: inFlight } = await pool.query(
      `SELECT count(*)::int AS n FROM ${s("orders")}.orders WHERE status = 'PENDING'`,
    );
    const restarted = startService("orders");
    await ready("orders");
    orderPort = Number((await restarted.line("[order] LISTENING ", 1000))!.split(" ").pop());
    await assertConsistent(placed);
    assert.ok(inFlight[0].n > 0, "every order had ended before the kill");
  });
});
