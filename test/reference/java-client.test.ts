/**
 * The Java client (kafka-clients 4.4) against Brook, judged by Apache Kafka 4.4. Small Java programs
 * (test/reference/java/*.java, compiled on demand into .kafka-cache/<version>/classes/java-client/<hash>)
 * drive the admin client, the idempotent and transactional producer and consumer groups (classic
 * eager and cooperative, KIP-848, static membership); each scenario prints what it observes as JSON
 * lines, and runs against one Brook and one single-broker Apache Kafka started for this file. The two
 * outputs must be equal: the programs print no ids, ports, timings or cluster ids, so nothing needs
 * normalising but the differences listed in KNOWN_DIFFERENCES, each with its reason. Sanity checks on
 * the values make sure both are also right, not merely alike.
 *
 * Skipped, with the reason, when Java 17+ (with javac) or the Kafka jars are missing
 * (scripts/apache-kafka/install.sh).
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import {
  APACHE_KAFKA_HOME,
  APACHE_KAFKA_VERSION,
  type ApacheKafkaCluster,
  apacheKafkaUnavailable,
  kafkaJavaClasspath,
  runKafkaJava,
  startApacheKafka,
} from "../support/apache-kafka.js";

const SOURCES = fileURLToPath(new URL("./java/", import.meta.url));
const MAIN_CLASS = "JavaClientScenarios";

function javacBinary(): string {
  return process.env.JAVA_HOME ? join(process.env.JAVA_HOME, "bin", "javac") : "javac";
}

function javacUnavailable(): string | null {
  const r = spawnSync(javacBinary(), ["-version"], { encoding: "utf8", timeout: 20_000 });
  return r.error || r.status !== 0
    ? `the Java client tests compile with javac (${javacBinary()} not found; apt-get install default-jdk-headless)`
    : null;
}

const reason = apacheKafkaUnavailable() ?? javacUnavailable();
if (reason) console.warn(`SKIP Java client reference tests: ${reason}`);

/**
 * Compiles the scenarios once per content: the classes go to a folder named after a hash of the
 * sources (and the Kafka version), written to a temporary folder first and renamed into place, so
 * concurrent runs never see half a build.
 */
async function compileScenarios(): Promise<string> {
  const files = readdirSync(SOURCES)
    .filter((f) => f.endsWith(".java"))
    .sort();
  const hash = createHash("sha256").update(APACHE_KAFKA_VERSION);
  for (const f of files) hash.update(`\0${f}\0`).update(readFileSync(join(SOURCES, f)));
  const dir = join(APACHE_KAFKA_HOME, "classes", "java-client", hash.digest("hex").slice(0, 16));
  if (existsSync(join(dir, ".complete"))) return dir;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const args = ["-encoding", "UTF-8", "--release", "17", "-nowarn", "-d", tmp, "-cp", kafkaJavaClasspath()];
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const p = spawn(javacBinary(), [...args, ...files.map((f) => join(SOURCES, f))], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    p.stdout.on("data", (d: Buffer) => (output += d.toString()));
    p.stderr.on("data", (d: Buffer) => (output += d.toString()));
    p.on("error", reject);
    p.on("exit", (c) => resolve({ code: c, output }));
  });
  if (code !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`javac failed (${code}):\n${output}`);
  }
  writeFileSync(join(tmp, ".complete"), `${files.join("\n")}\n`);
  try {
    renameSync(tmp, dir);
  } catch {
    // Another run put the same build in place first.
    rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}

type Line = Record<string, unknown> & { step: string };

const MARKER = "<known difference>";

/**
 * Differences from Apache Kafka that these scenarios show and Brook keeps (README, "Differences from
 * Apache Kafka"): `mask` takes them out of one side's lines before the comparison and returns what it
 * took, which the test reports as a diagnostic when the two sides differ there.
 */
