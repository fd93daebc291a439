/**
 * Apache Kafka as the broker suite's peer, and what the suite does the same way on both brokers:
 *
 * - `startKafkaPeer`: one KRaft node (combined controller + broker) through
 *   test/support/apache-kafka.ts, on ephemeral ports, with its data under the suite's scratch dir
 *   (the same disk as Brook's), and the JVM Kafka's own start scripts give it (G1, 1 GiB heap).
 * - `measureStart`: process spawn to the first Metadata answer listing a broker, for a fresh Brook
 *   (`node dist/cli/main.js start`) and a fresh, already formatted Kafka node (`kafka.Kafka`).
 * - topic admin over the wire (CreateTopics / DeleteTopics / Metadata with Brook's codec), so both
 *   brokers get their topics the same way, and Kafka's "flush per write" topics get
 *   `flush.messages=1` (the topic-level form of `log.flush.interval.messages=1`).
 * - Kafka's own load generators, ProducerPerformance and ConsumerPerformance (kafka-tools), and
 *   parsers for their summaries.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CreateTopics } from "../src/protocol/messages/create-topics.js";
import { DeleteTopics } from "../src/protocol/messages/delete-topics.js";
import { Metadata } from "../src/protocol/messages/metadata.js";
import {
  APACHE_KAFKA_VERSION,
  type ApacheKafkaCluster,
  apacheKafkaUnavailable,
  brokerIdsFrom,
  combinedNodeProperties,
  KAFKA_LOG4J2,
  freePorts,
  javaBinary,
  kafkaJavaClasspath,
  randomKafkaUuid,
  sharedNodeProperties,
  startApacheKafka,
  stopProcess,
} from "../test/support/apache-kafka.js";
import { RawClient } from "../test/support/raw-client.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

export { APACHE_KAFKA_VERSION, apacheKafkaUnavailable };

/** Kafka's own JVM settings (kafka-server-start.sh: -Xmx1G -Xms1G; kafka-run-class.sh: G1 options). */
export const KAFKA_HEAP_MB = 1024;
const KAFKA_JVM = [
  `-Xmx${KAFKA_HEAP_MB}m`,
  `-Xms${KAFKA_HEAP_MB}m`,
  "-XX:+UseG1GC",
  "-XX:MaxGCPauseMillis=20",
  "-XX:InitiatingHeapOccupancyPercent=35",
  "-XX:+ExplicitGCInvokesConcurrent",
  "-Djava.awt.headless=true",
];

/** The Kafka node the suite loads: Kafka's defaults, full JIT (never quickStart), data under `tmpDir`. */
export function startKafkaPeer(tmpDir: string): Promise<ApacheKafkaCluster> {
  return startApacheKafka({
    brokers: 1,
    heapMb: KAFKA_HEAP_MB,
    jvmArgs: [`-Xms${KAFKA_HEAP_MB}m`],
    tmpDir,
    startTimeoutMs: 180_000,
  });
}

// ---------------------------------------------------------------------------------------------
// topics, the same way on both brokers

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Creates `name` with `partitions` partitions and topic `configs`, and waits until every partition has a leader. */
export async function createTopic(
  port: number,
  name: string,
  partitions: number,
  configs: Record<string, string> = {},
): Promise<void> {
  const c = await RawClient.connect(port);
  try {
    const res = await c.request(CreateTopics, 5, {
      topics: [
        {
          name,
          numPartitions: partitions,
          replicationFactor: 1,
          assignments: [],
          configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })),
        },
      ],
      timeoutMs: 30_000,
      validateOnly: false,
    });
    const t = res.topics[0];
    if (t?.errorCode !== 0)
      throw new Error(`CreateTopics ${name}: error ${t?.errorCode} ${t?.errorMessage ?? ""}`);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const md = await c.request(Metadata, 9, {
        topics: [{ name }],
        allowAutoTopicCreation: false,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      });
      const parts = md.topics[0]?.partitions ?? [];
      if (
        md.topics[0]?.errorCode === 0 &&
        parts.length === partitions &&
        parts.every((p) => p.errorCode === 0 && p.leaderId >= 0)
      )
        return;
      if (Date.now() > deadline) throw new Error(`topic ${name}: partitions without a leader after 30 s`);
      await sleep(50);
    }
  } finally {
    c.close();
  }
}

