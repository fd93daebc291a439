/**
 * Instrumentation against KafkaJS 2.2.4: the event tables equal the `events` of real KafkaJS
 * producer, admin and consumer objects; events have KafkaJS's shape; `on` rejects unknown names with
 * KafkaJS's error and message, returns a remover, and survives failing listeners.
 */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import { KafkaJSError, KafkaJSNonRetriableError } from "../../src/client/errors.js";
import {
  ADMIN_EVENTS,
  CONSUMER_EVENTS,
  createOn,
  type InstrumentationEvent,
  InstrumentationEmitter,
  PRODUCER_EVENTS,
} from "../../src/client/instrumentation.js";
import { createLogger, type LogEntry } from "../../src/client/logger.js";

const require = createRequire(import.meta.url);
const { Kafka } = require("kafkajs");
const KafkaJSEmitter = require("kafkajs/src/instrumentation/emitter.js");

// Creating KafkaJS clients opens no connection; nothing here talks to a broker.
const kafka = new Kafka({ brokers: ["127.0.0.1:1"], logLevel: 0 });
const theirProducer = kafka.producer({ createPartitioner: () => () => 0 });
const theirAdmin = kafka.admin();
const theirConsumer = kafka.consumer({ groupId: "g" });

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a throw");
}

describe("event tables", () => {
  it("equal KafkaJS's producer.events, admin.events and consumer.events", () => {
    assert.deepEqual({ ...PRODUCER_EVENTS }, { ...theirProducer.events });
    assert.deepEqual({ ...ADMIN_EVENTS }, { ...theirAdmin.events });
    assert.deepEqual({ ...CONSUMER_EVENTS }, { ...theirConsumer.events });
  });
});

describe("InstrumentationEmitter", () => {
  it("delivers events of KafkaJS's shape", () => {
    const payload = { broker: "h:1", clientId: "c", queueSize: 3 };
    const capture = (emitter: { addListener: Function; emit: Function }) => {
      const events: InstrumentationEvent<unknown>[] = [];
      emitter.addListener(PRODUCER_EVENTS.REQUEST_QUEUE_SIZE, (e: InstrumentationEvent<unknown>) =>
        events.push(e),
      );
      const before = Date.now();
      emitter.emit(PRODUCER_EVENTS.REQUEST_QUEUE_SIZE, payload);
      emitter.emit(PRODUCER_EVENTS.REQUEST_QUEUE_SIZE, payload);
      for (const e of events) assert.ok(e.timestamp >= before && e.timestamp <= Date.now());
      return events;
    };
    const ours = capture(new InstrumentationEmitter());
    const theirs = capture(new KafkaJSEmitter());
    assert.equal(ours.length, 2);
    const shape = (e: InstrumentationEvent<unknown>) => ({
      keys: Object.keys(e).sort(),
      idType: typeof e.id,
      type: e.type,
      payload: e.payload,
    });
    assert.deepEqual(ours.map(shape), theirs.map(shape));
    assert.equal(ours[1]!.id, ours[0]!.id + 1);
  });

  it("the remover unsubscribes", () => {
    const emitter = new InstrumentationEmitter(PRODUCER_EVENTS, "producer");
    let n = 0;
    const remove = emitter.addListener(PRODUCER_EVENTS.CONNECT, () => n++);
    emitter.emit(PRODUCER_EVENTS.CONNECT);
    remove();
    emitter.emit(PRODUCER_EVENTS.CONNECT);
    assert.equal(n, 1);
    assert.equal(emitter.listenerCount(PRODUCER_EVENTS.CONNECT), 0);
  });

  it("rejects an empty event name on emit, as KafkaJS does", () => {
    const ours = catchError(() => new InstrumentationEmitter().emit(""));
    const theirs = catchError(() => new KafkaJSEmitter().emit(""));
    assert.ok(ours instanceof KafkaJSError);
    assert.equal(ours.message, theirs.message);
    assert.equal((ours as KafkaJSError).retriable, false);
  });

  it("rejects unknown event names with KafkaJS's error and message", () => {
    for (const [table, namespace, theirs] of [
      [PRODUCER_EVENTS, "producer", theirProducer],
      [ADMIN_EVENTS, "admin", theirAdmin],
      [CONSUMER_EVENTS, "consumer", theirConsumer],
    ] as const) {
      const expected = catchError(() => theirs.on("producer.bogus", () => {}));
      const viaEmitter = catchError(() =>
        new InstrumentationEmitter(table, namespace).addListener("bogus", () => {}),
      );
      const on = createOn(new InstrumentationEmitter(), table, namespace, createLogger({ level: 0 }));
      const viaOn = catchError(() => on("bogus", () => {}));
      for (const e of [viaEmitter, viaOn]) {
        assert.ok(e instanceof KafkaJSNonRetriableError);
        assert.equal(e.name, expected.name);
        assert.equal(e.message, expected.message);
      }
    }
    // Without a table, any known name is accepted and anything else refused.
    const any = new InstrumentationEmitter();
    assert.doesNotThrow(() => any.addListener(CONSUMER_EVENTS.CRASH, () => {}));
    assert.throws(() => any.addListener("nope", () => {}), KafkaJSNonRetriableError);
  });
});

describe("createOn", () => {
  it("calls listeners synchronously and logs listeners that throw or reject", async () => {
    const logged: LogEntry[] = [];
    const logger = createLogger({ level: 5, logCreator: () => (e) => logged.push(e) });
    const emitter = new InstrumentationEmitter();
    const on = createOn(emitter, PRODUCER_EVENTS, "producer", logger);
    const seen: string[] = [];
    on(PRODUCER_EVENTS.CONNECT, (e) => {
      seen.push(e.type);
    });
    on(PRODUCER_EVENTS.CONNECT, () => {
      throw new Error("sync failure");
    });
    on(PRODUCER_EVENTS.CONNECT, async () => {
      throw new Error("async failure");
    });
    emitter.emit(PRODUCER_EVENTS.CONNECT);
    assert.deepEqual(seen, ["producer.connect"]);
    await new Promise((r) => setImmediate(r));
    const messages = logged.map((e) => e.log.message).sort();
    assert.deepEqual(messages, [
      "Failed to execute listener: async failure",
      "Failed to execute listener: sync failure",
    ]);
    assert.equal(logged[0]!.log.eventName, "producer.connect");
  });
});
