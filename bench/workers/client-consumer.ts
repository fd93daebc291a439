/**
 * One consumer client in one child process (bench/suites/client.ts spawns it with an IPC channel;
 * Node 24 for @platformatic/kafka, Node 20 for the rest). Argument: a JSON `ConsumerWorkerArgs`.
 * The worker talks to the suite with `ToSuite` / `ToWorker` messages and exits when told to stop
 * or when its task is done.
 *
 * Tasks:
 * - consume: read every record of a pre-produced topic from the beginning under a new group and
 *   time the first record to the last; the count and the offsets seen per partition are checked
 *   against the topic's end offsets (each offset exactly once), else the run reports an error.
 * - member: one member of a group for the rebalance shape. It loads, says "loaded", waits for "go",
 *   then connects (the time of that call is its `connectAt`) and reports, every 20 ms, the
 *   partitions it consumed from and when (one entry per partition and millisecond).
 * - latency: consume a topic that a paced producer writes records stamped with their creation time
 *   (16 digits, microseconds since the epoch, padded to 100 bytes); reports "first" once any record
 *   arrived (the suite starts the paced producer then) and, past a warm-up, the percentiles of
 *   delivery time minus stamp.
 *
 * Modes, per client (what each offers closest to KafkaJS's eachMessage and eachBatch):
 * - Brook's client, KafkaJS and @confluentinc/kafka-javascript (its KafkaJS API): eachMessage and
 *   eachBatch (iterating `batch.messages`), with their defaults (auto-commit on);
 * - @platformatic/kafka: its messages stream, read with `for await` (one message at a time, like
 *   eachMessage) or with 'data' events (flowing, its fastest form) for the batch row;
 * - node-rdkafka: the flowing `consume()` loop ('data' per message) for eachMessage, and
 *   `consume(1000, cb)` called back to back for eachBatch.
 * The handler does the same small work for every client: count, sum the offsets per partition,
 * add up the value bytes.
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { ClientKey } from "./client-producer.js";

export type ConsumeMode = "each-message" | "each-batch";
/** Assignors for the rebalance shape; "default" is the client's own default. */
export type AssignorKey = "default" | "range" | "cooperative-sticky";

export interface ConsumerWorkerArgs {
  task: "consume" | "member" | "latency";
  client: ClientKey;
  mode: ConsumeMode;
  bootstrap: string;
  topic: string;
  groupId: string;
  /** Folder whose package.json resolves the client package (the bench cache), or the repo root. */
  resolveFrom: string;
  /** consume: the end offset of each partition (records start at offset 0, none are missing). */
  endOffsets?: number[];
  /** latency: how many stamped records to measure, after skipping the first `skipStamped` (warm-up). */
  stamped?: number;
  skipStamped?: number;
  /** member: group settings. */
  assignor?: AssignorKey;
  heartbeatInterval?: number;
  sessionTimeout?: number;
}

export interface ConsumeResult {
  records: number;
  bytes: number;
  /** First record delivered to the last. */
  seconds: number;
  /** connect() called to the first record delivered (connection, group join, first fetch). */
  firstRecordSeconds: number;
  /** User + system CPU of this process from the first record to the last. */
  cpuSeconds: number;
  error?: string;
}

export interface LatencyResult {
  count: number;
  p50us: number;
  p99us: number;
  p999us: number;
  maxUs: number;
  error?: string;
}

export type ToSuite =
  | { type: "loaded" }
  | { type: "connecting"; at: number }
  | { type: "consumed"; at: number[]; partition: number[] }
  | { type: "first" }
  | { type: "consume-result"; result: ConsumeResult }
  | { type: "latency-result"; result: LatencyResult }
  | { type: "error"; message: string };

export type ToWorker = { type: "go" } | { type: "stop" };

/** (partition, offset, value) for each message, the same work for every client. */
type Handler = (partition: number, offset: number, value: Buffer | null) => void;

interface ConsumerAdapter {
  /** Connects, joins, and starts delivering messages to `handler`. */
  start(handler: Handler): Promise<void>;
  close(): Promise<void>;
}

