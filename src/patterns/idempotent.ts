/**
 * `idempotent`: an eachMessage handler that runs once per message id however often Kafka delivers
 * the message (delivery is at least once: a crash before the offset commit delivers it again).
 *
 * The id is the `event-id` header, else the coordinates the record was first consumed at (the
 * `kafka_dlt-original-*` headers of a record forwarded through retry topics), else its own
 * topic/partition/offset; or whatever `key` returns. A store remembers processed ids:
 * - `postgresStore` inserts the id in the same PostgreSQL transaction as the handler's writes (the
 *   handler gets the transaction's client), so the writes and "processed" commit together or not at
 *   all: exactly once for what the handler writes to that database.
 * - `redisStore` claims the id with `SET NX EX` before the handler and marks it done after: a
 *   duplicate delivered while or after the first one is processed is skipped, but a crash after the
 *   handler's side effects and before the mark lets the message be processed again once the claim
 *   expires (at least once, with duplicates suppressed in the common case).
 */
import type { EachMessagePayload, KafkaMessage } from "../client/types.js";
import { DltHeaders, headerNumber, headerText } from "./retry-topics.js";

/** Remembers processed ids. `C` is what the handler gets to do its work with (a transaction client). */
export interface IdempotencyStore<C> {
  /** Runs `work` unless `id` was processed; true if it ran. Records `id` when `work` succeeds. */
  once(id: string, work: (context: C) => Promise<void>): Promise<boolean>;
}

export type IdempotentPayload<C> = EachMessagePayload & {
  /** The message id this delivery was recognised by. */
  id: string;
  /** The store's context: the PostgreSQL transaction client for postgresStore, undefined for redisStore. */
  tx: C;
};

export interface IdempotentOptions<C> {
  store: IdempotencyStore<C>;
  /** The message id (default: the `header` header, else the record's original coordinates). */
  key?: (payload: EachMessagePayload) => string;
  /** The header holding the message id (default "event-id"). */
  header?: string;
  /** Called for each delivery skipped as a duplicate. */
  onDuplicate?: (id: string, payload: EachMessagePayload) => void;
}

/** The default id: the id header, else where the record was first consumed. */
export function messageId(
  topic: string,
  partition: number,
  message: KafkaMessage,
  header = "event-id",
): string {
  const id = headerText(message.headers, header);
  if (id !== undefined && id !== "") return id;
  const originalTopic = headerText(message.headers, DltHeaders.originalTopic);
  if (originalTopic !== undefined) {
    return `${originalTopic}/${headerNumber(message.headers, DltHeaders.originalPartition)}/${headerNumber(message.headers, DltHeaders.originalOffset)}`;
  }
  return `${topic}/${partition}/${message.offset}`;
}

