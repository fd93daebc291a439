/**
 * Logical mode: pgoutput through `pg-logical-replication` (loaded only when this mode is used).
 *
 * Each PostgreSQL transaction's outbox inserts are gathered between its Begin and Commit and
 * queued with the commit's end position. A pump publishes whole transactions in order, up to
 * batchSize rows per Kafka transaction, which also records the end position of the last one
 * (publisher.ts). Only after that commit is the slot acknowledged up to that position. After a
 * crash the slot replays from its last acknowledged position; transactions whose end position is
 * at or below the one recorded in Kafka are skipped, so nothing is published twice.
 * Updates and deletes are ignored: an application may delete its outbox rows in the same
 * transaction that inserted them (the insert still reaches the relay) or later, at will.
 */
import { type OutboxRow, importOptional, type RelayContext, Signal, toKafkaMessage } from "./relay.js";
import { OutboxError, quoteTable } from "./schema.js";

type ReplicationModule = typeof import("pg-logical-replication");

interface PendingTransaction {
  rows: OutboxRow[];
  endLsn: string;
  end: bigint;
}

const SLOT_NAME = /^[a-z0-9_]{1,63}$/;

export function lsnToBigInt(lsn: string): bigint {
  const [hi, lo] = lsn.split("/");
  return (BigInt(Number.parseInt(hi!, 16)) << 32n) | BigInt(Number.parseInt(lo!, 16));
}

export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

const slotState = new WeakMap<RelayContext, { slot: string; publication: string }>();

export async function prepareLogical(
  context: RelayContext,
  slot: string,
  publication: string,
): Promise<void> {
  const { pool } = context;
  if (!SLOT_NAME.test(slot)) {
    throw new OutboxError(
      `outbox relay: slot names hold lower-case letters, digits and _ (at most 63), got "${slot}"`,
    );
  }
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(publication)) {
    throw new OutboxError(`outbox relay: publication must be a plain name, got "${publication}"`);
  }
  const { rows } = await pool.query("SHOW wal_level");
  const level = rows[0]?.wal_level;
  if (level !== "logical") {
    throw new OutboxError(
      `outbox relay: logical mode needs wal_level=logical, this PostgreSQL has wal_level=${level} (set it in postgresql.conf and restart PostgreSQL, or use mode "polling")`,
    );
  }
  await importOptional<ReplicationModule>("pg-logical-replication");
  const published = await pool.query("SELECT 1 FROM pg_publication WHERE pubname = $1", [publication]);
  if (published.rows.length === 0) {
    try {
      await pool.query(
        `CREATE PUBLICATION "${publication}" FOR TABLE ${quoteTable(context.table)} WITH (publish = 'insert')`,
      );
    } catch (e) {
      if ((e as { code?: string }).code !== "42710") throw e; // created meanwhile by another relay
    }
  }
  const [schemaName, tableName] = context.table.includes(".")
    ? context.table.split(".")
    : [undefined, context.table];
  const covered = await pool.query(
    "SELECT 1 FROM pg_publication_tables WHERE pubname = $1 AND tablename = $2 AND ($3::text IS NULL OR schemaname = $3)",
    [publication, tableName, schemaName ?? null],
  );
  if (covered.rows.length === 0) {
    throw new OutboxError(
      `outbox relay: publication "${publication}" does not include ${context.table}; add it (ALTER PUBLICATION "${publication}" ADD TABLE ${quoteTable(context.table)}) or name another publication`,
    );
  }
  const slots = await pool.query("SELECT plugin FROM pg_replication_slots WHERE slot_name = $1", [slot]);
  if (slots.rows.length === 0) {
    try {
      await pool.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [slot]);
      // A slot streams what commits after its creation; rows already there are not relayed.
      const { rows: existing } = await pool.query(
        `SELECT count(*)::int AS n FROM ${quoteTable(context.table)}`,
      );
      if (existing[0].n > 0) {
        context.logger.warn(
          `outbox relay: created replication slot "${slot}"; the ${existing[0].n} rows already in ${context.table} are not relayed by logical mode (run polling mode once to drain them)`,
        );
      }
    } catch (e) {
      if ((e as { code?: string }).code !== "42710") throw e;
    }
  } else if (slots.rows[0].plugin !== "pgoutput") {
    throw new OutboxError(
      `outbox relay: replication slot "${slot}" uses ${slots.rows[0].plugin}, not pgoutput`,
    );
  }
  slotState.set(context, { slot, publication });
}

