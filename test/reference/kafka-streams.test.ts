/**
 * Kafka Streams 4.4 against Brook, judged by Apache Kafka. The Java program under
 * test/reference/streams/ runs exactly-once (exactly_once_v2) Streams applications:
 *
 *   orders    the seed's sample (001): orders keyed by order id, grouped by user, counted
 *   windowed  page views counted per page in tumbling one-minute windows of their record time
 *   join      purchases joined to a customers KTable (with region moves and a deletion), summed per region
 *   pairs     a stream-stream join of impressions and clicks within 10 s, counted per ad
 *   recount   orders counted again, halted twice with a transaction open (see runCluster)
 *
 * KafkaJS creates the topics and produces the same deterministic input (explicit record timestamps)
 * into Brook and into a real Apache Kafka. Each program runs until every application has committed
 * the end of every topic it reads, closes, and reads each output topic with a read_committed
 * consumer, reduced to the last value per key. Each cluster's results must match the values
 * computed here from the input, and Brook's must match Kafka's, internal topics (repartition,
 * changelog) and the configs Streams gave them included. Kafka's application reset tool then runs
 * on the seed's app. Last, Brook alone: recount while the broker process is SIGKILLed twice.
 * Streams' Log4j output goes to files in the run's temp folder, printed on failure (kept with
 * BROOK_KEEP_STREAMS_LOGS=1).
 *
 * The Java sources compile (plain javac) into .kafka-cache/<version>/classes/streams, again only when
 * they change. Skipped, with the reason, when Java 17+ or the Kafka jars are missing.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Kafka, logLevel } from "kafkajs";
import { type TestBroker, startTestBroker } from "../../src/testing/index.js";
import {
  APACHE_KAFKA_HOME,
  type ApacheKafkaCluster,
  apacheKafkaUnavailable,
  freePorts,
  javaBinary,
  kafkaJavaClasspath,
  runKafkaJava,
  startApacheKafka,
} from "../support/apache-kafka.js";
import { type BrokerProcess, spawnBroker } from "../support/broker-process.js";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

const reason = apacheKafkaUnavailable();
if (reason) console.warn(`SKIP Kafka Streams reference tests: ${reason}`);

const SOURCES = fileURLToPath(new URL("./streams/", import.meta.url));
const CLASSES = join(APACHE_KAFKA_HOME, "classes", "streams");
const APPS = ["orders", "windowed", "join", "pairs"] as const;
type AppName = (typeof APPS)[number];

/** Compiles test/reference/streams/*.java into CLASSES unless the sources' hash is unchanged. */
function compileStreamsSuite(): string {
  const files = readdirSync(SOURCES)
    .filter((f) => f.endsWith(".java"))
    .sort();
  const hash = createHash("sha256");
  for (const f of files) hash.update(f).update(readFileSync(join(SOURCES, f)));
  const digest = hash.digest("hex");
  const marker = join(CLASSES, "sources.sha256");
  if (existsSync(marker) && readFileSync(marker, "utf8") === digest) return CLASSES;
  mkdirSync(join(APACHE_KAFKA_HOME, "classes"), { recursive: true });
  const out = mkdtempSync(`${CLASSES}.tmp-`);
  const javac = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, "bin", "javac") : "javac";
  const r = spawnSync(
    javac,
    ["-nowarn", "-d", out, "-cp", kafkaJavaClasspath(), ...files.map((f) => join(SOURCES, f))],
    { encoding: "utf8", timeout: 120_000 },
  );
  if (r.error || r.status !== 0) {
    rmSync(out, { recursive: true, force: true });
    throw new Error(`javac failed (${r.error?.message ?? r.status}):\n${r.stdout}${r.stderr}`);
  }
  writeFileSync(join(out, "sources.sha256"), digest);
  rmSync(CLASSES, { recursive: true, force: true });
  renameSync(out, CLASSES);
  return CLASSES;
}

// ---------------------------------------------------------------------------------------------
// The input: deterministic (a fixed-seed generator), timestamps relative to T0, a whole minute
// about an hour ago (recent enough for retention, old enough to stay behind every window's grace).

