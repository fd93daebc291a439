import assert from "node:assert/strict";
import {
  existsSync,
  readdirSync,
  readFileSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { LogManager, logConfig, PartitionLog } from "../../src/storage/index.js";
import { decodeBatches, memoryLogger, readAll, sizedBatch, tmpDir } from "./support.js";

const cleanups: (() => void)[] = [];
const abandoned: PartitionLog[] = [];
after(async () => {
  for (const l of abandoned) await l.close({ flush: false }).catch(() => {});
  for (const c of cleanups) c();
});

function newDir(): string {
  const t = tmpDir();
  cleanups.push(t.cleanup);
  return join(t.dir, "t-0");
}

const cfg = logConfig({ segmentBytes: 4096, indexIntervalBytes: 200 });

/** A log of `n` batches of 3 records (~400 bytes each) spread over several segments, left without close (a crash). */
async function crashedLog(n: number, dir = newDir()): Promise<{ dir: string; log: PartitionLog }> {
  const log = await PartitionLog.open({ dir, topic: "t", partition: 0, config: cfg });
  for (let i = 0; i < n; i++) await log.append(sizedBatch(3, 100, 1_700_000_000_000 + i), { durable: false });
  await log.flush();
  abandoned.push(log);
  return { dir, log };
}

function reopen(dir: string, extra: { recoveryPoint?: bigint; cleanShutdown?: boolean } = {}) {
  const logger = memoryLogger();
  return PartitionLog.open({ dir, topic: "t", partition: 0, config: cfg, logger, ...extra }).then((log) => ({
    log,
    logger,
  }));
}

function segmentFiles(dir: string, suffix: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(suffix))
    .sort()
    .map((f) => join(dir, f));
}

describe("recovery of torn and corrupt tails", () => {
  test("a segment truncated mid-batch is cut back to the last whole batch, and appends continue", async () => {
    const { dir, log: old } = await crashedLog(30);
    const leo = old.logEndOffset;
    const last = segmentFiles(dir, ".log").at(-1)!;
    const size = statSync(last).size;
    truncateSync(last, size - 50);
    const { log, logger } = await reopen(dir);
    assert.equal(log.logEndOffset, leo - 3n, "the torn batch is gone");
    assert.equal(statSync(last).size % 1, 0);
    assert.ok(statSync(last).size < size - 50);
    assert.ok(logger.lines.some((l) => l.level === "warn" && /truncated/.test(l.msg ?? "")));
    const r = await log.append(sizedBatch(1, 10), { durable: true });
    assert.equal(r.baseOffset, leo - 3n);
    const all = await readAll(log);
    assert.equal(all.length, 30);
    assert.ok(all.every((b) => b.crcOk));
    await log.close();
  });

  test("a flipped byte in the last batch fails its CRC and is cut", async () => {
    const { dir, log: old } = await crashedLog(10);
    const leo = old.logEndOffset;
    const last = segmentFiles(dir, ".log").at(-1)!;
    const fh = await open(last, "r+");
    const size = (await fh.stat()).size;
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, size - 10);
    b[0]! ^= 0x40;
    await fh.write(b, 0, 1, size - 10);
    await fh.close();
    const { log } = await reopen(dir);
    assert.equal(log.logEndOffset, leo - 3n);
    assert.ok((await readAll(log)).every((x) => x.crcOk));
    await log.close();
  });

  test("zeros after the last batch (a torn extension) are cut", async () => {
    const { dir, log: old } = await crashedLog(10);
    const last = segmentFiles(dir, ".log").at(-1)!;
    const size = statSync(last).size;
    const fh = await open(last, "r+");
    await fh.write(Buffer.alloc(3000), 0, 3000, size);
    await fh.close();
    const { log, logger } = await reopen(dir);
    assert.equal(log.logEndOffset, old.logEndOffset);
    assert.equal(statSync(last).size, size);
    assert.ok(logger.lines.some((l) => l.level === "warn"));
    await log.close();
  });

  test("corruption inside an unflushed middle segment truncates it and drops the segments after it", async () => {
    const { dir } = await crashedLog(40);
    const logs = segmentFiles(dir, ".log");
    assert.ok(logs.length >= 4);
    const victim = logs[1]!;
    const fh = await open(victim, "r+");
    await fh.write(Buffer.from([0xff, 0xff]), 0, 2, 500);
    await fh.close();
    const { log, logger } = await reopen(dir, { recoveryPoint: 0n });
    assert.equal(log.segments.length, 2);
    const all = await readAll(log);
    // Contiguous, all valid, ends where the corruption started.
    let next = 0n;
    for (const b of all) {
      assert.equal(b.baseOffset, next);
      assert.ok(b.crcOk);
      next = b.lastOffset + 1n;
    }
    assert.equal(next, log.logEndOffset);
    assert.ok(logger.lines.some((l) => /deleted the segments after/.test(l.msg ?? "")));
    await log.close();
  });

  test("segments below the recovery point are not rescanned; those from it are", async () => {
    const { dir, log: old } = await crashedLog(40);
    const segs = old.segments.length;
    const rp = old.segments[segs - 2]!.baseOffset;
    const { log } = await reopen(dir, { recoveryPoint: rp });
    assert.equal(log.recoveryReport!.recoveredSegments, 2);
    assert.equal(log.logEndOffset, old.logEndOffset);
    assert.equal((await readAll(log)).length, 40);
    await log.close();
  });

  test("a truncated, missing or garbage index below the recovery point is rebuilt on first use", async () => {
    const { dir, log: old } = await crashedLog(40);
    const leo = old.logEndOffset;
    const indexes = segmentFiles(dir, ".index");
    const times = segmentFiles(dir, ".timeindex");
    await old.close();
    // Reference answers before damage.
    const { log: ref } = await reopen(dir, { cleanShutdown: true });
    const expectTs = await ref.offsetForTimestamp(1_700_000_000_020n);
    await ref.close();
    truncateSync(indexes[0]!, statSync(indexes[0]!).size - 3); // torn entry
    unlinkSync(indexes[1]!); // missing
    writeFileSync(indexes[2]!, Buffer.alloc(64, 0xee)); // garbage
    truncateSync(times[0]!, statSync(times[0]!).size - 5);
    const { log, logger } = await reopen(dir, { cleanShutdown: true });
    assert.equal(log.logEndOffset, leo);
    const all = await readAll(log, 0n, 300);
    assert.equal(all.length, 40);
    for (let i = 0; i < 120; i += 7) {
      const r = await log.read(BigInt(i), 1);
      const b = decodeBatches(Buffer.concat(r.records))[0]!;
      assert.ok(b.baseOffset <= BigInt(i) && b.lastOffset >= BigInt(i));
    }
    assert.deepEqual(await log.offsetForTimestamp(1_700_000_000_020n), expectTs);
    assert.ok(logger.lines.filter((l) => /rebuilding/.test(l.msg ?? "")).length >= 3);
    await log.close();
    assert.equal(statSync(indexes[1]!).size % 8, 0);
  });

  test("a torn index tail of the active segment is rebuilt by recovery", async () => {
    const { dir, log: old } = await crashedLog(8);
    await old.close();
    const idx = segmentFiles(dir, ".index").at(-1)!;
    writeFileSync(idx, Buffer.from([1, 2, 3]));
    const { log } = await reopen(dir, { recoveryPoint: 0n });
    assert.equal(log.logEndOffset, old.logEndOffset);
    assert.equal(statSync(idx).size % 8, 0);
    assert.equal((await readAll(log)).length, 8);
    await log.close();
  });
});

