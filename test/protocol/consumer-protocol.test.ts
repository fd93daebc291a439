import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  type AssignmentInput,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  type SubscriptionInput,
} from "../../src/protocol/embedded/consumer-protocol.js";
import { ProtocolError } from "../../src/protocol/errors.js";

const require = createRequire(import.meta.url);
const kafkajs = require("kafkajs") as {
  AssignerProtocol: {
    MemberMetadata: {
      encode(m: { version: number; topics: string[]; userData?: Buffer }): Buffer;
      decode(b: Buffer): { version: number; topics: string[]; userData: Buffer | null };
    };
    MemberAssignment: {
      encode(a: { version: number; assignment: Record<string, number[]>; userData?: Buffer }): Buffer;
      decode(
        b: Buffer,
      ): { version: number; assignment: Record<string, number[]>; userData: Buffer | null } | null;
    };
  };
  PartitionAssigners: { roundRobin: (cfg: { cluster: unknown }) => any };
};
const { MemberMetadata, MemberAssignment } = kafkajs.AssignerProtocol;

// ---- hand-written layout helpers (independent of Brook's codec)
const i16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};
const i32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const str = (s: string) => Buffer.concat([i16(Buffer.byteLength(s)), Buffer.from(s)]);
const bytes = (b: Buffer | null) => (b === null ? i32(-1) : Buffer.concat([i32(b.length), b]));
const arr = <T>(xs: T[], one: (x: T) => Buffer) => Buffer.concat([i32(xs.length), ...xs.map(one)]);
const topicPartitions = (tp: { topic: string; partitions: number[] }) =>
  Buffer.concat([str(tp.topic), arr(tp.partitions, i32)]);

// ---- arbitraries
// "__proto__" is a legal topic name but KafkaJS indexes assignments by topic in a plain object.
const topicName = fc.stringMatching(/^[a-zA-Z0-9._-]{1,20}$/).filter((t) => t !== "__proto__");
const partitionsArb = fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 6 });
const plain = { noNullPrototype: true } as const;
const tpArb = fc.record({ topic: topicName, partitions: partitionsArb }, plain);
const userDataArb = fc.option(
  fc.uint8Array({ maxLength: 30 }).map((u) => Buffer.from(u)),
  { nil: null },
);
const subscriptionArb = fc.record(
  {
    topics: fc.array(topicName, { maxLength: 5 }),
    userData: userDataArb,
    ownedPartitions: fc.array(tpArb, { maxLength: 4 }),
    generationId: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    rackId: fc.option(fc.string({ maxLength: 10 }), { nil: null }),
  },
  plain,
);
const assignmentArb = fc.record(
  { assignedPartitions: fc.array(tpArb, { maxLength: 5 }), userData: userDataArb },
  plain,
);

/** What a decoder must return for `sub` written at `version`: fields of later versions at defaults. */
function expectedSubscription(sub: Required<SubscriptionInput>, version: number) {
  return {
    version,
    topics: sub.topics,
    userData: sub.userData === null ? null : Buffer.from(sub.userData),
    ownedPartitions: version >= 1 ? sub.ownedPartitions : [],
    generationId: version >= 2 ? sub.generationId : -1,
    rackId: version >= 3 ? sub.rackId : null,
  };
}