const KNOWN_DIFFERENCES: Array<{ scenario: string; reason: string; mask: (lines: Line[]) => unknown[] }> = [
  {
    scenario: "transactions",
    reason:
      "transaction.version: Kafka 4.4 finalizes 2 (KIP-890 part 2), Brook no feature flags, so the Java client " +
      "speaks transactions v1 to Brook and a fenced producer learns it from AddPartitionsToTxn " +
      "(ProducerFencedException) instead of from its Produce request (InvalidProducerEpochException)",
    mask: (lines) => maskField(lines, "fencing", "oldProducer"),
  },
  {
    scenario: "admin",
    reason:
      "min.insync.replicas: Kafka 4's controller records it as a cluster-level dynamic default (eligible " +
      "leader replicas), Brook keeps the plain default; the entry is left out of every config list",
    mask: (lines) => dropConfigEntries(lines, "min.insync.replicas"),
  },
];

function maskField(lines: Line[], stepName: string, field: string): unknown[] {
  const out: unknown[] = [];
  for (const l of lines) {
    if (l.step === stepName && field in l) {
      out.push(l[field]);
      l[field] = MARKER;
    }
  }
  return out;
}

/** Removes config entries ({name: ...} objects in arrays) of the given name from every line. */
function dropConfigEntries(lines: Line[], name: string): unknown[] {
  const out: unknown[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) {
        const e = v[i] as { name?: unknown } | null;
        if (e && typeof e === "object" && e.name === name) out.push(v.splice(i, 1)[0]);
        else walk(e);
      }
    } else if (v && typeof v === "object") {
      for (const x of Object.values(v)) walk(x);
    }
  };
  walk(lines);
  return out;
}

function parseLines(stdout: string): Line[] {
  return stdout
    .split("\n")
    .filter((l) => l.startsWith('{"step":'))
    .map((l) => JSON.parse(l) as Line);
}

