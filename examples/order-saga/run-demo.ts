/**
 * `npm run demo`: starts a Brook broker (with its web console and metrics), creates the topics,
 * starts the five services as separate processes, places a few orders (two that complete, one
 * declined by payment, one out of stock, one that times out while the shipping service is
 * stopped), sends a poison message that lands in the payment service's dead-letter topic, and
 * prints the end state of every service's tables. Then it keeps running so the console can be
 * looked at; Ctrl-C stops everything (and drops this run's PostgreSQL schemas).
 *
 * Flags: --exit (stop after printing), --keep (keep the schemas). Environment: DEMO_BROOK_PORT (9092),
 * CONSOLE_PORT (8080), METRICS_PORT (9644), ORDER_PORT (3000), PG* (see lib.ts).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const HERE = fileURLToPath(new URL("./", import.meta.url));
const flags = new Set(process.argv.slice(2));
const brookPort = Number(process.env.DEMO_BROOK_PORT ?? 9092);
const consolePort = Number(process.env.CONSOLE_PORT ?? 8080);
const metricsPort = Number(process.env.METRICS_PORT ?? 9644);
const orderPort = Number(process.env.ORDER_PORT ?? 3000);
const prefix = process.env.DEMO_PREFIX ?? `order_saga_${Date.now().toString(36)}`;
process.env.DEMO_PREFIX = prefix;
process.env.BROOK_BROKERS = `127.0.0.1:${brookPort}`;
process.env.SHIP_TIMEOUT_MS ??= "5000";
// Imported after the environment is set: lib.ts reads it.
const { createDemoTopics, kafkaClient, pgPool, schema, SERVICES, topics } = await import("./lib.js");

const children: ChildProcess[] = [];
const services = new Map<string, ChildProcess>();
const dataDir = mkdtempSync(join(tmpdir(), "brook-order-saga-"));
const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** Starts a process and resolves when a line of its output matches `ready`. */
function startProcess(
  name: string,
  args: string[],
  ready: RegExp,
  env: NodeJS.ProcessEnv,
): Promise<ChildProcess> {
  const echo = true;
  const child = spawn(process.execPath, ["--import", "tsx", ...args], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let buffered = "";
    let stderr = "";
    const onData = (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const line of lines) {
        if (echo) say(line);
        if (ready.test(line)) resolve(child);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (d: Buffer) => {
      stderr += d.toString();
      if (echo) process.stderr.write(d);
    });
    child.once("exit", (code) =>
      reject(new Error(`${name} exited (${code}) before it was ready: ${stderr.trim().slice(-500)}`)),
    );
  });
}

function startService(name: string): Promise<ChildProcess> {
  const file = name === "orders" ? "order-service.ts" : `${name}-service.ts`;
  const started = startProcess(name, [join(HERE, file)], /\] READY$/, {
    ...process.env,
    ORDER_PORT: String(orderPort),
  });
  started.then((child) => services.set(name, child)).catch(() => {});
  return started;
}

async function stopAll(): Promise<void> {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          const timer = setTimeout(() => c.kill("SIGKILL"), 5000);
          c.once("exit", () => {
            clearTimeout(timer);
            resolve();
          });
          c.kill("SIGTERM");
        }),
    ),
  );
  rmSync(dataDir, { recursive: true, force: true });
}

async function dropSchemas(): Promise<void> {
  if (flags.has("--keep"))
    return say(`PostgreSQL schemas kept: ${SERVICES.map((s) => schema(s)).join(", ")}`);
  const pool = pgPool();
  for (const s of SERVICES) await pool.query(`DROP SCHEMA IF EXISTS ${schema(s)} CASCADE`);
  await pool.end();
}

async function post(order: Record<string, unknown>): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${orderPort}/orders`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(order),
  });
  const body = (await res.json()) as { orderId?: string; error?: string };
  if (res.status !== 201) throw new Error(`POST /orders: ${res.status} ${body.error}`);
  return body.orderId!;
}

async function waitFinal(ids: string[], ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    const res = await fetch(`http://127.0.0.1:${orderPort}/orders`);
    const orders = (await res.json()) as Array<{ id: string; status: string }>;
    if (ids.every((id) => orders.find((o) => o.id === id && o.status !== "PENDING"))) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`orders ${ids.join(", ")} did not all end within ${ms} ms`);
}

