/**
 * What the outbox tests write and check. Every transaction bumps an aggregate's version (a row
 * lock, so one aggregate's transactions commit one after another, as an application's would) and
 * inserts one outbox event per version step with that step as `n`; some transactions roll back.
 * The committed versions are then the truth to check Kafka against: per aggregate the payloads must
 * be n = 1..version, each once, in order, and no event of a rolled-back transaction may appear.
 */
import assert from "node:assert/strict";
import type pg from "pg";
import type { Admin, Kafka } from "../../../src/client/index.js";
import { insertOutboxEvent } from "../../../src/patterns/index.js";
import { header, readAll, sleep } from "../support.js";

export interface Workload {
  aggregateTypes: string[];
  aggregates: number;
  /** Ids of events in rolled-back transactions. */
  rolledBack: Set<string>;
  committedEvents: number;
}

export async function createAggregates(pool: pg.Pool, types: string[], aggregates: number): Promise<void> {
  await pool.query(
    "CREATE TABLE IF NOT EXISTS aggregates (type text, id text, version int NOT NULL DEFAULT 0, PRIMARY KEY (type, id))",
  );
  const rows = types.flatMap((t) => Array.from({ length: aggregates }, (_, i) => `('${t}', 'a${i}')`));
  await pool.query(`INSERT INTO aggregates (type, id) VALUES ${rows.join(", ")} ON CONFLICT DO NOTHING`);
}

/**
 * Writes `events` committed events from `concurrency` connections; every `rollbackEvery`-th
 * transaction rolls back. Transactions that fail (a PostgreSQL restart) are retried after a pause.
 */
export async function writeEvents(
  pool: pg.Pool,
  work: Workload,
  options: { events: number; concurrency: number; rollbackEvery: number; table?: string },
): Promise<void> {
  let committed = 0;
  // Events of transactions under way that will commit: reserved so the writers stop at `events`.
  let reserved = 0;
  let txSeq = 0;
  const worker = async (w: number) => {
    while (reserved < options.events) {
      const tx = txSeq++;
      const type = work.aggregateTypes[tx % work.aggregateTypes.length]!;
      const aggregate = `a${(tx * 7 + w) % work.aggregates}`;
      const rollback = tx % options.rollbackEvery === options.rollbackEvery - 1;
      const count = rollback ? 1 + (tx % 3) : Math.min(1 + (tx % 3), options.events - reserved);
      if (count <= 0) return;
      if (!rollback) reserved += count;
      let client: pg.PoolClient | undefined;
      const ids: string[] = [];
      try {
        client = await pool.connect();
        await client.query("BEGIN");
        const { rows } = await client.query(
          "UPDATE aggregates SET version = version + $3 WHERE type = $1 AND id = $2 RETURNING version",
          [type, aggregate, count],
        );
        const version = rows[0].version as number;
        for (let i = 0; i < count; i++) {
          ids.push(
            await insertOutboxEvent(
              client,
              {
                aggregateType: type,
                aggregateId: aggregate,
                type: "VersionBumped",
                payload: { n: version - count + 1 + i },
                headers: { source: "outbox-test", attempt: 1 },
              },
              { table: options.table },
            ),
          );
        }
        if (rollback) {
          await client.query("ROLLBACK");
          for (const id of ids) work.rolledBack.add(id);
        } else {
          await client.query("COMMIT");
          committed += count;
        }
        client.release();
      } catch {
        // The server went away (restart): whether a COMMIT in flight took effect is read back from
        // the aggregates table at the end, so the transaction is simply not counted here.
        client?.release(true);
        if (!rollback) reserved -= count;
        await sleep(200);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, w) => worker(w)));
  work.committedEvents += committed;
}

export async function expectedEventCount(pool: pg.Pool, types: string[]): Promise<number> {
  const { rows } = await pool.query(
    "SELECT coalesce(sum(version), 0)::int AS n FROM aggregates WHERE type = ANY($1)",
    [types],
  );
  return rows[0].n as number;
}

/** Reads every outbox topic and checks it against the aggregates table. Returns the record count. */
export async function checkKafka(kafka: Kafka, admin: Admin, pool: pg.Pool, work: Workload): Promise<number> {
  const { rows } = await pool.query("SELECT type, id, version FROM aggregates WHERE type = ANY($1)", [
    work.aggregateTypes,
  ]);
  const versions = new Map(rows.map((r) => [`${r.type}/${r.id}`, r.version as number]));
  const seen = new Map<string, number[]>();
  const ids = new Set<string>();
  let total = 0;
  for (const type of work.aggregateTypes) {
    const records = await readAll(kafka, admin, `outbox.event.${type}`, 60_000);
    for (const { message } of records) {
      const id = header(message, "id")!;
      assert.ok(id, "every record carries the event id header");
      assert.equal(header(message, "type"), "VersionBumped");
      assert.equal(header(message, "source"), "outbox-test");
      assert.equal(header(message, "attempt"), "1");
      assert.ok(!work.rolledBack.has(id), `event ${id} of a rolled-back transaction was published`);
      assert.ok(!ids.has(id), `event ${id} was published twice`);
      ids.add(id);
      const key = `${type}/${message.key!.toString()}`;
      let list = seen.get(key);
      if (!list) seen.set(key, (list = []));
      list.push((JSON.parse(message.value!.toString()) as { n: number }).n);
      total++;
    }
  }
  for (const [key, version] of versions) {
    const got = seen.get(key) ?? [];
    assert.deepEqual(
      got,
      Array.from({ length: version }, (_, i) => i + 1),
      `aggregate ${key}: events in Kafka (in partition order) must be 1..${version}, each once`,
    );
  }
  return total;
}

/** Sum of the outbox topics' record counts as far as the end offsets tell (markers included). */
export async function endOffsets(admin: Admin, types: string[]): Promise<number> {
  let sum = 0;
  for (const type of types) {
    try {
      for (const p of await admin.fetchTopicOffsets(`outbox.event.${type}`)) sum += Number(p.high);
    } catch {}
  }
  return sum;
}

/** Distinct event ids in the outbox topics now (read_committed). */
export async function countPublished(kafka: Kafka, admin: Admin, types: string[]): Promise<number> {
  const ids = new Set<string>();
  for (const type of types) {
    let records: Awaited<ReturnType<typeof readAll>> = [];
    try {
      records = await readAll(kafka, admin, `outbox.event.${type}`, 60_000);
    } catch (e) {
      if (!/does not host|UNKNOWN_TOPIC|unknown topic/i.test(String(e))) throw e;
    }
    for (const { message } of records) ids.add(header(message, "id")!);
  }
  return ids.size;
}

/** Waits until `expected` distinct events are in Kafka. */
export async function waitForPublished(
  kafka: Kafka,
  admin: Admin,
  types: string[],
  expected: number,
  ms: number,
): Promise<void> {
  const deadline = performance.now() + ms;
  let got = 0;
  while (performance.now() < deadline) {
    got = await countPublished(kafka, admin, types);
    if (got >= expected) return;
    await sleep(500);
  }
  assert.fail(`timed out after ${ms} ms: ${got} of ${expected} events in Kafka`);
}