export function idempotent<C>(
  options: IdempotentOptions<C>,
  handler: (payload: IdempotentPayload<C>) => Promise<void>,
): (payload: EachMessagePayload) => Promise<void> {
  const { store } = options;
  if (!store || typeof store.once !== "function") throw new TypeError("idempotent: store is required");
  const header = options.header ?? "event-id";
  return async (payload) => {
    const id = options.key
      ? options.key(payload)
      : messageId(payload.topic, payload.partition, payload.message, header);
    if (typeof id !== "string" || id === "") {
      throw new TypeError(`idempotent: the message id must be a non-empty string, got ${String(id)}`);
    }
    const ran = await store.once(id, (tx) => handler({ ...payload, id, tx }));
    if (!ran) options.onDuplicate?.(id, payload);
  };
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

/** What postgresStore needs of a `pg` client (structural, so `pg` stays the application's choice). */
export interface PgClientLike {
  query(text: string, values?: unknown[]): Promise<{ rowCount: number | null }>;
  release(error?: Error | boolean): void;
}

export interface PgPoolLike<C extends PgClientLike = PgClientLike> {
  connect(): Promise<C>;
  query(text: string, values?: unknown[]): Promise<{ rowCount: number | null }>;
}

export interface PostgresStore<C extends PgClientLike = PgClientLike> extends IdempotencyStore<C> {
  /** CREATE TABLE IF NOT EXISTS the table of processed ids. */
  createTable(): Promise<void>;
  /** The quoted table name. */
  readonly table: string;
}

/** "name" or "schema.name", each part quoted. */
function quoteTable(table: string): string {
  const parts = table.split(".");
  if (parts.length > 2 || parts.some((p) => !/^[A-Za-z_][A-Za-z0-9_$]*$/.test(p))) {
    throw new TypeError(
      `postgresStore: table must be a name or schema.name of letters, digits and _, got "${table}"`,
    );
  }
  return parts.map((p) => `"${p}"`).join(".");
}

export function postgresStore<C extends PgClientLike = PgClientLike>(options: {
  pool: PgPoolLike<C>;
  /** Default "processed_messages". */
  table?: string;
}): PostgresStore<C> {
  const table = quoteTable(options.table ?? "processed_messages");
  const { pool } = options;
  return {
    table,
    async createTable() {
      await pool.query(
        `CREATE TABLE IF NOT EXISTS ${table} (id text PRIMARY KEY, processed_at timestamptz NOT NULL DEFAULT now())`,
      );
    },
    async once(id, work) {
      const client = await pool.connect();
      let handlerError: unknown;
      let healthy = true;
      try {
        await client.query("BEGIN");
        // Inserted first: a concurrent delivery of the same id waits on the row until this
        // transaction ends, then finds it (and skips) or inserts it (this one rolled back).
        const inserted = await client.query(`INSERT INTO ${table} (id) VALUES ($1) ON CONFLICT DO NOTHING`, [
          id,
        ]);
        if (inserted.rowCount === 0) {
          await client.query("ROLLBACK");
          return false;
        }
        try {
          await work(client);
        } catch (e) {
          handlerError = e;
          throw e;
        }
        await client.query("COMMIT");
        return true;
      } catch (e) {
        try {
          await client.query("ROLLBACK");
        } catch {
          // The connection itself failed: it must not go back to the pool.
          healthy = false;
        }
        if (e !== handlerError) healthy = false;
        throw e;
      } finally {
        client.release(healthy ? undefined : true);
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Redis

/** What redisStore needs of an `ioredis` client. */
export interface RedisLike {
  set(key: string, value: string, secondsToken: "EX", seconds: number, nx: "NX"): Promise<unknown>;
  set(key: string, value: string, secondsToken: "EX", seconds: number): Promise<unknown>;
  get(key: string): Promise<string | null>;
  del(key: string): Promise<number>;
}

/** The message is being processed by another delivery (or one that crashed, until its claim expires). */
export class DuplicateInProgressError extends Error {
  override name = "DuplicateInProgressError";
  /** Retriable: KafkaJS-style consumers deliver the message again after a backoff. */
  readonly retriable = true;
}

export function redisStore(options: {
  redis: RedisLike;
  /** How long a processed id is remembered, seconds (default 86400). */
  ttlSeconds?: number;
  /** How long a claim outlives a crashed handler, seconds (default 30). */
  claimSeconds?: number;
  /** Key prefix (default "processed:"). */
  prefix?: string;
}): IdempotencyStore<undefined> {
  const { redis } = options;
  const ttl = options.ttlSeconds ?? 86_400;
  const claim = options.claimSeconds ?? 30;
  const prefix = options.prefix ?? "processed:";
  for (const [name, v] of [
    ["ttlSeconds", ttl],
    ["claimSeconds", claim],
  ] as const) {
    if (!Number.isInteger(v) || v < 1)
      throw new TypeError(`redisStore: ${name} must be a whole number ≥ 1, got ${v}`);
  }
  return {
    async once(id, work) {
      const key = `${prefix}${id}`;
      const claimed = await redis.set(key, "processing", "EX", claim, "NX");
      if (claimed !== "OK") {
        if ((await redis.get(key)) === "done") return false;
        throw new DuplicateInProgressError(`message ${id} is being processed by another delivery`);
      }
      try {
        await work(undefined);
      } catch (e) {
        await redis.del(key).catch(() => {});
        throw e;
      }
      await redis.set(key, "done", "EX", ttl);
      return true;
    },
  };
}
