/**
 * KafkaJS 2.2.4, the real client from npm, against an in-process Brook broker: admin operations
 * and producing (keys, headers, gzip, acks 0/1/-1), with what was produced read back through
 * Brook's own Fetch path and checked value for value. Every scenario runs again with Brook's own
 * client in KafkaJS's place (test/support/clients.ts), with the same assertions.
 */
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import type { Kafka } from "kafkajs";
import { partitionForKey } from "../../src/protocol/murmur2.js";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import { ErrorCode } from "../../src/protocol/error-codes.js";
import { CreatePartitions } from "../../src/protocol/messages/create-partitions.js";
import { CreateTopics } from "../../src/protocol/messages/create-topics.js";
import { Fetch } from "../../src/protocol/messages/fetch.js";
import { decodeRecordBatches } from "../../src/protocol/records/record-batch.js";
import { describeEachClient } from "../support/clients.js";
import { fetchAllRecords } from "../support/fetch-records.js";
import { RawClient } from "../support/raw-client.js";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

describeEachClient("producer and admin against Brook", (client) => {
  let tb: TestBroker;
  let kafka: Kafka;

  before(async () => {
    tb = await startTestBroker();
    kafka = new client.module.Kafka({
      clientId: "brook-test",
      brokers: [tb.bootstrap],
      logLevel: client.module.logLevel.NOTHING,
      retry: { retries: 2 },
    });
  });
  after(async () => {
    await tb.close();
  });

  it("admin: create, list, describe metadata and delete topics", async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const created = await admin.createTopics({
        topics: [
          {
            topic: "orders",
            numPartitions: 6,
            replicationFactor: 1,
            configEntries: [{ name: "retention.ms", value: "604800000" }],
          },
          {
            topic: "users",
            numPartitions: 3,
            replicationFactor: -1,
            configEntries: [{ name: "cleanup.policy", value: "compact" }],
          },
        ],
      });
      assert.equal(created, true);
      assert.equal(
        await admin.createTopics({ topics: [{ topic: "orders", numPartitions: 1 }] }),
        false,
        "already exists",
      );
      const topics = await admin.listTopics();
      assert.deepEqual(topics.filter((t) => !t.startsWith("__")).sort(), ["orders", "users"]);
      const md = await admin.fetchTopicMetadata({ topics: ["orders"] });
      assert.equal(md.topics[0]!.partitions.length, 6);
      for (const p of md.topics[0]!.partitions) {
        assert.equal(p.leader, tb.broker.nodeId);
        assert.deepEqual(p.replicas, [tb.broker.nodeId]);
        assert.deepEqual(p.isr, [tb.broker.nodeId]);
      }
      // KafkaJS wraps per-topic errors in an aggregate whose entries carry Kafka's error name.
      const topicErrorTypes = async (p: Promise<unknown>) => {
        try {
          await p;
        } catch (e) {
          return ((e as { errors?: Array<{ type: string }> }).errors ?? []).map((x) => x.type);
        }
        return [];
      };
      assert.deepEqual(
        await topicErrorTypes(admin.createTopics({ topics: [{ topic: "bad topic!", numPartitions: 1 }] })),
        ["INVALID_TOPIC_EXCEPTION"],
      );
      assert.deepEqual(
        await topicErrorTypes(
          admin.createTopics({ topics: [{ topic: "rf3", numPartitions: 1, replicationFactor: 3 }] }),
        ),
        ["INVALID_REPLICATION_FACTOR"],
      );
      await admin.deleteTopics({ topics: ["users"] });
      assert.ok(!(await admin.listTopics()).includes("users"));
    } finally {
      await admin.disconnect();
    }
  });

  it("admin: createPartitions grows a topic and refuses to shrink it", async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: "grow", numPartitions: 2 }] });
      await admin.createPartitions({ topicPartitions: [{ topic: "grow", count: 5 }] });
      const md = await admin.fetchTopicMetadata({ topics: ["grow"] });
      assert.equal(md.topics[0]!.partitions.length, 5);
      await assert.rejects(
        admin.createPartitions({ topicPartitions: [{ topic: "grow", count: 3 }] }),
        /partitions/i,
      );
      // Kafka's wording, which kafka-topics --alter prints (test/reference/kafka-tools.test.ts).
      const c = await RawClient.connect(tb.port);
      try {
        const r = await c.request(CreatePartitions, 3, {
          topics: [{ name: "grow", count: 3, assignments: null }],
          timeoutMs: 5000,
          validateOnly: false,
        });
        assert.deepEqual(r.results[0], {
          name: "grow",
          errorCode: ErrorCode.INVALID_PARTITIONS,
          errorMessage: "The topic grow currently has 5 partition(s); 3 would not be an increase.",
        });
        await admin.createTopics({ topics: [{ topic: "grow-same", numPartitions: 1 }] });
        const same = await c.request(CreatePartitions, 3, {
          topics: [{ name: "grow-same", count: 1, assignments: null }],
          timeoutMs: 5000,
          validateOnly: false,
        });
        assert.equal(same.results[0]!.errorMessage, "Topic already has 1 partition(s).");
        const rf = await c.request(CreateTopics, 7, {
          topics: [{ name: "rf-two", numPartitions: 1, replicationFactor: 2, assignments: [], configs: [] }],
          timeoutMs: 5000,
          validateOnly: false,
        });
        assert.equal(
          rf.topics[0]!.errorMessage,
          "Unable to replicate the partition 2 time(s): The target replication factor of 2 cannot be reached because only 1 broker(s) are registered or some brokers have all their log directories cordoned.",
        );
      } finally {
        c.close();
      }
    } finally {
      await admin.disconnect();
    }
  });

  it("admin: describeConfigs and alterConfigs use Kafka's names, defaults and sources", async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({
        topics: [
          { topic: "cfg", numPartitions: 1, configEntries: [{ name: "retention.ms", value: "1000" }] },
        ],
      });
      const TOPIC = 2;
      const before = await admin.describeConfigs({
        resources: [{ type: TOPIC, name: "cfg" }],
        includeSynonyms: false,
      });
      const entries = before.resources[0]!.configEntries;
      const get = (n: string) => entries.find((e) => e.configName === n)!;
      assert.equal(get("retention.ms").configValue, "1000");
      assert.equal(get("retention.ms").isDefault, false);
      assert.equal(get("cleanup.policy").configValue, "delete");
      assert.equal(get("cleanup.policy").isDefault, true);
      assert.equal(get("max.message.bytes").configValue, "1048588");
      assert.equal(get("segment.bytes").configValue, "1073741824");
      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          { type: TOPIC, name: "cfg", configEntries: [{ name: "cleanup.policy", value: "compact" }] },
        ],
      });
      const afterAlter = await admin.describeConfigs({
        resources: [{ type: TOPIC, name: "cfg", configNames: ["cleanup.policy", "retention.ms"] }],
        includeSynonyms: false,
      });
      const e2 = afterAlter.resources[0]!.configEntries;
      assert.equal(e2.find((e) => e.configName === "cleanup.policy")!.configValue, "compact");
      // AlterConfigs replaces the whole set: retention.ms returns to its default.
      assert.equal(e2.find((e) => e.configName === "retention.ms")!.configValue, "604800000");
      for (const entry of [
        { name: "retention.ms", value: "soon" },
        { name: "no.such.config", value: "1" },
      ]) {
        await assert.rejects(
          admin.alterConfigs({
            validateOnly: false,
            resources: [{ type: TOPIC, name: "cfg", configEntries: [entry] }],
          }),
          (e: { type?: string }) => e.type === "INVALID_CONFIG",
        );
      }
      // Nothing was changed by the refused requests.
      const unchanged = await admin.describeConfigs({
        resources: [{ type: TOPIC, name: "cfg", configNames: ["cleanup.policy"] }],
        includeSynonyms: false,
      });
      assert.equal(unchanged.resources[0]!.configEntries[0]!.configValue, "compact");
    } finally {
      await admin.disconnect();
    }
  });

  it("producer: keyed messages with headers land on the partition murmur2 predicts, byte for byte", async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "keyed", numPartitions: 6 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    try {
      const messages = Array.from({ length: 60 }, (_, i) => ({
        key: `customer-${i % 17}`,
        value: JSON.stringify({ id: i, total: i * 1.5 }),
        headers: { "content-type": "application/json", seq: String(i) },
      }));
      const meta = await producer.send({ topic: "keyed", messages, acks: -1 });
      assert.ok(meta.every((m) => m.errorCode === 0));
      const byPartition = new Map<number, typeof messages>();
      for (const m of messages) {
        const p = partitionForKey(Buffer.from(m.key), 6);
        byPartition.set(p, [...(byPartition.get(p) ?? []), m]);
      }
      for (let p = 0; p < 6; p++) {
        const got = await fetchAllRecords(tb.port, "keyed", p);
        const want = byPartition.get(p) ?? [];
        assert.equal(got.length, want.length, `partition ${p} count`);
        got.forEach((r, i) => {
          assert.equal(r.offset, BigInt(i));
          assert.equal(r.key?.toString(), want[i]!.key);
          assert.equal(r.value?.toString(), want[i]!.value);
          assert.deepEqual(
            Object.fromEntries(r.headers.map((h) => [h.key, h.value?.toString()])),
            want[i]!.headers,
          );
        });
      }
    } finally {
      await producer.disconnect();
    }
  });

  it("producer: gzip batches and acks 0, 1 and -1 are all stored", async () => {
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    try {
      const topic = "acks-and-gzip";
      await producer.send({ topic, acks: 1, messages: [{ value: "ack1-a" }, { value: "ack1-b" }] });
      await producer.send({
        topic,
        acks: -1,
        compression: client.module.CompressionTypes.GZIP,
        messages: Array.from({ length: 50 }, (_, i) => ({ key: "k", value: `gzip-${i}-${"x".repeat(100)}` })),
      });
      await producer.send({ topic, acks: 0, messages: [{ value: "ack0" }] });
      // acks=0 has no response: poll until the record is visible.
      let got: Awaited<ReturnType<typeof fetchAllRecords>> = [];
      for (let i = 0; i < 50 && got.length < 53; i++) {
        got = await fetchAllRecords(tb.port, topic, 0);
        if (got.length < 53) await new Promise((r) => setTimeout(r, 20));
      }
      assert.deepEqual(
        got.map((r) => r.value?.toString()),
        ["ack1-a", "ack1-b", ...Array.from({ length: 50 }, (_, i) => `gzip-${i}-${"x".repeat(100)}`), "ack0"],
      );
    } finally {
      await producer.disconnect();
    }
  });

  it("a topic's compression.type recompresses produced batches, keeping every record", async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        {
          topic: "zstd-topic",
          numPartitions: 1,
          configEntries: [{ name: "compression.type", value: "zstd" }],
        },
      ],
    });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    const messages = Array.from({ length: 40 }, (_, i) => ({
      key: `k${i}`,
      value: `v${i}`.repeat(20),
      headers: { i: String(i) },
    }));
    await producer.send({ topic: "zstd-topic", acks: -1, messages });
    await producer.disconnect();
    const c = await RawClient.connect(tb.port);
    const res = await c.request(Fetch, 11, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      sessionEpoch: -1,
      topics: [
        { topic: "zstd-topic", partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] },
      ],
    });
    c.close();
    const batches = await decodeRecordBatches(res.responses[0]!.partitions[0]!.records!);
    assert.ok(batches.length > 0 && batches.every((b) => (b.header.attributes & 7) === 4), "stored as zstd");
    const got = batches.flatMap((b) =>
      b.records.map((r) => [
        r.offset,
        r.key!.toString(),
        r.value!.toString(),
        r.headers[0]!.value!.toString(),
      ]),
    );
    assert.deepEqual(
      got,
      messages.map((m, i) => [BigInt(i), m.key, m.value, String(i)]),
    );
  });

  it("admin: fetchTopicOffsets, fetchTopicOffsetsByTimestamp and deleteTopicRecords", async () => {
    const admin = kafka.admin();
    const producer = kafka.producer();
    await admin.connect();
    await producer.connect();
    try {
      await admin.createTopics({ topics: [{ topic: "offsets", numPartitions: 1 }] });
      const t0 = Date.now();
      await producer.send({
        topic: "offsets",
        messages: [
          { value: "a", timestamp: String(t0 - 10_000) },
          { value: "b", timestamp: String(t0 - 5_000) },
        ],
      });
      await producer.send({ topic: "offsets", messages: [{ value: "c", timestamp: String(t0) }] });
      const offs = await admin.fetchTopicOffsets("offsets");
      assert.deepEqual(
        offs.map((o) => [o.partition, o.low, o.high, o.offset]),
        [[0, "0", "3", "3"]],
      );
      const byTs = await admin.fetchTopicOffsetsByTimestamp("offsets", t0 - 6_000);
      assert.deepEqual(byTs, [{ partition: 0, offset: "1" }]);
      const future = await admin.fetchTopicOffsetsByTimestamp("offsets", t0 + 60_000);
      // No record at or after that time: KafkaJS falls back to the latest offset.
      assert.equal(future[0]!.offset, "3");
      await admin.deleteTopicRecords({ topic: "offsets", partitions: [{ partition: 0, offset: "2" }] });
      const after = await admin.fetchTopicOffsets("offsets");
      assert.equal(after[0]!.low, "2");
      const rest = await fetchAllRecords(tb.port, "offsets", 0, 2n);
      assert.deepEqual(
        rest.map((r) => r.value?.toString()),
        ["c"],
      );
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });
});