async function printState(): Promise<void> {
  const pool = pgPool();
  const table = async (title: string, sql: string) => {
    const { rows } = await pool.query(sql);
    say(`\n${title}`);
    if (rows.length === 0) say("  (none)");
    else console.table(rows);
  };
  await table(
    "orders",
    `SELECT id, customer, product, quantity, amount, status, reason FROM ${schema("orders")}.orders ORDER BY created_at`,
  );
  await table("sagas", `SELECT id, status, step, error FROM ${schema("orders")}.saga ORDER BY created_at`);
  await table("stock", `SELECT product, available FROM ${schema("inventory")}.stock ORDER BY product`);
  await table(
    "payments",
    `SELECT order_id, amount, status FROM ${schema("payment")}.payments ORDER BY order_id`,
  );
  await table(
    "shipments",
    `SELECT order_id, product, quantity, status FROM ${schema("shipping")}.shipments ORDER BY order_id`,
  );
  await table(
    "notifications",
    `SELECT order_id, message FROM ${schema("notification")}.notifications ORDER BY sent_at`,
  );
  await pool.end();
}

async function run(): Promise<void> {
  const pool = pgPool();
  try {
    await pool.query("SELECT 1");
  } catch (e) {
    throw new Error(
      `PostgreSQL is not reachable (${(e as Error).message}); start it (Debian: pg_ctlcluster <version> main start) or set PGHOST/PGPORT/PGDATABASE/PGUSER`,
    );
  } finally {
    await pool.end();
  }
  say(`order-saga demo: run ${prefix}`);
  await startProcess(
    "brook",
    [
      "src/cli/main.ts",
      "start",
      "--port",
      String(brookPort),
      "--data-dir",
      dataDir,
      "--console-port",
      String(consolePort),
      "--metrics-port",
      String(metricsPort),
      "--lag-interval",
      "2s",
      "--log-level",
      "warn",
    ],
    /listening on/,
    // The broker reads BROOK_* variables as broker configs: it gets none of the demo's.
    Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("BROOK_"))),
  );
  const kafka = kafkaClient("order-saga-demo");
  const admin = kafka.admin();
  await admin.connect();
  await createDemoTopics(admin);
  await Promise.all(SERVICES.map(startService));

  say("\nplacing orders");
  const ids = [
    await post({ customer: "ann", product: "widget", quantity: 2, amount: 40 }),
    await post({ customer: "bob", product: "gadget", quantity: 1, amount: 25 }),
    await post({ customer: "cy", product: "widget", quantity: 1, amount: 5000 }), // declined: stock released
    await post({ customer: "dee", product: "gadget", quantity: 50, amount: 100 }), // not enough stock
  ];
  // A poison message: not JSON, so the payment service puts it in its dead-letter topic.
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: topics().payment, messages: [{ key: "poison", value: "{not json" }] });
  await producer.disconnect();
  await waitFinal(ids, 60_000);

  say(`\nstopping the shipping service: the next order times out after ${process.env.SHIP_TIMEOUT_MS} ms`);
  const shipping = services.get("shipping")!;
  shipping.kill("SIGTERM");
  await new Promise((r) => shipping.once("exit", r));
  const late = await post({ customer: "eve", product: "widget", quantity: 3, amount: 60 });
  await waitFinal([late], 60_000);
  say("starting the shipping service again");
  await startService("shipping");

  const dlt = `${topics().payment}-dlt`;
  const offsets = await admin.fetchTopicOffsets(dlt).catch(() => []);
  const dead = offsets.reduce((n, p) => n + Number(BigInt(p.high) - BigInt(p.low)), 0);
  say(`\n${dead} message(s) in the dead-letter topic ${dlt}`);
  say(
    `  after fixing the cause, send them back with: npx brook -b 127.0.0.1:${brookPort} dlq redrive ${dlt}`,
  );
  await admin.disconnect();
  await printState();
}

let stopping = false;
async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    say("\nstopping the services and the broker");
    await stopAll();
    await dropSchemas().catch((e) => process.stderr.write(`dropping the schemas: ${(e as Error).message}\n`));
  }
  process.exit(code);
}
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

try {
  await run();
} catch (e) {
  process.stderr.write(`order-saga demo: ${(e as Error).message}\n`);
  await shutdown(1);
}
if (flags.has("--exit")) await shutdown(0);
say(
  `\nwatch it in the console: http://127.0.0.1:${consolePort}/ (topics ${prefix}.*, consumer groups ${prefix}.*, their lag)`,
);
say(
  `metrics: http://127.0.0.1:${metricsPort}/metrics; place more orders: curl -X POST http://127.0.0.1:${orderPort}/orders -H 'content-type: application/json' -d '{"customer":"zoe","product":"widget","quantity":1,"amount":10}'`,
);
say("Ctrl-C stops everything");
