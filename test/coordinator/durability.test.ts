/**
 * Group state lives in `__consumer_offsets`: the records there are Kafka's, a restarted broker
 * (in-process, and a real process killed with SIGKILL right after acknowledgements) gets every
 * acknowledged offset and the groups back, and offsets.retention.minutes expires empty groups.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as joinPath } from "node:path";
import { after, describe, it } from "node:test";
import type { GroupCoordinator } from "../../src/coordinator/group-coordinator.js";
import { decodeCoordinatorRecord } from "../../src/coordinator/records.js";
import { partitionFor } from "../../src/protocol/murmur2.js";
import { OffsetCommit } from "../../src/protocol/messages/offset-commit.js";
import { OffsetFetch } from "../../src/protocol/messages/offset-fetch.js";
import { DescribeGroups } from "../../src/protocol/messages/describe-groups.js";
import { decodeRecordBatches } from "../../src/protocol/records/record-batch.js";
import { startTestBroker } from "../../src/testing/index.js";
import { spawnBroker } from "../support/broker-process.js";
import { RawClient } from "../support/raw-client.js";
import { asg, ErrorCode, heartbeat, join, sleep, sync } from "./support.js";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(joinPath(tmpdir(), "brook-groups-"));
  dirs.push(d);
  return d;
}

const commitOne = (
  c: RawClient,
  groupId: string,
  topic: string,
  partition: number,
  offset: bigint,
  extra = {},
) =>
  c.request(OffsetCommit, 8, {
    groupId,
    generationIdOrMemberEpoch: -1,
    memberId: "",
    topics: [
      {
        name: topic,
        partitions: [{ partitionIndex: partition, committedOffset: offset, committedMetadata: "m" }],
      },
    ],
    ...extra,
  });

const fetchOne = async (c: RawClient, groupId: string, topic: string, partitions: number[]) =>
  (
    await c.request(OffsetFetch, 6, { groupId, topics: [{ name: topic, partitionIndexes: partitions }] })
  ).topics[0]!.partitions.map((p) => p.committedOffset);

describe("group state in __consumer_offsets", () => {
  it("writes Kafka's records to the group's partition and loads groups and offsets back on restart", async () => {
    const dataDir = tempDir();
    const configs = { "offsets.topic.num.partitions": "5", "group.min.session.timeout.ms": "300" };
    let tb = await startTestBroker({ dataDir, configs });
    await tb.broker.createTopic("t", 2, 1, {});
    const g = "durable-group";
    const m = await join(tb.port, g, { sessionTimeoutMs: 20000 });
    await sync(m, g, [{ memberId: m.memberId, assignment: asg("t", 0, 1) }]);
    await m.client.request(OffsetCommit, 5, {
      groupId: g,
      generationIdOrMemberEpoch: m.generationId,
      memberId: m.memberId,
      topics: [
        { name: "t", partitions: [{ partitionIndex: 1, committedOffset: 123n, committedMetadata: "hello" }] },
      ],
    });
    // The records, read straight from the log of partition abs(hashCode) % 5.
    const log = tb.broker.partitionLog("__consumer_offsets", partitionFor(g, 5))!;
    const read = await log.read(0n, 1 << 20);
    const records = (await decodeRecordBatches(Buffer.concat(read.records))).flatMap((b) =>
      b.records.map((r) => decodeCoordinatorRecord(r.key!, r.value)),
    );
    const kinds = records.map((r) => r.type);
    assert.ok(kinds.includes("group") && kinds.includes("offset"), kinds.join());
    const last = [...records].reverse().find((r) => r.type === "group");
    assert.ok(last && last.type === "group" && last.value);
    assert.equal(last.value.generation, m.generationId);
    assert.equal(last.value.protocol, "range");
    assert.deepEqual(last.value.members[0]!.assignment, asg("t", 0, 1));
    const off = records.find((r) => r.type === "offset");
    assert.ok(off && off.type === "offset" && off.value?.offset === 123n && off.value.metadata === "hello");
    m.client.close();
    await tb.close();

    tb = await startTestBroker({ dataDir, configs });
    try {
      const c = await RawClient.connect(tb.port);
      assert.deepEqual(await fetchOne(c, g, "t", [0, 1]), [-1n, 123n]);
      const d = (await c.request(DescribeGroups, 5, { groups: [g] })).groups[0]!;
      assert.equal(d.groupState, "Stable");
      assert.equal(d.members[0]!.memberId, m.memberId);
      assert.deepEqual(d.members[0]!.memberAssignment, asg("t", 0, 1));
      // The member carries on with its generation: no rebalance needed.
      const again = { ...m, client: c };
      assert.equal(await heartbeat(again, g), ErrorCode.NONE);
      c.close();
    } finally {
      await tb.close();
    }
  });

  it("a loaded member that does not come back is expired after its session timeout", async () => {
    const dataDir = tempDir();
    const configs = { "offsets.topic.num.partitions": "1", "group.min.session.timeout.ms": "300" };
    let tb = await startTestBroker({ dataDir, configs });
    const g = "gone";
    const m = await join(tb.port, g, { sessionTimeoutMs: 500 });
    await sync(m, g, []);
    m.client.close();
    await tb.close();
    tb = await startTestBroker({ dataDir, configs });
    try {
      const c = await RawClient.connect(tb.port);
      const state = async () => (await c.request(DescribeGroups, 0, { groups: [g] })).groups[0]!.groupState;
      assert.equal(await state(), "Stable");
      await sleep(900);
      assert.equal(await state(), "Empty");
      c.close();
    } finally {
      await tb.close();
    }
  });

  it("offsets.retention.minutes expires the offsets of empty groups, then the groups", async () => {
    const dataDir = tempDir();
    const configs = { "offsets.topic.num.partitions": "2", "offsets.retention.minutes": "1" };
    let tb = await startTestBroker({ dataDir, configs });
    await tb.broker.createTopic("t", 1, 1, {});
    const c = await RawClient.connect(tb.port);
    await commitOne(c, "old", "t", 0, 5n);
    // A group whose member is still there keeps its offsets.
    const m = await join(tb.port, "busy");
    await sync(m, "busy", [{ memberId: m.memberId, assignment: asg("t", 0) }]);
    await m.client.request(OffsetCommit, 5, {
      groupId: "busy",
      generationIdOrMemberEpoch: m.generationId,
      memberId: m.memberId,
      topics: [{ name: "t", partitions: [{ partitionIndex: 0, committedOffset: 9n }] }],
    });
    const coordinator = tb.broker.component<GroupCoordinator>("groups");
    assert.equal(await coordinator.cleanupGroupMetadata(Date.now() + 30_000), 0, "not yet");
    assert.equal(await coordinator.cleanupGroupMetadata(Date.now() + 61_000), 1);
    assert.deepEqual(await fetchOne(c, "old", "t", [0]), [-1n]);
    assert.deepEqual(await fetchOne(c, "busy", "t", [0]), [9n]);
    assert.equal((await c.request(DescribeGroups, 0, { groups: ["old"] })).groups[0]!.groupState, "Dead");
    // An explicit retention time (OffsetCommit v2-v4) sets its own deadline.
    await c.request(OffsetCommit, 2, {
      groupId: "short",
      generationIdOrMemberEpoch: -1,
      memberId: "",
      retentionTimeMs: 1000,
      topics: [
        { name: "t", partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }] },
      ],
    });
    assert.equal(await coordinator.cleanupGroupMetadata(Date.now() + 2000), 1);
    m.client.close();
    c.close();
    await tb.close();
    // Expiry was written as tombstones: nothing comes back.
    tb = await startTestBroker({ dataDir, configs });
    try {
      const c2 = await RawClient.connect(tb.port);
      assert.deepEqual(await fetchOne(c2, "old", "t", [0]), [-1n]);
      assert.deepEqual(await fetchOne(c2, "short", "t", [0]), [-1n]);
      assert.deepEqual(await fetchOne(c2, "busy", "t", [0]), [9n]);
      c2.close();
    } finally {
      await tb.close();
    }
  });

  it("every acknowledged commit survives SIGKILL of the broker process right after the acknowledgement", async () => {
    const dataDir = tempDir();
    const args = ["--port", "0", "--data-dir", dataDir, "--set", "offsets.topic.num.partitions=4"];
    const first = await spawnBroker(args);
    const c = await RawClient.connect(first.port);
    // Topics via the broker's CreateTopics would need the admin API; commit to a topic created by
    // auto-creation through Metadata instead.
    const { Metadata } = await import("../../src/protocol/messages/metadata.js");
    await c.request(Metadata, 4, { topics: [{ name: "k" }], allowAutoTopicCreation: true });
    const groupsCount = 20;
    const acked = new Map<string, bigint>();
    await Promise.all(
      Array.from({ length: groupsCount }, async (_, gi) => {
        const conn = await RawClient.connect(first.port);
        for (let i = 1n; i <= 10n; i++) {
          const r = await commitOne(conn, `g${gi}`, "k", 0, i * 100n);
          if (r.topics[0]!.partitions[0]!.errorCode === 0) acked.set(`g${gi}`, i * 100n);
        }
        conn.close();
      }),
    );
    await first.stop("SIGKILL");
    c.close();
    const second = await spawnBroker(args);
    try {
      const c2 = await RawClient.connect(second.port);
      for (const [g, off] of acked) assert.deepEqual(await fetchOne(c2, g, "k", [0]), [off], g);
      assert.equal(acked.size, groupsCount);
      c2.close();
    } finally {
      await second.stop("SIGTERM");
    }
  });
});
