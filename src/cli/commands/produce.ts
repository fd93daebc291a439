/**
 * `brook produce <topic>`: records from stdin (or --file), one per line (or per --delimiter), as kcat -P.
 *
 * Throughput: lines are cut from the input's chunks as Buffers (no string decoding), gathered into
 * sends of up to BATCH_RECORDS records / BATCH_BYTES bytes, and up to IN_FLIGHT sends are awaited at
 * once; reading the input waits when all are in flight (backpressure on the input stream).
 *
 * Failure: when a send fails, nothing more is read or sent; the sends already in flight are awaited
 * and the error line says how many records were acknowledged. With --format json a line that is not
 * a JSON object of the expected shape stops the run at that line: the records of the lines before it
 * are sent and acknowledged, nothing from that line on is; the error names the line (exit 1).
 */
import { createReadStream } from "node:fs";
import type { Readable } from "node:stream";
import { type Command, Option } from "commander";
import { CompressionTypes } from "../../client/enums.js";
import type { Producer } from "../../client/producer/types.js";
import type { IHeaders, Message } from "../../client/types.js";
import { clusterFor } from "../../client/cluster/from-config.js";
import { action, collect, contextOf, intOption, keyValues } from "../common.js";
import { CliError, describeError, UsageError } from "../errors.js";
import { createMeter, type Meter } from "./progress.js";
import { unescapeBytes } from "./record-format.js";

/** Records per send (one Produce request carries them, split by partition). */
const BATCH_RECORDS = 8192;
/**
 * Bytes (keys + values) per send before it is cut: one send's records for a partition form one batch,
 * which must stay under the default max.message.bytes (1 MiB) with the per-record overhead added.
 */
const BATCH_BYTES = 512 * 1024;
/** Sends awaited at once. */
const IN_FLIGHT = 8;

const COMPRESSION: Record<string, CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

interface ProduceOptions {
  file?: string;
  delimiter?: string;
  keyDelimiter?: string;
  header: string[];
  partition?: number;
  compression: string;
  acks: string;
  format: "text" | "json";
  idempotent?: boolean;
  transactionalId?: string;
  quiet?: boolean;
}

export function registerProduce(program: Command): void {
  program
    .command("produce")
    .description("write records to a topic: one per line of stdin (or --file), as kcat -P")
    .argument("<topic>", "the topic to write to")
    .option("-f, --file <path>", "read records from this file instead of stdin")
    .option("-D, --delimiter <str>", "record delimiter (default: newline; \\n \\t \\r \\0 \\xHH escapes)")
    .option("-k, --key-delimiter <str>", "split key from value at the first occurrence of <str> (kcat -K)")
    .option("-H, --header <key=value>", "a header added to every record (repeatable)", collect, [])
    .option("-p, --partition <n>", "write every record to this partition", intOption("--partition"))
    .addOption(
      new Option("-z, --compression <codec>", "compression of record batches")
        .choices(Object.keys(COMPRESSION))
        .default("none"),
    )
    .addOption(
      new Option("--acks <acks>", "acknowledgements to wait for: all (-1), 1 or 0")
        .choices(["all", "-1", "1", "0"])
        .default("all"),
    )
    .addOption(
      new Option(
        "--format <format>",
        'input: text lines, or JSON lines {"key","value","headers","partition"}',
      )
        .choices(["text", "json"])
        .default("text"),
    )
    .option("--idempotent", "idempotent producer (no duplicates on retries)")
    .option("--transactional-id <id>", "write all records in one transaction, committed at the end")
    .option("-q, --quiet", "no progress bar and no summary line")
    .action(action(produce));
}

/** A bad --format json line: the run stops there. */
class BadLine extends CliError {}

function jsonField(v: unknown): Buffer | null {
  if (v === null || v === undefined) return null;
  return Buffer.from(typeof v === "string" ? v : JSON.stringify(v), "utf8");
}

