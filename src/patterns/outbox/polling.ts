/**
 * Polling mode. A batch is claimed by one statement (`FOR UPDATE SKIP LOCKED`, oldest first) that
 * stamps the rows with this relay's id and the batch number, and commits; the rows are then
 * published in a Kafka transaction that also records the batch number (publisher.ts), and deleted.
 * A crash anywhere leaves claimed rows whose batch number says whether Kafka has them: on restart
 * rows of batches up to the committed number are deleted, later ones are published again first.
 */
import type { OutboxPublisher } from "./publisher.js";
import { type OutboxRow, type RelayContext, toKafkaMessage } from "./relay.js";
import { OutboxError } from "./schema.js";

const COLUMNS = "id, aggregatetype, aggregateid, type, payload, headers, created_at, seq, relay_batch";

type ClaimedRow = OutboxRow & { seq: string; relay_batch: string };

export async function preparePolling(context: RelayContext): Promise<void> {
  try {
    await context.pool.query(`SELECT ${COLUMNS}, relay_id FROM ${context.quotedTable} LIMIT 0`);
  } catch (e) {
    if ((e as { code?: string }).code === "42703") {
      throw new OutboxError(
        `outbox relay: polling mode needs the columns seq, relay_id and relay_batch of createOutboxTable; ${context.quotedTable} lacks some (${(e as Error).message})`,
      );
    }
    throw e;
  }
}

const bySeq = (a: ClaimedRow, b: ClaimedRow) => {
  const x = BigInt(a.seq);
  const y = BigInt(b.seq);
  return x < y ? -1 : x > y ? 1 : 0;
};

async function publishBatch(
  context: RelayContext,
  publisher: OutboxPublisher,
  rows: ClaimedRow[],
  batch: bigint,
) {
  rows.sort(bySeq);
  await publisher.publish(
    rows.map((r) => toKafkaMessage(r, context.route)),
    batch,
  );
  context.stats.published += rows.length;
  context.stats.batches++;
  await context.pool.query(`DELETE FROM ${context.quotedTable} WHERE relay_id = $1 AND relay_batch = $2`, [
    context.relayId,
    batch.toString(),
  ]);
}

export async function pollingSession(context: RelayContext): Promise<void> {
  const { pool, quotedTable, relayId, publisher } = context;
  const committed = await publisher.committed();
  // Rows this relay claimed before a crash or a lost connection.
  const { rows: left } = await pool.query(
    `SELECT ${COLUMNS} FROM ${quotedTable} WHERE relay_id = $1 ORDER BY relay_batch, seq`,
    [relayId],
  );
  let next = committed + 1n;
  const pending = new Map<bigint, ClaimedRow[]>();
  for (const row of left as ClaimedRow[]) {
    const batch = BigInt(row.relay_batch);
    if (batch <= committed) continue;
    let list = pending.get(batch);
    if (!list) pending.set(batch, (list = []));
    list.push(row);
    if (batch >= next) next = batch + 1n;
  }
  const published = (left as ClaimedRow[]).filter((r) => BigInt(r.relay_batch) <= committed).length;
  if (published > 0) {
    context.stats.skipped += published;
    await pool.query(`DELETE FROM ${quotedTable} WHERE relay_id = $1 AND relay_batch <= $2`, [
      relayId,
      committed.toString(),
    ]);
  }
  for (const batch of [...pending.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    await publishBatch(context, publisher, pending.get(batch)!, batch);
  }

  while (!context.isStopping()) {
    const batch = next;
    const { rows } = await pool.query(
      `UPDATE ${quotedTable} SET relay_id = $1, relay_batch = $2
       WHERE id IN (SELECT id FROM ${quotedTable} WHERE relay_id IS NULL ORDER BY seq LIMIT $3 FOR UPDATE SKIP LOCKED)
       RETURNING ${COLUMNS}`,
      [relayId, batch.toString(), context.batchSize],
    );
    if (rows.length === 0) {
      await context.stopSignal.wait(context.options.pollIntervalMs ?? 250);
      continue;
    }
    next = batch + 1n;
    await publishBatch(context, publisher, rows as ClaimedRow[], batch);
  }
}
