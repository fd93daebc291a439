/**
 * Shared pieces of the pattern tests: the local PostgreSQL (or why it is missing), a quiet client, bounded polling, unique names, and a reader
 * that collects a whole topic (read_committed) through a consumer group of its own.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { type Admin, Kafka, type KafkaMessage, logLevel } from "../../src/client/index.js";
import { LineProcess } from "../support/line-process.js";

/** The machine's own PostgreSQL (database `test`) the pattern and example tests share. */
export const PG = { host: "127.0.0.1", port: 5432, database: "test", user: process.env.PGUSER ?? "postgres" };

/** Why PostgreSQL at PG cannot be used (a skip message naming what to install), or false. */
export async function postgresMissing(): Promise<string | false> {
  const client = new pg.Client({ ...PG, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return false;
  } catch (e) {
    return `PostgreSQL is not reachable at 127.0.0.1:5432 database test (${(e as Error).message}); start it (Debian: apt-get install postgresql; pg_ctlcluster <version> main start)`;
  } finally {
    await client.end().catch(() => {});
  }
}

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** `node --import tsx <args>` in the repository root, its output read line by line; SIGKILLed if the test process exits first. */
export function spawnTsx(args: string[]): LineProcess {
  const proc = spawn(process.execPath, ["--import", "tsx", ...args], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const killOnExit = () => proc.kill("SIGKILL");
  process.on("exit", killOnExit);
  proc.on("exit", () => process.off("exit", killOnExit));
  return new LineProcess(proc);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function quietKafka(bootstrap: string, clientId = "patterns-test"): Kafka {
  return new Kafka({ clientId, brokers: [bootstrap], logLevel: logLevel.NOTHING });
}

let seq = 0;
/** A name no other test (or earlier run on a kept data dir) uses. */
export function unique(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${++seq}`;
}

/** Polls `fn` until truthy; throws naming `what` after `ms` (monotonic clock). */
export async function until<T>(fn: () => T | Promise<T>, ms: number, what: string, step = 50): Promise<T> {
  const deadline = performance.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(step);
  }
}

export async function createTopic(admin: Admin, topic: string, numPartitions: number): Promise<void> {
  await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true });
}

export interface ReadRecord {
  partition: number;
  message: KafkaMessage;
}

/**
 * Every record of `topic` up to its end offsets now (read_committed unless asked), through a fresh group.
 */
export async function readAll(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  ms = 20_000,
  readUncommitted = false,
): Promise<ReadRecord[]> {
  const ends = await admin.fetchTopicOffsets(topic);
  const wanted = ends.filter((p) => BigInt(p.high) > BigInt(p.low));
  const out: ReadRecord[] = [];
  if (wanted.length === 0) return out;
  const consumer = kafka.consumer({ groupId: unique("reader"), maxWaitTimeInMs: 100, readUncommitted });
  const reached = new Set<number>();
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        out.push({ partition, message });
      },
    });
    await until(
      async () => {
        for (const l of await consumer.lag()) {
          const end = ends.find((e) => e.partition === l.partition)!;
          if (BigInt(l.offset) >= BigInt(end.high)) reached.add(l.partition);
        }
        return wanted.every((p) => reached.has(p.partition));
      },
      ms,
      `reading ${topic} to its end`,
    );
  } finally {
    await consumer.disconnect();
  }
  return out;
}

export function header(message: KafkaMessage, name: string): string | undefined {
  const v = message.headers?.[name];
  const one = Array.isArray(v) ? v[v.length - 1] : v;
  return one === undefined ? undefined : one.toString();
}
