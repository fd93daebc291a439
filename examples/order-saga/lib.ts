/**
 * What the order-saga services share: their settings (from the environment), topic and schema
 * names, a client, a PostgreSQL pool, and a clean stop on SIGINT/SIGTERM.
 *
 * Environment: BROOK_BROKERS (default 127.0.0.1:9092); DEMO_PREFIX (names this run's topics and
 * PostgreSQL schemas, default "order_saga"); PGHOST/PGPORT/PGDATABASE/PGUSER (default
 * 127.0.0.1:5432, test, postgres); ORDER_PORT (default 3000); SHIP_TIMEOUT_MS, STEP_TIMEOUT_MS.
 */
import pg from "pg";
import { type Admin, Kafka, logLevel } from "../../src/client/index.js";

export const env = {
  brokers: (process.env.BROOK_BROKERS ?? "127.0.0.1:9092").split(","),
  prefix: process.env.DEMO_PREFIX ?? "order_saga",
  orderPort: Number(process.env.ORDER_PORT ?? 3000),
  /** How long the orchestrator waits for inventory and payment. */
  stepTimeoutMs: Number(process.env.STEP_TIMEOUT_MS ?? 15_000),
  /** How long it waits for shipping (stop the shipping service to see a timeout). */
  shipTimeoutMs: Number(process.env.SHIP_TIMEOUT_MS ?? 10_000),
  /** Payments above this amount are declined. */
  paymentLimit: Number(process.env.PAYMENT_LIMIT ?? 1000),
};

if (!/^[a-z_][a-z0-9_]*$/.test(env.prefix)) {
  process.stderr.write(`DEMO_PREFIX must be lower-case letters, digits and _, got "${env.prefix}"\n`);
  process.exit(2);
}

/** Initial stock per product, inserted when the inventory schema is created. */
export const INITIAL_STOCK: Record<string, number> = { widget: 10, gadget: 5 };

export function topics(prefix = env.prefix) {
  return {
    /** The order service's outbox: order.created, order.completed, order.cancelled. */
    orders: `${prefix}.orders`,
    inventory: `${prefix}.inventory.commands`,
    payment: `${prefix}.payment.commands`,
    shipping: `${prefix}.shipping.commands`,
    replies: `${prefix}.saga.replies`,
  };
}

/** Each service keeps its state in a PostgreSQL schema of its own. */
export function schema(
  service: "orders" | "inventory" | "payment" | "shipping" | "notification",
  prefix = env.prefix,
) {
  return `${prefix}_${service}`;
}

export const SERVICES = ["orders", "inventory", "payment", "shipping", "notification"] as const;

export async function createDemoTopics(admin: Admin, prefix = env.prefix): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = Object.values(topics(prefix)).filter((t) => !existing.has(t));
  if (missing.length > 0) {
    await admin.createTopics({
      topics: missing.map((topic) => ({ topic, numPartitions: 3 })),
      waitForLeaders: true,
    });
  }
}

export function kafkaClient(clientId: string): Kafka {
  return new Kafka({ clientId, brokers: env.brokers, logLevel: logLevel.NOTHING });
}

export function pgPool(): pg.Pool {
  const pool = new pg.Pool({
    host: process.env.PGHOST ?? "127.0.0.1",
    port: Number(process.env.PGPORT ?? 5432),
    database: process.env.PGDATABASE ?? "test",
    user: process.env.PGUSER ?? "postgres",
    max: 8,
  });
  // A dropped idle connection must not kill the service: the next query opens a new one.
  pool.on("error", (e) => log(`postgres: ${e.message}`));
  return pool;
}

/** Consumer settings for the demo: a stopped or killed service's partitions move on after a few seconds. */
export const consumerConfig = { sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 100 };

let serviceName = "service";
export function log(line: string): void {
  process.stdout.write(`[${serviceName}] ${line}\n`);
}

/** Names the service in log lines, and stops it cleanly on SIGINT/SIGTERM. */
export function service(name: string, stop: () => Promise<void>): void {
  serviceName = name;
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    stop()
      .catch((e) => log(`stop: ${(e as Error).message}`))
      .finally(() => process.exit(0));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}

/** Runs `main`; a failure to start is one line and exit code 1. */
export function main(name: string, run: () => Promise<void>): void {
  serviceName = name;
  run().then(
    () => log("READY"),
    (e) => {
      process.stderr.write(`[${name}] failed to start: ${(e as Error).message}\n`);
      process.exit(1);
    },
  );
}
