/**
 * `brook consume <topic...>`: records to stdout, as kcat -C.
 *
 * Without -g the partitions are read directly (src/client/consumer/partition-reader.ts: no group, nothing committed);
 * with -g, Brook's consumer joins the group, and offsets are committed as batches are written.
 * Output is formatted a fetched batch at a time into one buffer and written with one write(),
 * waiting for 'drain' when stdout is full; a closed stdout (EPIPE, `| head`) ends the run quietly
 * with exit code 0. SIGINT/SIGTERM end it too (exit 0), after the group is left.
 *
 * -o/--offset: beginning | end | stored | N (absolute, per partition; clamped to the log's range)
 * | -N (N before the end of each partition) | @<epoch ms or ISO date-time> | @-<duration> (that long
 * ago). Without a group the default is end (a live tail); with one, stored (committed, else end).
 * With -g, beginning/end apply to partitions without a committed offset (as kafka-console-consumer's
 * --from-beginning); N, -N and @time override committed offsets.
 *
 * -e: stop when every partition reached the end it had when the command started (the last stable
 * offset under --read-committed); records written after the start are not printed.
 */
import type { Command } from "commander";
import { clusterFor } from "../../client/cluster/from-config.js";
import type { Cluster } from "../../client/cluster/index.js";
import type { ConsumedMessage, ConsumedRecord } from "../../client/consumer/decode.js";
import { EARLIEST, LATEST, listOffsets } from "../../client/consumer/offsets.js";
import type { Consumer } from "../../client/consumer/types.js";
import { action, contextOf, intOption, parseDuration, parseTimestamp, partitionList } from "../common.js";
import { CliError, UsageError } from "../errors.js";
import {
  type Fetched,
  PartitionReader,
  type ReaderPartition,
} from "../../client/consumer/partition-reader.js";
import {
  compileFormat,
  type Formatter,
  jsonFormatter,
  type OutRecord,
  OutputBuffer,
  type RecordSource,
  textFormatter,
} from "./record-format.js";

interface ConsumeOptions {
  offset?: string;
  group?: string;
  partition?: string;
  num?: number;
  exit?: boolean;
  format: string;
  json?: boolean;
  pretty?: boolean;
  readCommitted?: boolean;
}

export type OffsetSpec =
  | { kind: "beginning" | "end" | "stored" }
  | { kind: "absolute"; offset: number }
  | { kind: "fromEnd"; count: number }
  | { kind: "time"; timestamp: number };

export function parseOffsetSpec(value: string, now = Date.now()): OffsetSpec {
  const v = value.trim();
  if (v === "beginning" || v === "earliest" || v === "oldest") return { kind: "beginning" };
  if (v === "end" || v === "latest" || v === "newest") return { kind: "end" };
  if (v === "stored" || v === "committed") return { kind: "stored" };
  if (/^\d+$/.test(v) && Number.isSafeInteger(Number(v))) return { kind: "absolute", offset: Number(v) };
  if (/^-\d+$/.test(v) && Number.isSafeInteger(Number(v))) return { kind: "fromEnd", count: -Number(v) };
  if (v.startsWith("@-")) return { kind: "time", timestamp: now - parseDuration("--offset", v.slice(2)) };
  if (v.startsWith("@") && v.length > 1)
    return { kind: "time", timestamp: parseTimestamp("--offset", v.slice(1)) };
  throw new UsageError(
    `--offset ${value}: expected beginning, end, stored, N, -N, @<epoch ms or ISO date-time> or @-<duration>`,
  );
}

export function registerConsume(program: Command): void {
  program
    .command("consume")
    .description("print records of topics to stdout, as kcat -C (a live tail unless -e or -c)")
    .argument("<topic...>", "the topics to read")
    .option(
      "-o, --offset <spec>",
      "where to start: beginning, end, stored, N, -N (N before the end), @<time> or @-<duration> (e.g. @-15m)",
    )
    .option(
      "-g, --group <id>",
      "consume in this group and commit offsets (default: no group, nothing committed)",
    )
    .option("-p, --partition <n[,m]>", "read only these partitions (not with --group)")
    .option("-c, --num <n>", "exit after n records", intOption("--num", { min: 1 }))
    .option("-e, --exit", "exit when every partition reached the end it had at the start")
    .option(
      "-f, --format <fmt>",
      "output format (kcat tokens): %t %p %o %k %K %s %S %R %T %h %%, escapes \\n \\t \\r \\\\ \\0 \\xHH",
      "%s\\n",
    )
    .option("-J, --json", "one JSON object per record, as kcat -J")
    .option("--pretty", "re-indent values that are JSON")
    .option("--read-committed", "read only committed transactional records (isolation level read_committed)")
    .action(action(consume));
}

interface Plan {
  parts: ReaderPartition[];
  /** Per partition, the offset to seek to in group mode (undefined: the group's committed offset). */
  seeks: Map<string, number>;
}

