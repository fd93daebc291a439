/**
 * `redrive`: sends the records of a dead-letter topic back to the topic they first failed on (its
 * `kafka_dlt-original-topic` header) or to a chosen topic, with their key, value and application
 * headers (the retry and dead-letter bookkeeping headers are dropped, so the record starts afresh).
 *
 * Progress is the committed offset of a consumer group (default `<dlt>.redrive`), committed only
 * after the records were acknowledged by the destination: an interrupted run resumes where it
 * stopped, and a second run does not send the same records again. A run reads up to the DLT's end
 * as it was when the run started, so records dead-lettered again meanwhile wait for the next run.
 */
import type { Kafka } from "../client/kafka.js";
import type { TopicMessages } from "../client/producer/types.js";
import type { EachBatchPayload, KafkaMessage } from "../client/types.js";
import { applicationHeaders, DltHeaders, headerNumber, headerText } from "./retry-topics.js";

export interface RedriveOptions {
  kafka: Kafka;
  /** The dead-letter topic to read. */
  dlt: string;
  /** Send everything here instead of to each record's original topic. */
  toTopic?: string;
  /** Redrive only the records this accepts; the others are passed over (progress moves past them). */
  filter?: (record: DeadLetterRecord) => boolean;
  /** At most this many records are sent in this run. */
  limit?: number;
  /** The group whose committed offsets are the redrive progress (default `<dlt>.redrive`). */
  groupId?: string;
  /** Count what would be sent; send and commit nothing. */
  dryRun?: boolean;
  /** Give up (and report what was done) after this long, ms (default 60000). */
  timeoutMs?: number;
}

export interface DeadLetterRecord {
  partition: number;
  message: KafkaMessage;
  /** The `kafka_dlt-original-topic` header, if the record has it. */
  originalTopic: string | undefined;
  /** The `kafka_dlt-exception-message` header. */
  exceptionMessage: string | undefined;
}

export interface RedriveResult {
  dlt: string;
  /** Records sent (or, with dryRun, that would be sent), by destination topic. */
  byTopic: Record<string, number>;
  redriven: number;
  /** Passed over by the filter. */
  filtered: number;
  /**
   * Partitions where the run stopped at a record without a `kafka_dlt-original-topic` header (no
   * toTopic given): that record and those after it stay for a run with toTopic.
   */
  stoppedPartitions: number[];
  /** Records in the DLT beyond what this run handled (the limit was reached, or a timeout). */
  remaining: number;
  dryRun: boolean;
  /** False when the run stopped at timeoutMs before reaching the end. */
  complete: boolean;
}

export class RedriveError extends Error {
  override name = "RedriveError";
}

