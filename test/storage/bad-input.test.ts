import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import fc from "fast-check";
import { type LogConfig, logConfig, PartitionLog, StorageError } from "../../src/storage/index.js";
import { buildBatch, fixCrc, markerBatch, readAll, sizedBatch, tmpDir } from "./support.js";

const cleanups: (() => void)[] = [];
after(() => {
  for (const c of cleanups) c();
});

async function openLog(config: Partial<LogConfig> = {}): Promise<PartitionLog> {
  const t = tmpDir();
  cleanups.push(t.cleanup);
  return PartitionLog.open({ dir: join(t.dir, "t-0"), topic: "t", partition: 0, config: logConfig(config) });
}

const CORRUPT_MESSAGE = 2;
const MESSAGE_TOO_LARGE = 10;
const RECORD_LIST_TOO_LARGE = 18;
const INVALID_RECORD = 87;

/** Appends `buf` expecting `code`, and checks nothing was written. */
async function rejects(log: PartitionLog, buf: Buffer, code: number, opts = {}): Promise<void> {
  const leo = log.logEndOffset;
  const size = statSync(log.activeSegment.logPath).size;
  const segments = log.segments.length;
  await assert.rejects(
    log.append(buf, { durable: true, ...opts }),
    (e: unknown) => e instanceof StorageError && e.errorCode === code,
  );
  assert.equal(log.logEndOffset, leo, "LEO unchanged");
  assert.equal(log.segments.length, segments, "no roll");
  await log.flush();
  assert.equal(statSync(log.activeSegment.logPath).size, size, "nothing written");
}

