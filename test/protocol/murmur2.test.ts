import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  javaAbs,
  javaStringHashCode,
  murmur2,
  partitionFor,
  partitionForKey,
  toPositive,
} from "../../src/protocol/murmur2.js";

const require = createRequire(import.meta.url);
// KafkaJS 2.2.4's Java-compatible murmur2 (Long arithmetic) and its default partitioner.
const kafkajsMurmur2: (
  key: Buffer | string,
) => number = require("kafkajs/src/producer/partitioners/default/murmur2.js");
const createKafkajsDefault: () => (args: {
  topic: string;
  partitionMetadata: Array<{ partitionId: number; leader: number }>;
  message: { key?: Buffer | string | null; partition?: number | null };
}) => number = require("kafkajs/src/producer/partitioners/default/index.js");

const INT32_MIN = -0x80000000;

describe("murmur2 (Java Utils.murmur2)", () => {
  it("matches the Java-generated test vectors of protocol-notes section e", () => {
    assert.equal(murmur2(Buffer.from("0")), 971027396);
    assert.equal(murmur2(Buffer.from("1")), -1993445489);
    assert.equal(toPositive(murmur2(Buffer.from("1"))), 154038159);
    assert.equal(murmur2(Buffer.from("128")), -326012175);
  });

  it("returns a signed 32-bit integer", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const h = murmur2(bytes);
        assert.ok(Number.isInteger(h) && h >= INT32_MIN && h <= 0x7fffffff);
      }),
      { numRuns: 500 },
    );
  });

  it("agrees with KafkaJS's DefaultPartitioner murmur2 on 5000 random keys of length 0..100", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 100 }), (bytes) => {
        const key = Buffer.from(bytes);
        assert.equal(murmur2(key), kafkajsMurmur2(key));
      }),
      { numRuns: 5000, seed: 0x5bd1e995 },
    );
  });

  it("agrees with KafkaJS for every length 0..100 of a fixed byte pattern (all tail sizes)", () => {
    for (let len = 0; len <= 100; len++) {
      const key = Buffer.from(Array.from({ length: len }, (_, i) => (i * 37 + 200) & 0xff));
      assert.equal(murmur2(key), kafkajsMurmur2(key), `length ${len}`);
    }
  });

  it("agrees with KafkaJS on UTF-8 string keys", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 40 }), (s) => {
        assert.equal(murmur2(Buffer.from(s, "utf8")), kafkajsMurmur2(s));
      }),
      { numRuns: 1000 },
    );
  });
});

describe("toPositive", () => {
  it("clears the sign bit instead of negating", () => {
    assert.equal(toPositive(-1), 0x7fffffff);
    assert.equal(toPositive(INT32_MIN), 0);
    assert.equal(toPositive(5), 5);
    assert.equal(toPositive(-5), 0x7ffffffb);
    fc.assert(
      fc.property(fc.integer({ min: INT32_MIN, max: 0x7fffffff }), (n) => {
        const p = toPositive(n);
        assert.ok(p >= 0 && p <= 0x7fffffff);
        assert.equal(p, n >= 0 ? n : n + 0x80000000);
      }),
    );
  });
});

describe("partitionForKey", () => {
  it("picks the same partition as KafkaJS's DefaultPartitioner for keyed messages", () => {
    const partitioner = createKafkajsDefault();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.integer({ min: 1, max: 1000 }), (bytes, n) => {
        const partitionMetadata = Array.from({ length: n }, (_, i) => ({ partitionId: i, leader: 0 }));
        const key = Buffer.from(bytes);
        const theirs = partitioner({ topic: "t", partitionMetadata, message: { key } });
        assert.equal(partitionForKey(key, n), theirs);
      }),
      { numRuns: 3000 },
    );
  });

  it("stays in range and spreads keys over partitions", () => {
    const counts = new Array(8).fill(0);
    for (let i = 0; i < 8000; i++) counts[partitionForKey(Buffer.from(`key-${i}`), 8)]++;
    for (const c of counts) assert.ok(c > 800 && c < 1200, `counts ${counts}`);
  });

  it("rejects a partition count below 1", () => {
    assert.throws(() => partitionForKey(Buffer.from("k"), 0), RangeError);
    assert.throws(() => partitionForKey(Buffer.from("k"), 1.5), RangeError);
  });
});

