/**
 * Fencing of zombie transactional producers: once a transactional id is initialised again
 * (InitProducerId bumps its epoch), the older incarnation must be refused by every API and none of
 * its records may reach read_committed readers.
 *
 * The report behind this file: KafkaJS producer A commits, producer B with the same transactionalId
 * connects, A's next transaction still commits. That is Apache Kafka's behaviour too: KafkaJS 2.2.4's
 * `producer.connect()` asks for an idempotent producer id (InitProducerId without the transactional
 * id, so nothing is fenced); only B's first `transaction()` sends InitProducerId with the
 * transactional id. Both cases are pinned below, KafkaJS first (and Brook's client in its place,
 * test/support/clients.ts, which must behave the same), then the raw protocol.
 *
 * The expected codes are Apache Kafka 4.x's, each with the Kafka code that decides it; every case was
 * also run against a real Apache Kafka 4.4.0 broker. To run this file against another broker, set
 * FENCING_TARGET=host:port (topics are created over the wire; nothing here reads Brook's insides).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Kafka, Producer } from "kafkajs";
import { ErrorCode } from "../../src/protocol/error-codes.js";
import { AddOffsetsToTxn } from "../../src/protocol/messages/add-offsets-to-txn.js";
import { AddPartitionsToTxn } from "../../src/protocol/messages/add-partitions-to-txn.js";
import { CreateTopics } from "../../src/protocol/messages/create-topics.js";
import { DescribeTransactions } from "../../src/protocol/messages/describe-transactions.js";
import { EndTxn } from "../../src/protocol/messages/end-txn.js";
import { Fetch } from "../../src/protocol/messages/fetch.js";
import { FindCoordinator } from "../../src/protocol/messages/find-coordinator.js";
import { InitProducerId } from "../../src/protocol/messages/init-producer-id.js";
import { ListOffsets } from "../../src/protocol/messages/list-offsets.js";
import { Produce } from "../../src/protocol/messages/produce.js";
import { TxnOffsetCommit } from "../../src/protocol/messages/txn-offset-commit.js";
import { encodeRecordBatchSync } from "../../src/protocol/records/record-batch.js";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import { describeEachClient, kafkajs } from "../support/clients.js";
import { readBatchesMinimal } from "../support/kafkajs.js";
import { RawClient } from "../support/raw-client.js";
import { addPartitionsToTxn } from "../support/txn-requests.js";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const RUN = Date.now().toString(36);
const { NONE, INVALID_PRODUCER_EPOCH: EPOCH, PRODUCER_FENCED: FENCED } = ErrorCode;
const RETRY = new Set<number>([
  ErrorCode.CONCURRENT_TRANSACTIONS,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.NOT_COORDINATOR,
]);

describe("fencing zombie transactional producers", () => {
  let tb: TestBroker | undefined;
  let host = "127.0.0.1";
  let port = 0;
  let c: RawClient;

  before(async () => {
    const target = process.env.FENCING_TARGET;
    if (target) {
      const i = target.lastIndexOf(":");
      host = target.slice(0, i);
      port = Number(target.slice(i + 1));
    } else {
      tb = await startTestBroker({
        configs: {
          "transaction.state.log.num.partitions": "3",
          "offsets.topic.num.partitions": "3",
        },
      });
      port = tb.port;
    }
    c = await RawClient.connect(port, host);
  });
  after(async () => {
    c?.close();
    await tb?.close();
  });

  // ------------------------------------------------------------------ helpers (wire only)

  async function createTopic(name: string, partitions: number) {
    const r = await c.request(CreateTopics, 4, {
      topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 10000,
      validateOnly: false,
    });
    assert.equal(r.topics[0]!.errorCode, NONE);
    // A new topic's leader may take a moment on Kafka.
    for (let p = 0; p < partitions; p++) {
      for (let i = 0; (await offsetOf(name, p, 0)) < 0n; i++) {
        if (i > 100) throw new Error(`${name}-${p} has no leader`);
        await sleep(100);
      }
    }
  }
  /** ListOffsets "latest": the high watermark (isolation 0) or the LSO (isolation 1); -1 on error. */
  async function offsetOf(topic: string, partition: number, isolationLevel: 0 | 1) {
    const r = await c.request(ListOffsets, 7, {
      replicaId: -1,
      isolationLevel,
      topics: [
        { name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -1n }] },
      ],
    });
    const p = r.topics[0]!.partitions[0]!;
    return p.errorCode === NONE ? p.offset : -1n;
  }
  async function findCoordinator(key: string, keyType: 0 | 1) {
    for (let i = 0; i < 100; i++) {
      if ((await c.request(FindCoordinator, 3, { key, keyType })).errorCode === NONE) return;
      await sleep(100);
    }
    throw new Error(`no coordinator for ${key}`);
  }
  /** InitProducerId; a plain one (no KIP-360 id/epoch) is retried while the coordinator is busy. */
  async function init(id: string | null, pid = -1n, epoch = -1, version = 4) {
    for (let i = 0; ; i++) {
      const r = await c.request(InitProducerId, version, {
        transactionalId: id,
        transactionTimeoutMs: 60000,
        producerId: pid,
        producerEpoch: epoch,
      });
      if (pid !== -1n || !RETRY.has(r.errorCode) || i > 100) return r;
      await sleep(50);
    }
  }
  /** A fresh transactional id, initialised: its coordinator is found first (Kafka creates it lazily). */
  async function fresh(name: string) {
    const id = `${name}-${RUN}`;
    await findCoordinator(id, 1);
    const r = await init(id);
    assert.equal(r.errorCode, NONE);
    return { id, pid: r.producerId, epoch: r.producerEpoch };
  }
  const addPartitions = (
    id: string,
    pid: bigint,
    epoch: number,
    topic: string,
    parts: number[],
    version = 3,
  ) => addPartitionsToTxn(c, id, pid, epoch, topic, parts, version);
  const addOffsets = (id: string, pid: bigint, epoch: number, groupId: string, version = 3) =>
    c
      .request(AddOffsetsToTxn, version, {
        transactionalId: id,
        producerId: pid,
        producerEpoch: epoch,
        groupId,
      })
      .then((r) => r.errorCode);
  const txnOffsetCommit = (
    id: string,
    pid: bigint,
    epoch: number,
    groupId: string,
    topic: string,
    version = 3,
  ) =>
    c
      .request(TxnOffsetCommit, version, {
        transactionalId: id,
        groupId,
        producerId: pid,
        producerEpoch: epoch,
        generationId: -1,
        memberId: "",
        groupInstanceId: null,
        topics: [
          {
            name: topic,
            partitions: [
              { partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: "" },
            ],
          },
        ],
      })
      .then((r) => r.topics[0]!.partitions[0]!.errorCode);
  const endTxn = (id: string, pid: bigint, epoch: number, committed: boolean, version = 3) =>
    c
      .request(EndTxn, version, { transactionalId: id, producerId: pid, producerEpoch: epoch, committed })
      .then((r) => r.errorCode);
  /** EndTxn retried while CONCURRENT_TRANSACTIONS (Kafka answers before its markers are written). */
  async function endTxnSettled(id: string, pid: bigint, epoch: number, committed: boolean) {
    for (let i = 0; ; i++) {
      const code = await endTxn(id, pid, epoch, committed);
      if (code !== ErrorCode.CONCURRENT_TRANSACTIONS || i > 100) return code;
      await sleep(50);
    }
  }
  /** AddPartitionsToTxn v3, retried while the previous transaction completes. */
  async function addPartitionsSettled(
    id: string,
    pid: bigint,
    epoch: number,
    topic: string,
    parts: number[],
  ) {
    for (let i = 0; ; i++) {
      const codes = await addPartitions(id, pid, epoch, topic, parts);
      if (codes[0] !== ErrorCode.CONCURRENT_TRANSACTIONS || i > 100) return codes;
      await sleep(50);
    }
  }
  const produce = (
    id: string,
    pid: bigint,
    epoch: number,
    seq: number,
    topic: string,
    partition: number,
    value: string,
    version = 9,
  ) =>
    c
      .request(Produce, version, {
        transactionalId: id,
        acks: -1,
        timeoutMs: 5000,
        topicData: [
          {
            name: topic,
            partitionData: [
              {
                index: partition,
                records: encodeRecordBatchSync({
                  records: [{ value }],
                  producerId: pid,
                  producerEpoch: epoch,
                  baseSequence: seq,
                  isTransactional: true,
                }),
              },
            ],
          },
        ],
      })
      .then((r) => r.responses[0]!.partitionResponses[0]!.errorCode);
  const describeTxn = async (id: string) =>
    (await c.request(DescribeTransactions, 0, { transactionalIds: [id] })).transactionStates[0]!;

  /**
   * What a read_committed consumer gets: Fetch with isolation level 1 up to the LSO, minus the
   * records of the aborted transactions the response lists (dropped as clients do: from each aborted
   * transaction's first offset until its producer's ABORT marker).
   */
  async function readCommitted(topic: string, partition: number): Promise<string[]> {
    const res = await c.request(Fetch, 11, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 8 << 20,
      isolationLevel: 1,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic, partitions: [{ partition, fetchOffset: 0n, partitionMaxBytes: 4 << 20 }] }],
    });
    const p = res.responses[0]!.partitions[0]!;
    assert.equal(p.errorCode, NONE);
    const pending = [...(p.abortedTransactions ?? [])].sort((a, b) => Number(a.firstOffset - b.firstOffset));
    const aborting = new Set<bigint>();
    const out: string[] = [];
    for (const b of readBatchesMinimal(p.records ?? Buffer.alloc(0))) {
      while (pending.length > 0 && pending[0]!.firstOffset <= b.baseOffset)
        aborting.add(pending.shift()!.producerId);
      const transactional = (b.attributes & 0x10) !== 0;
      if ((b.attributes & 0x20) !== 0) {
        // Control batch: an ABORT marker (key type 0) closes its producer's aborted transaction.
        const key = b.records[0]?.key;
        if (key && key.readInt16BE(2) === 0) aborting.delete(b.producerId);
        continue;
      }
      if (transactional && aborting.has(b.producerId)) continue;
      for (const r of b.records) out.push(r.value!.toString());
    }
    return out;
  }
  async function assertStable(topic: string, partition: number) {
    let lso = -2n;
    let hw = -1n;
    for (let i = 0; i < 50; i++) {
      lso = await offsetOf(topic, partition, 1);
      hw = await offsetOf(topic, partition, 0);
      if (lso === hw) return;
      await sleep(50); // Kafka writes markers after answering EndTxn
    }
    assert.equal(lso, hw, `${topic}-${partition}: no transaction left open (LSO = high watermark)`);
  }

  // ------------------------------------------------------------------ KafkaJS (and Brook's client)

  describeEachClient("transactional producers", (client) => {
    // Both clients share the broker: their topics and transactional ids differ.
    const run = `${RUN}-${client.name.toLowerCase()}`;
    let kafka: Kafka;
    let consumerKafka: Kafka;
    const producers: Producer[] = [];
    before(() => {
      const config = {
        clientId: "fencing",
        brokers: [`${host}:${port}`],
        logLevel: kafkajs.logLevel.NOTHING,
      };
      kafka = new client.module.Kafka(config);
      consumerKafka = new kafkajs.Kafka(config);
    });
    after(async () => {
      await Promise.allSettled(producers.map((p) => p.disconnect()));
    });
    const producer = (transactionalId: string) => {
      const p = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
      producers.push(p);
      return p;
    };
    /** KafkaJS surfaces the broker's code as a KafkaJSProtocolError, not retriable. */
    const fencedError = (e: unknown) => {
      assert.ok(e instanceof client.module.KafkaJSProtocolError, String(e));
      const err = e as { name: string; type: string; code: number; retriable: boolean };
      assert.equal(err.name, "KafkaJSProtocolError");
      assert.equal(err.type, "INVALID_PRODUCER_EPOCH");
      assert.equal(err.code, 47);
      assert.equal(err.retriable, false);
      return true;
    };
    /** The values a KafkaJS read_committed consumer (its default) receives from the topic. */
    async function consumeCommitted(topic: string, expected: number): Promise<string[]> {
      const consumer = consumerKafka.consumer({ groupId: `fencing-read-${topic}`, maxWaitTimeInMs: 100 });
      await consumer.connect();
      try {
        await consumer.subscribe({ topic, fromBeginning: true });
        const values: string[] = [];
        await consumer.run({
          eachMessage: async ({ message }) => void values.push(message.value!.toString()),
        });
        for (let i = 0; i < 150 && values.length < expected; i++) await sleep(100);
        await sleep(500); // nothing else may follow
        return values;
      } finally {
        await consumer.disconnect();
      }
    }

    it(client.name === "Brook"
      ? "the reported sequence: B's connect() initialises the transactional id and fences A at once (Java's initTransactions())"
      : "the reported sequence: B's connect() alone fences nothing (no transactional InitProducerId yet), as on Kafka", {
      timeout: 60_000,
    }, async () => {
      const topic = `fence-connect-${run}`;
      const id = `zz-connect-${run}`;
      await createTopic(topic, 1);
      const a = producer(id);
      const b = producer(id);
      await a.connect();
      const t1 = await a.transaction();
      await t1.send({ topic, messages: [{ value: "a1" }] });
      await t1.commit();
      const before = await describeTxn(id);
      await b.connect();
      if (client.name === "Brook") {
        // InitProducerId for the transactional id at connect: the epoch is bumped, A is a zombie.
        assert.equal((await describeTxn(id)).producerEpoch, before.producerEpoch + 1);
        const t2 = await a.transaction();
        await assert.rejects(t2.send({ topic, messages: [{ value: "a2" }] }), fencedError);
        const tb1 = await b.transaction();
        await tb1.send({ topic, messages: [{ value: "b1" }] });
        await tb1.commit();
        assert.deepEqual(await consumeCommitted(topic, 2), ["a1", "b1"]);
        return;
      }
      // KafkaJS's connect() sent InitProducerId with a null transactional id: the epoch is unchanged.
      assert.equal((await describeTxn(id)).producerEpoch, before.producerEpoch);
      const t2 = await a.transaction();
      await t2.send({ topic, messages: [{ value: "a2" }] });
      await t2.commit();
      // B's first transaction() initialises the transactional id, and from then on A is fenced.
      const tb1 = await b.transaction();
      assert.equal((await describeTxn(id)).producerEpoch, before.producerEpoch + 1);
      await tb1.send({ topic, messages: [{ value: "b1" }] });
      await tb1.commit();
      const t3 = await a.transaction();
      await assert.rejects(t3.send({ topic, messages: [{ value: "a3" }] }), fencedError);
      assert.deepEqual(await consumeCommitted(topic, 3), ["a1", "a2", "b1"]);
    });

    it("A's next transaction after B's first transaction() throws INVALID_PRODUCER_EPOCH; B goes on; read_committed never sees A's record", {
      timeout: 60_000,
    }, async () => {
      const topic = `fence-kjs-${run}`;
      const id = `zz-${run}`;
      await createTopic(topic, 1);
      const a = producer(id);
      const b = producer(id);
      await a.connect();
      const t1 = await a.transaction();
      await t1.send({ topic, messages: [{ value: "a1" }] });
      await t1.commit();
      await b.connect();
      const tb1 = await b.transaction(); // InitProducerId("zz"): the epoch is bumped, A is a zombie
      // A's AddPartitionsToTxn (v1) is refused: PRODUCER_FENCED, answered INVALID_PRODUCER_EPOCH to v1.
      const t2 = await a.transaction();
      await assert.rejects(t2.send({ topic, messages: [{ value: "a2" }] }), fencedError);
      // Nothing was added, so KafkaJS's commit() would not even send EndTxn; a2 never reached the log.
      await tb1.send({ topic, messages: [{ value: "b1" }] });
      await tb1.commit();
      const tb2 = await b.transaction();
      await tb2.send({ topic, messages: [{ value: "b2" }] });
      await tb2.commit();
      assert.deepEqual(await consumeCommitted(topic, 3), ["a1", "b1", "b2"]);
    });

    it("fenced in the middle of a transaction: A's sendOffsets, send and commit throw, its records are aborted", {
      timeout: 60_000,
    }, async () => {
      const topic = `fence-kjs-mid-${run}`;
      const id = `zz-mid-${run}`;
      await createTopic(topic, 1);
      const a = producer(id);
      const b = producer(id);
      await a.connect();
      const t1 = await a.transaction();
      await t1.send({ topic, messages: [{ value: "a1" }] });
      await t1.commit();
      const t2 = await a.transaction();
      await t2.send({ topic, messages: [{ value: "a2" }] });
      // B's InitProducerId (Brook's at connect, KafkaJS's at its first transaction) aborts A's open
      // transaction under a bumped epoch (retrying CONCURRENT_TRANSACTIONS until the abort is done).
      await b.connect();
      const tb1 = await b.transaction();
      await assert.rejects(
        t2.sendOffsets({
          consumerGroupId: `fence-kjs-group-${run}`,
          topics: [{ topic, partitions: [{ partition: 0, offset: "1" }] }],
        }),
        fencedError,
      );
      await assert.rejects(t2.send({ topic, messages: [{ value: "a3" }] }), fencedError);
      await assert.rejects(t2.commit(), fencedError);
      await tb1.send({ topic, messages: [{ value: "b1" }] });
      await tb1.commit();
      assert.deepEqual(await consumeCommitted(topic, 2), ["a1", "b1"]);
      assert.deepEqual(await readCommitted(topic, 0), ["a1", "b1"]);
    });
  });

  // ------------------------------------------------------------------ raw protocol

  describe("raw protocol: a stale epoch after a re-initialisation", () => {
    const topic = `fence-raw-${RUN}`;
    before(async () => {
      await createTopic(topic, 2);
    });

    it("every API refuses the old epoch with Kafka's code; the transactional id is unharmed", async () => {
      const group = `fence-raw-g1-${RUN}`;
      await findCoordinator(group, 0);
      const a = await fresh("stale");
      const { id, pid } = a;
      assert.deepEqual(await addPartitionsSettled(id, pid, a.epoch, topic, [0]), [NONE]);
      assert.equal(await produce(id, pid, a.epoch, 0, topic, 0, "a1"), NONE);
      assert.equal(await addOffsets(id, pid, a.epoch, group), NONE);
      assert.equal(await txnOffsetCommit(id, pid, a.epoch, group, topic), NONE);
      assert.equal(await endTxnSettled(id, pid, a.epoch, true), NONE);
      const b = await init(id);
      assert.equal(b.errorCode, NONE);
      assert.equal(b.producerId, pid);
      assert.equal(b.producerEpoch, a.epoch + 1);
      const stale = a.epoch;

      // AddPartitionsToTxn: TransactionCoordinator.handleAddPartitionsToTransaction answers
      // PRODUCER_FENCED when the epoch differs from the id's; KafkaApis turns it into
      // INVALID_PRODUCER_EPOCH for versions before 2 (KIP-588).
      assert.deepEqual(await addPartitions(id, pid, stale, topic, [0], 1), [EPOCH]);
      assert.deepEqual(await addPartitions(id, pid, stale, topic, [0], 2), [FENCED]);
      assert.deepEqual(await addPartitions(id, pid, stale, topic, [0, 1], 3), [FENCED, FENCED]);
      // AddOffsetsToTxn goes through the same coordinator method, with the same version split.
      for (const v of [0, 1]) assert.equal(await addOffsets(id, pid, stale, group, v), EPOCH, `v${v}`);
      for (const v of [2, 3]) assert.equal(await addOffsets(id, pid, stale, group, v), FENCED, `v${v}`);
      // TxnOffsetCommit: the offsets partition is verified with the coordinator through
      // AddPartitionsToTxnManager, which hands producers INVALID_PRODUCER_EPOCH for PRODUCER_FENCED.
      for (const v of [0, 1, 2, 3])
        assert.equal(await txnOffsetCommit(id, pid, stale, group, topic, v), EPOCH, `v${v}`);
      // Produce: the partition has no open transaction for this producer id and epoch
      // (UnifiedLog.hasOngoingTransaction), so it is verified with the coordinator: PRODUCER_FENCED,
      // INVALID_PRODUCER_EPOCH to the producer; on a partition holding the producer's newer epoch,
      // ProducerAppendInfo.checkProducerEpoch says the same.
      for (const v of [3, 7, 9])
        assert.equal(await produce(id, pid, stale, 1, topic, 0, "a2", v), EPOCH, `v${v}`);
      assert.equal(await produce(id, pid, stale, 0, topic, 1, "a2"), EPOCH, "a partition it never wrote");
      // EndTxn: endTransaction accepts only the current epoch from a client (transaction version 1),
      // else PRODUCER_FENCED, INVALID_PRODUCER_EPOCH before v2.
      for (const v of [0, 1]) assert.equal(await endTxn(id, pid, stale, true, v), EPOCH, `v${v}`);
      for (const v of [2, 3]) assert.equal(await endTxn(id, pid, stale, true, v), FENCED, `v${v}`);
      assert.equal(await endTxn(id, pid, stale, false), FENCED);
      // InitProducerId naming the old epoch (KIP-360): TransactionMetadata.prepareIncrementProducerEpoch
      // bumps only the current epoch (or answers a retry of the last such bump): PRODUCER_FENCED,
      // INVALID_PRODUCER_EPOCH before v4.
      assert.equal((await init(id, pid, stale, 3)).errorCode, EPOCH);
      assert.equal((await init(id, pid, stale, 4)).errorCode, FENCED);

      const s = await describeTxn(id);
      assert.equal(s.transactionState, "Empty");
      assert.equal(s.producerEpoch, b.producerEpoch, "state unharmed");
      assert.deepEqual(await addPartitionsSettled(id, pid, b.producerEpoch, topic, [0]), [NONE]);
      assert.equal(await produce(id, pid, b.producerEpoch, 0, topic, 0, "b1"), NONE);
      assert.equal(await endTxnSettled(id, pid, b.producerEpoch, true), NONE);
      await assertStable(topic, 0);
      assert.deepEqual(await readCommitted(topic, 0), ["a1", "b1"]);
    });

    it("the new incarnation's open transaction is untouched by the zombie, and only committed records are read", async () => {
      const group = `fence-raw-g2-${RUN}`;
      await findCoordinator(group, 0);
      const a = await fresh("open");
      const { id, pid } = a;
      assert.deepEqual(await addPartitionsSettled(id, pid, a.epoch, topic, [1]), [NONE]);
      assert.equal(await produce(id, pid, a.epoch, 0, topic, 1, "a1"), NONE);
      assert.equal(await endTxnSettled(id, pid, a.epoch, true), NONE);
      const b = (await init(id)).producerEpoch;
      assert.deepEqual(await addPartitionsSettled(id, pid, b, topic, [1]), [NONE]);
      assert.equal(await produce(id, pid, b, 0, topic, 1, "b1"), NONE);
      assert.equal(await addOffsets(id, pid, b, group), NONE);
      assert.equal(await txnOffsetCommit(id, pid, b, group, topic), NONE);

      // Same rules as above while the id is Ongoing: the epoch is checked before the state.
      assert.deepEqual(await addPartitions(id, pid, a.epoch, topic, [1], 1), [EPOCH]);
      assert.deepEqual(await addPartitions(id, pid, a.epoch, topic, [1]), [FENCED]);
      assert.equal(await produce(id, pid, a.epoch, 1, topic, 1, "a2"), EPOCH);
      assert.equal(await produce(id, pid, a.epoch, 0, topic, 0, "a2"), EPOCH);
      assert.equal(await addOffsets(id, pid, a.epoch, group, 0), EPOCH);
      assert.equal(await addOffsets(id, pid, a.epoch, group), FENCED);
      assert.equal(await txnOffsetCommit(id, pid, a.epoch, group, topic, 0), EPOCH);
      assert.equal(await txnOffsetCommit(id, pid, a.epoch, group, topic), EPOCH);
      assert.equal(await endTxn(id, pid, a.epoch, true, 1), EPOCH);
      assert.equal(await endTxn(id, pid, a.epoch, true), FENCED, "the zombie cannot commit B's transaction");
      assert.equal(await endTxn(id, pid, a.epoch, false), FENCED, "nor abort it");

      const s = await describeTxn(id);
      assert.equal(s.transactionState, "Ongoing");
      assert.equal(s.producerEpoch, b);
      assert.ok(s.topics.some((t) => t.topic === topic && t.partitions.includes(1)));
      assert.equal(await endTxnSettled(id, pid, b, true), NONE);
      await assertStable(topic, 1);
      assert.deepEqual(await readCommitted(topic, 1), ["a1", "b1"]);
    });

    it("a zombie caught with its transaction open: re-initialising aborts it (CONCURRENT_TRANSACTIONS until done) and its record is never read", async () => {
      const t = `fence-raw-open-${RUN}`;
      await createTopic(t, 1);
      const group = `fence-raw-g3-${RUN}`;
      await findCoordinator(group, 0);
      const a = await fresh("zombie-open");
      const { id, pid } = a;
      assert.deepEqual(await addPartitionsSettled(id, pid, a.epoch, t, [0]), [NONE]);
      assert.equal(await produce(id, pid, a.epoch, 0, t, 0, "zombie"), NONE);
      assert.equal(await addOffsets(id, pid, a.epoch, group), NONE);
      // prepareInitProducerIdTransit: an Ongoing transaction is aborted under a bumped epoch and
      // the caller told CONCURRENT_TRANSACTIONS; its retry bumps the epoch once more.
      const first = await c.request(InitProducerId, 4, {
        transactionalId: id,
        transactionTimeoutMs: 60000,
        producerId: -1n,
        producerEpoch: -1,
      });
      assert.equal(first.errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
      const b = await init(id);
      assert.equal(b.errorCode, NONE);
      assert.equal(b.producerEpoch, a.epoch + 2);

      assert.equal(await produce(id, pid, a.epoch, 1, t, 0, "zombie-2"), EPOCH);
      assert.deepEqual(await addPartitions(id, pid, a.epoch, t, [0]), [FENCED]);
      assert.equal(await addOffsets(id, pid, a.epoch, group), FENCED);
      assert.equal(await txnOffsetCommit(id, pid, a.epoch, group, t), EPOCH);
      assert.equal(await endTxn(id, pid, a.epoch, true), FENCED);
      await assertStable(t, 0);
      assert.deepEqual(await readCommitted(t, 0), []);
      assert.equal((await describeTxn(id)).transactionState, "Empty");
    });

    it("an epoch newer than the coordinator's is fenced as well, and the producer's open transaction goes on", async () => {
      const t = `fence-raw-future-${RUN}`;
      await createTopic(t, 2);
      const group = `fence-raw-g4-${RUN}`;
      await findCoordinator(group, 0);
      const { id, pid, epoch } = await fresh("future");
      assert.deepEqual(await addPartitionsSettled(id, pid, epoch, t, [0]), [NONE]);
      assert.equal(await produce(id, pid, epoch, 0, t, 0, "b1"), NONE);
      assert.equal(await addOffsets(id, pid, epoch, group), NONE);
      const future = epoch + 3;
      // The coordinator compares epochs for equality everywhere (a client never bumps its own
      // epoch under transaction version 1).
      assert.deepEqual(await addPartitions(id, pid, future, t, [0]), [FENCED]);
      assert.equal(await addOffsets(id, pid, future, group), FENCED);
      assert.equal(await txnOffsetCommit(id, pid, future, group, t), EPOCH);
      assert.equal(await endTxn(id, pid, future, true), FENCED);
      // Produce: the partition's open transaction belongs to another epoch, so Kafka 4.x verifies
      // the batch with the coordinator (UnifiedLog.hasOngoingTransaction takes the epoch): fenced,
      // INVALID_PRODUCER_EPOCH, whether or not the partition is in the transaction. Appending it
      // would raise the partition's epoch above the coordinator's and strand the transaction.
      assert.equal(await produce(id, pid, future, 0, t, 0, "future"), EPOCH);
      assert.equal(await produce(id, pid, future, 0, t, 1, "future"), EPOCH);

      assert.equal(await txnOffsetCommit(id, pid, epoch, group, t), NONE);
      assert.equal(await endTxnSettled(id, pid, epoch, true), NONE);
      await assertStable(t, 0);
      await assertStable(t, 1);
      assert.deepEqual(await readCommitted(t, 0), ["b1"]);
      assert.deepEqual(await readCommitted(t, 1), []);
    });

    it("KIP-360 InitProducerId: the current epoch is bumped, a retry of that bump gets the same answer, other epochs are fenced", async () => {
      const { id, pid, epoch: e0 } = await fresh("kip360");
      const bumped = await init(id, pid, e0);
      assert.equal(bumped.errorCode, NONE);
      assert.equal(bumped.producerId, pid);
      assert.equal(bumped.producerEpoch, e0 + 1);
      // prepareIncrementProducerEpoch: the epoch before the last KIP-360 bump is a retry whose answer
      // was lost: the current epoch, not bumped again.
      const retried = await init(id, pid, e0);
      assert.equal(retried.errorCode, NONE);
      assert.equal(retried.producerEpoch, e0 + 1);
      assert.equal((await init(id, pid, e0 + 6)).errorCode, FENCED, "an epoch never handed out");
      assert.equal((await init(id, pid + 100n, e0 + 1)).errorCode, FENCED, "another producer id");
      // KafkaApis: a producer id without an epoch (or the reverse) is INVALID_REQUEST.
      assert.equal((await init(id, pid, -1)).errorCode, ErrorCode.INVALID_REQUEST);
      assert.equal((await init(id, -1n, e0 + 1)).errorCode, ErrorCode.INVALID_REQUEST);
      assert.equal((await init(null, 5n, -1)).errorCode, ErrorCode.INVALID_REQUEST);
      // A plain InitProducerId (a new incarnation) forgets the previous epoch: both older epochs fenced.
      const plain = await init(id);
      assert.equal(plain.producerEpoch, e0 + 2);
      assert.equal((await init(id, pid, e0 + 1)).errorCode, FENCED);
      assert.equal((await init(id, pid, e0)).errorCode, FENCED);
      assert.equal((await describeTxn(id)).producerEpoch, e0 + 2, "state unharmed");
    });

    it("AddPartitionsToTxn v4 verifyOnly answers with the coordinator's codes", async () => {
      const t = `fence-raw-verify-${RUN}`;
      await createTopic(t, 2);
      const { id, pid, epoch: e0 } = await fresh("verify");
      const e1 = (await init(id)).producerEpoch;
      const v4 = (epoch: number, verifyOnly: boolean, partition: number) =>
        c
          .request(AddPartitionsToTxn, 4, {
            transactions: [
              {
                transactionalId: id,
                producerId: pid,
                producerEpoch: epoch,
                verifyOnly,
                topics: [{ name: t, partitions: [partition] }],
              },
            ],
            v3AndBelowTransactionalId: "",
            v3AndBelowProducerId: 0n,
            v3AndBelowProducerEpoch: 0,
            v3AndBelowTopics: [],
          })
          .then((r) => [
            r.errorCode,
            ...r.resultsByTransaction.flatMap((x) =>
              x.topicResults.flatMap((y) => y.resultsByPartition.map((p) => p.partitionErrorCode)),
            ),
          ]);
      // handleVerifyPartitionsInTransaction: another epoch PRODUCER_FENCED (not translated: v4 is
      // newer than KIP-588); a partition not in the transaction TRANSACTION_ABORTABLE.
      assert.deepEqual(await v4(e0, true, 0), [NONE, FENCED]);
      assert.deepEqual(await v4(e1 + 3, true, 0), [NONE, FENCED]);
      assert.deepEqual(await v4(e1, true, 0), [NONE, ErrorCode.TRANSACTION_ABORTABLE]);
      assert.deepEqual(await v4(e0, false, 0), [NONE, FENCED]);
      assert.deepEqual(await v4(e1, false, 0), [NONE, NONE]);
      assert.deepEqual(await v4(e1, true, 0), [NONE, NONE]);
      assert.deepEqual(await v4(e1, true, 1), [NONE, ErrorCode.TRANSACTION_ABORTABLE]);
      assert.deepEqual(await v4(e0, true, 0), [NONE, FENCED]);
      assert.equal(await endTxnSettled(id, pid, e1, false), NONE);
    });

    it("an empty transactional id is INVALID_REQUEST", async () => {
      // handleAddPartitionsToTransaction and endTransaction refuse a null or empty id first.
      assert.deepEqual(await addPartitions("", 5n, 0, topic, [0]), [ErrorCode.INVALID_REQUEST]);
      assert.equal(await addOffsets("", 5n, 0, "g"), ErrorCode.INVALID_REQUEST);
      assert.equal(await endTxn("", 5n, 0, true), ErrorCode.INVALID_REQUEST);
    });
  });
});
