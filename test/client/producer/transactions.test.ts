/**
 * Transactions with Brook's producer against a real Brook broker, read back by KafkaJS 2.2.4's
 * consumer (read_committed, its default) and admin: commit and abort, offsets sent within a
 * transaction, fencing by a second producer with the same transactional id (compared with what
 * KafkaJS reports in the same situation), and KafkaJS's state-machine errors.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Consumer, Kafka as KafkaJSKafka } from "kafkajs";
import { Kafka, KafkaJSNonRetriableError, logLevel, type Producer } from "../../../src/client/index.js";
import { ErrorCode } from "../../../src/protocol/error-codes.js";
import { CreateTopics, OffsetFetch } from "../../../src/protocol/messages/index.js";
import { startTestBroker, type TestBroker } from "../../../src/testing/index.js";
import { kafkajs } from "../../support/clients.js";
import { fetchAllRecords } from "../../support/fetch-records.js";
import { RawClient } from "../../support/raw-client.js";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("producer: transactions", () => {
  let tb: TestBroker;
  let kafka: Kafka;
  let reference: KafkaJSKafka;
  const producers: Array<{ disconnect(): Promise<void> }> = [];
  const consumers: Consumer[] = [];

  before(async () => {
    tb = await startTestBroker({
      configs: { "offsets.topic.num.partitions": "3", "transaction.state.log.num.partitions": "3" },
    });
    kafka = new Kafka({ clientId: "txn-test", brokers: [tb.bootstrap], logLevel: logLevel.NOTHING });
    reference = new kafkajs.Kafka({
      clientId: "txn-test",
      brokers: [tb.bootstrap],
      logLevel: kafkajs.logLevel.NOTHING,
    });
  });
  after(async () => {
    await Promise.allSettled(consumers.map((c) => c.disconnect()));
    await Promise.allSettled(producers.map((p) => p.disconnect()));
    await tb.close();
  });

  async function createTopic(name: string, numPartitions = 1) {
    const c = await RawClient.connect(tb.port);
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

  async function transactional(transactionalId: string): Promise<Producer> {
    const p = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
    await p.connect();
    producers.push(p);
    return p;
  }

  /** Values a read_committed KafkaJS consumer sees; waits until `count` arrived (then a little longer). */
  async function readCommitted(topic: string, count: number): Promise<string[]> {
    const consumer = reference.consumer({ groupId: `reader-${topic}`, maxWaitTimeInMs: 100 });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const values: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void values.push(message.value!.toString()) });
    const deadline = performance.now() + 20_000;
    while (values.length < count && performance.now() < deadline) await sleep(100);
    await sleep(500);
    await consumer.disconnect();
    return values;
  }

  it("committed records are visible to read_committed, aborted ones never; unawaited sends are flushed first", {
    timeout: 60_000,
  }, async () => {
    await createTopic("txn-data", 2);
    const p = await transactional("txn-data-1");
    const t1 = await p.transaction();
    assert.equal(t1.isActive(), true);
    await t1.send({ topic: "txn-data", messages: [{ partition: 0, value: "committed-1" }] });
    // Not awaited: commit() must wait for these to be written.
    const pending = [
      t1.send({ topic: "txn-data", messages: [{ partition: 1, value: "committed-2" }] }),
      t1.sendBatch({
        topicMessages: [{ topic: "txn-data", messages: [{ partition: 0, value: "committed-3" }] }],
      }),
    ];
    await t1.commit();
    assert.equal(t1.isActive(), false);
    for (const r of await Promise.all(pending)) assert.equal(r[0]!.errorCode, 0);

    const t2 = await p.transaction();
    await t2.send({
      topic: "txn-data",
      messages: [
        { partition: 0, value: "aborted-1" },
        { partition: 1, value: "aborted-2" },
      ],
    });
    await t2.abort();

    const t3 = await p.transaction();
    await t3.send({ topic: "txn-data", messages: [{ partition: 1, value: "committed-4" }] });
    await t3.commit();

    const seen = await readCommitted("txn-data", 4);
    assert.deepEqual([...seen].sort(), ["committed-1", "committed-2", "committed-3", "committed-4"]);
    // The aborted records were written (read_uncommitted would see them) and are marked transactional.
    const raw = [
      ...(await fetchAllRecords(tb.port, "txn-data", 0)),
      ...(await fetchAllRecords(tb.port, "txn-data", 1)),
    ];
    assert.ok(raw.some((r) => r.value?.toString() === "aborted-1"));
  });

  it("sendOffsets commits the group's offsets only when the transaction commits", {
    timeout: 60_000,
  }, async () => {
    await createTopic("txn-offsets-in", 2);
    await createTopic("txn-offsets-out");
    const admin = reference.admin();
    await admin.connect();
    try {
      const p = await transactional("txn-offsets-1");
      const offsetsOf = async () =>
        (await admin.fetchOffsets({ groupId: "txn-group", topics: ["txn-offsets-in"] }))[0]!.partitions
          .map(({ partition, offset }) => ({ partition, offset }))
          .sort((a, b) => a.partition - b.partition);

      const aborted = await p.transaction();
      await aborted.send({ topic: "txn-offsets-out", messages: [{ value: "x" }] });
      await aborted.sendOffsets({
        consumerGroupId: "txn-group",
        topics: [
          {
            topic: "txn-offsets-in",
            partitions: [
              { partition: 0, offset: "5" },
              { partition: 1, offset: "7" },
            ],
          },
        ],
      });
      await aborted.abort();
      assert.deepEqual(await offsetsOf(), [
        { partition: 0, offset: "-1" },
        { partition: 1, offset: "-1" },
      ]);

      const committed = await p.transaction();
      // Offsets alone make a transaction worth committing (no records sent).
      await committed.sendOffsets({
        consumerGroupId: "txn-group",
        topics: [
          {
            topic: "txn-offsets-in",
            partitions: [
              { partition: 0, offset: "10" },
              { partition: 1, offset: "3" },
            ],
          },
        ],
      });
      await committed.commit();
      assert.deepEqual(await offsetsOf(), [
        { partition: 0, offset: "10" },
        { partition: 1, offset: "3" },
      ]);
    } finally {
      await admin.disconnect();
    }
  });

  it("connect() of a new incarnation aborts the transaction its predecessor left with offsets pending", {
    timeout: 60_000,
  }, async () => {
    // The restarted exactly-once processor: its consumer (read_committed) asks for stable offsets
    // before anything calls transaction(). If the predecessor's offsets stayed pending until then,
    // the consumer would wait for the transaction timeout (60 s here).
    await createTopic("txn-restart-in");
    await createTopic("txn-restart-out");
    const offsets = { topic: "txn-restart-in", partitions: [{ partition: 0, offset: "4" }] };
    const dead = await transactional("txn-restart");
    const open = await dead.transaction();
    await open.send({ topic: "txn-restart-out", messages: [{ value: "lost" }] });
    await open.sendOffsets({ consumerGroupId: "txn-restart-group", topics: [offsets] });
    // The predecessor stops here, as if SIGKILLed: no commit, no abort.

    const c = await RawClient.connect(tb.port);
    try {
      const stableOffset = async () => {
        const res = await c.request(OffsetFetch, 8, {
          groups: [
            { groupId: "txn-restart-group", topics: [{ name: "txn-restart-in", partitionIndexes: [0] }] },
          ],
          requireStable: true,
        });
        const g = res.groups[0]!;
        return {
          error: g.errorCode || g.topics[0]!.partitions[0]!.errorCode,
          offset: g.topics[0]!.partitions[0]!.committedOffset,
        };
      };
      assert.equal((await stableOffset()).error, ErrorCode.UNSTABLE_OFFSET_COMMIT, "the offsets are pending");
      const successor = kafka.producer({ transactionalId: "txn-restart", maxInFlightRequests: 1 });
      await successor.connect();
      producers.push(successor);
      // No transaction() yet: connect() alone has resolved the pending offsets (aborted).
      assert.deepEqual(await stableOffset(), { error: 0, offset: -1n });
    } finally {
      c.close();
    }
    assert.deepEqual(await readCommitted("txn-restart-out", 0), []);
  });

  /** Runs the fencing scenario with a client; returns what the fenced producer's calls threw. */
  async function fencing(
    make: (id: string) => {
      connect(): Promise<void>;
      transaction(): Promise<any>;
      disconnect(): Promise<void>;
    },
    id: string,
    topic: string,
  ) {
    const first = make(id);
    await first.connect();
    producers.push(first);
    const old = await first.transaction();
    await old.send({ topic, messages: [{ partition: 0, value: `${id} first` }] });
    const second = make(id);
    await second.connect();
    producers.push(second);
    // Taking over the id aborts the first producer's open transaction and bumps the epoch.
    const next = await second.transaction();
    await next.send({ topic, messages: [{ partition: 0, value: `${id} second` }] });
    await next.commit();
    const describe = (e: any) => ({ name: e.name, type: e.type, retriable: e.retriable });
    const sendError = await old
      .send({ topic, messages: [{ partition: 1, value: `${id} zombie` }] })
      .then(() => null, describe);
    const commitError = await old.commit().then(() => null, describe);
    return { sendError, commitError };
  }

  it("a second producer with the same transactional id fences the first, with KafkaJS's error", {
    timeout: 60_000,
  }, async () => {
    await createTopic("txn-fence-kjs", 2);
    await createTopic("txn-fence-brook", 2);
    const expected = await fencing(
      (id) => reference.producer({ transactionalId: id, idempotent: true, maxInFlightRequests: 1 }),
      "fence-kjs",
      "txn-fence-kjs",
    );
    const actual = await fencing(
      (id) => kafka.producer({ transactionalId: id, idempotent: true, maxInFlightRequests: 1 }),
      "fence-brook",
      "txn-fence-brook",
    );
    assert.deepEqual(actual.sendError, {
      name: "KafkaJSProtocolError",
      type: "INVALID_PRODUCER_EPOCH",
      retriable: false,
    });
    assert.deepEqual(actual.sendError, expected.sendError);
    assert.deepEqual(actual.commitError, expected.commitError, "the fenced producer cannot commit");
    // Only the second producer's record is visible.
    const seen = await readCommitted("txn-fence-brook", 1);
    assert.deepEqual(seen, ["fence-brook second"]);
  });

  it("after a send of the transaction failed, commit is refused, abort works and the next transaction is clean", {
    timeout: 60_000,
  }, async () => {
    const c = await RawClient.connect(tb.port);
    try {
      await c.request(CreateTopics, 7, {
        topics: [
          {
            name: "txn-failed-send",
            numPartitions: 1,
            replicationFactor: 1,
            assignments: [],
            configs: [{ name: "max.message.bytes", value: "20000" }],
          },
        ],
        timeoutMs: 5000,
        validateOnly: false,
      });
    } finally {
      c.close();
    }
    const p = await transactional("txn-failed-send-1");
    const t = await p.transaction();
    await t.send({ topic: "txn-failed-send", messages: [{ value: "doomed" }] });
    await assert.rejects(
      t.send({ topic: "txn-failed-send", messages: [{ value: "x".repeat(50_000) }] }),
      (e: Error & { type?: string }) => e.name === "KafkaJSProtocolError" && e.type === "MESSAGE_TOO_LARGE",
    );
    await assert.rejects(t.commit(), (e: Error) => {
      assert.ok(e instanceof KafkaJSNonRetriableError);
      assert.match(e.message, /^Cannot commit a transaction in which a send failed/);
      return true;
    });
    assert.equal(t.isActive(), true, "still open: the application can abort");
    await t.abort();
    const next = await p.transaction();
    await next.send({ topic: "txn-failed-send", messages: [{ value: "committed" }] });
    await next.commit();
    assert.deepEqual(await readCommitted("txn-failed-send", 1), ["committed"]);
  });

  it("follows KafkaJS's transaction state machine and errors", async () => {
    await createTopic("txn-states");
    const p = await transactional("txn-states-1");
    const t = await p.transaction();
    await assert.rejects(p.transaction(), (e: Error) => {
      assert.ok(e instanceof KafkaJSNonRetriableError);
      assert.equal(
        e.message,
        "There is already an ongoing transaction for this producer. Please end the transaction before beginning another.",
      );
      return true;
    });
    // An empty transaction commits without EndTxn.
    await t.commit();
    for (const call of [
      () => t.send({ topic: "txn-states", messages: [{ value: "late" }] }),
      () => t.sendBatch({ topicMessages: [] }),
      () => t.commit(),
      () => t.abort(),
      () => t.sendOffsets({ consumerGroupId: "g", topics: [] }),
    ]) {
      await assert.rejects(call(), (e: Error) => {
        assert.ok(e instanceof KafkaJSNonRetriableError);
        assert.equal(e.message, "Cannot continue to use transaction once ended");
        return true;
      });
    }
    // A new transaction works after the previous one ended; acks must stay -1 inside it.
    const t2 = await p.transaction();
    await assert.rejects(
      t2.send({ topic: "txn-states", acks: 1, messages: [{ value: "x" }] }),
      /Not requiring ack for all messages invalidates the idempotent producer's EoS guarantees/,
    );
    await t2.send({ topic: "txn-states", messages: [{ value: "kept" }] });
    await t2.commit();
    // Plain sends of a transactional producer go outside any transaction (KafkaJS allows them).
    await p.send({ topic: "txn-states", messages: [{ value: "plain" }] });
    const values = (await fetchAllRecords(tb.port, "txn-states", 0)).map((r) => r.value!.toString());
    assert.deepEqual(values, ["kept", "plain"]);
  });
});