/** Java String.hashCode by its definition, sum of s[i]*31^(n-1-i), reduced to int32 with BigInt. */
function hashCodeByDefinition(s: string): number {
  let sum = 0n;
  const n = s.length;
  for (let i = 0; i < n; i++) sum += BigInt(s.charCodeAt(i)) * 31n ** BigInt(n - 1 - i);
  return Number(BigInt.asIntN(32, sum));
}

describe("Java String.hashCode and partitionFor (coordinator partitions)", () => {
  it("matches the definition on fixed strings, including non-ASCII and surrogate pairs", () => {
    for (const s of ["", "a", "hello", "my-group", "consumer-group-1", "é", "日本語", "😀", "grüße-🚀"]) {
      assert.equal(javaStringHashCode(s), hashCodeByDefinition(s), JSON.stringify(s));
    }
  });

  it("agrees with well-known Java values", () => {
    assert.equal(javaStringHashCode(""), 0);
    assert.equal(javaStringHashCode("a"), 97);
    assert.equal(javaStringHashCode("hello"), 99162322);
    // The classic collision: "Aa" and "BB" both hash to 2112.
    assert.equal(javaStringHashCode("Aa"), 2112);
    assert.equal(javaStringHashCode("BB"), 2112);
  });

  it("hashes UTF-16 code units, not code points or UTF-8 bytes", () => {
    // U+1F600 is the surrogate pair D83D DE00: 0xD83D * 31 + 0xDE00.
    assert.equal(javaStringHashCode("😀"), 0xd83d * 31 + 0xde00);
    assert.notEqual(javaStringHashCode("😀"), 0x1f600);
    // "é" is one code unit (233), though two UTF-8 bytes.
    assert.equal(javaStringHashCode("é"), 233);
  });

  it("matches the definition on random strings", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 60 }), (s) => {
        assert.equal(javaStringHashCode(s), hashCodeByDefinition(s));
      }),
      { numRuns: 2000 },
    );
  });

  it("maps a hashCode of Integer.MIN_VALUE to partition 0 (Utils.abs)", () => {
    const s = "polygenelubricants";
    assert.equal(hashCodeByDefinition(s), INT32_MIN, "the definition gives MIN_VALUE");
    assert.equal(javaStringHashCode(s), INT32_MIN);
    assert.equal(javaAbs(INT32_MIN), 0);
    assert.equal(partitionFor(s), 0);
    assert.equal(partitionFor(s, 7), 0);
    // Math.abs would give 2147483648, whose remainder mod 50 is 48: the edge case matters.
    assert.equal(Math.abs(INT32_MIN) % 50, 48);
  });

  it("is abs(hashCode) % n for ordinary ids", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.integer({ min: 1, max: 200 }), (id, n) => {
        const h = hashCodeByDefinition(id);
        const want = (h === INT32_MIN ? 0 : Math.abs(h)) % n;
        assert.equal(partitionFor(id, n), want);
      }),
      { numRuns: 2000 },
    );
    // "hello" -> 99162322 % 50 = 22.
    assert.equal(partitionFor("hello"), 22);
    // A negative hash takes its absolute value (not toPositive's sign-bit clearing).
    const negative = "payments-consumer";
    assert.ok(javaStringHashCode(negative) < 0, "hash of the sample id is negative");
    assert.equal(partitionFor(negative), Math.abs(hashCodeByDefinition(negative)) % 50);
    assert.notEqual(partitionFor(negative), toPositive(javaStringHashCode(negative)) % 50);
  });

  it("defaults to 50 partitions and rejects a count below 1", () => {
    assert.equal(partitionFor("hello"), partitionFor("hello", 50));
    assert.throws(() => partitionFor("g", 0), RangeError);
  });
});