describe("ConsumerProtocolSubscription", () => {
  it("writes the documented layout for each version", () => {
    const sub = {
      topics: ["a", "bb"],
      userData: Buffer.from([9, 8]),
      ownedPartitions: [{ topic: "a", partitions: [0, 3] }],
      generationId: 7,
      rackId: "rack-1",
    };
    const v0 = Buffer.concat([arr(sub.topics, str), bytes(sub.userData)]);
    const v1 = Buffer.concat([v0, arr(sub.ownedPartitions, topicPartitions)]);
    const v2 = Buffer.concat([v1, i32(7)]);
    const v3 = Buffer.concat([v2, str("rack-1")]);
    const bodies = [v0, v1, v2, v3];
    for (let v = 0; v <= 3; v++) {
      assert.deepEqual(encodeSubscription(sub, v), Buffer.concat([i16(v), bodies[v]!]), `v${v}`);
    }
    assert.deepEqual(encodeSubscription(sub), Buffer.concat([i16(3), v3]), "defaults to v3");
  });

  it("writes null userData and rackId as -1 lengths, and generationId -1 by default", () => {
    const enc = encodeSubscription({ topics: ["t"] }, 3);
    assert.deepEqual(enc, Buffer.concat([i16(3), arr(["t"], str), i32(-1), i32(0), i32(-1), i16(-1)]));
  });

  it("round-trips every version, leaving later fields at their defaults", () => {
    fc.assert(
      fc.property(subscriptionArb, fc.integer({ min: 0, max: 3 }), (sub, v) => {
        assert.deepEqual(decodeSubscription(encodeSubscription(sub, v)), expectedSubscription(sub, v));
      }),
      { numRuns: 1000 },
    );
  });

  it("reads a newer version with the v3 fields and ignores what follows", () => {
    fc.assert(
      fc.property(
        subscriptionArb,
        fc.integer({ min: 4, max: 32767 }),
        fc.uint8Array({ maxLength: 40 }),
        (sub, newer, extra) => {
          const v3 = encodeSubscription(sub, 3);
          const buf = Buffer.concat([i16(newer), v3.subarray(2), Buffer.from(extra)]);
          assert.deepEqual(decodeSubscription(buf), { ...expectedSubscription(sub, 3), version: newer });
        },
      ),
      { numRuns: 500 },
    );
  });

  it("rejects negative versions and truncated payloads with ProtocolError", () => {
    const good = encodeSubscription({ topics: ["abc", "de"], userData: Buffer.from([1, 2, 3]) }, 0);
    assert.throws(() => decodeSubscription(Buffer.concat([i16(-1), good.subarray(2)])), ProtocolError);
    for (let n = 0; n < good.length; n++) {
      assert.throws(() => decodeSubscription(good.subarray(0, n)), ProtocolError, `truncated to ${n}`);
    }
  });

  it("refuses to write a version it does not know", () => {
    assert.throws(() => encodeSubscription({ topics: [] }, 4), ProtocolError);
    assert.throws(() => encodeSubscription({ topics: [] }, -1), ProtocolError);
  });
});

describe("ConsumerProtocolAssignment", () => {
  it("writes the documented layout, the same in every version", () => {
    const a = {
      assignedPartitions: [
        { topic: "t", partitions: [1, 2] },
        { topic: "u", partitions: [] },
      ],
    };
    const body = Buffer.concat([arr(a.assignedPartitions, topicPartitions), i32(-1)]);
    for (let v = 0; v <= 3; v++) assert.deepEqual(encodeAssignment(a, v), Buffer.concat([i16(v), body]));
  });

  it("round-trips every version", () => {
    fc.assert(
      fc.property(assignmentArb, fc.integer({ min: 0, max: 3 }), (a, v) => {
        assert.deepEqual(decodeAssignment(encodeAssignment(a, v)), { version: v, ...a });
      }),
      { numRuns: 1000 },
    );
  });

  it("reads a newer version and ignores trailing bytes", () => {
    fc.assert(
      fc.property(
        assignmentArb,
        fc.integer({ min: 4, max: 32767 }),
        fc.uint8Array({ maxLength: 40 }),
        (a, v, x) => {
          const buf = Buffer.concat([i16(v), encodeAssignment(a, 3).subarray(2), Buffer.from(x)]);
          assert.deepEqual(decodeAssignment(buf), { version: v, ...a });
        },
      ),
      { numRuns: 500 },
    );
  });

  it("decodes empty bytes as an empty assignment", () => {
    assert.deepEqual(decodeAssignment(Buffer.alloc(0)), {
      version: 0,
      assignedPartitions: [],
      userData: null,
    });
  });

  it("rejects a truncated assignment with ProtocolError", () => {
    const good = encodeAssignment({ assignedPartitions: [{ topic: "topic", partitions: [4, 5] }] }, 1);
    for (let n = 1; n < good.length; n++) {
      assert.throws(() => decodeAssignment(good.subarray(0, n)), ProtocolError, `truncated to ${n}`);
    }
  });
});

