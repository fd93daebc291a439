/**
 * Committed offsets and the group admin APIs with exact requests: OffsetCommit v2-v9 (generation and
 * member checks, the standalone path with generation -1, unknown topics, oversized metadata),
 * OffsetFetch v1-v9 (all partitions, several groups, require_stable), OffsetDelete, DeleteGroups,
 * ListGroups filters and DescribeGroups.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { GroupCoordinator } from "../../src/coordinator/group-coordinator.js";
import { DeleteGroups } from "../../src/protocol/messages/delete-groups.js";
import { DescribeGroups } from "../../src/protocol/messages/describe-groups.js";
import { ListGroups } from "../../src/protocol/messages/list-groups.js";
import { OffsetCommit } from "../../src/protocol/messages/offset-commit.js";
import { OffsetDelete } from "../../src/protocol/messages/offset-delete.js";
import { OffsetFetch } from "../../src/protocol/messages/offset-fetch.js";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import { RawClient } from "../support/raw-client.js";
import { asg, ErrorCode, join, sub, sync } from "./support.js";

describe("offsets and group admin APIs", () => {
  let tb: TestBroker;
  let c: RawClient;
  before(async () => {
    tb = await startTestBroker({ configs: { "offsets.topic.num.partitions": "3" } });
    await tb.broker.createTopic("t", 3, 1, {});
    await tb.broker.createTopic("u", 1, 1, {});
    c = await RawClient.connect(tb.port);
  });
  after(async () => {
    c.close();
    await tb.close();
  });

  const commit = (
    version: number,
    groupId: string,
    parts: Array<[string, number, bigint, string?]>,
    o: { generation?: number; memberId?: string; instance?: string | null; retentionTimeMs?: number } = {},
  ) =>
    c.request(OffsetCommit, version, {
      groupId,
      generationIdOrMemberEpoch: o.generation ?? -1,
      memberId: o.memberId ?? "",
      groupInstanceId: o.instance ?? null,
      retentionTimeMs: o.retentionTimeMs ?? -1,
      topics: [...new Set(parts.map((p) => p[0]))].map((name) => ({
        name,
        partitions: parts
          .filter((p) => p[0] === name)
          .map(([, p, off, meta]) => ({
            partitionIndex: p,
            committedOffset: off,
            committedMetadata: meta ?? null,
          })),
      })),
    });
  const codes = (r: {
    topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; errorCode: number }> }>;
  }) => r.topics.flatMap((t) => t.partitions.map((p) => `${t.name}-${p.partitionIndex}:${p.errorCode}`));
  const fetch = async (
    version: number,
    groupId: string,
    topics: Array<{ name: string; partitionIndexes: number[] }> | null,
  ) => c.request(OffsetFetch, version, { groupId, topics, requireStable: false });

  it("standalone commits (generation -1) create a simple group; every OffsetCommit and OffsetFetch version reads them", async () => {
    for (const v of [2, 3, 4, 5, 6, 7, 8, 9]) {
      const g = `simple-v${v}`;
      const r = await commit(v, g, [
        ["t", 0, 10n + BigInt(v), "meta"],
        ["t", 2, 20n],
      ]);
      assert.deepEqual(codes(r), ["t-0:0", "t-2:0"], `commit v${v}`);
    }
    for (const v of [1, 2, 3, 4, 5, 6, 7]) {
      const r = await fetch(v, "simple-v5", [{ name: "t", partitionIndexes: [0, 1, 2] }]);
      assert.deepEqual(
        r.topics[0]!.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.metadata, p.errorCode]),
        [
          [0, 15n, "meta", 0],
          [1, -1n, "", 0],
          [2, 20n, "", 0],
        ],
        `fetch v${v}`,
      );
    }
    const v8 = await c.request(OffsetFetch, 8, {
      groups: [
        { groupId: "simple-v8", topics: [{ name: "t", partitionIndexes: [0] }] },
        { groupId: "simple-v9", topics: null },
        { groupId: "never-seen", topics: [{ name: "t", partitionIndexes: [1] }] },
      ],
      requireStable: false,
    });
    assert.deepEqual(
      v8.groups.map((g) => [
        g.groupId,
        g.errorCode,
        g.topics.flatMap((t) =>
          t.partitions.map((p) => `${t.name}-${p.partitionIndex}@${p.committedOffset}`),
        ),
      ]),
      [
        ["simple-v8", 0, ["t-0@18"]],
        ["simple-v9", 0, ["t-0@19", "t-2@20"]],
        ["never-seen", 0, ["t-1@-1"]],
      ],
    );
    // All partitions (null topics, v2+).
    const all = await fetch(2, "simple-v2", null);
    assert.deepEqual(
      all.topics.map((t) => [t.name, t.partitions.map((p) => p.partitionIndex).sort()]),
      [["t", [0, 2]]],
    );
    const d = (await c.request(DescribeGroups, 0, { groups: ["simple-v2"] })).groups[0]!;
    assert.deepEqual([d.groupState, d.protocolType, d.members.length], ["Empty", "", 0]);
  });

  it("unknown topics and partitions get UNKNOWN_TOPIC_OR_PARTITION; oversized metadata OFFSET_METADATA_TOO_LARGE", async () => {
    const r = await commit(8, "bad-input", [
      ["t", 0, 1n],
      ["t", 7, 1n],
      ["no-such-topic", 0, 1n],
      ["u", 0, 5n, "x".repeat(4097)],
    ]);
    assert.deepEqual(codes(r), [
      "t-0:0",
      `t-7:${ErrorCode.UNKNOWN_TOPIC_OR_PARTITION}`,
      `no-such-topic-0:${ErrorCode.UNKNOWN_TOPIC_OR_PARTITION}`,
      `u-0:${ErrorCode.OFFSET_METADATA_TOO_LARGE}`,
    ]);
    const f = await fetch(6, "bad-input", [
      { name: "t", partitionIndexes: [0] },
      { name: "u", partitionIndexes: [0] },
    ]);
    assert.deepEqual(
      f.topics.map((t) => t.partitions[0]!.committedOffset),
      [1n, -1n],
    );
    // Exactly 4096 characters is allowed.
    assert.deepEqual(codes(await commit(8, "bad-input", [["u", 0, 5n, "y".repeat(4096)]])), ["u-0:0"]);
  });

  it("group members commit with their generation; wrong generation, unknown member and rebalances are refused", async () => {
    const g = "members";
    const m = await join(tb.port, g, { protocols: [{ name: "range", metadata: sub("t") }] });
    const opts = { generation: m.generationId, memberId: m.memberId };
    // Between JoinGroup and SyncGroup: REBALANCE_IN_PROGRESS.
    assert.deepEqual(codes(await commit(5, g, [["t", 0, 1n]], opts)), [
      `t-0:${ErrorCode.REBALANCE_IN_PROGRESS}`,
    ]);
    await sync(m, g, [{ memberId: m.memberId, assignment: asg("t", 0, 1, 2) }]);
    assert.deepEqual(codes(await commit(5, g, [["t", 0, 42n]], opts)), ["t-0:0"]);
    assert.deepEqual(codes(await commit(5, g, [["t", 0, 1n]], { ...opts, generation: 99 })), [
      `t-0:${ErrorCode.ILLEGAL_GENERATION}`,
    ]);
    assert.deepEqual(codes(await commit(5, g, [["t", 0, 1n]], { ...opts, memberId: "ghost" })), [
      `t-0:${ErrorCode.UNKNOWN_MEMBER_ID}`,
    ]);
    // A standalone commit while the group has members.
    assert.deepEqual(codes(await commit(5, g, [["t", 0, 1n]])), [`t-0:${ErrorCode.UNKNOWN_MEMBER_ID}`]);
    // A generation for a group that does not exist: ILLEGAL_GENERATION before v9, GROUP_ID_NOT_FOUND from v9.
    assert.deepEqual(
      codes(await commit(8, "ghost-group", [["t", 0, 1n]], { generation: 3, memberId: "x" })),
      [`t-0:${ErrorCode.ILLEGAL_GENERATION}`],
    );
    assert.deepEqual(
      codes(await commit(9, "ghost-group", [["t", 0, 1n]], { generation: 3, memberId: "x" })),
      [`t-0:${ErrorCode.GROUP_ID_NOT_FOUND}`],
    );
    assert.equal(
      (await fetch(4, g, [{ name: "t", partitionIndexes: [0] }])).topics[0]!.partitions[0]!.committedOffset,
      42n,
    );
    m.client.close();
  });

  it("require_stable sees a commit that is still being written; pending transactional offsets are UNSTABLE_OFFSET_COMMIT", async () => {
    const other = await RawClient.connect(tb.port);
    const pending = commit(7, "stable", [["t", 1, 77n]]);
    const r = await other.request(OffsetFetch, 7, {
      groupId: "stable",
      topics: [{ name: "t", partitionIndexes: [1] }],
      requireStable: true,
    });
    await pending;
    assert.equal(r.topics[0]!.partitions[0]!.committedOffset, 77n);
    const coordinator = tb.broker.component<GroupCoordinator>("groups");
    coordinator.offsets.putPending(1000n, "stable", "t", 2, {
      offset: 5n,
      leaderEpoch: -1,
      metadata: "",
      commitTimestamp: Date.now(),
      expireTimestamp: null,
      recordOffset: 0n,
    });
    const unstable = await other.request(OffsetFetch, 7, {
      groupId: "stable",
      topics: [{ name: "t", partitionIndexes: [1, 2] }],
      requireStable: true,
    });
    assert.deepEqual(
      unstable.topics[0]!.partitions.map((p) => [p.committedOffset, p.errorCode]),
      [
        [77n, 0],
        [-1n, ErrorCode.UNSTABLE_OFFSET_COMMIT],
      ],
    );
    // Without require_stable the committed view is returned.
    const loose = await other.request(OffsetFetch, 7, {
      groupId: "stable",
      topics: [{ name: "t", partitionIndexes: [2] }],
      requireStable: false,
    });
    assert.deepEqual(
      [loose.topics[0]!.partitions[0]!.committedOffset, loose.topics[0]!.partitions[0]!.errorCode],
      [-1n, 0],
    );
    coordinator.offsets.completeTransaction(1000n, true);
    assert.equal(
      (await fetch(7, "stable", [{ name: "t", partitionIndexes: [2] }])).topics[0]!.partitions[0]!
        .committedOffset,
      5n,
    );
    other.close();
  });

  it("OffsetDelete: subscribed topics are protected, others deleted; unknown group and topics reported", async () => {
    const g = "od";
    const m = await join(tb.port, g, { protocols: [{ name: "range", metadata: sub("t") }] });
    await sync(m, g, [{ memberId: m.memberId, assignment: asg("t", 0) }]);
    const opts = { generation: m.generationId, memberId: m.memberId };
    await commit(
      8,
      g,
      [
        ["t", 0, 3n],
        ["u", 0, 4n],
      ],
      opts,
    );
    const r = await c.request(OffsetDelete, 0, {
      groupId: g,
      topics: [
        { name: "t", partitions: [{ partitionIndex: 0 }] },
        { name: "u", partitions: [{ partitionIndex: 0 }] },
        { name: "zz", partitions: [{ partitionIndex: 0 }] },
      ],
    });
    assert.equal(r.errorCode, 0);
    assert.deepEqual(codes(r), [
      `t-0:${ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC}`,
      "u-0:0",
      `zz-0:${ErrorCode.UNKNOWN_TOPIC_OR_PARTITION}`,
    ]);
    const f = await fetch(8 - 1, g, null);
    assert.deepEqual(
      f.topics.map((t) => t.name),
      ["t"],
    );
    const none = await c.request(OffsetDelete, 0, {
      groupId: "nobody",
      topics: [{ name: "t", partitions: [{ partitionIndex: 0 }] }],
    });
    assert.equal(none.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
    m.client.close();
  });

  it("ListGroups filters by state and type; DescribeGroups shows members of a stable group", async () => {
    const g = "listed";
    const m = await join(tb.port, g, { clientId: "describer" });
    await sync(m, g, [{ memberId: m.memberId, assignment: asg("t", 1) }]);
    const v0 = await c.request(ListGroups, 0, {});
    assert.ok(v0.groups.some((x) => x.groupId === g && x.protocolType === "consumer"));
    const stable = await c.request(ListGroups, 4, { statesFilter: ["STABLE"] });
    assert.ok(stable.groups.some((x) => x.groupId === g && x.groupState === "Stable"));
    assert.ok(!stable.groups.some((x) => x.groupId === "simple-v2"));
    const empty = await c.request(ListGroups, 4, { statesFilter: ["empty"] });
    assert.ok(empty.groups.some((x) => x.groupId === "simple-v2"));
    const typed = await c.request(ListGroups, 5, { statesFilter: [], typesFilter: ["consumer"] });
    assert.ok(!typed.groups.some((x) => x.groupId === g));
    const classic = await c.request(ListGroups, 5, { statesFilter: [], typesFilter: ["Classic"] });
    assert.ok(classic.groups.some((x) => x.groupId === g && x.groupType === "classic"));

    const d = await c.request(DescribeGroups, 5, {
      groups: [g, "missing"],
      includeAuthorizedOperations: true,
    });
    const [found, missing] = d.groups;
    assert.equal(found!.groupState, "Stable");
    assert.equal(found!.protocolType, "consumer");
    assert.equal(found!.protocolData, "range");
    assert.equal(found!.members[0]!.memberId, m.memberId);
    assert.equal(found!.members[0]!.clientId, "describer");
    assert.equal(found!.members[0]!.clientHost, "/127.0.0.1");
    assert.deepEqual(found!.members[0]!.memberMetadata, sub("t"));
    assert.deepEqual(found!.members[0]!.memberAssignment, asg("t", 1));
    assert.ok(found!.authorizedOperations > 0);
    assert.deepEqual([missing!.groupState, missing!.errorCode, missing!.members.length], ["Dead", 0, 0]);
    m.client.close();
  });

  it("offsets of a deleted topic are removed, so a topic created again starts without them", async () => {
    await tb.broker.createTopic("doomed-topic", 2, 1, {});
    await commit(8, "dt-group", [
      ["doomed-topic", 0, 4n],
      ["t", 0, 6n],
    ]);
    await tb.broker.deleteTopic("doomed-topic");
    const coordinator = tb.broker.component<GroupCoordinator>("groups");
    await coordinator.cleanupGroupMetadata();
    await tb.broker.createTopic("doomed-topic", 2, 1, {});
    const f = await fetch(6, "dt-group", [
      { name: "doomed-topic", partitionIndexes: [0] },
      { name: "t", partitionIndexes: [0] },
    ]);
    assert.deepEqual(
      f.topics.map((t) => t.partitions[0]!.committedOffset),
      [-1n, 6n],
    );
  });

  it("DeleteGroups removes empty groups with their offsets; NON_EMPTY_GROUP and GROUP_ID_NOT_FOUND otherwise", async () => {
    const g = "doomed";
    await commit(8, g, [["t", 0, 9n]]);
    const live = await join(tb.port, "alive");
    const r = await c.request(DeleteGroups, 2, { groupsNames: [g, "alive", "nobody", g] });
    assert.deepEqual(
      r.results.map((x) => [x.groupId, x.errorCode]),
      [
        [g, 0],
        ["alive", ErrorCode.NON_EMPTY_GROUP],
        ["nobody", ErrorCode.GROUP_ID_NOT_FOUND],
      ],
    );
    assert.equal(
      (await fetch(4, g, [{ name: "t", partitionIndexes: [0] }])).topics[0]!.partitions[0]!.committedOffset,
      -1n,
    );
    assert.equal((await c.request(DescribeGroups, 0, { groups: [g] })).groups[0]!.groupState, "Dead");
    live.client.close();
  });
});
