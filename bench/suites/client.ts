/**
 * Client suite: the producer side of Brook's client (`import { Kafka } from "brook"`) beside the
 * Node.js Kafka clients people would otherwise use, all loading the same `brook start` process in
 * the same run, then Brook's client and KafkaJS once more against Apache Kafka 4.4 (one KRaft node,
 * bench/kafka-peer.ts).
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
 * Goals (reported, not asserted): Brook's client at least 2x KafkaJS and 1.3x @platformatic/kafka
 * on every shape.
 */
import { spawn } from "node:child_process";
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
import { ListOffsets } from "../../src/protocol/messages/list-offsets.js";
import { RawClient } from "../../test/support/raw-client.js";
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

/** The log end offset of partition 0: how many records the broker holds, to check a run's count. */
async function endOffset(port: number, topic: string): Promise<number> {
  const c = await RawClient.connect(port);
  try {
    const res = await c.request(ListOffsets, 5, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }],
    });
    const p = res.topics[0]?.partitions[0];
    if (p?.errorCode !== 0) throw new Error(`ListOffsets ${topic}: error ${p?.errorCode}`);
    return Number(p.offset);
  } finally {
    c.close();
  }
}

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

export default async function run(ctx: BenchContext): Promise<void> {
  const q = ctx.quick;
  const rounds = q ? 1 : 3;
  const warmupMs = q ? 500 : 2000;
  const durationMs = q ? 1500 : 5000;
  const log = (m: string) => ctx.progress(m);

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
    const out = new Map<string, Run>();
    for (const [k, rs] of runs) {
      const ok = rs.filter((r) => !r.error);
      out.set(
        k,
        ok.length
          ? {
              value: median(ok.map((r) => r.value)),
              p50ms: median(ok.map((r) => r.p50ms)),
              p99ms: median(ok.map((r) => r.p99ms)),
              cpuUsPerMsg: median(ok.map((r) => r.cpuUsPerMsg)),
            }
          : rs[0]!,
      );
    }
    return out;
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

  // ---- 1. every client against one Brook broker
  {
    const broker = await startBrokerProcess(join(ctx.tmpDir, "brook-data"));
    try {
      ctx.progress(`Brook broker on 127.0.0.1:${broker.port}`);
      const res = await measure("Brook", broker.port, clients);
      recordAll("", res, peers, brook);
    } finally {
      await broker.stop();
    }
  }

  // ---- 2. Brook's client and KafkaJS against Apache Kafka
  const kafkajsPeer = peers.filter((c) => c.key === "kafkajs");
  const why = apacheKafkaUnavailable();
  if (why) {
    ctx.record({ name: `clients on ${KAFKA}`, value: Number.NaN, unit: "n/a", notes: `not run: ${why}` });
  } else {
    ctx.progress(`starting ${KAFKA} (1 KRaft node, combined controller+broker, -Xmx1G -Xms1G, G1)`);
    let cluster: Awaited<ReturnType<typeof startKafkaPeer>> | null = null;
    try {
      cluster = await startKafkaPeer(ctx.tmpDir);
      ctx.progress(`${KAFKA} serving on ${cluster.bootstrap} after ${(cluster.startMs / 1000).toFixed(1)} s`);
      const res = await measure(KAFKA, cluster.nodes[0]!.port, [brook, ...kafkajsPeer]);
      recordAll(KAFKA, res, kafkajsPeer, brook);
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
}
