/**
 * The outbox table and how an application writes to it. The columns are Debezium's outbox
 * columns (id, aggregatetype, aggregateid, type, payload) plus `headers` (Kafka headers for the
 * event), `created_at`, and three columns only the polling relay uses: `seq` (insertion order),
 * `relay_id` and `relay_batch` (which relay batch claimed the row).
 */
import { randomUUID } from "node:crypto";

/** What the outbox functions need of a `pg` Pool or Client (structural, so `pg` stays optional). */
export interface OutboxQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: any[]; rowCount: number | null }>;
}

export interface OutboxEvent {
  aggregateType: string;
  aggregateId: string;
  type: string;
  /** Stored as jsonb; published as its JSON text. */
  payload: unknown;
  /** Published as Kafka headers (values that are not strings as their JSON text). */
  headers?: Record<string, unknown>;
  /** A UUID (default: a random one). */
  id?: string;
}

export class OutboxError extends Error {
  override name = "OutboxError";
}

const NAME = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/** "name" or "schema.name", each part quoted. */
export function quoteTable(table: string): string {
  const parts = table.split(".");
  if (parts.length > 2 || parts.some((p) => !NAME.test(p))) {
    throw new OutboxError(
      `outbox: table must be a name or schema.name of letters, digits and _, got "${table}"`,
    );
  }
  return parts.map((p) => `"${p}"`).join(".");
}

/** Creates the outbox table (and the polling relay's index) unless it exists. */
export async function createOutboxTable(
  pool: OutboxQueryable,
  options: { table?: string } = {},
): Promise<void> {
  const table = options.table ?? "outbox";
  const quoted = quoteTable(table);
  const base = table.split(".").pop()!;
  await pool.query(
    `CREATE TABLE IF NOT EXISTS ${quoted} (
      id uuid PRIMARY KEY,
      aggregatetype text NOT NULL,
      aggregateid text NOT NULL,
      type text NOT NULL,
      payload jsonb,
      headers jsonb,
      created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      seq bigserial NOT NULL,
      relay_id text,
      relay_batch bigint
    )`,
  );
  // The polling relay claims unclaimed rows in insertion order.
  await pool.query(
    `CREATE INDEX IF NOT EXISTS "${base}_unclaimed_idx" ON ${quoted} (seq) WHERE relay_id IS NULL`,
  );
}

/**
 * Inserts one event with `client`, which should be inside the transaction that changes the
 * aggregate: the event is then committed (and later published) exactly when that change is.
 */
export async function insertOutboxEvent(
  client: OutboxQueryable,
  event: OutboxEvent,
  options: { table?: string } = {},
): Promise<string> {
  const table = quoteTable(options.table ?? "outbox");
  for (const field of ["aggregateType", "aggregateId", "type"] as const) {
    if (typeof event[field] !== "string" || event[field] === "") {
      throw new OutboxError(`insertOutboxEvent: ${field} must be a non-empty string`);
    }
  }
  if (event.headers !== undefined && (event.headers === null || typeof event.headers !== "object")) {
    throw new OutboxError("insertOutboxEvent: headers must be an object of header names to values");
  }
  const id = event.id ?? randomUUID();
  await client.query(
    `INSERT INTO ${table} (id, aggregatetype, aggregateid, type, payload, headers) VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb)`,
    [
      id,
      event.aggregateType,
      event.aggregateId,
      event.type,
      event.payload === undefined ? null : JSON.stringify(event.payload),
      event.headers === undefined ? null : JSON.stringify(event.headers),
    ],
  );
  return id;
}
