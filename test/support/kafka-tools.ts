/**
 * Apache Kafka's command-line tools (the classes behind kafka-topics.sh, kafka-configs.sh,
 * kafka-consumer-groups.sh, kafka-get-offsets.sh, kafka-console-consumer.sh) run as JVMs from the
 * installed jars, and parsers for what they print, so a test can read their facts.
 *
 *   const tools = new KafkaTools();
 *   await tools.warm(bootstrap, dir);     // optional: a class-data archive that halves each JVM's start
 *   const r = await tools.run(KAFKA_TOOL.topics, ["--bootstrap-server", bs, "--list"]);
 *
 * Shared by tests only (no node:test import here, though).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { javaBinary, kafkaJavaClasspath, runKafkaJava } from "./apache-kafka.js";

const TOOLS = "org.apache.kafka.tools";

/** The main classes of Kafka's shell scripts. */
export const KAFKA_TOOL = {
  topics: `${TOOLS}.TopicCommand`,
  configs: `${TOOLS}.ConfigCommand`,
  groups: `${TOOLS}.consumer.group.ConsumerGroupCommand`,
  getOffsets: `${TOOLS}.GetOffsetShell`,
  consoleConsumer: `${TOOLS}.consumer.ConsoleConsumer`,
} as const;

export interface ToolRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A tool JVM tuned for starting, not running (C1 only, serial GC): the tools do little work. */
export const TOOL_JVM = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Djava.awt.headless=true"];

export class KafkaTools {
  jvm: string[] = TOOL_JVM;

  /**
   * One kafka-consumer-groups --list run against `bootstrap` that records the classes it loads in a
   * class-data-sharing archive (in `dir`), which every later tool JVM maps. Without the archive (a
   * JVM that cannot write one) the runs are just slower.
   */
  async warm(bootstrap: string, dir: string): Promise<void> {
    const archive = join(dir, "tools.jsa");
    await runKafkaJava(KAFKA_TOOL.groups, ["--bootstrap-server", bootstrap, "--list"], {
      jvmArgs: [...TOOL_JVM, `-XX:ArchiveClassesAtExit=${archive}`],
    });
    if (existsSync(archive)) this.jvm = [...TOOL_JVM, `-XX:SharedArchiveFile=${archive}`];
  }

  run(mainClass: string, args: string[], timeoutMs = 60_000): Promise<ToolRun> {
    return runKafkaJava(mainClass, args, { jvmArgs: this.jvm, timeoutMs });
  }

  /**
   * Kafka's console consumer in `group` reading `topic` from the beginning with the given consumer
   * properties (e.g. group.protocol=consumer for KIP-848), output discarded, until `stop()`
   * (SIGTERM: it closes and leaves the group).
   */
  consoleConsumer(
    bootstrap: string,
    topic: string,
    group: string,
    properties: Record<string, string>,
  ): { stderr: () => string; stop: () => Promise<void> } {
    const p: ChildProcess = spawn(
      javaBinary(),
      [
        ...this.jvm,
        "-cp",
        kafkaJavaClasspath(),
        KAFKA_TOOL.consoleConsumer,
        "--bootstrap-server",
        bootstrap,
        "--topic",
        topic,
        "--group",
        group,
        "--from-beginning",
        ...Object.entries(properties).flatMap(([k, v]) => ["--command-property", `${k}=${v}`]),
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    const killOnExit = () => p.kill("SIGKILL");
    process.on("exit", killOnExit);
    let stderr = "";
    p.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<void>((resolve) =>
      p.once("exit", () => {
        process.off("exit", killOnExit);
        resolve();
      }),
    );
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
}

// ------------------------------------------------------------------------------ parsers

/** A partition line of kafka-topics --describe. */
export interface TopicPartitionLine {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
}

const nodeList = (s: string) => (s.trim() === "" ? [] : s.split(",").map(Number));

/** kafka-topics --describe of one topic: its PartitionCount and its partition lines. */
export function parseTopicDescribe(out: string): {
  partitionCount: number;
  partitions: TopicPartitionLine[];
} {
  const count = /PartitionCount: (\d+)/.exec(out);
  if (!count) throw new Error(`no PartitionCount in kafka-topics output:\n${out}`);
  const partitions: TopicPartitionLine[] = [];
  for (const m of out.matchAll(
    /Partition: (\d+)\s+Leader: (-?\d+|none)\s+Replicas: ([\d,]*)\s+Isr: ([\d,]*)/g,
  )) {
    partitions.push({
      partition: Number(m[1]),
      leader: m[2] === "none" ? -1 : Number(m[2]),
      replicas: nodeList(m[3]!),
      isr: nodeList(m[4]!),
    });
  }
  return {
    partitionCount: Number(count[1]),
    partitions: partitions.sort((a, b) => a.partition - b.partition),
  };
}

/** kafka-get-offsets lines `topic:partition:offset` → "topic:partition" → offset. */
export function parseOffsets(out: string): Map<string, number> {
  const offsets = new Map<string, number>();
  for (const line of out.split("\n")) {
    const m = /^(.+):(\d+):(-?\d+)$/.exec(line.trim());
    if (m) offsets.set(`${m[1]}:${m[2]}`, Number(m[3]));
  }
  return offsets;
}

/**
 * kafka-configs --describe of one entity: `  name=value sensitive=false synonyms={SOURCE:name=value, ...}`
 * lines → name, value and the source of the value in force (the first synonym).
 */
export function parseConfigs(out: string): Array<{ name: string; value: string; source: string }> {
  const configs: Array<{ name: string; value: string; source: string }> = [];
  for (const m of out.matchAll(/^ {2}([^=\s]+)=(.*?) sensitive=(?:true|false) synonyms=\{(\w+)?/gm)) {
    configs.push({ name: m[1]!, value: m[2]!, source: m[3] ?? "" });
  }
  return configs.sort((a, b) => (a.name < b.name ? -1 : 1));
}

/**
 * The tables of kafka-consumer-groups: each line whose first cell is `firstHeader` is a header, and
 * each non-empty line after it (up to an empty one) a row, its cells (split at whitespace) keyed by
 * the header's names. The rows of every such table (one per group with several --group) in order;
 * "-" cells stay "-".
 */
export function parseTable(out: string, firstHeader = "GROUP"): Array<Record<string, string>> {
  const rows: Array<Record<string, string>> = [];
  let header: string[] | null = null;
  let tables = 0;
  for (const line of out.split("\n").map((l) => l.trim())) {
    const cells = line.split(/\s+/);
    if (cells[0] === firstHeader) {
      header = cells;
      tables++;
    } else if (line === "") header = null;
    else if (header) rows.push(Object.fromEntries(header.map((h, i) => [h, cells[i] ?? ""])));
  }
  if (tables === 0) throw new Error(`no ${firstHeader} table in:\n${out}`);
  return rows;
}