const keyOf = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/** Each partition's start (and end, with -e) from the log's range and the offset spec. */
async function plan(
  cluster: Cluster,
  topics: string[],
  only: number[] | undefined,
  spec: OffsetSpec,
  isolationLevel: number,
  untilEnd: boolean,
): Promise<Plan> {
  await cluster.addTargetTopics(topics);
  const parts: ReaderPartition[] = [];
  for (const topic of topics) {
    const meta = cluster.topicMetadata(topic);
    const ids = (meta?.partitions ?? []).map((p) => p.partitionId).sort((a, b) => a - b);
    const chosen = only ?? ids;
    for (const p of chosen) {
      if (!ids.includes(p)) {
        throw new CliError(
          `topic ${topic} has no partition ${p} (it has ${ids.length}: 0–${ids.length - 1})`,
        );
      }
      parts.push({ topic, partition: p, offset: 0, end: Number.POSITIVE_INFINITY });
    }
  }
  const all = (timestamp: number) =>
    parts.map((p) => ({ topic: p.topic, partition: p.partition, timestamp }));
  const retry = <T>(f: () => Promise<T>) => cluster.retrier(f);
  const [low, high] = await Promise.all([
    retry(() => listOffsets(cluster, all(EARLIEST), isolationLevel)),
    retry(() => listOffsets(cluster, all(LATEST), isolationLevel)),
  ]);
  const byTime =
    spec.kind === "time"
      ? // Before 1970 is before every record (negative times mean something else in ListOffsets).
        await retry(() => listOffsets(cluster, all(Math.max(0, spec.timestamp)), isolationLevel))
      : null;
  const seeks = new Map<string, number>();
  for (const p of parts) {
    const k = keyOf(p.topic, p.partition);
    const lo = low.get(k) ?? 0;
    const hi = high.get(k) ?? 0;
    let start: number;
    switch (spec.kind) {
      case "beginning":
        start = lo;
        break;
      case "end":
      case "stored":
        start = hi;
        break;
      case "absolute":
        start = Math.min(Math.max(spec.offset, lo), hi);
        seeks.set(k, start);
        break;
      case "fromEnd":
        start = Math.max(lo, hi - spec.count);
        seeks.set(k, start);
        break;
      case "time": {
        const t = byTime!.get(k) ?? -1;
        start = t < 0 ? hi : t;
        seeks.set(k, start);
        break;
      }
    }
    p.offset = start;
    if (untilEnd) p.end = hi;
  }
  return { parts, seeks };
}

/** stdout with backpressure; an EPIPE (reader gone) ends the run quietly. */
class Output {
  closed = false;
  private onClose: (() => void) | null = null;
  readonly gone: Promise<void>;

  constructor(private readonly stream: NodeJS.WriteStream = process.stdout) {
    this.gone = new Promise<void>((resolve) => {
      this.onClose = resolve;
    });
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE" || e.code === "ERR_STREAM_DESTROYED") {
        this.closed = true;
        this.onClose?.();
      } else {
        process.stderr.write(`brook consume: stdout: ${e.message}\n`);
        process.exitCode = 1;
        this.closed = true;
        this.onClose?.();
      }
    });
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.closed || chunk.length === 0) return;
    if (!this.stream.write(chunk)) {
      await Promise.race([new Promise((r) => this.stream.once("drain", r)), this.gone]);
    }
  }

  /** Resolves when everything written has been handed to the OS (or stdout is gone). */
  flushed(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return Promise.race([new Promise<void>((r) => this.stream.write("", () => r())), this.gone]);
  }
}

function timestampType(r: OutRecord): number {
  const ctx = (r as unknown as ConsumedRecord).batchContext;
  return ctx ? ctx.timestampType : -1;
}

async function consume(topics: string[], opts: ConsumeOptions, cmd: Command): Promise<void> {
  // Everything the command line decides is checked before connecting.
  const formatter: Formatter = opts.json
    ? jsonFormatter(opts.pretty === true)
    : textFormatter(compileFormat(opts.format), opts.pretty === true);
  const only = partitionList("--partition", opts.partition);
  if (opts.group && only)
    throw new UsageError("--partition: not with --group (the group assigns partitions)");
  const spec = parseOffsetSpec(opts.offset ?? (opts.group ? "stored" : "end"));
  if (spec.kind === "stored" && !opts.group) {
    throw new UsageError("--offset stored: needs --group (committed offsets belong to a group)");
  }
  const isolationLevel = opts.readCommitted ? 1 : 0;
  const limit = opts.num ?? Number.POSITIVE_INFINITY;
  const topicList = [...new Set(topics)];

  const ctx = contextOf(cmd);
  const out = new Output();
  const cluster = clusterFor(ctx.connection.config, isolationLevel);
  let stopRun: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    stopRun = resolve;
  });
  const onSignal = () => stopRun();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  void out.gone.then(() => stopRun());
  try {
    await cluster.connect();
    const { parts, seeks } = await plan(cluster, topicList, only, spec, isolationLevel, opts.exit === true);
    if (opts.group) {
      await cluster.disconnect().catch(() => {});
      await consumeInGroup(ctx.kafka, opts.group, topicList, parts, seeks, spec, {
        formatter,
        out,
        limit,
        isolationLevel,
        untilEnd: opts.exit === true,
        stopped,
      });
    } else {
      await consumeDirect(cluster, parts, { formatter, out, limit, isolationLevel, stopped });
    }
    await out.flushed();
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await cluster.disconnect().catch(() => {});
  }
}

