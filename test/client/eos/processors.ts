/**
 * Exactly-once processors as child processes (fixtures/processor.ts) and the checks the tests make
 * on what they wrote: every input record's result exactly once under read_committed.
 */
import { appendFileSync } from "node:fs";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type * as KafkaJSTypes from "kafkajs";
import { runKafkaJava } from "../../support/apache-kafka.js";
import { LineProcess } from "../../support/line-process.js";
import { kafkajs } from "../consumer/support.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/processor.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export interface ProcessorOptions {
  bootstrap: string;
  groupId: string;
  input: string;
  output: string;
  transactionalId: string;
  sessionTimeout: number;
  chunk: number;
  consumerClient: "brook" | "kafkajs";
  offsetsBy: "consumer" | "groupId";
  groupInstanceId?: string;
  groupProtocol?: "classic" | "consumer";
  stall?: boolean;
}

export class Processor extends LineProcess {
  constructor(
    readonly name: string,
    readonly options: ProcessorOptions,
  ) {
    super(
      spawn(process.execPath, ["--import", "tsx", FIXTURE, JSON.stringify(options)], {
        cwd: ROOT,
        stdio: ["pipe", "pipe", "pipe"],
      }),
    );
  }

  protected override onLines(lines: string[]): void {
    if (process.env.EOS_DEBUG)
      for (const l of lines)
        appendFileSync(process.env.EOS_DEBUG, `${Date.now()} ${this.name} ${this.proc.pid} ${l}\n`);
  }

  /** Committed transactions so far. */
  get commits(): number {
    return this.lines.filter((l) => l.startsWith("TXN ")).length;
  }

  errors(): string[] {
    return this.lines.filter((l) => l.startsWith("ERROR"));
  }

  describe(): string {
    const age = ((Date.now() - this.startedAt) / 1000).toFixed(1);
    return `${this.name} (pid ${this.proc.pid}, ${age} s${this.exited ? ", exited" : ""}): ${this.lines.slice(-5).join(" | ")}${this.stderr ? ` | stderr ${this.stderr.slice(-500)}` : ""}`;
  }
}

/**
 * Reads the whole output topic with Apache Kafka's own console consumer (the Java client,
 * read_committed) and returns how often each value was seen: the judge against an Apache Kafka
 * cluster. KafkaJS 2.2.4 cannot be: Kafka lists a fetch's aborted transactions in the order their
 * markers were written, and KafkaJS's filter assumes first-offset order, so it delivers the records
 * of a transaction that began before another one but was aborted after it (test/client/consumer/
 * apache-kafka.test.ts shows it). Reads until nothing more came for `idleMs`.
 */
export async function readCommittedWithJava(
  bootstrap: string,
  topic: string,
  idleMs = 10_000,
): Promise<Map<string, number>> {
  const run = await runKafkaJava(
    "org.apache.kafka.tools.consumer.ConsoleConsumer",
    [
      "--bootstrap-server",
      bootstrap,
      "--topic",
      topic,
      "--from-beginning",
      "--isolation-level",
      "read_committed",
      "--timeout-ms",
      String(idleMs),
      // "Partition:<p>\t<value>": records told apart from the tool's own log lines on stdout.
      "--formatter-property",
      "print.partition=true",
    ],
    { jvmArgs: ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"], timeoutMs: 180_000 },
  );
  const processed = /Processed a total of (\d+) messages/.exec(run.stderr);
  assert.ok(processed, `the console consumer ran (exit ${run.code}): ${run.stderr.slice(-1000)}`);
  const seen = new Map<string, number>();
  for (const line of run.stdout.split("\n")) {
    const record = /^Partition:\d+\t(.*)$/.exec(line);
    if (record) seen.set(record[1]!, (seen.get(record[1]!) ?? 0) + 1);
  }
  assert.equal(
    [...seen.values()].reduce((a, b) => a + b, 0),
    Number(processed[1]),
    "every value printed once per record",
  );
  return seen;
}

/**
 * Reads the whole output topic with KafkaJS's consumer (read_committed, its default) in a fresh
 * group and returns how often each value was seen; waits for `expected` values, then a moment more
 * for anything beyond them. Right against Brook, which lists aborted transactions in first-offset
 * order; against Apache Kafka use readCommittedWithJava.
 */
export async function readCommitted(
  bootstrap: string,
  topic: string,
  expected: number,
  ms = 60000,
): Promise<Map<string, number>> {
  const kafka: KafkaJSTypes.Kafka = new kafkajs.Kafka({
    clientId: "eos-verify",
    brokers: bootstrap.split(","),
    logLevel: kafkajs.logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: `verify-${topic}-${Date.now()}`, maxWaitTimeInMs: 100 });
  const seen = new Map<string, number>();
  let received = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const v = message.value!.toString();
        seen.set(v, (seen.get(v) ?? 0) + 1);
        received++;
      },
    });
    const until = Date.now() + ms;
    while (received < expected && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1000));
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

/** Every `out-<p>-<i>` for i < perPartition exactly once, and nothing else. */
export function assertExactlyOnce(seen: Map<string, number>, partitions: number, perPartition: number): void {
  const dupes = [...seen].filter(([, n]) => n > 1);
  assert.deepEqual(dupes.slice(0, 10), [], `${dupes.length} results more than once`);
  const missing: string[] = [];
  for (let p = 0; p < partitions; p++)
    for (let i = 0; i < perPartition; i++) if (seen.get(`out-${p}-${i}`) !== 1) missing.push(`out-${p}-${i}`);
  assert.deepEqual(missing.slice(0, 10), [], `${missing.length} results missing`);
  assert.equal(seen.size, partitions * perPartition, "nothing but the results");
}
