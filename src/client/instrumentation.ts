/**
 * Instrumentation events: the `producer.events` / `admin.events` / `consumer.events` name tables and
 * the emitter behind `on(eventName, listener)`, with KafkaJS's event names and event shape.
 */
import { EventEmitter } from "node:events";
import { KafkaJSError, KafkaJSNonRetriableError } from "./errors.js";
import type { Logger } from "./logger.js";

export const PRODUCER_EVENTS = Object.freeze({
  CONNECT: "producer.connect",
  DISCONNECT: "producer.disconnect",
  REQUEST: "producer.network.request",
  REQUEST_TIMEOUT: "producer.network.request_timeout",
  REQUEST_QUEUE_SIZE: "producer.network.request_queue_size",
} as const);

export const ADMIN_EVENTS = Object.freeze({
  CONNECT: "admin.connect",
  DISCONNECT: "admin.disconnect",
  REQUEST: "admin.network.request",
  REQUEST_TIMEOUT: "admin.network.request_timeout",
  REQUEST_QUEUE_SIZE: "admin.network.request_queue_size",
} as const);

export const CONSUMER_EVENTS = Object.freeze({
  HEARTBEAT: "consumer.heartbeat",
  COMMIT_OFFSETS: "consumer.commit_offsets",
  GROUP_JOIN: "consumer.group_join",
  FETCH: "consumer.fetch",
  FETCH_START: "consumer.fetch_start",
  START_BATCH_PROCESS: "consumer.start_batch_process",
  END_BATCH_PROCESS: "consumer.end_batch_process",
  CONNECT: "consumer.connect",
  DISCONNECT: "consumer.disconnect",
  STOP: "consumer.stop",
  CRASH: "consumer.crash",
  REBALANCING: "consumer.rebalancing",
  RECEIVED_UNSUBSCRIBED_TOPICS: "consumer.received_unsubscribed_topics",
  REQUEST: "consumer.network.request",
  REQUEST_TIMEOUT: "consumer.network.request_timeout",
  REQUEST_QUEUE_SIZE: "consumer.network.request_queue_size",
} as const);

export type ProducerEvents = typeof PRODUCER_EVENTS;
export type AdminEvents = typeof ADMIN_EVENTS;
export type ConsumerEvents = typeof CONSUMER_EVENTS;

/** A table of event names by key, as `producer.events` is. */
export type EventTable = Readonly<Record<string, string>>;

/**
 * What listeners receive. `id` is typed string as in KafkaJS's d.ts (so KafkaJS-typed listeners
 * accept Brook's events) while at run time it is a number, as KafkaJS's is; it counts up across all
 * emitters of the process.
 */
export interface InstrumentationEvent<T> {
  id: string;
  type: string;
  timestamp: number;
  payload: T;
}

// The parameter only documents which event the remover belongs to, as in KafkaJS's d.ts.
// biome-ignore lint/correctness/noUnusedVariables: kept for KafkaJS's generic signature.
export type RemoveInstrumentationEventListener<T> = () => void;

let lastEventId = -1;
function nextEventId(): number {
  lastEventId = lastEventId >= Number.MAX_SAFE_INTEGER ? 0 : lastEventId + 1;
  return lastEventId;
}

function makeEvent<T>(type: string, payload: T): InstrumentationEvent<T> {
  // A number, as KafkaJS emits, under the d.ts's string type (see InstrumentationEvent).
  return { id: nextEventId() as unknown as string, type, timestamp: Date.now(), payload };
}

const ALL_EVENTS: EventTable = { ...PRODUCER_EVENTS, ...ADMIN_EVENTS, ...CONSUMER_EVENTS };
const ALL_EVENT_NAMES = new Set<string>([
  ...Object.values(PRODUCER_EVENTS),
  ...Object.values(ADMIN_EVENTS),
  ...Object.values(CONSUMER_EVENTS),
]);

/**
 * Throws KafkaJS's error for an event name that is not in `events`; `namespace` ("producer", ...)
 * names the table in the message, which lists the valid keys.
 */
export function assertEventName(events: EventTable, namespace: string, eventName: string): void {
  if (Object.values(events).includes(eventName)) return;
  const keys = Object.keys(events)
    .map((key) => `${namespace}.events.${key}`)
    .join(", ");
  throw new KafkaJSNonRetriableError(`Event name should be one of ${keys}`);
}

export class InstrumentationEmitter {
  private readonly emitter = new EventEmitter();

  /**
   * `events`/`namespace` restrict addListener to one client's names (producer, admin, consumer);
   * without them every known event name is accepted.
   */
  constructor(
    private readonly events?: EventTable,
    private readonly namespace?: string,
  ) {
    // A client may have many listeners for one event (dashboards, metrics, tests).
    this.emitter.setMaxListeners(0);
  }

  emit(eventName: string, payload?: unknown): void {
    if (!eventName) throw new KafkaJSError("Invalid event name", { retriable: false });
    // Building the event costs a Date.now() per network request; skip it when nobody listens.
    if (this.emitter.listenerCount(eventName) === 0) return;
    this.emitter.emit(eventName, makeEvent(eventName, payload ?? null));
  }

  /** Subscribes `listener`; the returned function unsubscribes it. */
  addListener<T = unknown>(
    eventName: string,
    listener: (event: InstrumentationEvent<T>) => void,
  ): () => void {
    if (this.events) assertEventName(this.events, this.namespace ?? "client", eventName);
    else if (!ALL_EVENT_NAMES.has(eventName)) assertEventName(ALL_EVENTS, "client", eventName);
    this.emitter.addListener(eventName, listener);
    return () => {
      this.emitter.removeListener(eventName, listener);
    };
  }

  listenerCount(eventName: string): number {
    return this.emitter.listenerCount(eventName);
  }
}

/**
 * The `on(eventName, listener)` of a producer, admin or consumer, as KafkaJS behaves: unknown names
 * throw, and a listener that throws or rejects is logged instead of breaking the client.
 */
export function createOn(
  emitter: InstrumentationEmitter,
  events: EventTable,
  namespace: string,
  logger: Logger,
): (eventName: string, listener: (event: InstrumentationEvent<any>) => unknown) => () => void {
  return (eventName, listener) => {
    assertEventName(events, namespace, eventName);
    const report = (e: unknown) => {
      const error = e instanceof Error ? e : new Error(String(e));
      logger.error(`Failed to execute listener: ${error.message}`, { eventName, stack: error.stack });
    };
    return emitter.addListener(eventName, (event) => {
      // Called synchronously, as KafkaJS does, so a listener sees the event before the emitter moves on.
      try {
        Promise.resolve(listener(event)).catch(report);
      } catch (e) {
        report(e);
      }
    });
  };
}
