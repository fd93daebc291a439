/**
 * The `__consumer_offsets` record formats: bytes written by hand from the layout in protocol-notes
 * section g (and Kafka's group-coordinator message specs), compared with what Brook encodes, and
 * every value version decoded.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  consumerGroupEpochRecord,
  consumerMemberRecord,
  currentMemberAssignmentRecord,
  decodeCoordinatorRecord,
  groupMetadataRecord,
  groupMetadataTombstone,
  offsetCommitRecord,
  offsetCommitTombstone,
  RecordType,
  targetAssignmentEpochRecord,
  targetAssignmentMemberRecord,
} from "../../src/coordinator/records.js";

/** A tiny big-endian byte builder, independent of Brook's Writer. */
class B {
  private parts: Buffer[] = [];
  i16(v: number) {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    this.parts.push(b);
    return this;
  }
  i32(v: number) {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    this.parts.push(b);
    return this;
  }
  i64(v: bigint) {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(v);
    this.parts.push(b);
    return this;
  }
  str(s: string | null) {
    if (s === null) return this.i16(-1);
    const b = Buffer.from(s, "utf8");
    this.i16(b.length);
    this.parts.push(b);
    return this;
  }
  bytes(b: Buffer) {
    this.i32(b.length);
    this.parts.push(b);
    return this;
  }
  raw(...bytes: number[]) {
    this.parts.push(Buffer.from(bytes));
    return this;
  }
  build() {
    return Buffer.concat(this.parts);
  }
}

