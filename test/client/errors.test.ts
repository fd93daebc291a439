/**
 * Brook's error classes against KafkaJS 2.2.4's own: the same set of classes, and for each the same
 * `name`, `retriable` default and prototype chain; protocolError against KafkaJS's
 * createErrorFromCode for every code KafkaJS knows.
 */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import * as brook from "../../src/client/errors.js";
import { ERROR_INFOS } from "../../src/protocol/error-codes.js";

const require = createRequire(import.meta.url);
const kafkajs = require("kafkajs") as Record<string, unknown>;
const kafkajsProtocol = require("kafkajs/src/protocol/error.js") as {
  errorCodes: { type: string; code: number; retriable: boolean }[];
  createErrorFromCode(code: number): { type: string; code: number; retriable: boolean; name: string };
};

type ErrorClass = new (...args: any[]) => Error;

const kafkajsClasses = Object.entries(kafkajs).filter(
  (entry): entry is [string, ErrorClass] =>
    typeof entry[1] === "function" && (entry[1] as ErrorClass).prototype instanceof Error,
);
const brookExports = brook as unknown as Record<string, unknown>;

/** Class names from `cls` up to (not including) Error. */
function chain(cls: Function): string[] {
  const names: string[] = [];
  for (let c = cls; c && c !== Error; c = Object.getPrototypeOf(c)) names.push(c.name);
  return names;
}

/**
 * Arguments that construct each class the way its callers do; the same arguments go to both
 * implementations.
 */
function argsFor(name: string): unknown[] {
  switch (name) {
    case "KafkaJSOffsetOutOfRange":
      return [
        { message: "m", type: "OFFSET_OUT_OF_RANGE", code: 1 },
        { topic: "t", partition: 0 },
      ];
    case "KafkaJSMemberIdRequired":
      return [{ message: "m", type: "MEMBER_ID_REQUIRED", code: 79 }, { memberId: "x" }];
    case "KafkaJSNumberOfRetriesExceeded":
      return [new Error("inner"), { retryCount: 3, retryTime: 100 }];
    case "KafkaJSDeleteTopicRecordsError":
      return [{ partitions: [{ partition: 0, offset: "1", error: { retriable: true } }] }];
    case "KafkaJSAggregateError":
      return ["m", [new Error("a")]];
    case "KafkaJSProtocolError":
    case "KafkaJSCreateTopicError":
    case "KafkaJSAlterPartitionReassignmentsError":
      return [{ message: "m", type: "X", code: 5, retriable: true }, "topic"];
    default:
      return ["m"];
  }
}