/** A readable list of where two outputs part, for the assertion message. */
function differences(kafka: Line[], brook: Line[], max = 12): string[] {
  const out: string[] = [];
  const walk = (a: unknown, b: unknown, path: string) => {
    if (out.length >= max) return;
    if (JSON.stringify(a) === JSON.stringify(b)) return;
    if (a && b && typeof a === "object" && typeof b === "object" && Array.isArray(a) === Array.isArray(b)) {
      const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
      for (const k of keys) {
        walk((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
      }
      return;
    }
    out.push(`${path}: kafka=${JSON.stringify(a)?.slice(0, 300)} brook=${JSON.stringify(b)?.slice(0, 300)}`);
  };
  for (let i = 0; i < Math.max(kafka.length, brook.length) && out.length < max; i++) {
    const k = kafka[i];
    const b = brook[i];
    walk(k, b, `#${i} ${k?.step ?? b?.step}`);
  }
  return out;
}

function step(lines: Line[], name: string, where: (l: Line) => boolean = () => true): Line {
  const l = lines.find((x) => x.step === name && where(x));
  assert.ok(l, `no "${name}" line in ${JSON.stringify(lines.map((x) => x.step))}`);
  return l;
}

describe("Java client (kafka-clients 4.4): Brook beside Apache Kafka", {
  skip: reason ?? false,
  concurrency: false,
}, () => {
  let kafka: ApacheKafkaCluster | undefined;
  let brook: TestBroker | undefined;
  let classes = "";
  let failed = false;

  before(async () => {
    const started = performance.now();
    const [k, b, c] = await Promise.all([
      startApacheKafka({
        brokers: 1,
        quickStart: true,
        // KIP-848 members hear of a rebalance at their next heartbeat: 1 s instead of 5 s.
        configs: {
          "group.consumer.heartbeat.interval.ms": "1000",
          "group.consumer.min.heartbeat.interval.ms": "1000",
        },
      }),
      // The same static settings the Kafka harness writes into server.properties, so that both
      // report them alike (value and source) in DescribeConfigs.
      startTestBroker({
        configs: {
          "group.consumer.heartbeat.interval.ms": "1000",
          "group.initial.rebalance.delay.ms": "0",
          "num.partitions": "1",
          "auto.create.topics.enable": "true",
          "offsets.topic.num.partitions": "10",
          "transaction.state.log.num.partitions": "10",
          "log.retention.check.interval.ms": "300000",
        },
      }),
      compileScenarios(),
    ]);
    kafka = k;
    brook = b;
    classes = c;
    console.log(
      `java-client: Kafka ${k.version} started in ${Math.round(k.startMs)} ms; ready after ${Math.round(performance.now() - started)} ms`,
    );
  });

  after(async () => {
    await brook?.close();
    await kafka?.stop({ keepData: failed });
    if (failed && kafka) console.log(`java-client: Kafka logs kept in ${kafka.logDir}`);
  });

  /** Runs one scenario against both, compares, and returns Brook's lines for sanity checks. */
  async function compare(scenario: string, t: { diagnostic(msg: string): void }): Promise<Line[]> {
    const run = async (target: "kafka" | "brook", bootstrap: string) => {
      const s = performance.now();
      const r = await runKafkaJava(MAIN_CLASS, [scenario, bootstrap], {
        classpath: [classes],
        heapMb: 256,
        // A short-lived client: C1 only and the serial collector start it faster on busy cores.
        jvmArgs: ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"],
        timeoutMs: 240_000,
      });
      const ms = Math.round(performance.now() - s);
      const lines = parseLines(r.stdout);
      if (r.code !== 0 || lines.at(-1)?.step !== "done") {
        failed = true;
        throw new Error(
          `${scenario} against ${target} exited with ${r.code} after ${ms} ms\n--- stdout\n${r.stdout.slice(-4000)}\n--- stderr\n${r.stderr.slice(-4000)}` +
            (target === "kafka" && kafka ? `\n--- kafka log\n${kafka.logTail(20)}` : ""),
        );
      }
      t.diagnostic(`${scenario} against ${target}: ${ms} ms, ${lines.length} lines`);
      return lines;
    };
    const [k, b] = await Promise.all([run("kafka", kafka!.bootstrap), run("brook", brook!.bootstrap)]);
    for (const known of KNOWN_DIFFERENCES.filter((x) => x.scenario === scenario)) {
      const kv = JSON.stringify(known.mask(k));
      const bv = JSON.stringify(known.mask(b));
      if (kv !== bv) {
        t.diagnostic(
          `known difference (${known.reason}): kafka=${kv.slice(0, 400)} brook=${bv.slice(0, 400)}`,
        );
      }
    }
    const diff = differences(k, b);
    if (diff.length > 0) {
      failed = true;
      assert.fail(`${scenario}: Brook differs from Apache Kafka\n${diff.join("\n")}`);
    }
    assert.deepEqual(b, k);
    return b;
  }

  it("admin: topics, configs, cluster, groups, ListOffsets, DeleteRecords", {
    timeout: 300_000,
  }, async (t) => {
    const out = await compare("admin", t);
    const created = (name: string) => step(out, "createTopic", (l) => l.topic === name).result;
    assert.equal(created("ja-configs"), "ok");
    assert.equal(created("ja-zero-partitions"), "InvalidPartitionsException");
    assert.equal(created("ja-bad-config-name"), "InvalidConfigurationException");
    assert.equal(created("ja-bad/name"), "InvalidTopicException");
    assert.equal(step(out, "createTopic", (l) => "again" in l).again, "TopicExistsException");
    assert.deepEqual(step(out, "listTopics").names, ["ja-configs", "ja-plain", "ja-ts"]);
    const changed = step(out, "describeTopicConfigsAfterAlter").entries as Array<{
      name: string;
      value: string;
    }>;
    assert.equal(changed.find((e) => e.name === "cleanup.policy")?.value, "compact,delete");
    assert.equal(changed.find((e) => e.name === "retention.ms")?.value, "7200000");
    const p0 = step(out, "listOffsets", (l) => l.partition === "ja-ts-0").results as Record<
      string,
      { offset: number; timestamp: number }
    >;
    assert.deepEqual(
      [p0.earliest!.offset, p0.latest!.offset, p0.maxTimestamp!.offset, p0.ts2500!.offset, p0.ts6000!.offset],
      [0, 5, 3, 1, -1],
    );
    assert.deepEqual(step(out, "deleteRecords").results, {
      "ja-ts-0": 2,
      "ja-ts-1": "OffsetOutOfRangeException",
    });
    const active = step(out, "describeConsumerGroup", (l) => l.group === "ja-active");
    assert.equal(active.state, "STABLE");
    assert.equal(step(out, "deleteConsumerGroups").active, "GroupNotEmptyException");
    assert.deepEqual(step(out, "listTopicsAfterDelete").names, []);
  });

  it("idempotent producer, acks=all: every record once, in order", { timeout: 300_000 }, async (t) => {
    const out = await compare("idempotent", t);
    assert.equal(step(out, "produced").acknowledgedInOrder, true);
    assert.deepEqual(
      [step(out, "readBack").records, step(out, "readBack").duplicates, step(out, "readBack").perKeyInOrder],
      [3000, 0, true],
    );
  });

  it("transactions: LSO, consume-transform-produce (classic and KIP-848 groups) with an abort, fencing", {
    timeout: 300_000,
  }, async (t) => {
    const out = await compare("transactions", t);
    const open = step(out, "openTransaction");
    assert.deepEqual(
      [open.readCommittedEnd, open.readUncommittedEnd, open.adminReadCommittedLatest, open.adminLatest],
      [3, 5, 3, 5],
    );
    // The loop runs with a classic consumer group and with a KIP-848 one.
    for (const protocol of ["classic", "consumer"]) {
      const mine = (l: Line) => l.protocol === protocol;
      const rc = step(out, "readCommittedOutput", mine);
      assert.deepEqual(
        [rc.records, rc.exactlyTheInput, rc.junkVisible, rc.partitionOrder],
        [40, true, false, true],
        protocol,
      );
      assert.equal(step(out, "readUncommittedOutput", mine).recordsMatch, true, protocol);
      assert.equal(step(out, "groupOffsetsAtEnd", mine).value, true, protocol);
      assert.deepEqual(step(out, "afterFencing", mine).nonLoopValues, ["next"], protocol);
    }
  });

  it("classic groups: eager range and cooperative-sticky, rebalances on join and leave", {
    timeout: 300_000,
  }, async (t) => {
    const out = await compare("groups-classic", t);
    assert.deepEqual(step(out, "eagerTwoMembers").assignments, {
      a: ["jg-eager-0", "jg-eager-1", "jg-eager-2"],
      b: ["jg-eager-3", "jg-eager-4", "jg-eager-5"],
    });
    assert.equal(
      (step(out, "cooperativeThreeMembers").describe as { assignor: string }).assignor,
      "cooperative-sticky",
    );
    // Cooperative: only the partitions that moved were ever revoked (a gave 3 to b, then 1 to c; b 1 to c).
    const revoked = step(out, "cooperativeRevocations");
    assert.deepEqual([(revoked.a as string[]).length, (revoked.b as string[]).length, revoked.c], [4, 1, []]);
  });

  it("KIP-848 consumer groups (group.protocol=consumer), also with patterns", {
    timeout: 300_000,
  }, async (t) => {
    const out = await compare("groups-consumer", t);
    assert.deepEqual(step(out, "kip848TwoMembers").assignments, { a: 3, b: 3 });
    assert.equal((step(out, "kip848Empty").describe as { state: string }).state, "EMPTY");
    for (const kind of ["client", "broker"]) {
      const re = step(out, "regexTwoMembers", (l) => l.kind === kind);
      assert.deepEqual([re.topics, re.assignments], [["jg-re-a", "jg-re-b"], { a: 3, b: 3 }], kind);
    }
  });

  it("static membership: a restart within the session timeout keeps the assignment", {
    timeout: 300_000,
  }, async (t) => {
    const out = await compare("groups-static", t);
    for (const s of ["staticRejoined", "static848Rejoined"]) {
      const l = step(out, s);
      assert.equal(l.sameAssignment, true, s);
      assert.equal(l.otherMemberUntouched, true, s);
    }
    assert.equal(step(out, "staticRejoined").sameGeneration, true);
    assert.equal(step(out, "static848Rejoined").sameGroupEpoch, true);
  });
});
