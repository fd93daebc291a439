/**
 * Every producer and admin code sample of the seed articles (../shared/seeds/*.txt), run with Brook's
 * client. The sample code is as written with only the import changed (`require("kafkajs")` /
 * `from "kafkajs"` becomes Brook's client), the broker address (the samples use localhost:9092), and
 * the helpers the articles leave to the reader (hashCode, processMessage, ...) defined here. Each
 * test checks what the sample is meant to do: records are read back through Brook's Fetch path
 * (test/support/fetch-records.ts, an independent batch reader), configs with KafkaJS's admin.
 *
 * Where a sample produces from inside a consumer (billing service, dead-letter queue, inventory
 * service), the consumer is KafkaJS's: Brook's consumer comes later. The consumer samples, and the
 * complete user-service program of seed 002 (producer and consumer from one client), run with
 * KafkaJS in test/groups/seeds.test.ts. Seed 001's `kafka.on('consumer.group_join')` (consumer
 * instrumentation, and no method of KafkaJS's Kafka class) is not run.
 */
import assert from "node:assert/strict";
import { after, afterEach, describe, it } from "node:test";
import {
  type Consumer,
  type Admin as KafkaJSAdmin,
  Kafka as KafkaJS,
  logLevel as kafkajsLogLevel,
} from "kafkajs";
import {
  CompressionTypes,
  Kafka,
  logLevel,
  Partitioners,
  type Producer,
  type RecordMetadata,
} from "../../src/client/index.js";
import { Fetch } from "../../src/protocol/messages/fetch.js";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import { kafkajs } from "../support/clients.js";
import { fetchAllRecords } from "../support/fetch-records.js";
import { readBatchesMinimal } from "../support/kafkajs.js";
import { RawClient } from "../support/raw-client.js";
import { consumerLagOf } from "../groups/fixtures/seed-001-consumer-lag.js";
import { ConsoleCapture, until, untilConsuming } from "../groups/support.js";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

interface StoredRecord {
  partition: number;
  offset: bigint;
  key: string | null;
  value: string | null;
  headers: Record<string, string | undefined>;
}

