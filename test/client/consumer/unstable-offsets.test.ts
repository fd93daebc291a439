/**
 * A read_committed consumer joining while a transaction has sent offsets for its partition but not
 * ended (the coordinator answers UNSTABLE_OFFSET_COMMIT): it waits without using up its retries,
 * then starts exactly at the offset the transaction committed, as Java's consumer does. With
 * KafkaJS's default retry (5 retries from 300 ms, about 9 s in all) a wait this long would crash the
 * consumer if each UNSTABLE answer counted as a failure.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ConsumerTestBed, createTopic, sleep, until } from "./support.js";

describe("consumer: offsets pending in an open transaction", () => {
  let bed: ConsumerTestBed;
  before(async () => {
    bed = await ConsumerTestBed.start("unstable");
  });
  after(async () => {
    await bed?.close();
  });

  it("waits for the transaction, then starts at the offset it committed; no crash", {
    timeout: 60_000,
  }, async () => {
    await createTopic(bed.admin, "unstable-in", 1);
    await bed.produce(
      "unstable-in",
      Array.from({ length: 10 }, (_, i) => ({ value: `v${i}` })),
    );
    const producer = bed.kafka.producer({ transactionalId: "unstable-txn", maxInFlightRequests: 1 });
    await producer.connect();
    const txn = await producer.transaction();
    await txn.sendOffsets({
      consumerGroupId: "unstable-group",
      topics: [{ topic: "unstable-in", partitions: [{ partition: 0, offset: "6" }] }],
    });

    const consumer = bed.consumer({
      groupId: "unstable-group",
      retry: { retries: 5, initialRetryTime: 300 },
    });
    const crashes: unknown[] = [];
    consumer.on(consumer.events.CRASH, (e) => crashes.push(e.payload));
    const seen: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics: ["unstable-in"], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => void seen.push(`${message.offset}:${message.value}`),
    });
    // Longer than KafkaJS's default retries would last; nothing may be delivered meanwhile.
    await sleep(12_000);
    assert.deepEqual(seen, [], "nothing delivered while the offsets are pending");
    await txn.commit();
    await until(() => seen.length >= 4, 10_000, "the records after the committed offset");
    await sleep(300);
    assert.deepEqual(seen, ["6:v6", "7:v7", "8:v8", "9:v9"]);
    assert.deepEqual(crashes, []);
    await producer.disconnect();
  });
});
