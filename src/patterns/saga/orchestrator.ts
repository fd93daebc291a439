/**
 * `sagaOrchestrator`: a saga driven by one coordinator whose state lives in PostgreSQL, one row per
 * saga instance (id, step, status, data, deadline). It sends each step's command, waits for the
 * step's reply until the step's deadline, and on a failure reply sends the compensating commands
 * of the completed steps in reverse order; on a missed deadline, of the timed-out step too (its
 * command may have taken effect, only its reply late). A compensation without a reply is sent and
 * passed; one with a reply is waited for and re-sent after each timeout, never given up.
 *
 * Every change of a saga happens in one PostgreSQL transaction holding the saga's row lock, and the
 * command it calls for is sent (and acknowledged) before that transaction commits. A crash before
 * the commit leaves the row as it was: the reply that caused the change is delivered again (its
 * offset is committed after), or the deadline fires again, and the same command goes out again with
 * the same `event-id`, which an idempotent participant drops. Replies that do not match the row's
 * current step and phase (late, duplicated) change nothing. Deadlines are kept in the table and
 * checked against the database clock, so after a restart pending deadlines still fire.
 */
import type { BrookConsumerConfig, Consumer } from "../../client/consumer/types.js";
import type { Kafka } from "../../client/kafka.js";
import type { Producer } from "../../client/producer/types.js";
import type { KafkaMessage } from "../../client/types.js";
import { readSagaEvent, SagaError, type SagaEvent, SagaHeaders } from "./events.js";

export type SagaStatus = "running" | "compensating" | "completed" | "compensated";

export interface SagaState<T = any> {
  id: string;
  /** The step being run (running) or undone (compensating); steps.length once completed. */
  step: number;
  status: SagaStatus;
  data: T;
  deadline: Date | null;
  /** Why the saga compensated: the failure reply's type, or "timeout at <step>". */
  error: string | null;
  /** Commands re-sent after a compensation's deadline passed. */
  resends: number;
  /** False between a saga's insert and the send of its first command. */
  dispatched: boolean;
}

export interface SagaCommand<T = any> {
  topic: string;
  /** The `event-type` header (default `<step name>` or `<step name>.compensate`). */
  type?: string;
  build(state: SagaState<T>): unknown;
}

export interface SagaStep<T = any> {
  name: string;
  command: SagaCommand<T>;
  reply: {
    topic: string;
    success(event: SagaEvent): boolean;
    failure?(event: SagaEvent): boolean;
    /** The saga's data after a successful reply (default unchanged). */
    update?(data: T, event: SagaEvent): T;
  };
  /** How to undo the step. Without `reply`, the compensation is sent and the saga moves on. */
  compensate?: {
    command: SagaCommand<T>;
    reply?: { topic: string; success(event: SagaEvent): boolean };
  };
  /**
   * How long to wait for the reply (and for a compensation's reply before re-sending it), ms; or
   * a function of the saga, for timeouts that depend on its data.
   */
  timeoutMs: number | ((state: SagaState<T>) => number);
}

/** What `pg`'s pool offers that the orchestrator uses. */
export interface SagaPgClient {
  query(text: string, values?: unknown[]): Promise<{ rows: any[]; rowCount: number | null }>;
  release(error?: Error | boolean): void;
}
export interface SagaPgPool {
  connect(): Promise<SagaPgClient>;
  query(text: string, values?: unknown[]): Promise<{ rows: any[]; rowCount: number | null }>;
}

export interface SagaOrchestratorOptions<T = any> {
  kafka: Kafka;
  pool: SagaPgPool;
  /** The saga's name (letters, digits, _ . -): the `saga-name` header and default group. */
  name: string;
  steps: SagaStep<T>[];
  /** The state table, "name" or "schema.name" (default `saga_<name>` with . and - as _). */
  table?: string;
  /** The consumer group reading replies (default `<name>-orchestrator`). */
  groupId?: string;
  /** More settings for the reply consumer (session timeout, ...). */
  consumerConfig?: Omit<BrookConsumerConfig, "groupId">;
  /** Reply partitions handled at once (default 4). */
  partitionsConsumedConcurrently?: number;
  /** How often deadlines are checked (default 250 ms). */
  checkIntervalMs?: number;
  /**
   * Called in the saga's transaction when it ends (completed or compensated), with that
   * transaction's client: the application's own writes then commit with the saga's end.
   */
  onEnd?(state: SagaState<T>, client: SagaPgClient): Promise<void>;
  /** Called after each committed change (for logs and tests). */
  onChange?(state: SagaState<T>, cause: string): void;
}

