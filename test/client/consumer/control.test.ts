/**
 * Brook's consumer under the application's control, on a real Brook broker: pause/resume (from the
 * handler and from outside), seek (to an offset, to -2/-1, right after run()), read_committed and
 * read_uncommitted over committed and aborted transactions (compared with KafkaJS), a restart that
 * resumes from the last commit, and handler errors: redelivery, then a crash with KafkaJS's restart
 * rules (checked side by side with KafkaJS's consumer).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type * as KafkaJSTypes from "kafkajs";
import type { Consumer, Kafka } from "../../../src/client/index.js";
import { ConsumerTestBed, committedOffsets, createTopic, sleep, until } from "./support.js";

describe("consumer control: pause, seek, isolation, restarts", () => {
  let bed: ConsumerTestBed;
  let n = 0;

  before(async () => {
    bed = await ConsumerTestBed.start("control");
  });

  after(() => bed?.close());

  it("pause() from eachMessage stops that partition after the current message; resume goes on without gaps", async () => {
    await createTopic(bed.admin, "pause-1", 2);
    await bed.produce(
      "pause-1",
      Array.from({ length: 20 }, (_, i) => ({ partition: i % 2, value: `${i % 2}:${Math.floor(i / 2)}` })),
    );
    const c = bed.consumer();
    const seen: string[] = [];
    let resumeP0: (() => void) | null = null;
    await c.connect();
    await c.subscribe({ topics: ["pause-1"], fromBeginning: true });
    await c.run({
      eachMessage: async ({ partition, message, pause }) => {
        seen.push(String(message.value));
        if (partition === 0 && message.offset === "2") resumeP0 = pause();
      },
    });
    await until(() => seen.filter((v) => v.startsWith("1:")).length === 10, 10000, "partition 1 consumed");
    await sleep(300);
    assert.deepEqual(
      seen.filter((v) => v.startsWith("0:")),
      ["0:0", "0:1", "0:2"],
    );
    assert.deepEqual(c.paused(), [{ topic: "pause-1", partitions: [0] }]);
    resumeP0!();
    assert.deepEqual(c.paused(), []);
    await until(() => seen.filter((v) => v.startsWith("0:")).length === 10, 10000, "partition 0 resumed");
    assert.deepEqual(
      seen.filter((v) => v.startsWith("0:")),
      Array.from({ length: 10 }, (_, i) => `0:${i}`),
    );

    // A whole topic paused from outside the handler, then one partition resumed.
    c.pause([{ topic: "pause-1" }]);
    assert.deepEqual(c.paused(), [{ topic: "pause-1", partitions: [0, 1] }]);
    await bed.produce("pause-1", [
      { partition: 0, value: "0:late" },
      { partition: 1, value: "1:late" },
    ]);
    await sleep(400);
    assert.ok(!seen.includes("0:late") && !seen.includes("1:late"), "nothing delivered while paused");
    c.resume([{ topic: "pause-1", partitions: [1] }]);
    await until(() => seen.includes("1:late"), 10000, "partition 1 after resume");
    await sleep(300);
    assert.ok(!seen.includes("0:late"));
    c.resume([{ topic: "pause-1" }]);
    await until(() => seen.includes("0:late"), 10000, "partition 0 after resume");
    await c.disconnect();
  });

  it("seek: to an offset, to -2 (earliest), and right after run() before anything was fetched", async () => {
    await createTopic(bed.admin, "seek-1", 1);
    await bed.produce(
      "seek-1",
      Array.from({ length: 10 }, (_, i) => ({ value: `v${i}` })),
    );
    const c = bed.consumer({ groupId: "seek-group" });
    const seen: string[] = [];
    await c.connect();
    await c.subscribe({ topics: ["seek-1"], fromBeginning: true });
    const running = c.run({ eachMessage: async ({ message }) => void seen.push(message.offset) });
    c.seek({ topic: "seek-1", partition: 0, offset: "6" });
    await running;
    await until(() => seen.length === 4, 10000, "offsets 6-9");
    assert.deepEqual(seen, ["6", "7", "8", "9"]);
    await until(
      async () => (await committedOffsets(bed.admin, "seek-group", "seek-1")).get(0) === 10,
      5000,
      "commit 10",
    );

    c.seek({ topic: "seek-1", partition: 0, offset: "3" });
    await until(() => seen.length === 11, 10000, "offsets 3-9 again");
    assert.deepEqual(seen.slice(4), ["3", "4", "5", "6", "7", "8", "9"]);

    c.seek({ topic: "seek-1", partition: 0, offset: "-2" });
    await until(() => seen.length === 21, 10000, "offsets 0-9 again");
    assert.deepEqual(
      seen.slice(11),
      Array.from({ length: 10 }, (_, i) => String(i)),
    );
    await c.disconnect();
  });

  it("eachBatch sees isStale() after a seek, and resolveOffset decides where the next batch starts", async () => {
    await createTopic(bed.admin, "seek-2", 1);
    await bed.produce(
      "seek-2",
      Array.from({ length: 10 }, (_, i) => ({ value: `v${i}` })),
    );
    const c = bed.consumer();
    const batches: Array<{ first: string | null; stale: boolean }> = [];
    let calls = 0;
    await c.connect();
    await c.subscribe({ topics: ["seek-2"], fromBeginning: true });
    await c.run({
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, isStale }) => {
        calls++;
        if (calls === 1) {
          // Only the first three processed: the next batch starts at offset 3.
          for (const m of batch.messages.slice(0, 3)) resolveOffset(m.offset);
          batches.push({ first: batch.firstOffset(), stale: isStale() });
          return;
        }
        if (calls === 2) {
          c.seek({ topic: "seek-2", partition: 0, offset: "8" });
          batches.push({ first: batch.firstOffset(), stale: isStale() });
          return;
        }
        for (const m of batch.messages) resolveOffset(m.offset);
        batches.push({ first: batch.firstOffset(), stale: isStale() });
      },
    });
    await until(() => batches.length >= 3, 10000, "three batches");
    assert.deepEqual(batches.slice(0, 3), [
      { first: "0", stale: false },
      { first: "3", stale: true },
      { first: "8", stale: false },
    ]);
    await c.disconnect();
  });

  it("read_committed (the default) hides aborted transactions and control records; read_uncommitted shows the aborted data, as KafkaJS", async () => {
    await createTopic(bed.admin, "txn-1", 2);
    const p = bed.kafka.producer({ transactionalId: "control-txn", maxInFlightRequests: 1 });
    await p.connect();
    const plain = bed.kafka.producer();
    await plain.connect();
    const send = async (values: string[], end: "commit" | "abort") => {
      const t = await p.transaction();
      await t.send({ topic: "txn-1", messages: values.map((value, i) => ({ partition: i % 2, value })) });
      await (end === "commit" ? t.commit() : t.abort());
    };
    await send(["a1", "a2", "a3"], "commit");
    await send(["b1", "b2", "b3", "b4"], "abort");
    await plain.send({ topic: "txn-1", messages: [{ partition: 0, value: "plain" }] });
    await send(["c1", "c2"], "commit");
    await send(["d1"], "abort");
    await send(["e1", "e2"], "commit");
    await p.disconnect();
    await plain.disconnect();

    async function values(
      c: {
        connect(): Promise<void>;
        subscribe: Consumer["subscribe"];
        run: Consumer["run"];
        stop(): Promise<void>;
      },
      expected: number,
    ) {
      const seen: string[] = [];
      await c.connect();
      await c.subscribe({ topics: ["txn-1"], fromBeginning: true });
      await c.run({ eachMessage: async ({ message }) => void seen.push(String(message.value)) });
      await until(() => seen.length >= expected, 10000, `${expected} values`);
      await sleep(300);
      await c.stop();
      return seen.sort();
    }
    const committed = ["a1", "a2", "a3", "c1", "c2", "e1", "e2", "plain"];
    assert.deepEqual(await values(bed.consumer(), committed.length), committed);
    const theirs = bed.reference.consumer({ groupId: `control-ref-${++n}`, maxWaitTimeInMs: 100 });
    bed.track(theirs);
    assert.deepEqual(await values(theirs as unknown as Consumer, committed.length), committed);

    const all = [...committed, "b1", "b2", "b3", "b4", "d1"].sort();
    assert.deepEqual(await values(bed.consumer({ readUncommitted: true }), all.length), all);

    // Past the last control record: the position and the commit end at the high watermark.
    const group = "control-txn-end";
    const c = bed.consumer({ groupId: group });
    await values(c, committed.length);
    const ends = await bed.admin.fetchTopicOffsets("txn-1");
    const offsets = await committedOffsets(bed.admin, group, "txn-1");
    for (const e of ends) assert.equal(offsets.get(e.partition), Number(e.high));
  });

  it("a restarted consumer resumes from the last commit: nothing lost, nothing repeated", async () => {
    await createTopic(bed.admin, "restart-1", 3);
    await bed.produce(
      "restart-1",
      Array.from({ length: 30 }, (_, i) => ({ partition: i % 3, value: `first-${i}` })),
    );
    const seen: string[] = [];
    const first = bed.consumer({ groupId: "restart-group" });
    await first.connect();
    await first.subscribe({ topics: ["restart-1"], fromBeginning: true });
    await first.run({ eachMessage: async ({ message }) => void seen.push(String(message.value)) });
    await until(() => seen.length === 30, 10000, "the first 30");
    await first.disconnect();
    await bed.produce(
      "restart-1",
      Array.from({ length: 30 }, (_, i) => ({ partition: i % 3, value: `second-${i}` })),
    );
    const again: string[] = [];
    const second = bed.consumer({ groupId: "restart-group" });
    await second.connect();
    await second.subscribe({ topics: ["restart-1"], fromBeginning: true });
    await second.run({ eachMessage: async ({ message }) => void again.push(String(message.value)) });
    await until(() => again.length === 30, 10000, "the second 30");
    await sleep(300);
    assert.deepEqual(again.sort(), Array.from({ length: 30 }, (_, i) => `second-${i}`).sort());
    await second.disconnect();
  });

  it("a failing message is delivered again after a backoff; the rest of its partition waits, other partitions do not", async () => {
    await createTopic(bed.admin, "retry-1", 2);
    await bed.produce(
      "retry-1",
      Array.from({ length: 10 }, (_, i) => ({ partition: i % 2, value: `${i % 2}:${Math.floor(i / 2)}` })),
    );
    const seen: string[] = [];
    let failures = 0;
    const c = bed.consumer({ retry: { initialRetryTime: 400, retries: 5 } });
    await c.connect();
    await c.subscribe({ topics: ["retry-1"], fromBeginning: true });
    await c.run({
      eachMessage: async ({ message }) => {
        const v = String(message.value);
        if (v === "0:2" && failures < 2) {
          failures++;
          throw new Error("not yet");
        }
        seen.push(v);
      },
    });
    await until(() => seen.length === 10, 10000, "all ten");
    assert.equal(failures, 2);
    assert.deepEqual(
      seen.filter((v) => v.startsWith("0:")),
      ["0:0", "0:1", "0:2", "0:3", "0:4"],
    );
    // Partition 1 was finished while partition 0 waited for its retry (KafkaJS would stop everything).
    assert.ok(seen.indexOf("1:4") < seen.indexOf("0:2"), seen.join(" "));
    await c.disconnect();
  });

  it("crashes as KafkaJS does: retries exhausted restart, restartOnFailure can refuse, a TypeError does not restart", async () => {
    await createTopic(bed.admin, "crash-1", 1);
    await bed.produce("crash-1", [{ value: "boom" }]);
    type Crash = { name: string; restart: boolean };
    async function crashesOf(
      make: (config: KafkaJSTypes.ConsumerConfig) => {
        connect(): Promise<void>;
        subscribe: Consumer["subscribe"];
        run: Consumer["run"];
        on: Consumer["on"];
        events: Consumer["events"];
        disconnect(): Promise<void>;
      },
      error: () => Error,
      restartOnFailure?: () => Promise<boolean>,
    ): Promise<Crash[]> {
      const crashes: Crash[] = [];
      const c = make({
        groupId: `crash-${++n}`,
        maxWaitTimeInMs: 100,
        retry: { retries: 1, initialRetryTime: 50, restartOnFailure },
      });
      bed.track(c);
      c.on(c.events.CRASH, (e) => {
        crashes.push({ name: e.payload.error.name, restart: e.payload.restart });
      });
      await c.connect();
      await c.subscribe({ topics: ["crash-1"], fromBeginning: true });
      await c.run({
        eachMessage: async () => {
          throw error();
        },
      });
      await until(() => crashes.length >= 1, 20000, "a crash");
      await sleep(500);
      await c.disconnect();
      return crashes.slice(0, 1);
    }
    const brook = (config: KafkaJSTypes.ConsumerConfig) =>
      bed.kafka.consumer(config as Parameters<Kafka["consumer"]>[0]);
    const ref = (config: KafkaJSTypes.ConsumerConfig) =>
      bed.reference.consumer(config) as unknown as Consumer;
    for (const [what, error, restartOnFailure] of [
      ["retriable error, retries exhausted", () => new Error("handler failed"), undefined],
      ["restartOnFailure says no", () => new Error("handler failed"), async () => false],
      ["a TypeError", () => new TypeError("bug"), undefined],
    ] as const) {
      const ours = await crashesOf(brook, error, restartOnFailure);
      const theirs = await crashesOf(ref, error, restartOnFailure);
      assert.deepEqual(ours, theirs, what);
    }
  });

  it("a disconnect while a crash is being handled is final: no restart afterwards", async () => {
    await createTopic(bed.admin, "crash-3", 1);
    await bed.produce("crash-3", [{ value: "boom" }]);
    let deciding!: () => void;
    const decisionAsked = new Promise<void>((r) => (deciding = r));
    let disconnected!: () => void;
    const userDisconnected = new Promise<void>((r) => (disconnected = r));
    const c = bed.kafka.consumer({
      groupId: `crash-${++n}`,
      maxWaitTimeInMs: 100,
      // The restart decision is still pending when the user disconnects; then it says "restart".
      retry: {
        retries: 0,
        initialRetryTime: 50,
        restartOnFailure: async () => {
          deciding();
          await userDisconnected;
          return true;
        },
      },
    });
    bed.track(c);
    let afterDisconnect = false;
    let reconnects = 0;
    c.on(c.events.CONNECT, () => {
      if (afterDisconnect) reconnects++;
    });
    await c.connect();
    await c.subscribe({ topics: ["crash-3"], fromBeginning: true });
    await c.run({
      eachMessage: async () => {
        throw new Error("handler failed");
      },
    });
    await Promise.race([decisionAsked, sleep(20_000).then(() => assert.fail("no crash within 20 s"))]);
    await c.disconnect();
    afterDisconnect = true;
    disconnected();
    // Well past initialRetryTime: a restart would have reconnected (and kept the process alive).
    await sleep(1000);
    assert.equal(reconnects, 0, "the consumer reconnected after disconnect()");
  });

  it("after a crash with restart, the consumer comes back and resumes from the last commit", async () => {
    await createTopic(bed.admin, "crash-2", 1);
    await bed.produce(
      "crash-2",
      Array.from({ length: 6 }, (_, i) => ({ value: `m${i}` })),
    );
    const seen: string[] = [];
    let thrown = 0;
    const c = bed.consumer({ retry: { retries: 0, initialRetryTime: 50 } });
    let crashes = 0;
    let joins = 0;
    c.on(c.events.CRASH, () => void crashes++);
    c.on(c.events.GROUP_JOIN, () => void joins++);
    await c.connect();
    await c.subscribe({ topics: ["crash-2"], fromBeginning: true });
    await c.run({
      eachMessage: async ({ message }) => {
        if (message.offset === "3" && thrown === 0) {
          thrown++;
          throw new Error("once");
        }
        seen.push(String(message.value));
      },
    });
    await until(() => seen.length === 6, 15000, "all six after the restart");
    assert.equal(crashes, 1);
    assert.equal(joins, 2);
    assert.deepEqual(seen, ["m0", "m1", "m2", "m3", "m4", "m5"]);
    await c.disconnect();
  });
});