export async function logicalSession(context: RelayContext): Promise<void> {
  const { pool, publisher, stats } = context;
  const { slot, publication } = slotState.get(context)!;
  const replication = await importOptional<ReplicationModule>("pg-logical-replication");
  const published = await publisher.committed();
  const slotRow = await pool.query(
    "SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1",
    [slot],
  );
  if (slotRow.rows.length === 0)
    throw new OutboxError(`outbox relay: replication slot "${slot}" was dropped`);
  let acknowledged: string = slotRow.rows[0].lsn ?? "0/0";

  const base = context.table.split(".");
  const tableName = base.pop()!;
  const schemaName = base.pop();
  const queue: PendingTransaction[] = [];
  // Backpressure while Kafka is slow or away: the replication socket stops being read once this
  // many rows wait (the server then waits too, or drops the connection after wal_sender_timeout;
  // the slot keeps everything unconfirmed).
  const maxQueuedRows = context.batchSize * 20;
  let queuedRows = 0;
  let paused = false;
  const pauseStream = (pause: boolean) => {
    if (paused === pause) return;
    // pg-logical-replication has no public pause; its connection's socket is where the data comes from.
    const stream = (service as unknown as { _connection?: { stream?: { pause?(): void; resume?(): void } } })
      ._connection?.stream;
    if (pause) stream?.pause?.();
    else stream?.resume?.();
    paused = pause;
  };
  let open: OutboxRow[] | null = null;
  let sending = false;
  let active = true;
  const work = new Signal();
  let fail: (e: unknown) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  failed.catch(() => {});

  const connection = context.options.connectionString
    ? { connectionString: context.options.connectionString }
    : { ...(pool.options ?? {}) };
  const service = new replication.LogicalReplicationService(connection, {
    acknowledge: { auto: false, timeoutSeconds: 0 },
  });
  const plugin = new replication.PgoutputPlugin({ protoVersion: 1, publicationNames: [publication] });

  service.on("data", (_lsn: string, message: { tag: string; [k: string]: unknown }) => {
    switch (message.tag) {
      case "begin":
        open = [];
        break;
      case "insert": {
        const relation = message.relation as { schema: string; name: string };
        if (relation.name === tableName && (schemaName === undefined || relation.schema === schemaName)) {
          open?.push(message.new as OutboxRow);
        }
        break;
      }
      case "commit": {
        const endLsn = message.commitEndLsn as string;
        const end = lsnToBigInt(endLsn);
        const rows = open ?? [];
        open = null;
        if (end <= published) {
          // Already in Kafka (a run that ended before acknowledging it): only acknowledge.
          stats.skipped += rows.length;
          queue.push({ rows: [], endLsn, end });
        } else {
          queue.push({ rows, endLsn, end });
          queuedRows += rows.length;
        }
        work.notify();
        if (queuedRows > maxQueuedRows) pauseStream(true);
        break;
      }
    }
  });
  // The service reports the position after the one it is given; PostgreSQL expects the end
  // position itself (a fast shutdown waits until the reported position equals what it sent).
  const confirm = (lsn: string) => service.acknowledge(formatLsn(lsnToBigInt(lsn) - 1n)).catch(() => false);
  service.on("heartbeat", (lsn: string, _time: number, shouldRespond: boolean) => {
    // With nothing received and unpublished, the server's position can be confirmed as is: it
    // lets the slot release WAL written by other tables' transactions.
    if (open === null && queue.length === 0 && !sending && lsnToBigInt(lsn) > lsnToBigInt(acknowledged)) {
      acknowledged = lsn;
      void confirm(acknowledged);
    } else if (shouldRespond) {
      void confirm(acknowledged);
    }
  });
  service.on("error", (e: unknown) => fail(e));

  const pump = (async () => {
    while (active) {
      if (queue.length === 0) {
        await work.wait(1000);
        continue;
      }
      const batch: PendingTransaction[] = [];
      let rows = 0;
      while (queue.length > 0 && (batch.length === 0 || rows + queue[0]!.rows.length <= context.batchSize)) {
        const tx = queue.shift()!;
        batch.push(tx);
        rows += tx.rows.length;
      }
      queuedRows -= rows;
      if (queuedRows <= maxQueuedRows / 2) pauseStream(false);
      sending = true;
      try {
        const last = batch[batch.length - 1]!;
        if (rows > 0) {
          const messages = batch.flatMap((tx) => tx.rows.map((r) => toKafkaMessage(r, context.route)));
          await publisher.publish(messages, last.end);
          stats.published += rows;
          stats.batches++;
        }
        if (!active) return;
        acknowledged = last.endLsn;
        await confirm(last.endLsn);
      } finally {
        sending = false;
      }
    }
  })();
  pump.catch((e) => fail(e));

  context.abortSession = () => {
    active = false;
    work.notify();
    service.stop().catch(() => {});
  };
  try {
    if (context.isStopping()) return;
    const streaming = service.subscribe(plugin, slot).then(() => {
      if (!context.isStopping()) throw new OutboxError("outbox relay: the replication stream ended");
    });
    await Promise.race([streaming, failed]);
  } finally {
    active = false;
    work.notify();
    context.abortSession = undefined;
    await service.destroy().catch(() => {});
    await pump.catch(() => {});
  }
}
