/**
 * Client suite: Brook's client (`import { Kafka } from "brook"`), producer and consumer, beside the
 * Node.js Kafka clients people would otherwise use, all loading the same `brook start` process in
 * the same run, then Brook's client and KafkaJS once more against Apache Kafka 4.4 (one KRaft node,
 * bench/kafka-peer.ts). docs/benchmarks.md ("client") describes the method in full.
 *
 * Clients: Brook's client, KafkaJS 2.2.4, @platformatic/kafka 2.x (under Node 24, which it needs),
 * node-rdkafka 3.6 and @confluentinc/kafka-javascript through its KafkaJS-style API (both
 * librdkafka). Peers come from the bench cache (bench/peers.ts; the Confluent client is installed
 * here the same way); a peer that cannot be installed is reported as unavailable in its rows.
 *
 * Shapes (bench/workers/client-producer.ts): one message per awaited send with acks=0
 * (@platformatic/kafka's own benchmark message), the same with acks=1 (its p50/p99 are the send
 * latency), 100-message sends with acks=0, and 1 KiB records with 1000 single-message sends in
 * flight, acks=1. Every (client, shape) runs in a child process of its own, so no client shares a
 * CPU or an event loop with another; the order of the clients alternates from one shape and round
 * to the next, as in the broker suite. Each figure is the median over the rounds.
 *
 * Every run is checked against the broker: after the client has closed, its topic must hold at least
 * the records the client counted as sent (acks=0 sends resolve before the broker has them; records
 * still queued when a client closes are lost to it), else the run is reported as failed with both
 * counts. node-rdkafka polls its delivery reports every millisecond (setPollInterval(1), as in
 * @platformatic/kafka's benchmark), which bounds its one-message-per-await rate near 1,000/s.
 *
 * Consumer shapes (bench/workers/client-consumer.ts, each consumer in its own process too):
 * - consume: N records (100k with --quick, 1M) of 100 B and of 1 KiB, written once per broker with
 *   Brook's producer to a 4-partition topic, read from the beginning under a new group with
 *   eachMessage and with eachBatch (or the peer's closest form); records/s from the first record to
 *   the last, MB/s and client CPU per record in the notes; a run that does not see every offset
 *   exactly once is reported as failed;
 * - rebalance: a group grows 1 → 2 → 3 members on a 6-partition topic written steadily; the time
 *   from the new member's connect() until every partition is consumed again by its final owner, and
 *   the partition-time spent unconsumed meanwhile; Brook's client with cooperative-sticky and with
 *   range (eager) beside KafkaJS (eager roundRobin), and in full runs node-rdkafka's cooperative-sticky;
 * - end-to-end latency: a paced producer at 5,000 records/s stamps each value with its creation time;
 *   the consumer (eachMessage) reports p50/p99/p99.9 of delivery minus stamp.
 *
 * Goals (reported, not asserted): producer at least 2x KafkaJS and 1.3x @platformatic/kafka on every
 * shape; consume at least 3x KafkaJS and 1.5x @platformatic/kafka; a cooperative-sticky rebalance at
 * most half of KafkaJS's eager one.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startBrokerProcess } from "../broker-process.js";
import { type BenchContext, fmtNum } from "../harness.js";
import {
  APACHE_KAFKA_VERSION,
  apacheKafkaUnavailable,
  createTopic,
  deleteTopics,
  startKafkaPeer,
} from "../kafka-peer.js";
import {
  CACHE_DIR,
  kafkajs,
  nodeRdkafka,
  PEER_VERSIONS,
  PeerUnavailable,
  platformaticKafka,
  REPO_ROOT,
} from "../peers.js";
import { barChart } from "../report.js";
import { Kafka, logLevel } from "../../src/client/index.js";
import { ListOffsets } from "../../src/protocol/messages/list-offsets.js";
import { Produce } from "../../src/protocol/messages/produce.js";
import { encodeRecordBatchSync } from "../../src/protocol/records/record-batch.js";
import { RawClient } from "../../test/support/raw-client.js";
import type {
  AssignorKey,
  ConsumeMode,
  ConsumerWorkerArgs,
  LatencyResult,
  ToSuite,
  ToWorker,
} from "../workers/client-consumer.js";
import type { ClientKey, ShapeKey, WorkerArgs, WorkerResult } from "../workers/client-producer.js";

const WORKER = join(REPO_ROOT, "bench", "workers", "client-producer.ts");
const KAFKA = `Apache Kafka ${APACHE_KAFKA_VERSION}`;

interface Shape {
  key: ShapeKey;
  title: string;
  unit: "msgs/s" | "MB/s";
}

const SHAPES: Shape[] = [
  {
    key: "single-acks0",
    title: "1 message per await, acks=0 (@platformatic/kafka's benchmark shape)",
    unit: "msgs/s",
  },
  { key: "single-acks1", title: "1 message per await, acks=1", unit: "msgs/s" },
  { key: "batch100-acks0", title: "100 messages per send, acks=0", unit: "msgs/s" },
  { key: "flood-1k", title: "1 KiB records, 1000 sends in flight, acks=1", unit: "MB/s" },
];

interface Client {
  key: ClientKey;
  label: string;
  /** Node binary that runs its worker. */
  node: string;
  /** Where its package resolves from (see WorkerArgs.resolveFrom). */
  resolveFrom: string;
  /** Why it cannot run, or null. */
  unavailable: string | null;
}

interface Run {
  value: number;
  p50ms: number;
  p99ms: number;
  cpuUsPerMsg: number;
  error?: string;
}

const median = (xs: number[]) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/**
 * Per client and shape, the median of each field over the runs that did not fail; the first run,
 * error and all, when every run failed.
 */
function medianOfRuns<R extends { error?: string }, F extends keyof R>(
  runs: Map<string, R[]>,
  fields: F[],
): Map<string, R> {
  const out = new Map<string, R>();
  for (const [k, rs] of runs) {
    const ok = rs.filter((r) => !r.error);
    if (ok.length === 0) {
      out.set(k, rs[0]!);
      continue;
    }
    const m = {} as R;
    for (const f of fields) (m as Record<F, number>)[f] = median(ok.map((r) => r[f] as number));
    out.set(k, m);
  }
  return out;
}

/**
 * @confluentinc/kafka-javascript in the bench cache, its bundled librdkafka compiled against the
 * system libraries (a few minutes on 2 cores, once).
 */
