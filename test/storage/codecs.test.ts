/**
 * Cross-checks with the protocol layer: batches built by its record-batch encoder, in every codec,
 * go through the log (append, null-key check, ListOffsets by timestamp, compaction) and what comes
 * back decodes with its decoder to the expected records.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { CompressionCodec } from "../../src/protocol/compression/index.js";
import { decodeRecordBatches, encodeRecordBatch } from "../../src/protocol/records/record-batch.js";
import { LogManager, logConfig, StorageError } from "../../src/storage/index.js";
import { tmpDir } from "./support.js";

const cleanups: (() => void)[] = [];
after(() => {
  for (const c of cleanups) c();
});

const T0 = 1_700_000_000_000;
const codecs = [
  CompressionCodec.None,
  CompressionCodec.Gzip,
  CompressionCodec.Snappy,
  CompressionCodec.Lz4,
  CompressionCodec.Zstd,
] as const;

describe("with the protocol layer's record batches", () => {
  for (const compression of codecs) {
    test(`codec ${compression}: append, timestamps, null-key check and compaction`, async () => {
      const t = tmpDir();
      cleanups.push(t.cleanup);
      const m = await LogManager.open({ dataDir: t.dir, cleanerOptions: { backoffMs: 1e9 } });
      const log = await m.create(
        "x",
        0,
        logConfig({
          cleanupPolicy: ["compact"],
          segmentBytes: 4000,
          fileDeleteDelayMs: 0,
          minCleanableDirtyRatio: 0.01,
        }),
        "8d6f0e4e-1b2a-4c3d-9e8f-0a1b2c3d4e5f",
      );
      const latest = new Map<string, string | null>();
      for (let i = 0; i < 40; i++) {
        const records = [0, 1, 2].map((j) => {
          const key = `k${(i * 3 + j) % 7}`;
          const value = j === 2 && i % 9 === 0 ? null : `v${i}-${j}-${"p".repeat(150)}`;
          latest.set(key, value);
          return { key, value, timestamp: T0 + i * 10 + j, headers: { h: `${i}` } };
        });
        await log.append(await encodeRecordBatch({ records, compression }), { durable: false });
      }
      // Null keys are refused on a compacted topic, whatever the codec.
      await assert.rejects(
        log.append(await encodeRecordBatch({ records: [{ key: null, value: "v" }], compression }), {
          durable: false,
        }),
        (e: unknown) => e instanceof StorageError && e.errorCode === 87,
      );
      // ListOffsets by timestamp looks inside the batch.
      assert.deepEqual(await log.offsetForTimestamp(BigInt(T0 + 101)), {
        offset: 31n,
        timestamp: BigInt(T0 + 101),
      });
      assert.deepEqual(await log.maxTimestamp(), { offset: 119n, timestamp: BigInt(T0 + 392) });
      // Compaction keeps the codec and the latest value per key.
      const stats = await m.cleaner!.clean(log, T0 + 1000);
      assert.ok(stats && stats.recordsOut < stats.recordsIn);
      const got = new Map<string, string | null>();
      let prev = -1n;
      let offset = 0n;
      while (offset < log.logEndOffset) {
        const r = await log.read(offset, 1 << 20);
        for (const chunk of r.records) {
          for (const b of await decodeRecordBatches(chunk)) {
            assert.equal(b.header.attributes & 7, compression);
            for (const rec of b.records) {
              assert.ok(rec.offset > prev, "offsets increase");
              prev = rec.offset;
              got.set(rec.key!.toString(), rec.value === null ? null : rec.value.toString());
            }
            offset = b.header.baseOffset + BigInt(b.header.lastOffsetDelta) + 1n;
          }
        }
      }
      assert.deepEqual(got, latest);
      await m.close();
    });
  }
});