/** Deletes topics (to keep the disk from filling over the run); errors are ignored. */
export async function deleteTopics(port: number, names: string[]): Promise<void> {
  if (names.length === 0) return;
  let c: RawClient | undefined;
  try {
    c = await RawClient.connect(port);
    await c.request(DeleteTopics, 4, { topicNames: names, timeoutMs: 30_000 });
  } catch {
    // best effort
  } finally {
    c?.close();
  }
}

// ---------------------------------------------------------------------------------------------
// start time

/** True when the broker on `port` answers Metadata listing at least one broker. */
async function answersMetadata(port: number): Promise<boolean> {
  return ((await brokerIdsFrom(port))?.length ?? 0) > 0;
}

// Processes this module started, killed if the bench process exits first.
const live = new Set<ChildProcess>();
let hooked = false;
function track(p: ChildProcess): void {
  if (!hooked) {
    hooked = true;
    process.on("exit", () => {
      for (const x of live) {
        try {
          x.kill("SIGKILL");
        } catch {}
      }
    });
  }
  live.add(p);
  p.once("exit", () => live.delete(p));
}

/** Spawns a process (output to `logFile`) and times spawn -> first Metadata answer on `port`; then stops it. */
async function timeStart(
  cmd: string,
  args: string[],
  port: number,
  logFile: string,
  timeoutMs: number,
): Promise<number> {
  const fd = openSync(logFile, "a");
  const t0 = performance.now();
  const p = spawn(cmd, args, { cwd: ROOT, stdio: ["ignore", fd, fd] });
  closeSync(fd);
  track(p);
  p.on("error", () => {});
  try {
    for (;;) {
      if (p.exitCode !== null || p.signalCode !== null)
        throw new Error(`${cmd} exited with ${p.exitCode ?? p.signalCode} before serving (log: ${logFile})`);
      if (await answersMetadata(port)) return performance.now() - t0;
      if (performance.now() - t0 > timeoutMs)
        throw new Error(`${cmd} not serving after ${timeoutMs} ms (log: ${logFile})`);
      await sleep(20);
    }
  } finally {
    await stopProcess(p);
  }
}

/**
 * Compiles Brook (tsc -p tsconfig.build.json) into <checkout>/.bench-cache/brook-dist, so its start
 * time is that of `node dist/cli/main.js start` (what `npm start` and `npx brook start` run), not of
 * a TypeScript loader. Always inside the checkout, whatever BROOK_BENCH_CACHE says, so that
 * node_modules resolves. Returns the main.js path.
 */
export async function compileBrook(): Promise<string> {
  const outDir = join(ROOT, ".bench-cache", "brook-dist");
  rmSync(outDir, { recursive: true, force: true });
  await new Promise<void>((resolve, reject) => {
    const p = spawn(
      process.execPath,
      [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json", "--outDir", outDir],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr.on("data", (d: Buffer) => (out += d.toString()));
    p.on("error", reject);
    p.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`tsc exited with ${code}: ${out.slice(-800)}`)),
    );
  });
  return join(outDir, "cli", "main.js");
}

