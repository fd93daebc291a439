/**
 * Brook's partitioners against KafkaJS 2.2.4's: the same partition for the same key and partition
 * count (random keys of every length, strings and buffers, multi-byte UTF-8), explicit partitions
 * honoured, and keyless messages dealt round-robin over the partitions that have a leader.
 */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import { Partitioners } from "../../src/client/partitioners.js";
import type { Message, PartitionMetadata } from "../../src/client/types.js";
import { makeRng } from "../support/samples.js";

const require = createRequire(import.meta.url);
const kafkajs = require("kafkajs") as { Partitioners: typeof Partitioners };

function partitions(n: number, leaderless: number[] = []): PartitionMetadata[] {
  return Array.from({ length: n }, (_, i) => ({
    partitionErrorCode: 0,
    partitionId: i,
    leader: leaderless.includes(i) ? -1 : 0,
    replicas: [0],
    isr: [0],
  }));
}

const rnd = makeRng(20240607);
const randomInt = (n: number) => Math.floor(rnd() * n);

function randomKey(): Buffer | string {
  const length = randomInt(40);
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = randomInt(256);
  switch (randomInt(3)) {
    case 0:
      return bytes;
    case 1:
      return bytes.toString("hex").slice(0, length);
    default:
      // Multi-byte UTF-8: the hash is over the encoded bytes, not the characters.
      return Array.from({ length: randomInt(12) }, () => String.fromCodePoint(0x20 + randomInt(0x2ff0))).join(
        "",
      );
  }
}

for (const name of ["DefaultPartitioner", "LegacyPartitioner", "JavaCompatiblePartitioner"] as const) {
  describe(name, () => {
    it("picks KafkaJS's partition for 5,000 random keys and partition counts", () => {
      const ours = Partitioners[name]();
      const theirs = kafkajs.Partitioners[name]();
      const mismatches: string[] = [];
      for (let i = 0; i < 5000; i++) {
        const count = 1 + randomInt(200);
        const message: Message = { key: randomKey(), value: "v" };
        const args = { topic: "t", partitionMetadata: partitions(count), message };
        const a = theirs(args);
        const b = ours(args);
        if (a !== b) mismatches.push(`${JSON.stringify(message.key)} / ${count}: ${a} vs ${b}`);
      }
      assert.deepEqual(mismatches.slice(0, 5), []);
    });

    it("agrees on known keys of every length 0..64", () => {
      const ours = Partitioners[name]();
      const theirs = kafkajs.Partitioners[name]();
      for (let len = 0; len <= 64; len++) {
        const key = Buffer.from(Array.from({ length: len }, (_, i) => (i * 37 + 250) & 0xff));
        const args = { topic: "t", partitionMetadata: partitions(997), message: { key, value: null } };
        assert.equal(ours(args), theirs(args), `length ${len}`);
      }
    });

    it("uses the partition a message names", () => {
      const ours = Partitioners[name]();
      const args = {
        topic: "t",
        partitionMetadata: partitions(4),
        message: { key: "k", value: "v", partition: 3 },
      };
      assert.equal(ours(args), 3);
      assert.equal(ours(args), kafkajs.Partitioners[name]()(args));
    });

    it("deals keyless messages round-robin over partitions with a leader, like KafkaJS", () => {
      const meta = partitions(6, [1, 4]);
      const withLeader = [0, 2, 3, 5];
      for (const impl of [Partitioners[name], kafkajs.Partitioners[name]]) {
        const p = impl();
        const picks = Array.from({ length: 12 }, () =>
          p({ topic: "t", partitionMetadata: meta, message: { value: "v" } }),
        );
        // A random starting point, then every partition with a leader in turn.
        const start = withLeader.indexOf(picks[0]!);
        assert.ok(start >= 0, `${picks[0]} has a leader`);
        assert.deepEqual(
          picks,
          picks.map((_, i) => withLeader[(start + i) % withLeader.length]),
        );
      }
    });

    it("keeps a separate round-robin position per topic, and falls back to all partitions", () => {
      const p = Partitioners[name]();
      const none = partitions(3, [0, 1, 2]);
      const a = Array.from({ length: 6 }, () =>
        p({ topic: "a", partitionMetadata: none, message: { value: null } }),
      );
      assert.deepEqual(
        a,
        a.map((_, i) => (a[0]! + i) % 3),
      );
      const b0 = p({ topic: "b", partitionMetadata: partitions(1000), message: { value: null } });
      const b1 = p({ topic: "b", partitionMetadata: partitions(1000), message: { value: null } });
      assert.equal(b1, (b0 + 1) % 1000);
    });
  });
}

it("DefaultPartitioner and LegacyPartitioner differ (the legacy hash is not Java's)", () => {
  const d = Partitioners.DefaultPartitioner();
  const l = Partitioners.LegacyPartitioner();
  let differ = 0;
  for (let i = 0; i < 200; i++) {
    const args = {
      topic: "t",
      partitionMetadata: partitions(100),
      message: { key: `key-${i}`, value: null },
    };
    if (d(args) !== l(args)) differ++;
  }
  assert.ok(differ > 100, `only ${differ} of 200 keys differ`);
});

it("JavaCompatiblePartitioner is DefaultPartitioner", () => {
  assert.equal(Partitioners.JavaCompatiblePartitioner, Partitioners.DefaultPartitioner);
});
