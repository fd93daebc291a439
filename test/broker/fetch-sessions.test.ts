/**
 * Fetch (KIP-227 incremental sessions, long poll, byte limits) driven with exact requests through
 * Brook's own codec against an in-process broker.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Fetch } from "../../src/protocol/messages/fetch.js";
import { encodeRecordBatch } from "../../src/protocol/records/record-batch.js";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import { RawClient } from "../support/raw-client.js";

const FETCH_SESSION_ID_NOT_FOUND = 70;
const INVALID_FETCH_SESSION_EPOCH = 71;

describe("Fetch", () => {
  let tb: TestBroker;
  let c: RawClient;
  const produce = async (topic: string, partition: number, values: string[]) => {
    const log = tb.broker.partitionLog(topic, partition)!;
    await log.append(await encodeRecordBatch({ records: values.map((value) => ({ value })) }), {
      durable: false,
    });
  };
  const base = { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0 };
  const part = (partition: number, fetchOffset: bigint) => ({
    partition,
    fetchOffset,
    partitionMaxBytes: 1 << 20,
  });

  before(async () => {
    tb = await startTestBroker();
    await tb.broker.createTopic("s", 3, 1, {});
    c = await RawClient.connect(tb.port);
  });
  after(async () => {
    c.close();
    await tb.close();
  });

  it("an incremental session answers only the partitions that changed", async () => {
    await produce("s", 0, ["a"]);
    // Open a session (epoch 0) with all three partitions: the full answer lists them all.
    const open = await c.request(Fetch, 11, {
      ...base,
      sessionId: 0,
      sessionEpoch: 0,
      topics: [{ topic: "s", partitions: [part(0, 0n), part(1, 0n), part(2, 0n)] }],
    });
    assert.ok(open.sessionId > 0);
    assert.deepEqual(open.responses[0]!.partitions.map((p) => p.partitionIndex).sort(), [0, 1, 2]);
    // The client consumed "a", so it sends partition 0's new offset; nothing else is new, so the
    // incremental answer (epoch 1) lists no partitions.
    const idle = await c.request(Fetch, 11, {
      ...base,
      sessionId: open.sessionId,
      sessionEpoch: 1,
      topics: [{ topic: "s", partitions: [part(0, 1n)] }],
    });
    assert.equal(idle.sessionId, open.sessionId);
    assert.equal(idle.responses.length, 0);
    // New data on partition 2 only: the next incremental answer has just partition 2.
    await produce("s", 2, ["b", "c"]);
    const changed = await c.request(Fetch, 11, {
      ...base,
      sessionId: open.sessionId,
      sessionEpoch: 2,
      topics: [],
    });
    assert.deepEqual(
      changed.responses.flatMap((t) => t.partitions.map((p) => [p.partitionIndex, p.highWatermark])),
      [[2, 2n]],
    );
    // Forgetting partition 0 and moving partition 2's offset.
    await produce("s", 0, ["d"]);
    const forgot = await c.request(Fetch, 11, {
      ...base,
      sessionId: open.sessionId,
      sessionEpoch: 3,
      topics: [{ topic: "s", partitions: [part(2, 2n)] }],
      forgottenTopicsData: [{ topic: "s", partitions: [0] }],
    });
    assert.ok(
      !forgot.responses.some((t) => t.partitions.some((p) => p.partitionIndex === 0)),
      "partition 0 forgotten",
    );
    // Wrong epoch and unknown session are errors at the top level.
    const wrong = await c.request(Fetch, 11, {
      ...base,
      sessionId: open.sessionId,
      sessionEpoch: 9,
      topics: [],
    });
    assert.equal(wrong.errorCode, INVALID_FETCH_SESSION_EPOCH);
    const unknown = await c.request(Fetch, 11, {
      ...base,
      sessionId: 123456789,
      sessionEpoch: 1,
      topics: [],
    });
    assert.equal(unknown.errorCode, FETCH_SESSION_ID_NOT_FOUND);
    // Closing the session (epoch -1) is a full fetch without a session.
    const closed = await c.request(Fetch, 11, {
      ...base,
      sessionId: open.sessionId,
      sessionEpoch: -1,
      topics: [{ topic: "s", partitions: [part(0, 0n)] }],
    });
    assert.equal(closed.sessionId, 0);
  });

  it("a long poll waits for data and wakes as soon as it is appended", async () => {
    await tb.broker.createTopic("poll", 1, 1, {});
    const started = performance.now();
    const pending = c.request(Fetch, 11, {
      ...base,
      maxWaitMs: 5000,
      minBytes: 1,
      sessionEpoch: -1,
      topics: [{ topic: "poll", partitions: [part(0, 0n)] }],
    });
    await new Promise((r) => setTimeout(r, 100));
    const other = await RawClient.connect(tb.port);
    await produce("poll", 0, ["wake"]);
    const res = await pending;
    other.close();
    const waited = performance.now() - started;
    assert.ok(res.responses[0]!.partitions[0]!.records!.length > 0);
    assert.ok(waited >= 100 && waited < 4000, `answered after ${waited} ms, not at the 5 s timeout`);
    const empty = await c.request(Fetch, 11, {
      ...base,
      maxWaitMs: 200,
      minBytes: 1,
      sessionEpoch: -1,
      topics: [{ topic: "poll", partitions: [part(0, 1n)] }],
    });
    assert.equal(empty.responses[0]!.partitions[0]!.records!.length, 0);
  });

  it("a fetch naming no partition answers at once, whatever its maxWaitMs (Kafka Streams' close waited on it)", async () => {
    await tb.broker.createTopic("idle", 1, 1, {});
    const long = { ...base, maxWaitMs: 3000, minBytes: 1 };
    const timed = async (body: Parameters<typeof c.request<typeof Fetch>>[2]) => {
      const started = performance.now();
      const res = await c.request(Fetch, 12, body);
      return { res, ms: performance.now() - started };
    };
    // The Java consumer closes a session with epoch -1 and no partitions, and waits for the answer.
    const open = await c.request(Fetch, 12, {
      ...base,
      sessionId: 0,
      sessionEpoch: 0,
      topics: [{ topic: "idle", partitions: [part(0, 0n)] }],
    });
    assert.ok(open.sessionId > 0);
    const close = await timed({ ...long, sessionId: open.sessionId, sessionEpoch: -1, topics: [] });
    assert.ok(close.ms < 1000, `session close answered after ${close.ms} ms`);
    assert.equal(close.res.errorCode, 0);
    assert.equal(close.res.sessionId, 0);
    const sessionless = await timed({ ...long, sessionId: 0, sessionEpoch: -1, topics: [] });
    assert.ok(sessionless.ms < 1000, `empty sessionless fetch answered after ${sessionless.ms} ms`);
    // A session whose last partition is forgotten is closed (session id 0 in the answer, which
    // comes at once), and its id is unknown afterwards; as Apache Kafka 4.4.
    const s = await c.request(Fetch, 12, {
      ...base,
      sessionId: 0,
      sessionEpoch: 0,
      topics: [{ topic: "idle", partitions: [part(0, 0n)] }],
    });
    const forgot = await timed({
      ...long,
      sessionId: s.sessionId,
      sessionEpoch: 1,
      topics: [],
      forgottenTopicsData: [{ topic: "idle", partitions: [0] }],
    });
    assert.ok(forgot.ms < 1000, `emptied session answered after ${forgot.ms} ms`);
    assert.equal(forgot.res.errorCode, 0);
    assert.equal(forgot.res.sessionId, 0);
    const gone = await c.request(Fetch, 12, { ...base, sessionId: s.sessionId, sessionEpoch: 2, topics: [] });
    assert.equal(gone.errorCode, FETCH_SESSION_ID_NOT_FOUND);
    // A partition with nothing to read still long-polls.
    const waits = await timed({
      ...long,
      maxWaitMs: 300,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic: "idle", partitions: [part(0, 0n)] }],
    });
    assert.ok(waits.ms >= 250, `a partition with no data waited ${waits.ms} ms`);
  });

  it("returns the first batch whole even when it exceeds the byte limits, and OFFSET_OUT_OF_RANGE beyond the log", async () => {
    await tb.broker.createTopic("big", 1, 1, {});
    await produce("big", 0, ["x".repeat(50_000)]);
    await produce("big", 0, ["y".repeat(50_000)]);
    const res = await c.request(Fetch, 11, {
      ...base,
      maxBytes: 100,
      sessionEpoch: -1,
      topics: [{ topic: "big", partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 100 }] }],
    });
    const p = res.responses[0]!.partitions[0]!;
    assert.ok(
      p.records!.length > 50_000 && p.records!.length < 100_000,
      `one batch (${p.records!.length} bytes)`,
    );
    const oor = await c.request(Fetch, 11, {
      ...base,
      sessionEpoch: -1,
      topics: [{ topic: "big", partitions: [part(0, 99n)] }],
    });
    assert.equal(oor.responses[0]!.partitions[0]!.errorCode, 1);
    // As Kafka: an error answer carries no offsets (test/reference/differential-cases.ts, "fetch").
    assert.equal(oor.responses[0]!.partitions[0]!.highWatermark, -1n);
  });
});