/** KafkaJS's run() options that hand every record to `h`, per message or per batch. */
function kafkaJsRunConfig(mode: ConsumeMode, h: Handler) {
  return mode === "each-message"
    ? {
        eachMessage: async ({ partition, message }: any) =>
          h(partition, Number(message.offset), message.value),
      }
    : {
        eachBatch: async ({ batch }: any) => {
          const p = batch.partition;
          for (const m of batch.messages) h(p, Number(m.offset), m.value);
        },
      };
}

/** Milliseconds since the epoch with sub-millisecond precision, comparable across processes. */
const wallMs = () => performance.timeOrigin + performance.now();
const wallUs = () => Math.round(wallMs() * 1000);
/** The 16-digit creation stamp (µs) the paced producer puts at the start of each value. */
const STAMPED_SIZE = 100;
const stampOf = (v: Buffer) => Number(v.toString("latin1", 0, 16));

function send(m: ToSuite): void {
  process.send?.(m);
}

/** Brook's client and KafkaJS: the same API. */
async function kafkajsLike(a: ConsumerWorkerArgs, mod: any, brook: boolean): Promise<ConsumerAdapter> {
  const { Kafka, logLevel } = mod;
  const kafka = new Kafka({ clientId: "bench", brokers: [a.bootstrap], logLevel: logLevel.NOTHING });
  const group: Record<string, unknown> = { groupId: a.groupId, allowAutoTopicCreation: false };
  if (a.heartbeatInterval) group.heartbeatInterval = a.heartbeatInterval;
  if (a.sessionTimeout) group.sessionTimeout = a.sessionTimeout;
  if (brook && a.assignor === "cooperative-sticky")
    group.partitionAssigners = [mod.PartitionAssigners.cooperativeSticky];
  else if (brook && a.assignor === "range") group.partitionAssigners = [mod.PartitionAssigners.range];
  else if (a.assignor && a.assignor !== "default")
    throw new Error(`assignor ${a.assignor} is not offered by this client`);
  const consumer = kafka.consumer(group);
  return {
    start: async (h) => {
      await consumer.connect();
      await consumer.subscribe({ topics: [a.topic], fromBeginning: true });
      await consumer.run(kafkaJsRunConfig(a.mode, h));
    },
    close: () => consumer.disconnect(),
  };
}

/** @confluentinc/kafka-javascript through its KafkaJS-style API (librdkafka underneath). */
async function confluent(a: ConsumerWorkerArgs, mod: any): Promise<ConsumerAdapter> {
  const { Kafka, logLevel } = mod.KafkaJS;
  if (a.assignor && a.assignor !== "default")
    throw new Error(`assignor ${a.assignor} not wired for this client`);
  const kafka = new Kafka({
    kafkaJS: { clientId: "bench", brokers: [a.bootstrap], logLevel: logLevel.NOTHING },
  });
  // Its KafkaJS API takes fromBeginning on the consumer, not on subscribe().
  const consumer = kafka.consumer({ kafkaJS: { groupId: a.groupId, fromBeginning: true } });
  return {
    start: async (h) => {
      await consumer.connect();
      await consumer.subscribe({ topics: [a.topic] });
      await consumer.run(kafkaJsRunConfig(a.mode, h));
    },
    close: () => consumer.disconnect(),
  };
}

async function platformatic(a: ConsumerWorkerArgs, mod: any): Promise<ConsumerAdapter> {
  if (a.assignor && a.assignor !== "default")
    throw new Error(`assignor ${a.assignor} not wired for this client`);
  // No deserializers: keys and values stay Buffers, as with the other clients.
  const consumer = new mod.Consumer({
    clientId: "bench",
    groupId: a.groupId,
    bootstrapBrokers: [a.bootstrap],
    ...(a.heartbeatInterval ? { heartbeatInterval: a.heartbeatInterval } : {}),
    ...(a.sessionTimeout ? { sessionTimeout: a.sessionTimeout } : {}),
  });
  let stream: any = null;
  let reading: Promise<void> = Promise.resolve();
  return {
    start: async (h) => {
      stream = await consumer.consume({ topics: [a.topic], mode: "earliest" });
      if (a.mode === "each-message") {
        const s = stream;
        reading = (async () => {
          for await (const m of s) h(m.partition, Number(m.offset), m.value);
        })().catch(() => {});
      } else {
        stream.on("data", (m: any) => h(m.partition, Number(m.offset), m.value));
      }
    },
    close: async () => {
      await stream?.close();
      await reading;
      await consumer.close(true);
    },
  };
}

