/**
 * The transaction coordinator through the wire (Brook's protocol client): InitProducerId rules,
 * fencing, the errors Kafka answers for bad requests (with the state unharmed after each), timeouts,
 * epoch overflow, DescribeTransactions and ListTransactions.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ErrorCode } from "../../src/protocol/error-codes.js";
import { AddOffsetsToTxn } from "../../src/protocol/messages/add-offsets-to-txn.js";
import { DescribeTransactions } from "../../src/protocol/messages/describe-transactions.js";
import { EndTxn } from "../../src/protocol/messages/end-txn.js";
import { InitProducerId } from "../../src/protocol/messages/init-producer-id.js";
import { ListTransactions } from "../../src/protocol/messages/list-transactions.js";
import { Produce } from "../../src/protocol/messages/produce.js";
import { TxnOffsetCommit } from "../../src/protocol/messages/txn-offset-commit.js";
import { encodeRecordBatchSync } from "../../src/protocol/records/record-batch.js";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import { RawClient } from "../support/raw-client.js";
import { addPartitionsToTxn } from "../support/txn-requests.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("transaction coordinator", () => {
  let tb: TestBroker;
  let c: RawClient;
  before(async () => {
    tb = await startTestBroker({
      configs: {
        "transaction.state.log.num.partitions": "3",
        "offsets.topic.num.partitions": "3",
        "transaction.max.timeout.ms": "60000",
        "transaction.abort.timed.out.transaction.cleanup.interval.ms": "100",
      },
    });
    await tb.broker.createTopic("tx", 2, 1, {});
    c = await RawClient.connect(tb.port);
  });
  after(async () => {
    c.close();
    await tb.close();
  });

  const init = (transactionalId: string | null, timeoutMs = 30000, version = 4, pid = -1n, epoch = -1) =>
    c.request(InitProducerId, version, {
      transactionalId,
      transactionTimeoutMs: timeoutMs,
      producerId: pid,
      producerEpoch: epoch,
    });
  const addPartitions = (
    id: string,
    pid: bigint,
    epoch: number,
    topic: string,
    partitions: number[],
    version = 3,
  ) => addPartitionsToTxn(c, id, pid, epoch, topic, partitions, version);
  const endTxn = (id: string, pid: bigint, epoch: number, committed: boolean, version = 3) =>
    c
      .request(EndTxn, version, { transactionalId: id, producerId: pid, producerEpoch: epoch, committed })
      .then((r) => r.errorCode);
  const state = async (id: string) =>
    (await c.request(DescribeTransactions, 0, { transactionalIds: [id] })).transactionStates[0]!;
  const produceTxn = async (id: string, pid: bigint, epoch: number, seq: number) => {
    const res = await c.request(Produce, 9, {
      transactionalId: id,
      acks: -1,
      timeoutMs: 5000,
      topicData: [
        {
          name: "tx",
          partitionData: [
            {
              index: 0,
              records: encodeRecordBatchSync({
                records: [{ value: `v${seq}` }],
                producerId: pid,
                producerEpoch: epoch,
                baseSequence: seq,
                isTransactional: true,
              }),
            },
          ],
        },
      ],
    });
    return res.responses[0]!.partitionResponses[0]!.errorCode;
  };
  async function settled(id: string) {
    for (let i = 0; i < 100; i++) {
      const s = (await state(id)).transactionState;
      if (s !== "PrepareCommit" && s !== "PrepareAbort") return s;
      await sleep(20);
    }
    throw new Error(`${id} stays in Prepare*`);
  }

  it("InitProducerId: fresh ids for idempotent producers, epoch bumps for a transactional id, bad requests refused", async () => {
    const a = await init(null);
    const b = await init(null);
    assert.equal(a.errorCode, 0);
    assert.equal(a.producerEpoch, 0);
    assert.notEqual(a.producerId, b.producerId);
    assert.equal((await init("")).errorCode, ErrorCode.INVALID_REQUEST);
    assert.equal((await init("t-timeout", 60001)).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    assert.equal((await init("t-timeout", 0)).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    const first = await init("t-init");
    // The state topic is created with Kafka's configs for it.
    assert.deepEqual(tb.broker.topic("__transaction_state")!.configs, {
      "cleanup.policy": "compact",
      "compression.type": "uncompressed",
      "min.insync.replicas": "2",
      "segment.bytes": "104857600",
      "unclean.leader.election.enable": "false",
    });
    const again = await init("t-init");
    assert.equal(again.producerId, first.producerId);
    assert.equal(again.producerEpoch, first.producerEpoch + 1);
    // KIP-360: naming an older epoch is fenced (INVALID_PRODUCER_EPOCH before v4, PRODUCER_FENCED after).
    assert.equal(
      (await init("t-init", 30000, 4, first.producerId, first.producerEpoch)).errorCode,
      ErrorCode.PRODUCER_FENCED,
    );
    assert.equal(
      (await init("t-init", 30000, 3, first.producerId, first.producerEpoch)).errorCode,
      ErrorCode.INVALID_PRODUCER_EPOCH,
    );
    assert.equal((await state("t-init")).producerEpoch, again.producerEpoch, "state unharmed");
  });

  it("bad requests get Kafka's codes and leave the transaction as it was", async () => {
    const p = await init("t-bad");
    const { producerId: pid, producerEpoch: epoch } = p;
    assert.equal(
      await endTxn("t-bad", pid, epoch, true),
      ErrorCode.INVALID_TXN_STATE,
      "EndTxn without a transaction",
    );
    assert.deepEqual(await addPartitions("t-bad", pid, epoch, "no-such-topic", [0]), [
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    ]);
    assert.deepEqual(await addPartitions("t-bad", pid, epoch, "tx", [7]), [
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    ]);
    assert.deepEqual(await addPartitions("t-bad", pid + 1000n, epoch, "tx", [0]), [
      ErrorCode.INVALID_PRODUCER_ID_MAPPING,
    ]);
    assert.deepEqual(await addPartitions("no-such-id", pid, epoch, "tx", [0]), [
      ErrorCode.INVALID_PRODUCER_ID_MAPPING,
    ]);
    assert.deepEqual(await addPartitions("t-bad", pid, epoch - 1, "tx", [0], 1), [
      ErrorCode.INVALID_PRODUCER_EPOCH,
    ]);
    assert.deepEqual(await addPartitions("t-bad", pid, epoch - 1, "tx", [0], 3), [ErrorCode.PRODUCER_FENCED]);
    assert.equal((await state("t-bad")).transactionState, "Empty");
    // A transactional produce to a partition not added: refused (KIP-890 verification).
    assert.equal(await produceTxn("t-bad", pid, epoch, 0), ErrorCode.INVALID_TXN_STATE);
    // Now a real transaction.
    assert.deepEqual(await addPartitions("t-bad", pid, epoch, "tx", [0, 1]), [0, 0]);
    assert.equal(await produceTxn("t-bad", pid, epoch, 0), ErrorCode.NONE);
    const s = await state("t-bad");
    assert.equal(s.transactionState, "Ongoing");
    assert.deepEqual(s.topics, [{ topic: "tx", partitions: [0, 1] }]);
    // TxnOffsetCommit before AddOffsetsToTxn, and from a fenced epoch, are refused.
    const commitOffsets = (e: number) =>
      c
        .request(TxnOffsetCommit, 3, {
          transactionalId: "t-bad",
          groupId: "g-bad",
          producerId: pid,
          producerEpoch: e,
          generationId: -1,
          memberId: "",
          groupInstanceId: null,
          topics: [
            {
              name: "tx",
              partitions: [
                { partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: "" },
              ],
            },
          ],
        })
        .then((r) => r.topics[0]!.partitions[0]!.errorCode);
    assert.equal(await commitOffsets(epoch), ErrorCode.INVALID_TXN_STATE);
    const added = await c.request(AddOffsetsToTxn, 3, {
      transactionalId: "t-bad",
      producerId: pid,
      producerEpoch: epoch,
      groupId: "g-bad",
    });
    assert.equal(added.errorCode, 0);
    assert.equal(await commitOffsets(epoch - 1), ErrorCode.INVALID_PRODUCER_EPOCH);
    assert.equal(await commitOffsets(epoch), ErrorCode.NONE);
    // EndTxn from a fenced epoch; then the real commit, its retry, and the opposite outcome.
    assert.equal(await endTxn("t-bad", pid, epoch - 1, true, 1), ErrorCode.INVALID_PRODUCER_EPOCH);
    assert.equal((await state("t-bad")).transactionState, "Ongoing", "state unharmed");
    assert.equal(await endTxn("t-bad", pid, epoch, true), ErrorCode.NONE);
    assert.equal(await settled("t-bad"), "CompleteCommit");
    assert.equal(await endTxn("t-bad", pid, epoch, true), ErrorCode.NONE, "a retried commit is success");
    assert.equal(await endTxn("t-bad", pid, epoch, false), ErrorCode.INVALID_TXN_STATE);
    // The markers reached both partitions and the offsets partition: nothing holds the LSO.
    for (const p of [0, 1]) {
      const log = tb.broker.partitionLog("tx", p)!;
      assert.equal(log.lastStableOffset, log.highWatermark);
    }
  });

  it("a new incarnation aborts the open transaction (CONCURRENT_TRANSACTIONS until done) and fences the old producer", async () => {
    const old = await init("t-fence");
    assert.deepEqual(await addPartitions("t-fence", old.producerId, old.producerEpoch, "tx", [1]), [0]);
    const next = await init("t-fence");
    assert.equal(next.errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
    let fresh = next;
    for (let i = 0; i < 50 && fresh.errorCode === ErrorCode.CONCURRENT_TRANSACTIONS; i++) {
      await sleep(20);
      fresh = await init("t-fence");
    }
    assert.equal(fresh.errorCode, 0);
    assert.ok(fresh.producerEpoch > old.producerEpoch);
    assert.equal(
      await endTxn("t-fence", old.producerId, old.producerEpoch, true, 1),
      ErrorCode.INVALID_PRODUCER_EPOCH,
    );
    assert.equal(
      await endTxn("t-fence", old.producerId, old.producerEpoch, true, 3),
      ErrorCode.PRODUCER_FENCED,
    );
    const log = tb.broker.partitionLog("tx", 1)!;
    assert.equal(log.lastStableOffset, log.highWatermark, "the aborted transaction no longer holds the LSO");
  });

  it("a transaction past its timeout is aborted and its producer fenced; ListTransactions filters", async () => {
    const p = await init("t-timeout-abort", 300);
    assert.deepEqual(await addPartitions("t-timeout-abort", p.producerId, p.producerEpoch, "tx", [0]), [0]);
    assert.equal(await produceTxn("t-timeout-abort", p.producerId, p.producerEpoch, 0), 0);
    const ongoing = await c.request(ListTransactions, 1, {
      stateFilters: ["Ongoing", "Bogus"],
      producerIdFilters: [],
      durationFilter: -1n,
    });
    assert.ok(ongoing.transactionStates.some((t) => t.transactionalId === "t-timeout-abort"));
    assert.deepEqual(ongoing.unknownStateFilters, ["Bogus"]);
    for (let i = 0; i < 100 && (await state("t-timeout-abort")).transactionState !== "CompleteAbort"; i++)
      await sleep(50);
    const s = await state("t-timeout-abort");
    assert.equal(s.transactionState, "CompleteAbort");
    assert.equal(s.producerEpoch, p.producerEpoch + 1, "epoch bumped to fence the producer");
    assert.equal(
      await endTxn("t-timeout-abort", p.producerId, p.producerEpoch, true),
      ErrorCode.PRODUCER_FENCED,
    );
    const aborted = await tb.broker.partitionLog("tx", 0)!.collectAbortedTransactions(0n, 1n << 40n);
    assert.ok(aborted.some((t) => t.producerId === p.producerId));
    const byPid = await c.request(ListTransactions, 1, {
      stateFilters: [],
      producerIdFilters: [p.producerId],
      durationFilter: -1n,
    });
    assert.deepEqual(
      byPid.transactionStates.map((t) => t.transactionalId),
      ["t-timeout-abort"],
    );
    const unknown = await c.request(DescribeTransactions, 0, { transactionalIds: ["never-seen"] });
    assert.equal(unknown.transactionStates[0]!.errorCode, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
  });
});
