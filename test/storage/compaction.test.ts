import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { after, describe, test } from "node:test";
import { setCleanerHook } from "../../src/storage/cleaner.js";
import { type LogConfig, LogManager, logConfig, type PartitionLog } from "../../src/storage/index.js";
import { buildBatch, type DecodedBatch, markerBatch, readAll, type TestRecord, tmpDir } from "./support.js";

const cleanups: (() => void)[] = [];
after(() => {
  for (const c of cleanups) c();
});

const T0 = 1_700_000_000_000;
const DAY = 86_400_000;

async function setup(
  config: Partial<LogConfig> = {},
): Promise<{ m: LogManager; log: PartitionLog; dataDir: string }> {
  const t = tmpDir("brook-compact-");
  cleanups.push(t.cleanup);
  const m = await LogManager.open({ dataDir: t.dir, cleaner: true, cleanerOptions: { backoffMs: 1e9 } });
  const log = await m.create(
    "c",
    0,
    logConfig({
      cleanupPolicy: ["compact"],
      segmentBytes: 3000,
      indexIntervalBytes: 200,
      fileDeleteDelayMs: 0,
      minCleanableDirtyRatio: 0.01,
      ...config,
    }),
    "8d6f0e4e-1b2a-4c3d-9e8f-0a1b2c3d4e5f",
  );
  return { m, log, dataDir: t.dir };
}

interface Written {
  offset: bigint;
  key: string;
  value: string | null;
}

async function put(
  log: PartitionLog,
  records: TestRecord[],
  extra: Parameters<typeof buildBatch>[0] | object = {},
): Promise<Written[]> {
  const r = await log.append(buildBatch({ records, ...extra }), { durable: false });
  return records.map((rec, i) => ({
    offset: r.baseOffset + BigInt(i),
    key: String(rec.key),
    value: rec.value === null || rec.value === undefined ? null : String(rec.value),
  }));
}

function flat(batches: DecodedBatch[]): Written[] {
  return batches.flatMap((b) =>
    (b.attributes & 0x20) !== 0
      ? []
      : b.records.map((r) => ({
          offset: r.offset,
          key: r.key!.toString(),
          value: r.value === null ? null : r.value.toString(),
        })),
  );
}

/** What a clean of [0, end) must leave: the last record of each key below end, and everything from end on. */
function expectedAfterClean(written: Written[], end: bigint): Written[] {
  const last = new Map<string, bigint>();
  for (const w of written) if (w.offset < end) last.set(w.key, w.offset);
  return written.filter((w) => w.offset >= end || last.get(w.key) === w.offset);
}