/** One JSON input line into a message; throws BadLine naming the line. */
function parseJsonLine(
  line: Buffer,
  lineNo: number,
  common: IHeaders,
  partition: number | undefined,
): Message {
  let obj: unknown;
  try {
    obj = JSON.parse(line.toString("utf8"));
  } catch (e) {
    throw new BadLine(`line ${lineNo}: not JSON: ${(e as Error).message}`);
  }
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
    throw new BadLine(`line ${lineNo}: expected a JSON object {"key","value","headers","partition"}`);
  }
  const o = obj as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (k !== "key" && k !== "value" && k !== "headers" && k !== "partition") {
      throw new BadLine(`line ${lineNo}: unknown field "${k}" (expected key, value, headers, partition)`);
    }
  }
  const headers: IHeaders = { ...common };
  if (o.headers !== undefined && o.headers !== null) {
    if (typeof o.headers !== "object" || Array.isArray(o.headers)) {
      throw new BadLine(`line ${lineNo}: "headers" must be an object of strings`);
    }
    for (const [k, v] of Object.entries(o.headers as Record<string, unknown>)) {
      if (v !== null && typeof v !== "string") {
        throw new BadLine(`line ${lineNo}: header "${k}" must be a string or null`);
      }
      headers[k] = v === null ? (null as unknown as Buffer) : Buffer.from(v, "utf8");
    }
  }
  let p = partition;
  if (o.partition !== undefined && o.partition !== null) {
    if (typeof o.partition !== "number" || !Number.isInteger(o.partition) || o.partition < 0) {
      throw new BadLine(`line ${lineNo}: "partition" must be a whole number ≥ 0`);
    }
    p = o.partition;
  }
  const m: Message = { key: jsonField(o.key), value: jsonField(o.value), headers };
  if (p !== undefined) m.partition = p;
  return m;
}

/**
 * Splits a byte stream into records at `delim`, a chunk's worth at a time (one await per chunk,
 * not per record); a last record without a delimiter counts too.
 */
async function* records(input: Readable, delim: Buffer): AsyncGenerator<Buffer[]> {
  let rest: Buffer | null = null;
  const single = delim.length === 1 ? delim[0]! : -1;
  for await (const c of input) {
    let chunk = c as Buffer;
    if (rest) {
      chunk = Buffer.concat([rest, chunk]);
      rest = null;
    }
    const out: Buffer[] = [];
    let from = 0;
    for (;;) {
      const at = single >= 0 ? chunk.indexOf(single, from) : chunk.indexOf(delim, from);
      if (at < 0) break;
      out.push(chunk.subarray(from, at));
      from = at + delim.length;
    }
    if (from < chunk.length) rest = chunk.subarray(from);
    if (out.length > 0) yield out;
  }
  if (rest && rest.length > 0) yield [rest];
}