describe("checkpoints and clean shutdown", () => {
  test("close writes Kafka's checkpoint files and .kafka_cleanshutdown; the next start does not rescan", async () => {
    const t = tmpDir();
    cleanups.push(t.cleanup);
    const dataDir = t.dir;
    const m = await LogManager.open({ dataDir, cleaner: true });
    const a = await m.create("orders", 0, cfg, "8d6f0e4e-1b2a-4c3d-9e8f-0a1b2c3d4e5f");
    const b = await m.create("my-topic.v2", 3, cfg, "8d6f0e4e-1b2a-4c3d-9e8f-0a1b2c3d4e60");
    for (let i = 0; i < 20; i++) await a.append(sizedBatch(3, 100), { durable: false });
    await b.append(sizedBatch(1, 10), { durable: false });
    await a.deleteRecordsBefore(5n);
    await m.close();
    assert.ok(existsSync(join(dataDir, ".kafka_cleanshutdown")));
    const rp = readFileSync(join(dataDir, "recovery-point-offset-checkpoint"), "utf8");
    assert.match(rp, /^0\n2\n/);
    assert.ok(rp.includes("orders 0 60\n"));
    assert.ok(rp.includes("my-topic.v2 3 1\n"));
    const ls = readFileSync(join(dataDir, "log-start-offset-checkpoint"), "utf8");
    assert.ok(ls.includes("orders 0 5\n"));
    assert.equal(
      readFileSync(join(dataDir, "orders-0", "partition.metadata"), "utf8"),
      "version: 0\ntopic_id: jW8OThsqTD2ejwobLD1OXw\n",
    );
    const m2 = await LogManager.open({ dataDir });
    assert.ok(m2.hadCleanShutdown);
    assert.ok(!existsSync(join(dataDir, ".kafka_cleanshutdown")));
    const a2 = m2.get("orders", 0)!;
    assert.equal(a2.recoveryReport!.recoveredSegments, 0);
    assert.equal(a2.logEndOffset, 60n);
    assert.equal(a2.logStartOffset, 5n);
    assert.equal(a2.topicId, "jW8OThsqTD2ejwobLD1OXw");
    assert.equal(m2.get("my-topic.v2", 3)!.logEndOffset, 1n);
    await m2.close();
  });

  test("after a crash (no clean shutdown marker) recovery starts at the checkpointed recovery point", async () => {
    const t = tmpDir();
    cleanups.push(t.cleanup);
    const m = await LogManager.open({ dataDir: t.dir, cleaner: false });
    const a = await m.create("x", 0, cfg, "8d6f0e4e-1b2a-4c3d-9e8f-0a1b2c3d4e5f");
    for (let i = 0; i < 40; i++) await a.append(sizedBatch(3, 100), { durable: true });
    await m.writeCheckpoints();
    for (let i = 0; i < 5; i++) await a.append(sizedBatch(3, 100), { durable: false });
    // crash: no close
    abandoned.push(...m.all());
    const m2 = await LogManager.open({ dataDir: t.dir, cleaner: false });
    const a2 = m2.get("x", 0)!;
    assert.ok(!m2.hadCleanShutdown);
    assert.ok(a2.recoveryReport!.recoveredSegments >= 1);
    assert.ok(a2.recoveryReport!.recoveredSegments < a2.segments.length);
    assert.equal(a2.logEndOffset, 135n);
    await m2.close();
  });
});