/** Brook from an empty data dir: spawn of `node <main.js> start` to the first Metadata answer, ms. */
export async function measureBrookStart(mainJs: string, scratch: string): Promise<number> {
  const dir = mkdtempSync(join(scratch, "brook-start-"));
  try {
    const [port] = await freePorts(1);
    return await timeStart(
      process.execPath,
      [mainJs, "start", "--port", String(port), "--data-dir", join(dir, "data")],
      port!,
      join(dir, "brook.log"),
      60_000,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Kafka from an empty, formatted data dir: `kafka-storage.sh format` first (timed apart, as
 * `formatMs`), then spawn of the broker JVM (Kafka's JVM settings, as the suite's Kafka) to the
 * first Metadata answer listing the broker.
 */
export async function measureKafkaStart(scratch: string): Promise<{ startMs: number; formatMs: number }> {
  const dir = mkdtempSync(join(scratch, "kafka-start-"));
  try {
    const [port, controllerPort] = await freePorts(2);
    mkdirSync(join(dir, "logs"), { recursive: true });
    const log4j = join(dir, "log4j2.properties");
    writeFileSync(log4j, KAFKA_LOG4J2);
    const props: Record<string, string> = {
      ...combinedNodeProperties(port!, controllerPort!),
      ...sharedNodeProperties(controllerPort!, 1),
      "log.dirs": join(dir, "data"),
    };
    const cfg = join(dir, "server.properties");
    writeFileSync(
      cfg,
      `${Object.entries(props)
        .map(([k, v]) => `${k}=${v}`)
        .join("\n")}\n`,
    );
    const f0 = performance.now();
    const fmt = await runJavaTool(
      "kafka.tools.StorageTool",
      ["format", "-t", randomKafkaUuid(), "-c", cfg, "--standalone"],
      { jvmArgs: [`-Dlog4j2.configurationFile=${log4j}`], timeoutMs: 120_000 },
    );
    const formatMs = performance.now() - f0;
    if (fmt.code !== 0) throw new Error(`kafka-storage format failed: ${fmt.stderr.slice(-500)}`);
    const startMs = await timeStart(
      javaBinary(),
      [
        ...KAFKA_JVM,
        `-Dlog4j2.configurationFile=${log4j}`,
        `-Dkafka.logs.dir=${join(dir, "logs")}`,
        "-cp",
        kafkaJavaClasspath(),
        "kafka.Kafka",
        cfg,
      ],
      port!,
      join(dir, "logs", "server.log"),
      180_000,
    );
    return { startMs, formatMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Kafka's own perf tools

/**
 * Runs a Java main class with Kafka's jars and collects its output, resolving once the output
 * streams have closed ('close', not 'exit': on 'exit' the last lines may still be unread). SIGKILL
 * after `timeoutMs`, resolving with what was printed until then and code null.
 */
export function runJavaTool(
  mainClass: string,
  args: string[],
  o: { heapMb?: number; jvmArgs?: string[]; timeoutMs: number },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(
      javaBinary(),
      [`-Xmx${o.heapMb ?? 256}m`, ...(o.jvmArgs ?? []), "-cp", kafkaJavaClasspath(), mainClass, ...args],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    track(p);
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => p.kill("SIGKILL"), o.timeoutMs);
    p.on("error", (e) => {
      clearTimeout(t);
      reject(e);
    });
    p.on("close", (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

const MIB_TO_MB = (1024 * 1024) / 1e6;

export interface JavaPerfResult {
  records: number;
  recordsPerSec: number;
  /** MB/s (10^6 bytes; the tools print MiB/s) */
  mbPerSec: number;
  line: string;
}

/**
 * Parses ProducerPerformance's output: its steady-state line ("N steady state records sent, R
 * records/sec (M MB/sec), ...", printed with --warmup-records), else its final line ("N records sent,
 * ... ms 50th, ..."); when it was stopped at the time cap, its per-second progress lines ("N records
 * sent, R records/sec (M MB/sec), ... max latency.") summed up.
 */
export function parseProducerPerformance(out: string): JavaPerfResult & { capped: boolean } {
  const re = /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\)/;
  const steady = /(\d+) steady state records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\)/.exec(out);
  if (steady)
    return {
      records: Number(steady[1]),
      recordsPerSec: Number(steady[2]),
      mbPerSec: Number(steady[3]) * MIB_TO_MB,
      line: steady[0],
      capped: false,
    };
  const lines = out.split("\n").filter((l) => re.test(l));
  const final = lines.filter((l) => / 50th/.test(l)).at(-1);
  if (final) {
    const m = re.exec(final)!;
    return {
      records: Number(m[1]),
      recordsPerSec: Number(m[2]),
      mbPerSec: Number(m[3]) * MIB_TO_MB,
      line: final.trim(),
      capped: false,
    };
  }
  let records = 0;
  let secs = 0;
  let mib = 0;
  for (const l of lines) {
    const m = re.exec(l)!;
    const n = Number(m[1]);
    const rate = Number(m[2]);
    if (n === 0 || rate === 0) continue;
    records += n;
    secs += n / rate;
    mib += (Number(m[3]) * n) / rate;
  }
  if (records === 0) throw new Error(`cannot parse ProducerPerformance output: ${out.slice(-600)}`);
  return {
    records,
    recordsPerSec: records / secs,
    mbPerSec: (mib / secs) * MIB_TO_MB,
    line: `${lines.length} progress lines`,
    capped: true,
  };
}

/**
 * Parses ConsumerPerformance's CSV line (start.time, end.time, data.consumed.in.MB, MB.sec,
 * data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec),
 * taking the fetch.* figures (which leave out the group join).
 */
export function parseConsumerPerformance(out: string): JavaPerfResult {
  const rows = out
    .split("\n")
    .map((l) => l.split(",").map((x) => x.trim()))
    .filter((c) => c.length >= 10 && c.slice(2).every((x) => /^-?[\d.]+$/.test(x)));
  const c = rows[rows.length - 1];
  if (!c) throw new Error(`cannot parse ConsumerPerformance output: ${out.slice(-600)}`);
  return {
    records: Number(c[4]),
    recordsPerSec: Number(c[9]),
    mbPerSec: Number(c[8]) * MIB_TO_MB,
    line: c.join(", "),
  };
}

/**
 * Runs ProducerPerformance against `bootstrap` with producer `props`; `payload` is a record size or a
 * file of lines. The first 10% of the records are JVM warm-up (--warmup-records): the figure is the
 * steady state after them. Stopped (SIGKILL) after `capMs`: the figure then comes from its progress
 * lines.
 */
export async function producerPerformance(o: {
  bootstrap: string;
  topic: string;
  records: number;
  payload: { size: number } | { file: string };
  props: Record<string, string>;
  capMs: number;
}): Promise<JavaPerfResult & { capped: boolean }> {
  const args = [
    "--bootstrap-server",
    o.bootstrap,
    "--topic",
    o.topic,
    "--num-records",
    String(o.records),
    "--throughput",
    "-1",
    ...("size" in o.payload ? ["--record-size", String(o.payload.size)] : ["--payload-file", o.payload.file]),
    "--warmup-records",
    String(Math.floor(o.records / 10)),
    "--reporting-interval",
    "1000",
    "--command-property",
    ...Object.entries(o.props).map(([k, v]) => `${k}=${v}`),
  ];
  const r = await runJavaTool("org.apache.kafka.tools.ProducerPerformance", args, {
    heapMb: 512,
    timeoutMs: o.capMs,
  });
  if (r.code !== 0 && r.code !== null)
    throw new Error(`ProducerPerformance exited with ${r.code}: ${(r.stderr || r.stdout).slice(-600)}`);
  return parseProducerPerformance(r.stdout);
}

/** Runs ConsumerPerformance (a group consumer from the earliest offset) for `records` records. */
export async function consumerPerformance(o: {
  bootstrap: string;
  topic: string;
  records: number;
  group: string;
  timeoutMs: number;
}): Promise<JavaPerfResult> {
  const r = await runJavaTool(
    "org.apache.kafka.tools.ConsumerPerformance",
    [
      "--bootstrap-server",
      o.bootstrap,
      "--topic",
      o.topic,
      "--num-records",
      String(o.records),
      "--group",
      o.group,
      "--timeout",
      "30000",
      "--reporting-interval",
      "60000",
    ],
    { heapMb: 512, timeoutMs: o.timeoutMs },
  );
  if (r.code !== 0)
    throw new Error(`ConsumerPerformance exited with ${r.code}: ${(r.stderr || r.stdout).slice(-600)}`);
  return parseConsumerPerformance(r.stdout);
}