describe("log compaction", () => {
  test("keeps exactly the latest value of each key below the cleanable end, offsets unchanged", async () => {
    const { m, log } = await setup();
    const written: Written[] = [];
    let v = 0;
    for (let i = 0; i < 120; i++) {
      const recs: TestRecord[] = [];
      for (let j = 0; j < 3; j++)
        recs.push({
          key: `key-${(i * 7 + j * 3) % 23}`,
          value: `v${v++}-${"x".repeat(100)}`,
          timestamp: T0 + i,
        });
      written.push(...(await put(log, recs)));
    }
    const before = log.sizeInBytes();
    const stats = await m.cleaner!.clean(log, T0 + 1000);
    assert.ok(stats, "cleaned");
    const end = log.activeSegment.baseOffset;
    assert.equal(stats.endOffset, end);
    const after = await readAll(log, 0n, 1 << 20);
    assert.ok(after.every((b) => b.crcOk));
    assert.deepEqual(flat(after), expectedAfterClean(written, end));
    assert.ok(log.sizeInBytes() < before / 2, `log shrank: ${before} -> ${log.sizeInBytes()}`);
    assert.equal(log.logEndOffset, BigInt(written.length));
    // Every key's latest value is still the one last written.
    const latest = new Map<string, string | null>();
    for (const w of written) latest.set(w.key, w.value);
    const got = new Map<string, string | null>();
    for (const w of flat(after)) got.set(w.key, w.value);
    assert.deepEqual(got, latest);
    // The cleaner point is checkpointed in Kafka's format.
    await m.close();
    const cp = readFileSync(`${m.dataDir}/cleaner-offset-checkpoint`, "utf8");
    assert.equal(cp, `0\n1\nc 0 ${end}\n`);
    const m2 = await LogManager.open({ dataDir: m.dataDir, cleanerOptions: { backoffMs: 1e9 } });
    assert.equal(m2.cleaner!.firstDirtyOffset(m2.get("c", 0)!), end);
    assert.deepEqual(flat(await readAll(m2.get("c", 0)!, 0n, 1 << 20)), expectedAfterClean(written, end));
    await m2.close();
  });

  test("a second clean compacts the new dirty part against the clean one; segments are merged", async () => {
    const { m, log } = await setup();
    const written: Written[] = [];
    for (let i = 0; i < 60; i++)
      written.push(...(await put(log, [{ key: `k${i % 10}`, value: `a${i}-${"y".repeat(150)}` }])));
    await m.cleaner!.clean(log, T0);
    const segsAfterFirst = log.segments.length;
    for (let i = 0; i < 60; i++)
      written.push(...(await put(log, [{ key: `k${i % 13}`, value: `b${i}-${"y".repeat(150)}` }])));
    assert.ok(log.segments.length > segsAfterFirst);
    await m.cleaner!.clean(log, T0);
    const end = log.activeSegment.baseOffset;
    assert.deepEqual(flat(await readAll(log, 0n, 1 << 20)), expectedAfterClean(written, end));
    await m.close();
  });

  test("tombstones remove older values, are kept delete.retention.ms, then removed", async () => {
    const { m, log } = await setup({ deleteRetentionMs: DAY });
    const written: Written[] = [];
    for (let i = 0; i < 30; i++)
      written.push(...(await put(log, [{ key: `k${i % 5}`, value: `v${i}-${"z".repeat(200)}` }])));
    written.push(...(await put(log, [{ key: "k1", value: null }])));
    written.push(...(await put(log, [{ key: "k2", value: null }])));
    for (let i = 0; i < 20; i++)
      written.push(...(await put(log, [{ key: `other${i}`, value: "z".repeat(200) }])));
    const now = T0 + 1000;
    await m.cleaner!.clean(log, now);
    let recs = flat(await readAll(log, 0n, 1 << 20));
    assert.deepEqual(
      recs.filter((r) => r.key === "k1"),
      [{ offset: 30n, key: "k1", value: null }],
      "only the tombstone is left of k1",
    );
    // The tombstone's batch now carries a delete horizon (attribute bit 6, base timestamp = now + delete.retention.ms).
    const tomb = (await readAll(log, 0n, 1 << 20)).find((b) => b.baseOffset === 30n)!;
    assert.equal(tomb.attributes & 0x40, 0x40);
    assert.equal(tomb.baseTimestamp, BigInt(now + DAY));
    // Before the horizon: still there. After: gone, even with no new dirty data.
    await m.cleaner!.cleanRound(now + DAY - 1);
    recs = flat(await readAll(log, 0n, 1 << 20));
    assert.equal(recs.filter((r) => r.value === null).length, 2);
    const done = await m.cleaner!.cleanRound(now + DAY + 1);
    assert.equal(done.length, 1);
    recs = flat(await readAll(log, 0n, 1 << 20));
    assert.equal(recs.filter((r) => r.key === "k1" || r.key === "k2").length, 0);
    assert.equal(recs.filter((r) => r.key === "k3").length, 1);
    // Record timestamps survive the horizon rewrite.
    await m.close();
  });

  test("min.compaction.lag.ms keeps young segments dirty; max.compaction.lag.ms forces a clean; dirty ratio gates", async () => {
    const { m, log } = await setup({ minCompactionLagMs: 10_000, minCleanableDirtyRatio: 0.99 });
    for (let i = 0; i < 40; i++)
      await put(log, [{ key: `k${i % 4}`, value: "q".repeat(200), timestamp: T0 + i * 1000 }]);
    // At T0 + 20s only segments whose newest record is older than 10 s are cleanable.
    const info = await m.cleaner!.cleanableInfo(log, T0 + 20_000);
    assert.ok(info);
    assert.ok(info.firstUncleanableOffset < log.activeSegment.baseOffset);
    const seg = log.segments.find((s) => s.baseOffset === info.firstUncleanableOffset)!;
    assert.ok(Number(seg.maxTimestamp) > T0 + 10_000);
    // Ratio 0.99 is not reached after a first clean plus a little new data...
    await m.cleaner!.clean(log, T0 + 1e9);
    await put(log, [{ key: "k1", value: "new" }]);
    for (let i = 0; i < 12; i++)
      await put(log, [{ key: `n${i}`, value: "q".repeat(200), timestamp: T0 + 1e9 }]);
    assert.equal((await m.cleaner!.cleanRound(T0 + 1e9 + 1)).length, 0);
    await m.close();
    // ...but max.compaction.lag.ms forces it.
    const b = await setup({ minCleanableDirtyRatio: 0.99, maxCompactionLagMs: 60_000 });
    for (let i = 0; i < 40; i++)
      await put(b.log, [{ key: `k${i % 4}`, value: "q".repeat(200), timestamp: T0 }]);
    await b.m.cleaner!.clean(b.log, T0 + 1);
    for (let i = 0; i < 12; i++)
      await put(b.log, [{ key: `k${i % 4}`, value: "q".repeat(200), timestamp: T0 + 10 }]);
    assert.equal((await b.m.cleaner!.cleanRound(T0 + 30_000)).length, 0);
    assert.equal((await b.m.cleaner!.cleanRound(T0 + 120_000)).length, 1);
    await b.m.close();
  });

  test("nothing at or beyond the last stable offset is cleaned", async () => {
    const { m, log } = await setup();
    const written: Written[] = [];
    for (let i = 0; i < 60; i++)
      written.push(...(await put(log, [{ key: `k${i % 3}`, value: `v${i}${"w".repeat(200)}` }])));
    const lso = 25n;
    log.setLastStableOffsetProvider(() => lso);
    assert.equal(log.lastStableOffset, lso);
    const stats = await m.cleaner!.clean(log, T0);
    assert.ok(stats);
    assert.ok(stats.endOffset <= lso);
    assert.deepEqual(flat(await readAll(log, 0n, 1 << 20)), expectedAfterClean(written, stats.endOffset));
    assert.ok(
      flat(await readAll(log, 0n, 1 << 20)).filter((w) => w.offset >= lso).length ===
        written.length - Number(lso),
    );
    await m.close();
  });

  test("transactions: aborted records go whatever their key, committed ones compact, markers follow Kafka's rules", async () => {
    const { m, log } = await setup({ deleteRetentionMs: DAY });
    const written: Written[] = [];
    const pid = 4000n;
    written.push(...(await put(log, [{ key: "a", value: "a0" }])));
    // committed txn: a=a1, b=b1
    written.push(
      ...(await put(
        log,
        [
          { key: "a", value: "a1" },
          { key: "b", value: "b1" },
        ],
        { producerId: pid, producerEpoch: 0, baseSequence: 0, transactional: true },
      )),
    );
    const commitAt = (await log.append(markerBatch(pid, 0, true), { durable: false, allowControl: true }))
      .baseOffset;
    // aborted txn: c=c1 (unique key) and a=a2
    written.push(
      ...(await put(
        log,
        [
          { key: "c", value: "c1" },
          { key: "a", value: "a2" },
        ],
        { producerId: pid, producerEpoch: 0, baseSequence: 2, transactional: true },
      )),
    );
    const abortAt = (await log.append(markerBatch(pid, 0, false), { durable: false, allowControl: true }))
      .baseOffset;
    for (let i = 0; i < 30; i++)
      written.push(...(await put(log, [{ key: `f${i}`, value: "f".repeat(200) }])));
    await m.cleaner!.clean(log, T0);
    const batches = await readAll(log, 0n, 1 << 20);
    const recs = flat(batches);
    assert.deepEqual(
      recs.filter((r) => ["a", "b", "c"].includes(r.key)),
      [
        { offset: 1n, key: "a", value: "a1" },
        { offset: 2n, key: "b", value: "b1" },
      ],
      "a0 replaced by the committed a1; aborted c1 and a2 gone",
    );
    const markers = () =>
      readAll(log, 0n, 1 << 20).then((bs) => bs.filter((b) => (b.attributes & 0x20) !== 0));
    let ms = await markers();
    assert.deepEqual(
      ms.map((b) => b.baseOffset),
      [commitAt, abortAt],
      "both markers kept on the first clean",
    );
    // The commit marker still has data; the abort marker's data is gone: it got a delete horizon.
    assert.equal(ms[0]!.attributes & 0x40, 0);
    assert.equal(ms[1]!.attributes & 0x40, 0x40);
    await m.cleaner!.cleanRound(T0 + DAY + 10);
    ms = await markers();
    assert.deepEqual(
      ms.map((b) => b.baseOffset),
      [commitAt],
      "the abort marker is removed once its horizon passed",
    );
    // Offsets stay monotonic and every batch is valid.
    let prev = -1n;
    for (const b of await readAll(log, 0n, 1 << 20)) {
      assert.ok(b.baseOffset > prev && b.crcOk);
      prev = b.lastOffset;
    }
    await m.close();
  });

  test("gzip batches are compacted and recompressed; a producer's emptied last batch is kept empty", async () => {
    const { m, log } = await setup();
    const written: Written[] = [];
    for (let i = 0; i < 40; i++) {
      written.push(
        ...(await put(
          log,
          [
            { key: `g${i % 6}`, value: `gz${i}${"r".repeat(300)}` },
            { key: `h${i % 2}`, value: `h${i}` },
          ],
          { compression: 1 },
        )),
      );
    }
    written.push(
      ...(await put(log, [{ key: "p", value: "old" }], {
        producerId: 77n,
        producerEpoch: 1,
        baseSequence: 0,
      })),
    );
    written.push(...(await put(log, [{ key: "p", value: "new" }])));
    for (let i = 0; i < 20; i++)
      written.push(...(await put(log, [{ key: `z${i}`, value: "z".repeat(300) }])));
    await m.cleaner!.clean(log, T0);
    const end = log.activeSegment.baseOffset;
    const batches = await readAll(log, 0n, 1 << 20);
    assert.deepEqual(flat(batches), expectedAfterClean(written, end));
    assert.ok(batches.filter((b) => (b.attributes & 7) === 1).length > 0, "still gzip");
    const empty = batches.find((b) => b.producerId === 77n)!;
    assert.equal(empty.records.length, 0, "producer 77's only batch is kept, emptied");
    assert.equal(empty.baseSequence, 0);
    await m.close();
  });

  test("the manager's cleaner runs by itself every log.cleaner.backoff.ms", async () => {
    const t = tmpDir("brook-compact-");
    cleanups.push(t.cleanup);
    const m = await LogManager.open({ dataDir: t.dir, cleanerOptions: { backoffMs: 30 } });
    const cfg = logConfig({
      cleanupPolicy: ["delete"],
      segmentBytes: 3000,
      minCleanableDirtyRatio: 0.1,
      fileDeleteDelayMs: 0,
    });
    const log = await m.create("auto", 0, cfg, "8d6f0e4e-1b2a-4c3d-9e8f-0a1b2c3d4e5f");
    for (let i = 0; i < 60; i++)
      await put(log, [{ key: `k${i % 3}`, value: "a".repeat(200), timestamp: Date.now() }]);
    // Not compacted yet: the cleaner leaves delete-only logs alone.
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(m.cleaner!.history.length, 0);
    log.updateConfig({ ...cfg, cleanupPolicy: ["compact", "delete"] });
    const t0 = performance.now();
    while (m.cleaner!.history.length === 0 && performance.now() - t0 < 5000)
      await new Promise((r) => setTimeout(r, 20));
    assert.ok(m.cleaner!.history.length > 0, "a clean happened");
    const keys = flat(await readAll(log, 0n, 1 << 20)).filter((w) => w.offset < log.activeSegment.baseOffset);
    assert.equal(keys.length, 3, "one record per key left below the active segment");
    await m.close();
  });

  test("the cleaner leaves no temporary files and runs off the append path", async () => {
    const { m, log } = await setup();
    const appends: Promise<unknown>[] = [];
    for (let i = 0; i < 80; i++) await put(log, [{ key: `k${i % 5}`, value: "v".repeat(300) }]);
    const cleaning = m.cleaner!.clean(log, T0);
    for (let i = 0; i < 50; i++)
      appends.push(
        log.append(buildBatch({ records: [{ key: `k${i % 5}`, value: "x" }] }), { durable: true }),
      );
    await Promise.all([cleaning, ...appends]);
    assert.deepEqual(
      readdirSync(log.dir).filter((f) => /\.(cleaned|swap)$/.test(f)),
      [],
    );
    assert.equal(log.logEndOffset, 130n);
    await m.close();
  });

  test("a read racing the swap (old segment list, files renamed) reads the old data; no stray segment files appear", async () => {
    // Found by the transactional property test: a reader holding the segment list from before a
    // swap reopened a retired segment's file with O_CREAT once its handle had been closed, made an
    // empty file under the old name (a stray segment after a restart) and then looped on the short
    // file, hanging every read of the partition.
    const { m, log } = await setup();
    const written: Written[] = [];
    for (let i = 0; i < 60; i++)
      written.push(...(await put(log, [{ key: `k${i % 4}`, value: "v".repeat(200) }])));
    const before = flat(await readAll(log, 0n, 1 << 20));
    const oldSegments = log.segments;
    let duringSwap: Written[] | undefined;
    setCleanerHook(async (point) => {
      if (point !== "after-retire" || duringSwap) return;
      // Let timers run (file.delete.delay.ms is 0 here), then read through the old list.
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(log.segments, oldSegments, "the list is not replaced yet");
      assert.ok(
        oldSegments.some((seg) => seg.deleted),
        "retired segments are still in the list",
      );
      duringSwap = flat(await readAll(log, 0n, 1 << 20));
    });
    try {
      const stats = await Promise.race([
        m.cleaner!.clean(log, T0),
        new Promise((_, reject) => setTimeout(() => reject(new Error("clean or read hangs")), 10_000)),
      ]);
      assert.ok(stats, "cleaned");
    } finally {
      setCleanerHook(undefined);
    }
    assert.deepEqual(duringSwap, before, "the racing read saw the data as before the clean");
    await new Promise((r) => setTimeout(r, 50)); // the retired files' delete (delay 0)
    const logs = readdirSync(log.dir)
      .filter((f) => f.endsWith(".log"))
      .sort();
    const live = log.segments.map((s) => `${String(s.baseOffset).padStart(20, "0")}.log`).sort();
    assert.deepEqual(logs, live, "every .log file on disk is a live segment");
    assert.deepEqual(
      flat(await readAll(log, 0n, 1 << 20)),
      expectedAfterClean(written, log.activeSegment.baseOffset),
    );
    await m.close();
  });
});
