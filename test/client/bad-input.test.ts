/**
 * Bad input to Brook's client: invalid configs and arguments, and peers that are not working Kafka
 * brokers. Every case must reject (never resolve, never hang: each one is bounded) with one of
 * KafkaJS's error classes and a message that says what was wrong, and must not leave an unhandled
 * rejection behind (a trap counts them around each case).
 *
 * Each case runs with KafkaJS 2.2.4 as well, under the same expectation, so the expected class and
 * retriability are KafkaJS's own. Where KafkaJS 2.2.4 itself falls short (a TypeError for a
 * non-array `brokers`, `connect()` resolving against a peer that never answers, a RangeError on a
 * truncated response), its run is marked `todo` with what it does instead, and only Brook's client
 * is held to the expectation. BROOK_TEST_CLIENTS=brook runs Brook's side alone.
 *
 * Peers: a real Brook broker; plain TCP servers that close every connection at once, send garbage,
 * or never answer; and a proxy in front of the broker that misbehaves on one API (so `connect()`
 * succeeds and `send()` / `listTopics()` meet the fault), which also plays a SASL server (Kafka's
 * SaslHandshake and SaslAuthenticate, PLAIN only) since Brook's broker has no SASL listener.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { ErrorCode } from "../../src/protocol/error-codes.js";
import { decodeRequest, decodeResponse, encodeResponse } from "../../src/protocol/frame.js";
import { ApiVersions } from "../../src/protocol/messages/api-versions.js";
import { apiByKey } from "../../src/protocol/messages/index.js";
import { SaslAuthenticate } from "../../src/protocol/messages/sasl-authenticate.js";
import { SaslHandshake } from "../../src/protocol/messages/sasl-handshake.js";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import { CLIENTS, type ClientModule, kafkajs } from "../support/clients.js";
import { listen, type Peer, splitFrames } from "../support/tcp-peer.js";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

/** Longest a case may take: small retry and timeout settings keep every honest answer well below. */
const CASE_BOUND_MS = 15_000;
const FAST = {
  retry: { retries: 1, initialRetryTime: 50, maxRetryTime: 300 },
  connectionTimeout: 500,
  requestTimeout: 500,
};

// ------------------------------------------------------------------ unhandled rejection trap

const unhandled: unknown[] = [];
const trap = (reason: unknown) => void unhandled.push(reason);