/** node-rdkafka: the flowing consume loop, or consume(1000) batches back to back. */
async function rdkafka(a: ConsumerWorkerArgs, mod: any): Promise<ConsumerAdapter> {
  const conf: Record<string, unknown> = {
    "client.id": "bench",
    "group.id": a.groupId,
    "metadata.broker.list": a.bootstrap,
    // A batch call returns what is there once its partitions are at their end, instead of waiting
    // its whole timeout for the 1000 it asked for.
    "enable.partition.eof": a.mode === "each-batch",
  };
  if (a.sessionTimeout) conf["session.timeout.ms"] = a.sessionTimeout;
  if (a.heartbeatInterval) conf["heartbeat.interval.ms"] = a.heartbeatInterval;
  if (a.assignor === "cooperative-sticky") conf["partition.assignment.strategy"] = "cooperative-sticky";
  else if (a.assignor === "range") conf["partition.assignment.strategy"] = "range";
  const consumer = new mod.KafkaConsumer(conf, { "auto.offset.reset": "earliest" });
  let stopped = false;
  return {
    start: async (h) => {
      await new Promise<void>((resolve, reject) => {
        consumer.once("ready", () => resolve());
        consumer.once("event.error", reject);
        consumer.connect();
      });
      consumer.subscribe([a.topic]);
      if (a.mode === "each-message") {
        consumer.on("data", (m: any) => h(m.partition, m.offset, m.value));
        consumer.consume();
      } else {
        const next = () => {
          if (stopped) return;
          consumer.consume(1000, (err: Error | null, messages: any[]) => {
            if (!err) for (const m of messages) h(m.partition, m.offset, m.value);
            if (!stopped) setImmediate(next);
          });
        };
        next();
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        stopped = true;
        consumer.disconnect(() => resolve());
      }),
  };
}

async function load(a: ConsumerWorkerArgs): Promise<ConsumerAdapter> {
  const req = createRequire(join(a.resolveFrom, "package.json"));
  switch (a.client) {
    case "brook":
      return kafkajsLike(
        a,
        await import(pathToFileURL(join(a.resolveFrom, "src/client/index.ts")).href),
        true,
      );
    case "kafkajs":
      return kafkajsLike(a, req("kafkajs"), false);
    case "confluent":
      return confluent(a, req("@confluentinc/kafka-javascript"));
    case "platformatic": {
      // ESM only: import its entry by path (the cache folder is outside Brook's node_modules).
      const dir = join(a.resolveFrom, "node_modules", "@platformatic", "kafka");
      return platformatic(a, await import(pathToFileURL(join(dir, "dist", "index.js")).href));
    }
    case "rdkafka":
      return rdkafka(a, req("node-rdkafka"));
  }
}

const errText = (e: unknown) =>
  (e instanceof Error ? `${e.name}: ${e.message}` : String(e)).split("\n")[0]!.slice(0, 300);

/** Resolves when the suite says "go" or "stop" (whichever comes first), with that message's type. */
function nextFromSuite(): Promise<ToWorker["type"]> {
  return new Promise((resolve) => process.once("message", (m: ToWorker) => resolve(m.type)));
}

