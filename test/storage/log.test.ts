import assert from "node:assert/strict";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import {
  DEFAULT_LOG_CONFIG,
  type LogConfig,
  logConfig,
  PartitionLog,
  StorageError,
} from "../../src/storage/index.js";
import { buildBatch, decodeBatches, readAll, sizedBatch, tmpDir } from "./support.js";

const dirs: (() => void)[] = [];
after(() => {
  for (const c of dirs) c();
});

async function openLog(config: Partial<LogConfig> = {}, dir?: string): Promise<PartitionLog> {
  let d = dir;
  if (!d) {
    const t = tmpDir();
    dirs.push(t.cleanup);
    d = join(t.dir, "t-0");
  }
  return PartitionLog.open({ dir: d, topic: "t", partition: 0, config: logConfig(config) });
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("append and read", () => {
  test("assigns offsets, stamps the leader epoch, keeps the bytes and the CRC", async () => {
    const log = await openLog();
    const b1 = buildBatch({
      records: [
        { key: "a", value: "1" },
        { key: "b", value: "2" },
      ],
    });
    const b2 = buildBatch({ records: [{ key: "c", value: "3" }] });
    const r1 = await log.append(b1, { durable: false, leaderEpoch: 3 });
    const r2 = await log.append(b2, { durable: true, leaderEpoch: 3 });
    assert.equal(r1.baseOffset, 0n);
    assert.equal(r1.lastOffset, 1n);
    assert.equal(r1.logAppendTime, -1n);
    assert.equal(r2.baseOffset, 2n);
    assert.equal(r2.lastOffset, 2n);
    assert.equal(log.logEndOffset, 3n);
    assert.equal(log.highWatermark, 3n);
    const read = await log.read(0n, 1 << 20);
    const batches = read.records.flatMap((b) => decodeBatches(b));
    assert.equal(batches.length, 2);
    assert.deepEqual(
      batches.map((b) => [b.baseOffset, b.partitionLeaderEpoch, b.crcOk]),
      [
        [0n, 3, true],
        [2n, 3, true],
      ],
    );
    assert.deepEqual(
      batches.flatMap((b) => b.records.map((r) => [r.offset, r.key?.toString(), r.value?.toString()])),
      [
        [0n, "a", "1"],
        [1n, "b", "2"],
        [2n, "c", "3"],
      ],
    );
    // The bytes on disk are the bytes given (with offset and epoch patched).
    assert.deepEqual(Buffer.concat(read.records), Buffer.concat([b1, b2]));
    await log.close();
  });

  test("several batches in one append get consecutive offsets", async () => {
    const log = await openLog();
    const buf = Buffer.concat([sizedBatch(3, 10), sizedBatch(2, 10), sizedBatch(5, 10)]);
    const r = await log.append(buf, { durable: false });
    assert.equal(r.baseOffset, 0n);
    assert.equal(r.lastOffset, 9n);
    const batches = await readAll(log);
    assert.deepEqual(
      batches.map((b) => [b.baseOffset, b.lastOffset]),
      [
        [0n, 2n],
        [3n, 4n],
        [5n, 9n],
      ],
    );
    await log.close();
  });

  test("round trip across many segments, with concurrent appenders and random read sizes", async () => {
    const log = await openLog({ segmentBytes: 16 * 1024, indexIntervalBytes: 512 });
    const random = rng(42);
    const expected: { offset: bigint; value: string }[] = [];
    const pending: Promise<unknown>[] = [];
    let n = 0;
    for (let i = 0; i < 400; i++) {
      const count = 1 + Math.floor(random() * 8);
      const records: { key: string; value: string }[] = [];
      for (let j = 0; j < count; j++) {
        const value = `v${n++}-${"x".repeat(Math.floor(random() * 300))}`;
        records.push({ key: `k${n % 17}`, value });
      }
      const batch = buildBatch({ records, baseTimestamp: 1_700_000_000_000 + i });
      const p = log.append(batch, { durable: random() < 0.3 }).then((r) => {
        for (let j = 0; j < records.length; j++)
          expected.push({ offset: r.baseOffset + BigInt(j), value: records[j]!.value });
      });
      pending.push(p);
      if (pending.length > 16) await pending.shift();
    }
    await Promise.all(pending);
    expected.sort((a, b) => (a.offset < b.offset ? -1 : 1));
    assert.ok(log.segments.length > 10, `expected many segments, got ${log.segments.length}`);
    assert.equal(log.logEndOffset, BigInt(expected.length));
    for (let i = 0; i < expected.length; i++) assert.equal(expected[i]!.offset, BigInt(i));
    // Sequential reads with random maxBytes return exactly the records, in order.
    for (const maxBytes of [1, 100, 1000, 5000, 1 << 20]) {
      const batches = await readAll(log, 0n, maxBytes);
      const got = batches.flatMap((b) =>
        b.records.map((r) => ({ offset: r.offset, value: r.value!.toString() })),
      );
      assert.deepEqual(got, expected);
      assert.ok(batches.every((b) => b.crcOk));
    }
    // Reads starting in the middle of a batch start at that batch.
    for (let i = 0; i < 200; i++) {
      const off = BigInt(Math.floor(random() * expected.length));
      const r = await log.read(off, 1);
      const bs = r.records.flatMap((b) => decodeBatches(b));
      assert.equal(bs.length, 1, "at least one whole batch");
      assert.ok(bs[0]!.baseOffset <= off && bs[0]!.lastOffset >= off);
    }
    // Segment files are named by base offset, 20 digits.
    const names = readdirSync(log.dir).filter((f) => f.endsWith(".log"));
    assert.equal(names.length, log.segments.length);
    for (const f of names) assert.match(f, /^\d{20}\.log$/);
    await log.close();
    for (const f of readdirSync(log.dir)) {
      if (f.endsWith(".index")) assert.equal(statSync(join(log.dir, f)).size % 8, 0);
      if (f.endsWith(".timeindex")) assert.equal(statSync(join(log.dir, f)).size % 12, 0);
    }
    // Reopen: same content.
    const again = await openLog({ segmentBytes: 16 * 1024, indexIntervalBytes: 512 }, log.dir);
    assert.equal(again.logEndOffset, BigInt(expected.length));
    const got = (await readAll(again, 0n, 1 << 20)).flatMap((b) => b.records.map((r) => r.value!.toString()));
    assert.deepEqual(
      got,
      expected.map((e) => e.value),
    );
    await again.close();
  });

  test("maxBytes, minOneBatch and maxOffset bound a read to whole batches", async () => {
    const log = await openLog();
    for (let i = 0; i < 10; i++) await log.append(sizedBatch(2, 100), { durable: false });
    const size = decodeBatches((await log.read(0n, 1 << 20)).records[0]!)[0]!.size;
    // Smaller than one batch: one batch anyway, unless minOneBatch is false.
    assert.equal(decodeBatches(Buffer.concat((await log.read(0n, 10)).records)).length, 1);
    assert.equal((await log.read(0n, 10, { minOneBatch: false })).records.length, 0);
    // 2.5 batches worth: 2 whole batches.
    const two = Buffer.concat((await log.read(0n, Math.floor(size * 2.5))).records);
    assert.equal(two.length, size * 2);
    // maxOffset stops before the batch holding it.
    const bounded = decodeBatches(Buffer.concat((await log.read(0n, 1 << 20, { maxOffset: 6n })).records));
    assert.deepEqual(
      bounded.map((b) => b.baseOffset),
      [0n, 2n, 4n],
    );
    assert.equal((await log.read(6n, 1 << 20, { maxOffset: 6n })).records.length, 0);
    await log.close();
  });

  test("offsets outside [logStart, LEO] are OFFSET_OUT_OF_RANGE; LEO reads empty", async () => {
    const log = await openLog();
    await log.append(sizedBatch(3, 10), { durable: false });
    await assert.rejects(log.read(4n, 100), (e: unknown) => e instanceof StorageError && e.errorCode === 1);
    await assert.rejects(log.read(-1n, 100), (e: unknown) => e instanceof StorageError && e.errorCode === 1);
    const r = await log.read(3n, 100);
    assert.equal(r.records.length, 0);
    assert.equal(r.highWatermark, 3n);
    assert.equal(r.logStartOffset, 0n);
    await log.close();
  });

  test("LogAppendTime topics get the broker's time as max timestamp, with a valid CRC", async () => {
    const log = await openLog({ messageTimestampType: "LogAppendTime" });
    const r = await log.append(sizedBatch(2, 10, 1000), { durable: false, now: 123456 });
    assert.equal(r.logAppendTime, 123456n);
    const [b] = decodeBatches(Buffer.concat((await log.read(0n, 1000)).records));
    assert.equal(b!.maxTimestamp, 123456n);
    assert.equal(b!.attributes & 0x08, 0x08);
    assert.ok(b!.crcOk);
    assert.ok(b!.records.every((x) => x.timestamp === 123456n));
    await log.close();
  });

  test("onAppend fires once data is readable; unsubscribe works", async () => {
    const log = await openLog();
    let calls = 0;
    let readableAtCall = -1n;
    const off = log.onAppend(() => {
      calls++;
      readableAtCall = log.highWatermark;
    });
    await log.append(sizedBatch(1, 10), { durable: false });
    assert.equal(calls, 1);
    assert.equal(readableAtCall, 1n);
    await log.append(sizedBatch(1, 10), { durable: true });
    assert.equal(calls, 2);
    off();
    await log.append(sizedBatch(1, 10), { durable: false });
    assert.equal(calls, 2);
    await log.close();
  });

  test("segment.ms rolls on the batch timestamps", async () => {
    const log = await openLog({ segmentMs: 1000 });
    await log.append(sizedBatch(1, 10, 10_000), { durable: false });
    await log.append(sizedBatch(1, 10, 10_500), { durable: false });
    assert.equal(log.segments.length, 1);
    await log.append(sizedBatch(1, 10, 11_001), { durable: false });
    assert.equal(log.segments.length, 2);
    assert.equal(log.activeSegment.baseOffset, 2n);
    await log.close();
  });

  test("a full offset index rolls the segment", async () => {
    const log = await openLog({ segmentIndexBytes: 8 * 4, indexIntervalBytes: 1 });
    for (let i = 0; i < 20; i++) await log.append(sizedBatch(1, 10), { durable: false });
    assert.ok(log.segments.length >= 4, `segments: ${log.segments.length}`);
    for (const s of log.segments) assert.ok(s.offsetIndex.entries <= 4);
    assert.equal((await readAll(log)).length, 20);
    await log.close();
  });

  test("the leader-epoch-checkpoint and default config are Kafka's", async () => {
    const log = await openLog();
    await log.append(sizedBatch(1, 10), { durable: false });
    await log.append(sizedBatch(1, 10), { durable: false, leaderEpoch: 2 });
    await log.close();
    const { readFileSync } = await import("node:fs");
    assert.equal(readFileSync(join(log.dir, "leader-epoch-checkpoint"), "utf8"), "0\n2\n0 0\n2 1\n");
    assert.equal(DEFAULT_LOG_CONFIG.segmentBytes, 1073741824);
    assert.equal(DEFAULT_LOG_CONFIG.maxMessageBytes, 1048588);
    assert.deepEqual(log.endOffsetForEpoch(0), { epoch: 0, endOffset: 1n });
    assert.deepEqual(log.endOffsetForEpoch(5), { epoch: 2, endOffset: 2n });
  });
});

describe("index files", () => {
  test("every sealed segment has its .index and .timeindex, even one smaller than index.interval.bytes", async () => {
    // Without them a small segment (a rolled one, or the cleaner's output) was re-indexed, with a
    // warning, every time it was loaded.
    const log = await openLog({ segmentBytes: 300 });
    for (let i = 0; i < 6; i++)
      await log.append(buildBatch({ records: [{ key: "k", value: "v".repeat(120) }] }), { durable: false });
    await log.close();
    const files = readdirSync(log.dir);
    const bases = files.filter((f) => f.endsWith(".log")).map((f) => f.slice(0, 20));
    assert.ok(bases.length >= 3, `rolled: ${bases.length} segments`);
    for (const b of bases) {
      assert.ok(files.includes(`${b}.index`), `${b}.index exists`);
      assert.ok(files.includes(`${b}.timeindex`), `${b}.timeindex exists`);
    }
  });
});
