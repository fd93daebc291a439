/**
 * KIP-848 consumer groups driven with exact ConsumerGroupHeartbeat requests: joining, server-side
 * assignment, revocation before reassignment, epochs and fencing, leaving and session expiry,
 * offsets with member epochs (OffsetCommit/OffsetFetch v9), ConsumerGroupDescribe, coexistence
 * with classic groups, and the state reloaded after a restart.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as joinPath } from "node:path";
import { after, before, describe, it } from "node:test";
import { ConsumerGroupDescribe } from "../../src/protocol/messages/consumer-group-describe.js";
import { ConsumerGroupHeartbeat } from "../../src/protocol/messages/consumer-group-heartbeat.js";
import { ListGroups } from "../../src/protocol/messages/list-groups.js";
import { OffsetCommit } from "../../src/protocol/messages/offset-commit.js";
import { OffsetFetch } from "../../src/protocol/messages/offset-fetch.js";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import { RawClient } from "../support/raw-client.js";
import { ErrorCode, join, sleep } from "./support.js";

type TP = Array<{ topicId: string; partitions: number[] }>;

const CONFIGS = {
  "group.consumer.session.timeout.ms": "1500",
  "group.consumer.heartbeat.interval.ms": "200",
  "offsets.topic.num.partitions": "3",
};

class Member {
  memberId = "";
  epoch = 0;
  owned: TP = [];
  constructor(
    readonly c: RawClient,
    readonly groupId: string,
    readonly topics: string[],
    readonly o: { instanceId?: string | null; serverAssignor?: string | null } = {},
  ) {}

  async heartbeat(extra: Record<string, unknown> = {}) {
    const r = await this.c.request(ConsumerGroupHeartbeat, 0, {
      groupId: this.groupId,
      memberId: this.memberId,
      memberEpoch: this.epoch,
      instanceId: this.o.instanceId ?? null,
      rebalanceTimeoutMs: this.epoch === 0 ? 5000 : -1,
      subscribedTopicNames: this.epoch === 0 ? this.topics : null,
      serverAssignor: this.o.serverAssignor ?? null,
      topicPartitions: this.epoch === 0 ? [] : this.owned,
      ...extra,
    });
    if (r.errorCode === 0) {
      this.memberId = r.memberId!;
      this.epoch = r.memberEpoch;
      // Like a real client: adopt the new assignment at once (revocations done, additions taken).
      if (r.assignment)
        this.owned = r.assignment.topicPartitions.map((t) => ({
          ...t,
          partitions: [...t.partitions].sort(),
        }));
    }
    return r;
  }

  partitions(): number[] {
    return this.owned.flatMap((t) => t.partitions).sort();
  }
}

describe("KIP-848 consumer groups", () => {
  let tb: TestBroker;
  let admin: RawClient;
  let t4: string;
  let u2: string;
  before(async () => {
    tb = await startTestBroker({ configs: CONFIGS });
    t4 = (await tb.broker.createTopic("t4", 4, 1, {}))!.id;
    u2 = (await tb.broker.createTopic("u2", 2, 1, {}))!.id;
    admin = await RawClient.connect(tb.port);
  });
  after(async () => {
    admin.close();
    await tb.close();
  });

  const describeGroup = async (g: string) =>
    (await admin.request(ConsumerGroupDescribe, 0, { groupIds: [g], includeAuthorizedOperations: false }))
      .groups[0]!;
  const member = async (g: string, topics: string[], o = {}) =>
    new Member(await RawClient.connect(tb.port), g, topics, o);

  /** Heartbeats every member until the group is Stable and every member's epoch is the group's. */
  async function converge(ms: Member[], g: string, rounds = 20) {
    for (let i = 0; i < rounds; i++) {
      for (const m of ms) await m.heartbeat();
      const d = await describeGroup(g);
      if (d.groupState === "Stable" && ms.every((m) => m.epoch === d.assignmentEpoch)) return d;
    }
    throw new Error(`group ${g} did not converge: ${JSON.stringify(await describeGroup(g))}`);
  }

  it("a first member gets every partition; a second one gets half, after the first revokes them", async () => {
    const g = "kip848";
    const a = await member(g, ["t4"]);
    const r = await a.heartbeat();
    assert.equal(r.errorCode, 0);
    assert.match(r.memberId!, /^[A-Za-z0-9_-]{22}$/);
    // A new group starts at epoch 1, as in Kafka 4.x: the first join makes it 2.
    assert.equal(r.memberEpoch, 2);
    assert.equal(r.heartbeatIntervalMs, 200);
    assert.deepEqual(r.assignment!.topicPartitions, [{ topicId: t4, partitions: [0, 1, 2, 3] }]);

    const b = await member(g, ["t4"]);
    const rb = await b.heartbeat();
    assert.equal(rb.memberEpoch, 3);
    // B's partitions are still owned by A: it waits with none.
    assert.deepEqual(rb.assignment!.topicPartitions, []);
    assert.equal((await describeGroup(g)).groupState, "Reconciling");
    // A is asked to revoke two partitions and stays in epoch 2 until it no longer reports them.
    const ra = await a.heartbeat({ topicPartitions: [{ topicId: t4, partitions: [0, 1, 2, 3] }] });
    assert.equal(ra.memberEpoch, 2);
    assert.equal(ra.assignment!.topicPartitions[0]!.partitions.length, 2);
    const d = await converge([a, b], g);
    assert.deepEqual([a.partitions().length, b.partitions().length], [2, 2]);
    assert.deepEqual([...a.partitions(), ...b.partitions()].sort(), [0, 1, 2, 3]);
    assert.equal(d.groupEpoch, 3);
    assert.equal(d.assignorName, "uniform");
    assert.deepEqual(
      d.members.map((m) => m.assignment.topicPartitions[0]!.topicName),
      ["t4", "t4"],
    );
    // B leaves: A gets everything back.
    const left = await b.heartbeat({ memberEpoch: -1 });
    assert.equal(left.errorCode, 0);
    assert.equal(left.memberEpoch, -1);
    await converge([a], g);
    assert.deepEqual(a.partitions(), [0, 1, 2, 3]);
    // v1 tells each member's type: 1, the consumer protocol.
    const v1 = (
      await admin.request(ConsumerGroupDescribe, 1, { groupIds: [g], includeAuthorizedOperations: false })
    ).groups[0]!;
    assert.deepEqual(
      v1.members.map((m) => m.memberType),
      [1],
    );
    // The last member leaving bumps the group epoch and moves the (empty) target assignment with it.
    assert.equal((await a.heartbeat({ memberEpoch: -1 })).errorCode, 0);
    const empty = await describeGroup(g);
    assert.deepEqual(
      [empty.groupState, empty.groupEpoch, empty.assignmentEpoch],
      ["Empty", v1.groupEpoch + 1, v1.groupEpoch + 1],
    );
    a.c.close();
    b.c.close();
  });

  it("epochs: fenced when ahead or behind, unknown member, bad first requests and assignors", async () => {
    const g = "epochs";
    const a = await member(g, ["t4"]);
    await a.heartbeat();
    const code = async (extra: Record<string, unknown>) => (await a.heartbeat(extra)).errorCode;
    assert.equal(await code({ memberEpoch: a.epoch + 5 }), ErrorCode.FENCED_MEMBER_EPOCH);
    assert.equal(await code({ memberId: "nobody", memberEpoch: 3 }), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(await code({ memberEpoch: -3 }), ErrorCode.INVALID_REQUEST);
    const fresh = await member(g, ["t4"]);
    assert.equal((await fresh.heartbeat({ rebalanceTimeoutMs: -1 })).errorCode, ErrorCode.INVALID_REQUEST);
    assert.equal(
      (await fresh.heartbeat({ subscribedTopicNames: null })).errorCode,
      ErrorCode.INVALID_REQUEST,
    );
    // An empty subscription is one (a pattern that matches nothing yet): the member joins, with no
    // partitions and without bumping the new group's epoch (1).
    const idle = await member("idle", []);
    const ri = await idle.heartbeat();
    assert.deepEqual([ri.errorCode, ri.memberEpoch, ri.assignment?.topicPartitions], [0, 1, []]);
    idle.c.close();
    assert.equal(
      (await fresh.heartbeat({ serverAssignor: "sticky" })).errorCode,
      ErrorCode.UNSUPPORTED_ASSIGNOR,
    );
    assert.equal((await fresh.heartbeat({ groupId: "" })).errorCode, ErrorCode.INVALID_REQUEST);
    assert.equal(
      (await fresh.heartbeat({ memberEpoch: 1, memberId: "x", groupId: "no-such-group" })).errorCode,
      ErrorCode.GROUP_ID_NOT_FOUND,
    );
    // A at epoch 2 (a new group starts at 1) owns everything; a second member bumps the group to
    // epoch 3, A revokes and moves to epoch 3. A heartbeat still carrying epoch 2 (the answer may have
    // been lost) is accepted when its partitions are among A's; with a partition A no longer has, A
    // is fenced.
    assert.equal(a.epoch, 2);
    await fresh.heartbeat();
    await converge([a, fresh], g);
    assert.equal(a.epoch, 3);
    const mine = a.partitions();
    const notMine = [0, 1, 2, 3].find((p) => !mine.includes(p))!;
    assert.equal(
      await code({ memberEpoch: 2, topicPartitions: [{ topicId: t4, partitions: mine }] }),
      ErrorCode.NONE,
    );
    a.epoch = 3;
    assert.equal(
      await code({ memberEpoch: 2, topicPartitions: [{ topicId: t4, partitions: [notMine] }] }),
      ErrorCode.FENCED_MEMBER_EPOCH,
    );
    a.c.close();
    fresh.c.close();
  });

  it("a member that stops heartbeating is fenced after the session timeout; the others take its partitions", async () => {
    const g = "sessions";
    const a = await member(g, ["t4"]);
    const b = await member(g, ["t4"]);
    await a.heartbeat();
    await b.heartbeat();
    await converge([a, b], g);
    const started = performance.now();
    // Only A keeps heartbeating.
    while (performance.now() - started < 4000) {
      await a.heartbeat();
      const d = await describeGroup(g);
      if (d.members.length === 1 && a.partitions().length === 4) break;
      await sleep(150);
    }
    assert.ok(performance.now() - started >= 1400, "fenced only after the session timeout");
    assert.deepEqual(a.partitions(), [0, 1, 2, 3]);
    assert.equal((await b.heartbeat()).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    a.c.close();
    b.c.close();
  });

  it("range assignor: members with the same subscriptions get the same partition numbers of each topic", async () => {
    const g = "ranged";
    const ms = [
      await member(g, ["t4", "u2"], { serverAssignor: "range" }),
      await member(g, ["t4", "u2"], { serverAssignor: "range" }),
    ];
    for (const m of ms) await m.heartbeat();
    const d = await converge(ms, g);
    assert.equal(d.assignorName, "range");
    for (const m of ms) {
      const t = m.owned.find((x) => x.topicId === t4)!.partitions;
      const u = m.owned.find((x) => x.topicId === u2)!.partitions;
      assert.equal(t.length, 2);
      assert.equal(u.length, 1);
      assert.equal(u[0], t[0]! / 2, "co-partitioned ranges");
    }
    for (const m of ms) m.c.close();
  });

  it("offsets: OffsetCommit v9 checks the member epoch (STALE_MEMBER_EPOCH), older versions are refused for members", async () => {
    const g = "offsets848";
    const a = await member(g, ["t4"]);
    await a.heartbeat();
    const commit = (version: number, epoch: number, memberId = a.memberId) =>
      admin.request(OffsetCommit, version, {
        groupId: g,
        generationIdOrMemberEpoch: epoch,
        memberId,
        topics: [
          { name: "t4", partitions: [{ partitionIndex: 1, committedOffset: 11n, committedMetadata: null }] },
        ],
      });
    const err = async (p: ReturnType<typeof commit>) => (await p).topics[0]!.partitions[0]!.errorCode;
    assert.equal(await err(commit(9, a.epoch)), 0);
    assert.equal(await err(commit(9, a.epoch + 1)), ErrorCode.STALE_MEMBER_EPOCH);
    assert.equal(await err(commit(9, a.epoch, "ghost")), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(await err(commit(8, a.epoch)), ErrorCode.UNSUPPORTED_VERSION);
    // Admin-style commits (epoch -1) are refused while the group has members.
    assert.equal(await err(commit(9, -1, "")), ErrorCode.UNKNOWN_MEMBER_ID);
    const fetch = (memberId: string | null, memberEpoch: number) =>
      admin.request(OffsetFetch, 9, {
        groups: [{ groupId: g, memberId, memberEpoch, topics: [{ name: "t4", partitionIndexes: [1] }] }],
        requireStable: true,
      });
    const ok = await fetch(a.memberId, a.epoch);
    assert.equal(ok.groups[0]!.topics[0]!.partitions[0]!.committedOffset, 11n);
    assert.equal((await fetch(a.memberId, a.epoch + 3)).groups[0]!.errorCode, ErrorCode.STALE_MEMBER_EPOCH);
    assert.equal((await fetch(null, -1)).groups[0]!.errorCode, 0, "admin fetch");
    a.c.close();
  });

  it("coexists with classic groups: each group id keeps its protocol while it has members", async () => {
    const a = await member("mixed", ["t4"]);
    await a.heartbeat();
    // A classic member cannot join a group with KIP-848 members.
    const classic = await join(tb.port, "mixed");
    assert.equal(classic.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    classic.client.close();
    // A KIP-848 member cannot join a classic group with members.
    const cm = await join(tb.port, "classic-only");
    assert.equal(cm.errorCode, 0);
    const b = await member("classic-only", ["t4"]);
    assert.equal((await b.heartbeat()).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
    // An empty classic group (offsets only) becomes a consumer group, keeping its offsets.
    await admin.request(OffsetCommit, 8, {
      groupId: "upgrade",
      generationIdOrMemberEpoch: -1,
      memberId: "",
      topics: [
        { name: "t4", partitions: [{ partitionIndex: 0, committedOffset: 5n, committedMetadata: null }] },
      ],
    });
    const c = await member("upgrade", ["t4"]);
    assert.equal((await c.heartbeat()).errorCode, 0);
    const f = await admin.request(OffsetFetch, 9, {
      groups: [
        {
          groupId: "upgrade",
          memberId: null,
          memberEpoch: -1,
          topics: [{ name: "t4", partitionIndexes: [0] }],
        },
      ],
    });
    assert.equal(f.groups[0]!.topics[0]!.partitions[0]!.committedOffset, 5n);
    const listed = await admin.request(ListGroups, 5, { statesFilter: [], typesFilter: [] });
    const type = (id: string) => listed.groups.find((x) => x.groupId === id)?.groupType;
    assert.deepEqual(
      [type("mixed"), type("classic-only"), type("upgrade")],
      ["consumer", "classic", "consumer"],
    );
    const d = await admin.request(ConsumerGroupDescribe, 0, { groupIds: ["classic-only", "nope", ""] });
    assert.deepEqual(
      d.groups.map((x) => x.errorCode),
      [ErrorCode.GROUP_ID_NOT_FOUND, ErrorCode.GROUP_ID_NOT_FOUND, ErrorCode.INVALID_GROUP_ID],
    );
    for (const x of [a, b, c]) x.c.close();
    cm.client.close();
  });
});

describe("KIP-848 group state across a restart", () => {
  const dir = mkdtempSync(joinPath(tmpdir(), "brook-848-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("members, epochs and assignments come back; members carry on with their epochs", async () => {
    let tb = await startTestBroker({
      dataDir: dir,
      configs: { ...CONFIGS, "group.consumer.session.timeout.ms": "20000" },
    });
    await tb.broker.createTopic("r", 3, 1, {});
    const c1 = await RawClient.connect(tb.port);
    const c2 = await RawClient.connect(tb.port);
    const a = new Member(c1, "persist", ["r"]);
    const b = new Member(c2, "persist", ["r"]);
    await a.heartbeat();
    await b.heartbeat();
    for (let i = 0; i < 5; i++) {
      await a.heartbeat();
      await b.heartbeat();
    }
    const before = await (async () => {
      const admin = await RawClient.connect(tb.port);
      const d = (await admin.request(ConsumerGroupDescribe, 0, { groupIds: ["persist"] })).groups[0]!;
      admin.close();
      return d;
    })();
    assert.equal(before.groupState, "Stable");
    c1.close();
    c2.close();
    await tb.close();
    tb = await startTestBroker({
      dataDir: dir,
      configs: { ...CONFIGS, "group.consumer.session.timeout.ms": "20000" },
    });
    try {
      const admin = await RawClient.connect(tb.port);
      const d = (await admin.request(ConsumerGroupDescribe, 0, { groupIds: ["persist"] })).groups[0]!;
      assert.equal(d.groupState, "Stable");
      assert.equal(d.groupEpoch, before.groupEpoch);
      assert.equal(d.assignmentEpoch, before.assignmentEpoch);
      const norm = (x: typeof d) =>
        x.members
          .map(
            (m) =>
              `${m.memberId}:${m.memberEpoch}:${m.assignment.topicPartitions.flatMap((t) => t.partitions).join(",")}`,
          )
          .sort();
      assert.deepEqual(norm(d), norm(before));
      // A member heartbeats on with its epoch and partitions.
      const a2 = new Member(await RawClient.connect(tb.port), "persist", ["r"]);
      a2.memberId = a.memberId;
      a2.epoch = a.epoch;
      a2.owned = a.owned;
      const r = await a2.heartbeat();
      assert.equal(r.errorCode, 0);
      assert.equal(r.memberEpoch, a.epoch);
      a2.c.close();
      admin.close();
    } finally {
      await tb.close();
    }
  });
});
