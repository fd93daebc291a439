/**
 * Transactional offset commits, the part the group coordinator owns: offsets written in a producer's
 * transaction stay pending (OffsetFetch with require_stable answers UNSTABLE_OFFSET_COMMIT) until a
 * COMMIT marker makes them committed offsets or an ABORT drops them — live, and when the markers are
 * replayed from `__consumer_offsets` after a restart.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { GroupCoordinator } from "../../src/coordinator/group-coordinator.js";
import { ErrorCode } from "../../src/protocol/error-codes.js";
import { partitionFor } from "../../src/protocol/murmur2.js";
import { encodeEndTxnMarker } from "../../src/protocol/records/control.js";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";

const dir = mkdtempSync(join(tmpdir(), "brook-txn-offsets-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const CONFIGS = { "offsets.topic.num.partitions": "2" };

async function marker(tb: TestBroker, group: string, producerId: bigint, commit: boolean) {
  const log = tb.broker.partitionLog("__consumer_offsets", partitionFor(group, 2))!;
  await log.append(encodeEndTxnMarker({ producerId, producerEpoch: 0, coordinatorEpoch: 0, commit }), {
    durable: true,
    allowControl: true,
    origin: "internal",
  });
}

describe("transactional offset commits", () => {
  it("stay pending until the marker, live and after a restart", async () => {
    let tb = await startTestBroker({ dataDir: dir, configs: CONFIGS });
    await tb.broker.createTopic("t", 2, 1, {});
    let c = tb.broker.component<GroupCoordinator>("groups");
    const txnCommit = (producerId: bigint, group: string, offset: bigint, generationId = -1) =>
      c.commitTransactionalOffsets({
        groupId: group,
        producerId,
        producerEpoch: 0,
        generationId,
        memberId: "",
        groupInstanceId: null,
        topics: [
          {
            name: "t",
            partitions: [
              {
                partitionIndex: 0,
                committedOffset: offset,
                committedLeaderEpoch: -1,
                committedMetadata: null,
              },
            ],
          },
        ],
      });
    const fetch = async (group: string, stable: boolean) => {
      const r = await c.fetchOffsets(group, [{ name: "t", partitionIndexes: [0] }], stable);
      const p = r.topics[0]!.partitions[0]!;
      return [p.committedOffset, p.errorCode];
    };

    assert.equal((await txnCommit(7n, "committed-g", 10n))[0]!.partitions[0]!.errorCode, 0);
    assert.equal((await txnCommit(8n, "aborted-g", 20n))[0]!.partitions[0]!.errorCode, 0);
    assert.equal((await txnCommit(9n, "open-g", 30n))[0]!.partitions[0]!.errorCode, 0);
    assert.equal(
      (await txnCommit(9n, "missing-g", 1n, 4))[0]!.partitions[0]!.errorCode,
      ErrorCode.ILLEGAL_GENERATION,
    );
    assert.deepEqual(await fetch("committed-g", true), [-1n, ErrorCode.UNSTABLE_OFFSET_COMMIT]);
    assert.deepEqual(await fetch("committed-g", false), [-1n, 0]);

    await marker(tb, "committed-g", 7n, true);
    c.completeTransaction(7n, true);
    await marker(tb, "aborted-g", 8n, false);
    c.completeTransaction(8n, false);
    assert.deepEqual(await fetch("committed-g", true), [10n, 0]);
    assert.deepEqual(await fetch("aborted-g", true), [-1n, 0]);
    assert.deepEqual(await fetch("open-g", true), [-1n, ErrorCode.UNSTABLE_OFFSET_COMMIT]);
    await tb.close();

    // The log has the transactional batches and the markers: replay gives the same view.
    tb = await startTestBroker({ dataDir: dir, configs: CONFIGS });
    try {
      c = tb.broker.component<GroupCoordinator>("groups");
      assert.deepEqual(await fetch("committed-g", true), [10n, 0]);
      assert.deepEqual(await fetch("aborted-g", true), [-1n, 0]);
      assert.deepEqual(await fetch("open-g", true), [-1n, ErrorCode.UNSTABLE_OFFSET_COMMIT]);
      await marker(tb, "open-g", 9n, true);
      c.completeTransaction(9n, true);
      assert.deepEqual(await fetch("open-g", true), [30n, 0]);
    } finally {
      await tb.close();
    }
  });
});