async function confluentKafkaJavascript(log: (m: string) => void): Promise<{ dir: string; version: string }> {
  const dir = join(CACHE_DIR, "confluent-kafka-javascript");
  const moduleDir = join(dir, "node_modules", "@confluentinc", "kafka-javascript");
  const addon = join(moduleDir, "build", "Release", "confluent-kafka-javascript.node");
  if (!existsSync(addon)) {
    mkdirSync(join(CACHE_DIR, "logs"), { recursive: true });
    if (!existsSync(join(dir, "package.json"))) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "package.json"), '{ "name": "bench-peer-confluent", "private": true }\n');
    }
    const spec = `@confluentinc/kafka-javascript@${PEER_VERSIONS.confluentKafkaJavascript}`;
    const logFile = join(CACHE_DIR, "logs", "confluent-kafka-javascript.log");
    log(`installing ${spec} into .bench-cache/confluent-kafka-javascript (may compile librdkafka, minutes)`);
    const t0 = Date.now();
    const code = await new Promise<number | null>((resolve) => {
      const out: Buffer[] = [];
      const p = spawn("npm", ["install", "--no-audit", "--no-fund", "--save", spec], {
        cwd: dir,
        stdio: ["ignore", "pipe", "pipe"],
        // Its prebuilt binaries are not on the npm registry, and its default source build downloads
        // zlib, zstd, OpenSSL and curl sources; the package's dynamic mode builds the bundled
        // librdkafka against the system's libraries instead (libssl-dev, zlib1g-dev).
        env: { ...process.env, CKJS_LINKING: "dynamic" },
      });
      p.stdout.on("data", (d: Buffer) => out.push(d));
      p.stderr.on("data", (d: Buffer) => out.push(d));
      const tick = setInterval(
        () => log(`npm install ${spec}: ${Math.round((Date.now() - t0) / 1000)} s…`),
        15_000,
      );
      const timer = setTimeout(() => p.kill("SIGKILL"), 25 * 60_000);
      p.on("error", () => resolve(null));
      p.on("exit", (c) => {
        clearInterval(tick);
        clearTimeout(timer);
        writeFileSync(logFile, Buffer.concat(out));
        resolve(c);
      });
    });
    if (code !== 0 || !existsSync(addon)) {
      const tail = existsSync(logFile)
        ? readFileSync(logFile, "utf8").trim().split("\n").slice(-2).join(" / ").slice(0, 300)
        : "";
      throw new PeerUnavailable("@confluentinc/kafka-javascript", `npm install exited ${code}: ${tail}`);
    }
  }
  const version = JSON.parse(readFileSync(join(moduleDir, "package.json"), "utf8")).version as string;
  return { dir, version };
}

/** The log end offset of each of `partitions` partitions: how many records the broker holds. */
async function endOffsets(port: number, topic: string, partitions = 1): Promise<number[]> {
  const c = await RawClient.connect(port);
  try {
    const res = await c.request(ListOffsets, 5, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [
        {
          name: topic,
          partitions: Array.from({ length: partitions }, (_, i) => ({
            partitionIndex: i,
            currentLeaderEpoch: -1,
            timestamp: -1n,
          })),
        },
      ],
    });
    const out: number[] = [];
    for (const p of res.topics[0]?.partitions ?? []) {
      if (p.errorCode !== 0)
        throw new Error(`ListOffsets ${topic}/${p.partitionIndex}: error ${p.errorCode}`);
      out[p.partitionIndex] = Number(p.offset);
    }
    if (out.length !== partitions)
      throw new Error(`ListOffsets ${topic}: ${out.length} of ${partitions} partitions`);
    return out;
  } finally {
    c.close();
  }
}

const endOffset = async (port: number, topic: string) => (await endOffsets(port, topic))[0]!;