async function consumeAll(a: ConsumerWorkerArgs, c: ConsumerAdapter): Promise<ConsumeResult> {
  const ends = a.endOffsets ?? [];
  const total = ends.reduce((s, x) => s + x, 0);
  const counts = new Float64Array(ends.length);
  const sums = new Float64Array(ends.length);
  let records = 0;
  let bytes = 0;
  let strays = 0;
  let t0 = 0;
  let tFirst = 0;
  let tLast = 0;
  let cpu0 = process.cpuUsage();
  let cpu = process.cpuUsage();
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const handler: Handler = (partition, offset, value) => {
    if (records === 0) {
      tFirst = performance.now();
      cpu0 = process.cpuUsage();
    }
    if (partition < ends.length) {
      counts[partition]! += 1;
      sums[partition]! += offset;
    } else strays++;
    records++;
    if (value) bytes += value.length;
    if (records === total) {
      tLast = performance.now();
      cpu = process.cpuUsage(cpu0);
      done();
    }
  };
  t0 = performance.now();
  await c.start(handler);
  // A client that stops short of the end would hang the run: give up after 30 s without progress.
  let seen = -1;
  const stall = new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (records === total || records === seen) {
        clearInterval(timer);
        resolve();
      }
      seen = records;
    }, 30_000);
    finished.then(() => {
      clearInterval(timer);
      resolve();
    });
  });
  await Promise.race([finished, stall]);
  const result: ConsumeResult = {
    records,
    bytes,
    seconds: (tLast - tFirst) / 1000,
    firstRecordSeconds: (tFirst - t0) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
  const wrong: string[] = [];
  if (records !== total) wrong.push(`${records} of ${total} records after 30 s without progress`);
  if (strays) wrong.push(`${strays} records from unknown partitions`);
  ends.forEach((end, p) => {
    // Each offset 0..end-1 exactly once: the count and the sum of the offsets both match.
    if (counts[p] !== end || sums[p] !== (end * (end - 1)) / 2)
      wrong.push(`partition ${p}: ${counts[p]} records (offset sum ${sums[p]}), expected ${end}`);
  });
  if (wrong.length) result.error = wrong.join("; ").slice(0, 400);
  return result;
}

async function member(c: ConsumerAdapter): Promise<void> {
  // Entries not yet sent: one per (partition, millisecond) in which the member consumed.
  let at: number[] = [];
  let partition: number[] = [];
  const lastMs = new Map<number, number>();
  const handler: Handler = (p) => {
    const ms = Math.floor(wallMs());
    if (lastMs.get(p) === ms) return;
    lastMs.set(p, ms);
    at.push(ms);
    partition.push(p);
  };
  const flush = setInterval(() => {
    if (at.length === 0) return;
    send({ type: "consumed", at, partition });
    at = [];
    partition = [];
  }, 20);
  const stopped = nextFromSuite();
  send({ type: "loaded" });
  if ((await stopped) === "stop") return;
  const stop = nextFromSuite();
  send({ type: "connecting", at: wallMs() });
  await c.start(handler);
  await stop;
  clearInterval(flush);
}

async function latency(a: ConsumerWorkerArgs, c: ConsumerAdapter): Promise<LatencyResult> {
  const want = a.stamped ?? 0;
  let skip = a.skipStamped ?? 0;
  const lat = new Float64Array(want);
  let n = 0;
  let first = false;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const handler: Handler = (_p, _o, value) => {
    const now = wallUs();
    if (!first) {
      first = true;
      send({ type: "first" });
    }
    if (value?.length !== STAMPED_SIZE || n >= want) return;
    if (skip > 0) {
      skip--;
      return;
    }
    lat[n++] = now - stampOf(value);
    if (n === want) done();
  };
  await c.start(handler);
  const stop = nextFromSuite();
  await Promise.race([finished, stop]);
  const sorted = lat.subarray(0, n).sort();
  const pct = (q: number) => (n ? sorted[Math.min(n - 1, Math.floor(q * n))]! : Number.NaN);
  return {
    count: n,
    p50us: pct(0.5),
    p99us: pct(0.99),
    p999us: pct(0.999),
    maxUs: n ? sorted[n - 1]! : Number.NaN,
    ...(n < want ? { error: `${n} of ${want} stamped records arrived` } : {}),
  };
}

async function main(): Promise<void> {
  const a = JSON.parse(process.argv[2]!) as ConsumerWorkerArgs;
  let c: ConsumerAdapter | null = null;
  try {
    c = await load(a);
    if (a.task === "consume") send({ type: "consume-result", result: await consumeAll(a, c) });
    else if (a.task === "latency") send({ type: "latency-result", result: await latency(a, c) });
    else await member(c);
  } catch (e) {
    send({ type: "error", message: errText(e) });
  } finally {
    if (c) await Promise.race([c.close().catch(() => {}), new Promise((r) => setTimeout(r, 10_000))]);
  }
  // Some clients keep timers or native threads alive after closing; the IPC channel too.
  setTimeout(() => process.exit(0), 50);
}

await main();
