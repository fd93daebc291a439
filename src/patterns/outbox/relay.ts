/**
 * `startOutboxRelay`: publishes the rows of an outbox table to Kafka, in one of two modes.
 *
 * - "logical": PostgreSQL logical replication (pgoutput) on a publication of the table. Rows come
 *   in commit order; the slot's confirmed position is acknowledged only after the Kafka
 *   transaction holding every row up to it committed. Needs wal_level=logical.
 * - "polling": claims unclaimed rows in batches (`FOR UPDATE SKIP LOCKED`, in insertion order),
 *   publishes them, then deletes them. It never reads "ids above the last one seen", so rows whose
 *   transactions commit out of sequence order are not skipped.
 *
 * Routing follows Debezium's outbox event router: topic `outbox.event.<aggregatetype>`, key the
 * aggregate id, value the payload's JSON text, headers `id` (the event id) and `type`, plus the
 * row's `headers` object.
 */
import { type OutboxMessage, OutboxPublisher, type OutboxKafka } from "./publisher.js";
import { OutboxError, type OutboxQueryable, quoteTable } from "./schema.js";

/** One outbox row as read from PostgreSQL. */
export interface OutboxRow {
  id: string;
  aggregatetype: string;
  aggregateid: string;
  type: string;
  payload: unknown;
  headers: Record<string, unknown> | null;
  created_at?: Date | string;
}

export interface OutboxLogger {
  info?(message: string): void;
  warn(message: string): void;
}

/** What the relay needs of a `pg` Pool. */
export interface OutboxPool extends OutboxQueryable {
  end?(): Promise<void>;
  /** pg.Pool keeps its connection settings here; logical mode opens its replication connection with them. */
  options?: object;
}

export interface OutboxRelayOptions {
  kafka: OutboxKafka;
  /** A `pg` Pool; or give connectionString and the relay makes (and ends) its own. */
  pool?: OutboxPool;
  connectionString?: string;
  mode: "logical" | "polling";
  /** Default "outbox". */
  table?: string;
  /** Logical mode: the replication slot (default `<table>_relay`), created if missing. */
  slot?: string;
  /** Logical mode: the publication (default `<table>_relay_pub`), created if missing. */
  publication?: string;
  /** The topic of a row (default `outbox.event.<aggregatetype>`). */
  topic?: (row: OutboxRow) => string;
  /** Polling mode: the wait when no row is waiting, ms (default 250). */
  pollIntervalMs?: number;
  /** Rows per Kafka transaction (default 500; logical mode keeps a PostgreSQL transaction's rows together). */
  batchSize?: number;
  /**
   * Names this relay's Kafka transactional id and progress (default: the slot in logical mode,
   * `polling.<table>` in polling mode). Two relays running at once need different ids.
   */
  relayId?: string;
  /** The one-partition topic whose committed offsets hold relay progress (default "outbox-relay-state"). */
  stateTopic?: string;
  /** Create target topics as they are first needed (default true). */
  createTopics?: boolean;
  /** Partitions of the topics the relay creates (default: the broker's default). */
  numPartitions?: number;
  logger?: OutboxLogger;
}

export interface OutboxRelayStats {
  mode: "logical" | "polling";
  /** Records published (committed in Kafka) by this relay run. */
  published: number;
  /** Kafka transactions committed. */
  batches: number;
  /** Rows skipped because an earlier run had already published them. */
  skipped: number;
  /** Errors the relay recovered from by reconnecting. */
  errors: number;
  lastError?: string;
  running: boolean;
}

export interface OutboxRelay {
  stop(): Promise<void>;
  stats(): OutboxRelayStats;
}

export const DEFAULT_STATE_TOPIC = "outbox-relay-state";

/** A wake-up for loops that wait for work or for the relay to stop. */
export class Signal {
  private waiters: Array<() => void> = [];
  notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const waiter = () => done();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.waiters.push(waiter);
    });
  }
}

export function defaultTopic(row: OutboxRow): string {
  return `outbox.event.${row.aggregatetype}`;
}

export function toKafkaMessage(
  row: OutboxRow,
  route: (row: OutboxRow) => string,
): {
  topic: string;
  message: OutboxMessage;
} {
  const headers: Record<string, string> = {};
  if (row.headers && typeof row.headers === "object") {
    for (const [name, value] of Object.entries(row.headers)) {
      if (value === null || value === undefined) continue;
      headers[name] = typeof value === "string" ? value : JSON.stringify(value);
    }
  }
  headers.id = row.id;
  headers.type = row.type;
  return {
    topic: route(row),
    message: {
      key: row.aggregateid,
      value: row.payload === null || row.payload === undefined ? null : JSON.stringify(row.payload),
      headers,
    },
  };
}

/** Shared state of a running relay, handed to the mode's session function. */
export interface RelayContext {
  options: OutboxRelayOptions;
  pool: OutboxPool;
  table: string;
  quotedTable: string;
  relayId: string;
  publisher: OutboxPublisher;
  route: (row: OutboxRow) => string;
  batchSize: number;
  stats: OutboxRelayStats;
  logger: OutboxLogger;
  isStopping(): boolean;
  /** Notified on stop(). */
  stopSignal: Signal;
  /** A session's cleanup that stop() must run to end a session blocked on PostgreSQL. */
  abortSession?: () => void;
}

