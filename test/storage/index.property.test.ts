/**
 * Property tests: lookups through the sparse offset and time indexes agree with a brute-force scan of
 * every record, for random batch sizes, record timestamps (not monotonic), index intervals and
 * segment sizes, before and after reopening (indexes loaded from disk, or rebuilt).
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import fc from "fast-check";
import { logConfig, PartitionLog } from "../../src/storage/index.js";
import { buildBatch, decodeBatches, tmpDir } from "./support.js";

const t = tmpDir("brook-index-prop-");
after(() => t.cleanup());
let n = 0;

interface Rec {
  offset: bigint;
  ts: bigint;
}

const batchArb = fc.record({
  timestamps: fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 6 }),
  pad: fc.integer({ min: 0, max: 700 }),
  gzip: fc.boolean(),
});

const scenarioArb = fc.record({
  batches: fc.array(batchArb, { minLength: 1, maxLength: 60 }),
  segmentBytes: fc.integer({ min: 4600, max: 30_000 }),
  indexIntervalBytes: fc.integer({ min: 1, max: 3000 }),
  deleteBefore: fc.option(fc.nat(), { nil: undefined }),
  probesTs: fc.array(fc.integer({ min: -10, max: 5100 }), { minLength: 5, maxLength: 25 }),
  /** Probes at record timestamps and one either side: where off-by-one lookups go wrong. */
  probesAt: fc.array(fc.tuple(fc.nat(), fc.integer({ min: -1, max: 1 })), { minLength: 5, maxLength: 25 }),
  tsRange: fc.constantFrom(20, 500, 5000),
  /** "increasing": timestamps mostly rise with the batch (as real producers' do); "random": any order. */
  tsMode: fc.constantFrom("increasing", "random"),
  probesOff: fc.array(fc.nat(), { minLength: 5, maxLength: 25 }),
  reopen: fc.constantFrom("none", "clean", "rebuild"),
});

const BASE_TS = 1_700_000_000_000;

function bruteForTimestamp(
  recs: Rec[],
  ts: bigint,
  start: bigint,
): { offset: bigint; timestamp: bigint } | null {
  for (const r of recs) if (r.offset >= start && r.ts >= ts) return { offset: r.offset, timestamp: r.ts };
  return null;
}

test("offset and timestamp lookups match a brute-force scan (property)", async () => {
  await fc.assert(
    fc.asyncProperty(scenarioArb, async (s) => {
      const dir = join(t.dir, `p-${n++}`);
      const config = logConfig({ segmentBytes: s.segmentBytes, indexIntervalBytes: s.indexIntervalBytes });
      let log = await PartitionLog.open({ dir, topic: "p", partition: 0, config });
      const recs: Rec[] = [];
      const batchOf: { base: bigint; last: bigint }[] = [];
      for (const [bi, b] of s.batches.entries()) {
        const tsOf = (x: number) => (s.tsMode === "increasing" ? bi * 2 + (x % 3) : x % s.tsRange);
        const records = b.timestamps.map((x, i) => ({
          key: `k${i}`,
          value: "v".repeat(b.pad),
          timestamp: BASE_TS + tsOf(x),
        }));
        const r = await log.append(buildBatch({ records, compression: b.gzip ? 1 : 0 }), { durable: false });
        b.timestamps.forEach((x, i) => {
          recs.push({ offset: r.baseOffset + BigInt(i), ts: BigInt(BASE_TS + tsOf(x)) });
        });
        batchOf.push({ base: r.baseOffset, last: r.lastOffset });
      }
      const leo = log.logEndOffset;
      let start = 0n;
      if (s.deleteBefore !== undefined) {
        start = BigInt(s.deleteBefore % Number(leo + 1n));
        await log.deleteRecordsBefore(start);
      }
      if (s.reopen !== "none") {
        await log.close();
        if (s.reopen === "rebuild") {
          const { readdirSync } = await import("node:fs");
          for (const f of readdirSync(dir))
            if (f.endsWith(".index") || f.endsWith(".timeindex")) rmSync(join(dir, f));
        }
        log = await PartitionLog.open({
          dir,
          topic: "p",
          partition: 0,
          config,
          cleanShutdown: s.reopen === "clean",
          logStartOffset: start,
        });
        assert.equal(log.logEndOffset, leo);
      }
      const logStart = log.logStartOffset;
      // By offset: the first batch returned holds the offset.
      for (const p of s.probesOff) {
        const off = logStart + BigInt(p % Number(leo - logStart + 1n));
        const r = await log.read(off, 1);
        if (off === leo) {
          assert.equal(r.records.length, 0);
          continue;
        }
        const got = decodeBatches(Buffer.concat(r.records))[0]!;
        const want = batchOf.find((b) => b.base <= off && b.last >= off)!;
        assert.equal(got.baseOffset, want.base, `offset ${off}`);
      }
      // By timestamp: the first record at or after the log start with timestamp >= ts.
      const probes = [
        ...s.probesTs.map((p) => BigInt(BASE_TS + p)),
        ...s.probesAt.map(([i, d]) => recs[i % recs.length]!.ts + BigInt(d)),
      ];
      for (const ts of probes) {
        assert.deepEqual(
          await log.offsetForTimestamp(ts),
          bruteForTimestamp(recs, ts, logStart),
          `timestamp ${ts}`,
        );
      }
      // Largest timestamp: the first record holding it.
      if (logStart === 0n) {
        let best: Rec | undefined;
        for (const r of recs) if (!best || r.ts > best.ts) best = r;
        assert.deepEqual(await log.maxTimestamp(), best ? { offset: best.offset, timestamp: best.ts } : null);
      }
      await log.close();
      rmSync(dir, { recursive: true, force: true });
    }),
    { numRuns: Number(process.env.BROOK_PROPERTY_RUNS ?? 150) },
  );
});
