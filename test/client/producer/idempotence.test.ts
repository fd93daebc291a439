/**
 * The idempotent producer under concurrency and failures, against a real Brook broker: thousands of
 * concurrent sends land exactly once, in call order per partition, in few requests (KafkaJS #598:
 * sequences must be assigned when the batch is built, not when send is called); and when Produce
 * responses are lost (connection reset, or silence until the request times out), the retried
 * batches are recognised by the broker as duplicates instead of being written twice.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { Kafka, logLevel, type Producer } from "../../../src/client/index.js";
import { CreateTopics, Fetch } from "../../../src/protocol/messages/index.js";
import { startTestBroker, type TestBroker } from "../../../src/testing/index.js";
import { type MinimalBatch, readBatchesMinimal } from "../../support/kafkajs.js";
import { RawClient } from "../../support/raw-client.js";
import { listen, type Peer, splitFrames, type Track } from "../../support/tcp-peer.js";

/** Every batch of a partition as stored, headers included (the test suite's own reader). */
async function fetchBatches(port: number, topic: string, partition: number): Promise<MinimalBatch[]> {
  const c = await RawClient.connect(port);
  const out: MinimalBatch[] = [];
  try {
    let offset = 0n;
    for (;;) {
      const res = await c.request(Fetch, 11, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 16 << 20,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{ topic, partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: 8 << 20 }] }],
      });
      const p = res.responses[0]!.partitions[0]!;
      assert.equal(p.errorCode, 0);
      if (!p.records || p.records.length === 0) break;
      const batches = readBatchesMinimal(p.records);
      for (const b of batches) {
        assert.ok(b.crcValid);
        if (b.baseOffset >= offset) out.push(b);
      }
      const last = batches.at(-1)!;
      offset = last.baseOffset + BigInt(last.lastOffsetDelta) + 1n;
      if (offset >= p.highWatermark) break;
    }
  } finally {
    c.close();
  }
  return out;
}

