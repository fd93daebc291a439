/**
 * The inventory service: reserves stock for an order (inventory.reserve → inventory.reserved, or
 * inventory.rejected when there is not enough) and releases it when the saga compensates
 * (inventory.release → inventory.released). Stock and reservations live in its own schema; each
 * command is handled once (its id recorded in the same transaction as the stock change).
 */
import type pg from "pg";
import { postgresStore, sagaParticipant } from "../../src/patterns/index.js";
import {
  consumerConfig,
  env,
  INITIAL_STOCK,
  kafkaClient,
  log,
  main,
  pgPool,
  schema,
  service,
  topics,
} from "./lib.js";

const t = topics();
const s = schema("inventory");
const pool = pgPool();

const participant = sagaParticipant({
  kafka: kafkaClient("inventory-service"),
  groupId: `${env.prefix}.inventory-service`,
  topic: t.inventory,
  store: postgresStore<pg.PoolClient>({ pool, table: `${s}.processed` }),
  consumerConfig,
  emits: {
    "inventory.reserved": t.replies,
    "inventory.rejected": t.replies,
    "inventory.released": t.replies,
  },
  handlers: {
    "inventory.reserve": async ({ sagaId, data }, { tx, emit }) => {
      const taken = await tx.query(
        `UPDATE ${s}.stock SET available = available - $2 WHERE product = $1 AND available >= $2`,
        [data.product, data.quantity],
      );
      if (taken.rowCount === 0) {
        log(`order ${sagaId}: not enough ${data.product}`);
        emit("inventory.rejected", { reason: `not enough ${data.product}` });
        return;
      }
      await tx.query(`INSERT INTO ${s}.reservations (order_id, product, quantity) VALUES ($1, $2, $3)`, [
        sagaId,
        data.product,
        data.quantity,
      ]);
      log(`order ${sagaId}: reserved ${data.quantity} ${data.product}`);
      emit("inventory.reserved", {});
    },
  },
  compensations: {
    // A no-op for an order whose stock was never reserved (or was released already).
    "inventory.release": async ({ sagaId }, { tx, emit }) => {
      const released = await tx.query(
        `UPDATE ${s}.reservations SET status = 'RELEASED' WHERE order_id = $1 AND status = 'RESERVED' RETURNING product, quantity`,
        [sagaId],
      );
      for (const r of released.rows) {
        await tx.query(`UPDATE ${s}.stock SET available = available + $2 WHERE product = $1`, [
          r.product,
          r.quantity,
        ]);
        log(`order ${sagaId}: released ${r.quantity} ${r.product}`);
      }
      emit("inventory.released", {});
    },
  },
});

main("inventory", async () => {
  await pool.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
  await pool.query(
    `CREATE TABLE IF NOT EXISTS ${s}.stock (product text PRIMARY KEY, available int NOT NULL CHECK (available >= 0))`,
  );
  await pool.query(`CREATE TABLE IF NOT EXISTS ${s}.reservations (
    order_id text PRIMARY KEY, product text NOT NULL, quantity int NOT NULL, status text NOT NULL DEFAULT 'RESERVED')`);
  for (const [product, n] of Object.entries(INITIAL_STOCK)) {
    await pool.query(`INSERT INTO ${s}.stock (product, available) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [
      product,
      n,
    ]);
  }
  await postgresStore({ pool, table: `${s}.processed` }).createTable();
  await participant.run();
  service("inventory", async () => {
    await participant.stop();
    await pool.end();
  });
});
