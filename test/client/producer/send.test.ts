/**
 * Brook's producer against a real Brook broker, side by side with KafkaJS 2.2.4: the results of
 * send/sendBatch, key partitioning, what lands on disk (read back with the test suite's own batch
 * reader or with KafkaJS's consumer), compression, validation errors, events and lifecycle.
 */
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { after, before, describe, it } from "node:test";
import { decompress as zstdDecompress } from "@bokuweb/zstd-wasm";
import type { Consumer, Kafka as KafkaJSKafka } from "kafkajs";
import { decompressFrameSync } from "lz4-napi";
import { uncompressSync as snappyBlock } from "snappy";
import {
  CompressionCodecs,
  CompressionTypes,
  Kafka,
  KafkaJSError,
  KafkaJSNonRetriableError,
  logLevel,
  type Producer,
  type RecordMetadata,
} from "../../../src/client/index.js";
import { startTestBroker, type TestBroker } from "../../../src/testing/index.js";
import { kafkajs } from "../../support/clients.js";
import { fetchAllRecords } from "../../support/fetch-records.js";
import { RawClient } from "../../support/raw-client.js";
import { initCompression } from "../../../src/protocol/compression/index.js";
import { CreateTopics, Fetch } from "../../../src/protocol/messages/index.js";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("producer: send and sendBatch against Brook", () => {
  let tb: TestBroker;
  let kafka: Kafka;
  let reference: KafkaJSKafka;
  const producers: Array<{ disconnect(): Promise<void> }> = [];
  const consumers: Consumer[] = [];

  async function createTopic(name: string, numPartitions: number, configs: Record<string, string> = {}) {
    const c = await RawClient.connect(tb.port);
    try {
      const res = await c.request(CreateTopics, 7, {
        topics: [
          {
            name,
            numPartitions,
            replicationFactor: 1,
            assignments: [],
            configs: Object.entries(configs).map(([name, value]) => ({ name, value })),
          },
        ],
        timeoutMs: 5000,
        validateOnly: false,
      });
      assert.equal(res.topics[0]!.errorCode, 0, `create ${name}`);
    } finally {
      c.close();
    }
  }

  async function brookProducer(config: Parameters<Kafka["producer"]>[0] = {}): Promise<Producer> {
    const p = kafka.producer(config);
    await p.connect();
    producers.push(p);
    return p;
  }

  before(async () => {
    tb = await startTestBroker();
    kafka = new Kafka({ clientId: "producer-test", brokers: [tb.bootstrap], logLevel: logLevel.NOTHING });
    reference = new kafkajs.Kafka({
      clientId: "producer-test",
      brokers: [tb.bootstrap],
      logLevel: kafkajs.logLevel.NOTHING,
    });
  });
  after(async () => {
    await Promise.allSettled(consumers.map((c) => c.disconnect()));
    await Promise.allSettled(producers.map((p) => p.disconnect()));
    await tb.close();
  });

  it("returns the same RecordMetadata as KafkaJS for the same calls", async () => {
    // Each client writes to its own identical fresh topics, so even the offsets must agree.
    for (const side of ["kjs", "brook"]) {
      await createTopic(`shape-a-${side}`, 3);
      await createTopic(`shape-b-${side}`, 2);
      await createTopic(`shape-lat-${side}`, 1, { "message.timestamp.type": "LogAppendTime" });
    }
    const calls = (suffix: string) => [
      { send: { topic: `shape-a-${suffix}`, messages: [{ key: "one", value: "one" }], acks: -1 } },
      {
        send: {
          topic: `shape-a-${suffix}`,
          messages: [
            { partition: 2, value: "p2" },
            { partition: 0, value: "p0" },
            { partition: 2, value: "p2 again" },
            { partition: 1, value: "p1" },
          ],
        },
      },
      {
        batch: {
          topicMessages: [
            { topic: `shape-b-${suffix}`, messages: [{ partition: 1, value: "b1" }] },
            { topic: `shape-a-${suffix}`, messages: [{ partition: 1, value: "a1" }] },
            {
              topic: `shape-b-${suffix}`,
              messages: [
                { partition: 0, value: "b0" },
                { partition: 1, value: "b1'" },
              ],
            },
          ],
        },
      },
      { send: { topic: `shape-a-${suffix}`, messages: [{ partition: 0, value: "acks1" }], acks: 1 } },
      { send: { topic: `shape-a-${suffix}`, messages: [{ partition: 0, value: "acks0" }], acks: 0 } },
      { send: { topic: `shape-a-${suffix}`, messages: [] } },
      { batch: { topicMessages: [] } },
      { send: { topic: `shape-lat-${suffix}`, messages: [{ value: "log append time" }] } },
    ];
    const run = async (
      p: { send(r: any): Promise<RecordMetadata[]>; sendBatch(b: any): Promise<RecordMetadata[]> },
      suffix: string,
    ) => {
      const out: RecordMetadata[][] = [];
      for (const c of calls(suffix)) {
        out.push("send" in c ? await p.send(c.send) : await p.sendBatch(c.batch));
        // acks=0 answers nothing: give the broker time to append before the next call.
        if ("send" in c && c.send?.acks === 0) await sleep(200);
      }
      return out;
    };
    const kp = reference.producer();
    await kp.connect();
    producers.push(kp);
    const expected = await run(kp, "kjs");
    const actual = await run(await brookProducer(), "brook");
    const normalise = (results: RecordMetadata[][], suffix: string) =>
      results.map((r) =>
        r.map((m) => ({
          ...m,
          topicName: m.topicName.replace(`-${suffix}`, ""),
          // The append time is a clock reading: only whether it is set can agree.
          logAppendTime: m.logAppendTime === "-1" ? "-1" : "set",
        })),
      );
    assert.deepEqual(normalise(actual, "brook"), normalise(expected, "kjs"));
    // The LogAppendTime answer is a real time, not a placeholder.
    const lat = Number(actual.at(-1)![0]!.logAppendTime);
    assert.ok(Math.abs(lat - Date.now()) < 60_000, `logAppendTime ${lat}`);
  });

  it("puts keyed messages on the partitions KafkaJS's DefaultPartitioner picks, in call order", async () => {
    await createTopic("keys", 7);
    const p = await brookProducer();
    const keys = Array.from({ length: 300 }, (_, i) => `key-${i * 7919}`);
    await p.send({ topic: "keys", messages: keys.map((key, i) => ({ key, value: `v${i}` })) });
    const partitionMetadata = Array.from({ length: 7 }, (_, i) => ({
      partitionErrorCode: 0,
      partitionId: i,
      leader: 1,
      replicas: [1],
      isr: [1],
    }));
    const kafkajsPartitioner = kafkajs.Partitioners.DefaultPartitioner();
    const expected = new Map<number, string[]>();
    for (const [i, key] of keys.entries()) {
      const partition = kafkajsPartitioner({ topic: "keys", partitionMetadata, message: { key, value: "" } });
      expected.set(partition, [...(expected.get(partition) ?? []), `v${i}`]);
    }
    assert.ok(expected.size >= 5, "the keys spread over the partitions");
    for (let partition = 0; partition < 7; partition++) {
      const records = await fetchAllRecords(tb.port, "keys", partition);
      assert.deepEqual(
        records.map((r) => r.value!.toString()),
        expected.get(partition) ?? [],
        `partition ${partition}`,
      );
    }
  });

  it("creates a topic on first send when the broker allows it, as KafkaJS's default does", async () => {
    const p = await brookProducer();
    const [meta] = await p.send({ topic: "auto-created", messages: [{ value: "first" }] });
    assert.deepEqual(
      { ...meta, logStartOffset: undefined },
      {
        topicName: "auto-created",
        partition: 0,
        errorCode: 0,
        baseOffset: "0",
        logAppendTime: "-1",
        logStartOffset: undefined,
      },
    );
    assert.deepEqual(
      (await fetchAllRecords(tb.port, "auto-created", 0)).map((r) => r.value!.toString()),
      ["first"],
    );
  });

  it("writes keys, null values, headers (strings, buffers, arrays) and timestamps as given", async () => {
    await createTopic("fields", 1);
    const p = await brookProducer();
    const before = Date.now();
    await p.send({
      topic: "fields",
      messages: [
        {
          key: Buffer.from([0, 1, 2, 255]),
          value: null,
          headers: { text: "héllo", bytes: Buffer.from([9, 8, 7]), many: ["a", Buffer.from("b")] },
          timestamp: "1700000000123",
        },
        { key: null, value: "no key, now" },
        { key: "k", value: Buffer.alloc(0), headers: {} },
      ],
    });
    const after = Date.now();
    const records = await fetchAllRecords(tb.port, "fields", 0);
    assert.equal(records.length, 3);
    const [first, second, third] = records;
    assert.deepEqual(first!.key, Buffer.from([0, 1, 2, 255]));
    assert.equal(first!.value, null);
    assert.equal(first!.timestamp, 1700000000123n);
    assert.deepEqual(
      first!.headers.map((h) => [h.key, h.value?.toString("hex")]),
      [
        ["text", Buffer.from("héllo").toString("hex")],
        ["bytes", "090807"],
        ["many", Buffer.from("a").toString("hex")],
        ["many", Buffer.from("b").toString("hex")],
      ],
    );
    assert.equal(second!.key, null);
    assert.equal(second!.value!.toString(), "no key, now");
    assert.ok(
      second!.timestamp >= BigInt(before) && second!.timestamp <= BigInt(after),
      "default timestamp is the send time",
    );
    assert.equal(third!.key!.toString(), "k");
    assert.equal(third!.value!.length, 0);
    assert.deepEqual(third!.headers, []);
  });

  it("gives each concurrent call the offset of its own first record when calls share a batch", async () => {
    await createTopic("merged", 1);
    const p = await brookProducer();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        p.send({
          topic: "merged",
          messages: Array.from({ length: (i % 3) + 1 }, (_, j) => ({ value: `${i}.${j}` })),
        }),
      ),
    );
    const records = await fetchAllRecords(tb.port, "merged", 0);
    const byOffset = new Map(records.map((r) => [r.offset, r.value!.toString()]));
    for (const [i, [meta]] of results.entries()) {
      assert.equal(byOffset.get(BigInt(meta!.baseOffset!)), `${i}.0`, `call ${i}`);
    }
    assert.equal(
      records.length,
      results.reduce((n, _, i) => n + (i % 3) + 1, 0),
    );
  });

  it("compresses with all four codecs readably for KafkaJS's consumer", { timeout: 60_000 }, async () => {
    // KafkaJS ships only gzip; register independent decoders for the other three on its side.
    // One WebAssembly instance serves Brook and this test: initialising it a second time would reset it.
    await initCompression();
    const kafkajsCodecs = kafkajs.CompressionCodecs as Record<number, () => unknown>;
    const readOnly = (decompress: (b: Buffer) => Buffer) => () => ({
      compress: async () => {
        throw new Error("not used");
      },
      decompress: async (b: Buffer) => decompress(b),
    });
    kafkajsCodecs[kafkajs.CompressionTypes.Snappy] = readOnly(xerialSnappy);
    kafkajsCodecs[kafkajs.CompressionTypes.LZ4] = readOnly((b) => decompressFrameSync(b));
    kafkajsCodecs[kafkajs.CompressionTypes.ZSTD] = readOnly((b) => Buffer.from(zstdDecompress(b)));

    const types = {
      gzip: CompressionTypes.GZIP,
      snappy: CompressionTypes.Snappy,
      lz4: CompressionTypes.LZ4,
      zstd: CompressionTypes.ZSTD,
    };
    const p = await brookProducer();
    const value = (name: string, i: number) => `${name} ${i} ${"compressible ".repeat(20)}`;
    for (const [name, compression] of Object.entries(types)) {
      await createTopic(`codec-${name}`, 1);
      // Concurrent calls with one codec: merged into shared compressed batches.
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          p.send({
            topic: `codec-${name}`,
            compression,
            messages: [{ key: `k${i}`, value: value(name, i) }],
          }),
        ),
      );
    }
    const consumer = reference.consumer({ groupId: "codec-reader", maxWaitTimeInMs: 100 });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics: Object.keys(types).map((n) => `codec-${n}`), fromBeginning: true });
    const seen = new Map<string, string[]>();
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        seen.set(topic, [...(seen.get(topic) ?? []), message.value!.toString()]);
      },
    });
    const deadline = performance.now() + 30_000;
    while ([...seen.values()].reduce((n, v) => n + v.length, 0) < 80 && performance.now() < deadline)
      await sleep(100);
    for (const name of Object.keys(types)) {
      assert.deepEqual(
        seen.get(`codec-${name}`),
        Array.from({ length: 20 }, (_, i) => value(name, i)),
        name,
      );
    }
    // And the batches on disk really are compressed with the codec asked for.
    for (const [name, compression] of Object.entries(types)) {
      assert.deepEqual(
        [...new Set(await batchCodecs(tb.port, `codec-${name}`))],
        [compression],
        `${name} batches`,
      );
    }
  });

  it("uses a codec the application registered in CompressionCodecs", async () => {
    await createTopic("user-codec", 1);
    const original = CompressionCodecs[CompressionTypes.GZIP];
    let compressed = 0;
    CompressionCodecs[CompressionTypes.GZIP] = () => ({
      compress: async (encoder: { buffer: Buffer }) => {
        compressed++;
        return gzipSync(encoder.buffer);
      },
      decompress: async () => {
        throw new Error("not used");
      },
    });
    try {
      const p = await brookProducer();
      await p.send({
        topic: "user-codec",
        compression: CompressionTypes.GZIP,
        messages: [{ value: "through the user's codec" }, { value: "second" }],
      });
    } finally {
      CompressionCodecs[CompressionTypes.GZIP] = original;
    }
    assert.equal(compressed, 1);
    // fetchAllRecords decodes gzip with its own reader.
    const records = await fetchAllRecords(tb.port, "user-codec", 0);
    assert.deepEqual(
      records.map((r) => r.value!.toString()),
      ["through the user's codec", "second"],
    );
  });

  it("rejects bad arguments with KafkaJS's errors and messages", async () => {
    const p = await brookProducer();
    const idem = await brookProducer({ idempotent: true });
    const cases: Array<[string, () => Promise<unknown>, string]> = [
      ["no topic", () => p.send({ topic: "", messages: [{ value: "x" }] }), "Invalid topic"],
      [
        "no topic in a batch",
        () => p.sendBatch({ topicMessages: [{ topic: "a", messages: [] }, { messages: [] } as never] }),
        "Invalid topic",
      ],
      [
        "messages missing",
        () => p.send({ topic: "t" } as never),
        'Invalid messages array [undefined] for topic "t"',
      ],
      [
        "a message without value",
        () => p.send({ topic: "t", messages: [{ value: "ok" }, { key: "k" } as never] }),
        'Invalid message without value for topic "t": {"key":"k"}',
      ],
      [
        "acks 1 on an idempotent producer",
        () => idem.send({ topic: "t", acks: 1, messages: [{ value: "x" }] }),
        "Not requiring ack for all messages invalidates the idempotent producer's EoS guarantees",
      ],
      [
        "a transaction without transactional id",
        () => p.transaction(),
        "Must provide transactional id for transactional producer",
      ],
    ];
    for (const [what, call, message] of cases) {
      await assert.rejects(call, (e: Error) => {
        assert.ok(e instanceof KafkaJSNonRetriableError, `${what}: ${e.name}`);
        assert.equal(e.message, message, what);
        assert.equal((e as KafkaJSNonRetriableError).retriable, false);
        return true;
      });
    }
    // The same calls on KafkaJS fail with the same messages (its own check of the table above).
    const kp = reference.producer({ idempotent: true });
    await assert.rejects(
      kp.send({ topic: "t", acks: 1, messages: [{ value: "x" }] }),
      (e: Error) => e.message === cases[4]![2],
    );
    await assert.rejects(kp.send({ topic: "", messages: [] }), (e: Error) => e.message === "Invalid topic");
    assert.throws(
      () => kafka.producer({ idempotent: true, retry: { retries: 0 } }),
      (e: Error) =>
        e instanceof KafkaJSNonRetriableError &&
        e.message === "Idempotent producer must allow retries to protect against transient errors",
    );
  });

  it("refuses sends before connect, while disconnecting and after disconnect, as KafkaJS does", async () => {
    await createTopic("lifecycle", 1);
    const p = kafka.producer();
    await assert.rejects(p.send({ topic: "lifecycle", messages: [{ value: "x" }] }), (e: Error) => {
      assert.ok(e instanceof KafkaJSError);
      assert.equal(e.name, "KafkaJSError");
      assert.equal(e.message, "The producer is disconnected");
      return true;
    });
    await p.connect();
    const pending = p.send({ topic: "lifecycle", messages: [{ value: "accepted before disconnect" }] });
    const disconnecting = p.disconnect();
    await assert.rejects(
      p.send({ topic: "lifecycle", messages: [{ value: "x" }] }),
      (e: Error) =>
        e instanceof KafkaJSNonRetriableError &&
        e.message === "The producer is disconnecting; therefore, it can't safely accept messages anymore",
    );
    await disconnecting;
    // A send accepted before disconnect() is delivered, not dropped.
    assert.equal((await pending)[0]!.errorCode, 0);
    await assert.rejects(
      p.send({ topic: "lifecycle", messages: [{ value: "x" }] }),
      /The producer is disconnected/,
    );
    const records = await fetchAllRecords(tb.port, "lifecycle", 0);
    assert.deepEqual(
      records.map((r) => r.value!.toString()),
      ["accepted before disconnect"],
    );
  });

  it("emits producer.connect/disconnect and network events; on() checks the name and returns a remover", async () => {
    await createTopic("events", 1);
    const p = kafka.producer();
    const seen: string[] = [];
    let requests = 0;
    p.on(p.events.CONNECT, (e) => void seen.push(e.type));
    p.on(p.events.DISCONNECT, (e) => void seen.push(e.type));
    const remove = p.on(p.events.REQUEST, (e) => {
      if (e.payload.apiName === "Produce") requests++;
    });
    assert.throws(
      () => p.on("producer.nope" as never, () => {}),
      (e: Error) =>
        e instanceof KafkaJSNonRetriableError &&
        e.message ===
          "Event name should be one of producer.events.CONNECT, producer.events.DISCONNECT, producer.events.REQUEST, producer.events.REQUEST_TIMEOUT, producer.events.REQUEST_QUEUE_SIZE",
    );
    await p.connect();
    await p.send({ topic: "events", messages: [{ value: "1" }] });
    assert.equal(requests, 1);
    remove();
    await p.send({ topic: "events", messages: [{ value: "2" }] });
    assert.equal(requests, 1, "removed listener is not called");
    await p.disconnect();
    assert.deepEqual(seen, ["producer.connect", "producer.disconnect"]);
    assert.deepEqual({ ...p.events }, { ...reference.producer().events });
    assert.equal(p.isIdempotent(), false);
    assert.equal(kafka.producer({ idempotent: true }).isIdempotent(), true);
  });

  it("fails a send to a partition that does not exist after the retries, with KafkaJS's retry error", async () => {
    await createTopic("two-partitions", 2);
    const quick = new Kafka({
      brokers: [tb.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 2, initialRetryTime: 20, maxRetryTime: 100 },
    });
    const p = quick.producer();
    await p.connect();
    producers.push(p);
    await assert.rejects(
      p.send({ topic: "two-partitions", messages: [{ partition: 5, value: "nowhere" }] }),
      (e: Error & { cause?: Error & { type?: string } }) => {
        assert.equal(e.name, "KafkaJSNumberOfRetriesExceeded");
        assert.equal(e.cause?.name, "KafkaJSProtocolError");
        assert.equal(e.cause?.type, "UNKNOWN_TOPIC_OR_PARTITION");
        return true;
      },
    );
    // The producer still works for valid partitions.
    const [ok] = await p.send({ topic: "two-partitions", messages: [{ partition: 1, value: "fine" }] });
    assert.equal(ok!.partition, 1);
  });
});

/** The compression codec of every batch of partition 0, read from the raw Fetch answer. */
async function batchCodecs(port: number, topic: string): Promise<number[]> {
  const c = await RawClient.connect(port);
  try {
    const res = await c.request(Fetch, 11, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 8 << 20,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 4 << 20 }] }],
    });
    const records = res.responses[0]!.partitions[0]!.records!;
    const codecs: number[] = [];
    for (let pos = 0; pos + 61 <= records.length; pos += 12 + records.readInt32BE(pos + 8)) {
      codecs.push(records.readInt16BE(pos + 21) & 0x07);
    }
    return codecs;
  } finally {
    c.close();
  }
}

/** snappy-java's stream framing (what Kafka's clients write): a 16-byte header, then length-prefixed raw blocks. */
function xerialSnappy(b: Buffer): Buffer {
  if (b.subarray(0, 8).toString("latin1") !== "\x82SNAPPY\0") return snappyBlock(b) as Buffer;
  const out: Buffer[] = [];
  for (let pos = 16; pos < b.length; ) {
    const len = b.readInt32BE(pos);
    out.push(snappyBlock(b.subarray(pos + 4, pos + 4 + len)) as Buffer);
    pos += 4 + len;
  }
  return Buffer.concat(out);
}
