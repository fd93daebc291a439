/**
 * Retry topics and the dead-letter topic: their names, the delay of each attempt, and the headers a
 * forwarded record carries. Spring for Apache Kafka's non-blocking retries are the model, so a
 * record forwarded by Brook reads the same to someone who knows those topics: `<topic>-retry-<delayMs>`
 * (Spring's "suffix with delay value" strategy), `<topic>-dlt`, `kafka_dlt-*` and `retry_topic-*`
 * headers. Header values are decimal text (Spring writes binary ints and longs): KafkaJS-style
 * consumers read headers as strings, and the text is what `brook consume` shows.
 */
import type { IHeaders } from "../client/types.js";

/** Where a failed record came from, and why it failed. Spring's DeadLetterPublishingRecoverer names. */
export const DltHeaders = {
  originalTopic: "kafka_dlt-original-topic",
  originalPartition: "kafka_dlt-original-partition",
  originalOffset: "kafka_dlt-original-offset",
  originalTimestamp: "kafka_dlt-original-timestamp",
  originalConsumerGroup: "kafka_dlt-original-consumer-group",
  exceptionFqcn: "kafka_dlt-exception-fqcn",
  exceptionCauseFqcn: "kafka_dlt-exception-cause-fqcn",
  exceptionMessage: "kafka_dlt-exception-message",
  exceptionStacktrace: "kafka_dlt-exception-stacktrace",
} as const;

/** The retry bookkeeping: which delivery attempt the record is on, and when it is due (epoch ms). */
export const RetryHeaders = {
  attempts: "retry_topic-attempts",
  backoffTimestamp: "retry_topic-backoff-timestamp",
  originalTimestamp: "retry_topic-original-timestamp",
} as const;

export interface BackoffOptions {
  /** Delay before the first retry, ms (default 1000). */
  initialMs?: number;
  /** Each further retry waits this many times longer (default 2). */
  multiplier?: number;
  /** No retry waits longer than this, ms (default 30000). */
  maxMs?: number;
}

export interface RetryPlan {
  /** Total deliveries including the first (Spring's maxAttempts). */
  attempts: number;
  /** delays[i]: the wait before delivery attempt i + 2 (the first retry is delays[0]). */
  delays: number[];
  /** The retry topic of each retry, retryTopics[i] for delivery attempt i + 2. */
  retryTopics: string[];
  /** The distinct retry topics, in order. */
  topics: string[];
  dlt: string;
}

export interface NamingOptions {
  /** Default "-retry". */
  retryTopicSuffix?: string;
  /** Default "-dlt". */
  dltSuffix?: string;
}

/**
 * The retry topics of `topic`: one per distinct delay, named by the delay. When `maxMs` caps several
 * retries at the same delay they share one topic (Spring's single-topic reuse of the max interval);
 * the attempts header tells those retries apart.
 */
export function retryPlan(
  topic: string,
  attempts: number,
  backoff: BackoffOptions = {},
  naming: NamingOptions = {},
): RetryPlan {
  if (!Number.isInteger(attempts) || attempts < 1) {
    throw new TypeError(
      `attempts must be a whole number ≥ 1 (deliveries including the first), got ${attempts}`,
    );
  }
  const initialMs = backoff.initialMs ?? 1000;
  const multiplier = backoff.multiplier ?? 2;
  const maxMs = backoff.maxMs ?? 30_000;
  for (const [name, v, min] of [
    ["backoff.initialMs", initialMs, 0],
    ["backoff.multiplier", multiplier, 1],
    ["backoff.maxMs", maxMs, 0],
  ] as const) {
    if (!Number.isFinite(v) || v < min) throw new TypeError(`${name} must be a number ≥ ${min}, got ${v}`);
  }
  const retrySuffix = naming.retryTopicSuffix ?? "-retry";
  const delays: number[] = [];
  for (let i = 0; i < attempts - 1; i++) {
    delays.push(Math.round(Math.min(initialMs * multiplier ** i, maxMs)));
  }
  const retryTopics = delays.map((d) => `${topic}${retrySuffix}-${d}`);
  return {
    attempts,
    delays,
    retryTopics,
    topics: [...new Set(retryTopics)],
    dlt: `${topic}${naming.dltSuffix ?? "-dlt"}`,
  };
}