async function produce(topic: string, opts: ProduceOptions, cmd: Command): Promise<void> {
  const headerList = keyValues("--header", opts.header);
  const common: IHeaders = {};
  for (const [k, v] of headerList) common[k] = Buffer.from(v, "utf8");
  const hasHeaders = headerList.length > 0;
  const delim = opts.delimiter === undefined ? Buffer.from("\n") : unescapeBytes(opts.delimiter);
  if (delim.length === 0) throw new UsageError("--delimiter: must not be empty");
  const keyDelim = opts.keyDelimiter === undefined ? null : unescapeBytes(opts.keyDelimiter);
  if (keyDelim && keyDelim.length === 0) throw new UsageError("--key-delimiter: must not be empty");
  if (opts.format === "json" && keyDelim) throw new UsageError("--key-delimiter: not with --format json");
  const acks = opts.acks === "all" ? -1 : Number(opts.acks);
  const compression = COMPRESSION[opts.compression]!;
  const transactional = opts.transactionalId !== undefined;
  if (transactional && acks !== -1) throw new UsageError("--transactional-id needs --acks all");

  const input: Readable = opts.file ? createReadStream(opts.file, { highWaterMark: 1 << 20 }) : process.stdin;
  // A missing file is reported before connecting.
  if (opts.file) {
    await new Promise<void>((resolve, reject) => {
      (input as ReturnType<typeof createReadStream>).once("open", () => resolve());
      input.once("error", (e) =>
        reject(new UsageError(`--file ${opts.file}: ${(e as NodeJS.ErrnoException).code ?? e.message}`)),
      );
    });
  }

  const { kafka, connection } = contextOf(cmd);
  // The topic is looked up first (created there if the cluster auto-creates topics), so an unknown
  // topic fails at once with its Kafka error rather than after the producer's retries.
  const probe = clusterFor(connection.config, 0, true);
  try {
    await probe.connect();
    await probe.addTargetTopics([topic]);
    // A topic created just now (auto-creation) has no leader for a moment: wait for it here in short
    // steps, rather than in the producer's retry back-off (about 2 s).
    const deadline = performance.now() + 10_000;
    const leaderless = () =>
      probe.findTopicPartitionMetadata(topic).length === 0 ||
      probe.findTopicPartitionMetadata(topic).some((m) => m.leader < 0);
    while (leaderless() && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      await probe.refreshMetadata();
    }
  } catch (e) {
    throw new CliError(`${describeError(e, connection.brokers).line}; ${describeAcked(0, false)}`, 1);
  } finally {
    await probe.disconnect().catch(() => {});
  }
  const producer: Producer = kafka.producer({
    idempotent: opts.idempotent || transactional,
    ...(transactional ? { transactionalId: opts.transactionalId, maxInFlightRequests: 1 } : {}),
  });
  const meter: Meter = createMeter("produced", opts.quiet === true);
  await producer.connect();
  let acked = 0;
  let ackedBytes = 0;
  let failure: unknown = null;
  const inFlight = new Set<Promise<void>>();
  try {
    const txn = transactional ? await producer.transaction() : null;
    const sender = txn ?? producer;
    const send = (messages: Message[], bytes: number): Promise<void> => {
      const p: Promise<void> = sender.send({ topic, messages, acks, compression }).then(
        () => {
          acked += messages.length;
          ackedBytes += bytes;
          meter.update(acked, ackedBytes);
        },
        (e: unknown) => {
          failure ??= e;
        },
      );
      const tracked = p.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
      return tracked;
    };
    let batch: Message[] = [];
    let batchBytes = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      const messages = batch;
      const bytes = batchBytes;
      batch = [];
      batchBytes = 0;
      void send(messages, bytes);
      while (inFlight.size >= IN_FLIGHT && !failure) await Promise.race(inFlight);
    };
    let lineNo = 0;
    let bad: BadLine | null = null;
    read: for await (const lines of records(input, delim)) {
      if (failure) break;
      for (const line of lines) {
        lineNo++;
        let m: Message;
        if (opts.format === "json") {
          try {
            m = parseJsonLine(line, lineNo, common, opts.partition);
          } catch (e) {
            bad = e as BadLine;
            break read;
          }
        } else {
          let key: Buffer | null = null;
          let value = line;
          if (keyDelim) {
            const at = line.indexOf(keyDelim);
            if (at >= 0) {
              key = line.subarray(0, at);
              value = line.subarray(at + keyDelim.length);
            }
          }
          m = { key, value };
          if (hasHeaders) m.headers = common;
          if (opts.partition !== undefined) m.partition = opts.partition;
        }
        batch.push(m);
        batchBytes += (m.key ? (m.key as Buffer).length : 0) + (m.value ? (m.value as Buffer).length : 0);
        if (batch.length >= BATCH_RECORDS || batchBytes >= BATCH_BYTES) {
          await flush();
          if (failure) break read;
        }
      }
    }
    if (!failure) await flush();
    await Promise.all(inFlight);
    if (txn) {
      if (failure || bad) await txn.abort().catch(() => {});
      else await txn.commit();
    }
    if (bad) {
      if (txn) acked = 0;
      meter.finish(topic, acked, ackedBytes);
      throw new BadLine(`${bad.message}; ${describeAcked(acked, txn !== null)}`);
    }
    if (failure) throw failure;
    meter.finish(topic, acked, ackedBytes);
  } catch (e) {
    if (e instanceof BadLine) throw e;
    failure ??= e;
    await Promise.allSettled(inFlight);
    meter.stop();
    const { line } = describeError(failure, connection.brokers);
    throw new CliError(`${line}; ${describeAcked(transactional ? 0 : acked, transactional)}`, 1);
  } finally {
    meter.stop();
    await producer.disconnect().catch(() => {});
  }
}

function describeAcked(n: number, transactional: boolean): string {
  if (transactional) return "the transaction was aborted: no records were committed";
  return `${n} record${n === 1 ? " was" : "s were"} acknowledged before it`;
}
