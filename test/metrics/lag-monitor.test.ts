/**
 * The lag monitor against a real in-process Brook through Brook's admin: the lag it reports is the
 * truth from the offsets, and each of Burrow's statuses comes out of a real group doing the thing
 * the rule describes (an idle group with lag stops, an offset reset rewinds, a slow group that
 * falls behind warns, a live member stuck on a record stalls, a caught-up group is OK).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Admin, type Consumer, Kafka, logLevel, type Producer } from "../../src/client/index.js";
import { LagMonitor } from "../../src/metrics/lag-monitor.js";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import { until } from "./support.js";

const TOPIC = "lagged";
const PER_PARTITION = 50;

describe("LagMonitor against Brook", () => {
  let tb: TestBroker;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  const consumers: Consumer[] = [];
  let release: () => void = () => {};

  const produce = async (perPartition: number) => {
    const messages = [];
    for (let i = 0; i < perPartition * 2; i++) messages.push({ partition: i % 2, value: `v${i}` });
    await producer.send({ topic: TOPIC, messages });
  };
  const commit = (groupId: string, offset: number) =>
    admin.setOffsets({
      groupId,
      topic: TOPIC,
      partitions: [
        { partition: 0, offset: String(offset) },
        { partition: 1, offset: String(offset) },
      ],
    });

  /** The lag by the book: each partition's high watermark minus the group's committed offset. */
  const trueLag = async (groupId: string) => {
    const ends = new Map((await admin.fetchTopicOffsets(TOPIC)).map((o) => [o.partition, Number(o.high)]));
    const [t] = await admin.fetchOffsets({ groupId, topics: [TOPIC] });
    return t!.partitions.reduce((sum, p) => sum + (ends.get(p.partition)! - Number(p.offset)), 0);
  };

  before(async () => {
    tb = await startTestBroker();
    kafka = new Kafka({ clientId: "lag-monitor-test", brokers: [tb.bootstrap], logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 2 }] });
    producer = kafka.producer();
    await producer.connect();
    await produce(PER_PARTITION);
  });

  after(async () => {
    release();
    for (const c of consumers) await c.disconnect().catch(() => {});
    await producer?.disconnect();
    await admin?.disconnect();
    await tb?.close();
  });

  it("reports each group's true lag, and Burrow's statuses once the window is full", async () => {
    // Idle with lag: committed 10 of 50 on each partition, nobody consuming.
    await commit("idle", 10);
    // Caught up.
    await commit("done", PER_PARTITION);
    // Rewound: 30, then reset back to 5 before the second round.
    await commit("rewound", 30);
    // Slow: advances 5 a round while the producer adds 10 a round.
    await commit("slow", 10);
    // Partial: partition 0 committed at 10, partition 1 never (its 50 records are no known lag).
    await admin.setOffsets({
      groupId: "partial",
      topic: TOPIC,
      partitions: [{ partition: 0, offset: "10" }],
    });

    // Stuck: a live member commits offset 3 on each partition, then blocks on the next record.
    const stuck = kafka.consumer({ groupId: "stuck", maxWaitTimeInMs: 100 });
    consumers.push(stuck);
    await stuck.connect();
    await stuck.subscribe({ topics: [TOPIC], fromBeginning: true });
    const blocked = new Promise<void>((r) => {
      release = r;
    });
    const committedParts = new Set<number>();
    await stuck.run({
      autoCommit: false,
      // Each partition blocks on its own fourth record, after committing the first three.
      partitionsConsumedConcurrently: 2,
      eachMessage: async ({ partition, message }) => {
        const next = Number(message.offset) + 1;
        if (next <= 3) {
          await stuck.commitOffsets([{ topic: TOPIC, partition, offset: String(next) }]);
          if (next === 3) committedParts.add(partition);
          return;
        }
        await blocked;
      },
    });
    await until(() => committedParts.size === 2, 20_000, "the stuck member's commits");

    const monitor = new LagMonitor({ admin, window: 3 });
    await monitor.sample();
    // One sample: lags are known, statuses are not.
    const first = monitor.group("idle");
    assert.ok(first, "idle group sampled");
    assert.equal(first.totalLag, await trueLag("idle"));
    assert.equal(first.totalLag, 2 * (PER_PARTITION - 10));
    assert.equal(first.status, null);
    assert.deepEqual(
      first.partitions.map((p) => [p.topic, p.partition, p.committed, p.logEndOffset, p.lag, p.status]),
      [
        [TOPIC, 0, 10, PER_PARTITION, 40, null],
        [TOPIC, 1, 10, PER_PARTITION, 40, null],
      ],
    );
    assert.equal(first.members, 0);
    assert.equal(first.type, "classic");
    // A partition without a committed offset: committed -1 and lag -1 (kafka_exporter's values),
    // left out of the total exactly as the group's fetchLag total (the console's group page) does.
    const partial = monitor.group("partial")!;
    assert.deepEqual(
      partial.partitions.map((p) => [p.partition, p.committed, p.logEndOffset, p.lag, p.status]),
      [
        [0, 10, PER_PARTITION, PER_PARTITION - 10, null],
        [1, -1, PER_PARTITION, -1, null],
      ],
    );
    assert.equal(partial.totalLag, PER_PARTITION - 10);
    assert.equal(partial.totalLag, Number((await admin.fetchLag({ groupId: "partial" })).totalLag));
    assert.deepEqual(
      monitor.history("partial").map((h) => h.totalLag),
      [PER_PARTITION - 10],
    );

    await commit("rewound", 5);
    for (let round = 1; round < 3; round++) {
      await produce(5);
      await commit("slow", 10 + 5 * round);
      await new Promise((r) => setTimeout(r, 20));
      await monitor.sample();
    }

    for (const g of ["idle", "done", "rewound", "slow", "stuck"]) {
      assert.equal(monitor.group(g)?.totalLag, await trueLag(g), `${g}: total lag is the truth`);
    }
    const statuses = (g: string) => monitor.group(g)!.partitions.map((p) => p.status);
    assert.deepEqual(statuses("idle"), ["STOP", "STOP"]);
    assert.equal(monitor.group("idle")!.status, "ERR");
    assert.deepEqual(statuses("done"), ["OK", "OK"]);
    assert.equal(monitor.group("done")!.status, "OK");
    assert.deepEqual(statuses("rewound"), ["REWIND", "REWIND"]);
    assert.deepEqual(statuses("slow"), ["WARN", "WARN"]);
    assert.equal(monitor.group("slow")!.status, "WARN");
    assert.deepEqual(statuses("stuck"), ["STALL", "STALL"]);
    assert.equal(monitor.group("stuck")!.members, 1);
    assert.equal(monitor.group("stuck")!.state, "Stable");

    // History: one point per round, the last one the current total.
    const h = monitor.history("slow");
    assert.equal(h.length, 3);
    assert.equal(h[2]!.totalLag, monitor.group("slow")!.totalLag);
    assert.ok(h[0]!.at <= h[1]!.at && h[1]!.at <= h[2]!.at);
    // The window behind the slow group's status: offsets advancing, lag growing.
    assert.deepEqual(
      monitor.window("slow", TOPIC, 0).map((e) => [e.offset, e.lag]),
      [
        [10, 40],
        [15, 40],
        [20, 40],
      ],
    );
  });

  it("drops a deleted group, and start()/stop() sample on a timer", async () => {
    const monitor = new LagMonitor({ admin, intervalMs: 50, groups: (g) => g === "idle" || g === "gone" });
    await commit("gone", 1);
    monitor.start();
    await until(() => monitor.history("idle").length >= 3, 10_000, "three timed rounds");
    assert.ok(monitor.group("gone"));
    assert.equal(monitor.group("slow"), undefined, "filtered out");
    await admin.deleteGroups(["gone"]);
    await until(() => monitor.group("gone") === undefined, 10_000, "the deleted group to go");
    await monitor.stop();
    const n = monitor.history("idle").length;
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(monitor.history("idle").length, n, "no rounds after stop()");
    assert.equal(monitor.error(), undefined);
  });

  it("keeps sampling on its timer through a cluster that is gone, with the error kept", async () => {
    const other = await startTestBroker();
    const client = new Kafka({
      clientId: "lag-monitor-gone",
      brokers: [other.bootstrap],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 300,
      retry: { retries: 0 },
    });
    const a = client.admin();
    await a.connect();
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on("unhandledRejection", onUnhandled);
    const monitor = new LagMonitor({ admin: a, intervalMs: 50 });
    try {
      monitor.start();
      await until(() => monitor.cluster() !== undefined, 10_000, "a first round");
      await other.close();
      await until(() => monitor.error() !== undefined, 10_000, "a failed round");
      // Rounds go on failing on the timer (each one a rejection nobody awaits).
      await new Promise((r) => setTimeout(r, 500));
      await monitor.stop();
      assert.deepEqual(unhandled, [], "no unhandled rejection");
      assert.ok(monitor.error() instanceof Error);
    } finally {
      process.off("unhandledRejection", onUnhandled);
      await monitor.stop();
      await a.disconnect().catch(() => {});
    }
  });
});
