/**
 * The notification service: tells the customer how their order ended, from the order service's
 * order.completed and order.cancelled events (choreography: it reacts to events, nobody commands
 * it). One notification per order, however often the event is delivered.
 */
import { postgresStore, sagaParticipant } from "../../src/patterns/index.js";
import { consumerConfig, env, kafkaClient, log, main, pgPool, schema, service, topics } from "./lib.js";

const t = topics();
const s = schema("notification");
const pool = pgPool();

async function notify(
  tx: { query(text: string, values?: unknown[]): Promise<unknown> },
  orderId: string,
  text: string,
) {
  await tx.query(`INSERT INTO ${s}.notifications (order_id, message) VALUES ($1, $2)`, [orderId, text]);
  log(`to customer: ${text}`);
}

const participant = sagaParticipant({
  kafka: kafkaClient("notification-service"),
  groupId: `${env.prefix}.notification-service`,
  topic: t.orders,
  store: postgresStore({ pool, table: `${s}.processed` }),
  consumerConfig,
  handlers: {
    "order.completed": async ({ sagaId, data }, { tx }) =>
      notify(
        tx,
        sagaId,
        `${data.customer}, your order ${sagaId} (${data.quantity} ${data.product}) is on its way`,
      ),
    "order.cancelled": async ({ sagaId, data }, { tx }) =>
      notify(tx, sagaId, `${data.customer}, your order ${sagaId} was cancelled (${data.reason})`),
  },
});

main("notification", async () => {
  await pool.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
  await pool.query(`CREATE TABLE IF NOT EXISTS ${s}.notifications (
    order_id text PRIMARY KEY, message text NOT NULL, sent_at timestamptz NOT NULL DEFAULT now())`);
  await postgresStore({ pool, table: `${s}.processed` }).createTable();
  await participant.run();
  service("notification", async () => {
    await participant.stop();
    await pool.end();
  });
});
