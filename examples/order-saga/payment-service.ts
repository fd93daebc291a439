/**
 * The payment service: charges an order (payment.charge → payment.charged, or payment.declined
 * above the limit) and refunds it when the saga compensates (payment.refund → payment.refunded).
 * One payment row per order, so a command delivered twice cannot charge twice. A command that is
 * not JSON is a poison message: it goes to the dead-letter topic at once, where `brook dlq
 * redrive` can send it back once fixed.
 */
import { postgresStore, sagaParticipant } from "../../src/patterns/index.js";
import { consumerConfig, env, kafkaClient, log, main, pgPool, schema, service, topics } from "./lib.js";

const t = topics();
const s = schema("payment");
const pool = pgPool();

const participant = sagaParticipant({
  kafka: kafkaClient("payment-service"),
  groupId: `${env.prefix}.payment-service`,
  topic: t.payment,
  store: postgresStore({ pool, table: `${s}.processed` }),
  consumerConfig,
  emits: { "payment.charged": t.replies, "payment.declined": t.replies, "payment.refunded": t.replies },
  handlers: {
    "payment.charge": async ({ sagaId, data }, { tx, emit }) => {
      if (Number(data.amount) > env.paymentLimit) {
        log(`order ${sagaId}: ${data.amount} declined (limit ${env.paymentLimit})`);
        emit("payment.declined", { reason: `amount above ${env.paymentLimit}` });
        return;
      }
      await tx.query(
        `INSERT INTO ${s}.payments (order_id, customer, amount) VALUES ($1, $2, $3) ON CONFLICT (order_id) DO NOTHING`,
        [sagaId, data.customer, data.amount],
      );
      log(`order ${sagaId}: charged ${data.amount} to ${data.customer}`);
      emit("payment.charged", {});
    },
  },
  compensations: {
    "payment.refund": async ({ sagaId }, { tx, emit }) => {
      const refunded = await tx.query(
        `UPDATE ${s}.payments SET status = 'REFUNDED', updated_at = now() WHERE order_id = $1 AND status = 'CHARGED'`,
        [sagaId],
      );
      if (refunded.rowCount) log(`order ${sagaId}: refunded`);
      emit("payment.refunded", {});
    },
  },
});

main("payment", async () => {
  await pool.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
  await pool.query(`CREATE TABLE IF NOT EXISTS ${s}.payments (
    order_id text PRIMARY KEY, customer text NOT NULL, amount numeric NOT NULL,
    status text NOT NULL DEFAULT 'CHARGED', updated_at timestamptz NOT NULL DEFAULT now())`);
  await postgresStore({ pool, table: `${s}.processed` }).createTable();
  await participant.run();
  log(`dead-letter topic: ${participant.consumer.plan.dlt}`);
  service("payment", async () => {
    await participant.stop();
    await pool.end();
  });
});
