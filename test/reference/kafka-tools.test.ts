/**
 * Kafka's own command-line tools, judged by Apache Kafka: the classes behind kafka-topics.sh,
 * kafka-configs.sh, kafka-consumer-groups.sh, kafka-get-offsets.sh, kafka-delete-records.sh,
 * kafka-transactions.sh and kafka-producer-perf-test.sh run against Brook and against a real Apache
 * Kafka 4.4 given the same setup (same static configs, same topics, records, groups and open
 * transactions, made with KafkaJS; a KIP-848 group of Kafka's console consumer). Each step runs the
 * tool against both at once and compares what it printed: exit code, headers, columns, row count,
 * and the values that must agree (offsets, lag, config values and their sources and synonyms,
 * epochs, transaction states, error messages). Only what must differ is normalised: host:port,
 * topic, node, member and producer ids, timings and throughput figures; and Kafka's cluster-level
 * min.insync.replicas record, a difference Brook keeps on purpose (README).
 *
 * BROOK_TOOLS_DUMP=1 prints every step's output (Kafka's side).
 *
 * One Kafka JVM (quickStart) serves the whole file; each tool run is a JVM of its own (~1 s).
 * Skipped, with the reason, when Java 17+ or the jars are missing (scripts/apache-kafka/install.sh).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Kafka, logLevel } from "kafkajs";
import { BrokerConfig } from "../../src/broker/config/config.js";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import {
  type ApacheKafkaCluster,
  apacheKafkaUnavailable,
  javaBinary,
  kafkaJavaClasspath,
  kafkaServerProperties,
  runKafkaJava,
  startApacheKafka,
} from "../support/apache-kafka.js";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

const reason = apacheKafkaUnavailable();
if (reason) console.warn(`SKIP Kafka command-line tools against Brook: ${reason}`);

const TOOLS = "org.apache.kafka.tools";
const TOPICS = `${TOOLS}.TopicCommand`;
const CONFIGS = `${TOOLS}.ConfigCommand`;
const GROUPS = `${TOOLS}.consumer.group.ConsumerGroupCommand`;
const GET_OFFSETS = `${TOOLS}.GetOffsetShell`;
const DELETE_RECORDS = `${TOOLS}.DeleteRecordsCommand`;
const TRANSACTIONS = `${TOOLS}.TransactionsCommand`;
const PRODUCER_PERF = `${TOOLS}.ProducerPerformance`;
const CONSOLE_CONSUMER = `${TOOLS}.consumer.ConsoleConsumer`;

type Run = { code: number | null; stdout: string; stderr: string };
type Target = { name: "kafka" | "brook"; bootstrap: string };
/** Arguments of one tool run; `bs` is the bootstrap address of the cluster it runs against. */
type Args = (bs: string) => string[];
/** Turns a run's output into what must be equal on both sides. */
type Shape = (out: string, t: Target) => unknown;

// A tool JVM tuned for starting, not running (C1 only, serial GC): the tools do little work.
const JVM = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Djava.awt.headless=true"];

/**
 * Output with what must differ replaced: the bootstrap address, admin-client log timestamps, topic
 * ids, node ids. And one difference Brook keeps on purpose (README): Kafka 4's controller records
 * min.insync.replicas as a cluster-level dynamic default (for eligible leader replicas), which
 * kafka-topics shows among every topic's configs and kafka-configs among the cluster defaults and
 * synonyms; that record is taken out of Kafka's output.
 */
function normalise(out: string, t: Target): string {
  let s = out;
  for (const hp of t.bootstrap.split(",")) s = s.split(hp).join("<bootstrap>");
  return s
    .replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z /gm, "<time> ")
    .replace(/\bTopicId: \S+/g, "TopicId: <id>")
    .replace(/\b(Leader|Replicas|Isr): [\d,]+/g, "$1: <node>")
    .replace(
      /^ {2}min\.insync\.replicas=1 sensitive=false synonyms=\{DYNAMIC_DEFAULT_BROKER_CONFIG:min\.insync\.replicas=1\}\n/gm,
      "",
    )
    .replace(/DYNAMIC_DEFAULT_BROKER_CONFIG:min\.insync\.replicas=1, /g, "")
    .replace(/\bConfigs: (\S*)/g, (_m, list: string) => {
      const kept = list.split(",").filter((c) => c !== "min.insync.replicas=1");
      return `Configs: ${kept.join(",")}`;
    });
}

/** Non-empty lines, each split into whitespace-separated cells (column widths follow the content). */
function cells(out: string): string[][] {
  return out
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "")
    .map((l) => l.split(/\s+/));
}

/** Lines as given (normalised), empty ones dropped. */
function lines(out: string, t: Target): string[] {
  return normalise(out, t)
    .split("\n")
    .map((l) => l.trimEnd())
    .filter((l) => l !== "");
}

/** A table: cells per line, header first. */
const table: Shape = (out, t) => cells(normalise(out, t));

/** A table whose row order is not defined by the tool (hash order): header lines kept, rows sorted. */
function unorderedTable(headerLines: number): Shape {
  return (out, t) => {
    const rows = cells(normalise(out, t));
    const key = (r: string[]) => r.join(" ");
    return [
      ...rows.slice(0, headerLines),
      ...rows.slice(headerLines).sort((a, b) => (key(a) < key(b) ? -1 : 1)),
    ];
  };
}

