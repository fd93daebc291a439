import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import {
  type LogConfig,
  LogManager,
  logConfig,
  PartitionLog,
  StorageError,
} from "../../src/storage/index.js";
import { decodeBatches, readAll, sizedBatch, tmpDir } from "./support.js";

const cleanups: (() => void)[] = [];
after(() => {
  for (const c of cleanups) c();
});

async function openLog(config: Partial<LogConfig>): Promise<PartitionLog> {
  const t = tmpDir();
  cleanups.push(t.cleanup);
  return PartitionLog.open({
    dir: join(t.dir, "t-0"),
    topic: "t",
    partition: 0,
    config: logConfig({ segmentBytes: 2000, indexIntervalBytes: 100, fileDeleteDelayMs: 30, ...config }),
  });
}

const T0 = 1_700_000_000_000;

/** 20 batches of ~430 bytes, timestamps T0 + i*1000: four batches per segment. */
async function fill(log: PartitionLog, n = 20): Promise<void> {
  for (let i = 0; i < n; i++) await log.append(sizedBatch(3, 100, T0 + i * 1000), { durable: false });
}

describe("retention", () => {
  test("by time: whole segments whose largest timestamp is older than retention.ms; never the active one", async () => {
    const log = await openLog({ retentionMs: 10_000 });
    await fill(log);
    const segs = log.segments.map((s) => ({ base: s.baseOffset, max: Number(s.maxTimestamp) }));
    assert.ok(segs.length >= 4);
    const now = T0 + 19_000 + 1; // newest batch at T0+19000
    const expectedGone = segs.slice(0, -1).filter((s) => now - s.max > 10_000).length;
    assert.ok(expectedGone >= 1);
    const n = await log.deleteOldSegments(now);
    assert.equal(n, expectedGone);
    assert.equal(log.logStartOffset, segs[expectedGone]!.base);
    await assert.rejects(log.read(0n, 100), (e: unknown) => e instanceof StorageError && e.errorCode === 1);
    const first = decodeBatches(Buffer.concat((await log.read(log.logStartOffset, 100)).records))[0]!;
    assert.equal(first.baseOffset, log.logStartOffset);
    // Far in the future every non-active segment goes, the active one stays.
    await log.deleteOldSegments(T0 + 10_000_000);
    assert.equal(log.segments.length, 1);
    assert.equal(log.logStartOffset, log.activeSegment.baseOffset);
    assert.ok((await readAll(log)).length > 0);
    await log.close();
  });

  test("deleted segments are renamed .deleted, then removed after file.delete.delay.ms", async () => {
    const log = await openLog({ retentionMs: 1, fileDeleteDelayMs: 150 });
    await fill(log);
    const before = readdirSync(log.dir).filter((f) => f.endsWith(".log")).length;
    await log.deleteOldSegments(T0 + 1e9);
    const deleted = readdirSync(log.dir).filter((f) => f.endsWith(".deleted"));
    assert.ok(deleted.some((f) => f.endsWith(".log.deleted")));
    assert.ok(deleted.some((f) => f.endsWith(".index.deleted")));
    assert.equal(readdirSync(log.dir).filter((f) => f.endsWith(".log")).length, 1);
    assert.ok(before > 1);
    await sleep(400);
    assert.equal(readdirSync(log.dir).filter((f) => f.endsWith(".deleted")).length, 0);
    await log.close();
  });

  test("by size: the oldest segments go while the log stays at or above retention.bytes", async () => {
    const log = await openLog({ retentionMs: -1, retentionBytes: 5000 });
    await fill(log);
    const total = log.sizeInBytes();
    const sizes = log.segments.map((s) => s.size);
    let diff = total - 5000;
    let expected = 0;
    for (const s of sizes.slice(0, -1)) {
      if (diff - s < 0) break;
      diff -= s;
      expected++;
    }
    assert.equal(await log.deleteOldSegments(T0), expected);
    assert.ok(log.sizeInBytes() >= 5000 - sizes[0]!);
    assert.ok(log.sizeInBytes() <= total - expected * 1);
    // -1 means unlimited
    const keep = await openLog({ retentionMs: -1, retentionBytes: -1 });
    await fill(keep);
    assert.equal(await keep.deleteOldSegments(T0 + 1e12), 0);
    await log.close();
    await keep.close();
  });

  test("cleanup.policy=compact alone does not delete by time or size", async () => {
    const log = await openLog({ retentionMs: 1, retentionBytes: 1, cleanupPolicy: ["compact"] });
    await fill(log);
    assert.equal(await log.deleteOldSegments(T0 + 1e12), 0);
    await log.close();
  });

  test("DeleteRecords moves the log start offset and drops whole segments below it", async () => {
    const log = await openLog({ retentionMs: -1 });
    await fill(log);
    await assert.rejects(
      log.deleteRecordsBefore(log.highWatermark + 1n),
      (e: unknown) => e instanceof StorageError && e.errorCode === 1,
    );
    const seg2 = log.segments[2]!.baseOffset;
    const target = seg2 + 1n; // inside a batch of segment 2
    assert.equal(await log.deleteRecordsBefore(target), target);
    assert.equal(log.logStartOffset, target);
    assert.equal(log.segments[0]!.baseOffset, seg2);
    // Reading at the new start returns the batch holding it; below is out of range.
    const b = decodeBatches(Buffer.concat((await log.read(target, 10)).records))[0]!;
    assert.ok(b.baseOffset <= target && b.lastOffset >= target);
    await assert.rejects(
      log.read(target - 1n, 10),
      (e: unknown) => e instanceof StorageError && e.errorCode === 1,
    );
    // Not backwards.
    assert.equal(await log.deleteRecordsBefore(1n), target);
    // Up to the high watermark empties the log but keeps the active segment.
    assert.equal(await log.deleteRecordsBefore(log.highWatermark), log.highWatermark);
    assert.equal(log.segments.length, 1);
    assert.equal((await log.read(log.logEndOffset, 10)).records.length, 0);
    const r = await log.append(sizedBatch(1, 1), { durable: false });
    assert.equal(r.baseOffset, 60n);
    assert.equal(r.logStartOffset, 60n);
    await log.close();
  });
});

