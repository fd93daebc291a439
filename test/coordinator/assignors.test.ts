/**
 * The KIP-848 server-side assignors as pure functions, checked with fast-check over random groups:
 * every subscribed partition is assigned exactly once to a member subscribed to its topic; uniform
 * balances counts (within one where subscriptions are the same) and keeps partitions with their
 * owners when nothing forces a move; range hands out contiguous, co-partitioned ranges.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  type Assignment,
  type AssignorMember,
  rangeAssignor,
  uniformAssignor,
} from "../../src/coordinator/assignors.js";

const topicsArb = fc.uniqueArray(fc.constantFrom("a", "b", "c", "d"), { minLength: 1, maxLength: 4 });
const groupArb = fc
  .record({
    counts: fc.record({
      a: fc.integer({ min: 1, max: 12 }),
      b: fc.integer({ min: 1, max: 12 }),
      c: fc.integer({ min: 1, max: 12 }),
      d: fc.integer({ min: 1, max: 12 }),
    }),
    members: fc.array(topicsArb, { minLength: 1, maxLength: 8 }),
  })
  .map(({ counts, members }) => ({
    partitionCounts: new Map(Object.entries(counts)),
    members: members.map(
      (topics, i): AssignorMember => ({
        memberId: `m${String(i).padStart(2, "0")}`,
        topics: new Set(topics),
        current: new Map(),
      }),
    ),
  }));

function total(a: Assignment): number {
  let n = 0;
  for (const s of a.values()) n += s.size;
  return n;
}

function checkValid(members: AssignorMember[], counts: Map<string, number>, result: Map<string, Assignment>) {
  const owners = new Map<string, string>();
  for (const [memberId, a] of result) {
    const m = members.find((x) => x.memberId === memberId)!;
    for (const [t, parts] of a) {
      assert.ok(m.topics.has(t), `${memberId} got ${t} without subscribing`);
      for (const p of parts) {
        assert.ok(p >= 0 && p < counts.get(t)!, `${t}-${p} does not exist`);
        const key = `${t}-${p}`;
        assert.ok(!owners.has(key), `${key} assigned twice`);
        owners.set(key, memberId);
      }
    }
  }
  for (const [t, n] of counts) {
    if (!members.some((m) => m.topics.has(t))) continue;
    for (let p = 0; p < n; p++) assert.ok(owners.has(`${t}-${p}`), `${t}-${p} unassigned`);
  }
}

describe("server-side assignors", () => {
  it("uniform: valid, and balanced within one for members with the same subscription", () => {
    fc.assert(
      fc.property(groupArb, ({ members, partitionCounts }) => {
        const r = uniformAssignor.assign({ members, partitionCounts });
        checkValid(members, partitionCounts, r);
        const sameSubs = new Map<string, number[]>();
        for (const m of members) {
          const key = [...m.topics].sort().join();
          if (!sameSubs.has(key)) sameSubs.set(key, []);
          sameSubs.get(key)!.push(total(r.get(m.memberId)!));
        }
        // Members that could take each other's partitions never differ by two or more.
        for (const [, loads] of sameSubs)
          assert.ok(Math.max(...loads) - Math.min(...loads) <= 1, loads.join());
      }),
      { numRuns: 300 },
    );
  });

  it("uniform: sticky — a member joining moves only what balance requires", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 40 }), (n, partitions) => {
        const counts = new Map([["t", partitions]]);
        const members = Array.from(
          { length: n },
          (_, i): AssignorMember => ({ memberId: `m${i}`, topics: new Set(["t"]), current: new Map() }),
        );
        const first = uniformAssignor.assign({ members, partitionCounts: counts });
        const withCurrent = [
          ...members,
          { memberId: "new", topics: new Set(["t"]), current: new Map() } as AssignorMember,
        ].map((m) => ({
          ...m,
          current: first.get(m.memberId) ?? new Map(),
        }));
        const second = uniformAssignor.assign({ members: withCurrent, partitionCounts: counts });
        checkValid(withCurrent, counts, second);
        let moved = 0;
        for (const m of members) {
          const before = first.get(m.memberId)!.get("t") ?? new Set<number>();
          const after = second.get(m.memberId)!.get("t") ?? new Set<number>();
          for (const p of before) if (!after.has(p)) moved++;
          for (const p of after) assert.ok(before.has(p), "an existing member only loses partitions");
        }
        // Exactly what the new member gets, which is floor(partitions / (n + 1)).
        assert.equal(moved, total(second.get("new")!));
        assert.equal(total(second.get("new")!), Math.floor(partitions / (n + 1)));
      }),
      { numRuns: 200 },
    );
  });

  it("range: valid, contiguous per topic, co-partitioned for equal subscriptions", () => {
    fc.assert(
      fc.property(groupArb, ({ members, partitionCounts }) => {
        const r = rangeAssignor.assign({ members, partitionCounts });
        checkValid(members, partitionCounts, r);
        for (const a of r.values()) {
          for (const parts of a.values()) {
            const sorted = [...parts].sort((x, y) => x - y);
            assert.equal(sorted.at(-1)! - sorted[0]!, sorted.length - 1, "contiguous");
          }
        }
      }),
      { numRuns: 300 },
    );
    const members = ["m1", "m2", "m3"].map(
      (memberId): AssignorMember => ({ memberId, topics: new Set(["x", "y"]), current: new Map() }),
    );
    const r = rangeAssignor.assign({
      members,
      partitionCounts: new Map([
        ["x", 7],
        ["y", 7],
      ]),
    });
    for (const m of members)
      assert.deepEqual([...r.get(m.memberId)!.get("x")!], [...r.get(m.memberId)!.get("y")!]);
    assert.deepEqual([...r.get("m1")!.get("x")!], [0, 1, 2]);
  });
});