interface RunContext {
  formatter: Formatter;
  out: Output;
  limit: number;
  isolationLevel: number;
  stopped: Promise<void>;
}

async function consumeDirect(cluster: Cluster, parts: ReaderPartition[], run: RunContext): Promise<void> {
  const reader = new PartitionReader(cluster, parts, {
    isolationLevel: run.isolationLevel,
    maxWaitMs: 500,
    maxBytes: 52428800,
    partitionMaxBytes: 2097152,
    requestTimeout: 30000,
    warn: (line) => process.stderr.write(`brook consume: ${line}\n`),
  });
  void run.stopped.then(() => reader.stop());
  let printed = 0;
  const buf = new OutputBuffer();
  const source = { topic: "", partition: 0, broker: -1, timestampType };
  const deliver = async (fetched: Fetched[]) => {
    for (const f of fetched) {
      source.topic = f.part.topic;
      source.partition = f.part.partition;
      source.broker = f.broker;
      const end = f.part.end;
      for (let m = f.cursor.next(); m !== null; m = f.cursor.next()) {
        if (f.cursor.offset >= end) break;
        run.formatter(buf, source, m as OutRecord);
        if (++printed >= run.limit) break;
      }
      if (printed >= run.limit) break;
    }
    await run.out.write(buf.take());
    if (printed >= run.limit) reader.stop();
  };
  await Promise.race([reader.run(deliver), run.stopped]);
  reader.stop();
}

async function consumeInGroup(
  kafka: ReturnType<typeof contextOf>["kafka"],
  groupId: string,
  topics: string[],
  parts: ReaderPartition[],
  seeks: Map<string, number>,
  spec: OffsetSpec,
  run: RunContext & { untilEnd: boolean },
): Promise<void> {
  const consumer: Consumer = kafka.consumer({
    groupId,
    readUncommitted: run.isolationLevel === 0,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 500,
  });
  const ends = new Map(parts.map((p) => [keyOf(p.topic, p.partition), p.end]));
  const positions = new Map<string, number>();
  let printed = 0;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  let crash: unknown = null;
  consumer.on(consumer.events.CRASH, (e) => {
    if (!e.payload.restart) {
      crash = e.payload.error;
      finish();
    }
  });
  const atEnd = () => {
    if (!run.untilEnd) return false;
    const assigned = consumer.assignment();
    if (assigned.length === 0) return false;
    return assigned.every((t) =>
      t.partitions.every(
        (p) => (positions.get(keyOf(t.topic, p)) ?? -1) >= (ends.get(keyOf(t.topic, p)) ?? 0),
      ),
    );
  };
  const buf = new OutputBuffer();
  const source: RecordSource = { topic: "", partition: 0, broker: -1, timestampType };
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: spec.kind === "beginning" });
    const running = consumer.run({
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, isStale }) => {
        if (printed >= run.limit || isStale()) return;
        source.topic = batch.topic;
        source.partition = batch.partition;
        const k = keyOf(batch.topic, batch.partition);
        const end = ends.get(k) ?? Number.POSITIVE_INFINITY;
        let last: string | null = null;
        for (const m of batch.messages as ConsumedMessage[]) {
          if (run.untilEnd && Number(m.offset) >= end) break;
          run.formatter(buf, source, m as OutRecord);
          last = m.offset;
          if (++printed >= run.limit) break;
        }
        await run.out.write(buf.take());
        if (last !== null) resolveOffset(last);
        const whole = last === null || last === batch.messages[batch.messages.length - 1]?.offset;
        if (whole && printed < run.limit) {
          resolveOffset(batch.lastOffset());
          positions.set(k, Number(batch.lastOffset()) + 1);
        } else if (last !== null) positions.set(k, Number(last) + 1);
        if (printed >= run.limit || atEnd()) finish();
      },
    });
    // Seeks are taken before the first assignment (they wait for it), so nothing is read from the
    // committed offsets of a partition given an explicit start.
    for (const [k, offset] of seeks) {
      const [topic, partition] = k.split("\u0000");
      consumer.seek({ topic: topic!, partition: Number(partition), offset: String(offset) });
    }
    await running;
    let poll: NodeJS.Timeout | null = null;
    if (run.untilEnd) {
      // Partitions with nothing (left) to read before their end get no batch: their position is asked for.
      poll = setInterval(() => {
        void consumer
          .lag()
          .then((lags) => {
            for (const l of lags) {
              const k = keyOf(l.topic, l.partition);
              positions.set(k, Math.max(positions.get(k) ?? -1, Number(l.offset)));
            }
            if (atEnd()) finish();
          })
          .catch(() => {});
      }, 200);
    }
    await Promise.race([finished, run.stopped]);
    if (poll) clearInterval(poll);
    if (crash) throw crash;
  } finally {
    await consumer.disconnect().catch(() => {});
  }
}
