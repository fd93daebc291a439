/**
 * Group commit and flush policy: durable appends resolve only after an fdatasync that started after
 * their data was written, many concurrent durable appends share a few fsyncs, flush.messages and
 * flush.ms trigger syncs, and the high watermark never exposes a durable append before its fsync.
 */
import assert from "node:assert/strict";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { type LogConfig, LogManager, logConfig, PartitionLog } from "../../src/storage/index.js";
import { sizedBatch, tmpDir } from "./support.js";

const cleanups: (() => void)[] = [];
let syncsStarted = 0;
let syncsDone = 0;
let restore: (() => void) | undefined;

before(async () => {
  // Count fdatasync calls made through FileHandle (the engine's only way to sync data).
  const t = tmpDir();
  cleanups.push(t.cleanup);
  const fh = await open(join(t.dir, "probe"), "w");
  const proto = Object.getPrototypeOf(fh) as { datasync: () => Promise<void> };
  await fh.close();
  const orig = proto.datasync;
  proto.datasync = async function (this: unknown) {
    syncsStarted++;
    try {
      return await orig.call(this);
    } finally {
      syncsDone++;
    }
  };
  restore = () => {
    proto.datasync = orig;
  };
});

after(() => {
  restore?.();
  for (const c of cleanups) c();
});

async function openLog(config: Partial<LogConfig> = {}): Promise<PartitionLog> {
  const t = tmpDir();
  cleanups.push(t.cleanup);
  return PartitionLog.open({ dir: join(t.dir, "t-0"), topic: "t", partition: 0, config: logConfig(config) });
}

describe("group commit", () => {
  test("a durable append resolves after an fdatasync that began after it was called", async () => {
    const log = await openLog();
    for (let i = 0; i < 20; i++) {
      const startedBefore = syncsStarted;
      const r = await log.append(sizedBatch(2, 50), { durable: true });
      assert.ok(syncsDone > startedBefore, "an fsync started after the append and completed before its ack");
      assert.ok(log.recoveryPoint > r.lastOffset);
      assert.ok(log.highWatermark > r.lastOffset);
    }
    await log.close();
  });

  test("non-durable appends do not fsync (default flush policy)", async () => {
    const log = await openLog();
    const before = syncsStarted;
    for (let i = 0; i < 50; i++) await log.append(sizedBatch(2, 50), { durable: false });
    assert.equal(syncsStarted, before);
    assert.equal(log.stats.syncs, 0);
    assert.equal(log.recoveryPoint, 0n);
    await log.close();
  });

  test("64 concurrent durable appenders share fsyncs (group commit)", async () => {
    const log = await openLog();
    const rounds = 20;
    let acked = 0;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        for (let i = 0; i < rounds; i++) {
          const r = await log.append(sizedBatch(4, 256), { durable: true });
          assert.ok(log.recoveryPoint > r.lastOffset, "acknowledged only once fsynced");
          acked++;
        }
      }),
    );
    assert.equal(acked, 64 * rounds);
    const perSync = acked / log.stats.syncs;
    console.log(
      `group commit: ${acked} durable appends, ${log.stats.syncs} syncs, ${log.stats.writes} writes`,
    );
    assert.ok(
      perSync >= 8,
      `expected many appends per fsync, got ${perSync.toFixed(1)} (${log.stats.syncs} syncs)`,
    );
    await log.close();
  });

  test("the high watermark does not pass a durable append still waiting for its fsync", async () => {
    const log = await openLog();
    const seen: { hw: bigint; rp: bigint }[] = [];
    log.onAppend(() => seen.push({ hw: log.highWatermark, rp: log.recoveryPoint }));
    const all: Promise<unknown>[] = [];
    for (let i = 0; i < 200; i++) all.push(log.append(sizedBatch(1, 20), { durable: i % 3 === 0 }));
    await Promise.all(all);
    assert.ok(seen.length > 0);
    // Every HW value reached at most the first unsynced durable append: appends 0,3,6,... are durable,
    // so whenever HW moved past an offset divisible by 3 that offset was already synced.
    for (const { hw, rp } of seen) {
      const lastDurableBelow = hw === 0n ? -1n : ((hw - 1n) / 3n) * 3n;
      assert.ok(
        lastDurableBelow < rp || lastDurableBelow < 0n,
        `hw ${hw} exposes durable ${lastDurableBelow} before fsync (rp ${rp})`,
      );
    }
    assert.equal(log.highWatermark, 200n);
    await log.close();
  });

  test("flush.messages fsyncs after that many records", async () => {
    const log = await openLog({ flushMessages: 10 });
    for (let i = 0; i < 4; i++) await log.append(sizedBatch(2, 10), { durable: false });
    assert.equal(log.stats.syncs, 0);
    await log.append(sizedBatch(2, 10), { durable: false });
    await sleep(50);
    assert.ok(log.stats.syncs >= 1);
    assert.equal(log.recoveryPoint, 10n);
    await log.close();
  });

  test("flush.ms is applied by the manager's flush scheduler", async () => {
    const t = tmpDir();
    cleanups.push(t.cleanup);
    const m = await LogManager.open({ dataDir: t.dir, cleaner: false, flushSchedulerIntervalMs: 20 });
    const log = await m.create("f", 0, logConfig({ flushMs: 30 }), "8d6f0e4e-1b2a-4c3d-9e8f-0a1b2c3d4e5f");
    await log.append(sizedBatch(2, 10), { durable: false });
    const t0 = performance.now();
    while (log.recoveryPoint < 2n && performance.now() - t0 < 2000) await sleep(10);
    assert.equal(log.recoveryPoint, 2n);
    await m.close();
  });

  test("a rolled segment is synced in the background: the recovery point reaches the active segment", async () => {
    const log = await openLog({ segmentBytes: 2000 });
    for (let i = 0; i < 30; i++) await log.append(sizedBatch(2, 100), { durable: false });
    assert.ok(log.segments.length > 3);
    const t0 = performance.now();
    while (log.recoveryPoint < log.activeSegment.baseOffset && performance.now() - t0 < 2000) await sleep(5);
    assert.ok(log.recoveryPoint >= log.activeSegment.baseOffset);
    await log.close();
  });

  test("flush() syncs what was appended before it", async () => {
    const log = await openLog();
    await Promise.all([
      log.append(sizedBatch(2, 10), { durable: false }),
      log.append(sizedBatch(2, 10), { durable: false }),
    ]);
    const before = syncsDone;
    await log.flush();
    assert.ok(syncsDone > before);
    assert.equal(log.recoveryPoint, 4n);
    await log.close();
  });
});