describe("LogManager lifecycle", () => {
  test("runRetention applies each log's config; delete() renames the dir -delete and removes it; other logs keep going", async () => {
    const t = tmpDir();
    cleanups.push(t.cleanup);
    const m = await LogManager.open({ dataDir: t.dir, cleaner: false });
    const cfg = logConfig({ segmentBytes: 2000, retentionMs: 10_000, fileDeleteDelayMs: 0 });
    const a = await m.create("a", 0, cfg, "8d6f0e4e-1b2a-4c3d-9e8f-0a1b2c3d4e5f");
    const b = await m.create(
      "b",
      0,
      logConfig({ segmentBytes: 2000, retentionMs: -1 }),
      "8d6f0e4e-1b2a-4c3d-9e8f-0a1b2c3d4e60",
    );
    assert.equal(await m.create("a", 0, cfg, "8d6f0e4e-1b2a-4c3d-9e8f-0a1b2c3d4e5f"), a);
    for (let i = 0; i < 20; i++) {
      await a.append(sizedBatch(3, 100, T0), { durable: false });
      await b.append(sizedBatch(3, 100, T0), { durable: false });
    }
    assert.ok((await m.runRetention(T0 + 1e9)) > 0);
    assert.equal(a.segments.length, 1);
    assert.ok(b.segments.length > 1);
    // Delete b while appends to a continue.
    const appending = (async () => {
      for (let i = 0; i < 50; i++) await a.append(sizedBatch(1, 10), { durable: true });
    })();
    await m.delete("b", 0);
    await appending;
    assert.equal(m.get("b", 0), undefined);
    await assert.rejects(
      b.append(sizedBatch(1, 1), { durable: false }),
      (e: unknown) => e instanceof StorageError && e.errorCode === 3,
    );
    await m.close();
    assert.ok(!existsSync(join(t.dir, "b-0")));
    assert.deepEqual(
      readdirSync(t.dir).filter((f) => f.endsWith("-delete")),
      [],
    );
    const m2 = await LogManager.open({ dataDir: t.dir, cleaner: false });
    assert.deepEqual(
      m2.all().map((l) => `${l.topic}-${l.partition}`),
      ["a-0"],
    );
    assert.equal(m2.get("a", 0)!.logEndOffset, 110n);
    await m2.close();
  });
});