describe("seed producer and admin samples with Brook's client", () => {
  let tb: TestBroker;
  let out: ConsoleCapture;
  const brokers: TestBroker[] = [];
  /** Each test gets its own broker, so every sample keeps its own topic names. */
  async function broker(): Promise<TestBroker> {
    tb = await startTestBroker({ configs: { "num.partitions": "3", "offsets.topic.num.partitions": "3" } });
    brokers.push(tb);
    out = new ConsoleCapture().start();
    return tb;
  }
  /** KafkaJS consumers a test started: stopped after it even when it fails (they keep the process alive). */
  const consumers: Consumer[] = [];
  const started = (c: Consumer) => {
    consumers.push(c);
    return c;
  };
  afterEach(async () => {
    out?.stop();
    await Promise.allSettled(consumers.splice(0).map((c) => c.disconnect()));
  });
  after(async () => {
    for (const b of brokers) await b.close();
  });

  /** Every record of a topic, all partitions, decoded as text. */
  async function recordsOf(topic: string): Promise<StoredRecord[]> {
    const partitions = tb.broker.topic(topic)?.partitions ?? 0;
    const all: StoredRecord[] = [];
    for (let partition = 0; partition < partitions; partition++) {
      for (const r of await fetchAllRecords(tb.port, topic, partition)) {
        all.push({
          partition,
          offset: r.offset,
          key: r.key?.toString() ?? null,
          value: r.value?.toString() ?? null,
          headers: Object.fromEntries(r.headers.map((h) => [h.key, h.value?.toString()])),
        });
      }
    }
    return all;
  }

  /** How many records a topic holds; 0 while it is still being created (auto-created by a send). */
  const countOf = (topic: string) =>
    recordsOf(topic).then(
      (records) => records.length,
      () => 0,
    );

  /** The stored batches of one partition: codec (attributes & 7) and producer id of each. */
  async function batchesOf(topic: string, partition: number) {
    const c = await RawClient.connect(tb.port);
    try {
      const res = await c.request(Fetch, 11, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 8 << 20,
        isolationLevel: 0,
        sessionEpoch: -1,
        topics: [{ topic, partitions: [{ partition, fetchOffset: 0n, partitionMaxBytes: 8 << 20 }] }],
      });
      const records = res.responses[0]!.partitions[0]!.records ?? Buffer.alloc(0);
      return readBatchesMinimal(records).map((b) => ({
        codec: b.attributes & 7,
        producerId: b.producerId,
        count: b.records.length,
      }));
    } finally {
      c.close();
    }
  }

  /** KafkaJS's admin, to check independently what Brook's admin did. */
  async function withKafkaJSAdmin<T>(fn: (admin: KafkaJSAdmin) => Promise<T>): Promise<T> {
    const admin = new KafkaJS({ brokers: [tb.bootstrap], logLevel: kafkajsLogLevel.NOTHING }).admin();
    await admin.connect();
    try {
      return await fn(admin);
    } finally {
      await admin.disconnect();
    }
  }

  async function topicConfig(topic: string, name: string): Promise<string | undefined> {
    return withKafkaJSAdmin(async (admin) => {
      const r = await admin.describeConfigs({
        resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic, configNames: [name] }],
        includeSynonyms: false,
      });
      return r.resources[0]!.configEntries.find((e) => e.configName === name)?.configValue;
    });
  }

  /** The same admin call with KafkaJS: the error a one-broker Kafka gives the sample as written. */
  async function kafkajsCreateTopicsError(options: Parameters<KafkaJSAdmin["createTopics"]>[0]) {
    return withKafkaJSAdmin(async (admin) => {
      try {
        await admin.createTopics(options);
        return null;
      } catch (e) {
        return errorShape(e);
      }
    });
  }
  const errorShape = (e: unknown) => {
    const err = e as { name: string; errors?: Array<{ name: string; type?: string; topic?: string }> };
    return { name: err.name, errors: (err.errors ?? []).map((x) => [x.name, x.type, x.topic]) };
  };

  it("seed 000: kafka.js with brokers from KAFKA_BROKERS, producer.js publishOrderCreated, billing-service emits payment.captured", async () => {
    await broker();
    process.env.KAFKA_BROKERS = tb.bootstrap;
    // kafka.js
    const kafka = new Kafka({
      clientId: "order-service",
      brokers: (process.env.KAFKA_BROKERS ?? "localhost:9092").split(","),
      logLevel: logLevel.INFO,
      retry: { initialRetryTime: 300, retries: 8 },
    });
    delete process.env.KAFKA_BROKERS;

    // producer.js
    const producer = kafka.producer();
    async function publishOrderCreated(order: { id: string; customerId: string; total: number }) {
      await producer.connect();
      await producer.send({
        topic: "order.created",
        messages: [
          {
            key: order.customerId, // same customer -> same partition -> ordered
            value: JSON.stringify(order),
            headers: { "content-type": "application/json" },
          },
        ],
      });
    }
    // Demo
    await publishOrderCreated({ id: "o-1001", customerId: "c-42", total: 79.95 });
    console.log("Published order.created for o-1001");
    // Two more, so the ordering claim can be checked (publishOrderCreated connects again each time).
    await publishOrderCreated({ id: "o-1002", customerId: "c-7", total: 10 });
    await publishOrderCreated({ id: "o-1003", customerId: "c-42", total: 5 });
    await producer.disconnect();
    assert.deepEqual(out.matching(/^Published/), ["Published order.created for o-1001"]);
    const orders = await recordsOf("order.created");
    assert.equal(orders.length, 3);
    for (const r of orders) assert.deepEqual(r.headers, { "content-type": "application/json" });
    const c42 = orders.filter((r) => r.key === "c-42");
    assert.equal(new Set(c42.map((r) => r.partition)).size, 1, "c-42's orders share a partition");
    assert.deepEqual(
      c42.map((r) => JSON.parse(r.value!).id),
      ["o-1001", "o-1003"],
      "and keep their order",
    );
    assert.deepEqual(JSON.parse(orders.find((r) => r.key === "c-42")!.value!), {
      id: "o-1001",
      customerId: "c-42",
      total: 79.95,
    });

    // billing-service.js: a KafkaJS consumer (Brook's consumer comes later), Brook's producer.
    const consumerKafka = new KafkaJS({ brokers: [tb.bootstrap], logLevel: kafkajsLogLevel.NOTHING });
    const consumer = started(consumerKafka.consumer({ groupId: "billing-service", maxWaitTimeInMs: 100 }));
    const billingProducer = kafka.producer();
    await billingProducer.connect();
    await consumer.connect();
    await consumer.subscribe({ topic: "stock.reserved" });
    let seen = 0;
    await consumer.run({
      eachMessage: async ({ message }) => {
        const order = JSON.parse(message.value!.toString());
        seen++;
        if (order.marker) return; // the test's readiness markers (see untilConsuming)
        // charge(order) ...
        await billingProducer.send({
          topic: "payment.captured",
          messages: [{ key: order.id, value: JSON.stringify(order) }],
        });
        console.log(`payment.captured emitted for ${order.id}`);
      },
    });
    const upstream = consumerKafka.producer();
    await upstream.connect();
    try {
      await untilConsuming(upstream, "stock.reserved", 3, () => seen > 0);
      await upstream.send({
        topic: "stock.reserved",
        messages: [{ key: "o-1001", value: JSON.stringify({ id: "o-1001", total: 79.95 }) }],
      });
      await until(() => out.matching(/payment.captured emitted for o-1001/).length === 1, 15000, "billing");
    } finally {
      await consumer.disconnect();
      await upstream.disconnect();
      await billingProducer.disconnect();
    }
    const captured = await recordsOf("payment.captured");
    assert.deepEqual(
      captured.map((r) => [r.key, JSON.parse(r.value!)]),
      [["o-1001", { id: "o-1001", total: 79.95 }]],
    );
  });

  it("seed 001: basic, batch (gzip), acks and idempotent producers, custom partitioner, producer events, sendWithRetry", async () => {
    await broker();
    // kafka.ts (its producer half; the consumer half runs in test/groups/seeds.test.ts)
    const kafka = new Kafka({
      clientId: "my-app",
      brokers: [tb.bootstrap],
      logLevel: logLevel.INFO,
    });
    const producer: Producer = kafka.producer();
    await producer.connect();

    interface OrderEvent {
      orderId: string;
      userId: string;
      items: { productId: string; quantity: number }[];
      total: number;
      timestamp: Date;
    }
    // Basic Producer
    async function sendOrder(order: OrderEvent) {
      await producer.send({
        topic: "orders",
        messages: [
          {
            key: order.orderId,
            value: JSON.stringify(order),
            headers: {
              "event-type": "order-created",
              source: "order-service",
            },
          },
        ],
      });
      console.log(`Order ${order.orderId} sent`);
    }
    // Batch Producer
    async function sendBatch(orders: OrderEvent[]) {
      const messages = orders.map((order) => ({
        key: order.orderId,
        value: JSON.stringify(order),
      }));
      await producer.send({
        topic: "orders",
        messages,
      });
      console.log(`Sent ${orders.length} orders`);
    }
    const order = (i: number): OrderEvent => ({
      orderId: `ord-${i}`,
      userId: `u-${i % 7}`,
      items: [{ productId: "p1", quantity: i }],
      total: i * 2.5,
      timestamp: new Date(1_700_000_000_000 + i),
    });
    await sendOrder(order(0));
    await sendBatch(Array.from({ length: 20 }, (_, i) => order(i + 1)));
    // With compression
    const messages = Array.from({ length: 20 }, (_, i) => ({
      key: order(i + 21).orderId,
      value: JSON.stringify(order(i + 21)),
    }));
    await producer.send({
      topic: "orders",
      compression: CompressionTypes.GZIP,
      messages,
    });
    assert.deepEqual(out.matching(/^(Order|Sent) /), ["Order ord-0 sent", "Sent 20 orders"]);
    const stored = await recordsOf("orders");
    assert.deepEqual(
      stored.map((r) => JSON.parse(r.value!).orderId).sort(),
      Array.from({ length: 41 }, (_, i) => `ord-${i}`).sort(),
    );
    const first = stored.find((r) => r.key === "ord-0")!;
    assert.deepEqual(first.headers, { "event-type": "order-created", source: "order-service" });
    assert.deepEqual(JSON.parse(first.value!), JSON.parse(JSON.stringify(order(0))));
    const codecs = new Set<number>();
    for (let p = 0; p < 3; p++) for (const b of await batchesOf("orders", p)) codecs.add(b.codec);
    assert.deepEqual([...codecs].sort(), [0, 1], "plain batches and the gzip batches");

    // Producer with Acknowledgments
    {
      const kafka = new Kafka({
        clientId: "my-app",
        brokers: [tb.bootstrap],
      });
      const producer = kafka.producer({
        allowAutoTopicCreation: true,
        transactionTimeout: 30000,
      });
      // Idempotent producer (exactly-once semantics)
      const idempotentProducer = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
      });
      async function sendWithAck(topic: string, message: any) {
        const result = await producer.send({
          topic,
          messages: [{ value: JSON.stringify(message) }],
          acks: -1, // Wait for all replicas
        });
        console.log("Message sent:", result);
        return result;
      }
      await producer.connect();
      const result = await sendWithAck("acked", { hello: "world" });
      assert.equal(result.length, 1);
      // KafkaJS's RecordMetadata for this send, field for field (the partition is the partitioner's pick).
      assert.deepEqual(result[0], {
        topicName: "acked",
        partition: result[0]!.partition,
        errorCode: 0,
        baseOffset: "0",
        logAppendTime: "-1",
        logStartOffset: "0",
      });
      assert.equal(out.matching(/^Message sent: \[\{"topicName":"acked"/).length, 1);
      await producer.disconnect();
      // The sample defines idempotentProducer without using it: it must write with a producer id.
      await idempotentProducer.connect();
      await idempotentProducer.send({
        topic: "acked-idempotent",
        messages: [{ partition: 0, value: "once" }],
      });
      await idempotentProducer.disconnect();
      const [batch] = await batchesOf("acked-idempotent", 0);
      assert.ok(batch!.producerId >= 0n, `an idempotent batch carries a producer id (${batch!.producerId})`);
    }

    // Partition Assignment
    const order1 = order(101);
    const order2 = order(102);
    const order3 = order(103);
    await producer.send({
      topic: "orders",
      messages: [
        { key: "user-123", value: JSON.stringify(order1) },
        { key: "user-123", value: JSON.stringify(order2) }, // Same partition
        { key: "user-456", value: JSON.stringify(order3) }, // Different partition
      ],
    });
    const byUser = (await recordsOf("orders")).filter((r) => r.key?.startsWith("user-"));
    const user123 = byUser.filter((r) => r.key === "user-123");
    assert.equal(new Set(user123.map((r) => r.partition)).size, 1);
    assert.deepEqual(
      user123.map((r) => JSON.parse(r.value!).orderId),
      ["ord-101", "ord-102"],
    );
    // (user-456 may share the partition by chance: 6 partitions are not created here, 3 by default.)

    // Custom partitioner (hashCode: Java's String.hashCode, which the article leaves to the reader)
    const hashCode = (s: string) => {
      let h = 0;
      for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
      return h;
    };
    {
      const producer = kafka.producer({
        createPartitioner: () => {
          // biome-ignore lint/correctness/noUnusedFunctionParameters: the article's signature
          return ({ topic, partitionMetadata, message }) => {
            // Custom logic to determine partition
            const numPartitions = partitionMetadata.length;
            const key = message.key?.toString() || "";
            return Math.abs(hashCode(key)) % numPartitions;
          };
        },
      });
      await producer.connect();
      const keys = Array.from({ length: 30 }, (_, i) => `customer-${i}`);
      await producer.send({
        topic: "custom-partitioned",
        messages: keys.map((key) => ({ key, value: key })),
      });
      await producer.disconnect();
      const got = await recordsOf("custom-partitioned");
      assert.equal(got.length, 30);
      for (const r of got) assert.equal(r.partition, Math.abs(hashCode(r.key!)) % 3, r.key!);
    }

    // Producer Error Handling
    {
      const producer = kafka.producer();
      producer.on("producer.connect", () => {
        console.log("Producer connected");
      });
      producer.on("producer.disconnect", () => {
        console.log("Producer disconnected");
      });
      producer.on("producer.network.request_timeout", (payload) => {
        console.error("Request timeout:", payload);
      });
      async function sendWithRetry(topic: string, message: any, retries = 3) {
        for (let attempt = 1; attempt <= retries; attempt++) {
          try {
            return await producer.send({
              topic,
              messages: [{ value: JSON.stringify(message) }],
            });
          } catch (error) {
            console.error(`Attempt ${attempt} failed:`, error);
            if (attempt === retries) throw error;
            await new Promise((r) => setTimeout(r, 1000 * attempt));
          }
        }
      }
      // The sample leaves connecting to the application.
      await producer.connect();
      const sent = (await sendWithRetry("retried", { n: 1 })) as RecordMetadata[];
      assert.equal(sent[0]!.errorCode, 0);
      await producer.disconnect();
      assert.deepEqual(out.matching(/^Producer (connected|disconnected)$/), [
        "Producer connected",
        "Producer disconnected",
      ]);
      assert.deepEqual(out.matching(/Attempt|Request timeout/), []);
      assert.deepEqual(
        (await recordsOf("retried")).map((r) => r.value),
        ['{"n":1}'],
      );
    }
    await producer.disconnect();
  });

  it("seed 001: topic management (replicationFactor 3 on one broker, then 1) and listTopics", async () => {
    await broker();
    const kafka = new Kafka({ clientId: "my-app", brokers: [tb.bootstrap], logLevel: logLevel.INFO });
    const admin = kafka.admin();
    const topicsAsWritten = [
      {
        topic: "orders",
        numPartitions: 6,
        replicationFactor: 3,
        configEntries: [
          { name: "retention.ms", value: "604800000" }, // 7 days
          { name: "cleanup.policy", value: "delete" },
        ],
      },
      {
        topic: "users",
        numPartitions: 3,
        replicationFactor: 3,
        configEntries: [
          { name: "cleanup.policy", value: "compact" }, // Keep latest per key
        ],
      },
    ];
    let replicationFactor = 3;
    async function createTopics() {
      await admin.connect();
      await admin.createTopics({
        topics: topicsAsWritten.map((t) => ({ ...t, replicationFactor })),
      });
      await admin.disconnect();
    }
    async function listTopics() {
      await admin.connect();
      const topics = await admin.listTopics();
      console.log("Topics:", topics);
      await admin.disconnect();
    }
    // As written: three replicas on a one-broker cluster fail, as with KafkaJS against Kafka.
    const asWritten = await createTopics().then(
      () => null,
      (e: unknown) => errorShape(e),
    );
    await admin.disconnect();
    assert.deepEqual(asWritten, {
      name: "KafkaJSAggregateError",
      errors: [
        ["KafkaJSCreateTopicError", "INVALID_REPLICATION_FACTOR", "orders"],
        ["KafkaJSCreateTopicError", "INVALID_REPLICATION_FACTOR", "users"],
      ],
    });
    assert.deepEqual(asWritten, await kafkajsCreateTopicsError({ topics: topicsAsWritten }));
    // With the one replica this cluster has, the topics exist with the sample's configs.
    replicationFactor = 1;
    await createTopics();
    await listTopics();
    const [listed, ...more] = out.matching(/^Topics: /);
    assert.equal(more.length, 0);
    assert.deepEqual(JSON.parse(listed!.slice("Topics: ".length)).sort(), ["orders", "users"]);
    assert.equal(tb.broker.topic("orders")!.partitions, 6);
    assert.equal(tb.broker.topic("users")!.partitions, 3);
    assert.equal(await topicConfig("orders", "retention.ms"), "604800000");
    assert.equal(await topicConfig("orders", "cleanup.policy"), "delete");
    assert.equal(await topicConfig("users", "cleanup.policy"), "compact");
  });

  it("seed 001: dead-letter queue, order service and inventory service produce from KafkaJS consumers", async () => {
    await broker();
    const kafka = new Kafka({ clientId: "my-app", brokers: [tb.bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const consumerKafka = new KafkaJS({ brokers: [tb.bootstrap], logLevel: kafkajsLogLevel.NOTHING });
    const processMessage = async (message: { value: Buffer | null }) => {
      if (JSON.parse(message.value!.toString()).poison) throw new Error("poison message");
    };

    // Consumer Error Handling: failed messages go to <topic>.dlq with their key, value and headers.
    const consumer = started(consumerKafka.consumer({ groupId: "dlq-demo", maxWaitTimeInMs: 100 }));
    await consumer.connect();
    await consumer.subscribe({ topic: "payments", fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        void partition;
        try {
          await processMessage(message);
        } catch (error: any) {
          console.error("Processing error:", error);
          // Send to dead letter queue
          await producer.send({
            topic: `${topic}.dlq`,
            messages: [
              {
                key: message.key,
                value: message.value,
                headers: {
                  ...message.headers,
                  error: error.message,
                  "original-topic": topic,
                  "failed-at": new Date().toISOString(),
                },
              },
            ],
          });
        }
      },
    });
    await producer.send({
      topic: "payments",
      messages: [
        { key: "pay-1", value: JSON.stringify({ amount: 5 }) },
        { key: "pay-2", value: JSON.stringify({ amount: 7, poison: true }), headers: { trace: "t-2" } },
      ],
    });
    await until(async () => (await countOf("payments.dlq")) === 1, 15000, "dead-lettered");
    await consumer.disconnect();
    const [dead] = await recordsOf("payments.dlq");
    assert.equal(dead!.key, "pay-2");
    assert.deepEqual(JSON.parse(dead!.value!), { amount: 7, poison: true });
    assert.equal(dead!.headers.trace, "t-2");
    assert.equal(dead!.headers.error, "poison message");
    assert.equal(dead!.headers["original-topic"], "payments");
    assert.ok(!Number.isNaN(Date.parse(dead!.headers["failed-at"]!)));
    assert.deepEqual(out.matching(/^ERROR Processing error:/), ["ERROR Processing error: poison message"]);

    // Order Service + Inventory Service
    const orderRepository = {
      create: async (data: { items: Array<{ productId: string; quantity: number }> }) => ({
        id: "o-77",
        ...data,
      }),
    };
    class OrderService {
      orderRepository = orderRepository;
      async createOrder(orderData: { items: Array<{ productId: string; quantity: number }> }) {
        const order = await this.orderRepository.create(orderData);
        // Publish event
        await producer.send({
          topic: "orders",
          messages: [
            {
              key: order.id,
              value: JSON.stringify({
                type: "ORDER_CREATED",
                data: order,
                timestamp: new Date().toISOString(),
              }),
            },
          ],
        });
        return order;
      }
    }
    const reserved: string[] = [];
    const inventoryRepository = {
      reserve: async (productId: string, quantity: number) => void reserved.push(`${productId}x${quantity}`),
    };
    async function reserveInventory(order: {
      id: string;
      items: Array<{ productId: string; quantity: number }>;
    }) {
      for (const item of order.items) {
        await inventoryRepository.reserve(item.productId, item.quantity);
      }
      // Publish inventory reserved event
      await producer.send({
        topic: "inventory",
        messages: [
          {
            key: order.id,
            value: JSON.stringify({
              type: "INVENTORY_RESERVED",
              orderId: order.id,
              timestamp: new Date().toISOString(),
            }),
          },
        ],
      });
    }
    const inventoryConsumer = started(
      consumerKafka.consumer({ groupId: "inventory-service", maxWaitTimeInMs: 100 }),
    );
    await inventoryConsumer.connect();
    // fromBeginning: the order below may be produced before the group's first fetch.
    await inventoryConsumer.subscribe({ topic: "orders", fromBeginning: true });
    await inventoryConsumer.run({
      eachMessage: async ({ message }) => {
        const event = JSON.parse(message.value!.toString());
        switch (event.type) {
          case "ORDER_CREATED":
            await reserveInventory(event.data);
            break;
        }
      },
    });
    const created = await new OrderService().createOrder({ items: [{ productId: "p7", quantity: 2 }] });
    assert.equal(created.id, "o-77");
    await until(async () => (await countOf("inventory")) === 1, 15000, "inventory reserved");
    await inventoryConsumer.disconnect();
    assert.deepEqual(reserved, ["p7x2"]);
    const [event] = await recordsOf("inventory");
    assert.equal(event!.key, "o-77");
    assert.equal(JSON.parse(event!.value!).type, "INVENTORY_RESERVED");
    const [orderEvent] = await recordsOf("orders");
    assert.equal(JSON.parse(orderEvent!.value!).data.items[0].productId, "p7");
    await producer.disconnect();
  });

  it("seed 001: getConsumerLag with Brook's admin gives what KafkaJS 2.x gives", async () => {
    await broker();
    const kafka = new Kafka({ clientId: "my-app", brokers: [tb.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "orders", numPartitions: 3 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: "orders",
      messages: Array.from({ length: 9 }, (_, i) => ({ partition: i % 3, value: `o${i}` })),
    });
    await producer.disconnect();
    await admin.setOffsets({
      groupId: "analytics",
      topic: "orders",
      partitions: [
        { partition: 0, offset: "1" },
        { partition: 1, offset: "2" },
        { partition: 2, offset: "3" },
      ],
    });
    await admin.disconnect();
    // The article's function (fixtures/seed-001-consumer-lag.ts) with Brook's admin and with KafkaJS's.
    // Written for KafkaJS 1.x (one fetchOffsets entry per partition), it yields one row of NaN with
    // KafkaJS 2.x's { topic, partitions } entries; Brook's admin must give the very same rows.
    // The fixture is typed with KafkaJS's Admin; whether Brook's Admin type is assignable to it is
    // test/client/types.test.ts's business, so the cast keeps this test about behaviour.
    const brookLag = await consumerLagOf(admin as unknown as KafkaJSAdmin)("analytics");
    const kafkajsAdmin = new KafkaJS({ brokers: [tb.bootstrap], logLevel: kafkajsLogLevel.NOTHING }).admin();
    const kafkajsLag = await consumerLagOf(kafkajsAdmin)("analytics");
    assert.deepEqual(brookLag, kafkajsLag);
    assert.equal(brookLag.length, 1);
    assert.ok(Number.isNaN(brookLag[0]!.lag));
    // What the function means to compute, from the same two calls: 3 - offset per partition.
    await admin.connect();
    const [{ partitions }] = await admin.fetchOffsets({ groupId: "analytics", topics: ["orders"] });
    const ends = await admin.fetchTopicOffsets("orders");
    await admin.disconnect();
    assert.deepEqual(
      partitions
        .map((p) => [
          p.partition,
          Number(ends.find((e) => e.partition === p.partition)!.offset) - Number(p.offset),
        ])
        .sort(),
      [
        [0, 2],
        [1, 1],
        [2, 0],
      ],
    );
  });

  it("seed 002: client with retry, send with key, acks -1, headers, gzip, retry options, idempotent, events, singleton, shutdown", async () => {
    await broker();
    // Creating a Kafka Client (`const { Kafka } = require('kafkajs')` becomes Brook's client)
    const kafka = new Kafka({
      clientId: "my-app",
      brokers: [tb.bootstrap],
      retry: {
        initialRetryTime: 100,
        retries: 8,
      },
      logLevel: logLevel.NOTHING,
    });

    // Creating and Connecting the Producer + Health Checks and Monitoring
    const producer = kafka.producer();
    producer.on("producer.connect", () => console.log("Producer connected"));
    producer.on("producer.disconnect", () => console.log("Producer disconnected"));
    await producer.connect();
    console.log("Producer connected");

    // Sending Messages
    const t0 = Date.now();
    await producer.send({
      topic: "user-events",
      messages: [
        {
          key: "user-123",
          value: JSON.stringify({ event: "signup", timestamp: t0 }),
        },
      ],
    });
    // Understanding Acknowledgment Levels
    await producer.send({
      topic: "user-events",
      acks: -1, // Wait for all replicas
      messages: [{ key: "user-123", value: JSON.stringify({ event: "signup" }) }],
    });
    // Message Headers
    await producer.send({
      topic: "user-events",
      messages: [
        {
          key: "user-123",
          value: JSON.stringify({ event: "signup" }),
          headers: {
            "correlation-id": "uuid-here",
            "trace-id": "span-id",
            "content-type": "application/json",
          },
        },
      ],
    });
    // Compression for Efficiency
    const largeMessagePayload = JSON.stringify(
      Array.from({ length: 2000 }, (_, i) => ({
        event: "page-view",
        userId: "user-123",
        page: `/p/${i % 10}`,
      })),
    );
    await producer.send({
      topic: "user-events",
      compression: CompressionTypes.GZIP,
      messages: [{ key: "user-123", value: largeMessagePayload }],
    });
    // Manual Error Handling
    const data = { event: "logout" };
    try {
      await producer.send({
        topic: "user-events",
        messages: [{ key: "user-123", value: JSON.stringify(data) }],
      });
    } catch (error) {
      console.error("Failed to send message:", error);
      // Implement fallback: write to dead letter queue, log, etc.
    }
    const events = await recordsOf("user-events");
    assert.equal(events.length, 5);
    assert.equal(new Set(events.map((r) => r.partition)).size, 1, "one key, one partition, in order");
    assert.deepEqual(
      events.map((r) => (r.value === largeMessagePayload ? "large" : JSON.parse(r.value!).event)),
      ["signup", "signup", "signup", "large", "logout"],
    );
    assert.equal(JSON.parse(events[0]!.value!).timestamp, t0);
    assert.deepEqual(events[2]!.headers, {
      "correlation-id": "uuid-here",
      "trace-id": "span-id",
      "content-type": "application/json",
    });
    const codecs = (await batchesOf("user-events", events[0]!.partition)).map((b) => b.codec);
    assert.deepEqual(codecs, [0, 0, 0, 1, 0], "only the large payload's batch is gzip");
    assert.deepEqual(out.matching(/^ERROR Failed/), []);

    // Automatic Retry Configuration
    {
      const producer = kafka.producer({
        retry: {
          initialRetryTime: 100,
          retries: 5,
          maxRetryTime: 30000,
          factor: 2,
          multiplier: 2,
        },
      });
      await producer.connect();
      await producer.send({ topic: "retry-configured", messages: [{ value: "ok" }] });
      await producer.disconnect();
      assert.deepEqual(
        (await recordsOf("retry-configured")).map((r) => r.value),
        ["ok"],
      );
    }
    // Idempotent Producer (maxInFlightRequests: 5, as written; KafkaJS accepts it)
    {
      const producer = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 5,
      });
      await producer.connect();
      for (let i = 0; i < 10; i++) {
        await producer.send({ topic: "idempotent", messages: [{ partition: 0, value: `v${i}` }] });
      }
      await producer.disconnect();
      assert.deepEqual(
        (await recordsOf("idempotent")).map((r) => r.value),
        Array.from({ length: 10 }, (_, i) => `v${i}`),
      );
      const batches = await batchesOf("idempotent", 0);
      assert.equal(new Set(batches.map((b) => b.producerId)).size, 1);
      assert.ok(batches[0]!.producerId >= 0n);
    }

    // Connection Management: one producer, connected once, reused.
    let producerInstance: Producer | null = null;
    let connects = 0;
    async function getProducer() {
      if (!producerInstance) {
        producerInstance = kafka.producer();
        producerInstance.on("producer.connect", () => void connects++);
        await producerInstance.connect();
      }
      return producerInstance;
    }
    const [p1, p2] = [await getProducer(), await getProducer()];
    assert.equal(p1, p2);
    await p2.send({ topic: "singleton", messages: [{ value: "shared" }] });
    assert.equal(connects, 1);

    // Graceful Shutdown (the consumer line aside: Brook's consumer comes later)
    async function shutdown() {
      await producer.disconnect();
      console.log("Disconnected from Kafka");
    }
    await shutdown();
    await p1.disconnect();
    assert.deepEqual(out.matching(/^(Producer|Disconnected)/), [
      "Producer connected",
      "Producer connected",
      "Producer disconnected",
      "Disconnected from Kafka",
    ]);
    await assert.rejects(
      producer.send({ topic: "user-events", messages: [{ value: "after shutdown" }] }),
      (e: Error) => e.name === "KafkaJSError" && /disconnected/.test(e.message),
    );
  });

  it("seed 002: topic configuration (replicationFactor 3, min.insync.replicas 2) on one broker, then with one replica", async () => {
    await broker();
    const kafka = new Kafka({ clientId: "my-app", brokers: [tb.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const topics = [
      {
        topic: "user-events",
        numPartitions: 3,
        replicationFactor: 3,
        configEntries: [
          { name: "retention.ms", value: "604800000" }, // 7 days
          { name: "min.insync.replicas", value: "2" },
        ],
      },
    ];
    const asWritten = await admin.createTopics({ topics }).then(
      () => null,
      (e: unknown) => errorShape(e),
    );
    assert.deepEqual(asWritten, {
      name: "KafkaJSAggregateError",
      errors: [["KafkaJSCreateTopicError", "INVALID_REPLICATION_FACTOR", "user-events"]],
    });
    assert.deepEqual(asWritten, await kafkajsCreateTopicsError({ topics }));
    assert.equal(
      await admin.createTopics({ topics: topics.map((t) => ({ ...t, replicationFactor: 1 })) }),
      true,
    );
    await admin.disconnect();
    assert.equal(tb.broker.topic("user-events")!.partitions, 3);
    assert.equal(await topicConfig("user-events", "retention.ms"), "604800000");
    assert.equal(await topicConfig("user-events", "min.insync.replicas"), "2");
  });

  it("seed 003: the order.placed producer (no clientId) sends, keyed by order id", async () => {
    await broker();
    const orderId = 4711;
    const customerId = "c-1";
    const items = [{ sku: "s1", qty: 2 }];
    const total = 19.9;
    // `const { Kafka } = require('kafkajs')` becomes Brook's client
    const kafka = new Kafka({ brokers: [tb.bootstrap] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: "order.placed",
      messages: [
        {
          key: orderId.toString(), // same orderId → same partition → ordered
          value: JSON.stringify({
            orderId,
            customerId,
            items,
            total,
            placedAt: new Date().toISOString(),
          }),
        },
      ],
    });
    await producer.disconnect();
    const [placed, ...rest] = await recordsOf("order.placed");
    assert.equal(rest.length, 0);
    assert.equal(placed!.key, "4711");
    const value = JSON.parse(placed!.value!);
    assert.deepEqual(
      { ...value, placedAt: undefined },
      { orderId, customerId, items, total, placedAt: undefined },
    );
    assert.ok(Math.abs(Date.parse(value.placedAt) - Date.now()) < 60_000);
  });

  it("seed 004: LegacyPartitioner producer with headers, batch sending, key selection: KafkaJS's legacy partitions", async () => {
    await broker();
    const kafka = new Kafka({
      clientId: "my-producer",
      brokers: [tb.bootstrap],
    });
    const producer = kafka.producer({
      createPartitioner: Partitioners.LegacyPartitioner,
    });
    await producer.connect();
    // Send a single message
    await producer.send({
      topic: "user-events",
      messages: [
        {
          key: "user-123", // Used for partitioning
          value: JSON.stringify({
            event: "user.registered",
            userId: "user-123",
            email: "[email protected]",
            timestamp: new Date().toISOString(),
          }),
          headers: {
            "content-type": "application/json",
            source: "user-service",
          },
        },
      ],
    });
    // Batch sending (more efficient)
    const events = Array.from({ length: 40 }, (_, i) => ({ orderId: `order-${i}`, status: "placed" }));
    await producer.send({
      topic: "order-events",
      messages: events.map((event) => ({
        key: event.orderId,
        value: JSON.stringify(event),
      })),
    });
    // Key Selection and Partitioning: all events for user-123 go to the same partition
    const event = { event: "user.updated", userId: "user-123" };
    await producer.send({
      topic: "user-events",
      messages: [{ key: "user-123", value: JSON.stringify(event) }],
    });
    await producer.disconnect();

    // KafkaJS's LegacyPartitioner, asked directly, picks the partition of every keyed record.
    const legacy = kafkajs.Partitioners.LegacyPartitioner();
    const partitionMetadata = Array.from({ length: 3 }, (_, partitionId) => ({
      partitionId,
      leader: tb.broker.nodeId,
      partitionErrorCode: 0,
      replicas: [tb.broker.nodeId],
      isr: [tb.broker.nodeId],
    }));
    const expectedPartition = (topic: string, key: string) =>
      legacy({ topic, partitionMetadata, message: { key, value: null } });
    const orderRecords = await recordsOf("order-events");
    assert.equal(orderRecords.length, 40);
    for (const r of orderRecords)
      assert.equal(r.partition, expectedPartition("order-events", r.key!), r.key!);
    assert.ok(new Set(orderRecords.map((r) => r.partition)).size > 1, "the batch spreads over partitions");
    const userRecords = await recordsOf("user-events");
    assert.deepEqual(
      userRecords.map((r) => [r.partition, JSON.parse(r.value!).event]),
      [
        [expectedPartition("user-events", "user-123"), "user.registered"],
        [expectedPartition("user-events", "user-123"), "user.updated"],
      ],
    );
    assert.deepEqual(userRecords[0]!.headers, { "content-type": "application/json", source: "user-service" });
  });
});
