/**
 * One producer client, one shape, one child process (bench/suites/client.ts spawns it; Node 24 for
 * @platformatic/kafka, Node 20 for the rest). Argument: a JSON `WorkerArgs`. Prints one line
 * `RESULT {json}` (a `WorkerResult`) and exits.
 *
 * Shapes:
 * - single-acks0: one message per awaited send, acks=0, @platformatic/kafka's benchmark message
 *   (key "111-<i>", value "222", headers a=123 b=456, partition 0).
 * - single-acks1: the same message, acks=1: each send waits for the broker, so its time is the send
 *   latency.
 * - batch100-acks0: 100 such messages per awaited send, acks=0.
 * - flood-1k: 1 KiB values, one message per send, up to 1000 sends in flight, acks=1.
 *
 * Each run warms up for `warmupMs`, then counts what completes within `durationMs`; the CPU time of
 * this process over the measured window is reported too. acks=0 runs end with a barrier (an acks=1
 * send on the same connection, or librdkafka's flush) inside the timed window, so a client that
 * queues faster than the broker reads is timed until its queue is out, not only until it queued.
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

export type ClientKey = "brook" | "kafkajs" | "platformatic" | "rdkafka" | "confluent";
export type ShapeKey = "single-acks0" | "single-acks1" | "batch100-acks0" | "flood-1k";

export interface WorkerArgs {
  client: ClientKey;
  shape: ShapeKey;
  bootstrap: string;
  topic: string;
  warmupMs: number;
  durationMs: number;
  /** Folder whose package.json resolves the client package (the bench cache), or the repo root. */
  resolveFrom: string;
}

export interface WorkerResult {
  messages: number;
  bytes: number;
  seconds: number;
  /** Per awaited send, microseconds (serial shapes only). */
  p50us: number | null;
  p99us: number | null;
  /** User + system CPU of this process over the measured window. */
  cpuSeconds: number;
  error?: string;
}

const FLOOD_WINDOW = 1000;
const FLOOD_SIZE = 1024;
const HEADERS = { a: "123", b: "456" };

interface Adapter {
  /** Sends `n` messages starting at index `i` in one call, resolved when the client says it is done. */
  send(i: number, n: number): Promise<void>;
  /**
   * Resolves once the records sent so far have left the client: an acks=1 send on the same
   * connection (the broker answers requests of one connection in order), or librdkafka's flush.
   */
  barrier(): Promise<void>;
  close(): Promise<void>;
}

function acksOf(shape: ShapeKey): 0 | 1 {
  return shape === "single-acks1" || shape === "flood-1k" ? 1 : 0;
}

function makeMessages(shape: ShapeKey, i: number, n: number, floodValue: string) {
  const out = [];
  for (let j = 0; j < n; j++) {
    out.push(
      shape === "flood-1k"
        ? { partition: 0, value: floodValue }
        : { partition: 0, key: `111-${i + j}`, value: "222", headers: HEADERS },
    );
  }
  return out;
}