function generator(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Msg {
  key: string;
  value: string | null;
  timestamp: number;
  headers?: Record<string, string>;
}

type Scenario = AppName | "recount";
const SCENARIO_INPUTS: Record<Scenario, string[]> = {
  orders: ["orders"],
  windowed: ["page-views"],
  join: ["customers", "purchases"],
  pairs: ["impressions", "clicks"],
  recount: ["recount-orders"],
};

interface Plan {
  /** Topic -> messages, in the order they are produced (one topic after the other, in this order). */
  input: Array<[string, Msg[]]>;
  outputs: Record<Scenario, string>;
  expected: Record<Scenario, Record<string, number>>;
}

function makePlan(t0: number): Plan {
  const rnd = generator(13);
  const pick = (n: number) => Math.floor(rnd() * n);

  // orders: the seed's OrderEvent, written as the seed's sendOrder() does (key orderId, JSON, headers).
  const order = (i: number, userId: string): Msg => {
    const items = Array.from({ length: 1 + pick(3) }, () => ({
      productId: `p-${pick(50)}`,
      quantity: 1 + pick(4),
    }));
    const ts = t0 + i * 1000;
    const event = {
      orderId: `order-${i}`,
      userId,
      items,
      total: Math.round(rnd() * 10_000) / 100,
      timestamp: new Date(ts),
    };
    return {
      key: event.orderId,
      value: JSON.stringify(event),
      timestamp: ts,
      headers: { "event-type": "order-created", source: "order-service" },
    };
  };
  const orders: Msg[] = [];
  const perUser: Record<string, number> = {};
  for (let i = 0; i < 240; i++) {
    const userId = `user-${pick(7)}`;
    orders.push(order(i, userId));
    perUser[userId] = (perUser[userId] ?? 0) + 1;
  }
  // recount: more orders, for the app that is halted twice on its way.
  const recountOrders: Msg[] = [];
  const recountPerUser: Record<string, number> = {};
  for (let i = 0; i < 2000; i++) {
    const userId = `user-${pick(11)}`;
    recountOrders.push(order(i, userId));
    recountPerUser[userId] = (recountPerUser[userId] ?? 0) + 1;
  }

  // windowed: out-of-order views over 20 minutes.
  const views: Msg[] = [];
  const perWindow: Record<string, number> = {};
  for (let i = 0; i < 300; i++) {
    const page = `page-${pick(5)}`;
    const ts = t0 + pick(20 * 60_000);
    views.push({ key: page, value: `view-${i}`, timestamp: ts });
    const k = `${page}@${ts - (ts % 60_000)}`;
    perWindow[k] = (perWindow[k] ?? 0) + 1;
  }

  // join: customers (20), purchases by customers 0..24 (20..24 unknown: dropped by the inner join),
  // then five customers move region and one is deleted, then more purchases. Timestamps order the
  // phases; Streams processes a task's partitions in timestamp order, so the result is fixed.
  const regions = ["north", "south", "east", "west"];
  const customers: Msg[] = [];
  const regionOf = new Map<string, string>();
  for (let c = 0; c < 20; c++) {
    const region = regions[pick(4)]!;
    customers.push({ key: `cust-${c}`, value: region, timestamp: t0 + c });
    regionOf.set(`cust-${c}`, region);
  }
  const purchases: Msg[] = [];
  const perRegion: Record<string, number> = {};
  const buy = (ts: number) => {
    const customer = `cust-${pick(25)}`;
    const cents = 100 + pick(9_900);
    purchases.push({ key: customer, value: String(cents), timestamp: ts });
    const region = regionOf.get(customer);
    if (region !== undefined) perRegion[region] = (perRegion[region] ?? 0) + cents;
  };
  for (let i = 0; i < 200; i++) buy(t0 + 100_000 + i * 100);
  for (let c = 0; c < 5; c++) {
    const region = regions[(regions.indexOf(regionOf.get(`cust-${c}`)!) + 1) % 4]!;
    customers.push({ key: `cust-${c}`, value: region, timestamp: t0 + 200_000 + c });
    regionOf.set(`cust-${c}`, region);
  }
  customers.push({ key: "cust-5", value: null, timestamp: t0 + 200_010 });
  regionOf.delete("cust-5");
  for (let i = 0; i < 100; i++) buy(t0 + 300_000 + i * 100);

  // pairs: impressions every 5 s, clicks at random times; a pair is a click within 10 s of an
  // impression of the same ad (both bounds inclusive).
  const ads = ["ad-0", "ad-1", "ad-2", "ad-3"];
  const impressions: Msg[] = [];
  const clicks: Msg[] = [];
  for (let i = 0; i < 120; i++) {
    impressions.push({ key: ads[pick(4)]!, value: `imp-${i}`, timestamp: t0 + i * 5_000 });
  }
  for (let i = 0; i < 80; i++) {
    clicks.push({ key: ads[pick(4)]!, value: `click-${i}`, timestamp: t0 + pick(600_000) });
  }
  const perAd: Record<string, number> = {};
  for (const imp of impressions) {
    for (const click of clicks) {
      if (click.key === imp.key && Math.abs(click.timestamp - imp.timestamp) <= 10_000) {
        perAd[imp.key] = (perAd[imp.key] ?? 0) + 1;
      }
    }
  }

  return {
    input: [
      ["orders", orders],
      ["page-views", views],
      ["customers", customers.slice(0, 20)],
      ["purchases", purchases.slice(0, 200)],
      ["customers", customers.slice(20)],
      ["purchases", purchases.slice(200)],
      ["impressions", impressions],
      ["clicks", clicks],
      ["recount-orders", recountOrders],
    ],
    outputs: {
      orders: "order-counts",
      windowed: "page-view-counts",
      join: "region-totals",
      pairs: "ad-click-pairs",
      recount: "recount-order-counts",
    },
    expected: {
      orders: perUser,
      windowed: perWindow,
      join: perRegion,
      pairs: perAd,
      recount: recountPerUser,
    },
  };
}

/**
 * Creates the input and output topics (3 partitions) and produces the plan's input with KafkaJS;
 * `only`: just the topics of those scenarios.
 */
async function loadInput(bootstrap: string, plan: Plan, only?: Scenario[]): Promise<void> {
  if (only) {
    const outputs = only.map((s) => plan.outputs[s]);
    const inputs = new Set(only.flatMap((s) => SCENARIO_INPUTS[s]));
    plan = {
      ...plan,
      input: plan.input.filter(([t]) => inputs.has(t)),
      outputs: Object.fromEntries(
        Object.entries(plan.outputs).filter(([, t]) => outputs.includes(t)),
      ) as Plan["outputs"],
    };
  }
  const kafka = new Kafka({
    clientId: "streams-input",
    brokers: bootstrap.split(","),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  await admin.connect();
  try {
    const topics = [...new Set([...plan.input.map(([t]) => t), ...Object.values(plan.outputs)])];
    await admin.createTopics({
      topics: topics.map((topic) => ({ topic, numPartitions: 3, replicationFactor: 1 })),
      waitForLeaders: true,
    });
    await producer.connect();
    for (const [topic, messages] of plan.input) {
      await producer.send({
        topic,
        acks: -1,
        messages: messages.map((m) => ({ ...m, timestamp: String(m.timestamp) })),
      });
    }
  } finally {
    await producer.disconnect().catch(() => {});
    await admin.disconnect().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------

interface AppResult {
  caughtUpMs: number;
  internalTopics: Record<string, Record<string, unknown>>;
  output: Record<string, number>;
  /** Records of the output topic read read_committed, and read_uncommitted (aborted ones too). */
  outputRecords: { committed: number; all: number };
}
type SuiteResult = Partial<Record<Scenario, AppResult>> & { closeMs: number; totalMs: number };

interface JavaRun {
  /** Null when the run halted itself (brook.haltAfter). */
  result: SuiteResult | null;
  wallMs: number;
  stdout: string;
}

const LOG4J = (file: string) => `appender.file.type = File
appender.file.name = FILE
appender.file.fileName = ${file}
appender.file.append = true
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d{HH:mm:ss.SSS}] %p [%t] %m (%c{1})%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.configs.name = org.apache.kafka.common.config.AbstractConfig
logger.configs.level = WARN
logger.appinfo.name = org.apache.kafka.common.utils.AppInfoParser
logger.appinfo.level = WARN
`;

/** The last lines of a log, warnings and errors first: what to print when a run fails. */
function logExcerpt(file: string, tail = 60): string {
  if (!existsSync(file)) return `(no log at ${file})`;
  const lines = readFileSync(file, "utf8").split("\n");
  const bad = lines.filter((l) => / (WARN|ERROR) /.test(l)).slice(-40);
  return `--- ${file}: last warnings/errors ---\n${bad.join("\n")}\n--- last ${tail} lines ---\n${lines.slice(-tail).join("\n")}`;
}

/**
 * Runs StreamsSuite in a JVM of its own: `apps` against `bootstrap`, logging into `logFile`
 * (appended). `halts`: the run is expected to halt itself (exit 3) rather than finish.
 */
function runJava(o: {
  bootstrap: string;
  logFile: string;
  stateDir: string;
  runId: string;
  apps: Scenario[];
  props?: Record<string, string>;
  halts?: boolean;
  timeoutMs?: number;
  /** Called with every line the program prints (DONE, COMMITTED <app> <n>, HALT, RESULT). */
  onLine?: (line: string) => void;
}): Promise<JavaRun> {
  const timeoutMs = o.timeoutMs ?? 120_000;
  const log4j = `${o.logFile}.log4j2.properties`;
  writeFileSync(log4j, LOG4J(o.logFile));
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const p = spawn(
      javaBinary(),
      [
        "-Xmx384m",
        "-XX:TieredStopAtLevel=1",
        "-XX:+UseSerialGC",
        `-Dlog4j2.configurationFile=${log4j}`,
        ...Object.entries(o.props ?? {}).map(([k, v]) => `-Dbrook.${k}=${v}`),
        "-cp",
        [CLASSES, kafkaJavaClasspath()].join(delimiter),
        "StreamsSuite",
        o.bootstrap,
        o.runId,
        o.stateDir,
        String(timeoutMs),
        o.apps.join(","),
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let partial = "";
    p.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (!o.onLine) return;
      const lines = (partial + d.toString()).split("\n");
      partial = lines.pop()!;
      for (const l of lines) o.onLine(l);
    });
    p.stderr.on("data", (d: Buffer) => (stdout += d.toString()));
    const killer = setTimeout(() => p.kill("SIGKILL"), timeoutMs + 60_000);
    p.on("error", (e) => {
      clearTimeout(killer);
      reject(e);
    });
    p.on("exit", (code, signal) => {
      clearTimeout(killer);
      const wallMs = performance.now() - started;
      const fail = (why: string) =>
        reject(
          new Error(`Streams ${o.apps.join(",")} ${why}:\n${stdout.slice(-6000)}\n${logExcerpt(o.logFile)}`),
        );
      if (o.halts) {
        if (code === 3 && /^HALT /m.test(stdout)) resolve({ result: null, wallMs, stdout });
        else fail(`was to halt itself (exit 3) but exited with ${code ?? signal}`);
        return;
      }
      const line = stdout.split("\n").find((l) => l.startsWith("RESULT "));
      if (code !== 0 || !line) fail(`exited with ${code ?? signal}`);
      else resolve({ result: JSON.parse(line.slice("RESULT ".length)), wallMs, stdout });
    });
  });
}

interface ResetOutcome {
  /** The application's topics left after the reset tool ran (none expected). */
  internalTopicsLeft: string[];
  /** Committed offsets of the application's group on its input, per partition. */
  committed: Record<string, string>;
}

/** Runs kafka-streams-application-reset.sh's class on one application, and looks at what it left. */
async function resetApp(bootstrap: string, appId: string, input: string): Promise<ResetOutcome> {
  const r = await runKafkaJava("org.apache.kafka.tools.StreamsResetter", [
    "--bootstrap-server",
    bootstrap,
    "--application-id",
    appId,
    "--input-topics",
    input,
    "--force",
  ]);
  if (r.code !== 0) throw new Error(`StreamsResetter exited with ${r.code}:\n${r.stdout}\n${r.stderr}`);
  const kafka = new Kafka({
    clientId: "streams-reset-check",
    brokers: bootstrap.split(","),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const internalTopicsLeft = (await admin.listTopics()).filter((t) => t.startsWith(`${appId}-`)).sort();
    const offsets = await admin.fetchOffsets({ groupId: appId, topics: [input] });
    const committed = Object.fromEntries(
      offsets.flatMap((t) => t.partitions.map((p) => [`${t.topic}-${p.partition}`, p.offset])).sort(),
    );
    return { internalTopicsLeft, committed };
  } finally {
    await admin.disconnect();
  }
}

interface ClusterRun {
  reset: ResetOutcome;
  main: JavaRun;
  recount: JavaRun[];
  /** Every scenario's result. */
  results: Record<Scenario, AppResult>;
}

/**
 * Everything on one cluster, two JVMs at a time: the four apps in one, and beside it recount in
 * three JVMs one after the other: instance a (static members, KIP-345), halted at its 500th count
 * with a transaction open; instances a (same state dir, so the same process id and transactional
 * ids: InitProducerId fences and aborts what the halted JVM left; same group.instance.ids: its
 * members replace the halted ones) and b (dynamic members), halted at their 700th count; then
 * instance c alone, with a fresh state dir: the second JVM's members leave by session timeout, its
 * transactions are aborted by their timeout, the state is restored from the changelogs, and the
 * app runs to the end.
 */
async function runCluster(label: string, bootstrap: string, dir: string): Promise<ClusterRun> {
  const runId = `${label}-${process.pid}-${Date.now()}`;
  const stateDir = join(dir, `state-${label}`);
  const mainRun = runJava({
    bootstrap,
    logFile: join(dir, `streams-${label}.log`),
    stateDir,
    runId,
    apps: [...APPS],
  });
  // Then Kafka's application reset tool on the seed's app: its internal topics deleted, its
  // committed offsets on the input back to 0.
  const resetRun = mainRun.then(() => resetApp(bootstrap, `orders-${runId}`, "orders"));
  resetRun.catch(() => {});
  const recountLog = join(dir, `streams-${label}-recount.log`);
  const recount: JavaRun[] = [];
  const phase = async (props: Record<string, string>, halts: boolean) => {
    recount.push(
      await runJava({ bootstrap, logFile: recountLog, stateDir, runId, apps: ["recount"], props, halts }),
    );
  };
  await phase({ pauseMs: "2", haltAfter: "500", instances: "a", static: "a" }, true);
  await phase({ pauseMs: "2", haltAfter: "700", instances: "a,b", static: "a" }, true);
  await phase({ instances: "c" }, false);
  const main = await mainRun;
  const reset = await resetRun;
  const results = { ...main.result, recount: recount[2]!.result!.recount } as Record<Scenario, AppResult>;
  return { main, recount, results, reset };
}

/** The run's view without timings and purge progress: what must be the same on Brook and Kafka. */
function comparable(r: Record<Scenario, AppResult>) {
  return Object.fromEntries(
    SCENARIOS.map((app) => [
      app,
      {
        output: r[app].output,
        internalTopics: Object.fromEntries(
          Object.entries(r[app].internalTopics).map(([name, info]) => {
            const { logStartOffsets: _, ...rest } = info;
            return [name, rest];
          }),
        ),
      },
    ]),
  );
}

function sorted(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const SCENARIOS: Scenario[] = [...APPS, "recount"];
// Both clusters abort timed-out transactions within a second (Kafka checks every 10 s by default).
const CLUSTER_CONFIGS = { "transaction.abort.timed.out.transaction.cleanup.interval.ms": "1000" };

describe("Kafka Streams 4.4 (exactly_once_v2): Brook against Apache Kafka", {
  skip: reason ?? false,
  concurrency: false,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), "brook-streams-"));
  const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 60 * 60_000;
  const plan = makePlan(t0);
  const runs: Partial<Record<"brook" | "kafka", ClusterRun>> = {};
  let kafkaStarting: Promise<ApacheKafkaCluster> | undefined;
  let failed = false;

  before(() => {
    compileStreamsSuite();
    // Kafka starts (5-15 s) while Brook's run goes on.
    kafkaStarting = startApacheKafka({ brokers: 1, quickStart: true, configs: CLUSTER_CONFIGS });
    kafkaStarting.catch(() => {});
  });

  after(async () => {
    const kafka = await kafkaStarting?.catch(() => undefined);
    await kafka?.stop({ keepData: failed });
    if (failed || process.env.BROOK_KEEP_STREAMS_LOGS) console.log(`Streams logs kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  });

  function check(t: { diagnostic(s: string): void }, label: string, run: ClusterRun) {
    const r = run.results;
    t.diagnostic(
      `${label}: four apps in ${Math.round(run.main.wallMs)} ms (caught up ${APPS.map((a) => `${a} ${r[a].caughtUpMs}`).join(", ")} ms; close ${run.main.result!.closeMs} ms); recount JVMs ${run.recount.map((x) => Math.round(x.wallMs)).join(" + ")} ms`,
    );
    for (const app of SCENARIOS) {
      const purged = Object.entries(r[app].internalTopics)
        .filter(([n]) => n.endsWith("-repartition"))
        .map(([n, i]) => `${n} ${i.logStartOffsets}`);
      if (purged.length) t.diagnostic(`${label}: ${app}: repartition records purged: ${purged.join(", ")}`);
    }
    const rc = r.recount.outputRecords;
    t.diagnostic(
      `${label}: recount output records: ${rc.committed} committed, ${rc.all - rc.committed} aborted`,
    );
    for (const app of SCENARIOS) {
      assert.deepEqual(sorted(r[app].output), sorted(plan.expected[app]), `${label}: ${app} final output`);
    }
    // No cache: every count is a record; 2,000 orders make exactly 2,000 committed counts, and the
    // halted JVMs left aborted ones in the log, which read_committed skipped.
    assert.deepEqual(
      run.reset,
      { internalTopicsLeft: [], committed: { "orders-0": "0", "orders-1": "0", "orders-2": "0" } },
      `${label}: after the application reset tool`,
    );
    assert.equal(rc.committed, 2000, `${label}: recount's committed output records`);
    assert.ok(rc.all > rc.committed, `${label}: recount's aborted output records are in the log`);
  }

  it("runs on Brook with the expected final outputs", { timeout: 200_000 }, async (t) => {
    let broker: TestBroker | undefined;
    try {
      broker = await startTestBroker({ configs: CLUSTER_CONFIGS });
      await loadInput(broker.bootstrap, plan);
      runs.brook = await runCluster("brook", broker.bootstrap, dir);
      check(t, "Brook", runs.brook);
    } catch (e) {
      failed = true;
      throw e;
    } finally {
      await broker?.close();
    }
  });

  it("runs on Apache Kafka with the expected final outputs", { timeout: 240_000 }, async (t) => {
    const kafka = await kafkaStarting!;
    t.diagnostic(`Apache Kafka ${kafka.version} started in ${Math.round(kafka.startMs)} ms`);
    try {
      await loadInput(kafka.bootstrap, plan);
      runs.kafka = await runCluster("kafka", kafka.bootstrap, dir);
      check(t, "Kafka", runs.kafka);
    } catch (e) {
      failed = true;
      throw new Error(`${(e as Error).message}\n${kafka.logTail(20)}`);
    }
  });

  it("Brook's outputs and internal topics are the same as Kafka's", () => {
    assert.ok(runs.brook && runs.kafka, "both runs finished");
    assert.deepEqual(comparable(runs.brook.results), comparable(runs.kafka.results));
  });

  it("recount with group.protocol=streams (KIP-1071)", {
    timeout: 120_000,
    todo: "Brook has no StreamsGroupHeartbeat (API 88): Streams stops with UnsupportedVersionException; Kafka 4.4 runs it",
  }, async () => {
    const broker = await startTestBroker({ configs: CLUSTER_CONFIGS });
    try {
      await loadInput(broker.bootstrap, plan, ["recount"]);
      const run = await runJava({
        bootstrap: broker.bootstrap,
        logFile: join(dir, "streams-brook-kip1071.log"),
        stateDir: join(dir, "state-kip1071"),
        runId: `kip1071-${process.pid}-${Date.now()}`,
        apps: ["recount"],
        props: { groupProtocol: "streams" },
        timeoutMs: 60_000,
      }).catch((e: Error) => {
        // Just the reason, not the whole log, while this is a todo.
        throw new Error(/UnsupportedVersionException: [^\n]*/.exec(e.message)?.[0] ?? e.message);
      });
      assert.deepEqual(sorted(run.result!.recount!.output), sorted(plan.expected.recount));
    } finally {
      await broker.close();
    }
  });

  it("recount stays exact while Brook is SIGKILLed twice under it", { timeout: 180_000 }, async (t) => {
    const [port] = await freePorts(1);
    const dataDir = mkdtempSync(join(dir, "brook-data-"));
    const args = ["--port", String(port!), "--data-dir", dataDir, "--log-level", "warn"];
    for (const [k, v] of Object.entries({ "group.initial.rebalance.delay.ms": "0", ...CLUSTER_CONFIGS })) {
      args.push("--set", `${k}=${v}`);
    }
    let broker: BrokerProcess = await spawnBroker(args);
    const bootstrap = `127.0.0.1:${port}`;
    // Killed once 300 orders are committed, and again after 1,000 (of 2,000).
    const thresholds = [300, 1000];
    const kills: Array<{ committed: number; restartMs: number }> = [];
    let restarting: Promise<void> | undefined;
    let restartError: unknown;
    const logFile = join(dir, "streams-brook-sigkill.log");
    try {
      await loadInput(bootstrap, plan, ["recount"]);
      const run = await runJava({
        bootstrap,
        logFile,
        stateDir: join(dir, "state-sigkill"),
        runId: `sigkill-${process.pid}-${Date.now()}`,
        apps: ["recount"],
        props: { pauseMs: "4" },
        onLine: (line) => {
          const m = /^COMMITTED recount (\d+)$/.exec(line);
          if (!m || restarting || kills.length === thresholds.length) return;
          const committed = Number(m[1]);
          if (committed < thresholds[kills.length]! || committed >= 2000) return;
          restarting = (async () => {
            const s = performance.now();
            await broker.stop("SIGKILL");
            broker = await spawnBroker(args);
            kills.push({ committed, restartMs: Math.round(performance.now() - s) });
          })()
            .catch((e: unknown) => {
              restartError = e;
            })
            .finally(() => {
              restarting = undefined;
            });
        },
      });
      await restarting;
      if (restartError) throw restartError;
      const r = run.result!.recount!;
      t.diagnostic(
        `Brook SIGKILLed at ${kills.map((k) => `${k.committed} committed orders (back in ${k.restartMs} ms)`).join(" and ")}; the app caught up after ${r.caughtUpMs} ms, ${r.outputRecords.all - r.outputRecords.committed} aborted output records`,
      );
      assert.equal(kills.length, 2, "the broker was killed twice while the app ran");
      assert.deepEqual(sorted(r.output), sorted(plan.expected.recount), "recount's final output");
      assert.equal(r.outputRecords.committed, 2000, "one committed count per order");
    } catch (e) {
      failed = true;
      throw new Error(
        `${(e as Error).message}\n${logExcerpt(logFile)}\n--- brook ---\n${broker.output().slice(-3000)}`,
      );
    } finally {
      await broker.stop();
    }
  });
});
