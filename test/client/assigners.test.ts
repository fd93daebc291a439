/**
 * AssignerProtocol and PartitionAssigners.roundRobin against KafkaJS 2.2.4's: identical bytes for the
 * same input, each side decoding the other's bytes, and identical assignments for the same group.
 */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import { AssignerProtocol, PartitionAssigners } from "../../src/client/assigners.js";
import { createLogger, logLevel } from "../../src/client/logger.js";
import type {
  AssignerCluster,
  MemberAssignment,
  MemberMetadata,
  PartitionMetadata,
} from "../../src/client/types.js";
import { encodeSubscription } from "../../src/protocol/embedded/consumer-protocol.js";
import { makeRng } from "../support/samples.js";

const require = createRequire(import.meta.url);
const kafkajs = require("kafkajs") as {
  AssignerProtocol: typeof AssignerProtocol;
  PartitionAssigners: typeof PartitionAssigners;
};

const rnd = makeRng(4242);
const randomInt = (n: number) => Math.floor(rnd() * n);
const logger = createLogger({ level: logLevel.NOTHING });

const metadataSamples: MemberMetadata[] = [
  { version: 0, topics: [], userData: Buffer.alloc(0) },
  { version: 0, topics: ["a"], userData: Buffer.alloc(0) },
  { version: 1, topics: ["orders", "payments", "ünïcødé"], userData: Buffer.from("hello") },
  { version: 3, topics: ["x".repeat(300)], userData: Buffer.from([0, 1, 2, 255]) },
  // Custom assigners use their own version numbers; KafkaJS writes them as given.
  { version: 7, topics: ["t"], userData: Buffer.alloc(0) },
];

const assignmentSamples: MemberAssignment[] = [
  { version: 0, assignment: {}, userData: Buffer.alloc(0) },
  { version: 0, assignment: { a: [0, 2, 4] }, userData: Buffer.alloc(0) },
  { version: 1, assignment: { b: [1], a: [3, 0], "123": [5] }, userData: Buffer.from("ud") },
  { version: 5, assignment: { t: [] }, userData: Buffer.from([9]) },
];

describe("AssignerProtocol", () => {
  it("MemberMetadata: same bytes as KafkaJS, and each decodes the other's", () => {
    for (const sample of metadataSamples) {
      const ours = AssignerProtocol.MemberMetadata.encode(sample);
      const theirs = kafkajs.AssignerProtocol.MemberMetadata.encode(sample);
      assert.deepEqual(ours, theirs, JSON.stringify(sample.topics));
      assert.deepEqual(
        AssignerProtocol.MemberMetadata.decode(theirs),
        kafkajs.AssignerProtocol.MemberMetadata.decode(theirs),
      );
      assert.deepEqual(AssignerProtocol.MemberMetadata.decode(ours), sample);
    }
  });

  it("MemberMetadata decodes a Java client's v3 subscription as KafkaJS does (topics and userData)", () => {
    const java = encodeSubscription(
      {
        topics: ["a", "b"],
        userData: Buffer.from("u"),
        ownedPartitions: [{ topic: "a", partitions: [0] }],
        generationId: 4,
        rackId: "r1",
      },
      3,
    );
    assert.deepEqual(
      AssignerProtocol.MemberMetadata.decode(java),
      kafkajs.AssignerProtocol.MemberMetadata.decode(java),
    );
  });

  it("MemberAssignment: same bytes as KafkaJS, and each decodes the other's", () => {
    for (const sample of assignmentSamples) {
      const ours = AssignerProtocol.MemberAssignment.encode(sample);
      const theirs = kafkajs.AssignerProtocol.MemberAssignment.encode(sample);
      assert.deepEqual(ours, theirs, JSON.stringify(sample.assignment));
      const decodedTheirs = kafkajs.AssignerProtocol.MemberAssignment.decode(ours);
      const decodedOurs = AssignerProtocol.MemberAssignment.decode(theirs);
      assert.deepEqual(
        { ...decodedOurs, assignment: { ...decodedOurs!.assignment } },
        {
          ...decodedTheirs,
          assignment: { ...decodedTheirs!.assignment },
        },
      );
    }
  });

  it("MemberAssignment of an empty buffer is null, as in KafkaJS", () => {
    assert.equal(AssignerProtocol.MemberAssignment.decode(Buffer.alloc(0)), null);
    assert.equal(kafkajs.AssignerProtocol.MemberAssignment.decode(Buffer.alloc(0)), null);
  });
});

function clusterWith(partitionCounts: Record<string, number>): AssignerCluster {
  return {
    findTopicPartitionMetadata(topic: string): PartitionMetadata[] {
      return Array.from({ length: partitionCounts[topic] ?? 0 }, (_, i) => ({
        partitionErrorCode: 0,
        partitionId: i,
        leader: 0,
        replicas: [0],
        isr: [0],
      }));
    },
  };
}

describe("PartitionAssigners.roundRobin", () => {
  it("has KafkaJS's name, version and protocol bytes", () => {
    const cluster = clusterWith({});
    const ours = PartitionAssigners.roundRobin({ cluster, groupId: "g", logger });
    const theirs = kafkajs.PartitionAssigners.roundRobin({ cluster, groupId: "g", logger } as any);
    assert.equal(ours.name, theirs.name);
    assert.equal(ours.version, theirs.version);
    assert.deepEqual(ours.protocol({ topics: ["a", "b"] }), theirs.protocol({ topics: ["a", "b"] }));
  });

  it("assigns exactly as KafkaJS for 300 random groups", async () => {
    for (let round = 0; round < 300; round++) {
      const topicCount = 1 + randomInt(5);
      const counts: Record<string, number> = {};
      for (let t = 0; t < topicCount; t++) counts[`topic-${randomInt(20)}`] = randomInt(12);
      const topics = Object.keys(counts);
      const members = Array.from({ length: 1 + randomInt(8) }, () => ({
        memberId: `m-${randomInt(1e6).toString(36)}-${randomInt(100)}`,
        memberMetadata: AssignerProtocol.MemberMetadata.encode({
          version: 0,
          topics,
          userData: Buffer.alloc(0),
        }),
      }));
      const cluster = clusterWith(counts);
      const ours = await PartitionAssigners.roundRobin({ cluster, groupId: "g", logger }).assign({
        members,
        topics,
      });
      const theirs = await kafkajs.PartitionAssigners.roundRobin({
        cluster,
        groupId: "g",
        logger,
      } as any).assign({
        members,
        topics,
      });
      assert.deepEqual(ours, theirs, `round ${round}`);
    }
  });

  it("gives every partition to exactly one member, spread evenly", async () => {
    const cluster = clusterWith({ a: 7, b: 3 });
    const members = ["m3", "m1", "m2"].map((memberId) => ({ memberId, memberMetadata: Buffer.alloc(0) }));
    const result = await PartitionAssigners.roundRobin({ cluster, groupId: "g", logger }).assign({
      members,
      topics: ["a", "b"],
    });
    const decoded = result.map(({ memberId, memberAssignment }) => ({
      memberId,
      assignment: { ...AssignerProtocol.MemberAssignment.decode(memberAssignment)!.assignment },
    }));
    assert.deepEqual(decoded, [
      { memberId: "m1", assignment: { a: [0, 3, 6], b: [2] } },
      { memberId: "m2", assignment: { a: [1, 4], b: [0] } },
      { memberId: "m3", assignment: { a: [2, 5], b: [1] } },
    ]);
  });
});