describe("__consumer_offsets records", () => {
  it("offset commit: key type 1 and value v3, byte for byte", () => {
    const r = offsetCommitRecord("g", "orders", 4, {
      offset: 1234n,
      leaderEpoch: 0,
      metadata: "m",
      commitTimestamp: 1700000000000,
      expireTimestamp: null,
    });
    assert.deepEqual(r.key, new B().i16(1).str("g").str("orders").i32(4).build());
    assert.deepEqual(r.value, new B().i16(3).i64(1234n).i32(0).str("m").i64(1700000000000n).build());
    const d = decodeCoordinatorRecord(r.key, r.value);
    assert.equal(d.type, "offset");
    if (d.type !== "offset") return;
    assert.deepEqual([d.group, d.topic, d.partition], ["g", "orders", 4]);
    assert.equal(d.value!.offset, 1234n);
    assert.equal(d.value!.metadata, "m");
  });

  it("offset commit with an expire timestamp is written as value v1", () => {
    const r = offsetCommitRecord("g", "t", 0, {
      offset: 5n,
      leaderEpoch: -1,
      metadata: "",
      commitTimestamp: 10,
      expireTimestamp: 20,
    });
    assert.deepEqual(r.value, new B().i16(1).i64(5n).str("").i64(10n).i64(20n).build());
  });

  it("reads every offset value version (v0-v4) and the legacy key type 0", () => {
    const key0 = new B().i16(0).str("g").str("t").i32(1).build();
    const v0 = new B().i16(0).i64(7n).str("meta").i64(99n).build();
    const v2 = new B().i16(2).i64(7n).str("meta").i64(99n).build();
    // v4 is flexible: compact strings (length + 1 as uvarint) and an empty tag section.
    const v4 = new B()
      .i16(4)
      .i64(7n)
      .i32(3)
      .raw(5)
      .raw(...Buffer.from("meta"))
      .i64(99n)
      .raw(0)
      .build();
    for (const value of [v0, v2, v4]) {
      const d = decodeCoordinatorRecord(key0, value);
      assert.equal(d.type, "offset");
      if (d.type !== "offset") continue;
      assert.equal(d.value!.offset, 7n);
      assert.equal(d.value!.metadata, "meta");
      assert.equal(d.value!.commitTimestamp, 99n);
    }
    const d4 = decodeCoordinatorRecord(key0, v4);
    assert.equal(d4.type === "offset" && d4.value!.leaderEpoch, 3);
  });

  it("tombstones have a key and a null value", () => {
    const t = offsetCommitTombstone("g", "t", 2);
    assert.equal(t.value, null);
    const d = decodeCoordinatorRecord(t.key, null);
    assert.deepEqual(d, { type: "offset", group: "g", topic: "t", partition: 2, value: null });
    const g = groupMetadataTombstone("g");
    assert.deepEqual(g.key, new B().i16(2).str("g").build());
    assert.deepEqual(decodeCoordinatorRecord(g.key, null), { type: "group", group: "g", value: null });
  });

  it("group metadata: key type 2 and value v3, byte for byte", () => {
    const sub = Buffer.from([0, 0, 0, 0, 0, 1, 0, 1, 116, 0, 0, 0, 0]);
    const asg = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const r = groupMetadataRecord("grp", {
      protocolType: "consumer",
      generation: 3,
      protocol: "range",
      leader: "m1",
      currentStateTimestamp: 123,
      members: [
        {
          memberId: "m1",
          groupInstanceId: null,
          clientId: "c",
          clientHost: "/127.0.0.1",
          rebalanceTimeout: 60000,
          sessionTimeout: 30000,
          subscription: sub,
          assignment: asg,
        },
      ],
    });
    const expected = new B()
      .i16(3)
      .str("consumer")
      .i32(3)
      .str("range")
      .str("m1")
      .i64(123n)
      .i32(1)
      .str("m1")
      .str(null)
      .str("c")
      .str("/127.0.0.1")
      .i32(60000)
      .i32(30000)
      .bytes(sub)
      .bytes(asg)
      .build();
    assert.deepEqual(r.value, expected);
    const d = decodeCoordinatorRecord(r.key, r.value);
    assert.equal(d.type, "group");
    if (d.type !== "group") return;
    assert.equal(d.value!.members[0]!.sessionTimeout, 30000);
    assert.deepEqual(d.value!.members[0]!.subscription, sub);
  });

  it("reads group metadata v0 (no rebalance timeout, no timestamp)", () => {
    const v0 = new B()
      .i16(0)
      .str("consumer")
      .i32(1)
      .str("range")
      .str("m1")
      .i32(1)
      .str("m1")
      .str("c")
      .str("/h")
      .i32(10000)
      .bytes(Buffer.alloc(0))
      .bytes(Buffer.alloc(0))
      .build();
    const d = decodeCoordinatorRecord(new B().i16(2).str("grp").build(), v0);
    assert.equal(d.type, "group");
    if (d.type !== "group") return;
    assert.equal(d.value!.currentStateTimestamp, -1n);
    assert.equal(d.value!.members[0]!.memberId, "m1");
    assert.equal(d.value!.members[0]!.groupInstanceId, null);
  });

  it("KIP-848 records round-trip (types 3, 5, 6, 7, 8)", () => {
    const tid = "4a8b2c3d-1111-2222-3333-444455556666";
    const cases = [
      consumerGroupEpochRecord("g", 7),
      consumerMemberRecord("g", "m", {
        instanceId: null,
        rackId: "r1",
        clientId: "c",
        clientHost: "/h",
        subscribedTopicNames: ["a", "b"],
        subscribedTopicRegex: null,
        rebalanceTimeoutMs: 30000,
        serverAssignor: "uniform",
      }),
      targetAssignmentEpochRecord("g", 7),
      targetAssignmentMemberRecord("g", "m", [{ topicId: tid, partitions: [0, 2] }]),
      currentMemberAssignmentRecord("g", "m", {
        memberEpoch: 7,
        previousMemberEpoch: 6,
        state: 1,
        assignedPartitions: [{ topicId: tid, partitions: [0] }],
        partitionsPendingRevocation: [{ topicId: tid, partitions: [1] }],
      }),
    ];
    assert.deepEqual(
      cases.map((c) => c.key.readInt16BE(0)),
      [
        RecordType.CONSUMER_GROUP_METADATA,
        RecordType.CONSUMER_GROUP_MEMBER_METADATA,
        RecordType.CONSUMER_GROUP_TARGET_ASSIGNMENT_METADATA,
        RecordType.CONSUMER_GROUP_TARGET_ASSIGNMENT_MEMBER,
        RecordType.CONSUMER_GROUP_CURRENT_MEMBER_ASSIGNMENT,
      ],
    );
    // Epoch value: version 0, int32, empty tag section.
    assert.deepEqual(cases[0]!.value, new B().i16(0).i32(7).raw(0).build());
    const decoded = cases.map((c) => decodeCoordinatorRecord(c.key, c.value));
    assert.deepEqual(decoded[0], { type: "consumer-group", group: "g", epoch: 7 });
    assert.equal(
      decoded[1]!.type === "consumer-member" && decoded[1]!.value!.subscribedTopicNames.join(),
      "a,b",
    );
    assert.deepEqual(decoded[2], { type: "target-epoch", group: "g", assignmentEpoch: 7 });
    assert.deepEqual(decoded[3], {
      type: "target-member",
      group: "g",
      memberId: "m",
      partitions: [{ topicId: tid, partitions: [0, 2] }],
    });
    const cur = decoded[4]!;
    assert.equal(cur.type, "current-member");
    if (cur.type === "current-member") {
      assert.equal(cur.value!.previousMemberEpoch, 6);
      assert.deepEqual(cur.value!.partitionsPendingRevocation, [{ topicId: tid, partitions: [1] }]);
    }
  });

  it("unknown record types are ignored, unknown value versions are refused", () => {
    assert.deepEqual(decodeCoordinatorRecord(new B().i16(9).str("x").build(), Buffer.alloc(4)), {
      type: "ignored",
      recordType: 9,
    });
    const key = new B().i16(1).str("g").str("t").i32(0).build();
    assert.throws(() => decodeCoordinatorRecord(key, new B().i16(9).i64(1n).build()), /version 9/);
  });
});