/** Runs `fn` bounded in time; reports its rejection (or that it resolved) and any unhandled rejection. */
async function outcome(fn: () => Promise<unknown>): Promise<{ error?: unknown; resolved?: unknown }> {
  const before = unhandled.length;
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hung: no answer within ${CASE_BOUND_MS} ms`)), CASE_BOUND_MS);
  });
  let result: { error?: unknown; resolved?: unknown };
  try {
    result = { resolved: await Promise.race([fn(), bound]) };
  } catch (error) {
    if (error instanceof Error && error.message.startsWith("hung:")) throw error;
    result = { error };
  } finally {
    clearTimeout(timer);
  }
  // Rejections left unhandled surface after the microtask queue drains.
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(unhandled.slice(before).map(String), [], "unhandled rejections");
  return result;
}

function describeError(e: unknown): string {
  const parts: string[] = [];
  for (
    let x = e as { name?: string; message?: string; cause?: unknown } | undefined;
    x;
    x = x.cause as never
  ) {
    parts.push(`${x.name}: ${x.message}`);
  }
  return parts.join(" <- ");
}

async function rejection(fn: () => Promise<unknown>): Promise<Error & Record<string, any>> {
  const r = await outcome(fn);
  if (!("error" in r))
    assert.fail(`resolved (${JSON.stringify(r.resolved)?.slice(0, 200)}) instead of rejecting`);
  return r.error as Error & Record<string, any>;
}

// ------------------------------------------------------------------ peers

/** Bytes no Kafka response starts with: an HTTP answer (its first 4 bytes read as a ~1.2 GB frame). */
const GARBAGE = Buffer.from("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");

type Fault = "close" | "silent" | "garbage" | "truncated";

/**
 * A proxy in front of the broker. `fault(apiKey, f)` makes every later request of that API meet
 * `f`: the connection closed, no answer, garbage bytes, or a response with the right correlation id
 * and a body cut short. With `sasl`, it adds SaslHandshake v0-1 and SaslAuthenticate v0-2 to the
 * broker's ApiVersions answer and answers them itself as a Kafka broker with only PLAIN enabled
 * would (UNSUPPORTED_SASL_MECHANISM with the enabled list, SASL_AUTHENTICATION_FAILED).
 */
class FaultyProxy {
  private readonly faults = new Map<number, Fault>();
  private constructor(private readonly peer: Peer) {}

  get address(): string {
    return this.peer.address;
  }

  static async start(target: number, sasl?: { username: string; password: string }): Promise<FaultyProxy> {
    let proxy: FaultyProxy | undefined;
    const peer = await listen((client) => proxy!.pipe(client, target, sasl));
    proxy = new FaultyProxy(peer);
    return proxy;
  }

  fault(apiKey: number, f: Fault | null): void {
    if (f) this.faults.set(apiKey, f);
    else this.faults.delete(apiKey);
  }

  /** A socketFactory that sends every connection here (Metadata names the broker's own port). */
  socketFactory = ({ onConnect }: { onConnect: () => void }): net.Socket =>
    net.connect(this.peer.port, "127.0.0.1", onConnect);

  close(): Promise<void> {
    return this.peer.stop();
  }

  private pipe(client: net.Socket, target: number, sasl?: { username: string; password: string }): void {
    const upstream = net.connect(target, "127.0.0.1");
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    const apiVersionsRequests = new Map<number, number>(); // correlation id -> version
    client.on(
      "data",
      splitFrames((frame) => {
        const apiKey = frame.readInt16BE(4);
        const apiVersion = frame.readInt16BE(6);
        const correlationId = frame.readInt32BE(8);
        const fault = this.faults.get(apiKey);
        if (fault === "close") return void client.destroy();
        if (fault === "silent") return;
        if (fault === "garbage") return void client.write(GARBAGE);
        if (fault === "truncated") {
          const cut = Buffer.alloc(10);
          cut.writeInt32BE(6, 0);
          cut.writeInt32BE(correlationId, 4);
          cut.writeInt16BE(0, 8); // an error code of 0, then nothing of the rest of the body
          return void client.write(cut);
        }
        if (sasl && apiKey === SaslHandshake.key) {
          const { body } = decodeRequest(frame.subarray(4), apiByKey);
          const enabled = (body.mechanism as string).toUpperCase() === "PLAIN";
          const errorCode = enabled ? ErrorCode.NONE : ErrorCode.UNSUPPORTED_SASL_MECHANISM;
          return void client.write(
            encodeResponse(SaslHandshake, apiVersion, correlationId, { errorCode, mechanisms: ["PLAIN"] }),
          );
        }
        if (sasl && apiKey === SaslAuthenticate.key) {
          const { body } = decodeRequest(frame.subarray(4), apiByKey);
          const [, username, password] = (body.authBytes as Buffer).toString("utf8").split("\0");
          const ok = username === sasl.username && password === sasl.password;
          return void client.write(
            encodeResponse(SaslAuthenticate, apiVersion, correlationId, {
              errorCode: ok ? ErrorCode.NONE : ErrorCode.SASL_AUTHENTICATION_FAILED,
              errorMessage: ok ? null : "Authentication failed: Invalid username or password",
              authBytes: Buffer.alloc(0),
              sessionLifetimeMs: 0n,
            }),
          );
        }
        if (sasl && apiKey === ApiVersions.key) apiVersionsRequests.set(correlationId, apiVersion);
        upstream.write(frame);
      }),
    );
    upstream.on(
      "data",
      splitFrames((frame) => {
        const correlationId = frame.readInt32BE(4);
        const version = apiVersionsRequests.get(correlationId);
        if (version === undefined) return void client.write(frame);
        apiVersionsRequests.delete(correlationId);
        const { body } = decodeResponse(ApiVersions, version, frame.subarray(4));
        if (body.errorCode !== ErrorCode.NONE) return void client.write(frame);
        body.apiKeys.push(
          { apiKey: SaslHandshake.key, minVersion: 0, maxVersion: 1 },
          { apiKey: SaslAuthenticate.key, minVersion: 0, maxVersion: 2 },
        );
        client.write(encodeResponse(ApiVersions, version, correlationId, body));
      }),
    );
  }
}

// ------------------------------------------------------------------ expectations

type ErrorClassName = {
  [K in keyof ClientModule]: ClientModule[K] extends abstract new (...args: any[]) => Error ? K : never;
}[keyof ClientModule];

interface Expected {
  /** The class KafkaJS throws: `name` must equal it and the error must be an instance of it. */
  error: ErrorClassName;
  retriable: boolean;
  /** The message must say what was wrong. */
  message: RegExp;
  /** Kafka's error name, for protocol errors (on the error or on its cause). */
  type?: string;
}

function assertExpected(m: ClientModule, e: Error & Record<string, any>, x: Expected): void {
  const seen = describeError(e);
  assert.equal(e.name, x.error, seen);
  assert.ok(e instanceof m[x.error], `instanceof ${x.error}: ${seen}`);
  assert.ok(e instanceof m.KafkaJSError, `instanceof KafkaJSError: ${seen}`);
  assert.equal(e.retriable, x.retriable, `retriable: ${seen}`);
  assert.match(e.message, x.message);
  const { type, cause } = e as { type?: string; cause?: { type?: string } };
  if (x.type) assert.equal(type ?? cause?.type, x.type, seen);
}

/**
 * What a client must do when its peer closes, garbles or ignores a request: a retriable connection
 * error or request timeout, or retries exhausted on one.
 */
function assertConnectivityFailure(m: ClientModule, e: Error & Record<string, any>): void {
  const seen = describeError(e);
  const retriableFailure = (x: unknown) =>
    (x instanceof m.KafkaJSConnectionError || x instanceof m.KafkaJSRequestTimeoutError) &&
    (x as { retriable: boolean }).retriable === true;
  assert.ok(
    retriableFailure(e) || (e instanceof m.KafkaJSNumberOfRetriesExceeded && retriableFailure(e.cause)),
    `a retriable KafkaJSConnectionError / KafkaJSRequestTimeoutError, or KafkaJSNumberOfRetriesExceeded on one; got ${seen}`,
  );
}

/** Runs one case per client: KafkaJS's run is a todo when KafkaJS 2.2.4 is known to fall short. */
function eachClient(
  name: string,
  kafkajsFallsShort: string | undefined,
  fn: (m: ClientModule) => Promise<void>,
): void {
  for (const c of CLIENTS) {
    const todo = c.name === "KafkaJS" && kafkajsFallsShort ? `KafkaJS 2.2.4: ${kafkajsFallsShort}` : false;
    it(`${name} (${c.name})`, { todo, timeout: CASE_BOUND_MS + 5_000 }, () => fn(c.module));
  }
}

// ------------------------------------------------------------------ the cases

describe("bad input to the client", () => {
  let tb: TestBroker;
  before(async () => {
    process.on("unhandledRejection", trap);
    tb = await startTestBroker();
    await tb.broker.createTopic("t", 1, 1, {});
  });
  after(async () => {
    process.off("unhandledRejection", trap);
    await tb.close();
  });

  const kafkaOf = (m: ClientModule, extra: Record<string, unknown> = {}) =>
    new m.Kafka({ brokers: [tb.bootstrap], logLevel: m.logLevel.NOTHING, ...FAST, ...extra });

  describe("client configuration", () => {
    const configCases: Array<{
      name: string;
      config: () => Record<string, unknown>;
      expected: Expected;
      kafkajs?: string;
    }> = [
      {
        name: "no brokers",
        config: () => ({}),
        expected: { error: "KafkaJSNonRetriableError", retriable: false, message: /brokers/ },
      },
      {
        name: "an empty brokers array",
        config: () => ({ brokers: [] }),
        expected: { error: "KafkaJSNonRetriableError", retriable: false, message: /brokers/ },
      },
      {
        name: "a brokers function that returns no broker",
        config: () => ({ brokers: () => [] }),
        expected: { error: "KafkaJSNonRetriableError", retriable: false, message: /brokers/ },
      },
      {
        name: "brokers given as a string, not an array",
        config: () => ({ brokers: tb.bootstrap }),
        expected: { error: "KafkaJSNonRetriableError", retriable: false, message: /brokers/ },
        kafkajs:
          "takes each character of the string for a host and fails after its retries on a NaN port (KafkaJSNumberOfRetriesExceeded)",
      },
      {
        name: "brokers given as a number",
        config: () => ({ brokers: 9092 }),
        expected: { error: "KafkaJSNonRetriableError", retriable: false, message: /brokers/ },
        kafkajs: "throws a TypeError (reading 'split' of undefined)",
      },
    ];
    for (const x of configCases) {
      eachClient(`${x.name}: producer.connect() rejects`, x.kafkajs, async (m) => {
        const e = await rejection(async () => {
          const kafka = new m.Kafka({ logLevel: m.logLevel.NOTHING, ...FAST, ...x.config() } as never);
          await kafka.producer().connect();
        });
        assertExpected(m, e, x.expected);
      });
    }

    eachClient("an idempotent producer without retries is refused", undefined, async (m) => {
      const e = await rejection(async () => kafkaOf(m).producer({ idempotent: true, retry: { retries: 0 } }));
      assertExpected(m, e, { error: "KafkaJSNonRetriableError", retriable: false, message: /retr/i });
    });

    eachClient("transaction() on a producer without a transactionalId", undefined, async (m) => {
      const e = await rejection(async () => kafkaOf(m).producer().transaction());
      assertExpected(m, e, {
        error: "KafkaJSNonRetriableError",
        retriable: false,
        message: /transactional/i,
      });
    });

    eachClient("send() before connect()", undefined, async (m) => {
      const e = await rejection(() =>
        kafkaOf(m)
          .producer()
          .send({ topic: "t", messages: [{ value: "x" }] }),
      );
      assertExpected(m, e, { error: "KafkaJSError", retriable: true, message: /disconnected/ });
    });
  });

  describe("SASL against a server that enables PLAIN only", () => {
    let proxy: FaultyProxy;
    before(async () => {
      proxy = await FaultyProxy.start(tb.port, { username: "alice", password: "alice-secret" });
    });
    after(() => proxy.close());
    const saslKafka = (m: ClientModule, sasl: unknown) =>
      kafkaOf(m, { brokers: [proxy.address], socketFactory: proxy.socketFactory, sasl });

    eachClient("the right PLAIN credentials connect (the fake SASL server works)", undefined, async (m) => {
      const producer = saslKafka(m, {
        mechanism: "plain",
        username: "alice",
        password: "alice-secret",
      }).producer();
      const r = await outcome(async () => {
        await producer.connect();
        return producer.send({ topic: "t", messages: [{ value: "over sasl" }] });
      });
      await producer.disconnect();
      assert.equal(r.error, undefined, describeError(r.error));
    });

    eachClient("a mechanism the server does not enable", undefined, async (m) => {
      const e = await rejection(() =>
        saslKafka(m, { mechanism: "scram-sha-256", username: "alice", password: "alice-secret" })
          .producer()
          .connect(),
      );
      assertExpected(m, e, {
        error: "KafkaJSProtocolError",
        retriable: false,
        message: /SASL|mechanism/i,
        type: "UNSUPPORTED_SASL_MECHANISM",
      });
    });

    eachClient("wrong PLAIN credentials", undefined, async (m) => {
      const e = await rejection(() =>
        saslKafka(m, { mechanism: "plain", username: "alice", password: "wrong" }).producer().connect(),
      );
      assertExpected(m, e, {
        error: "KafkaJSSASLAuthenticationError",
        retriable: false,
        message: /SASL|authentication/i,
      });
    });
  });

  describe("producer.send() arguments", () => {
    const sendCases: Array<{
      name: string;
      send: (p: any) => Promise<unknown>;
      expected: Expected;
      kafkajs?: string;
    }> = [
      {
        name: "send({})",
        send: (p) => p.send({}),
        expected: { error: "KafkaJSNonRetriableError", retriable: false, message: /topic/i },
      },
      {
        name: "send() with a topic and no messages",
        send: (p) => p.send({ topic: "t" }),
        expected: { error: "KafkaJSNonRetriableError", retriable: false, message: /messages/ },
      },
      {
        name: "send() with messages that are not an array",
        send: (p) => p.send({ topic: "t", messages: "hello" }),
        expected: { error: "KafkaJSNonRetriableError", retriable: false, message: /messages/ },
        kafkajs: "throws a TypeError (messages.find is not a function)",
      },
      {
        name: "a message without a value",
        send: (p) => p.send({ topic: "t", messages: [{ key: "k" }] }),
        expected: { error: "KafkaJSNonRetriableError", retriable: false, message: /value/ },
      },
      {
        name: "a null message",
        send: (p) => p.send({ topic: "t", messages: [null] }),
        expected: { error: "KafkaJSNonRetriableError", retriable: false, message: /message/i },
        kafkajs: "throws a TypeError (reading 'value' of null)",
      },
      {
        name: "sendBatch() with a topic and no messages",
        send: (p) => p.sendBatch({ topicMessages: [{ topic: "t" }] }),
        expected: { error: "KafkaJSNonRetriableError", retriable: false, message: /messages/ },
      },
      {
        name: "an unknown compression codec",
        send: (p) => p.send({ topic: "t", compression: 9, messages: [{ value: "x" }] }),
        expected: { error: "KafkaJSNonRetriableError", retriable: false, message: /compression|codec/i },
        kafkajs: "throws a TypeError (reading 'compress' of null)",
      },
      {
        name: "acks: 2 (the broker refuses it)",
        send: (p) => p.send({ topic: "t", acks: 2, messages: [{ value: "x" }] }),
        expected: {
          error: "KafkaJSProtocolError",
          retriable: false,
          message: /acks/i,
          type: "INVALID_REQUIRED_ACKS",
        },
      },
      {
        name: "an invalid topic name (the broker refuses it)",
        send: (p) => p.send({ topic: "bad topic!", messages: [{ value: "x" }] }),
        expected: {
          error: "KafkaJSNonRetriableError",
          retriable: false,
          message: /topic/i,
          type: "INVALID_TOPIC_EXCEPTION",
        },
      },
    ];
    for (const x of sendCases) {
      eachClient(x.name, x.kafkajs, async (m) => {
        const producer = kafkaOf(m).producer();
        await producer.connect();
        try {
          assertExpected(m, await rejection(() => x.send(producer)), x.expected);
        } finally {
          await producer.disconnect();
        }
      });
    }
  });

  describe("admin arguments", () => {
    const nonRetriable = (message: RegExp): Expected => ({
      error: "KafkaJSNonRetriableError",
      retriable: false,
      message,
    });
    const adminCases: Array<{ name: string; call: (a: any) => Promise<unknown>; expected: Expected }> = [
      { name: "createTopics({})", call: (a) => a.createTopics({}), expected: nonRetriable(/topics/) },
      {
        name: "createTopics() with a topic without a name",
        call: (a) => a.createTopics({ topics: [{ numPartitions: 1 }] }),
        expected: nonRetriable(/topic/),
      },
      {
        name: "createTopics() with the same topic twice",
        call: (a) => a.createTopics({ topics: [{ topic: "twice" }, { topic: "twice" }] }),
        expected: nonRetriable(/same topic|duplicate|more than once|multiple/i),
      },
      { name: "deleteTopics({})", call: (a) => a.deleteTopics({}), expected: nonRetriable(/topics/) },
      {
        name: "createPartitions({})",
        call: (a) => a.createPartitions({}),
        expected: nonRetriable(/partitions/i),
      },
      { name: "fetchTopicOffsets()", call: (a) => a.fetchTopicOffsets(), expected: nonRetriable(/topic/) },
      { name: "fetchOffsets({})", call: (a) => a.fetchOffsets({}), expected: nonRetriable(/groupId/) },
      { name: "setOffsets({})", call: (a) => a.setOffsets({}), expected: nonRetriable(/groupId/) },
      {
        name: "describeConfigs({})",
        call: (a) => a.describeConfigs({}),
        expected: nonRetriable(/resources/),
      },
      { name: "alterConfigs({})", call: (a) => a.alterConfigs({}), expected: nonRetriable(/resources/) },
      { name: "deleteGroups()", call: (a) => a.deleteGroups(), expected: nonRetriable(/groupIds/) },
      {
        name: "deleteTopicRecords({})",
        call: (a) => a.deleteTopicRecords({}),
        expected: nonRetriable(/topic/),
      },
      {
        name: "fetchTopicOffsets() of a topic that does not exist",
        call: (a) => a.fetchTopicOffsets("no-such-topic"),
        expected: {
          error: "KafkaJSNumberOfRetriesExceeded",
          retriable: false,
          message: /topic/i,
          type: "UNKNOWN_TOPIC_OR_PARTITION",
        },
      },
      {
        name: "deleteTopics() of a topic that does not exist",
        call: (a) => a.deleteTopics({ topics: ["no-such-topic"] }),
        expected: {
          error: "KafkaJSNumberOfRetriesExceeded",
          retriable: false,
          message: /topic/i,
          type: "UNKNOWN_TOPIC_OR_PARTITION",
        },
      },
    ];
    for (const x of adminCases) {
      eachClient(x.name, undefined, async (m) => {
        const admin = kafkaOf(m).admin();
        await admin.connect();
        try {
          assertExpected(m, await rejection(() => x.call(admin)), x.expected);
        } finally {
          await admin.disconnect();
        }
      });
    }
  });

  describe("peers that are not working brokers", () => {
    const servers: Peer[] = [];
    const peers: Record<"close" | "garbage" | "silent", string> = { close: "", garbage: "", silent: "" };
    let proxy: FaultyProxy;
    before(async () => {
      const closing = await listen((s) => s.destroy());
      const garbage = await listen((s) => {
        s.write(GARBAGE);
        s.on("data", () => s.write(GARBAGE));
      });
      const silent = await listen(() => {});
      servers.push(closing, garbage, silent);
      peers.close = closing.address;
      peers.garbage = garbage.address;
      peers.silent = silent.address;
      proxy = await FaultyProxy.start(tb.port);
    });
    after(async () => {
      await Promise.all(servers.map((s) => s.stop()));
      await proxy.close();
    });

    const KAFKAJS_CONNECT_RESOLVES =
      "connect() resolves although ApiVersions was never answered (the request timeout is swallowed)";
    for (const [peer, kafkajs] of [
      ["close", undefined],
      ["garbage", KAFKAJS_CONNECT_RESOLVES],
      ["silent", KAFKAJS_CONNECT_RESOLVES],
    ] as const) {
      eachClient(
        `a peer that ${peer === "close" ? "closes every connection" : peer === "garbage" ? "sends garbage" : "never answers"}: producer.connect()`,
        kafkajs,
        async (m) => {
          const kafka = kafkaOf(m, { brokers: [peers[peer]] });
          assertConnectivityFailure(m, await rejection(() => kafka.producer().connect()));
        },
      );
      eachClient(
        `a peer that ${peer === "close" ? "closes every connection" : peer === "garbage" ? "sends garbage" : "never answers"}: admin.connect()`,
        kafkajs,
        async (m) => {
          const kafka = kafkaOf(m, { brokers: [peers[peer]] });
          assertConnectivityFailure(m, await rejection(() => kafka.admin().connect()));
        },
      );
    }

    const PRODUCE = 0;
    const METADATA = 3;
    for (const fault of ["close", "silent", "garbage"] as const) {
      eachClient(`Produce meets "${fault}" after connect(): send() rejects`, undefined, async (m) => {
        const producer = kafkaOf(m, {
          brokers: [proxy.address],
          socketFactory: proxy.socketFactory,
        }).producer();
        await producer.connect();
        proxy.fault(PRODUCE, fault);
        try {
          const e = await rejection(() => producer.send({ topic: "t", messages: [{ value: "lost" }] }));
          assertConnectivityFailure(m, e);
        } finally {
          proxy.fault(PRODUCE, null);
          await producer.disconnect();
        }
      });
      eachClient(
        `Metadata meets "${fault}" after connect(): admin.listTopics() rejects`,
        undefined,
        async (m) => {
          const admin = kafkaOf(m, { brokers: [proxy.address], socketFactory: proxy.socketFactory }).admin();
          await admin.connect();
          proxy.fault(METADATA, fault);
          try {
            assertConnectivityFailure(m, await rejection(() => admin.listTopics()));
          } finally {
            proxy.fault(METADATA, null);
            await admin.disconnect();
          }
        },
      );
    }

    // A response with the right correlation id whose body stops short: there is no class KafkaJS
    // documents for it, so any KafkaJS error (not a RangeError from a buffer read) will do.
    const KAFKAJS_RANGE_ERROR = "a RangeError from its decoder reaches the caller";
    eachClient(
      "a truncated Produce response: send() rejects with a KafkaJS error",
      KAFKAJS_RANGE_ERROR,
      async (m) => {
        const producer = kafkaOf(m, {
          brokers: [proxy.address],
          socketFactory: proxy.socketFactory,
        }).producer();
        await producer.connect();
        proxy.fault(PRODUCE, "truncated");
        try {
          const e = await rejection(() => producer.send({ topic: "t", messages: [{ value: "cut" }] }));
          assert.ok(e instanceof m.KafkaJSError, describeError(e));
        } finally {
          proxy.fault(PRODUCE, null);
          await producer.disconnect();
        }
      },
    );
    eachClient(
      "a truncated ApiVersions response: connect() rejects with a KafkaJS error",
      KAFKAJS_RANGE_ERROR,
      async (m) => {
        proxy.fault(18, "truncated");
        try {
          const kafka = kafkaOf(m, { brokers: [proxy.address], socketFactory: proxy.socketFactory });
          const e = await rejection(() => kafka.producer().connect());
          assert.ok(e instanceof m.KafkaJSError, describeError(e));
        } finally {
          proxy.fault(18, null);
        }
      },
    );

    it("the broker is still serving after all of it", async () => {
      const admin = kafkaOf(kafkajs).admin();
      await admin.connect();
      assert.ok((await admin.listTopics()).includes("t"));
      await admin.disconnect();
    });
  });
});