/** Runs one (client, shape) in its own process. */
function runWorker(client: Client, args: WorkerArgs, timeoutMs: number): Promise<WorkerResult> {
  return new Promise((resolve) => {
    const p = spawn(client.node, ["--import", "tsx", WORKER, JSON.stringify(args)], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: "1" },
    });
    let out = "";
    let err = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
    const fail = (why: string): WorkerResult => ({
      messages: 0,
      bytes: 0,
      seconds: 0,
      p50us: null,
      p99us: null,
      cpuSeconds: 0,
      error: why,
    });
    p.on("error", (e) => {
      clearTimeout(timer);
      resolve(fail(`spawn failed: ${e.message}`));
    });
    p.on("exit", (code, signal) => {
      clearTimeout(timer);
      const line = out.split("\n").find((l) => l.startsWith("RESULT "));
      if (line) return resolve(JSON.parse(line.slice("RESULT ".length)) as WorkerResult);
      const last = err.trim().split("\n").slice(-3).join(" / ").slice(0, 300);
      resolve(fail(`worker exited with ${signal ?? code} without a result${last ? `: ${last}` : ""}`));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// consumer shapes (bench/workers/client-consumer.ts)

const CONSUMER_WORKER = join(REPO_ROOT, "bench", "workers", "client-consumer.ts");
/** Partitions of the pre-produced topics the consume shapes read. */
const CONSUME_PARTITIONS = 4;
/** The rebalance shape's topic, and its producer: one 100 B record per partition every 5 ms. */
const REBALANCE_PARTITIONS = 6;
const REBALANCE_TICK_MS = 5;
/**
 * Gaps in a partition's consumption longer than this count as paused time. With a record every 5 ms
 * the steady gaps measured up to ~60 ms (fetch round trips, GC, a busy machine), so shorter pauses,
 * such as an eager rebalance's own JoinGroup/SyncGroup round trips, are not told apart from them.
 */
const PAUSE_MS = 100;
/** A partition is consumed "for good" from the start of its final owner's run without a longer gap. */
const RUN_GAP_MS = 200;
/** The rebalance shape's group settings, the same for every client (see the suite's docs). */
const REBALANCE_HEARTBEAT_MS = 500;
const REBALANCE_SESSION_MS = 10_000;
/** A group counts as settled once every partition kept one owner this long and is being consumed. */
const SETTLE_MS = 1000;
const LATENCY_RATE = 5000;
/** Records of the first second are not measured: the consumer's JIT and the producer's start. */
const LATENCY_WARMUP_S = 1;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface ConsumeShape {
  key: string;
  size: number;
  mode: ConsumeMode;
  title: string;
}

const CONSUME_SHAPES: ConsumeShape[] = [
  { key: "100b-message", size: 100, mode: "each-message", title: "consume 100 B records, eachMessage" },
  { key: "100b-batch", size: 100, mode: "each-batch", title: "consume 100 B records, eachBatch" },
  { key: "1k-message", size: 1024, mode: "each-message", title: "consume 1 KiB records, eachMessage" },
  { key: "1k-batch", size: 1024, mode: "each-batch", title: "consume 1 KiB records, eachBatch" },
];

/** What each client runs for the eachMessage and eachBatch rows. */
const MODE_NOTE: Record<ClientKey, Record<ConsumeMode, string>> = {
  brook: { "each-message": "eachMessage", "each-batch": "eachBatch" },
  kafkajs: { "each-message": "eachMessage", "each-batch": "eachBatch" },
  confluent: {
    "each-message": "eachMessage (KafkaJS API)",
    "each-batch": "eachBatch (KafkaJS API, default batches of up to 32)",
  },
  platformatic: {
    "each-message": "messages stream read with for await",
    "each-batch": "messages stream, 'data' events",
  },
  rdkafka: {
    "each-message": "flowing consume(), 'data' per message",
    "each-batch": "consume(1000) back to back",
  },
};

/** A consumer worker process and its IPC messages. */
class ConsumerProc {
  readonly proc: ChildProcess;
  private readonly closed: Promise<void>;
  /** Receives the member task's consumption reports as they come. */
  onConsumed: ((at: number[], partition: number[]) => void) | null = null;
  private readonly inbox: ToSuite[] = [];
  private wake: (() => void) | null = null;
  private stderr = "";
  private gone: string | null = null;

  constructor(client: Client, args: ConsumerWorkerArgs) {
    this.proc = spawn(client.node, ["--import", "tsx", CONSUMER_WORKER, JSON.stringify(args)], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      env: { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: "1" },
    });
    this.proc.stderr!.on("data", (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-2000);
    });
    this.proc.on("message", (m: ToSuite) => {
      if (m.type === "consumed") this.onConsumed?.(m.at, m.partition);
      else {
        this.inbox.push(m);
        this.wake?.();
      }
    });
    this.proc.on("error", (e) => {
      this.gone = `spawn failed: ${e.message}`;
      this.wake?.();
    });
    // "close" comes after the IPC channel is drained, so no message is lost to an early "exit".
    this.closed = new Promise((resolve) =>
      this.proc.once("close", (code, signal) => {
        const last = this.stderr.trim().split("\n").slice(-3).join(" / ").slice(0, 300);
        this.gone ??= `worker exited with ${signal ?? code}${last ? `: ${last}` : ""}`;
        this.wake?.();
        resolve();
      }),
    );
  }

  /** The next message of `type`; throws on an "error" message, on exit, or after `timeoutMs`. */
  async next<T extends ToSuite["type"]>(type: T, timeoutMs: number): Promise<Extract<ToSuite, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.inbox.findIndex((m) => m.type === type || m.type === "error");
      if (i >= 0) {
        const m = this.inbox.splice(i, 1)[0]!;
        if (m.type === "error") throw new Error(m.message);
        return m as Extract<ToSuite, { type: T }>;
      }
      if (this.gone) throw new Error(this.gone);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no "${type}" from the worker within ${Math.round(timeoutMs / 1000)} s`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  tell(m: ToWorker): void {
    if (this.proc.connected) this.proc.send(m);
  }

  /** Asks the worker to stop and waits for it to exit (SIGKILL after `graceMs`). */
  async end(graceMs = 15_000): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.tell({ type: "stop" });
      const t = setTimeout(() => this.proc.kill("SIGKILL"), graceMs);
      await this.closed;
      clearTimeout(t);
    } else await this.closed;
  }
}

/** Writes `count` records of `size` bytes round-robin over the topic's partitions with Brook's producer. */
async function preProduce(bootstrap: string, topic: string, size: number, count: number): Promise<void> {
  const kafka = new Kafka({ clientId: "bench-fill", brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const value = Buffer.alloc(size, 0x61);
    const perSend = 1000;
    let next = 0;
    const lane = async () => {
      while (next < count) {
        const from = next;
        const n = Math.min(perSend, count - from);
        next += n;
        const messages = Array.from({ length: n }, (_, j) => ({
          partition: (from + j) % CONSUME_PARTITIONS,
          value,
        }));
        await producer.send({ topic, acks: 1, messages });
      }
    };
    await Promise.all([lane(), lane(), lane(), lane()]);
  } finally {
    await producer.disconnect();
  }
}

interface ConsumeRun {
  recordsPerSec: number;
  mbPerSec: number;
  cpuUsPerRecord: number;
  firstRecordSec: number;
  error?: string;
}

const failedConsume = (error: string): ConsumeRun => ({
  recordsPerSec: Number.NaN,
  mbPerSec: Number.NaN,
  cpuUsPerRecord: Number.NaN,
  firstRecordSec: Number.NaN,
  error,
});

async function consumeOnce(
  client: Client,
  bootstrap: string,
  topic: string,
  ends: number[],
  mode: ConsumeMode,
  groupId: string,
  timeoutMs: number,
): Promise<ConsumeRun> {
  const w = new ConsumerProc(client, {
    task: "consume",
    client: client.key,
    mode,
    bootstrap,
    topic,
    groupId,
    resolveFrom: client.resolveFrom,
    endOffsets: ends,
  });
  try {
    const { result: r } = await w.next("consume-result", timeoutMs);
    if (r.error) return failedConsume(r.error);
    return {
      recordsPerSec: r.records / r.seconds,
      mbPerSec: r.bytes / r.seconds / 1e6,
      cpuUsPerRecord: (r.cpuSeconds * 1e6) / r.records,
      firstRecordSec: r.firstRecordSeconds,
    };
  } catch (e) {
    return failedConsume((e as Error).message);
  } finally {
    await w.end();
  }
}

/** Keeps one 100 B record per partition arriving every REBALANCE_TICK_MS (Brook's producer, acks=1). */
async function steadyProducer(bootstrap: string, topic: string): Promise<{ stop(): Promise<void> }> {
  const kafka = new Kafka({ clientId: "bench-steady", brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const value = Buffer.alloc(100, 0x61);
  let busy = false;
  let failure: Error | null = null;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    const messages = Array.from({ length: REBALANCE_PARTITIONS }, (_, partition) => ({ partition, value }));
    producer.send({ topic, acks: 1, messages }).then(
      () => {
        busy = false;
      },
      (e: Error) => {
        failure ??= e;
        busy = false;
      },
    );
  }, REBALANCE_TICK_MS);
  return {
    stop: async () => {
      clearInterval(timer);
      while (busy) await sleep(5);
      await producer.disconnect();
      if (failure) throw failure;
    },
  };
}

interface RebalanceConfig {
  key: string;
  client: Client;
  assignor: AssignorKey;
  label: string;
}

interface JoinFigure {
  /** The new member's connect() to the moment every partition is consumed again by its final owner. */
  seconds: number;
  /** Sum over partitions of the time each went unconsumed (gaps > PAUSE_MS) in that span. */
  pausedPartitionSeconds: number;
}

interface RebalanceRun {
  /** [1→2, 2→3] */
  joins: JoinFigure[];
  /** The first member's connect() to every partition being consumed. */
  firstSeconds: number;
  error?: string;
}

/** Consumption of one partition: when, and by which member. */
type Timeline = Array<{ t: number; m: number }>;

/**
 * The group of `members` is settled at `now` when every partition was consumed in the last 300 ms
 * and by one member only over the last SETTLE_MS, and every member owns a partition.
 */
function settled(lines: Timeline[], members: number, now: number): boolean {
  const owners = new Set<number>();
  for (const line of lines) {
    let owner = -1;
    let recent = false;
    // Reports arrive in order per member, every 20 ms: scan back a little past the window.
    for (let i = line.length - 1; i >= 0 && line[i]!.t >= now - SETTLE_MS - 200; i--) {
      const e = line[i]!;
      if (e.t < now - SETTLE_MS) continue;
      if (owner === -1) owner = e.m;
      else if (owner !== e.m) return false;
      if (e.t >= now - 300) recent = true;
    }
    if (owner === -1 || !recent) return false;
    owners.add(owner);
  }
  return owners.size === members;
}

/** Time from `t0` until every partition is consumed for good by its final owner, and the pauses. */
function analyseJoin(lines: Timeline[], t0: number, until: number): JoinFigure {
  let end = t0;
  let paused = 0;
  for (const raw of lines) {
    const line = raw.filter((e) => e.t <= until).sort((a, b) => a.t - b.t);
    if (line.length === 0) continue;
    const owner = line[line.length - 1]!.m;
    // Walk back over the final owner's unbroken run; a run that began before t0 never stopped.
    let i = line.length - 1;
    while (i > 0 && line[i]!.t > t0 && line[i - 1]!.m === owner && line[i]!.t - line[i - 1]!.t <= RUN_GAP_MS)
      i--;
    end = Math.max(end, line[i]!.t);
    for (let j = 1; j < line.length; j++) {
      const a = line[j - 1]!.t;
      const b = line[j]!.t;
      if (b > t0 && b - a > PAUSE_MS) paused += b - Math.max(a, t0);
    }
  }
  return { seconds: (end - t0) / 1000, pausedPartitionSeconds: paused / 1000 };
}

/** One group growing 1 → 2 → 3 members on a busy 6-partition topic, each member in its own process. */
async function rebalanceOnce(cfg: RebalanceConfig, port: number, topic: string): Promise<RebalanceRun> {
  const bootstrap = `127.0.0.1:${port}`;
  const lines: Timeline[] = Array.from({ length: REBALANCE_PARTITIONS }, () => []);
  const groupId = `${topic}-group`;
  const members: ConsumerProc[] = [];
  let producer: { stop(): Promise<void> } | null = null;
  const run: RebalanceRun = { joins: [], firstSeconds: Number.NaN };
  try {
    await createTopic(port, topic, REBALANCE_PARTITIONS);
    producer = await steadyProducer(bootstrap, topic);
    for (let m = 0; m < 3; m++) {
      const w = new ConsumerProc(cfg.client, {
        task: "member",
        client: cfg.client.key,
        mode: "each-message",
        bootstrap,
        topic,
        groupId,
        resolveFrom: cfg.client.resolveFrom,
        assignor: cfg.assignor,
        heartbeatInterval: REBALANCE_HEARTBEAT_MS,
        sessionTimeout: REBALANCE_SESSION_MS,
      });
      w.onConsumed = (at, partition) => {
        for (let i = 0; i < at.length; i++) lines[partition[i]!]?.push({ t: at[i]!, m });
      };
      members.push(w);
    }
    // Every process loads its client before the first one connects, so loading is never timed.
    for (const w of members) await w.next("loaded", 60_000);
    for (let m = 0; m < 3; m++) {
      members[m]!.tell({ type: "go" });
      const { at: t0 } = await members[m]!.next("connecting", 10_000);
      const deadline = Date.now() + 60_000;
      let now = performance.timeOrigin + performance.now();
      while (!settled(lines, m + 1, now)) {
        if (Date.now() > deadline)
          throw new Error(`the group of ${m + 1} did not settle within 60 s of member ${m + 1} connecting`);
        await sleep(50);
        now = performance.timeOrigin + performance.now();
      }
      if (m === 0) {
        const firsts = lines.map((l) => l.find((e) => e.t >= t0)?.t ?? Number.NaN);
        run.firstSeconds = (Math.max(...firsts) - t0) / 1000;
      } else run.joins.push(analyseJoin(lines, t0, now));
    }
  } catch (e) {
    run.error = (e as Error).message;
  } finally {
    // Members leaving trigger rebalances nobody measures (librdkafka's cooperative members take
    // seconds over it): the group and topic are thrown away, so a member gets 3 s to leave.
    await Promise.all(members.map((w) => w.end(3000)));
    await producer?.stop().catch(() => {});
    await deleteTopics(port, [topic]);
  }
  return run;
}

async function latencyOnce(
  client: Client,
  port: number,
  topic: string,
  seconds: number,
): Promise<LatencyResult> {
  const bootstrap = `127.0.0.1:${port}`;
  const stamped = LATENCY_RATE * seconds;
  const skipStamped = LATENCY_RATE * LATENCY_WARMUP_S;
  let w: ConsumerProc | null = null;
  const raw = await RawClient.connect(port);
  try {
    await createTopic(port, topic, 1);
    w = new ConsumerProc(client, {
      task: "latency",
      client: client.key,
      mode: "each-message",
      bootstrap,
      topic,
      groupId: `${topic}-group`,
      resolveFrom: client.resolveFrom,
      stamped,
      skipStamped,
    });
    // Probe records until the consumer reads one: it has joined and is fetching at the log end.
    let reading = false;
    let failed: Error | null = null;
    w.next("first", 90_000).then(
      () => (reading = true),
      (e: Error) => (failed = e),
    );
    while (!reading) {
      if (failed) throw failed;
      await raw.request(Produce, 9, {
        transactionalId: null,
        acks: 1,
        timeoutMs: 30_000,
        topicData: [
          {
            name: topic,
            partitionData: [
              {
                index: 0,
                records: encodeRecordBatchSync({
                  records: [{ value: Buffer.from("probe") }],
                  baseTimestamp: Date.now(),
                }),
              },
            ],
          },
        ],
      });
      await sleep(100);
    }
    const producer = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        join("bench", "workers", "paced-producer.ts"),
        String(port),
        topic,
        String(LATENCY_RATE),
        String(skipStamped + stamped),
      ],
      { cwd: REPO_ROOT, stdio: ["ignore", "ignore", "pipe"] },
    );
    let perr = "";
    producer.stderr!.on("data", (d: Buffer) => (perr = (perr + d.toString()).slice(-500)));
    const code = await new Promise<number | null>((resolve) => {
      const t = setTimeout(() => producer.kill("SIGKILL"), (LATENCY_WARMUP_S + seconds + 60) * 1000);
      producer.on("exit", (c) => {
        clearTimeout(t);
        resolve(c);
      });
    });
    if (code !== 0) throw new Error(`paced producer exited with ${code}: ${perr.trim().slice(-200)}`);
    try {
      return (await w.next("latency-result", 10_000)).result;
    } catch {
      // Not all arrived: ask for what it has.
      w.tell({ type: "stop" });
      return (await w.next("latency-result", 10_000)).result;
    }
  } catch (e) {
    return {
      count: 0,
      p50us: Number.NaN,
      p99us: Number.NaN,
      p999us: Number.NaN,
      maxUs: Number.NaN,
      error: (e as Error).message,
    };
  } finally {
    raw.close();
    await w?.end();
    await deleteTopics(port, [topic]);
  }
}

export default async function run(ctx: BenchContext): Promise<void> {
  const q = ctx.quick;
  const rounds = q ? 1 : 3;
  const warmupMs = q ? 500 : 2000;
  const durationMs = q ? 1500 : 5000;
  const log = (m: string) => ctx.progress(m);
  // Parts to run, for working on one of them: BROOK_BENCH_CLIENT_PARTS=consume,latency (default: all).
  const parts = new Set(
    (process.env.BROOK_BENCH_CLIENT_PARTS ?? "produce,consume,rebalance,latency,kafka").split(","),
  );

  // ---- the clients (peers installed or found in the bench cache)
  const brookIndex = join(REPO_ROOT, "src", "client", "index.ts");
  const clients: Client[] = [
    {
      key: "brook",
      label: "Brook's client",
      node: process.execPath,
      resolveFrom: REPO_ROOT,
      unavailable: existsSync(brookIndex) ? null : "src/client/index.ts does not exist yet",
    },
  ];
  try {
    clients.push({
      key: "kafkajs",
      label: `KafkaJS ${kafkajs().version}`,
      node: process.execPath,
      resolveFrom: REPO_ROOT,
      unavailable: null,
    });
  } catch (e) {
    clients.push({
      key: "kafkajs",
      label: "KafkaJS",
      node: "",
      resolveFrom: "",
      unavailable: (e as Error).message,
    });
  }
  try {
    const p = await platformaticKafka(log);
    clients.push({
      key: "platformatic",
      label: `@platformatic/kafka ${p.version} (Node ${p.nodeVersion})`,
      node: p.node,
      resolveFrom: join(CACHE_DIR, "platformatic-kafka"),
      unavailable: null,
    });
  } catch (e) {
    clients.push({
      key: "platformatic",
      label: "@platformatic/kafka",
      node: "",
      resolveFrom: "",
      unavailable: (e as Error).message,
    });
  }
  try {
    const r = await nodeRdkafka(log);
    clients.push({
      key: "rdkafka",
      label: `node-rdkafka ${r.version.replace(/^v/, "")}`,
      node: process.execPath,
      resolveFrom: join(CACHE_DIR, "node-rdkafka"),
      unavailable: null,
    });
  } catch (e) {
    clients.push({
      key: "rdkafka",
      label: "node-rdkafka",
      node: "",
      resolveFrom: "",
      unavailable: (e as Error).message,
    });
  }
  try {
    const c = await confluentKafkaJavascript(log);
    clients.push({
      key: "confluent",
      label: `@confluentinc/kafka-javascript ${c.version} (KafkaJS API)`,
      node: process.execPath,
      resolveFrom: c.dir,
      unavailable: null,
    });
  } catch (e) {
    clients.push({
      key: "confluent",
      label: "@confluentinc/kafka-javascript (KafkaJS API)",
      node: "",
      resolveFrom: "",
      unavailable: (e as Error).message,
    });
  }
  for (const c of clients) if (c.unavailable) ctx.progress(`${c.label}: unavailable (${c.unavailable})`);

  /**
   * Runs every shape for `who` against the broker on `port`, `rounds` times, alternating the order
   * of the clients; returns the median figure per "client|shape".
   */
  let turn = 0;
  let topicSeq = 0;
  const measure = async (where: string, port: number, who: Client[]) => {
    const runs = new Map<string, Run[]>();
    for (let round = 0; round < rounds; round++) {
      for (const shape of SHAPES) {
        const order = who.filter((c) => !c.unavailable);
        if (turn++ % 2 === 1) order.reverse();
        for (const c of order) {
          const topic = `client-${shape.key}-${c.key}-${topicSeq++}`;
          ctx.progress(
            `${where}: ${shape.title} — ${c.label}${rounds > 1 ? ` (round ${round + 1}/${rounds})` : ""}`,
          );
          let r: WorkerResult;
          try {
            await createTopic(port, topic, 1);
            r = await runWorker(
              c,
              {
                client: c.key,
                shape: shape.key,
                bootstrap: `127.0.0.1:${port}`,
                topic,
                warmupMs,
                durationMs,
                resolveFrom: c.resolveFrom,
              },
              warmupMs + durationMs + 60_000,
            );
            // A client that counted records the broker never got would look fast: the topic must
            // hold at least the measured records (the warm-up's come on top). acks=0 records may
            // still be queued in the broker when the client exits: wait while the count grows.
            if (!r.error) {
              let held = await endOffset(port, topic);
              for (let still = 0; held < r.messages && still < 20; ) {
                await new Promise((res) => setTimeout(res, 100));
                const now = await endOffset(port, topic);
                still = now > held ? 0 : still + 1;
                held = now;
              }
              if (held < r.messages)
                r.error = `the broker holds ${held} records, the client counted ${r.messages} sent`;
            }
          } catch (e) {
            r = {
              messages: 0,
              bytes: 0,
              seconds: 0,
              p50us: null,
              p99us: null,
              cpuSeconds: 0,
              error: (e as Error).message,
            };
          } finally {
            await deleteTopics(port, [topic]);
          }
          const value = r.error
            ? Number.NaN
            : shape.unit === "MB/s"
              ? r.bytes / r.seconds / 1e6
              : r.messages / r.seconds;
          const one: Run = {
            value,
            p50ms: (r.p50us ?? Number.NaN) / 1000,
            p99ms: (r.p99us ?? Number.NaN) / 1000,
            cpuUsPerMsg: r.messages ? (r.cpuSeconds * 1e6) / r.messages : Number.NaN,
            error: r.error,
          };
          if (r.error) ctx.progress(`  ${c.label} failed: ${r.error}`);
          else
            ctx.progress(
              `  ${fmtNum(value)} ${shape.unit}${r.p50us !== null ? `, p50 ${fmtNum(one.p50ms)} ms, p99 ${fmtNum(one.p99ms)} ms` : ""}, client CPU ${fmtNum(one.cpuUsPerMsg)} µs/msg`,
            );
          const k = `${c.key}|${shape.key}`;
          runs.set(k, [...(runs.get(k) ?? []), one]);
        }
      }
    }
    return medianOfRuns(runs, ["value", "p50ms", "p99ms", "cpuUsPerMsg"]);
  };

  const chartRows: Array<{ shape: string; client: string; value: number }> = [];
  const latencyRows: Array<{ shape: string; client: string; value: number }> = [];
  const roundsNote = `median of ${rounds} run${rounds > 1 ? "s" : ""} of ${durationMs / 1000} s after ${warmupMs / 1000} s warm-up, each client in its own process`;

  /** Rows: Brook's client beside each peer, per shape, plus the send latency of the acks=1 shape. */
  const recordAll = (where: string, res: Map<string, Run>, peers: Client[], brook: Client) => {
    const describe = (c: Client, r: Run | undefined) => {
      if (c.unavailable) return `${c.label} unavailable: ${c.unavailable}`;
      if (!r) return "";
      if (r.error) return `${c.label} failed: ${r.error}`;
      return `${c.label}: ${fmtNum(r.cpuUsPerMsg)} µs client CPU per message`;
    };
    for (const shape of SHAPES) {
      const b = res.get(`brook|${shape.key}`);
      for (const c of [brook, ...peers]) {
        const r = res.get(`${c.key}|${shape.key}`);
        if (r && !r.error && Number.isFinite(r.value))
          chartRows.push({
            shape: `${shape.title}${where ? ` [${where}]` : ""}`,
            client: c.label,
            value: r.value,
          });
      }
      for (const p of peers) {
        const r = res.get(`${p.key}|${shape.key}`);
        const goal = p.key === "kafkajs" ? "; goal ≥ 2×" : p.key === "platformatic" ? "; goal ≥ 1.3×" : "";
        ctx.record({
          name: `${shape.title}${where ? `, on ${where}` : ""} — vs ${p.label.split(" (")[0]}`,
          value: b?.value ?? Number.NaN,
          unit: shape.unit,
          peer: {
            name: p.unavailable ? `${p.label} (unavailable)` : p.label,
            value: r?.value ?? Number.NaN,
          },
          notes: [roundsNote + goal, describe(brook, b), describe(p, r)].filter(Boolean).join("; "),
        });
      }
      if (shape.key !== "single-acks1") continue;
      for (const [pct, key] of [
        ["p50", "p50ms"],
        ["p99", "p99ms"],
      ] as const) {
        for (const c of [brook, ...peers]) {
          const r = res.get(`${c.key}|${shape.key}`);
          if (r && !r.error && Number.isFinite(r[key]))
            latencyRows.push({
              shape: `send latency ${pct}${where ? ` [${where}]` : ""}`,
              client: c.label,
              value: r[key],
            });
        }
        for (const p of peers) {
          const r = res.get(`${p.key}|${shape.key}`);
          ctx.record({
            name: `send latency ${pct}, 1 message per await, acks=1${where ? `, on ${where}` : ""} — vs ${p.label.split(" (")[0]}`,
            value: b?.[key] ?? Number.NaN,
            unit: "ms",
            peer: {
              name: p.unavailable ? `${p.label} (unavailable)` : p.label,
              value: r?.[key] ?? Number.NaN,
            },
            notes: `lower is better (ratio < 1: Brook's client faster); ${roundsNote}`,
          });
        }
      }
    }
  };

  const brook = clients.find((c) => c.key === "brook")!;
  const peers = clients.filter((c) => c.key !== "brook");

  // ---- consumer shapes
  const consumeCount = q ? 100_000 : 1_000_000;
  const consumeRounds = q ? 1 : 3;
  const rebalanceRounds = q ? 1 : 3;
  const latencySeconds = q ? 2 : 10;
  const latencyRounds = q ? 1 : 3;
  const consumeRows: Array<{ shape: string; client: string; value: number }> = [];
  const rebalanceRows: Array<{ shape: string; client: string; value: number }> = [];
  const e2eRows: Array<{ shape: string; client: string; value: number }> = [];
  const plural = (n: number, what: string) => `${n} ${what}${n > 1 ? "s" : ""}`;
  const peerName = (p: { label: string; unavailable: string | null }) =>
    p.unavailable ? `${p.label} (unavailable)` : p.label;
  const short = (label: string) => label.split(" (")[0]!;

  /** Every consume shape for `who`, `consumeRounds` times in alternating order; medians per "client|shape". */
  const measureConsume = async (where: string, port: number, who: Client[]) => {
    const bootstrap = `127.0.0.1:${port}`;
    const topics = new Map<number, { topic: string; ends: number[] }>();
    const runs = new Map<string, ConsumeRun[]>();
    try {
      for (const size of new Set(CONSUME_SHAPES.map((s) => s.size))) {
        const topic = `consume-${size}-${topicSeq++}`;
        await createTopic(port, topic, CONSUME_PARTITIONS);
        const t0 = Date.now();
        await preProduce(bootstrap, topic, size, consumeCount);
        const ends = await endOffsets(port, topic, CONSUME_PARTITIONS);
        const held = ends.reduce((s, x) => s + x, 0);
        if (held !== consumeCount)
          throw new Error(`${topic} holds ${held} records, ${consumeCount} were written`);
        topics.set(size, { topic, ends });
        ctx.progress(
          `${where}: ${fmtNum(consumeCount)} records of ${size} B written to ${topic} in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
        );
      }
      for (let round = 0; round < consumeRounds; round++) {
        for (const shape of CONSUME_SHAPES) {
          const order = who.filter((c) => !c.unavailable);
          if (turn++ % 2 === 1) order.reverse();
          const { topic, ends } = topics.get(shape.size)!;
          for (const c of order) {
            ctx.progress(
              `${where}: ${shape.title} — ${c.label}${consumeRounds > 1 ? ` (round ${round + 1}/${consumeRounds})` : ""}`,
            );
            const r = await consumeOnce(
              c,
              bootstrap,
              topic,
              ends,
              shape.mode,
              `bench-${c.key}-${shape.key}-${topicSeq++}`,
              q ? 120_000 : 900_000,
            );
            if (r.error) ctx.progress(`  ${c.label} failed: ${r.error}`);
            else
              ctx.progress(
                `  ${fmtNum(r.recordsPerSec)} records/s, ${fmtNum(r.mbPerSec)} MB/s, client CPU ${fmtNum(r.cpuUsPerRecord)} µs/record, ${fmtNum(r.firstRecordSec)} s to the first record`,
              );
            const k = `${c.key}|${shape.key}`;
            runs.set(k, [...(runs.get(k) ?? []), r]);
          }
        }
      }
    } finally {
      await deleteTopics(
        port,
        [...topics.values()].map((t) => t.topic),
      );
    }
    return medianOfRuns(runs, ["recordsPerSec", "mbPerSec", "cpuUsPerRecord", "firstRecordSec"]);
  };

  const recordConsume = (where: string, res: Map<string, ConsumeRun>, peers: Client[], brook: Client) => {
    const note = `${fmtNum(consumeCount)} records read from the beginning of a ${CONSUME_PARTITIONS}-partition topic under a new group, timed from the first record to the last, every offset checked seen once; median of ${plural(consumeRounds, "run")}, each client in its own process`;
    for (const shape of CONSUME_SHAPES) {
      const describe = (c: Client, r: ConsumeRun | undefined) => {
        if (c.unavailable) return `${c.label} unavailable: ${c.unavailable}`;
        if (!r) return "";
        if (r.error) return `${c.label} failed: ${r.error}`;
        return `${short(c.label)} (${MODE_NOTE[c.key][shape.mode]}): ${fmtNum(r.mbPerSec)} MB/s, ${fmtNum(r.cpuUsPerRecord)} µs client CPU per record, ${fmtNum(r.firstRecordSec)} s from connect() to the first record`;
      };
      const b = res.get(`brook|${shape.key}`);
      for (const c of [brook, ...peers]) {
        const r = res.get(`${c.key}|${shape.key}`);
        if (r && !r.error)
          consumeRows.push({
            shape: `${shape.title}${where ? ` [${where}]` : ""}`,
            client: c.label,
            value: r.recordsPerSec,
          });
      }
      for (const p of peers) {
        const r = res.get(`${p.key}|${shape.key}`);
        const goal = p.key === "kafkajs" ? "; goal ≥ 3×" : p.key === "platformatic" ? "; goal ≥ 1.5×" : "";
        ctx.record({
          name: `${shape.title}${where ? `, on ${where}` : ""} — vs ${short(p.label)}`,
          value: b?.recordsPerSec ?? Number.NaN,
          unit: "records/s",
          peer: { name: peerName(p), value: r?.recordsPerSec ?? Number.NaN },
          notes: [note + goal, describe(brook, b), describe(p, r)].filter(Boolean).join("; "),
        });
      }
    }
  };

  const rebalanceConfigs = (who: Client[]): RebalanceConfig[] => {
    const out: RebalanceConfig[] = [];
    const brookClient = who.find((c) => c.key === "brook" && !c.unavailable);
    const kafkajsClient = who.find((c) => c.key === "kafkajs" && !c.unavailable);
    if (brookClient) {
      out.push({
        key: "brook-coop",
        client: brookClient,
        assignor: "cooperative-sticky",
        label: "Brook's client, cooperative-sticky",
      });
      out.push({
        key: "brook-range",
        client: brookClient,
        assignor: "range",
        label: "Brook's client, range (eager)",
      });
    }
    if (kafkajsClient)
      out.push({
        key: "kafkajs",
        client: kafkajsClient,
        assignor: "default",
        label: `${kafkajsClient.label}, roundRobin (eager)`,
      });
    // librdkafka's own KIP-429 implementation, as a reference for what cooperative rebalancing costs
    // (full runs only: it adds 5-20 s per round).
    const rdkafkaClient = who.find((c) => c.key === "rdkafka" && !c.unavailable);
    if (rdkafkaClient && !q)
      out.push({
        key: "rdkafka-coop",
        client: rdkafkaClient,
        assignor: "cooperative-sticky",
        label: `${rdkafkaClient.label}, cooperative-sticky`,
      });
    return out;
  };

  const measureRebalance = async (where: string, port: number, configs: RebalanceConfig[]) => {
    const runs = new Map<string, RebalanceRun[]>();
    for (let round = 0; round < rebalanceRounds; round++) {
      const order = [...configs];
      if (turn++ % 2 === 1) order.reverse();
      for (const cfg of order) {
        ctx.progress(
          `${where}: rebalance 1→2→3 members — ${cfg.label}${rebalanceRounds > 1 ? ` (round ${round + 1}/${rebalanceRounds})` : ""}`,
        );
        const r = await rebalanceOnce(cfg, port, `rebalance-${cfg.key}-${topicSeq++}`);
        if (r.error) ctx.progress(`  failed: ${r.error}`);
        else
          ctx.progress(
            `  first member consuming after ${fmtNum(r.firstSeconds)} s; 1→2: ${fmtNum(r.joins[0]!.seconds)} s (${fmtNum(r.joins[0]!.pausedPartitionSeconds)} partition·s paused); 2→3: ${fmtNum(r.joins[1]!.seconds)} s (${fmtNum(r.joins[1]!.pausedPartitionSeconds)} partition·s paused)`,
          );
        runs.set(cfg.key, [...(runs.get(cfg.key) ?? []), r]);
      }
    }
    return runs;
  };

  const recordRebalance = (where: string, runs: Map<string, RebalanceRun[]>, configs: RebalanceConfig[]) => {
    const byKey = (key: string) => configs.find((c) => c.key === key);
    const kafkajsBase = byKey("kafkajs");
    // Brook's configurations beside KafkaJS's eager group, and Brook's cooperative beside librdkafka's.
    const pairs: Array<[RebalanceConfig, RebalanceConfig | undefined, string]> = [];
    for (const cfg of configs.filter((c) => c.client.key === "brook"))
      pairs.push([cfg, kafkajsBase, "KafkaJS (eager)"]);
    const coop = byKey("brook-coop");
    if (coop && byKey("rdkafka-coop"))
      pairs.push([coop, byKey("rdkafka-coop"), "node-rdkafka (cooperative-sticky)"]);
    const at = where ? `, on ${where}` : "";
    const method = `${REBALANCE_PARTITIONS}-partition topic with one record per partition every ${REBALANCE_TICK_MS} ms; each member in its own process; heartbeatInterval ${REBALANCE_HEARTBEAT_MS} ms, sessionTimeout ${REBALANCE_SESSION_MS / 1000} s for every client; median of ${plural(rebalanceRounds, "round")}`;
    const pick = (key: string | undefined, j: number, f: keyof JoinFigure) => {
      const ok = (runs.get(key ?? "") ?? []).filter((r) => !r.error);
      return { value: median(ok.map((r) => r.joins[j]![f])), all: ok.map((r) => fmtNum(r.joins[j]![f])) };
    };
    const why = (key: string | undefined) =>
      (runs.get(key ?? "") ?? [])
        .filter((r) => r.error)
        .map((r) => r.error)
        .join("; ");
    for (const [j, step] of ["1→2", "2→3"].entries()) {
      for (const cfg of configs) {
        const v = pick(cfg.key, j, "seconds").value;
        if (Number.isFinite(v))
          rebalanceRows.push({
            shape: `${step} members${where ? ` [${where}]` : ""}`,
            client: cfg.label,
            value: v,
          });
      }
      for (const [cfg, base, vs] of pairs) {
        const b = pick(cfg.key, j, "seconds");
        const k = pick(base?.key, j, "seconds");
        const bp = pick(cfg.key, j, "pausedPartitionSeconds");
        const kp = pick(base?.key, j, "pausedPartitionSeconds");
        const failures = [why(cfg.key), why(base?.key)].filter(Boolean).join("; ");
        ctx.record({
          name: `rebalance ${step} members: new member's connect until every member consumes again, ${cfg.label}${at} — vs ${vs}`,
          value: b.value,
          unit: "s",
          peer: { name: base ? base.label : `${vs}, unavailable`, value: k.value },
          notes: `lower is better${cfg.assignor === "cooperative-sticky" && base?.key === "kafkajs" ? "; goal ≤ 0.5×" : ""}; ${method}; runs: ${b.all.join(", ") || "—"} vs ${k.all.join(", ") || "—"}${failures ? `; failed: ${failures}` : ""}`,
        });
        ctx.record({
          name: `rebalance ${step} members: partition-time not consumed, ${cfg.label}${at} — vs ${vs}`,
          value: bp.value,
          unit: "partition·s",
          peer: { name: base ? base.label : `${vs}, unavailable`, value: kp.value },
          notes: `lower is better; sum over the ${REBALANCE_PARTITIONS} partitions of their gaps over ${PAUSE_MS} ms in consumption, from the new member's connect until settled; ${method}; runs: ${bp.all.join(", ") || "—"} vs ${kp.all.join(", ") || "—"}`,
        });
      }
    }
  };

  const measureLatency = async (where: string, port: number, who: Client[]) => {
    const runs = new Map<string, LatencyResult[]>();
    for (let round = 0; round < latencyRounds; round++) {
      const order = who.filter((c) => !c.unavailable);
      if (turn++ % 2 === 1) order.reverse();
      for (const c of order) {
        ctx.progress(
          `${where}: end-to-end latency at ${fmtNum(LATENCY_RATE)} records/s for ${latencySeconds} s — ${c.label}${latencyRounds > 1 ? ` (round ${round + 1}/${latencyRounds})` : ""}`,
        );
        const r = await latencyOnce(c, port, `latency-${c.key}-${topicSeq++}`, latencySeconds);
        if (r.error) ctx.progress(`  ${c.label} failed: ${r.error}`);
        else
          ctx.progress(
            `  p50 ${fmtNum(r.p50us / 1000)} ms, p99 ${fmtNum(r.p99us / 1000)} ms, p99.9 ${fmtNum(r.p999us / 1000)} ms, max ${fmtNum(r.maxUs / 1000)} ms`,
          );
        runs.set(c.key, [...(runs.get(c.key) ?? []), r]);
      }
    }
    return runs;
  };

  const recordLatency = (
    where: string,
    runs: Map<string, LatencyResult[]>,
    peers: Client[],
    brook: Client,
  ) => {
    const at = where ? `, on ${where}` : "";
    const ok = (c: Client) => (runs.get(c.key) ?? []).filter((r) => !r.error);
    const failures = (c: Client) =>
      c.unavailable
        ? `${c.label} unavailable: ${c.unavailable}`
        : (runs.get(c.key) ?? [])
            .filter((r) => r.error)
            .map((r) => `${short(c.label)} failed: ${r.error}`)
            .join("; ");
    for (const [pct, key] of [
      ["p50", "p50us"],
      ["p99", "p99us"],
    ] as const) {
      const value = (c: Client) => median(ok(c).map((r) => r[key] / 1000));
      for (const c of [brook, ...peers]) {
        const v = value(c);
        if (Number.isFinite(v))
          e2eRows.push({
            shape: `end-to-end ${pct}${where ? ` [${where}]` : ""}`,
            client: c.label,
            value: v,
          });
      }
      for (const p of peers) {
        ctx.record({
          name: `end-to-end latency ${pct} at ${fmtNum(LATENCY_RATE)} records/s, eachMessage${at} — vs ${short(p.label)}`,
          value: value(brook),
          unit: "ms",
          peer: { name: peerName(p), value: value(p) },
          notes: [
            `lower is better; a paced producer (Brook's codec, acks=1, one Produce per ms) stamps each 100 B value with its creation time in µs; the consumer, in its own process with its client's defaults, subtracts it on delivery; ${latencySeconds} s measured per run after ${LATENCY_WARMUP_S} s of warm-up, median of ${plural(latencyRounds, "run")}; p99.9: ${fmtNum(median(ok(brook).map((r) => r.p999us / 1000)))} ms vs ${fmtNum(median(ok(p).map((r) => r.p999us / 1000)))} ms`,
            failures(brook),
            failures(p),
          ]
            .filter(Boolean)
            .join("; "),
        });
      }
    }
  };

  /** Consume, rebalance and latency shapes for `who` on one broker; a failure is recorded, not thrown. */
  const consumerShapes = async (where: string, port: number, who: Client[]) => {
    const brookClient = who.find((c) => c.key === "brook")!;
    const others = who.filter((c) => c.key !== "brook");
    const label = where || "Brook";
    try {
      if (parts.has("consume"))
        recordConsume(where, await measureConsume(label, port, who), others, brookClient);
    } catch (e) {
      ctx.record({
        name: `consume shapes${where ? ` on ${where}` : ""}`,
        value: Number.NaN,
        unit: "n/a",
        notes: `failed: ${(e as Error).message.split("\n")[0]}`,
      });
    }
    const configs = rebalanceConfigs(who);
    if (parts.has("rebalance")) recordRebalance(where, await measureRebalance(label, port, configs), configs);
    if (parts.has("latency"))
      recordLatency(where, await measureLatency(label, port, who), others, brookClient);
  };

  // ---- 1. every client against one Brook broker
  {
    // A new group's first join waits group.initial.rebalance.delay.ms (3 s by default, as in Kafka);
    // Kafka's test node runs with 0 (test/support/apache-kafka.ts), so Brook does too.
    const broker = await startBrokerProcess(join(ctx.tmpDir, "brook-data"), {
      "group.initial.rebalance.delay.ms": "0",
    });
    try {
      ctx.progress(`Brook broker on 127.0.0.1:${broker.port}`);
      if (parts.has("produce")) recordAll("", await measure("Brook", broker.port, clients), peers, brook);
      await consumerShapes("", broker.port, clients);
    } finally {
      await broker.stop();
    }
  }

  // ---- 2. Brook's client and KafkaJS against Apache Kafka
  const kafkajsPeer = peers.filter((c) => c.key === "kafkajs");
  const why = parts.has("kafka") ? apacheKafkaUnavailable() : "left out (BROOK_BENCH_CLIENT_PARTS)";
  if (why) {
    ctx.record({ name: `clients on ${KAFKA}`, value: Number.NaN, unit: "n/a", notes: `not run: ${why}` });
  } else {
    ctx.progress(`starting ${KAFKA} (1 KRaft node, combined controller+broker, -Xmx1G -Xms1G, G1)`);
    let cluster: Awaited<ReturnType<typeof startKafkaPeer>> | null = null;
    try {
      cluster = await startKafkaPeer(ctx.tmpDir);
      ctx.progress(`${KAFKA} serving on ${cluster.bootstrap} after ${(cluster.startMs / 1000).toFixed(1)} s`);
      if (parts.has("produce"))
        recordAll(
          KAFKA,
          await measure(KAFKA, cluster.nodes[0]!.port, [brook, ...kafkajsPeer]),
          kafkajsPeer,
          brook,
        );
      await consumerShapes(KAFKA, cluster.nodes[0]!.port, [brook, ...kafkajsPeer]);
    } catch (e) {
      ctx.record({
        name: `clients on ${KAFKA}`,
        value: Number.NaN,
        unit: "n/a",
        notes: `failed: ${(e as Error).message.split("\n")[0]}`,
      });
    } finally {
      await cluster?.stop().catch(() => {});
    }
  }

  if (chartRows.length)
    ctx.chart?.({
      name: "throughput",
      title: "client: producer throughput per client (higher is better)",
      spec: barChart({
        title: "msgs/s or MB/s (log scale)",
        data: chartRows,
        category: "shape",
        value: "value",
        valueTitle: "msgs/s, MB/s for 1 KiB records",
        color: "client",
        horizontal: true,
        logScale: true,
      }),
    });
  if (latencyRows.length)
    ctx.chart?.({
      name: "latency",
      title: "client: send latency, 1 message per await, acks=1 (lower is better)",
      spec: barChart({
        title: "ms",
        data: latencyRows,
        category: "shape",
        value: "value",
        valueTitle: "ms",
        color: "client",
        horizontal: true,
      }),
    });
  if (consumeRows.length)
    ctx.chart?.({
      name: "consume",
      title: "client: consumer throughput per client (higher is better)",
      spec: barChart({
        title: "records/s (log scale)",
        data: consumeRows,
        category: "shape",
        value: "value",
        valueTitle: "records/s",
        color: "client",
        horizontal: true,
        logScale: true,
      }),
    });
  if (rebalanceRows.length)
    ctx.chart?.({
      name: "rebalance",
      title: "client: a member joins — its connect() until every member consumes again (lower is better)",
      spec: barChart({
        title: "seconds",
        data: rebalanceRows,
        category: "shape",
        value: "value",
        valueTitle: "s",
        color: "client",
        horizontal: true,
      }),
    });
  if (e2eRows.length)
    ctx.chart?.({
      name: "e2e-latency",
      title: `client: end-to-end latency at ${fmtNum(LATENCY_RATE)} records/s, producer to eachMessage (lower is better)`,
      spec: barChart({
        title: "ms",
        data: e2eRows,
        category: "shape",
        value: "value",
        valueTitle: "ms",
        color: "client",
        horizontal: true,
      }),
    });
}
