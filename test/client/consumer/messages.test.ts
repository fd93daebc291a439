/**
 * `consumer.messages()`, Brook's async iterator: messages in order with the eachMessage payload,
 * one at a time (the next only when the loop asks: backpressure), a message counting as processed
 * when the loop moves on, and leaving the loop stopping the consumer with the processed offsets
 * committed; the message held when the loop left comes again next time.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ConsumerTestBed, committedOffsets, createTopic, sleep } from "./support.js";

describe("consumer.messages()", () => {
  let bed: ConsumerTestBed;

  before(async () => {
    bed = await ConsumerTestBed.start();
    await createTopic(bed.admin, "iter", 1);
    await bed.produce(
      "iter",
      Array.from({ length: 200 }, (_, i) => ({ value: `m${i}` })),
    );
  });

  after(() => bed?.close());

  it("yields messages in order, one at a time; break stops the consumer and commits what the loop finished", async () => {
    const c = bed.consumer({ groupId: "iter-1" });
    let stops = 0;
    c.on(c.events.STOP, () => void stops++);
    await c.connect();
    await c.subscribe({ topics: ["iter"], fromBeginning: true });
    const values: string[] = [];
    let inLoop = false;
    for await (const { topic, partition, message, heartbeat } of c.messages()) {
      assert.equal(inLoop, false, "one message at a time");
      inLoop = true;
      assert.equal(topic, "iter");
      assert.equal(partition, 0);
      values.push(String(message.value));
      await heartbeat();
      // A slow body: the iterator must not run ahead of it.
      await sleep(5);
      inLoop = false;
      if (values.length === 10) break;
    }
    assert.deepEqual(
      values,
      Array.from({ length: 10 }, (_, i) => `m${i}`),
    );
    assert.equal(stops, 1, "leaving the loop stopped the consumer");
    // m0..m8 were followed by a request for the next message; m9 was held when the loop left.
    assert.equal((await committedOffsets(bed.admin, "iter-1", "iter")).get(0), 9);

    // The next iteration of the same group starts with the held message.
    const again = bed.consumer({ groupId: "iter-1" });
    await again.connect();
    await again.subscribe({ topics: ["iter"], fromBeginning: true });
    for await (const { message } of again.messages()) {
      assert.equal(String(message.value), "m9");
      break;
    }
  });

  it("an exception in the loop body stops the consumer; the message comes again", async () => {
    const c = bed.consumer({ groupId: "iter-2" });
    await c.connect();
    await c.subscribe({ topics: ["iter"], fromBeginning: true });
    await assert.rejects(async () => {
      for await (const { message } of c.messages()) {
        if (message.offset === "3") throw new Error("cannot handle m3");
      }
    }, /cannot handle m3/);
    assert.equal((await committedOffsets(bed.admin, "iter-2", "iter")).get(0), 3);
  });

  it("consumes everything there is when the loop keeps asking", async () => {
    const c = bed.consumer({ groupId: "iter-3" });
    await c.connect();
    await c.subscribe({ topics: ["iter"], fromBeginning: true });
    let n = 0;
    for await (const { message } of c.messages()) {
      assert.equal(message.offset, String(n));
      if (++n === 200) break;
    }
    assert.equal(n, 200);
  });
});