export interface SagaOrchestrator<T = any> {
  readonly table: string;
  createTable(): Promise<void>;
  /** Connects, subscribes to the replies and starts checking deadlines. */
  run(): Promise<void>;
  stop(): Promise<void>;
  /** Starts a saga (sends step 0's command); false if a saga with this id exists already. */
  start(id: string, data: T): Promise<boolean>;
  get(id: string): Promise<SagaState<T> | undefined>;
  readonly consumer: Consumer | undefined;
}

const NAME = /^[A-Za-z0-9_.-]+$/;

function quoteTable(table: string): string {
  const parts = table.split(".");
  if (parts.length > 2 || parts.some((p) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(p))) {
    throw new TypeError(
      `sagaOrchestrator: table must be a name or schema.name of letters, digits and _, got "${table}"`,
    );
  }
  return parts.map((p) => `"${p}"`).join(".");
}

function rowToState<T>(row: any): SagaState<T> {
  return {
    id: row.id,
    step: row.step,
    status: row.status,
    data: row.data,
    deadline: row.deadline,
    error: row.error,
    resends: row.resends,
    dispatched: row.dispatched,
  };
}

export function sagaOrchestrator<T = any>(options: SagaOrchestratorOptions<T>): SagaOrchestrator<T> {
  const { kafka, pool, name, steps } = options;
  if (typeof name !== "string" || !NAME.test(name)) {
    throw new TypeError(`sagaOrchestrator: name must be letters, digits, _ . -, got "${name}"`);
  }
  if (!Array.isArray(steps) || steps.length === 0)
    throw new TypeError("sagaOrchestrator: steps must be a non-empty array");
  const names = new Set<string>();
  for (const [i, s] of steps.entries()) {
    if (!s || typeof s.name !== "string" || s.name === "")
      throw new TypeError(`sagaOrchestrator: step ${i} needs a name`);
    if (names.has(s.name)) throw new TypeError(`sagaOrchestrator: two steps are named "${s.name}"`);
    names.add(s.name);
    if (!s.command?.topic || typeof s.command.build !== "function")
      throw new TypeError(`sagaOrchestrator: step "${s.name}" needs command.topic and command.build`);
    if (!s.reply?.topic || typeof s.reply.success !== "function")
      throw new TypeError(`sagaOrchestrator: step "${s.name}" needs reply.topic and reply.success`);
    if (typeof s.timeoutMs !== "function" && (!Number.isFinite(s.timeoutMs) || s.timeoutMs <= 0))
      throw new TypeError(
        `sagaOrchestrator: step "${s.name}" needs timeoutMs > 0 (or a function of the saga), got ${s.timeoutMs}`,
      );
    if (s.compensate && (!s.compensate.command?.topic || typeof s.compensate.command.build !== "function"))
      throw new TypeError(
        `sagaOrchestrator: step "${s.name}" compensate needs command.topic and command.build`,
      );
  }
  const table = quoteTable(options.table ?? `saga_${name.replace(/[.-]/g, "_")}`);
  const groupId = options.groupId ?? `${name}-orchestrator`;
  const checkIntervalMs = options.checkIntervalMs ?? 250;
  const replyTopics = [
    ...new Set(
      steps.flatMap((s) => [s.reply.topic, ...(s.compensate?.reply ? [s.compensate.reply.topic] : [])]),
    ),
  ];

  /** A step's timeout for this saga (a function's answer checked like a number's). */
  function timeoutOf(step: SagaStep<T>, state: SagaState<T>): number {
    const ms = typeof step.timeoutMs === "function" ? step.timeoutMs(state) : step.timeoutMs;
    if (!Number.isFinite(ms) || ms <= 0) {
      throw new SagaError(`sagaOrchestrator: step "${step.name}" timeoutMs gave ${ms} for saga ${state.id}`);
    }
    return Math.round(ms);
  }

  let producer: Producer | undefined;
  let consumer: Consumer | undefined;
  let timer: NodeJS.Timeout | undefined;
  let checking: Promise<void> | undefined;
  let stopped = true;

  /** Sends the command the row's (status, step) calls for. */
  async function sendCommand(state: SagaState<T>): Promise<void> {
    const step = steps[state.step]!;
    const undo = state.status === "compensating";
    const command = undo ? step.compensate!.command : step.command;
    const type = command.type ?? (undo ? `${step.name}.compensate` : step.name);
    const deadline = state.deadline ? state.deadline.getTime() : Date.now() + timeoutOf(step, state);
    await producer!.send({
      topic: command.topic,
      messages: [
        {
          key: state.id,
          value: JSON.stringify(command.build(state) ?? null),
          headers: {
            [SagaHeaders.eventId]: `${name}/${state.id}/${state.step}/${undo ? "undo" : "do"}`,
            [SagaHeaders.eventType]: type,
            [SagaHeaders.sagaId]: state.id,
            [SagaHeaders.sagaName]: name,
            [SagaHeaders.step]: String(state.step),
            [SagaHeaders.phase]: undo ? "undo" : "do",
            [SagaHeaders.deadline]: String(deadline),
          },
        },
      ],
    });
  }

  /**
   * The row moved to (status, step): enter it. Compensations without a reply are sent and passed
   * at once; a compensation to run is looked for from `step` down; the ends call onEnd.
   */
  async function enter(client: SagaPgClient, state: SagaState<T>): Promise<SagaState<T>> {
    for (;;) {
      if (state.status === "compensating") {
        while (state.step >= 0 && !steps[state.step]!.compensate) state.step--;
        if (state.step < 0) {
          state = { ...state, status: "compensated", step: 0, deadline: null };
          continue;
        }
      }
      if (state.status === "completed" || state.status === "compensated") {
        await save(client, { ...state, deadline: null });
        await options.onEnd?.(state, client);
        return state;
      }
      const step = steps[state.step]!;
      const { rows } = await client.query(`SELECT now() + $1::int * interval '1 millisecond' AS deadline`, [
        timeoutOf(step, state),
      ]);
      state = { ...state, deadline: rows[0].deadline };
      await sendCommand(state);
      if (state.status === "compensating" && !step.compensate!.reply) {
        state = { ...state, step: state.step - 1 };
        continue;
      }
      await save(client, state);
      return state;
    }
  }

  async function save(client: SagaPgClient, s: SagaState<T>): Promise<void> {
    await client.query(
      `UPDATE ${table} SET step = $2, status = $3, data = $4, deadline = $5, error = $6, resends = $7, dispatched = true, updated_at = now() WHERE id = $1`,
      [s.id, s.step, s.status, JSON.stringify(s.data ?? null), s.deadline, s.error, s.resends],
    );
  }

  /** Runs `change` on the locked row in one transaction; returns the new state and its cause. */
  async function inTransaction(
    id: string,
    change: (client: SagaPgClient, state: SagaState<T>) => Promise<[SagaState<T>, string] | undefined>,
    skipLocked = false,
  ): Promise<void> {
    const client = await pool.connect();
    let healthy = true;
    try {
      await client.query("BEGIN");
      const { rows } = await client.query(
        `SELECT * FROM ${table} WHERE id = $1 FOR UPDATE${skipLocked ? " SKIP LOCKED" : ""}`,
        [id],
      );
      const changed = rows[0] ? await change(client, rowToState<T>(rows[0])) : undefined;
      await client.query("COMMIT");
      if (changed) options.onChange?.(changed[0], changed[1]);
    } catch (e) {
      await client.query("ROLLBACK").catch(() => {
        healthy = false;
      });
      throw e;
    } finally {
      client.release(healthy ? undefined : true);
    }
  }

  async function onReply(topic: string, partition: number, message: KafkaMessage): Promise<void> {
    const event = readSagaEvent(topic, partition, message);
    const headers = message.headers;
    const text = (h: string) => {
      const v = headers?.[h];
      const one = Array.isArray(v) ? v[v.length - 1] : v;
      return one === undefined ? undefined : one.toString();
    };
    if (text(SagaHeaders.sagaName) !== name || !event.sagaId) return;
    const stepIndex = Number(text(SagaHeaders.step));
    const phase = text(SagaHeaders.phase);
    await inTransaction(event.sagaId, async (client, state) => {
      if (state.step !== stepIndex) return undefined;
      const step = steps[stepIndex]!;
      if (state.status === "running" && phase === "do" && topic === step.reply.topic) {
        if (step.reply.success(event)) {
          const data = step.reply.update ? step.reply.update(state.data, event) : state.data;
          const next: SagaState<T> =
            stepIndex + 1 < steps.length
              ? { ...state, data, step: stepIndex + 1 }
              : { ...state, data, status: "completed", step: steps.length };
          return [await enter(client, next), `${event.type} (${step.name} done)`];
        }
        if (step.reply.failure?.(event)) {
          const next: SagaState<T> = {
            ...state,
            status: "compensating",
            step: stepIndex - 1,
            error: event.type,
          };
          return [await enter(client, next), `${event.type} (${step.name} failed)`];
        }
        return undefined;
      }
      if (
        state.status === "compensating" &&
        phase === "undo" &&
        step.compensate?.reply &&
        topic === step.compensate.reply.topic &&
        step.compensate.reply.success(event)
      ) {
        return [
          await enter(client, { ...state, step: stepIndex - 1 }),
          `${event.type} (${step.name} undone)`,
        ];
      }
      return undefined;
    });
  }

  /** Fires the deadlines that passed (by the database clock). */
  async function checkDeadlines(): Promise<void> {
    const { rows } = await pool.query(
      `SELECT id FROM ${table} WHERE (status IN ('running', 'compensating') AND deadline <= now()) OR (status = 'running' AND NOT dispatched) ORDER BY deadline NULLS FIRST LIMIT 100`,
    );
    for (const { id } of rows) {
      if (stopped) return;
      await inTransaction(
        id,
        async (client, state) => {
          if (state.status !== "running" && state.status !== "compensating") return undefined;
          // Inserted, and its starter stopped before sending the first command.
          if (!state.dispatched) return [await enter(client, state), "started (first command sent late)"];
          const { rows: due } = await client.query(`SELECT $1::timestamptz <= now() AS due`, [
            state.deadline,
          ]);
          if (!due[0].due) return undefined;
          const step = steps[state.step]!;
          if (state.status === "running") {
            // The timed-out step is undone too: its command may have taken effect with only the
            // reply late. Its compensation goes to the same topic and key, so it is handled after
            // the command, and must be a no-op for a step that never happened.
            const next: SagaState<T> = {
              ...state,
              status: "compensating",
              step: state.step,
              error: `timeout at ${step.name}`,
            };
            return [await enter(client, next), `timeout at ${step.name}`];
          }
          // A compensation must not be given up: send it again (same event id) and wait again.
          return [
            await enter(client, { ...state, resends: state.resends + 1 }),
            `timeout undoing ${step.name}`,
          ];
        },
        true,
      );
    }
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      checking = checkDeadlines()
        .catch(() => {
          // PostgreSQL or Kafka unavailable: the same deadlines are looked at again next time.
        })
        .finally(() => {
          checking = undefined;
          schedule();
        });
    }, checkIntervalMs);
  }

  return {
    table,
    get consumer() {
      return consumer;
    },
    async createTable() {
      await pool.query(
        `CREATE TABLE IF NOT EXISTS ${table} (
          id text PRIMARY KEY,
          step int NOT NULL,
          status text NOT NULL,
          data jsonb,
          deadline timestamptz,
          error text,
          resends int NOT NULL DEFAULT 0,
          dispatched boolean NOT NULL DEFAULT false,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now()
        )`,
      );
      await pool.query(
        `CREATE INDEX IF NOT EXISTS ${JSON.stringify(`${table.replace(/"/g, "").replace(/\./g, "_")}_deadline`)} ON ${table} (deadline) WHERE status IN ('running', 'compensating')`,
      );
    },
    async run() {
      if (!stopped) throw new SagaError("sagaOrchestrator: run() was already called");
      stopped = false;
      try {
        producer = kafka.producer({ idempotent: true });
        await producer.connect();
        consumer = kafka.consumer({ maxWaitTimeInMs: 100, ...options.consumerConfig, groupId });
        await consumer.connect();
        await consumer.subscribe({ topics: replyTopics, fromBeginning: true });
      } catch (e) {
        // Not started: run() may be called again.
        stopped = true;
        await consumer?.disconnect().catch(() => {});
        await producer?.disconnect().catch(() => {});
        consumer = undefined;
        producer = undefined;
        throw e;
      }
      await consumer.run({
        // Partitions at once: one saga's replies share a partition (keyed by its id), so they stay in order.
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 4,
        eachMessage: async ({ topic, partition, message }) => {
          try {
            await onReply(topic, partition, message);
          } catch (e) {
            // A reply that is not JSON can never be read: skipping it is all that can be done
            // (the step's deadline will compensate the saga).
            if ((e as Error).name === "SagaMessageError") return;
            throw e;
          }
        },
      });
      schedule();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await checking;
      await consumer?.disconnect();
      await producer?.disconnect();
      consumer = undefined;
      producer = undefined;
    },
    async start(id, data) {
      if (typeof id !== "string" || id === "")
        throw new TypeError("sagaOrchestrator.start: id must be a non-empty string");
      if (!producer) throw new SagaError("sagaOrchestrator.start: call run() first");
      // The row commits first, the command goes out in a second transaction holding its lock: a
      // reply (however fast) then finds the row, and waits for the lock. A crash in between leaves
      // an undispatched row, which the deadline check dispatches.
      const inserted = await pool.query(
        `INSERT INTO ${table} (id, step, status, data) VALUES ($1, 0, 'running', $2) ON CONFLICT (id) DO NOTHING RETURNING id`,
        [id, JSON.stringify(data ?? null)],
      );
      if (inserted.rows.length === 0) return false;
      let state: SagaState<T> | undefined;
      await inTransaction(id, async (client, current) => {
        if (current.dispatched) return undefined;
        state = await enter(client, current);
        return undefined;
      });
      if (state) options.onChange?.(state, "started");
      return true;
    },
    async get(id) {
      const { rows } = await pool.query(`SELECT * FROM ${table} WHERE id = $1`, [id]);
      return rows[0] ? rowToState<T>(rows[0]) : undefined;
    },
  };
}
