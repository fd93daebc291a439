/**
 * Consumer options and payload functions on a Brook broker: RegExp subscriptions,
 * partitionsConsumedConcurrently (parallel across partitions, never within one), autoCommit off,
 * autoCommitThreshold, commitOffsetsIfNecessary/uncommittedOffsets in eachBatch, commitOffsets with
 * metadata, lag(), the Fetch version used (v17, by topic id), and OFFSET_OUT_OF_RANGE resetting to
 * the earliest or latest offset per fromBeginning.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ConsumerTestBed, committedOffsets, createTopic, sleep, until } from "./support.js";

describe("consumer options", () => {
  let bed: ConsumerTestBed;

  before(async () => {
    bed = await ConsumerTestBed.start("options");
  });

  after(() => bed?.close());

  it("subscribes to the topics a RegExp matches, beside plain names", async () => {
    for (const t of ["orders-eu", "orders-us", "payments"]) await createTopic(bed.admin, t, 1);
    for (const t of ["orders-eu", "orders-us", "payments"]) await bed.produce(t, [{ value: t }]);
    const c = bed.consumer();
    const seen: string[] = [];
    await c.connect();
    await c.subscribe({ topics: [/^orders-/, "payments"], fromBeginning: true });
    await c.run({ eachMessage: async ({ topic }) => void seen.push(topic) });
    await until(() => seen.length === 3, 10000, "three topics");
    assert.deepEqual(seen.sort(), ["orders-eu", "orders-us", "payments"]);
    assert.deepEqual(
      c
        .assignment()
        .map((t) => t.topic)
        .sort(),
      ["orders-eu", "orders-us", "payments"],
    );
  });

  it("partitionsConsumedConcurrently runs partitions in parallel, never one partition twice at once", async () => {
    await createTopic(bed.admin, "parallel", 4);
    await bed.produce(
      "parallel",
      Array.from({ length: 40 }, (_, i) => ({ partition: i % 4, value: `${i}` })),
    );
    const c = bed.consumer();
    let running = 0;
    let peak = 0;
    const perPartition = new Map<number, number>();
    let done = 0;
    await c.connect();
    await c.subscribe({ topics: ["parallel"], fromBeginning: true });
    await c.run({
      partitionsConsumedConcurrently: 3,
      eachMessage: async ({ partition }) => {
        running++;
        perPartition.set(partition, (perPartition.get(partition) ?? 0) + 1);
        assert.equal(perPartition.get(partition), 1, `partition ${partition} handled twice at once`);
        peak = Math.max(peak, running);
        await sleep(20);
        perPartition.set(partition, perPartition.get(partition)! - 1);
        running--;
        done++;
      },
    });
    await until(() => done === 40, 20000, "all forty");
    assert.equal(peak, 3);
  });

  it("autoCommit false commits nothing; commitOffsets commits what it is given, with metadata", async () => {
    await createTopic(bed.admin, "manual", 1);
    await bed.produce(
      "manual",
      Array.from({ length: 5 }, (_, i) => ({ value: `${i}` })),
    );
    const c = bed.consumer({ groupId: "manual-group" });
    let seen = 0;
    await c.connect();
    await c.subscribe({ topics: ["manual"], fromBeginning: true });
    await c.run({ autoCommit: false, eachMessage: async () => void seen++ });
    await until(() => seen === 5, 10000, "five");
    await sleep(300);
    assert.equal((await committedOffsets(bed.admin, "manual-group", "manual")).get(0), -1);
    await c.commitOffsets([{ topic: "manual", partition: 0, offset: "3", metadata: "checkpoint" }]);
    const [t] = await bed.admin.fetchOffsets({ groupId: "manual-group", topics: ["manual"] });
    assert.deepEqual(t!.partitions, [{ partition: 0, offset: "3", metadata: "checkpoint" }]);
  });

  it("eachBatch: uncommittedOffsets and commitOffsetsIfNecessary with autoCommitThreshold", async () => {
    await createTopic(bed.admin, "threshold", 1);
    await bed.produce(
      "threshold",
      Array.from({ length: 10 }, (_, i) => ({ value: `${i}` })),
    );
    const c = bed.consumer({ groupId: "threshold-group" });
    const observed: unknown[] = [];
    let finished = false;
    await c.connect();
    await c.subscribe({ topics: ["threshold"], fromBeginning: true });
    await c.run({
      autoCommitThreshold: 5,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, uncommittedOffsets, commitOffsetsIfNecessary }) => {
        for (const m of batch.messages.slice(0, 3)) resolveOffset(m.offset);
        observed.push(uncommittedOffsets());
        await commitOffsetsIfNecessary();
        observed.push((await committedOffsets(bed.admin, "threshold-group", "threshold")).get(0));
        for (const m of batch.messages.slice(3, 6)) resolveOffset(m.offset);
        await commitOffsetsIfNecessary();
        observed.push((await committedOffsets(bed.admin, "threshold-group", "threshold")).get(0));
        await commitOffsetsIfNecessary({
          topics: [{ topic: "threshold", partitions: [{ partition: 0, offset: "8" }] }],
        });
        observed.push((await committedOffsets(bed.admin, "threshold-group", "threshold")).get(0));
        finished = true;
        await c.pause([{ topic: "threshold" }]);
      },
    });
    await until(() => finished, 10000, "the batch");
    assert.deepEqual(observed, [
      { topics: [{ topic: "threshold", partitions: [{ partition: 0, offset: "3" }] }] },
      -1, // 3 resolved: under the threshold
      6, // 6 resolved: at the threshold
      8,
    ]);
  });

  it("lag() reports each assigned partition's high watermark minus the position", async () => {
    await createTopic(bed.admin, "lagging", 2);
    await bed.produce(
      "lagging",
      Array.from({ length: 10 }, (_, i) => ({ partition: i % 2, value: `${i}` })),
    );
    const c = bed.consumer();
    let seen = 0;
    await c.connect();
    await c.subscribe({ topics: ["lagging"], fromBeginning: true });
    await c.run({
      eachMessage: async ({ partition, pause }) => {
        seen++;
        if (partition === 1) pause();
      },
    });
    await until(() => seen === 6, 10000, "partition 0 and one of partition 1");
    await sleep(200);
    assert.deepEqual(await c.lag(), [
      { topic: "lagging", partition: 0, offset: "5", highWatermark: "5", lag: "0" },
      { topic: "lagging", partition: 1, offset: "1", highWatermark: "5", lag: "4" },
    ]);
  });

  it("fetches with Fetch v17 (topic ids) from Brook", async () => {
    await createTopic(bed.admin, "versions", 1);
    await bed.produce("versions", [{ value: "x" }]);
    const c = bed.consumer();
    const versions = new Set<number>();
    c.on(c.events.REQUEST, (e) => {
      if (e.payload.apiName === "Fetch") versions.add(e.payload.apiVersion);
    });
    let seen = 0;
    await c.connect();
    await c.subscribe({ topics: ["versions"], fromBeginning: true });
    await c.run({ eachMessage: async () => void seen++ });
    await until(() => seen === 1, 10000, "the record");
    assert.deepEqual([...versions], [17]);
  });

  it("OFFSET_OUT_OF_RANGE resets to the earliest offset with fromBeginning, to the latest without", async () => {
    await createTopic(bed.admin, "truncated", 1);
    await bed.produce(
      "truncated",
      Array.from({ length: 10 }, (_, i) => ({ value: `${i}` })),
    );
    // Committed offset 2, then records before 6 deleted: offset 2 is out of range.
    for (const group of ["reset-earliest", "reset-latest"]) {
      await bed.admin.setOffsets({
        groupId: group,
        topic: "truncated",
        partitions: [{ partition: 0, offset: "2" }],
      });
    }
    await bed.admin.deleteTopicRecords({ topic: "truncated", partitions: [{ partition: 0, offset: "6" }] });
    const firstOf = async (groupId: string, fromBeginning: boolean) => {
      const c = bed.consumer({ groupId });
      const seen: string[] = [];
      await c.connect();
      await c.subscribe({ topics: ["truncated"], fromBeginning });
      await c.run({ eachMessage: async ({ message }) => void seen.push(message.offset) });
      return { c, seen };
    };
    const earliest = await firstOf("reset-earliest", true);
    await until(() => earliest.seen.length === 4, 10000, "offsets 6-9");
    assert.deepEqual(earliest.seen, ["6", "7", "8", "9"]);
    const latest = await firstOf("reset-latest", false);
    await sleep(500);
    await bed.produce("truncated", [{ value: "new" }]);
    await until(() => latest.seen.length === 1, 10000, "the new record");
    assert.deepEqual(latest.seen, ["10"]);
  });
});
