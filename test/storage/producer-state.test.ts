import assert from "node:assert/strict";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { ErrorCode } from "../../src/protocol/error-codes.js";
import { encodeRecordBatchSync } from "../../src/protocol/records/record-batch.js";
import { logConfig, PartitionLog } from "../../src/storage/index.js";
import { tmpDir } from "./support.js";

const t = tmpDir();
after(() => t.cleanup());

let n = 0;
async function open(config = logConfig(), name = `p${n++}`) {
  const dir = join(t.dir, `${name}-0`);
  return { dir, log: await PartitionLog.open({ dir, topic: name, partition: 0, config }) };
}

function batch(o: { pid: bigint; epoch?: number; seq: number; count?: number; txn?: boolean }): Buffer {
  return encodeRecordBatchSync({
    records: Array.from({ length: o.count ?? 1 }, (_, i) => ({
      value: `v${o.seq + i}`,
      timestamp: 1_700_000_000_000,
    })),
    producerId: o.pid,
    producerEpoch: o.epoch ?? 0,
    baseSequence: o.seq,
    isTransactional: o.txn ?? false,
  });
}

async function code(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return ErrorCode.NONE;
  } catch (e) {
    return (e as { errorCode: number }).errorCode;
  }
}

test("idempotent appends: duplicates answer the original offsets, gaps and old epochs are refused", async () => {
  const { log } = await open();
  const a = await log.append(batch({ pid: 5n, seq: 0, count: 3 }), { durable: false });
  const b = await log.append(batch({ pid: 5n, seq: 3, count: 2 }), { durable: false });
  assert.deepEqual([a.baseOffset, b.baseOffset], [0n, 3n]);
  // A retry of either batch is a duplicate: same offsets, nothing written.
  const dupA = await log.append(batch({ pid: 5n, seq: 0, count: 3 }), { durable: false });
  const dupB = await log.append(batch({ pid: 5n, seq: 3, count: 2 }), { durable: false });
  assert.deepEqual([dupA.baseOffset, dupA.lastOffset, dupB.baseOffset], [0n, 2n, 3n]);
  assert.equal(log.logEndOffset, 5n);
  assert.equal(log.stats.duplicates, 2);
  // A gap, a repeat that is not a batch boundary, an old epoch, a new epoch not starting at 0.
  assert.equal(
    await code(log.append(batch({ pid: 5n, seq: 7 }), { durable: false })),
    ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
  );
  assert.equal(
    await code(log.append(batch({ pid: 5n, seq: 4 }), { durable: false })),
    ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
  );
  assert.equal(
    await code(log.append(batch({ pid: 5n, epoch: 1, seq: 3 }), { durable: false })),
    ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
  );
  assert.equal(
    await code(log.append(batch({ pid: 5n, epoch: 1, seq: 0 }), { durable: false })),
    ErrorCode.NONE,
  );
  assert.equal(
    await code(log.append(batch({ pid: 5n, epoch: 0, seq: 5 }), { durable: false })),
    ErrorCode.INVALID_PRODUCER_EPOCH,
  );
  assert.equal(log.logEndOffset, 6n, "refused batches are not written");
  // Another producer is independent; an unknown producer may start at any sequence.
  assert.equal(await code(log.append(batch({ pid: 6n, seq: 42 }), { durable: false })), ErrorCode.NONE);
  await log.close();
});

test("only the last 5 batches are remembered; sequences wrap from 2^31-1 to 0", async () => {
  const { log } = await open();
  for (let s = 0; s < 7; s++) await log.append(batch({ pid: 9n, seq: s }), { durable: false });
  // Batches 2..6 are remembered, 0 and 1 are not: a retry of 1 is out of order, of 2 a duplicate.
  assert.equal(
    await code(log.append(batch({ pid: 9n, seq: 1 }), { durable: false })),
    ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
  );
  assert.equal((await log.append(batch({ pid: 9n, seq: 2 }), { durable: false })).baseOffset, 2n);
  const max = 0x7fffffff;
  await log.append(batch({ pid: 10n, seq: max - 1, count: 2 }), { durable: false });
  assert.equal(
    await code(log.append(batch({ pid: 10n, seq: 0, count: 2 }), { durable: false })),
    ErrorCode.NONE,
  );
  assert.equal(await code(log.append(batch({ pid: 10n, seq: 2 }), { durable: false })), ErrorCode.NONE);
  await log.close();
});