describe("error classes", () => {
  it("KafkaJS 2.2.4 exports 31 error classes and Brook has each of them", () => {
    assert.equal(kafkajsClasses.length, 31);
    const missing = kafkajsClasses.map(([n]) => n).filter((n) => typeof brookExports[n] !== "function");
    assert.deepEqual(missing, []);
  });

  for (const [name, theirs] of kafkajsClasses) {
    it(`${name}: same prototype chain, name, retriable and fields`, () => {
      const ours = brookExports[name] as ErrorClass;
      assert.deepEqual(chain(ours), chain(theirs));
      const a = new theirs(...argsFor(name)) as Error & Record<string, unknown>;
      const b = new ours(...argsFor(name)) as Error & Record<string, unknown>;
      assert.equal(b.name, a.name);
      assert.equal(b.message, a.message);
      assert.equal(b.retriable, a.retriable);
      for (const field of [
        "type",
        "code",
        "topic",
        "partition",
        "memberId",
        "retryCount",
        "retryTime",
        "errors",
      ]) {
        assert.deepEqual(b[field], a[field], `${name}.${field}`);
      }
      assert.ok(b instanceof ours);
      assert.ok(b instanceof Error);
    });
  }

  it("constructor metadata lands in the same fields as KafkaJS's", () => {
    const meta = { broker: "h:1", correlationId: 7, createdAt: 1, sentAt: 2, pendingDuration: 3 };
    const a = new (kafkajs.KafkaJSRequestTimeoutError as ErrorClass)("t", meta) as any;
    const b = new brook.KafkaJSRequestTimeoutError("t", meta);
    for (const k of Object.keys(meta)) assert.equal((b as any)[k], a[k]);

    const c1 = new (kafkajs.KafkaJSConnectionClosedError as ErrorClass)("c", { host: "h", port: 9 }) as any;
    const c2 = new brook.KafkaJSConnectionClosedError("c", { host: "h", port: 9 });
    assert.equal(c2.broker, c1.broker);
    assert.equal(c2.retriable, true);

    const d1 = new (kafkajs.KafkaJSServerDoesNotSupportApiKey as ErrorClass)("x", {
      apiKey: 3,
      apiName: "Metadata",
    }) as any;
    const d2 = new brook.KafkaJSServerDoesNotSupportApiKey("x", { apiKey: 3, apiName: "Metadata" });
    assert.deepEqual([d2.apiKey, d2.apiName, d2.retriable], [d1.apiKey, d1.apiName, d1.retriable]);

    // Wrapping an error keeps its message and records it as the cause.
    const inner = new Error("boom");
    const w = new brook.KafkaJSNonRetriableError(inner, { cause: inner });
    assert.equal(w.message, "boom");
    assert.equal(w.cause, inner);
    assert.equal(w.retriable, false);
  });

  it("KafkaJSDeleteTopicRecordsError is retriable only when every failed partition is", () => {
    const ok = { retriable: true } as brook.KafkaJSError;
    const bad = { retriable: false } as brook.KafkaJSError;
    for (const partitions of [
      [{ partition: 0, offset: "1", error: ok }],
      [
        { partition: 0, offset: "1", error: ok },
        { partition: 1, offset: "1", error: bad },
      ],
      [{ partition: 0, offset: "1", error: null }],
    ]) {
      const a = new (kafkajs.KafkaJSDeleteTopicRecordsError as ErrorClass)({ partitions }) as any;
      const b = new brook.KafkaJSDeleteTopicRecordsError({ partitions });
      assert.equal(b.retriable, a.retriable);
    }
  });

  it("isRebalancing and isKafkaJSError agree with KafkaJS", () => {
    const theirs = require("kafkajs/src/errors.js") as { isRebalancing(e: unknown): boolean };
    for (const type of ["REBALANCE_IN_PROGRESS", "NOT_COORDINATOR_FOR_GROUP", "ILLEGAL_GENERATION", "X"]) {
      assert.equal(brook.isRebalancing({ type }), theirs.isRebalancing({ type }), type);
    }
    assert.equal(brook.isKafkaJSError(brook.protocolError(27)), true);
    assert.equal(brook.isKafkaJSError(new Error("x")), false);
  });
});

describe("protocolError", () => {
  it("gives KafkaJS's type, code and retriable for every code KafkaJS knows", () => {
    assert.ok(kafkajsProtocol.errorCodes.length > 80);
    for (const { code } of kafkajsProtocol.errorCodes) {
      const a = kafkajsProtocol.createErrorFromCode(code);
      const b = brook.protocolError(code);
      assert.ok(b instanceof brook.KafkaJSProtocolError);
      assert.deepEqual(
        { name: b.name, type: b.type, code: b.code, retriable: b.retriable },
        { name: a.name, type: a.type, code: a.code, retriable: a.retriable },
        `code ${code}`,
      );
    }
  });

  it("names codes newer than KafkaJS as Kafka does, with Kafka's retriability", () => {
    const known = new Set(kafkajsProtocol.errorCodes.map((e) => e.code));
    const newer = ERROR_INFOS.filter((i) => i.code > 0 && !known.has(i.code));
    assert.ok(newer.length > 10);
    for (const info of newer) {
      const e = brook.protocolError(info.code);
      assert.equal(e.type, info.name);
      assert.equal(e.retriable, info.retriable);
    }
    assert.equal(brook.protocolError(90).type, "PRODUCER_FENCED");
    assert.equal(brook.protocolError(89).retriable, true); // THROTTLING_QUOTA_EXCEEDED
  });

  it("a code outside Kafka's table: KafkaJS's unknown type, not retriable, the code kept", () => {
    const a = kafkajsProtocol.createErrorFromCode(9999);
    const b = brook.protocolError(9999);
    assert.equal(b.type, a.type);
    assert.equal(b.retriable, false);
    assert.equal(b.code, 9999);
    assert.match(b.message, /9999/);
  });

  it("appends the broker's detail to the message", () => {
    const e = brook.protocolError(36, "Topic 'x' already exists.");
    assert.equal(e.type, "TOPIC_ALREADY_EXISTS");
    assert.match(e.message, /Topic 'x' already exists\./);
  });

  it("throwIfError throws for non-zero codes only", () => {
    assert.doesNotThrow(() => brook.throwIfError(0));
    assert.throws(
      () => brook.throwIfError(6),
      (e: unknown) =>
        e instanceof brook.KafkaJSProtocolError && e.type === "NOT_LEADER_FOR_PARTITION" && e.retriable,
    );
  });
});