/** First line of an error (the tool's message), without the stack trace that follows. */
const firstLine: Shape = (out, t) => lines(out, t).slice(0, 1);

describe("Kafka's command-line tools: Brook judged by Apache Kafka", {
  skip: reason ?? false,
  concurrency: false,
}, () => {
  let kafka: ApacheKafkaCluster;
  let brook: TestBroker;
  let targets: Target[];
  let dir: string;
  let jvm = JVM;
  const timings: string[] = [];

  before(async () => {
    // Brook gets the static configs Kafka's server.properties sets (those it knows), so config
    // sources (STATIC_BROKER_CONFIG) and internal topic partition counts compare alike.
    const configs = Object.fromEntries(
      Object.entries(kafkaServerProperties(1)).filter(([k]) => BrokerConfig.knownKey(k)),
    );
    dir = mkdtempSync(join(tmpdir(), "brook-kafka-tools-"));
    const start = performance.now();
    const starting = startApacheKafka({ brokers: 1, quickStart: true });
    starting.catch(() => {}); // awaited below; no unhandled rejection meanwhile
    brook = await startTestBroker({ configs });
    // While Kafka starts: one tool run against Brook records the classes it loads (the admin client,
    // the option parsers) in a class-data-sharing archive that every later tool JVM maps, which
    // halves their start. Without the archive (a JVM that cannot write one) the runs are just slower.
    const archive = join(dir, "tools.jsa");
    await runKafkaJava(GROUPS, ["--bootstrap-server", brook.bootstrap, "--list"], {
      jvmArgs: [...JVM, `-XX:ArchiveClassesAtExit=${archive}`],
    });
    if (existsSync(archive)) jvm = [...JVM, `-XX:SharedArchiveFile=${archive}`];
    timings.push(`class-data archive: ${Math.round(performance.now() - start)} ms`);
    kafka = await starting;
    timings.push(`Apache Kafka started in ${Math.round(performance.now() - start)} ms`);
    targets = [
      { name: "kafka", bootstrap: kafka.bootstrap },
      { name: "brook", bootstrap: brook.bootstrap },
    ];
  });

  after(async () => {
    await Promise.all([kafka?.stop(), brook?.close()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (timings.length) console.log(`kafka-tools timings:\n  ${timings.join("\n  ")}`);
  });

  /** Runs a tool against Kafka and Brook at once. */
  async function both(mainClass: string, args: Args): Promise<{ kafka: Run; brook: Run }> {
    const [k, b] = await Promise.all(
      targets.map((t) => runKafkaJava(mainClass, args(t.bootstrap), { jvmArgs: jvm, timeoutMs: 90_000 })),
    );
    return { kafka: k!, brook: b! };
  }

  /**
   * One step: runs the tool on both sides and records a difference (exit code or shape) in `diffs`;
   * returns both runs for further checks. Steps go on after a difference, so one run lists them all.
   */
  async function step(
    diffs: string[],
    label: string,
    mainClass: string,
    args: Args,
    shape: Shape,
  ): Promise<{ kafka: Run; brook: Run; shape: unknown }> {
    const s = performance.now();
    const r = await both(mainClass, args);
    timings.push(`${label}: ${Math.round(performance.now() - s)} ms`);
    // Errors go to stdout (kafka-topics) or stderr (kafka-configs): both are compared.
    const k = shape(r.kafka.stdout + r.kafka.stderr, targets[0]!);
    const b = shape(r.brook.stdout + r.brook.stderr, targets[1]!);
    const show = (x: Run) =>
      `exit ${x.code}\n--- stdout\n${x.stdout}${x.stderr.trim() ? `--- stderr\n${x.stderr.slice(0, 2000)}` : ""}`;
    if (process.env.BROOK_TOOLS_DUMP) console.log(`## ${label}\n${show(r.kafka)}`);
    if (r.kafka.code !== r.brook.code) {
      diffs.push(
        `${label}: exit code kafka=${r.kafka.code} brook=${r.brook.code}\n== kafka: ${show(r.kafka)}\n== brook: ${show(r.brook)}`,
      );
    } else {
      try {
        assert.deepEqual(b, k);
      } catch {
        diffs.push(
          `${label}: output differs\n== kafka: ${JSON.stringify(k)}\n== brook: ${JSON.stringify(b)}\n== kafka raw: ${show(r.kafka)}\n== brook raw: ${show(r.brook)}`,
        );
      }
    }
    return { ...r, shape: k };
  }

  function done(diffs: string[]): void {
    assert.equal(
      diffs.length,
      0,
      `${diffs.length} difference(s) between Brook and Apache Kafka:\n\n${diffs.join("\n\n")}`,
    );
  }

  // ------------------------------------------------------------------------------ KafkaJS helpers

  const client = (bs: string) =>
    new Kafka({ clientId: "kafka-tools-test", brokers: bs.split(","), logLevel: logLevel.NOTHING });

  /** Creates `topic` with `partitions`, and writes `perPartition` records to each, timestamps base + i s. */
  async function seed(bs: string, topic: string, partitions: number, perPartition: number, base: number) {
    const kafkajs = client(bs);
    const admin = kafkajs.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
    // Idempotent: a retried send (a request timed out on a loaded machine) must not write the records
    // twice on one side only, which made a CI run see 20 records in a partition of Kafka's.
    const producer = kafkajs.producer({
      allowAutoTopicCreation: false,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    try {
      const messages = [];
      for (let p = 0; p < partitions; p++) {
        for (let i = 0; i < perPartition; i++) {
          messages.push({
            partition: p,
            key: `k${i}`,
            value: `v${p}-${i}`,
            timestamp: String(base + i * 1000),
          });
        }
      }
      await producer.send({ topic, acks: -1, messages });
    } finally {
      await producer.disconnect();
    }
  }

  /**
   * A KafkaJS consumer that joins `group` on `topic`, commits `offsets` (partition → offset) and
   * stays a member until `leave()`.
   */
  async function member(bs: string, group: string, topic: string, offsets: number[]) {
    const consumer = client(bs).consumer({ groupId: group, sessionTimeout: 30_000 });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.run({ autoCommit: false, eachMessage: async () => {} });
    await joined;
    await consumer.commitOffsets(
      offsets.map((offset, partition) => ({ topic, partition, offset: String(offset) })),
    );
    return { leave: () => consumer.disconnect() };
  }

  /** A transactional producer that writes `count` records to `topic`-`partition` and leaves the transaction open. */
  async function openTransaction(
    bs: string,
    transactionalId: string,
    topic: string,
    partition: number,
    count: number,
  ) {
    const producer = client(bs).producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const txn = await producer.transaction();
    await txn.send({
      topic,
      messages: Array.from({ length: count }, (_, i) => ({ partition, value: `t${i}` })),
    });
    return {
      abort: async () => {
        await txn.abort();
        await producer.disconnect();
      },
    };
  }

  const onBoth = <T>(f: (bs: string) => Promise<T>) => Promise.all(targets.map((t) => f(t.bootstrap)));

  // ------------------------------------------------------------------------------ kafka-topics

  it("kafka-topics: create, list, describe, alter partitions, delete", { timeout: 300_000 }, async () => {
    const d: string[] = [];
    const create = await step(
      d,
      "topics --create with configs",
      TOPICS,
      (bs) => [
        "--bootstrap-server",
        bs,
        "--create",
        "--topic",
        "tools-topic",
        "--partitions",
        "3",
        "--replication-factor",
        "1",
        "--config",
        "retention.ms=3600000",
        "--config",
        "cleanup.policy=compact",
      ],
      lines,
    );
    assert.deepEqual(create.shape, ["Created topic tools-topic."]);
    await step(
      d,
      "topics --create existing",
      TOPICS,
      (bs) => ["--bootstrap-server", bs, "--create", "--topic", "tools-topic", "--partitions", "1"],
      lines,
    );
    await step(
      d,
      "topics --create unknown config",
      TOPICS,
      (bs) => ["--bootstrap-server", bs, "--create", "--topic", "tools-bad", "--config", "no.such.config=1"],
      lines,
    );
    await step(
      d,
      "topics --create replication factor 3",
      TOPICS,
      (bs) => ["--bootstrap-server", bs, "--create", "--topic", "tools-bad", "--replication-factor", "3"],
      lines,
    );
    await step(
      d,
      "topics --create second",
      TOPICS,
      (bs) => ["--bootstrap-server", bs, "--create", "--topic", "tools-other", "--partitions", "2"],
      lines,
    );
    const list = await step(
      d,
      "topics --list",
      TOPICS,
      (bs) => ["--bootstrap-server", bs, "--list", "--exclude-internal"],
      lines,
    );
    assert.deepEqual(list.shape, ["tools-other", "tools-topic"]);
    const described = await step(
      d,
      "topics --describe",
      TOPICS,
      (bs) => ["--bootstrap-server", bs, "--describe", "--topic", "tools-topic"],
      table,
    );
    assert.equal((described.shape as string[][]).length, 4, "a topic line and 3 partition lines");
    await step(
      d,
      "topics --describe --topics-with-overrides",
      TOPICS,
      (bs) => ["--bootstrap-server", bs, "--describe", "--exclude-internal", "--topics-with-overrides"],
      // A topic listed only for Kafka's cluster-level min.insync.replicas has no override left.
      (out, t) => cells(normalise(out, t)).filter((r) => r.at(-1) !== "Configs:"),
    );
    await step(
      d,
      "topics --describe --under-replicated-partitions",
      TOPICS,
      (bs) => ["--bootstrap-server", bs, "--describe", "--under-replicated-partitions"],
      table,
    );
    await step(
      d,
      "topics --alter --partitions 5",
      TOPICS,
      (bs) => ["--bootstrap-server", bs, "--alter", "--topic", "tools-topic", "--partitions", "5"],
      lines,
    );
    await step(
      d,
      "topics --alter --partitions 2 (a decrease)",
      TOPICS,
      (bs) => ["--bootstrap-server", bs, "--alter", "--topic", "tools-topic", "--partitions", "2"],
      firstLine,
    );
    const grown = await step(
      d,
      "topics --describe after --alter",
      TOPICS,
      (bs) => ["--bootstrap-server", bs, "--describe", "--topic", "tools-topic"],
      table,
    );
    assert.equal((grown.shape as string[][]).length, 6);
    await step(
      d,
      "topics --delete",
      TOPICS,
      (bs) => ["--bootstrap-server", bs, "--delete", "--topic", "tools-other"],
      lines,
    );
    await step(
      d,
      "topics --list after --delete",
      TOPICS,
      (bs) => ["--bootstrap-server", bs, "--list", "--exclude-internal"],
      lines,
    );
    await step(
      d,
      "topics --describe a missing topic",
      TOPICS,
      (bs) => ["--bootstrap-server", bs, "--describe", "--topic", "tools-missing"],
      firstLine,
    );
    done(d);
  });

  // ------------------------------------------------------------------------------ kafka-configs

  /** ConfigCommand's describe output: the title lines, and per entry its full line. */
  const configLines: Shape = (out, t) => lines(out, t);

  /** Only the entries named (from a describe --all), as full lines. */
  function configEntries(keys: string[]): Shape {
    return (out, t) => lines(out, t).filter((l) => keys.some((k) => l.trimStart().startsWith(`${k}=`)));
  }

  it("kafka-configs: topics, a broker and the cluster default", { timeout: 300_000 }, async () => {
    const d: string[] = [];
    await onBoth(async (bs) => {
      const admin = client(bs).admin();
      await admin.connect();
      try {
        await admin.createTopics({
          topics: [
            {
              topic: "tools-configs",
              numPartitions: 1,
              configEntries: [
                { name: "retention.ms", value: "3600000" },
                { name: "cleanup.policy", value: "compact" },
              ],
            },
          ],
        });
      } finally {
        await admin.disconnect();
      }
    });
    const topic = (bs: string) => [
      "--bootstrap-server",
      bs,
      "--entity-type",
      "topics",
      "--entity-name",
      "tools-configs",
    ];
    await step(d, "configs --describe topic", CONFIGS, (bs) => [...topic(bs), "--describe"], configLines);
    await step(
      d,
      "configs --describe topic --all",
      CONFIGS,
      (bs) => [...topic(bs), "--describe", "--all"],
      configLines,
    );
    await step(
      d,
      "configs --alter topic --add-config",
      CONFIGS,
      (bs) => [
        ...topic(bs),
        "--alter",
        "--add-config",
        "max.message.bytes=2000000,segment.ms=100000,cleanup.policy=[compact,delete]",
      ],
      lines,
    );
    await step(
      d,
      "configs --alter topic --delete-config",
      CONFIGS,
      (bs) => [...topic(bs), "--alter", "--delete-config", "retention.ms"],
      lines,
    );
    const after = await step(
      d,
      "configs --describe topic after --alter",
      CONFIGS,
      (bs) => [...topic(bs), "--describe"],
      configLines,
    );
    assert.equal((after.shape as string[]).length, 4, "title and three overrides");
    await step(
      d,
      "configs --alter topic invalid value",
      CONFIGS,
      (bs) => [...topic(bs), "--alter", "--add-config", "retention.ms=abc"],
      lines,
    );
    await step(
      d,
      "configs --alter topic unknown config",
      CONFIGS,
      (bs) => [...topic(bs), "--alter", "--add-config", "no.such.config=1"],
      lines,
    );

    const broker = (bs: string) => [
      "--bootstrap-server",
      bs,
      "--entity-type",
      "brokers",
      "--entity-name",
      "1",
    ];
    const cluster = (bs: string) => [
      "--bootstrap-server",
      bs,
      "--entity-type",
      "brokers",
      "--entity-default",
    ];
    await step(d, "configs --describe broker 1", CONFIGS, (bs) => [...broker(bs), "--describe"], configLines);
    await step(
      d,
      "configs --describe cluster default",
      CONFIGS,
      (bs) => [...cluster(bs), "--describe"],
      configLines,
    );
    await step(
      d,
      "configs --alter cluster default",
      CONFIGS,
      (bs) => [
        ...cluster(bs),
        "--alter",
        "--add-config",
        "log.cleaner.backoff.ms=20000,log.retention.ms=7200000,message.max.bytes=2000000",
      ],
      lines,
    );
    await step(
      d,
      "configs --alter broker 1",
      CONFIGS,
      (bs) => [
        ...broker(bs),
        "--alter",
        "--add-config",
        "log.cleaner.backoff.ms=25000,log.segment.bytes=50000000",
      ],
      lines,
    );
    await step(
      d,
      "configs --alter broker 1, not dynamic",
      CONFIGS,
      (bs) => [...broker(bs), "--alter", "--add-config", "num.partitions=3,log.roll.hours=3"],
      lines,
    );
    await step(
      d,
      "configs --alter cluster default invalid value",
      CONFIGS,
      (bs) => [...cluster(bs), "--alter", "--add-config", "log.segment.bytes=abc"],
      lines,
    );
    await step(
      d,
      "configs --describe brokers",
      CONFIGS,
      (bs) => ["--bootstrap-server", bs, "--entity-type", "brokers", "--describe"],
      configLines,
    );
    const keys = [
      "num.partitions",
      "message.max.bytes",
      "log.retention.hours",
      "log.retention.ms",
      "log.retention.minutes",
      "log.segment.bytes",
      "log.cleanup.policy",
      "compression.type",
      "group.initial.rebalance.delay.ms",
      "offsets.topic.num.partitions",
      "log.message.timestamp.after.max.ms",
      "min.insync.replicas",
      "log.cleaner.backoff.ms",
      "log.roll.ms",
      "log.roll.hours",
      "log.flush.interval.ms",
      "auto.create.topics.enable",
      "transaction.max.timeout.ms",
      "delete.topic.enable",
      "unclean.leader.election.enable",
      "transaction.state.log.min.isr",
      "log.retention.check.interval.ms",
    ];
    const all = await step(
      d,
      "configs --describe broker 1 --all (some keys)",
      CONFIGS,
      (bs) => [...broker(bs), "--describe", "--all"],
      configEntries(keys),
    );
    assert.equal((all.shape as string[]).length, keys.length);
    await step(
      d,
      "configs --describe topic after broker changes",
      CONFIGS,
      (bs) => [...topic(bs), "--describe", "--all"],
      configLines,
    );
    await step(
      d,
      "configs --alter broker 1 --delete-config",
      CONFIGS,
      (bs) => [...broker(bs), "--alter", "--delete-config", "log.cleaner.backoff.ms,log.segment.bytes"],
      lines,
    );
    await step(
      d,
      "configs --alter cluster default --delete-config",
      CONFIGS,
      (bs) => [
        ...cluster(bs),
        "--alter",
        "--delete-config",
        "log.cleaner.backoff.ms,log.retention.ms,message.max.bytes",
      ],
      lines,
    );
    await step(
      d,
      "configs --describe brokers after --delete-config",
      CONFIGS,
      (bs) => ["--bootstrap-server", bs, "--entity-type", "brokers", "--describe"],
      configLines,
    );
    done(d);
  });

  // ------------------------------------------------------------------------------ kafka-consumer-groups

  /** KafkaJS member ids are `<clientId>-<uuid>`. */
  const members =
    (shape: Shape): Shape =>
    (out, t) =>
      shape(out.replace(/kafka-tools-test-[0-9a-f]{8}-[0-9a-f-]{27}/g, "<member>"), t);

  it("kafka-consumer-groups: list, describe with lag, reset offsets, delete", {
    timeout: 300_000,
  }, async () => {
    const d: string[] = [];
    const topic = "tools-group-topic";
    const group = "tools-group";
    const base = Math.floor(Date.now() / 1000) * 1000 - 600_000;
    await onBoth((bs) => seed(bs, topic, 3, 10, base));
    const g = (bs: string) => ["--bootstrap-server", bs, "--group", group];

    // A member that consumed part of the topic and committed 3, 5 and 7, still in the group.
    const live = await onBoth((bs) => member(bs, group, topic, [3, 5, 7]));
    try {
      const desc = await step(
        d,
        "groups --describe, one member",
        GROUPS,
        (bs) => [...g(bs), "--describe"],
        members(table),
      );
      assert.deepEqual(
        (desc.shape as string[][]).slice(1).map((r) => r.slice(2, 6)),
        [
          ["0", "3", "10", "7"],
          ["1", "5", "10", "5"],
          ["2", "7", "10", "3"],
        ],
        "PARTITION, CURRENT-OFFSET, LOG-END-OFFSET, LAG",
      );
      await step(
        d,
        "groups --describe --members --verbose",
        GROUPS,
        (bs) => [...g(bs), "--describe", "--members", "--verbose"],
        members(table),
      );
      await step(d, "groups --describe --state", GROUPS, (bs) => [...g(bs), "--describe", "--state"], table);
      await step(d, "groups --delete, not empty", GROUPS, (bs) => [...g(bs), "--delete"], lines);
      await step(
        d,
        "groups --reset-offsets while active",
        GROUPS,
        (bs) => [...g(bs), "--reset-offsets", "--topic", topic, "--to-earliest", "--execute"],
        lines,
      );
    } finally {
      await Promise.all(live.map((m) => m.leave()));
    }

    await step(d, "groups --list", GROUPS, (bs) => ["--bootstrap-server", bs, "--list"], lines);
    await step(
      d,
      "groups --list --state --type",
      GROUPS,
      (bs) => ["--bootstrap-server", bs, "--list", "--state", "--type"],
      table,
    );
    const empty = await step(
      d,
      "groups --describe, no member",
      GROUPS,
      (bs) => [...g(bs), "--describe"],
      table,
    );
    assert.match(JSON.stringify(empty.shape), /has","no","active","members/);
    await step(
      d,
      "groups --describe --state, no member",
      GROUPS,
      (bs) => [...g(bs), "--describe", "--state"],
      table,
    );
    await step(
      d,
      "groups --reset-offsets --to-earliest --dry-run",
      GROUPS,
      (bs) => [...g(bs), "--reset-offsets", "--topic", topic, "--to-earliest", "--dry-run"],
      unorderedTable(1),
    );
    await step(
      d,
      "groups --reset-offsets --to-offset --execute (partitions 0 and 2)",
      GROUPS,
      (bs) => [...g(bs), "--reset-offsets", "--topic", `${topic}:0,2`, "--to-offset", "4", "--execute"],
      unorderedTable(1),
    );
    await step(
      d,
      "groups --reset-offsets --shift-by --execute",
      GROUPS,
      (bs) => [...g(bs), "--reset-offsets", "--all-topics", "--shift-by", "-2", "--execute"],
      unorderedTable(1),
    );
    await step(
      d,
      "groups --reset-offsets --to-datetime --dry-run",
      GROUPS,
      (bs) => [
        ...g(bs),
        "--reset-offsets",
        "--topic",
        topic,
        "--to-datetime",
        new Date(base + 4500).toISOString().replace("Z", "+00:00"),
        "--dry-run",
      ],
      unorderedTable(1),
    );
    await step(
      d,
      "groups --reset-offsets --to-latest --dry-run",
      GROUPS,
      (bs) => [...g(bs), "--reset-offsets", "--topic", topic, "--to-latest", "--dry-run"],
      unorderedTable(1),
    );
    const reset = await step(
      d,
      "groups --describe after the resets",
      GROUPS,
      (bs) => [...g(bs), "--describe"],
      table,
    );
    assert.deepEqual(
      (reset.shape as string[][]).filter((r) => r[0] === group).map((r) => r.slice(2, 6)),
      [
        ["0", "2", "10", "8"],
        ["1", "3", "10", "7"],
        ["2", "2", "10", "8"],
      ],
    );
    await step(
      d,
      "groups --delete-offsets of one partition",
      GROUPS,
      (bs) => [...g(bs), "--delete-offsets", "--topic", `${topic}:1`],
      unorderedTable(1),
    );
    await step(
      d,
      "groups --describe after --delete-offsets",
      GROUPS,
      (bs) => [...g(bs), "--describe"],
      table,
    );
    await step(d, "groups --delete", GROUPS, (bs) => [...g(bs), "--delete"], lines);
    await step(d, "groups --describe a deleted group", GROUPS, (bs) => [...g(bs), "--describe"], firstLine);
    await step(
      d,
      "groups --list after --delete",
      GROUPS,
      (bs) => ["--bootstrap-server", bs, "--list"],
      lines,
    );
    await step(
      d,
      "topics --describe __consumer_offsets",
      TOPICS,
      (bs) => ["--bootstrap-server", bs, "--describe", "--topic", "__consumer_offsets"],
      table,
    );
    done(d);
  });

  /**
   * Kafka's console consumer (a Java consumer) in `group` with the consumer rebalance protocol
   * (KIP-848), committing every 200 ms, until `stop()` (SIGTERM: it closes and leaves the group).
   */
  function consoleConsumer(bs: string, topic: string, group: string) {
    const p = spawn(
      javaBinary(),
      [
        ...jvm,
        "-cp",
        kafkaJavaClasspath(),
        CONSOLE_CONSUMER,
        "--bootstrap-server",
        bs,
        "--topic",
        topic,
        "--group",
        group,
        "--from-beginning",
        "--command-property",
        "group.protocol=consumer",
        "--command-property",
        "auto.commit.interval.ms=200",
        "--command-property",
        "client.id=tools-console",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    p.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<void>((resolve) => p.once("exit", () => resolve()));
    return {
      stderr: () => stderr,
      stop: async () => {
        if (p.exitCode === null && p.signalCode === null) p.kill("SIGTERM");
        const t = setTimeout(() => p.kill("SIGKILL"), 20_000);
        await exited;
        clearTimeout(t);
      },
    };
  }

  /** Waits until `group` has committed `offsets` (partition → offset) on `topic`. */
  async function committed(bs: string, group: string, topic: string, offsets: number[], why: () => string) {
    const admin = client(bs).admin();
    await admin.connect();
    try {
      const deadline = performance.now() + 90_000;
      for (;;) {
        // Retriable errors (the offsets topic still loading) are waited out like the rest.
        const fetched = await admin.fetchOffsets({ groupId: group, topics: [topic] }).catch((e: unknown) => {
          if ((e as { retriable?: boolean }).retriable) return null;
          throw e;
        });
        const got = (fetched?.[0]?.partitions ?? [])
          .sort((a, b) => a.partition - b.partition)
          .map((x) => Number(x.offset));
        if (got.join() === offsets.join()) return;
        if (performance.now() > deadline)
          throw new Error(`${bs}: ${group} committed ${got}, not ${offsets}\n${why()}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      await admin.disconnect();
    }
  }

  /** KIP-848 member ids are random Uuids (22 characters of base64url). */
  const uuidMembers =
    (shape: Shape): Shape =>
    (out, t) =>
      shape(out.replace(/(?<=\s)[A-Za-z0-9_-]{22}(?=\s)/g, "<member>"), t);

  it("kafka-consumer-groups: a Java consumer of the consumer protocol (KIP-848)", {
    timeout: 300_000,
  }, async () => {
    const d: string[] = [];
    const topic = "tools-848-topic";
    const group = "tools-848";
    const base = Math.floor(Date.now() / 1000) * 1000 - 600_000;
    await onBoth((bs) => seed(bs, topic, 3, 10, base));
    const g = (bs: string) => ["--bootstrap-server", bs, "--group", group];
    const consumers = targets.map((t) => consoleConsumer(t.bootstrap, topic, group));
    try {
      await Promise.all(
        targets.map((t, i) => committed(t.bootstrap, group, topic, [10, 10, 10], consumers[i]!.stderr)),
      );
      const desc = await step(
        d,
        "groups --describe, a KIP-848 member",
        GROUPS,
        (bs) => [...g(bs), "--describe"],
        uuidMembers(table),
      );
      assert.equal((desc.shape as string[][]).filter((r) => r[0] === group).length, 3);
      await step(
        d,
        "groups --describe --members --verbose, a KIP-848 member",
        GROUPS,
        (bs) => [...g(bs), "--describe", "--members", "--verbose"],
        uuidMembers(table),
      );
      await step(
        d,
        "groups --describe --state, a KIP-848 group",
        GROUPS,
        (bs) => [...g(bs), "--describe", "--state", "--verbose"],
        table,
      );
      await step(
        d,
        "groups --list --type, a KIP-848 group",
        GROUPS,
        (bs) => ["--bootstrap-server", bs, "--list", "--type", "--state"],
        table,
      );
    } finally {
      await Promise.all(consumers.map((c) => c.stop()));
    }
    await step(
      d,
      "groups --describe, the KIP-848 member gone",
      GROUPS,
      (bs) => [...g(bs), "--describe"],
      table,
    );
    await step(
      d,
      "groups --describe --state, the KIP-848 member gone",
      GROUPS,
      (bs) => [...g(bs), "--describe", "--state", "--verbose"],
      table,
    );
    done(d);
  });

  // ------------------------------------------------------------------------------ kafka-get-offsets, kafka-delete-records

  it("kafka-get-offsets (latest, earliest, max timestamp, by time) and kafka-delete-records", {
    timeout: 300_000,
  }, async () => {
    const d: string[] = [];
    const topic = "tools-offsets";
    const base = Math.floor(Date.now() / 1000) * 1000 - 600_000;
    await onBoth((bs) => seed(bs, topic, 3, 10, base));
    const get = (time: string) => (bs: string) => [
      "--bootstrap-server",
      bs,
      "--topic",
      topic,
      "--time",
      time,
    ];
    const latest = await step(d, "get-offsets --time -1", GET_OFFSETS, get("-1"), lines);
    assert.deepEqual(latest.shape, [`${topic}:0:10`, `${topic}:1:10`, `${topic}:2:10`]);
    await step(d, "get-offsets --time -2", GET_OFFSETS, get("-2"), lines);
    await step(d, "get-offsets --time latest", GET_OFFSETS, get("latest"), lines);
    const max = await step(d, "get-offsets --time -3 (max timestamp)", GET_OFFSETS, get("-3"), lines);
    assert.deepEqual(max.shape, [`${topic}:0:9`, `${topic}:1:9`, `${topic}:2:9`]);
    const byTime = await step(
      d,
      "get-offsets --time <timestamp>",
      GET_OFFSETS,
      get(String(base + 4500)),
      lines,
    );
    assert.deepEqual(byTime.shape, [`${topic}:0:5`, `${topic}:1:5`, `${topic}:2:5`]);
    await step(d, "get-offsets --time after the last record", GET_OFFSETS, get(String(base + 60_000)), lines);
    await step(
      d,
      "get-offsets --topic-partitions",
      GET_OFFSETS,
      (bs) => ["--bootstrap-server", bs, "--topic-partitions", `${topic}:1,tools-.*:0`, "--time", "-1"],
      lines,
    );
    await step(
      d,
      "get-offsets, every topic",
      GET_OFFSETS,
      (bs) => ["--bootstrap-server", bs, "--exclude-internal-topics"],
      lines,
    );

    const json = join(dir, "delete-records.json");
    writeFileSync(
      json,
      JSON.stringify({
        version: 1,
        partitions: [
          { topic, partition: 0, offset: 4 },
          { topic, partition: 1, offset: -1 },
        ],
      }),
    );
    const deleted = await step(
      d,
      "delete-records",
      DELETE_RECORDS,
      (bs) => ["--bootstrap-server", bs, "--offset-json-file", json],
      unorderedTable(2),
    );
    assert.equal((deleted.shape as string[][]).length, 4);
    const earliest = await step(
      d,
      "get-offsets --time -2 after delete-records",
      GET_OFFSETS,
      get("-2"),
      lines,
    );
    assert.deepEqual(earliest.shape, [`${topic}:0:4`, `${topic}:1:10`, `${topic}:2:0`]);
    const beyond = join(dir, "delete-records-beyond.json");
    writeFileSync(beyond, JSON.stringify({ version: 1, partitions: [{ topic, partition: 2, offset: 40 }] }));
    await step(
      d,
      "delete-records beyond the high watermark",
      DELETE_RECORDS,
      (bs) => ["--bootstrap-server", bs, "--offset-json-file", beyond],
      unorderedTable(2),
    );
    done(d);
  });

  // ------------------------------------------------------------------------------ kafka-transactions

  /**
   * TransactionsCommand prints tab-separated columns padded with spaces, some possibly empty: split
   * on tabs; the columns named in `vary` (producer ids, times) are replaced by their name.
   */
  function txnTable(vary: string[]): Shape {
    return (out, t) => {
      const rows = lines(out, t).map((l) => l.split("\t").map((c) => c.trim()));
      const header = rows[0] ?? [];
      return rows.map((r, i) =>
        i === 0 ? r : r.map((c, j) => (vary.includes(header[j] ?? "") && c !== "" ? `<${header[j]}>` : c)),
      );
    };
  }

  it("kafka-transactions: list, describe an open transaction, describe-producers, find-hanging", {
    timeout: 300_000,
  }, async () => {
    const d: string[] = [];
    const topic = "tools-txn-topic";
    const base = Math.floor(Date.now() / 1000) * 1000 - 600_000;
    await onBoth((bs) => seed(bs, topic, 2, 3, base));
    const open = await onBoth((bs) => openTransaction(bs, "tools-txn", topic, 1, 2));
    const tx = (bs: string) => ["--bootstrap-server", bs];
    const times = ["ProducerId", "CurrentTransactionStartTimeMs", "TransactionDurationMs", "LastTimestamp"];
    try {
      const list = await step(
        d,
        "transactions list",
        TRANSACTIONS,
        (bs) => [...tx(bs), "list"],
        txnTable(times),
      );
      assert.deepEqual((list.shape as string[][])[1], ["tools-txn", "1", "<ProducerId>", "Ongoing"]);
      const desc = await step(
        d,
        "transactions describe (open)",
        TRANSACTIONS,
        (bs) => [...tx(bs), "describe", "--transactional-id", "tools-txn"],
        txnTable(times),
      );
      assert.equal((desc.shape as string[][])[1]?.[8], `${topic}-1`);
      const producers = await step(
        d,
        "transactions describe-producers",
        TRANSACTIONS,
        (bs) => [...tx(bs), "describe-producers", "--topic", topic, "--partition", "1"],
        txnTable(times),
      );
      // The seed's idempotent producer is listed too (no open transaction: "None"); the transactional
      // one has its open transaction starting at offset 3.
      const rows = (producers.shape as string[][]).slice(1);
      assert.equal(rows.length, 2, JSON.stringify(rows));
      assert.deepEqual(
        rows.find((r) => r[5] !== "None"),
        ["<ProducerId>", "0", "-1", "1", "<LastTimestamp>", "3"],
      );
      await step(
        d,
        "transactions describe-producers, no producer state",
        TRANSACTIONS,
        (bs) => [...tx(bs), "describe-producers", "--topic", topic, "--partition", "0"],
        txnTable(times),
      );
      await step(
        d,
        "transactions find-hanging",
        TRANSACTIONS,
        (bs) => [...tx(bs), "find-hanging", "--broker-id", "1"],
        txnTable(times),
      );
      await step(
        d,
        "transactions describe, unknown id",
        TRANSACTIONS,
        (bs) => [...tx(bs), "describe", "--transactional-id", "tools-no-such-txn"],
        firstLine,
      );
    } finally {
      await Promise.all(open.map((o) => o.abort()));
    }
    await step(
      d,
      "transactions describe (aborted)",
      TRANSACTIONS,
      (bs) => [...tx(bs), "describe", "--transactional-id", "tools-txn"],
      txnTable(times),
    );
    await step(
      d,
      "transactions describe-producers (aborted)",
      TRANSACTIONS,
      (bs) => [...tx(bs), "describe-producers", "--topic", topic, "--partition", "1"],
      txnTable(times),
    );
    await step(d, "transactions list (aborted)", TRANSACTIONS, (bs) => [...tx(bs), "list"], txnTable(times));
    await step(
      d,
      "configs --describe __transaction_state",
      CONFIGS,
      (bs) => [
        "--bootstrap-server",
        bs,
        "--describe",
        "--entity-type",
        "topics",
        "--entity-name",
        "__transaction_state",
      ],
      lines,
    );
    done(d);
  });

  // ------------------------------------------------------------------------------ kafka-producer-perf-test

  /** ProducerPerformance's summary line, with the figures that depend on timing replaced. */
  const perfSummary: Shape = (out) => {
    const last = out.trim().split("\n").at(-1) ?? "";
    return last
      .replace(/[\d.]+ records\/sec \([\d.]+ MB\/sec\)/, "<rate> records/sec (<rate> MB/sec)")
      .replace(/[\d.]+ ms avg latency, [\d.]+ ms max latency/, "<ms> ms avg latency, <ms> ms max latency")
      .replace(
        /\d+ ms 50th, \d+ ms 95th, \d+ ms 99th, \d+ ms 99.9th/,
        "<ms> ms 50th, <ms> ms 95th, <ms> ms 99th, <ms> ms 99.9th",
      );
  };

  it("kafka-producer-perf-test: a small run completes and prints its summary", {
    timeout: 300_000,
  }, async () => {
    const d: string[] = [];
    const perf = await step(
      d,
      "producer-perf-test acks=all",
      PRODUCER_PERF,
      (bs) => [
        "--topic",
        "tools-perf",
        "--num-records",
        "2000",
        "--record-size",
        "100",
        "--throughput",
        "-1",
        "--command-property",
        `bootstrap.servers=${bs}`,
        "acks=all",
      ],
      perfSummary,
    );
    assert.equal(
      perf.shape,
      "2000 records sent, <rate> records/sec (<rate> MB/sec), <ms> ms avg latency, <ms> ms max latency, <ms> ms 50th, <ms> ms 95th, <ms> ms 99th, <ms> ms 99.9th.",
    );
    const end = await step(
      d,
      "get-offsets of the perf topic",
      GET_OFFSETS,
      (bs) => ["--bootstrap-server", bs, "--topic", "tools-perf", "--time", "-1"],
      lines,
    );
    assert.deepEqual(end.shape, ["tools-perf:0:2000"]);
    await step(
      d,
      "producer-perf-test transactional",
      PRODUCER_PERF,
      (bs) => [
        "--topic",
        "tools-perf-txn",
        "--num-records",
        "500",
        "--record-size",
        "50",
        "--throughput",
        "-1",
        "--transactional-id",
        "tools-perf-txn",
        "--transaction-duration-ms",
        "100",
        "--command-property",
        `bootstrap.servers=${bs}`,
      ],
      perfSummary,
    );
    done(d);
  });
});