/** Brook's client and KafkaJS: the same API. */
async function kafkajsLike(a: WorkerArgs, mod: any): Promise<Adapter> {
  const { Kafka, logLevel } = mod;
  const kafka = new Kafka({ clientId: "bench", brokers: [a.bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const acks = acksOf(a.shape);
  const flood = "x".repeat(FLOOD_SIZE);
  return {
    send: async (i, n) => {
      await producer.send({ topic: a.topic, acks, messages: makeMessages(a.shape, i, n, flood) });
    },
    barrier: async () => {
      await producer.send({ topic: a.topic, acks: 1, messages: [{ partition: 0, value: "barrier" }] });
    },
    close: () => producer.disconnect(),
  };
}

/** @confluentinc/kafka-javascript through its KafkaJS-style API (librdkafka underneath). */
async function confluent(a: WorkerArgs, mod: any): Promise<Adapter> {
  const { Kafka, logLevel } = mod.KafkaJS;
  const kafka = new Kafka({
    kafkaJS: { clientId: "bench", brokers: [a.bootstrap], logLevel: logLevel.NOTHING },
  });
  const producer = kafka.producer({
    kafkaJS: { acks: acksOf(a.shape), allowAutoTopicCreation: false },
    // One message per await: send at once, as @platformatic/kafka's benchmark configures librdkafka.
    ...(a.shape === "flood-1k" ? {} : { "linger.ms": 0 }),
  });
  await producer.connect();
  const flood = "x".repeat(FLOOD_SIZE);
  return {
    send: async (i, n) => {
      await producer.send({ topic: a.topic, messages: makeMessages(a.shape, i, n, flood) });
    },
    barrier: () => producer.flush({ timeout: 30_000 }),
    close: () => producer.disconnect(),
  };
}

async function platformatic(a: WorkerArgs, mod: any): Promise<Adapter> {
  const { Producer, stringSerializers } = mod;
  const acks = acksOf(a.shape);
  const producer = new Producer({
    clientId: "bench",
    bootstrapBrokers: [a.bootstrap],
    serializers: stringSerializers,
    idempotent: false,
    acks,
    autocreateTopics: false,
  });
  const flood = "x".repeat(FLOOD_SIZE);
  return {
    send: async (i, n) => {
      const messages = makeMessages(a.shape, i, n, flood).map((m) => ({ topic: a.topic, ...m }));
      await producer.send({ messages, acks });
    },
    barrier: async () => {
      await producer.send({ messages: [{ topic: a.topic, partition: 0, value: "barrier" }], acks: 1 });
    },
    close: () => producer.close(),
  };
}

/** node-rdkafka: produce() plus delivery reports, which arrive in order for the one partition. */
async function rdkafka(a: WorkerArgs, mod: any): Promise<Adapter> {
  const flood = a.shape === "flood-1k";
  const producer = new mod.Producer(
    {
      "client.id": "bench",
      "metadata.broker.list": a.bootstrap,
      dr_cb: true,
      "linger.ms": flood ? 5 : 0,
      "queue.buffering.max.messages": 100_000,
    },
    { acks: acksOf(a.shape) },
  );
  const pending: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  producer.on("delivery-report", (err: Error | null) => {
    const p = pending.shift();
    if (err) p?.reject(err);
    else p?.resolve();
  });
  await new Promise<void>((resolve, reject) => {
    producer.once("ready", () => resolve());
    producer.once("event.error", reject);
    producer.connect();
  });
  producer.setPollInterval(1);
  const value222 = Buffer.from("222");
  const floodValue = Buffer.alloc(FLOOD_SIZE, 120);
  const headers = [{ a: "123" }, { b: "456" }];
  return {
    send: (i, n) => {
      const done: Array<Promise<void>> = [];
      for (let j = 0; j < n; j++) {
        if (flood) producer.produce(a.topic, 0, floodValue, null, null);
        else producer.produce(a.topic, 0, value222, `111-${i + j}`, null, null, headers);
        done.push(new Promise<void>((resolve, reject) => pending.push({ resolve, reject })));
      }
      return n === 1 ? done[0]! : Promise.all(done).then(() => {});
    },
    barrier: () =>
      new Promise<void>((resolve, reject) =>
        producer.flush(30_000, (e: Error | null) => (e ? reject(e) : resolve())),
      ),
    close: () =>
      new Promise<void>((resolve) => {
        producer.flush(5000, () => producer.disconnect(() => resolve()));
      }),
  };
}

async function load(a: WorkerArgs): Promise<Adapter> {
  const req = createRequire(join(a.resolveFrom, "package.json"));
  switch (a.client) {
    case "brook":
      return kafkajsLike(a, await import(pathToFileURL(join(a.resolveFrom, "src/client/index.ts")).href));
    case "kafkajs":
      return kafkajsLike(a, req("kafkajs"));
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

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const nowUs = () => Number(process.hrtime.bigint()) / 1000;

async function serial(a: WorkerArgs, c: Adapter, perSend: number): Promise<WorkerResult> {
  let i = 0;
  const warmEnd = performance.now() + a.warmupMs;
  while (performance.now() < warmEnd) {
    await c.send(i, perSend);
    i += perSend;
  }
  if (acksOf(a.shape) === 0) await c.barrier();
  const lat: number[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + a.durationMs;
  let messages = 0;
  while (performance.now() < end) {
    const s = nowUs();
    await c.send(i, perSend);
    lat.push(nowUs() - s);
    i += perSend;
    messages += perSend;
  }
  // acks=0 sends resolve before the broker has the records: the run ends when they are out.
  if (acksOf(a.shape) === 0) await c.barrier();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const sorted = Float64Array.from(lat).sort();
  return {
    messages,
    bytes: 0,
    seconds,
    p50us: percentile(sorted, 0.5),
    p99us: percentile(sorted, 0.99),
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

/** Keeps FLOOD_WINDOW single-message sends in flight; counts those completing in the window. */
async function floodRun(a: WorkerArgs, c: Adapter): Promise<WorkerResult> {
  let phase: "warmup" | "measure" | "stop" = "warmup";
  let completed = 0;
  let failure: Error | null = null;
  let i = 0;
  let inFlight = 0;
  let drained: (() => void) | null = null;
  const pump = () => {
    if (phase === "stop" || failure) {
      if (inFlight === 0) drained?.();
      return;
    }
    inFlight++;
    c.send(i++, 1).then(
      () => {
        inFlight--;
        if (phase === "measure") completed++;
        pump();
      },
      (e: Error) => {
        inFlight--;
        failure ??= e;
        pump();
      },
    );
  };
  for (let k = 0; k < FLOOD_WINDOW; k++) pump();
  await new Promise((r) => setTimeout(r, a.warmupMs));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  phase = "measure";
  await new Promise((r) => setTimeout(r, a.durationMs));
  phase = "stop";
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const messages = completed;
  await new Promise<void>((resolve) => {
    drained = resolve;
    if (inFlight === 0) resolve();
  });
  if (failure) throw failure;
  return {
    messages,
    bytes: messages * FLOOD_SIZE,
    seconds,
    p50us: null,
    p99us: null,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

async function main(): Promise<void> {
  const a = JSON.parse(process.argv[2]!) as WorkerArgs;
  let result: WorkerResult;
  try {
    const c = await load(a);
    try {
      result =
        a.shape === "flood-1k"
          ? await floodRun(a, c)
          : await serial(a, c, a.shape === "batch100-acks0" ? 100 : 1);
    } finally {
      await Promise.race([c.close(), new Promise((r) => setTimeout(r, 10_000))]);
    }
  } catch (e) {
    const err = e as Error;
    result = {
      messages: 0,
      bytes: 0,
      seconds: 0,
      p50us: null,
      p99us: null,
      cpuSeconds: 0,
      error: `${err.name}: ${err.message}`.split("\n")[0]!.slice(0, 300),
    };
  }
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  // Some clients keep timers or native threads alive after closing.
  setTimeout(() => process.exit(0), 50);
}

await main();