test("transactions: open ones hold the LSO; markers settle them, aborts land in the .txnindex", async () => {
  const { log } = await open();
  await log.append(batch({ pid: -1n, seq: -1 }), { durable: false }); // offset 0, plain
  await log.append(batch({ pid: 1n, seq: 0, txn: true }), { durable: false }); // 1
  await log.append(batch({ pid: 2n, seq: 0, txn: true, count: 2 }), { durable: false }); // 2-3
  await log.append(batch({ pid: 1n, seq: 1, txn: true }), { durable: false }); // 4
  assert.equal(log.highWatermark, 5n);
  assert.equal(log.lastStableOffset, 1n);
  // A plain batch from a producer with an open transaction is refused.
  assert.equal(
    await code(log.append(batch({ pid: 1n, seq: 2 }), { durable: false })),
    ErrorCode.INVALID_TXN_STATE,
  );
  const c1 = await log.appendTxnMarker({
    producerId: 1n,
    producerEpoch: 0,
    coordinatorEpoch: 3,
    commit: true,
  });
  assert.equal(c1.baseOffset, 5n);
  assert.equal(log.lastStableOffset, 2n, "producer 2 still open");
  // A marker from an older coordinator epoch, or an older producer epoch, is refused.
  assert.equal(
    await code(log.appendTxnMarker({ producerId: 1n, producerEpoch: 0, coordinatorEpoch: 2, commit: false })),
    ErrorCode.TRANSACTION_COORDINATOR_FENCED,
  );
  await log.append(batch({ pid: 2n, epoch: 1, seq: 0 }), { durable: false }).catch(() => {});
  const a2 = await log.appendTxnMarker({
    producerId: 2n,
    producerEpoch: 1,
    coordinatorEpoch: 0,
    commit: false,
  });
  assert.equal(log.lastStableOffset, log.highWatermark);
  const aborted = await log.collectAbortedTransactions(0n, log.logEndOffset);
  assert.deepEqual(
    aborted.map((x) => [x.producerId, x.firstOffset, x.lastOffset]),
    [[2n, 2n, a2.baseOffset]],
  );
  assert.equal(
    await code(log.appendTxnMarker({ producerId: 2n, producerEpoch: 0, coordinatorEpoch: 0, commit: false })),
    ErrorCode.INVALID_PRODUCER_EPOCH,
  );
  await log.close();
});

test("producer state survives a clean restart (snapshot) and a crash (rebuilt from the log)", async () => {
  const config = logConfig({ segmentBytes: 400 });
  const { dir, log } = await open(config, "restart");
  for (let s = 0; s < 12; s++) await log.append(batch({ pid: 3n, seq: s }), { durable: false }); // rolls
  await log.append(batch({ pid: 4n, seq: 0, txn: true }), { durable: false }); // 12, open
  await log.close();
  assert.ok(
    readdirSync(dir).some((f) => /^\d{20}\.snapshot$/.test(f)),
    "snapshot written",
  );

  const reopened = await PartitionLog.open({
    dir,
    topic: "restart",
    partition: 0,
    config,
    cleanShutdown: true,
  });
  assert.equal(reopened.lastStableOffset, 12n, "the open transaction still bounds the LSO");
  assert.equal(
    (await reopened.append(batch({ pid: 3n, seq: 11 }), { durable: false })).baseOffset,
    11n,
    "duplicate",
  );
  assert.equal(
    await code(reopened.append(batch({ pid: 3n, seq: 13 }), { durable: false })),
    ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
  );
  await reopened.append(batch({ pid: 3n, seq: 12 }), { durable: false }); // 13
  await reopened.appendTxnMarker({ producerId: 4n, producerEpoch: 0, coordinatorEpoch: 0, commit: false }); // 14
  await reopened.append(batch({ pid: 4n, seq: 1, txn: true }), { durable: false }); // 15, new txn
  await reopened.close({ flush: false }); // as after a crash: no snapshot at the end

  // Damage the newest snapshot too: the log rebuilds from an older one or from the start.
  const snaps = readdirSync(dir)
    .filter((f) => f.endsWith(".snapshot"))
    .sort();
  writeFileSync(join(dir, snaps.at(-1)!), Buffer.from("garbage"));
  const crashed = await PartitionLog.open({ dir, topic: "restart", partition: 0, config, recoveryPoint: 0n });
  assert.equal(crashed.logEndOffset, 16n);
  assert.equal(crashed.lastStableOffset, 15n, "the transaction opened at 15 is rebuilt");
  assert.equal((await crashed.append(batch({ pid: 3n, seq: 12 }), { durable: false })).baseOffset, 13n);
  const aborted = await crashed.collectAbortedTransactions(0n, crashed.logEndOffset);
  assert.deepEqual(
    aborted.map((x) => [x.producerId, x.firstOffset, x.lastOffset]),
    [[4n, 12n, 14n]],
  );
  await crashed.close();
});

test("producers idle past producer.id.expiration.ms are dropped unless their transaction is open", async () => {
  const { log } = await open();
  await log.append(batch({ pid: 20n, seq: 0 }), { durable: false });
  await log.append(batch({ pid: 21n, seq: 0, txn: true }), { durable: false });
  const later = Date.now() + 2 * 86_400_000;
  assert.equal(log.expireProducers(later, 86_400_000), 1);
  assert.deepEqual([...log.producers.producers.keys()], [21n]);
  // An expired producer may start again at any sequence (Kafka's UNKNOWN_PRODUCER_ID is not needed).
  assert.equal(await code(log.append(batch({ pid: 20n, seq: 17 }), { durable: false })), ErrorCode.NONE);
  await log.close();
});