const quietLogger: OutboxLogger = { warn() {} };

async function tableExists(pool: OutboxQueryable, table: string): Promise<boolean> {
  const { rows } = await pool.query("SELECT to_regclass($1) IS NOT NULL AS present", [quoteTable(table)]);
  return rows[0]?.present === true;
}

export async function startOutboxRelay(options: OutboxRelayOptions): Promise<OutboxRelay> {
  if (options.mode !== "logical" && options.mode !== "polling") {
    throw new OutboxError(
      `startOutboxRelay: mode must be "logical" or "polling", got ${String(options.mode)}`,
    );
  }
  if (!options.kafka || typeof options.kafka.producer !== "function") {
    throw new OutboxError("startOutboxRelay: kafka (a Brook or KafkaJS Kafka instance) is required");
  }
  if (!options.pool && !options.connectionString) {
    throw new OutboxError("startOutboxRelay: give pool (a pg Pool) or connectionString");
  }
  const batchSize = options.batchSize ?? 500;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new OutboxError(`startOutboxRelay: batchSize must be a whole number ≥ 1, got ${batchSize}`);
  }
  const table = options.table ?? "outbox";
  const quotedTable = quoteTable(table);
  const base = table.split(".").pop()!.toLowerCase();
  const slot = options.slot ?? `${base}_relay`;
  const relayId = options.relayId ?? (options.mode === "logical" ? slot : `polling.${table}`);
  if (!/^[A-Za-z0-9._-]+$/.test(relayId)) {
    throw new OutboxError(
      `startOutboxRelay: relayId may hold letters, digits, ".", "_" and "-", got "${relayId}"`,
    );
  }

  let ownPool: OutboxPool | undefined;
  let pool = options.pool;
  if (!pool) {
    const pg = await importOptional<typeof import("pg")>("pg");
    const made = new pg.Pool({ connectionString: options.connectionString });
    // Idle connections die with a PostgreSQL restart; the relay's own queries report it.
    made.on("error", () => {});
    ownPool = pool = made as unknown as OutboxPool;
  }
  const logger = options.logger ?? quietLogger;
  const publisher = new OutboxPublisher({
    kafka: options.kafka,
    relayId,
    stateTopic: options.stateTopic ?? DEFAULT_STATE_TOPIC,
    createTopics: options.createTopics ?? true,
    numPartitions: options.numPartitions,
  });
  const stats: OutboxRelayStats = {
    mode: options.mode,
    published: 0,
    batches: 0,
    skipped: 0,
    errors: 0,
    running: true,
  };
  let stopping = false;
  const stopSignal = new Signal();
  const context: RelayContext = {
    options,
    pool,
    table,
    quotedTable,
    relayId,
    publisher,
    route: options.topic ?? defaultTopic,
    batchSize,
    stats,
    logger,
    isStopping: () => stopping,
    stopSignal,
  };

  try {
    // Mistakes in setup fail the start; later errors (PostgreSQL or Kafka going away) are retried.
    if (!(await tableExists(pool, table))) {
      throw new OutboxError(
        `outbox relay: table ${quotedTable} does not exist; create it with createOutboxTable(pool${table === "outbox" ? "" : `, { table: "${table}" }`})`,
      );
    }
    let session: (context: RelayContext) => Promise<void>;
    if (options.mode === "logical") {
      const logical = await import("./logical.js");
      await logical.prepareLogical(context, slot, options.publication ?? `${base}_relay_pub`);
      session = logical.logicalSession;
    } else {
      const polling = await import("./polling.js");
      await polling.preparePolling(context);
      session = polling.pollingSession;
    }
    await publisher.open();

    const loop = (async () => {
      let delay = 200;
      while (!stopping) {
        try {
          await session(context);
          delay = 200;
        } catch (e) {
          if (stopping) break;
          stats.errors++;
          stats.lastError = e instanceof Error ? e.message : String(e);
          logger.warn(`outbox relay: ${stats.lastError}; retrying in ${delay} ms`);
          await publisher.reset();
          await stopSignal.wait(delay);
          delay = Math.min(delay * 2, 5000);
        }
      }
    })();

    return {
      stats: () => ({ ...stats }),
      async stop() {
        if (!stopping) {
          stopping = true;
          stopSignal.notify();
          context.abortSession?.();
        }
        await loop;
        stats.running = false;
        await publisher.close();
        await ownPool?.end?.();
        ownPool = undefined;
      },
    };
  } catch (e) {
    await publisher.close();
    await ownPool?.end?.();
    throw e;
  }
}

/** Loads an optional peer dependency of brook/patterns, naming it when it is not installed. */
export async function importOptional<T>(name: string): Promise<T> {
  try {
    const mod = (await import(name)) as T & { default?: T };
    return (mod.default ?? mod) as T;
  } catch (e) {
    if ((e as { code?: string }).code === "ERR_MODULE_NOT_FOUND") {
      throw new OutboxError(`outbox relay: this mode needs the package "${name}": npm install ${name}`);
    }
    throw e;
  }
}
