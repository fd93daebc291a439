/**
 * The shipping service: ships an order (shipping.ship → shipping.shipped) unless the command is
 * past its saga deadline (the orchestrator has stopped waiting: shipping.rejected), and cancels a
 * shipment when the saga compensates after a timeout (shipping.cancel, no reply awaited).
 */
import { postgresStore, sagaParticipant } from "../../src/patterns/index.js";
import { consumerConfig, env, kafkaClient, log, main, pgPool, schema, service, topics } from "./lib.js";

const t = topics();
const s = schema("shipping");
const pool = pgPool();

const participant = sagaParticipant({
  kafka: kafkaClient("shipping-service"),
  groupId: `${env.prefix}.shipping-service`,
  topic: t.shipping,
  store: postgresStore({ pool, table: `${s}.processed` }),
  consumerConfig,
  emits: { "shipping.shipped": t.replies, "shipping.rejected": t.replies },
  handlers: {
    "shipping.ship": async ({ sagaId, data }, { tx, emit, deadline }) => {
      if (deadline !== undefined && Date.now() > deadline) {
        log(`order ${sagaId}: not shipped, its saga stopped waiting`);
        emit("shipping.rejected", { reason: "too late" });
        return;
      }
      await tx.query(
        `INSERT INTO ${s}.shipments (order_id, product, quantity) VALUES ($1, $2, $3) ON CONFLICT (order_id) DO NOTHING`,
        [sagaId, data.product, data.quantity],
      );
      log(`order ${sagaId}: shipped ${data.quantity} ${data.product}`);
      emit("shipping.shipped", {});
    },
  },
  compensations: {
    "shipping.cancel": async ({ sagaId }, { tx }) => {
      const cancelled = await tx.query(
        `UPDATE ${s}.shipments SET status = 'CANCELLED' WHERE order_id = $1 AND status = 'SHIPPED'`,
        [sagaId],
      );
      if (cancelled.rowCount) log(`order ${sagaId}: shipment cancelled`);
    },
  },
});

main("shipping", async () => {
  await pool.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
  await pool.query(`CREATE TABLE IF NOT EXISTS ${s}.shipments (
    order_id text PRIMARY KEY, product text NOT NULL, quantity int NOT NULL,
    status text NOT NULL DEFAULT 'SHIPPED', shipped_at timestamptz NOT NULL DEFAULT now())`);
  await postgresStore({ pool, table: `${s}.processed` }).createTable();
  await participant.run();
  service("shipping", async () => {
    await participant.stop();
    await pool.end();
  });
});
