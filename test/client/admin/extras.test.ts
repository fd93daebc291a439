/**
 * The admin methods Brook adds to KafkaJS's (Java AdminClient semantics), checked by their effects
 * on a Brook broker, with KafkaJS as the independent producer/consumer: incremental config changes
 * read back with describeConfigs, lag against what a KafkaJS consumer committed, offsets deleted and
 * read back, log dirs, transactions and producers of KafkaJS's transactional and idempotent
 * producers. The APIs Brook's broker does not serve (client quotas, SCRAM credentials, ACLs) must fail
 * with KafkaJSServerDoesNotSupportApiKey; apache-kafka.test.ts runs them against Apache Kafka.
 */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { after, before, describe, it } from "node:test";
import type * as KafkaJSTypes from "kafkajs";
import * as brook from "../../../src/client/index.js";
import { startTestBroker, type TestBroker } from "../../../src/testing/index.js";

const require = createRequire(import.meta.url);
const kafkajs: typeof KafkaJSTypes = require("kafkajs");

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(fn: () => Promise<T | undefined | false>, ms: number, what: string): Promise<T> {
  const end = performance.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (performance.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(50);
  }
}

describe("Brook's admin: methods beyond KafkaJS's, on a Brook broker", () => {
  let tb: TestBroker;
  let kjs: KafkaJSTypes.Kafka;
  let admin: brook.Admin;
  const toClose: Array<{ disconnect(): Promise<void> }> = [];

  before(async () => {
    tb = await startTestBroker();
    const config = {
      clientId: "admin-extras",
      brokers: [tb.bootstrap],
      retry: { retries: 2, initialRetryTime: 50 },
    };
    kjs = new kafkajs.Kafka({ ...config, logLevel: kafkajs.logLevel.NOTHING });
    admin = new brook.Kafka({ ...config, logLevel: brook.logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: "cfg", numPartitions: 1 },
        { topic: "lag", numPartitions: 2 },
        { topic: "txn", numPartitions: 1 },
      ],
    });
  });

  after(async () => {
    await Promise.allSettled(toClose.map((c) => c.disconnect()));
    await admin?.disconnect();
    await tb?.close();
  });

  const configOf = async (topic: string, name: string) => {
    const { resources } = await admin.describeConfigs({
      resources: [{ type: brook.ConfigResourceTypes.TOPIC, name: topic, configNames: [name] }],
      includeSynonyms: false,
    });
    return resources[0]!.configEntries[0]!;
  };

  it("incrementalAlterConfigs sets, appends, subtracts and deletes single configs", async () => {
    const topic = { type: brook.ConfigResourceTypes.TOPIC, name: "cfg" };
    await admin.incrementalAlterConfigs({
      resources: [{ ...topic, configEntries: [{ name: "retention.ms", value: "123456", operation: "SET" }] }],
    });
    assert.equal((await configOf("cfg", "retention.ms")).configValue, "123456");
    assert.equal((await configOf("cfg", "retention.ms")).configSource, brook.ConfigSource.TOPIC_CONFIG);

    // Unlike alterConfigs, an incremental change leaves the other configs alone.
    await admin.incrementalAlterConfigs({
      resources: [
        { ...topic, configEntries: [{ name: "cleanup.policy", value: "compact", operation: "APPEND" }] },
      ],
    });
    assert.equal((await configOf("cfg", "cleanup.policy")).configValue, "delete,compact");
    assert.equal((await configOf("cfg", "retention.ms")).configValue, "123456");
    await admin.incrementalAlterConfigs({
      resources: [
        { ...topic, configEntries: [{ name: "cleanup.policy", value: "delete", operation: "SUBTRACT" }] },
      ],
    });
    assert.equal((await configOf("cfg", "cleanup.policy")).configValue, "compact");

    // validateOnly changes nothing.
    await admin.incrementalAlterConfigs({
      validateOnly: true,
      resources: [{ ...topic, configEntries: [{ name: "retention.ms", value: "999", operation: "SET" }] }],
    });
    assert.equal((await configOf("cfg", "retention.ms")).configValue, "123456");

    await admin.incrementalAlterConfigs({
      resources: [{ ...topic, configEntries: [{ name: "retention.ms", operation: "DELETE" }] }],
    });
    const restored = await configOf("cfg", "retention.ms");
    assert.equal(restored.configValue, "604800000");
    assert.equal(restored.isDefault, true);

    await assert.rejects(
      admin.incrementalAlterConfigs({
        resources: [{ ...topic, configEntries: [{ name: "retention.ms", value: "soon", operation: "SET" }] }],
      }),
      { name: "KafkaJSProtocolError", type: "INVALID_CONFIG" },
    );
    await assert.rejects(
      admin.incrementalAlterConfigs({
        resources: [
          { ...topic, configEntries: [{ name: "retention.ms", value: "1", operation: "REPLACE" as never }] },
        ],
      }),
      { name: "KafkaJSNonRetriableError" },
    );
  });

  it("fetchLag is produced minus committed, after a KafkaJS consumer commits", async () => {
    const producer = kjs.producer();
    toClose.push(producer);
    await producer.connect();
    await producer.send({
      topic: "lag",
      messages: Array.from({ length: 10 }, (_, i) => ({ partition: i % 2, value: `m${i}` })),
    });

    const consumer = kjs.consumer({ groupId: "lagging", maxWaitTimeInMs: 100 });
    toClose.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic: "lag", fromBeginning: true });
    let read = 0;
    await consumer.run({ eachMessage: async () => void read++ });
    await until(async () => read >= 10, 20_000, "consumed");
    // KafkaJS commits on its auto-commit interval; wait for the commit to land.
    await until(
      async () => {
        const lag = await admin.fetchLag({ groupId: "lagging" });
        return lag.topics[0]?.partitions.every((p) => p.offset === "5") && lag;
      },
      20_000,
      "committed",
    );
    await consumer.disconnect();

    await producer.send({
      topic: "lag",
      messages: [
        { partition: 0, value: "x" },
        { partition: 0, value: "y" },
        { partition: 1, value: "z" },
      ],
    });
    const lag = await admin.fetchLag({ groupId: "lagging", topics: ["lag"] });
    assert.deepEqual(lag, {
      groupId: "lagging",
      topics: [
        {
          topic: "lag",
          partitions: [
            { partition: 0, offset: "5", high: "7", lag: "2" },
            { partition: 1, offset: "5", high: "6", lag: "1" },
          ],
          totalLag: "3",
        },
      ],
      totalLag: "3",
    });
    // The same figures from KafkaJS's own offset reads.
    const kjsAdmin = kjs.admin();
    await kjsAdmin.connect();
    const ends = await kjsAdmin.fetchTopicOffsets("lag");
    const committed = (await kjsAdmin.fetchOffsets({ groupId: "lagging", topics: ["lag"] }))[0]!.partitions;
    await kjsAdmin.disconnect();
    for (const p of lag.topics[0]!.partitions) {
      assert.equal(p.high, ends.find((e) => e.partition === p.partition)!.high);
      assert.equal(p.offset, committed.find((c) => c.partition === p.partition)!.offset);
    }

    // A group without commits on a topic: no lag figure, not a made-up one.
    const fresh = await admin.fetchLag({ groupId: "nobody-yet", topics: ["lag"] });
    assert.deepEqual(
      fresh.topics[0]!.partitions.map((p) => [p.offset, p.lag]),
      [
        ["-1", null],
        ["-1", null],
      ],
    );
    assert.equal(fresh.totalLag, "0");
  });

  it("deleteConsumerGroupOffsets removes committed offsets (fetchOffsets then shows -1)", async () => {
    await admin.setOffsets({
      groupId: "to-forget",
      topic: "lag",
      partitions: [
        { partition: 0, offset: "3" },
        { partition: 1, offset: "4" },
      ],
    });
    await admin.deleteConsumerGroupOffsets({ groupId: "to-forget", topic: "lag", partitions: [0] });
    const partly = (await admin.fetchOffsets({ groupId: "to-forget", topics: ["lag"] }))[0]!.partitions;
    assert.deepEqual(
      partly.map((p) => [p.partition, p.offset]),
      [
        [0, "-1"],
        [1, "4"],
      ],
    );
    await admin.deleteConsumerGroupOffsets({ groupId: "to-forget", topic: "lag" });
    const none = (await admin.fetchOffsets({ groupId: "to-forget", topics: ["lag"] }))[0]!.partitions;
    assert.deepEqual(
      none.map((p) => p.offset),
      ["-1", "-1"],
    );
    // KafkaJS's own reader agrees.
    const kjsAdmin = kjs.admin();
    await kjsAdmin.connect();
    const seen = (await kjsAdmin.fetchOffsets({ groupId: "to-forget", topics: ["lag"] }))[0]!.partitions;
    await kjsAdmin.disconnect();
    assert.deepEqual(
      seen.map((p) => p.offset),
      ["-1", "-1"],
    );

    await assert.rejects(admin.deleteConsumerGroupOffsets({ groupId: "never-was", topic: "lag" }), {
      name: "KafkaJSProtocolError",
      type: "GROUP_ID_NOT_FOUND",
    });
  });

  it("deleteConsumerGroupOffsets refuses while members consume the topic", async () => {
    const consumer = kjs.consumer({ groupId: "busy", maxWaitTimeInMs: 100 });
    toClose.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic: "lag", fromBeginning: true });
    let read = 0;
    await consumer.run({ eachMessage: async () => void read++ });
    await until(async () => read > 0, 20_000, "consuming");
    await until(
      async () => (await admin.describeGroups(["busy"])).groups[0]?.state === "Stable",
      20_000,
      "stable group",
    );
    await assert.rejects(admin.deleteConsumerGroupOffsets({ groupId: "busy", topic: "lag" }), {
      type: "GROUP_SUBSCRIBED_TO_TOPIC",
    });
    await consumer.disconnect();
  });

  it("describeLogDirs reports the partitions and their sizes", async () => {
    const dirs = await admin.describeLogDirs();
    assert.equal(dirs.length, 1);
    assert.equal(dirs[0]!.nodeId, 1);
    const all = dirs[0]!.logDirs.flatMap((d) => d.topics);
    const lag = all.filter((t) => t.topic === "lag").flatMap((t) => t.partitions);
    assert.deepEqual(lag.map((p) => p.partition).sort(), [0, 1]);
    assert.ok(
      lag.every((p) => p.size > 0 && p.isFuture === false),
      JSON.stringify(lag),
    );

    const only = await admin.describeLogDirs({ brokers: [1], topics: [{ topic: "cfg", partitions: [0] }] });
    const topics = only[0]!.logDirs.flatMap((d) => d.topics);
    assert.deepEqual(
      topics.map((t) => [t.topic, t.partitions.map((p) => p.partition)]),
      [["cfg", [0]]],
    );
  });

  it("lists and describes the transactions of a KafkaJS transactional producer, and its producer state", async () => {
    const producer = kjs.producer({ transactionalId: "tx-admin", maxInFlightRequests: 1, idempotent: true });
    toClose.push(producer);
    await producer.connect();
    const txn = await producer.transaction();
    await txn.send({ topic: "txn", messages: [{ value: "inside" }] });

    const listed = await admin.listTransactions();
    const mine = listed.find((t) => t.transactionalId === "tx-admin");
    assert.ok(mine, JSON.stringify(listed));
    assert.equal(mine.state, "Ongoing");
    assert.equal(mine.coordinatorId, 1);
    assert.deepEqual(
      (await admin.listTransactions({ states: ["CompleteCommit"] })).filter(
        (t) => t.transactionalId === "tx-admin",
      ),
      [],
    );
    assert.deepEqual(
      (await admin.listTransactions({ producerIds: [mine.producerId] })).map((t) => t.transactionalId),
      ["tx-admin"],
    );

    const [described] = await admin.describeTransactions(["tx-admin"]);
    assert.equal(described!.state, "Ongoing");
    assert.equal(described!.producerId, mine.producerId);
    assert.deepEqual(described!.topicPartitions, [{ topic: "txn", partitions: [0] }]);
    assert.ok(described!.transactionStartTimeMs > 0);

    const producers = await admin.describeProducers({ topic: "txn" });
    assert.equal(producers.length, 1);
    const active = producers[0]!.activeProducers.find((p) => p.producerId === mine.producerId);
    assert.ok(active, JSON.stringify(producers));
    assert.equal(active.lastSequence, 0);
    assert.equal(active.currentTransactionStartOffset, "0");

    await txn.commit();
    await until(
      async () => (await admin.describeTransactions(["tx-admin"]))[0]!.state === "CompleteCommit",
      10_000,
      "committed transaction",
    );
    const afterCommit = await admin.describeProducers({ topic: "txn", partitions: [0] });
    assert.equal(
      afterCommit[0]!.activeProducers.find((p) => p.producerId === mine.producerId)!
        .currentTransactionStartOffset,
      "-1",
    );

    await assert.rejects(admin.describeTransactions(["no-such-txn"]), {
      name: "KafkaJSProtocolError",
      type: "TRANSACTIONAL_ID_NOT_FOUND",
    });
  });

  it("reports the APIs Brook's broker does not serve as unsupported", async () => {
    const unsupported = { name: "KafkaJSServerDoesNotSupportApiKey" };
    await assert.rejects(admin.describeClientQuotas(), unsupported);
    await assert.rejects(
      admin.alterClientQuotas({
        entries: [
          {
            entity: [{ entityType: "client-id", entityName: "x" }],
            ops: [{ key: "producer_byte_rate", value: 1024 }],
          },
        ],
      }),
      unsupported,
    );
    await assert.rejects(admin.describeUserScramCredentials(), unsupported);
    await assert.rejects(
      admin.alterUserScramCredentials({
        upsertions: [{ user: "u", mechanism: "SCRAM-SHA-256", password: "p" }],
      }),
      unsupported,
    );
    await assert.rejects(
      admin.describeAcls({
        resourceType: brook.AclResourceTypes.ANY,
        resourcePatternType: brook.ResourcePatternTypes.ANY,
        operation: brook.AclOperationTypes.ANY,
        permissionType: brook.AclPermissionTypes.ANY,
      }),
      unsupported,
    );
  });
});