export async function redrive(options: RedriveOptions): Promise<RedriveResult> {
  const { kafka, dlt, toTopic, filter } = options;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  if (!(limit >= 0)) throw new TypeError(`redrive: limit must be ≥ 0, got ${options.limit}`);
  const groupId = options.groupId ?? `${dlt}.redrive`;
  const dryRun = options.dryRun ?? false;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const result: RedriveResult = {
    dlt,
    byTopic: {},
    redriven: 0,
    filtered: 0,
    stoppedPartitions: [],
    remaining: 0,
    dryRun,
    complete: true,
  };

  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = new Set(await admin.listTopics());
    if (!topics.has(dlt)) throw new RedriveError(`redrive: topic "${dlt}" does not exist`);
    if (toTopic !== undefined && !topics.has(toTopic)) {
      throw new RedriveError(`redrive: destination topic "${toTopic}" does not exist`);
    }
    // The end of this run: the DLT as it is now.
    const end = new Map<number, bigint>();
    const start = new Map<number, bigint>();
    for (const p of await admin.fetchTopicOffsets(dlt)) {
      end.set(p.partition, BigInt(p.high));
      start.set(p.partition, BigInt(p.low));
    }
    const [committed] = await admin.fetchOffsets({ groupId, topics: [dlt] });
    for (const p of committed?.partitions ?? []) {
      if (p.offset !== "-1" && BigInt(p.offset) > start.get(p.partition)!)
        start.set(p.partition, BigInt(p.offset));
    }
    const pending = () => {
      let n = 0n;
      for (const [p, e] of end) if (e > start.get(p)!) n += e - start.get(p)!;
      return n;
    };
    if (pending() === 0n || limit === 0) {
      result.remaining = Number(pending());
      return result;
    }

    const partitionCounts = new Map<string, number>();
    const partitionsOf = async (topic: string): Promise<number> => {
      let n = partitionCounts.get(topic);
      if (n === undefined) {
        if (!topics.has(topic)) {
          topics.clear();
          for (const t of await admin.listTopics()) topics.add(t);
        }
        n = topics.has(topic)
          ? ((await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]?.partitions.length ?? 0)
          : 0;
        partitionCounts.set(topic, n);
      }
      return n;
    };

    const producer = dryRun ? undefined : kafka.producer({ idempotent: true });
    await producer?.connect();
    const consumer = kafka.consumer({ groupId });
    let finished: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      finished = resolve;
    });
    let failure: Error | undefined;
    let limitReached = false;

    const eachBatch = async ({ batch, resolveOffset, isRunning, isStale, pause }: EachBatchPayload) => {
      const { partition } = batch;
      if (result.stoppedPartitions.includes(partition)) return;
      const stop = end.get(partition) ?? 0n;
      const sends = new Map<string, TopicMessages>();
      const counts = new Map<string, number>();
      let last: string | undefined;
      let taken = 0;
      for (const message of batch.messages) {
        if (!isRunning() || isStale() || BigInt(message.offset) >= stop) break;
        const originalTopic = headerText(message.headers, DltHeaders.originalTopic);
        const record: DeadLetterRecord = {
          partition,
          message,
          originalTopic,
          exceptionMessage: headerText(message.headers, DltHeaders.exceptionMessage),
        };
        const to = toTopic ?? originalTopic;
        if (to === undefined) {
          // Not skipped: progress would move past it. The partition waits for a run with toTopic.
          result.stoppedPartitions.push(partition);
          pause();
          break;
        }
        if (filter && !filter(record)) {
          result.filtered++;
        } else {
          if (result.redriven + taken >= limit) {
            limitReached = true;
            break;
          }
          taken++;
          const originalPartition = headerNumber(message.headers, DltHeaders.originalPartition);
          const keepPartition =
            toTopic === undefined &&
            originalPartition !== undefined &&
            originalPartition >= 0 &&
            originalPartition < (await partitionsOf(to));
          if (!sends.has(to)) sends.set(to, { topic: to, messages: [] });
          sends.get(to)!.messages.push({
            key: message.key,
            value: message.value,
            headers: applicationHeaders(message.headers),
            ...(keepPartition ? { partition: originalPartition } : {}),
          });
          counts.set(to, (counts.get(to) ?? 0) + 1);
        }
        last = message.offset;
      }
      if (sends.size > 0 && producer) {
        for (const t of sends.keys()) {
          if ((await partitionsOf(t)) === 0) {
            // Not a reason to retry the batch: end the run, with nothing of this batch committed.
            failure ??= new RedriveError(`redrive: topic "${t}" (a record's original topic) does not exist`);
            finished();
            return;
          }
        }
        await producer.sendBatch({ topicMessages: [...sends.values()] });
      }
      // Resolved (and so committed) only after the destination acknowledged the records.
      if (last !== undefined) resolveOffset(last);
      result.redriven += taken;
      for (const [t, n] of counts) result.byTopic[t] = (result.byTopic[t] ?? 0) + n;
      if (limitReached) finished();
    };

    const started = performance.now();
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [dlt], fromBeginning: true });
      consumer.on(consumer.events.CRASH, (e) => {
        // A crash the consumer restarts from is not the end of the run.
        if (e.payload.restart) return;
        failure = e.payload.error;
        finished();
      });
      await consumer.run({ autoCommit: !dryRun, eachBatchAutoResolve: false, eachBatch });
      // Done when every partition's position reached this run's end (or the limit was reached).
      const poll = setInterval(() => {
        if (performance.now() - started > timeoutMs) {
          result.complete = false;
          finished();
          return;
        }
        consumer
          .lag()
          .then((lag) => {
            const reached = new Set(
              lag
                .filter((l) => l.topic === dlt && BigInt(l.offset) >= end.get(l.partition)!)
                .map((l) => l.partition),
            );
            for (const [p, e] of end) if (e <= start.get(p)!) reached.add(p);
            for (const p of result.stoppedPartitions) reached.add(p);
            if (reached.size === end.size) finished();
          })
          .catch(() => {});
      }, 100);
      await done;
      clearInterval(poll);
      if (failure) throw failure;
      const positions = await consumer.lag().catch(() => []);
      for (const l of positions) if (l.topic === dlt) start.set(l.partition, BigInt(l.offset));
      result.remaining = Number(pending());
    } finally {
      await consumer.disconnect().catch(() => {});
      await producer?.disconnect().catch(() => {});
    }
    return result;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}
