import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { logConfig, PartitionLog } from "../../src/storage/index.js";
import { markerBatch, sizedBatch, tmpDir } from "./support.js";

const t = tmpDir();
after(() => t.cleanup());

test("aborted transactions: 34-byte .txnindex entries in the marker's segment, collected by range, kept across reopen, truncated with the log", async () => {
  const dir = join(t.dir, "t-0");
  const config = logConfig({ segmentBytes: 1500 });
  const log = await PartitionLog.open({ dir, topic: "t", partition: 0, config });
  for (let i = 0; i < 6; i++) await log.append(sizedBatch(2, 200), { durable: false }); // several segments
  // An ABORT marker is indexed by the log itself (no data of producer 7 here: the transaction
  // starts and ends at the marker).
  const m1 = await log.append(markerBatch(7n, 0, false), { durable: false, allowControl: true });
  for (let i = 0; i < 4; i++) await log.append(sizedBatch(2, 200), { durable: false });
  const m2 = await log.append(markerBatch(8n, 0, false), { durable: false, allowControl: true });
  const all = await log.collectAbortedTransactions(0n, log.logEndOffset);
  assert.deepEqual(
    all.map((x) => x.producerId),
    [7n, 8n],
  );
  // Only transactions overlapping [from, to).
  assert.deepEqual(
    (await log.collectAbortedTransactions(m1.baseOffset + 1n, log.logEndOffset)).map((x) => x.producerId),
    [8n],
  );
  assert.deepEqual(await log.collectAbortedTransactions(0n, 2n), []);
  await log.close();
  // Kafka's file format: version int16 0, producerId, firstOffset, lastOffset, lastStableOffset.
  const files = readdirSync(dir).filter((f) => f.endsWith(".txnindex"));
  assert.ok(files.length >= 1);
  const bytes = Buffer.concat(files.sort().map((f) => readFileSync(join(dir, f))));
  assert.equal(bytes.length, 68);
  assert.equal(bytes.readInt16BE(0), 0);
  assert.equal(bytes.readBigInt64BE(2), 7n);
  assert.equal(bytes.readBigInt64BE(10), m1.baseOffset);
  assert.equal(bytes.readBigInt64BE(18), m1.baseOffset);
  // Reopen after a crash that tore the log before the second marker: its entry goes too.
  const again = await PartitionLog.open({ dir, topic: "t", partition: 0, config, cleanShutdown: true });
  assert.equal((await again.collectAbortedTransactions(0n, again.logEndOffset)).length, 2);
  await again.close();
  const { truncateSync, statSync } = await import("node:fs");
  const last = readdirSync(dir)
    .filter((f) => f.endsWith(".log"))
    .sort()
    .at(-1)!;
  truncateSync(join(dir, last), statSync(join(dir, last)).size - 5);
  const torn = await PartitionLog.open({ dir, topic: "t", partition: 0, config, recoveryPoint: 0n });
  assert.equal(torn.logEndOffset, m2.baseOffset);
  assert.deepEqual(
    (await torn.collectAbortedTransactions(0n, torn.logEndOffset + 1n)).map((x) => x.producerId),
    [7n],
  );
  await torn.close();
});

test("the last stable offset comes from the provider, never above the high watermark", async () => {
  const log = await PartitionLog.open({
    dir: join(t.dir, "lso-0"),
    topic: "lso",
    partition: 0,
    config: logConfig(),
  });
  await log.append(sizedBatch(5, 10), { durable: false });
  assert.equal(log.lastStableOffset, 5n);
  let lso = 2n;
  log.setLastStableOffsetProvider(() => lso);
  assert.equal(log.lastStableOffset, 2n);
  const r = await log.read(0n, 1 << 20, { maxOffset: log.lastStableOffset });
  assert.equal(r.lastStableOffset, 2n);
  assert.equal(r.records.length, 1, "the batch holding offset 0 starts below the LSO");
  assert.equal((await log.read(2n, 1 << 20, { maxOffset: log.lastStableOffset })).records.length, 0);
  lso = 100n;
  assert.equal(log.lastStableOffset, 5n);
  await log.close();
});

test("batches() walks every batch of a range across segments, for state rebuilds", async () => {
  const log = await PartitionLog.open({
    dir: join(t.dir, "it-0"),
    topic: "it",
    partition: 0,
    config: logConfig({ segmentBytes: 1000 }),
  });
  for (let i = 0; i < 12; i++) await log.append(sizedBatch(2, 150), { durable: false });
  assert.ok(log.segments.length > 3);
  const seen: bigint[] = [];
  for await (const b of log.batches(5n, 19n)) seen.push(b.header.baseOffset);
  assert.deepEqual(seen, [4n, 6n, 8n, 10n, 12n, 14n, 16n, 18n]);
  let n = 0;
  for await (const b of log.batches()) {
    assert.equal(b.batch.length, b.header.batchLength + 12);
    n++;
  }
  assert.equal(n, 12);
  await log.close();
});
