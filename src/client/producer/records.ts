/**
 * Validation of send arguments (KafkaJS's errors and messages) and the conversion of KafkaJS
 * messages into record inputs for the batch encoder. Everything that could make an encode fail is
 * checked here, per call, so a bad message fails its own call instead of a merged batch that also
 * carries other calls' records.
 */
import type { RecordInput } from "../../protocol/records/index.js";
import { KafkaJSNonRetriableError } from "../errors.js";
import type { IHeaders, Message } from "../types.js";
import type { ProducerBatch, TopicMessages } from "./types.js";

/** Fixed per-record overhead used by the size estimate (length, attributes, deltas, lengths). */
const RECORD_OVERHEAD = 8;

/** A message converted for the encoder, with a rough size for batching decisions. */
export interface PreparedRecord {
  record: RecordInput;
  size: number;
}

export interface SendSettings {
  acks: number;
  timeout: number;
  compression: number;
}

export const DEFAULT_ACKS = -1;
export const DEFAULT_TIMEOUT = 30000;

/** The checks KafkaJS's sendBatch makes before anything else, with its error messages. */
export function validateBatch(batch: ProducerBatch, idempotent: boolean): TopicMessages[] {
  const topicMessages = batch.topicMessages ?? [];
  if (!Array.isArray(topicMessages)) throw new KafkaJSNonRetriableError("Invalid topicMessages");
  if (topicMessages.some((tm) => !tm?.topic)) throw new KafkaJSNonRetriableError("Invalid topic");
  const acks = batch.acks ?? DEFAULT_ACKS;
  if (idempotent && acks !== -1) {
    throw new KafkaJSNonRetriableError(
      "Not requiring ack for all messages invalidates the idempotent producer's EoS guarantees",
    );
  }
  for (const { topic, messages } of topicMessages) {
    // KafkaJS only rejects a missing array (a non-array then fails with a TypeError); both get this.
    if (!messages || !Array.isArray(messages)) {
      throw new KafkaJSNonRetriableError(`Invalid messages array [${String(messages)}] for topic "${topic}"`);
    }
    for (const message of messages) {
      if (message === null || typeof message !== "object" || message.value === undefined) {
        throw new KafkaJSNonRetriableError(
          `Invalid message without value for topic "${topic}": ${JSON.stringify(message)}`,
        );
      }
    }
  }
  return topicMessages;
}

/** Settings of one call with KafkaJS's defaults; the compression id is checked here, not at encode. */
export function settingsOf(batch: ProducerBatch): SendSettings {
  const compression = batch.compression ?? 0;
  if (!Number.isInteger(compression) || compression < 0 || compression > 4) {
    throw new KafkaJSNonRetriableError(`Unknown compression codec ${String(compression)}`);
  }
  const timeout = batch.timeout ?? DEFAULT_TIMEOUT;
  return { acks: batch.acks ?? DEFAULT_ACKS, timeout, compression };
}

/** KafkaJS merges entries of the same topic, keeping the order of first appearance. */
export function mergeTopics(topicMessages: TopicMessages[]): TopicMessages[] {
  if (topicMessages.length < 2) return topicMessages;
  const byTopic = new Map<string, Message[]>();
  for (const { topic, messages } of topicMessages) {
    const known = byTopic.get(topic);
    if (known) byTopic.set(topic, known.concat(messages));
    else byTopic.set(topic, messages);
  }
  return Array.from(byTopic, ([topic, messages]) => ({ topic, messages }));
}

type Bytes = Buffer | string | null;

/** Keys, values and header values: buffers and strings as they are; other values as their string (as KafkaJS writes them). */
function bytesOf(v: unknown): Bytes {
  if (v === null || v === undefined) return null;
  if (typeof v === "string" || Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return String(v);
}

function sizeOf(b: Bytes): number {
  return b === null ? 0 : b.length;
}

/** Headers in the shape the encoder takes; copied only when a value needs converting. */
function headersOf(headers: IHeaders): { headers: RecordInput["headers"]; size: number } {
  let size = 0;
  let clean = true;
  for (const key in headers) {
    if (!Object.hasOwn(headers, key)) continue;
    const v = headers[key];
    size += key.length + 2;
    if (Array.isArray(v)) {
      for (const one of v) {
        if (typeof one === "string" || Buffer.isBuffer(one)) size += one.length + 2;
        else clean = false;
      }
    } else if (typeof v === "string" || Buffer.isBuffer(v)) size += v.length;
    else if (v !== undefined) clean = false;
  }
  if (clean) return { headers, size };
  const out: Array<{ key: string; value: Bytes }> = [];
  for (const key in headers) {
    if (!Object.hasOwn(headers, key)) continue;
    const v: unknown = headers[key];
    if (Array.isArray(v)) for (const one of v) out.push({ key, value: bytesOf(one) });
    else out.push({ key, value: bytesOf(v) });
  }
  return { headers: out, size };
}

/** Milliseconds of a KafkaJS timestamp (a string of ms; numbers and Dates are accepted too). */
function timestampOf(message: Message, topic: string, now: number): number {
  const ts: unknown = message.timestamp;
  // As KafkaJS: an empty or zero timestamp means "now".
  if (!ts) return now;
  const ms = Number(ts);
  if (!Number.isSafeInteger(ms)) {
    throw new KafkaJSNonRetriableError(`Invalid timestamp ${JSON.stringify(ts)} for topic "${topic}"`);
  }
  return ms;
}

export function prepareRecord(message: Message, topic: string, now: number): PreparedRecord {
  const key = bytesOf(message.key);
  const value = bytesOf(message.value);
  const record: RecordInput = { key, value, timestamp: timestampOf(message, topic, now) };
  let size = RECORD_OVERHEAD + sizeOf(key) + sizeOf(value);
  if (message.headers) {
    const h = headersOf(message.headers);
    record.headers = h.headers;
    size += h.size;
  }
  return { record, size };
}
