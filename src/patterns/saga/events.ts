/**
 * The saga message format shared by the choreography participants and the orchestrator. A saga
 * message is JSON in the value, keyed by the saga id (so one saga's messages stay in order on one
 * partition), with these headers:
 * - `event-id`: unique per message, deterministic for what a handler emits (so a redelivered event
 *   re-emits the same ids and downstream idempotent consumers drop the copies);
 * - `event-type`: what happened or what is asked ("order.created", "payment.charge");
 * - `saga-id`: the correlation id, copied onto everything emitted while handling the message;
 * - any other `saga-*` header (the orchestrator's `saga-name`, `saga-step`, `saga-phase`,
 *   `saga-deadline`) is copied too, so a reply carries back what its command carried.
 */
import type { IHeaders, KafkaMessage } from "../../client/types.js";
import { headerText } from "../retry-topics.js";

export const SagaHeaders = {
  eventId: "event-id",
  eventType: "event-type",
  sagaId: "saga-id",
  sagaName: "saga-name",
  step: "saga-step",
  phase: "saga-phase",
  /** Epoch milliseconds after which the orchestrator no longer waits for the reply. */
  deadline: "saga-deadline",
} as const;

export interface SagaEvent<T = any> {
  /** `event-id`, else the outbox relay's `id` header, else topic/partition/offset. */
  id: string;
  type: string;
  sagaId: string;
  data: T;
  topic: string;
  partition: number;
  message: KafkaMessage;
}

export class SagaError extends Error {
  override name = "SagaError";
}

/** Thrown for a value that is not JSON: never retriable, it goes to the dead-letter topic. */
export class SagaMessageError extends SagaError {
  override name = "SagaMessageError";
}

/**
 * Reads a saga message. The type is the `event-type` header, else the outbox relay's `type`
 * header, else the value's `type` field; the saga id is `saga-id`, else the record key.
 */
export function readSagaEvent(topic: string, partition: number, message: KafkaMessage): SagaEvent {
  let data: any = null;
  if (message.value !== null && message.value.length > 0) {
    try {
      data = JSON.parse(message.value.toString("utf8"));
    } catch (e) {
      throw new SagaMessageError(
        `saga message at ${topic}/${partition}/${message.offset} is not JSON: ${(e as Error).message}`,
      );
    }
  }
  const type =
    headerText(message.headers, SagaHeaders.eventType) ??
    // The outbox relay's header.
    headerText(message.headers, "type") ??
    (data && typeof data === "object" && typeof data.type === "string" ? data.type : "");
  const sagaId =
    headerText(message.headers, SagaHeaders.sagaId) ?? (message.key ? message.key.toString("utf8") : "");
  const id =
    headerText(message.headers, SagaHeaders.eventId) ??
    headerText(message.headers, "id") ??
    `${topic}/${partition}/${message.offset}`;
  return { id, type, sagaId, data, topic, partition, message };
}

/** The `saga-*` headers of a message, as text, to copy onto what is emitted in answer to it. */
export function sagaHeadersOf(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(headers ?? {})) {
    if (!name.startsWith("saga-")) continue;
    const v = headerText(headers, name);
    if (v !== undefined) out[name] = v;
  }
  return out;
}