describe("bad input is rejected with Kafka's error codes and nothing is written", () => {
  test("bad CRC → CORRUPT_MESSAGE", async () => {
    const log = await openLog();
    await log.append(sizedBatch(1, 10), { durable: true });
    const b = sizedBatch(2, 10);
    b[b.length - 1] ^= 0xff;
    await rejects(log, b, CORRUPT_MESSAGE);
    await log.close();
  });

  test("truncated batch and trailing bytes → CORRUPT_MESSAGE", async () => {
    const log = await openLog();
    const b = sizedBatch(2, 10);
    await rejects(log, b.subarray(0, b.length - 1), CORRUPT_MESSAGE);
    await rejects(log, b.subarray(0, 40), CORRUPT_MESSAGE);
    await rejects(log, Buffer.concat([b, Buffer.alloc(5)]), CORRUPT_MESSAGE);
    const short = Buffer.from(b);
    short.writeInt32BE(20, 8); // batchLength smaller than a header
    await rejects(log, short, CORRUPT_MESSAGE);
    await log.close();
  });

  test("wrong magic → INVALID_RECORD", async () => {
    const log = await openLog();
    for (const magic of [0, 1, 3]) {
      const b = sizedBatch(1, 10);
      b.writeInt8(magic, 16);
      await rejects(log, b, INVALID_RECORD);
    }
    await log.close();
  });

  test("lastOffsetDelta inconsistent with the record count, or no records → INVALID_RECORD", async () => {
    const log = await openLog();
    const b = sizedBatch(3, 10);
    b.writeInt32BE(5, 23);
    fixCrc(b);
    await rejects(log, b, INVALID_RECORD);
    const c = sizedBatch(3, 10);
    c.writeInt32BE(0, 57);
    c.writeInt32BE(-1, 23);
    fixCrc(c);
    await rejects(log, c, INVALID_RECORD);
    await rejects(log, Buffer.alloc(0), INVALID_RECORD);
    await log.close();
  });

  test("batch larger than max.message.bytes → MESSAGE_TOO_LARGE; append larger than a segment → RECORD_LIST_TOO_LARGE", async () => {
    const log = await openLog({ maxMessageBytes: 1000 });
    await log.append(sizedBatch(1, 500), { durable: false });
    await rejects(log, sizedBatch(1, 1000), MESSAGE_TOO_LARGE);
    await log.close();
    const small = await openLog({ segmentBytes: 1000, maxMessageBytes: 100000 });
    await rejects(small, Buffer.concat([sizedBatch(1, 600), sizedBatch(1, 600)]), RECORD_LIST_TOO_LARGE);
    await small.close();
  });

  test("a bad batch after a good one in the same append: nothing is written", async () => {
    const log = await openLog();
    const bad = sizedBatch(1, 10);
    bad[70] ^= 1;
    await rejects(log, Buffer.concat([sizedBatch(2, 10), bad]), CORRUPT_MESSAGE);
    assert.equal((await readAll(log)).length, 0);
    await log.close();
  });

  test("client control batches, non-zero base offsets, producer ids without sequence → INVALID_RECORD", async () => {
    const log = await openLog();
    await rejects(log, markerBatch(5n, 0, true), INVALID_RECORD);
    const r = await log.append(markerBatch(5n, 0, true), { durable: false, allowControl: true });
    assert.equal(r.baseOffset, 0n);
    await rejects(log, buildBatch({ records: [{ value: "x" }], baseOffset: 7n }), INVALID_RECORD);
    await log.append(buildBatch({ records: [{ value: "x" }], baseOffset: 7n }), {
      durable: false,
      origin: "internal",
    });
    await rejects(
      log,
      buildBatch({ records: [{ value: "x" }], producerId: 9n, producerEpoch: 0 }),
      INVALID_RECORD,
    );
    await log.append(
      buildBatch({ records: [{ value: "x" }], producerId: 9n, producerEpoch: 0, baseSequence: 0 }),
      {
        durable: false,
      },
    );
    assert.equal(log.logEndOffset, 3n);
    await log.close();
  });

  test("a compacted topic refuses records without a key (plain and gzip) → INVALID_RECORD", async () => {
    const log = await openLog({ cleanupPolicy: ["compact"] });
    await rejects(
      log,
      buildBatch({
        records: [
          { key: "a", value: "1" },
          { key: null, value: "2" },
        ],
      }),
      INVALID_RECORD,
    );
    await rejects(log, buildBatch({ records: [{ key: null, value: "2" }], compression: 1 }), INVALID_RECORD);
    await log.append(buildBatch({ records: [{ key: "a", value: null }], compression: 1 }), {
      durable: false,
    });
    await log.close();
  });

  test("a compacted topic's batch that claims gzip but does not decompress → CORRUPT_MESSAGE", async () => {
    const log = await openLog({ cleanupPolicy: ["compact"] });
    const b = buildBatch({ records: [{ key: "a", value: "1" }] });
    b.writeInt16BE(b.readInt16BE(21) | 1, 21);
    fixCrc(b);
    await rejects(log, b, CORRUPT_MESSAGE);
    await log.close();
  });

  test("the validate hook can refuse an append", async () => {
    const log = await openLog();
    const err = new StorageError(45, "out of order sequence");
    await assert.rejects(
      log.append(sizedBatch(1, 10), {
        durable: false,
        validate: () => {
          throw err;
        },
      }),
      (e) => e === err,
    );
    assert.equal(log.logEndOffset, 0n);
    await log.close();
  });

  test("random corruption of a batch never crashes the log nor writes a bad batch (property)", async () => {
    const log = await openLog({ cleanupPolicy: ["compact"] });
    const base = buildBatch({
      records: [
        { key: "a", value: "hello", headers: [["h", "v"]] },
        { key: "b", value: null },
      ],
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 1, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.boolean(),
        async (flips, recrc) => {
          const b = Buffer.from(base);
          for (const [i, x] of flips) b[i]! ^= x;
          if (recrc && b.length >= 61) {
            const len = b.readInt32BE(8);
            if (len + 12 === b.length) fixCrc(b);
          }
          const leo = log.logEndOffset;
          try {
            const r = await log.append(b, { durable: false });
            assert.equal(r.baseOffset, leo);
          } catch (e) {
            assert.ok(e instanceof StorageError, `not a StorageError: ${e}`);
            assert.ok(
              [CORRUPT_MESSAGE, INVALID_RECORD, MESSAGE_TOO_LARGE, RECORD_LIST_TOO_LARGE].includes(
                e.errorCode,
              ),
            );
            assert.equal(log.logEndOffset, leo);
          }
        },
      ),
      { numRuns: Number(process.env.BROOK_PROPERTY_RUNS ?? 1000) },
    );
    // Everything in the log passes its CRC.
    const all = await readAll(log, 0n, 1 << 20);
    assert.ok(all.every((b) => b.crcOk));
    await log.close();
  });
});
