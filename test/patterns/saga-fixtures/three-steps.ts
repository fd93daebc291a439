/**
 * A three-step saga (a, b, c, each with a compensation that replies) for the orchestrator tests,
 * shared by the test process and the orchestrator child process. The participants record every
 * effect they apply in `<prefix>_effects` (in their idempotent transaction, so once per command);
 * the orchestrator's onEnd records each saga's end in `<prefix>_ends` (no key: a second end would
 * show as a second row). A saga's data says where it fails (`fail: "c"` replies c.failed) or hangs
 * (`hang: "c"` never replies).
 */
import type pg from "pg";
import type { Kafka } from "../../../src/client/index.js";
import {
  postgresStore,
  type SagaOrchestrator,
  type SagaParticipant,
  type SagaStep,
  sagaOrchestrator,
  sagaParticipant,
} from "../../../src/patterns/index.js";

export const STEP_NAMES = ["a", "b", "c"] as const;

export interface SagaData {
  fail?: string;
  hang?: string;
}

export function topicsOf(prefix: string) {
  return {
    commands: Object.fromEntries(STEP_NAMES.map((s) => [s, `${prefix}.${s}.commands`])) as Record<
      string,
      string
    >,
    replies: `${prefix}.replies`,
  };
}

export async function createTables(pool: pg.Pool, prefix: string): Promise<void> {
  await pool.query(
    `CREATE TABLE IF NOT EXISTS ${prefix}_effects (seq bigserial PRIMARY KEY, saga_id text NOT NULL, action text NOT NULL)`,
  );
  await pool.query(`CREATE TABLE IF NOT EXISTS ${prefix}_ends (saga_id text NOT NULL, status text NOT NULL)`);
  for (const name of STEP_NAMES)
    await postgresStore({ pool, table: `${prefix}_processed_${name}` }).createTable();
}

export function threeStepOrchestrator(
  kafka: Kafka,
  pool: pg.Pool,
  prefix: string,
  /** Per step; `hangMs` (when given) applies instead to a saga that hangs at that step. */
  timeoutMs: Record<string, number>,
  onChange?: (id: string, status: string, step: number, cause: string) => void,
  hangMs?: number,
): SagaOrchestrator<SagaData> {
  const t = topicsOf(prefix);
  const steps: SagaStep<SagaData>[] = STEP_NAMES.map((name) => ({
    name,
    command: { topic: t.commands[name]!, build: (s) => s.data },
    reply: {
      topic: t.replies,
      success: (e) => e.type === `${name}.done`,
      failure: (e) => e.type === `${name}.failed`,
    },
    compensate: {
      command: { topic: t.commands[name]!, build: (s) => s.data },
      reply: { topic: t.replies, success: (e) => e.type === `${name}.undone` },
    },
    timeoutMs:
      hangMs === undefined
        ? (timeoutMs[name] ?? 10_000)
        : (st) => (st.data.hang === name ? hangMs : (timeoutMs[name] ?? 10_000)),
  }));
  return sagaOrchestrator<SagaData>({
    kafka,
    pool,
    name: prefix,
    table: `${prefix}_sagas`,
    steps,
    checkIntervalMs: 100,
    consumerConfig: { sessionTimeout: 3000, heartbeatInterval: 300 },
    async onEnd(state, client) {
      await client.query(`INSERT INTO ${prefix}_ends (saga_id, status) VALUES ($1, $2)`, [
        state.id,
        state.status,
      ]);
    },
    onChange: (s, cause) => onChange?.(s.id, s.status, s.step, cause),
  });
}

/** The three participants; each applies its effect after `delayMs`. */
export function threeParticipants(
  kafka: Kafka,
  pool: pg.Pool,
  prefix: string,
  delayMs = 0,
): SagaParticipant[] {
  const t = topicsOf(prefix);
  return STEP_NAMES.map((name) =>
    sagaParticipant({
      kafka,
      groupId: `${prefix}-${name}`,
      topic: t.commands[name]!,
      store: postgresStore({ pool, table: `${prefix}_processed_${name}` }),
      consumerConfig: { sessionTimeout: 3000, heartbeatInterval: 300, maxWaitTimeInMs: 100 },
      partitionsConsumedConcurrently: 3,
      emits: { [`${name}.done`]: t.replies, [`${name}.failed`]: t.replies, [`${name}.undone`]: t.replies },
      handlers: {
        [name]: async (event, ctx) => {
          const data = event.data as SagaData;
          if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
          if (data.hang === name) return;
          if (data.fail === name) {
            ctx.emit(`${name}.failed`, { reason: "asked to fail" });
            return;
          }
          await ctx.tx.query(`INSERT INTO ${prefix}_effects (saga_id, action) VALUES ($1, $2)`, [
            event.sagaId,
            name,
          ]);
          ctx.emit(`${name}.done`, {});
        },
      },
      compensations: {
        [`${name}.compensate`]: async (event, ctx) => {
          await ctx.tx.query(`INSERT INTO ${prefix}_effects (saga_id, action) VALUES ($1, $2)`, [
            event.sagaId,
            `undo ${name}`,
          ]);
          ctx.emit(`${name}.undone`, {});
        },
      },
    }),
  );
}

export async function effectsOf(pool: pg.Pool, prefix: string, sagaId: string): Promise<string[]> {
  const { rows } = await pool.query(`SELECT action FROM ${prefix}_effects WHERE saga_id = $1 ORDER BY seq`, [
    sagaId,
  ]);
  return rows.map((r) => r.action);
}
