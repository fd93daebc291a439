/**
 * Burrow's consumer lag evaluation rules (src/metrics/lag-status.ts) over hand-built windows: one
 * window per rule, the precedence between rules, and the group rule.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  groupStatus,
  type LagStatus,
  type OffsetEntry,
  partitionStatus,
} from "../../src/metrics/lag-status.js";

const MIN = 60_000;
const T0 = 1_700_000_000_000;

/** A window of commits one minute apart (Burrow's default: 10 commits, 60 s commit interval). */
function commits(rows: Array<[offset: number, lag: number]>, start = T0, every = MIN): OffsetEntry[] {
  return rows.map(([offset, lag], i) => ({ offset, lag, timestamp: start + i * every }));
}

/** "Now" just after the window's last commit: rule 3 (stopped) does not apply. */
const justAfter = (w: OffsetEntry[]) => w[w.length - 1]!.timestamp + 1000;

describe("partition status (Burrow's rules)", () => {
  it("rule 1: zero lag anywhere in the window, or now, is OK whatever else happened", () => {
    const rewoundButCaughtUp = commits([
      [100, 10],
      [50, 0],
      [50, 60],
    ]);
    assert.equal(partitionStatus(rewoundButCaughtUp, 60, justAfter(rewoundButCaughtUp)), "OK");
    const stalled = commits([
      [100, 10],
      [100, 20],
      [100, 30],
    ]);
    // The same window with no lag now: OK.
    assert.equal(partitionStatus(stalled, 0, justAfter(stalled)), "OK");
    // And with lag now but stopped for an hour: still rule 1 first when a lag was zero.
    const idle = commits([
      [100, 0],
      [100, 0],
    ]);
    assert.equal(partitionStatus(idle, 5, T0 + 3_600_000), "OK");
  });

  it("rule 2: an offset lower than the one before is REWIND", () => {
    const w = commits([
      [100, 10],
      [110, 10],
      [90, 40],
      [95, 40],
    ]);
    assert.equal(partitionStatus(w, 40, justAfter(w)), "REWIND");
  });

  it("rule 3: longer since the last commit than the window spans is STOP", () => {
    // Ten commits a minute apart span 9 minutes; 9 minutes and a second after the last: STOP.
    const w = commits(Array.from({ length: 10 }, (_, i): [number, number] => [1000 + i * 100, 50 + i]));
    const last = w[9]!.timestamp;
    assert.equal(partitionStatus(w, 60, last + 9 * MIN + 1000), "STOP");
    // 8 minutes after: the offsets advance and the lag grows, so only a warning.
    assert.equal(partitionStatus(w, 60, last + 8 * MIN), "WARN");
    // A window whose commits all carry one time (nobody committed since): any later moment is STOP.
    const frozen = commits(
      [
        [500, 20],
        [500, 20],
        [500, 25],
      ],
      T0,
      0,
    );
    assert.equal(partitionStatus(frozen, 25, T0 + 1), "STOP");
  });

  it("rule 2 outranks rule 3: a rewound consumer that also stopped is REWIND", () => {
    const w = commits([
      [100, 10],
      [80, 30],
    ]);
    assert.equal(partitionStatus(w, 30, T0 + 60 * MIN), "REWIND");
  });

  it("rule 4: the same offset committed over the whole window, with lag, is STALL", () => {
    const w = commits([
      [700, 5],
      [700, 8],
      [700, 8],
      [700, 12],
    ]);
    assert.equal(partitionStatus(w, 12, justAfter(w)), "STALL");
  });

  it("rule 5: offsets advance but the lag never decreases is WARN", () => {
    const w = commits([
      [100, 50],
      [120, 50],
      [140, 60],
      [150, 75],
    ]);
    assert.equal(partitionStatus(w, 75, justAfter(w)), "WARN");
  });

  it("rule 6: offsets advance and the lag goes down somewhere is OK", () => {
    const w = commits([
      [100, 50],
      [120, 70],
      [160, 40],
      [170, 90],
    ]);
    assert.equal(partitionStatus(w, 90, justAfter(w)), "OK");
  });

  it("a window of one commit: nothing moved, so only STOP (time passed) can be judged", () => {
    const w = commits([[10, 5]]);
    assert.equal(partitionStatus(w, 5, T0), "STALL");
    assert.equal(partitionStatus(w, 5, T0 + 1), "STOP");
    assert.equal(partitionStatus([], 5, T0), "OK");
  });
});

describe("group status (Burrow's group rule)", () => {
  const cases: Array<[Array<LagStatus | null>, LagStatus | null]> = [
    [["OK", "OK"], "OK"],
    [["OK", "WARN"], "WARN"],
    [["WARN", "STALL", "OK"], "ERR"],
    [["STOP"], "ERR"],
    [["REWIND", "WARN"], "ERR"],
    [[null, "WARN"], "WARN"],
    [[null, null], null],
    [[], null],
  ];
  for (const [parts, expected] of cases) {
    it(`[${parts.join(", ")}] → ${expected}`, () => {
      assert.equal(groupStatus(parts), expected);
    });
  }
});