/** A header's first value as text (headers may repeat; KafkaJS gives an array then). */
export function headerText(headers: IHeaders | undefined, name: string): string | undefined {
  const v = headers?.[name];
  const first = Array.isArray(v) ? v[v.length - 1] : v;
  if (first === undefined) return undefined;
  return typeof first === "string" ? first : first.toString("utf8");
}

/**
 * A header holding an integer: decimal text (as Brook writes), or a big-endian int or long (as
 * Spring writes `-original-partition` and `-original-offset`), else undefined.
 */
export function headerNumber(headers: IHeaders | undefined, name: string): number | undefined {
  const v = headers?.[name];
  const raw = Array.isArray(v) ? v[v.length - 1] : v;
  if (
    Buffer.isBuffer(raw) &&
    (raw.length === 4 || raw.length === 8) &&
    !/^-?\d+$/.test(raw.toString("latin1"))
  ) {
    return raw.length === 4 ? raw.readInt32BE(0) : Number(raw.readBigInt64BE(0));
  }
  const text = headerText(headers, name);
  if (text === undefined || !/^-?\d+$/.test(text)) return undefined;
  return Number(text);
}

const BOOKKEEPING = /^(kafka_dlt-|retry_topic-)/;

/** The headers the application gave the record, without the retry and dead-letter bookkeeping. */
export function applicationHeaders(headers: IHeaders | undefined): IHeaders {
  const out: IHeaders = {};
  for (const [k, v] of Object.entries(headers ?? {})) if (!BOOKKEEPING.test(k) && v !== undefined) out[k] = v;
  return out;
}

/** The error's class name: its constructor's name, else its `name`. */
export function errorClassName(error: unknown): string {
  if (error instanceof Error) return error.constructor?.name || error.name || "Error";
  return typeof error;
}

/** Header values are limited in practice by the record size; keep traces to a readable length. */
const MAX_STACK = 8192;

export interface FailureSource {
  topic: string;
  partition: number;
  offset: string;
  timestamp: string;
  headers: IHeaders | undefined;
  groupId: string;
}

/**
 * The headers for forwarding a failed record: the application's own headers, the original
 * coordinates (kept from the first failure, so a record in the DLT names the topic it was first
 * consumed from, however many retry topics it went through), and this failure's exception.
 */
export function failureHeaders(source: FailureSource, error: unknown): IHeaders {
  const h = source.headers;
  const original = headerText(h, DltHeaders.originalTopic);
  const out: IHeaders = applicationHeaders(h);
  if (original === undefined) {
    out[DltHeaders.originalTopic] = source.topic;
    out[DltHeaders.originalPartition] = String(source.partition);
    out[DltHeaders.originalOffset] = source.offset;
    out[DltHeaders.originalTimestamp] = source.timestamp;
    out[DltHeaders.originalConsumerGroup] = source.groupId;
  } else {
    for (const name of [
      DltHeaders.originalTopic,
      DltHeaders.originalPartition,
      DltHeaders.originalOffset,
      DltHeaders.originalTimestamp,
      DltHeaders.originalConsumerGroup,
    ]) {
      const v = headerText(h, name);
      if (v !== undefined) out[name] = v;
    }
  }
  const e = error instanceof Error ? error : undefined;
  out[DltHeaders.exceptionFqcn] = errorClassName(error);
  if (e?.cause !== undefined) out[DltHeaders.exceptionCauseFqcn] = errorClassName(e.cause);
  out[DltHeaders.exceptionMessage] = e ? e.message : String(error);
  out[DltHeaders.exceptionStacktrace] = (e?.stack ?? String(error)).slice(0, MAX_STACK);
  const firstTimestamp = headerText(h, RetryHeaders.originalTimestamp) ?? source.timestamp;
  out[RetryHeaders.originalTimestamp] = firstTimestamp;
  return out;
}
