/**
 * The classic group protocol driven with exact requests (Brook's raw client, one connection per
 * member) against an in-process broker: Kafka's state machine, MEMBER_ID_REQUIRED, protocol
 * selection, heartbeats during a rebalance, session and rebalance timeouts, static membership,
 * group.max.size, LeaveGroup in both shapes, and the error codes of each bad request.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { FindCoordinator } from "../../src/protocol/messages/find-coordinator.js";
import { JoinGroup } from "../../src/protocol/messages/join-group.js";
import { LeaveGroup } from "../../src/protocol/messages/leave-group.js";
import { SyncGroup } from "../../src/protocol/messages/sync-group.js";
import { DescribeGroups } from "../../src/protocol/messages/describe-groups.js";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import { RawClient } from "../support/raw-client.js";
import { asg, ErrorCode, eventually, heartbeat, join, sleep, sub, sync } from "./support.js";

describe("classic group protocol", () => {
  let tb: TestBroker;
  let admin: RawClient;
  before(async () => {
    tb = await startTestBroker({
      configs: {
        "group.min.session.timeout.ms": "300",
        "group.max.session.timeout.ms": "30000",
        "group.max.size": "4",
        "offsets.topic.num.partitions": "4",
      },
    });
    admin = await RawClient.connect(tb.port);
  });
  after(async () => {
    admin.close();
    await tb.close();
  });

  const describeGroup = async (g: string) =>
    (await admin.request(DescribeGroups, 5, { groups: [g], includeAuthorizedOperations: false })).groups[0]!;

  it("FindCoordinator answers this broker for groups and transactional ids, at every version", async () => {
    for (const v of [0, 1, 2, 3]) {
      const r = await admin.request(FindCoordinator, v, { key: "g", keyType: v === 0 ? 0 : 1 });
      assert.equal(r.errorCode, ErrorCode.NONE, `v${v}`);
      assert.equal(r.nodeId, tb.broker.nodeId);
      assert.equal(r.port, tb.port);
      if (v >= 1) assert.equal(r.errorMessage, "NONE");
    }
    for (const v of [4, 5, 6]) {
      const r = await admin.request(FindCoordinator, v, { keyType: 0, coordinatorKeys: ["a", "b", ""] });
      assert.deepEqual(
        r.coordinators.map((c) => [c.key, c.errorCode, c.nodeId, c.port]),
        [
          ["a", 0, tb.broker.nodeId, tb.port],
          ["b", 0, tb.broker.nodeId, tb.port],
          ["", 0, tb.broker.nodeId, tb.port],
        ],
      );
    }
    const share = await admin.request(FindCoordinator, 6, { keyType: 2, coordinatorKeys: ["s"] });
    assert.equal(share.coordinators[0]!.errorCode, ErrorCode.INVALID_REQUEST);
    assert.ok(tb.broker.topic("__consumer_offsets"), "created on first use");
    assert.equal(tb.broker.topic("__consumer_offsets")!.partitions, 4);
    assert.deepEqual(tb.broker.topic("__consumer_offsets")!.configs["cleanup.policy"], "compact");
  });

  it("JoinGroup v4+ answers a new dynamic member with MEMBER_ID_REQUIRED; v3 joins it directly", async () => {
    const c = await RawClient.connect(tb.port);
    const body = {
      groupId: "mid",
      sessionTimeoutMs: 6000,
      rebalanceTimeoutMs: 6000,
      memberId: "",
      protocolType: "consumer",
      protocols: [{ name: "range", metadata: sub("t") }],
    };
    const first = await c.request(JoinGroup, 5, body, "my-client");
    assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
    assert.match(first.memberId, /^my-client-[0-9a-f-]{36}$/);
    assert.equal(first.generationId, -1);
    const second = await c.request(JoinGroup, 5, { ...body, memberId: first.memberId }, "my-client");
    assert.equal(second.errorCode, ErrorCode.NONE);
    assert.equal(second.memberId, first.memberId);
    assert.equal(second.generationId, 1);
    assert.equal(second.leader, first.memberId);
    assert.equal(second.protocolName, "range");
    assert.equal(second.members.length, 1);
    c.close();

    const old = await RawClient.connect(tb.port);
    const v3 = await old.request(JoinGroup, 3, { ...body, groupId: "mid-v3" }, "old-client");
    assert.equal(v3.errorCode, ErrorCode.NONE);
    assert.match(v3.memberId, /^old-client-/);
    assert.equal(v3.generationId, 1);
    // v0 has no rebalance timeout field: the session timeout stands in for it.
    const v0 = await old.request(JoinGroup, 0, { ...body, groupId: "mid-v0" });
    assert.equal(v0.errorCode, ErrorCode.NONE);
    old.close();
  });

  it("rejects bad joins with Kafka's codes", async () => {
    const c = await RawClient.connect(tb.port);
    const base = {
      groupId: "bad",
      sessionTimeoutMs: 6000,
      rebalanceTimeoutMs: 6000,
      memberId: "",
      protocolType: "consumer",
      protocols: [{ name: "range", metadata: sub("t") }],
    };
    const codes = async (b: Partial<typeof base>) =>
      (await c.request(JoinGroup, 5, { ...base, ...b })).errorCode;
    assert.equal(await codes({ sessionTimeoutMs: 100 }), ErrorCode.INVALID_SESSION_TIMEOUT);
    assert.equal(await codes({ sessionTimeoutMs: 60000 }), ErrorCode.INVALID_SESSION_TIMEOUT);
    assert.equal(await codes({ groupId: "" }), ErrorCode.INVALID_GROUP_ID);
    assert.equal(await codes({ memberId: "nobody" }), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal((await describeGroup("bad")).groupState, "Dead");
    // From v6 (KIP-1043) an unknown group is also GROUP_ID_NOT_FOUND, with a message.
    const v6 = (
      await admin.request(DescribeGroups, 6, { groups: ["bad"], includeAuthorizedOperations: false })
    ).groups[0]!;
    assert.deepEqual(
      [v6.errorCode, v6.groupState, v6.errorMessage],
      [ErrorCode.GROUP_ID_NOT_FOUND, "Dead", "Group bad not found."],
    );
    // An empty protocol list or type cannot start a group.
    assert.equal(await codes({ protocols: [] }), ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    assert.equal(await codes({ protocolType: "" }), ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    c.close();
  });

  it("selects a protocol every member supports; the leader alone gets the members' metadata", async () => {
    const g = "proto";
    const a = await join(tb.port, g, {
      protocols: [
        { name: "range", metadata: sub("t", "a") },
        { name: "roundrobin", metadata: sub("t") },
      ],
    });
    assert.equal(a.protocolName, "range");
    assert.equal((await sync(a, g, [{ memberId: a.memberId, assignment: asg("t", 0) }])).errorCode, 0);
    // B supports only roundrobin: it can join (A supports it too) and the group switches protocol.
    const bJoin = join(tb.port, g, { protocols: [{ name: "roundrobin", metadata: sub("t", "b") }] });
    await eventually(async () => (await heartbeat(a, g)) === ErrorCode.REBALANCE_IN_PROGRESS);
    const a2 = await join(a.client, g, {
      memberId: a.memberId,
      protocols: [
        { name: "range", metadata: sub("t", "a") },
        { name: "roundrobin", metadata: sub("t") },
      ],
    });
    const b = await bJoin;
    assert.equal(a2.generationId, 2);
    assert.equal(b.generationId, 2);
    assert.equal(a2.protocolName, "roundrobin");
    assert.equal(b.protocolName, "roundrobin");
    const leader = a2.memberId === a2.leader ? a2 : b;
    const follower = leader === a2 ? b : a2;
    assert.equal(leader.members.length, 2);
    assert.equal(follower.members.length, 0);
    // The leader sees each member's metadata for the chosen protocol.
    const meta = new Map(leader.members.map((m) => [m.memberId, m.metadata]));
    assert.deepEqual(meta.get(b.memberId), sub("t", "b"));
    assert.deepEqual(meta.get(a2.memberId), sub("t"));
    // Other protocol types, or no protocol in common, are refused.
    const c = await RawClient.connect(tb.port);
    const other = await c.request(JoinGroup, 5, {
      groupId: g,
      sessionTimeoutMs: 6000,
      rebalanceTimeoutMs: 6000,
      memberId: "",
      protocolType: "connect",
      protocols: [{ name: "roundrobin", metadata: Buffer.alloc(0) }],
    });
    assert.equal(other.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const none = await join(c, g, { protocols: [{ name: "sticky", metadata: sub("t") }] });
    assert.equal(none.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    // Followers wait in SyncGroup until the leader's assignment is stored; a member the leader
    // leaves out gets empty assignment bytes.
    const followerSync = sync(follower, g, [], 3);
    await sleep(100);
    const leaderSync = await sync(leader, g, [{ memberId: leader.memberId, assignment: asg("t", 0, 1) }], 3);
    assert.equal(leaderSync.errorCode, 0);
    assert.deepEqual(leaderSync.assignment, asg("t", 0, 1));
    const fs = await followerSync;
    assert.equal(fs.errorCode, 0);
    assert.equal(fs.assignment.length, 0);
    assert.equal((await describeGroup(g)).groupState, "Stable");
    for (const m of [a, b]) m.client.close();
    c.close();
  });

  it("heartbeats: REBALANCE_IN_PROGRESS while rebalancing, ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID", async () => {
    const g = "hb";
    const a = await join(tb.port, g);
    // Heartbeats are accepted between JoinGroup and SyncGroup (CompletingRebalance).
    assert.equal(await heartbeat(a, g), ErrorCode.NONE);
    await sync(a, g, [{ memberId: a.memberId, assignment: asg("t", 0) }]);
    assert.equal(await heartbeat(a, g), ErrorCode.NONE);
    assert.equal(await heartbeat(a, g, a.generationId + 1), ErrorCode.ILLEGAL_GENERATION);
    assert.equal(await heartbeat({ ...a, memberId: "ghost" }, g), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(await heartbeat(a, "no-such-group"), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(await heartbeat(a, ""), ErrorCode.INVALID_GROUP_ID);
    const bJoin = join(tb.port, g);
    await eventually(async () => (await heartbeat(a, g)) === ErrorCode.REBALANCE_IN_PROGRESS);
    // A SyncGroup of the current generation during the rebalance gets REBALANCE_IN_PROGRESS.
    assert.equal((await sync(a, g)).errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
    const a2 = await join(a.client, g, { memberId: a.memberId });
    const b = await bJoin;
    assert.equal(a2.generationId, b.generationId);
    assert.equal((await sync({ ...b, generationId: 1 }, g)).errorCode, ErrorCode.ILLEGAL_GENERATION);
    a.client.close();
    b.client.close();
  });

  it("a member whose session expires is removed and the others rebalance without it", async () => {
    const g = "expiry";
    const a = await join(tb.port, g, { sessionTimeoutMs: 400, rebalanceTimeoutMs: 3000 });
    await sync(a, g, [{ memberId: a.memberId, assignment: asg("t", 0) }]);
    const bJoin = join(tb.port, g, { sessionTimeoutMs: 10000, rebalanceTimeoutMs: 3000 });
    // A never heartbeats again: its session expires, it is removed, B's join completes alone.
    const b = await bJoin;
    assert.equal(b.errorCode, ErrorCode.NONE);
    assert.equal(b.leader, b.memberId);
    assert.deepEqual(
      b.members.map((m) => m.memberId),
      [b.memberId],
    );
    assert.equal(await heartbeat(a, g, b.generationId), ErrorCode.UNKNOWN_MEMBER_ID);
    a.client.close();
    b.client.close();
  });

  it("a member that does not rejoin within the rebalance timeout is dropped from the generation", async () => {
    const g = "rebalance-timeout";
    const a = await join(tb.port, g, { sessionTimeoutMs: 20000, rebalanceTimeoutMs: 500 });
    await sync(a, g, [{ memberId: a.memberId, assignment: asg("t", 0) }]);
    const started = performance.now();
    // B joins; A keeps heartbeating (so its session lives) but never rejoins.
    const bJoin = join(tb.port, g, { sessionTimeoutMs: 20000, rebalanceTimeoutMs: 500 });
    const hb = setInterval(() => void heartbeat(a, g).catch(() => {}), 100);
    const b = await bJoin;
    clearInterval(hb);
    assert.ok(performance.now() - started >= 400, "waited for the rebalance timeout");
    assert.deepEqual(
      b.members.map((m) => m.memberId),
      [b.memberId],
    );
    assert.equal(await heartbeat(a, g, b.generationId), ErrorCode.UNKNOWN_MEMBER_ID);
    a.client.close();
    b.client.close();
  });

  it("a member that never sends SyncGroup is removed after the rebalance timeout", async () => {
    const g = "sync-timeout";
    const a = await join(tb.port, g, { sessionTimeoutMs: 20000, rebalanceTimeoutMs: 400 });
    // The leader never syncs: the group goes back to rebalancing without it, then empties.
    await eventually(async () => (await describeGroup(g)).groupState === "Empty", 5000);
    assert.equal(await heartbeat(a, g), ErrorCode.UNKNOWN_MEMBER_ID);
    a.client.close();
  });

  it("static members: a restarted instance takes over without a rebalance, the old id is fenced", async () => {
    const g = "static";
    const a = await join(tb.port, g, { groupInstanceId: "inst-a" });
    assert.equal(a.errorCode, ErrorCode.NONE);
    assert.match(a.memberId, /^inst-a-/, "static ids start with the instance id");
    await sync(a, g, [{ memberId: a.memberId, assignment: asg("t", 0, 1) }], 3, "inst-a");
    const gen = a.generationId;
    // Same instance, new process: joins with an empty member id (no MEMBER_ID_REQUIRED for static members).
    const a2 = await join(tb.port, g, { groupInstanceId: "inst-a" });
    assert.equal(a2.errorCode, ErrorCode.NONE);
    assert.notEqual(a2.memberId, a.memberId);
    assert.equal(a2.generationId, gen, "no rebalance");
    const s2 = await sync(a2, g, [], 3, "inst-a");
    assert.deepEqual(s2.assignment, asg("t", 0, 1), "keeps the assignment");
    // The old incarnation is fenced.
    assert.equal(await heartbeat(a, g, gen, "inst-a"), ErrorCode.FENCED_INSTANCE_ID);
    assert.equal(await heartbeat(a2, g, gen, "inst-a"), ErrorCode.NONE);
    // An unknown instance id with a member id is UNKNOWN_MEMBER_ID.
    assert.equal(await heartbeat(a2, g, gen, "inst-z"), ErrorCode.UNKNOWN_MEMBER_ID);
    // LeaveGroup v3+ can remove a static member by instance id alone.
    const leave = await admin.request(LeaveGroup, 3, {
      groupId: g,
      members: [{ memberId: "", groupInstanceId: "inst-a" }],
    });
    assert.equal(leave.errorCode, 0);
    assert.deepEqual(
      leave.members.map((m) => [m.groupInstanceId, m.errorCode]),
      [["inst-a", 0]],
    );
    await eventually(async () => (await describeGroup(g)).groupState === "Empty");
    a.client.close();
    a2.client.close();
  });

  it("group.max.size: the member beyond it gets GROUP_MAX_SIZE_REACHED", async () => {
    const g = "max";
    const o = { rebalanceTimeoutMs: 1000 };
    const members = [await join(tb.port, g, o)];
    await sync(members[0]!, g, []);
    const joins: Array<ReturnType<typeof join>> = [];
    for (let i = 0; i < 4; i++) joins.push(join(tb.port, g, o));
    // The first member rejoins so the rebalance can finish.
    await eventually(async () => (await heartbeat(members[0]!, g)) === ErrorCode.REBALANCE_IN_PROGRESS);
    await sleep(200);
    const first = join(members[0]!.client, g, { ...o, memberId: members[0]!.memberId });
    const results = await Promise.all([first, ...joins]);
    const codes = results.map((r) => r.errorCode).sort();
    assert.deepEqual(codes, [0, 0, 0, 0, ErrorCode.GROUP_MAX_SIZE_REACHED]);
    for (const r of results) r.client.close();
  });

  it("LeaveGroup: v0 names one member (errors at top level), v3 batches, pending members may leave", async () => {
    const g = "leave";
    const a = await join(tb.port, g);
    await sync(a, g, []);
    const unknown = await admin.request(LeaveGroup, 0, { groupId: g, memberId: "ghost" });
    assert.equal(unknown.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    const noGroup = await admin.request(LeaveGroup, 1, { groupId: "nope", memberId: "x" });
    assert.equal(noGroup.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    const v3 = await admin.request(LeaveGroup, 3, {
      groupId: g,
      members: [
        { memberId: a.memberId, groupInstanceId: null },
        { memberId: "ghost", groupInstanceId: null },
      ],
    });
    assert.equal(v3.errorCode, 0);
    assert.deepEqual(
      v3.members.map((m) => [m.memberId, m.errorCode]),
      [
        [a.memberId, 0],
        ["ghost", ErrorCode.UNKNOWN_MEMBER_ID],
      ],
    );
    assert.equal((await describeGroup(g)).groupState, "Empty");
    // A member told MEMBER_ID_REQUIRED can leave before it rejoins.
    const c = await RawClient.connect(tb.port);
    const pending = await c.request(JoinGroup, 5, {
      groupId: g,
      sessionTimeoutMs: 6000,
      rebalanceTimeoutMs: 6000,
      memberId: "",
      protocolType: "consumer",
      protocols: [{ name: "range", metadata: sub("t") }],
    });
    assert.equal(pending.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
    const left = await c.request(LeaveGroup, 4, {
      groupId: g,
      members: [{ memberId: pending.memberId, groupInstanceId: null }],
    });
    assert.equal(left.members[0]!.errorCode, 0);
    a.client.close();
    c.close();
  });

  it("initial rebalance delay: members joining an empty group together share the first generation", async () => {
    const delayed = await startTestBroker({
      configs: { "group.initial.rebalance.delay.ms": "400", "offsets.topic.num.partitions": "1" },
    });
    try {
      const g = "delay";
      const started = performance.now();
      const joins = [
        join(delayed.port, g),
        sleep(150).then(() => join(delayed.port, g)),
        sleep(300).then(() => join(delayed.port, g)),
      ];
      const ms = await Promise.all(joins);
      assert.ok(performance.now() - started >= 400);
      assert.deepEqual(
        ms.map((m) => m.generationId),
        [1, 1, 1],
      );
      assert.equal(new Set(ms.map((m) => m.leader)).size, 1);
      for (const m of ms) m.client.close();
    } finally {
      await delayed.close();
    }
  });

  it("SyncGroup v5 requires protocol type and name; mismatches are INCONSISTENT_GROUP_PROTOCOL", async () => {
    const g = "sync5";
    const a = await join(tb.port, g);
    const missing = await a.client.request(SyncGroup, 5, {
      groupId: g,
      generationId: a.generationId,
      memberId: a.memberId,
      protocolType: null,
      protocolName: null,
      assignments: [],
    });
    assert.equal(missing.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const wrong = await a.client.request(SyncGroup, 5, {
      groupId: g,
      generationId: a.generationId,
      memberId: a.memberId,
      protocolType: "consumer",
      protocolName: "roundrobin",
      assignments: [],
    });
    assert.equal(wrong.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const ok = await a.client.request(SyncGroup, 5, {
      groupId: g,
      generationId: a.generationId,
      memberId: a.memberId,
      protocolType: "consumer",
      protocolName: "range",
      assignments: [{ memberId: a.memberId, assignment: asg("t", 0) }],
    });
    assert.equal(ok.errorCode, 0);
    assert.equal(ok.protocolType, "consumer");
    assert.equal(ok.protocolName, "range");
    a.client.close();
  });
});
