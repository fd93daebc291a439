/**
 * The order service: takes orders over HTTP (POST /orders), writing the order and its
 * `order.created` event to PostgreSQL in one transaction (the transactional outbox); a relay
 * publishes the outbox to Kafka. It also runs the saga orchestrator: for each order.created it
 * starts a saga (reserve stock → charge payment → ship) whose state is a row in its own schema,
 * and when the saga ends it sets the order's final status and writes `order.completed` or
 * `order.cancelled` to the outbox, all in the saga's last transaction.
 *
 *   GET /orders        all orders        GET /orders/<id>   one order
 *   POST /orders       {"customer":"ann","product":"widget","quantity":2,"amount":40}
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  createOutboxTable,
  insertOutboxEvent,
  postgresStore,
  type SagaStep,
  sagaOrchestrator,
  sagaParticipant,
  startOutboxRelay,
} from "../../src/patterns/index.js";
import { consumerConfig, env, kafkaClient, log, main, pgPool, schema, service, topics } from "./lib.js";

interface Order {
  orderId: string;
  customer: string;
  product: string;
  quantity: number;
  amount: number;
}

const t = topics();
const s = schema("orders");
const outbox = `${s}.outbox`;
const kafka = kafkaClient("order-service");
const pool = pgPool();

const reply = (ok: string, failed?: string) => ({
  topic: t.replies,
  success: (e: { type: string }) => e.type === ok,
  failure: failed ? (e: { type: string }) => e.type === failed : undefined,
});

const steps: SagaStep<Order>[] = [
  {
    name: "reserve-stock",
    command: { topic: t.inventory, type: "inventory.reserve", build: (st) => st.data },
    reply: reply("inventory.reserved", "inventory.rejected"),
    compensate: {
      command: { topic: t.inventory, type: "inventory.release", build: (st) => st.data },
      reply: reply("inventory.released"),
    },
    timeoutMs: env.stepTimeoutMs,
  },
  {
    name: "charge-payment",
    command: { topic: t.payment, type: "payment.charge", build: (st) => st.data },
    reply: reply("payment.charged", "payment.declined"),
    compensate: {
      command: { topic: t.payment, type: "payment.refund", build: (st) => st.data },
      reply: reply("payment.refunded"),
    },
    timeoutMs: env.stepTimeoutMs,
  },
  {
    name: "ship",
    command: { topic: t.shipping, type: "shipping.ship", build: (st) => st.data },
    reply: reply("shipping.shipped", "shipping.rejected"),
    // Sent without waiting: a stopped shipping service must not hold up the refund and the
    // release; it cancels a shipment it made too late when it comes back.
    compensate: { command: { topic: t.shipping, type: "shipping.cancel", build: (st) => st.data } },
    timeoutMs: env.shipTimeoutMs,
  },
];

const orchestrator = sagaOrchestrator<Order>({
  kafka,
  pool,
  name: `${env.prefix}.order`,
  table: `${s}.saga`,
  steps,
  consumerConfig,
  async onEnd(saga, client) {
    const completed = saga.status === "completed";
    await client.query(`UPDATE ${s}.orders SET status = $2, reason = $3, updated_at = now() WHERE id = $1`, [
      saga.id,
      completed ? "COMPLETED" : "CANCELLED",
      saga.error,
    ]);
    await insertOutboxEvent(
      client,
      {
        aggregateType: "order",
        aggregateId: saga.id,
        type: completed ? "order.completed" : "order.cancelled",
        payload: { ...saga.data, reason: saga.error },
      },
      { table: outbox },
    );
  },
  onChange: (saga, cause) => log(`saga ${saga.id}: ${saga.status} step ${saga.step} (${cause})`),
});

// order.created (from the outbox) starts the order's saga; a redelivery finds it started.
const sagaStarter = sagaParticipant({
  kafka,
  groupId: `${env.prefix}.order-service`,
  topic: t.orders,
  store: postgresStore({ pool, table: `${s}.processed` }),
  consumerConfig,
  handlers: {
    "order.created": async (event) => {
      await orchestrator.start(event.sagaId, event.data as Order);
    },
  },
});

class BadRequest extends Error {}

async function placeOrder(body: unknown): Promise<Order> {
  const b = (body ?? {}) as Record<string, unknown>;
  const order: Order = {
    orderId: typeof b.orderId === "string" && b.orderId !== "" ? b.orderId : randomUUID(),
    customer: String(b.customer ?? ""),
    product: String(b.product ?? ""),
    quantity: Number(b.quantity),
    amount: Number(b.amount),
  };
  if (!order.customer || !order.product) throw new BadRequest("customer and product are required");
  if (!Number.isInteger(order.quantity) || order.quantity < 1)
    throw new BadRequest("quantity must be a whole number ≥ 1");
  if (!Number.isFinite(order.amount) || order.amount <= 0)
    throw new BadRequest("amount must be a number > 0");
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const inserted = await client.query(
      `INSERT INTO ${s}.orders (id, customer, product, quantity, amount) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING`,
      [order.orderId, order.customer, order.product, order.quantity, order.amount],
    );
    if (inserted.rowCount === 0) throw new BadRequest(`order ${order.orderId} exists already`);
    await insertOutboxEvent(
      client,
      { aggregateType: "order", aggregateId: order.orderId, type: "order.created", payload: order },
      { table: outbox },
    );
    await client.query("COMMIT");
    return order;
  } catch (e) {
    await client.query("ROLLBACK").catch(() => {});
    throw e;
  } finally {
    client.release();
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://localhost");
  if (req.method === "POST" && url.pathname === "/orders") {
    let text = "";
    for await (const chunk of req) text += chunk;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return send(res, 400, { error: "the body must be JSON" });
    }
    const order = await placeOrder(body);
    log(`order ${order.orderId} placed: ${order.quantity} ${order.product} for ${order.amount}`);
    return send(res, 201, { ...order, status: "PENDING" });
  }
  if (req.method === "GET" && url.pathname === "/orders") {
    const { rows } = await pool.query(`SELECT * FROM ${s}.orders ORDER BY created_at`);
    return send(res, 200, rows);
  }
  const one = /^\/orders\/([^/]+)$/.exec(url.pathname);
  if (req.method === "GET" && one) {
    const { rows } = await pool.query(`SELECT * FROM ${s}.orders WHERE id = $1`, [
      decodeURIComponent(one[1]!),
    ]);
    return rows[0] ? send(res, 200, rows[0]) : send(res, 404, { error: "no such order" });
  }
  send(res, 404, { error: `no route ${req.method} ${url.pathname}` });
}

main("order", async () => {
  await pool.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
  await pool.query(`CREATE TABLE IF NOT EXISTS ${s}.orders (
    id text PRIMARY KEY, customer text NOT NULL, product text NOT NULL, quantity int NOT NULL,
    amount numeric NOT NULL, status text NOT NULL DEFAULT 'PENDING', reason text,
    created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now())`);
  await createOutboxTable(pool, { table: outbox });
  await postgresStore({ pool, table: `${s}.processed` }).createTable();
  await orchestrator.createTable();
  const relay = await startOutboxRelay({
    kafka,
    pool,
    mode: "polling",
    table: outbox,
    topic: () => t.orders,
  });
  await orchestrator.run();
  await sagaStarter.run();
  const server = createServer((req, res) => {
    route(req, res).catch((e) => {
      if (e instanceof BadRequest) send(res, 400, { error: e.message });
      else send(res, 500, { error: (e as Error).message });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(env.orderPort, "127.0.0.1", resolve);
  });
  log(`LISTENING ${(server.address() as AddressInfo).port}`);
  service("order", async () => {
    server.close();
    await sagaStarter.stop();
    await orchestrator.stop();
    await relay.stop();
    await pool.end();
  });
});
