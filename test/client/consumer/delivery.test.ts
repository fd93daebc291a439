/**
 * What Brook's consumer hands to eachMessage and eachBatch, compared with what KafkaJS 2.2.4's
 * consumer hands over for the same data on the same Brook broker: every message field (batch
 * context included) for keys, nulls, headers (repeated keys too), explicit timestamps, the four
 * codecs, transactions (control records hidden), LogAppendTime; every batch accessor; committed
 * offsets afterwards; fromBeginning false; validation errors and event payload shapes.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type * as KafkaJSTypes from "kafkajs";
import {
  CompressionTypes,
  type Consumer,
  type EachBatchPayload,
  type EachMessagePayload,
  type Kafka,
  KafkaJSNonRetriableError,
} from "../../../src/client/index.js";
import { type CompressionCodec, decompress } from "../../../src/protocol/compression/index.js";
import { ConsumerTestBed, committedOffsets, createTopic, kafkajs, until } from "./support.js";

// KafkaJS ships only gzip; give it codecs for the others so it can read what the producer wrote.
for (const [type, codec] of [
  [kafkajs.CompressionTypes.Snappy, 2],
  [kafkajs.CompressionTypes.LZ4, 3],
  [kafkajs.CompressionTypes.ZSTD, 4],
] as const) {
  kafkajs.CompressionCodecs[type] = () => ({
    compress: async () => {
      throw new Error("not used");
    },
    decompress: (buffer: Buffer) => decompress(codec as CompressionCodec, buffer),
  });
}

type AnyConsumer = Consumer | KafkaJSTypes.Consumer;

describe("consumer delivery, side by side with KafkaJS", () => {
  let bed: ConsumerTestBed;
  let group = 0;

  before(async () => {
    bed = await ConsumerTestBed.start();
    await createTopic(bed.admin, "shapes", 3);
    await createTopic(bed.admin, "append-time", 1, [
      { name: "message.timestamp.type", value: "LogAppendTime" },
    ]);

    const producer = bed.kafka.producer();
    await producer.connect();
    await producer.send({
      topic: "shapes",
      messages: [
        { partition: 0, key: "k1", value: "plain" },
        { partition: 0, key: null, value: "no key" },
        { partition: 0, key: "tombstone", value: null },
        { partition: 0, value: Buffer.from([0, 1, 2, 255]), timestamp: "1600000000000" },
        {
          partition: 1,
          key: "h",
          value: "headers",
          headers: { a: "1", b: Buffer.from("two"), c: ["x", "y", "z"] },
        },
        { partition: 1, value: "", headers: { empty: "" } },
        { partition: 2, key: "ü", value: "utf-8 ✓" },
      ],
    });
    for (const compression of [
      CompressionTypes.GZIP,
      CompressionTypes.Snappy,
      CompressionTypes.LZ4,
      CompressionTypes.ZSTD,
    ]) {
      await producer.send({
        topic: "shapes",
        compression,
        messages: Array.from({ length: 30 }, (_, i) => ({
          partition: i % 3,
          key: `c${compression}-${i}`,
          value: `compressed ${compression} ${i} ${"x".repeat(i * 7)}`,
          headers: i % 2 ? { n: String(i) } : undefined,
        })),
      });
    }
    const tx = bed.kafka.producer({ transactionalId: "delivery-tx", maxInFlightRequests: 1 });
    await tx.connect();
    const t = await tx.transaction();
    await t.send({
      topic: "shapes",
      messages: [0, 1, 2].map((p) => ({ partition: p, value: `in txn ${p}` })),
    });
    await t.commit();
    await tx.disconnect();
    await producer.send({
      topic: "shapes",
      messages: [0, 1, 2].map((p) => ({ partition: p, value: `after ${p}` })),
    });
    await producer.send({
      topic: "append-time",
      messages: [{ value: "a", timestamp: "1000" }, { value: "b" }],
    });
    await producer.disconnect();
  });

  after(() => bed?.close());

  function brookConsumer(extra: Partial<Parameters<Kafka["consumer"]>[0]> = {}): Consumer {
    return bed.track(bed.kafka.consumer({ groupId: `brook-${++group}`, maxWaitTimeInMs: 200, ...extra }));
  }

  function referenceConsumer(extra: Partial<KafkaJSTypes.ConsumerConfig> = {}): KafkaJSTypes.Consumer {
    return bed.track(
      bed.reference.consumer({ groupId: `kafkajs-${++group}`, maxWaitTimeInMs: 200, ...extra }),
    );
  }

  /** Every message of `topic` through eachMessage, by partition, until `total` arrived. */
  async function readMessages(c: AnyConsumer, topic: string, total: number) {
    const byPartition = new Map<number, unknown[]>();
    let n = 0;
    await c.connect();
    await c.subscribe({ topics: [topic], fromBeginning: true });
    await (c as Consumer).run({
      eachMessage: async ({ topic: t, partition, message }: EachMessagePayload) => {
        assert.equal(t, topic);
        if (!byPartition.has(partition)) byPartition.set(partition, []);
        byPartition.get(partition)!.push(message);
        n++;
      },
    });
    await until(() => n >= total, 20000, `${total} messages`);
    await c.stop();
    return byPartition;
  }

  const total = 7 + 4 * 30 + 3 + 3;

  it("eachMessage: every field of every message equals KafkaJS's", async () => {
    const ours = await readMessages(brookConsumer(), "shapes", total);
    const theirs = await readMessages(referenceConsumer(), "shapes", total);
    assert.deepEqual([...ours.keys()].sort(), [0, 1, 2]);
    for (const p of [0, 1, 2]) {
      assert.deepStrictEqual(ours.get(p), theirs.get(p), `partition ${p}`);
    }
    // The transaction's commit markers took offsets, which neither client delivers.
    const offsets = ours.get(0)!.map((m) => Number((m as { offset: string }).offset));
    assert.ok(
      offsets.some((o, i) => i > 0 && o !== offsets[i - 1]! + 1),
      "a control record's offset was skipped",
    );
  });

  it("eachMessage on a LogAppendTime topic: the broker's append time, as KafkaJS reports it", async () => {
    const ours = await readMessages(brookConsumer(), "append-time", 2);
    const theirs = await readMessages(referenceConsumer(), "append-time", 2);
    assert.deepStrictEqual(ours.get(0), theirs.get(0));
    const [a] = ours.get(0) as Array<{ timestamp: string; batchContext: { timestampType: number } }>;
    assert.notEqual(a!.timestamp, "1000");
    assert.equal(a!.batchContext.timestampType, 1);
  });

  it("eachBatch: batches, their accessors and messages equal KafkaJS's", async () => {
    async function readBatches(c: AnyConsumer) {
      const batches: unknown[] = [];
      let n = 0;
      await c.connect();
      await c.subscribe({ topics: ["shapes"], fromBeginning: true });
      await (c as Consumer).run({
        eachBatch: async ({ batch }: EachBatchPayload) => {
          batches.push({
            topic: batch.topic,
            partition: batch.partition,
            highWatermark: batch.highWatermark,
            isEmpty: batch.isEmpty(),
            firstOffset: batch.firstOffset(),
            lastOffset: batch.lastOffset(),
            offsetLag: batch.offsetLag(),
            offsetLagLow: batch.offsetLagLow(),
            messages: batch.messages,
          });
          n += batch.messages.length;
        },
      });
      await until(() => n >= total, 20000, "every message");
      await c.stop();
      const key = (b: unknown) => (b as { partition: number }).partition;
      return [0, 1, 2].map((p) => batches.filter((b) => key(b) === p));
    }
    const ours = await readBatches(brookConsumer());
    const theirs = await readBatches(referenceConsumer());
    assert.deepStrictEqual(ours, theirs);
  });

  it("commits what was processed: the group's offsets end at the high watermarks", async () => {
    const c = brookConsumer({ groupId: "commit-check" });
    await readMessages(c, "shapes", total);
    const ends = await bed.admin.fetchTopicOffsets("shapes");
    const committed = await committedOffsets(bed.admin, "commit-check", "shapes");
    for (const e of ends)
      assert.equal(committed.get(e.partition), Number(e.high), `partition ${e.partition}`);
  });

  it("fromBeginning false starts at the end, as KafkaJS does; a new record is the first delivered", async () => {
    await createTopic(bed.admin, "latest", 1);
    const producer = bed.kafka.producer();
    await producer.connect();
    await producer.send({ topic: "latest", messages: [{ value: "old-1" }, { value: "old-2" }] });
    async function firstValue(c: AnyConsumer) {
      const seen: string[] = [];
      // KafkaJS looks the starting offset up on its first fetch, after run() resolved: wait for that.
      let fetched = false;
      (c as Consumer).on(c.events.FETCH, () => {
        fetched = true;
      });
      await c.connect();
      await c.subscribe({ topic: "latest" });
      await (c as Consumer).run({
        eachMessage: async ({ message }) => void seen.push(String(message.value)),
      });
      await until(() => fetched, 10000, "a first fetch");
      return seen;
    }
    const ours = await firstValue(brookConsumer());
    const theirs = await firstValue(referenceConsumer());
    await producer.send({ topic: "latest", messages: [{ value: "new" }] });
    await until(() => ours.length > 0 && theirs.length > 0, 20000, "the new record");
    await producer.disconnect();
    assert.deepEqual(ours, ["new"]);
    assert.deepEqual(theirs, ["new"]);
  });

  it("rejects bad arguments with KafkaJS's errors and messages", async () => {
    const calls: Array<[string, (c: AnyConsumer) => unknown]> = [
      ["subscribe without topics", (c) => c.subscribe({} as never)],
      ["subscribe with topics not an array", (c) => c.subscribe({ topics: "x" as never })],
      ["subscribe with a number", (c) => c.subscribe({ topics: [42 as never] })],
      ["seek before run", (c) => c.seek({ topic: "shapes", partition: 0, offset: "1" })],
      ["seek with a bad topic", (c) => c.seek({ topic: "", partition: 0, offset: "1" })],
      ["seek with a bad partition", (c) => c.seek({ topic: "t", partition: "x" as never, offset: "1" })],
      ["seek with a negative offset", (c) => c.seek({ topic: "t", partition: 0, offset: "-5" })],
      ["seek with a bad offset", (c) => c.seek({ topic: "t", partition: 0, offset: "abc" })],
      ["pause before run", (c) => c.pause([{ topic: "shapes" }])],
      ["pause with a bad topic", (c) => c.pause([{ topic: "" }])],
      ["pause with bad partitions", (c) => c.pause([{ topic: "t", partitions: "1" as never }])],
      ["resume before run", (c) => c.resume([{ topic: "shapes" }])],
      ["commitOffsets before run", (c) => c.commitOffsets([{ topic: "shapes", partition: 0, offset: "1" }])],
      [
        "commitOffsets with a negative offset",
        (c) => c.commitOffsets([{ topic: "t", partition: 0, offset: "-1" }]),
      ],
      [
        "commitOffsets with bad metadata",
        (c) => c.commitOffsets([{ topic: "t", partition: 0, offset: "1", metadata: 5 as never }]),
      ],
      ["on with an unknown event", (c) => (c as Consumer).on("consumer.nope" as never, () => {})],
    ];
    const outcome = async (fn: () => unknown) => {
      try {
        await fn();
        return "no error";
      } catch (e) {
        return `${(e as Error).name}: ${(e as Error).message}`;
      }
    };
    const ours = brookConsumer();
    const theirs = referenceConsumer();
    for (const [what, call] of calls) {
      assert.equal(await outcome(() => call(ours)), await outcome(() => call(theirs)), what);
    }
    assert.deepEqual(ours.paused(), theirs.paused());
    for (const config of [
      {},
      { groupId: "" },
      { groupId: "g", sessionTimeout: 3000, heartbeatInterval: 3000 },
    ]) {
      const mine = await outcome(() => bed.kafka.consumer(config as never));
      assert.equal(
        mine,
        await outcome(() => bed.reference.consumer(config as never)),
        JSON.stringify(config),
      );
      assert.match(mine, /^KafkaJSNonRetriableError/);
    }
    assert.ok(new KafkaJSNonRetriableError("x") instanceof Error);
  });

  it("emits KafkaJS's events with the same payload fields", async () => {
    async function eventsOf(c: AnyConsumer) {
      const seen = new Map<string, unknown>();
      for (const name of Object.values(c.events)) {
        (c as Consumer).on(name as never, (e: { type: string; payload: unknown }) => {
          if (!seen.has(e.type)) seen.set(e.type, e.payload);
        });
      }
      let n = 0;
      await c.connect();
      await c.subscribe({ topics: ["shapes"], fromBeginning: true });
      await (c as Consumer).run({ eachMessage: async () => void n++ });
      await until(() => n >= total && seen.has("consumer.commit_offsets"), 20000, "messages and a commit");
      await c.disconnect();
      return seen;
    }
    // Brook's emitter gives payload-less events a null payload, KafkaJS's leaves it undefined.
    const shape = (v: unknown): unknown =>
      v === undefined
        ? "object"
        : v === null || typeof v !== "object"
          ? typeof v
          : Array.isArray(v)
            ? v.length > 0
              ? [shape(v[0])]
              : []
            : Object.fromEntries(
                Object.keys(v)
                  .sort()
                  .map((k) => [k, shape((v as Record<string, unknown>)[k])]),
              );
    const ours = await eventsOf(brookConsumer());
    const theirs = await eventsOf(referenceConsumer());
    for (const name of [
      "consumer.connect",
      "consumer.group_join",
      "consumer.fetch_start",
      "consumer.fetch",
      "consumer.start_batch_process",
      "consumer.end_batch_process",
      "consumer.commit_offsets",
      "consumer.stop",
      "consumer.disconnect",
      "consumer.network.request",
    ]) {
      assert.ok(ours.has(name), `Brook emitted ${name}`);
      assert.ok(theirs.has(name), `KafkaJS emitted ${name}`);
      const expected = shape(theirs.get(name)) as Record<string, unknown>;
      // KafkaJS's d.ts declares nodeId a number but its fetcher passes the broker pool's object key,
      // a string; Brook sends the number the type promises.
      if (name === "consumer.fetch_start" || name === "consumer.fetch") expected.nodeId = "number";
      // Likewise the committed partitions: object keys (strings) in KafkaJS, numbers in its d.ts and Brook.
      if (name === "consumer.commit_offsets")
        (expected.topics as Array<{ partitions: Array<{ partition: string }> }>)[0]!
          .partitions[0]!.partition = "number";
      assert.deepEqual(shape(ours.get(name)), expected, name);
    }
  });

  it("run() twice warns and returns, as KafkaJS does; subscribe while running throws", async () => {
    const c = brookConsumer();
    await c.connect();
    await c.subscribe({ topics: ["shapes"] });
    await c.run({ eachMessage: async () => {} });
    assert.equal(await c.run({ eachMessage: async () => {} }), undefined);
    await assert.rejects(c.subscribe({ topics: ["shapes"] }), {
      name: "KafkaJSNonRetriableError",
      message: "Cannot subscribe to topic while consumer is running",
    });
    const description = await c.describeGroup();
    assert.equal(description.state, "Stable");
    assert.equal(description.protocol, "RoundRobinAssigner");
    assert.equal(description.members.length, 1);
    await c.stop();
    // After stop, subscribing and running again work.
    await c.subscribe({ topics: ["append-time"] });
  });
});