async function createTopic(port: number, name: string, numPartitions: number): Promise<void> {
  const c = await RawClient.connect(port);
  try {
    const res = await c.request(CreateTopics, 7, {
      topics: [{ name, numPartitions, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 5000,
      validateOnly: false,
    });
    assert.equal(res.topics[0]!.errorCode, 0);
  } finally {
    c.close();
  }
}

/** Checks one partition's batches: one producer id, sequences without gap or overlap. */
function assertContiguousSequences(batches: MinimalBatch[], what: string): void {
  const data = batches.filter((b) => (b.attributes & 0x20) === 0);
  assert.ok(data.length > 0, what);
  let producerId = data[0]!.producerId;
  let next = 0;
  for (const b of data) {
    assert.ok(b.producerId >= 0n, `${what}: batches carry a producer id`);
    if (b.producerId !== producerId) {
      // A new producer id restarts at 0 (only after a sequence was lost for good).
      producerId = b.producerId;
      next = 0;
    }
    assert.equal(b.baseSequence, next, `${what}: batch at offset ${b.baseOffset}`);
    next = b.baseSequence + b.records.length;
  }
}

/**
 * A TCP proxy in front of the broker that loses the responses of chosen Produce requests: "reset"
 * drops the response and closes the connection (the broker has written the records, the client
 * never hears of it), "silent" drops it and keeps the connection (the client's request times out).
 */
class LossyProxy {
  private peer: Peer | undefined;
  produceRequests = 0;
  lost = 0;
  port = 0;

  constructor(
    private readonly target: number,
    private readonly decide: (produceNumber: number) => "pass" | "reset" | "silent",
  ) {}

  async start(): Promise<void> {
    this.peer = await listen((client, track) => this.connection(client, track));
    this.port = this.peer.port;
  }

  async close(): Promise<void> {
    await this.peer?.stop();
  }

  private connection(client: net.Socket, track: Track): void {
    const upstream = track(net.connect({ host: "127.0.0.1", port: this.target }));
    const doomed = new Map<number, "reset" | "silent">();
    const kill = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("close", kill);
    upstream.on("close", kill);
    client.on(
      "data",
      splitFrames((frame) => {
        const apiKey = frame.readInt16BE(4);
        const correlationId = frame.readInt32BE(8);
        if (apiKey === 0) {
          const decision = this.decide(++this.produceRequests);
          if (decision !== "pass") doomed.set(correlationId, decision);
        }
        upstream.write(frame);
      }),
    );
    upstream.on(
      "data",
      splitFrames((frame) => {
        const correlationId = frame.readInt32BE(4);
        const decision = doomed.get(correlationId);
        if (decision === undefined) {
          client.write(frame);
          return;
        }
        doomed.delete(correlationId);
        this.lost++;
        if (decision === "reset") kill();
      }),
    );
  }
}

describe("producer: idempotence", () => {
  let tb: TestBroker;
  const producers: Producer[] = [];

  before(async () => {
    tb = await startTestBroker();
  });
  after(async () => {
    await Promise.allSettled(producers.map((p) => p.disconnect()));
    await tb.close();
  });

  it("5,000 concurrent sends to 3 partitions: each record once, in call order, in few requests", {
    timeout: 60_000,
  }, async () => {
    await createTopic(tb.port, "concurrent", 3);
    const kafka = new Kafka({ brokers: [tb.bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ idempotent: true });
    producers.push(producer);
    let produceRequests = 0;
    producer.on(producer.events.REQUEST, (e) => {
      if (e.payload.apiName === "Produce") produceRequests++;
    });
    await producer.connect();
    const N = 5000;
    const results = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        producer.send({ topic: "concurrent", messages: [{ partition: i % 3, value: String(i) }] }),
      ),
    );
    assert.equal(results.length, N);
    assert.ok(
      produceRequests > 0 && produceRequests <= N / 50,
      `${produceRequests} Produce requests for ${N} sends`,
    );
    for (let partition = 0; partition < 3; partition++) {
      const batches = await fetchBatches(tb.port, "concurrent", partition);
      const values = batches.flatMap((b) => b.records.map((r) => Number(r.value!.toString())));
      const expected = Array.from({ length: N }, (_, i) => i).filter((i) => i % 3 === partition);
      assert.deepEqual(values, expected, `partition ${partition}: exactly once, in call order`);
      assertContiguousSequences(batches, `partition ${partition}`);
      // Each call was told where its record went.
      for (const [i, [meta]] of results.entries()) {
        if (i % 3 !== partition) continue;
        const offset = BigInt(meta!.baseOffset!);
        const batch = batches.find(
          (b) => offset >= b.baseOffset && offset <= b.baseOffset + BigInt(b.lastOffsetDelta),
        )!;
        assert.equal(batch.records[Number(offset - batch.baseOffset)]!.value!.toString(), String(i));
      }
    }
  });

  for (const mode of ["reset", "silent"] as const) {
    it(`lost Produce responses (${mode === "reset" ? "connection reset" : "request timeout"}) are retried without duplicates`, {
      timeout: 120_000,
    }, async () => {
      const topic = `lossy-${mode}`;
      await createTopic(tb.port, topic, 2);
      // Lose the response of every 3rd Produce request: 6 of them, or 3 when each costs a timeout.
      const limit = mode === "reset" ? 20 : 10;
      const proxy = new LossyProxy(tb.port, (n) => (n % 3 === 2 && n < limit ? mode : "pass"));
      await proxy.start();
      try {
        const kafka = new Kafka({
          brokers: [`127.0.0.1:${proxy.port}`],
          logLevel: logLevel.NOTHING,
          requestTimeout: 1000,
          retry: { initialRetryTime: 50, maxRetryTime: 500, retries: 20 },
          // Every connection, to the bootstrap address or to the advertised broker, goes through the proxy.
          socketFactory: ({ onConnect }) => net.connect({ host: "127.0.0.1", port: proxy.port }, onConnect),
        });
        const producer = kafka.producer({ idempotent: true });
        producers.push(producer);
        await producer.connect();
        const N = 600;
        // Waves of concurrent sends, so several requests are in flight when a response is lost.
        for (let wave = 0; wave < 6; wave++) {
          await Promise.all(
            Array.from({ length: N / 6 }, (_, j) => {
              const i = wave * (N / 6) + j;
              return producer.send({ topic, messages: [{ partition: i % 2, value: String(i) }] });
            }),
          );
        }
        assert.ok(proxy.lost >= 3, `${proxy.lost} responses lost`);
        for (let partition = 0; partition < 2; partition++) {
          const batches = await fetchBatches(tb.port, topic, partition);
          const values = batches.flatMap((b) => b.records.map((r) => Number(r.value!.toString())));
          const expected = Array.from({ length: N }, (_, i) => i).filter((i) => i % 2 === partition);
          assert.deepEqual(values, expected, `partition ${partition}: no duplicate, no loss, in order`);
          assertContiguousSequences(batches, `partition ${partition}`);
        }
        await producer.disconnect();
      } finally {
        await proxy.close();
      }
    });
  }

  it("a batch refused for good (MESSAGE_TOO_LARGE) fails its own call only; the calls after it still land once, in order", {
    timeout: 60_000,
  }, async () => {
    const c = await RawClient.connect(tb.port);
    try {
      const res = await c.request(CreateTopics, 7, {
        topics: [
          {
            name: "too-large",
            numPartitions: 1,
            replicationFactor: 1,
            assignments: [],
            configs: [{ name: "max.message.bytes", value: "20000" }],
          },
        ],
        timeoutMs: 5000,
        validateOnly: false,
      });
      assert.equal(res.topics[0]!.errorCode, 0);
    } finally {
      c.close();
    }
    const kafka = new Kafka({ brokers: [tb.bootstrap], logLevel: logLevel.NOTHING });
    // A small merge cap, so the calls after the big one travel in batches of their own, pipelined behind it.
    const producer = kafka.producer({ idempotent: true, batchSize: 100 } as Parameters<Kafka["producer"]>[0]);
    producers.push(producer);
    await producer.connect();
    await producer.send({ topic: "too-large", messages: [{ value: "first" }] });
    const calls = [
      producer.send({ topic: "too-large", messages: [{ value: "before" }] }),
      producer.send({ topic: "too-large", messages: [{ value: "x".repeat(50_000) }] }),
      ...Array.from({ length: 4 }, (_, i) =>
        producer.send({ topic: "too-large", messages: [{ value: `after-${i}` }] }),
      ),
    ];
    const outcomes = await Promise.allSettled(calls);
    assert.equal(outcomes[0]!.status, "fulfilled");
    assert.equal(outcomes[1]!.status, "rejected");
    const error = (outcomes[1] as PromiseRejectedResult).reason;
    assert.equal(error.name, "KafkaJSProtocolError");
    assert.equal(error.type, "MESSAGE_TOO_LARGE");
    for (const o of outcomes.slice(2))
      assert.equal(o.status, "fulfilled", String((o as PromiseRejectedResult).reason));
    // And the producer goes on working.
    await producer.send({ topic: "too-large", messages: [{ value: "last" }] });
    const batches = await fetchBatches(tb.port, "too-large", 0);
    assert.deepEqual(
      batches.flatMap((b) => b.records.map((r) => r.value!.toString())),
      ["first", "before", "after-0", "after-1", "after-2", "after-3", "last"],
    );
    assertContiguousSequences(batches, "too-large");
  });

  it("a plain producer also merges concurrent sends and keeps their order per partition", async () => {
    await createTopic(tb.port, "plain-merge", 1);
    const kafka = new Kafka({ brokers: [tb.bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    producers.push(producer);
    let produceRequests = 0;
    producer.on(producer.events.REQUEST, (e) => {
      if (e.payload.apiName === "Produce") produceRequests++;
    });
    await producer.connect();
    await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        producer.send({ topic: "plain-merge", messages: [{ value: String(i) }] }),
      ),
    );
    assert.ok(produceRequests <= 20, `${produceRequests} Produce requests`);
    const batches = await fetchBatches(tb.port, "plain-merge", 0);
    assert.deepEqual(
      batches.flatMap((b) => b.records.map((r) => Number(r.value!.toString()))),
      Array.from({ length: 1000 }, (_, i) => i),
    );
    // Without idempotence the batches carry no producer id (Kafka's -1, not KafkaJS's epoch 0).
    assert.ok(batches.every((b) => b.producerId === -1n && b.producerEpoch === -1 && b.baseSequence === -1));
  });

  it("linger holds a partition's first records to merge the ones that follow", async () => {
    await createTopic(tb.port, "linger", 1);
    const kafka = new Kafka({ brokers: [tb.bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ idempotent: true, linger: 200 } as Parameters<Kafka["producer"]>[0]);
    producers.push(producer);
    let produceRequests = 0;
    producer.on(producer.events.REQUEST, (e) => {
      if (e.payload.apiName === "Produce") produceRequests++;
    });
    await producer.connect();
    const sends: Promise<unknown>[] = [];
    const started = performance.now();
    // Sends spread over ~100 ms: without linger each would go in its own request.
    for (let i = 0; i < 10; i++) {
      sends.push(producer.send({ topic: "linger", messages: [{ value: String(i) }] }));
      await new Promise((r) => setTimeout(r, 10));
    }
    await Promise.all(sends);
    assert.ok(performance.now() - started >= 150, "the first send waited for the linger time");
    assert.equal(produceRequests, 1);
    const batches = await fetchBatches(tb.port, "linger", 0);
    assert.equal(batches.length, 1);
    assert.deepEqual(
      batches[0]!.records.map((r) => r.value!.toString()),
      Array.from({ length: 10 }, (_, i) => String(i)),
    );
  });
});