describe("interoperability with KafkaJS 2.2.4 (AssignerProtocol)", () => {
  it("decodes KafkaJS MemberMetadata v0 (empty userData by default)", () => {
    const buf = MemberMetadata.encode({ version: 0, topics: ["orders", "payments"] });
    assert.deepEqual(decodeSubscription(buf), {
      version: 0,
      topics: ["orders", "payments"],
      userData: Buffer.alloc(0),
      ownedPartitions: [],
      generationId: -1,
      rackId: null,
    });
  });

  it("decodes KafkaJS metadata that announces v1-v3 but carries only the v0 fields", () => {
    fc.assert(
      fc.property(
        fc.array(topicName, { maxLength: 5 }),
        fc.uint8Array({ maxLength: 20 }),
        fc.integer({ min: 1, max: 3 }),
        (topics, ud, version) => {
          const userData = Buffer.from(ud);
          const buf = MemberMetadata.encode({ version, topics, userData });
          const got = decodeSubscription(buf);
          assert.equal(got.version, version);
          assert.deepEqual(got.topics, topics);
          assert.deepEqual(got.userData, userData);
          assert.deepEqual(got.ownedPartitions, []);
          assert.equal(got.generationId, -1);
          assert.equal(got.rackId, null);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("decodes the metadata of KafkaJS's round-robin assigner", () => {
    const assigner = kafkajs.PartitionAssigners.roundRobin({ cluster: {} });
    const { name, metadata } = assigner.protocol({ topics: ["t1", "t2"] });
    assert.equal(name, "RoundRobinAssigner");
    const sub = decodeSubscription(metadata);
    assert.deepEqual(sub.topics, ["t1", "t2"]);
    assert.equal(sub.version, 0);
  });

  it("KafkaJS decodes Brook's subscriptions at every version", () => {
    fc.assert(
      fc.property(subscriptionArb, fc.integer({ min: 0, max: 3 }), (sub, v) => {
        const theirs = MemberMetadata.decode(encodeSubscription(sub, v));
        assert.equal(theirs.version, v);
        assert.deepEqual(theirs.topics, sub.topics);
        assert.deepEqual(theirs.userData, sub.userData);
      }),
      { numRuns: 500 },
    );
  });

  it("decodes KafkaJS MemberAssignment", () => {
    fc.assert(
      fc.property(
        fc.dictionary(topicName, partitionsArb, { maxKeys: 5, noNullPrototype: true }),
        fc.uint8Array({ maxLength: 20 }),
        fc.integer({ min: 0, max: 3 }),
        (assignment, ud, version) => {
          const userData = Buffer.from(ud);
          const got = decodeAssignment(MemberAssignment.encode({ version, assignment, userData }));
          assert.equal(got.version, version);
          assert.deepEqual(
            got.assignedPartitions,
            Object.entries(assignment).map(([topic, partitions]) => ({ topic, partitions })),
          );
          assert.deepEqual(got.userData, userData);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("KafkaJS decodes Brook's assignments at every version", () => {
    fc.assert(
      fc.property(assignmentArb, fc.integer({ min: 0, max: 3 }), (a: Required<AssignmentInput>, v) => {
        const theirs = MemberAssignment.decode(encodeAssignment(a, v));
        assert.ok(theirs);
        assert.equal(theirs.version, v);
        // KafkaJS indexes by topic, so a repeated topic keeps its last entry.
        const byTopic: Record<string, number[]> = {};
        for (const tp of a.assignedPartitions) byTopic[tp.topic] = tp.partitions;
        assert.deepEqual(theirs.assignment, byTopic);
        assert.deepEqual(theirs.userData, a.userData);
      }),
      { numRuns: 500 },
    );
  });
});
