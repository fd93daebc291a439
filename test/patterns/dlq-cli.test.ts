/**
 * `brook dlq redrive` against a Brook broker: a dead-letter topic written as Spring Kafka writes
 * one (its kafka_dlt-* headers, a binary partition number among them), a dry run, a limited run, resumption from the committed progress,
 * a record without an original-topic header (the run stops there until --to names a topic), and
 * one-line errors with exit codes for a missing topic and a bad option.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Admin, Kafka } from "../../src/client/index.js";
import { DltHeaders } from "../../src/patterns/index.js";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import { runBrook } from "../support/cli-process.js";
import { createTopic, header, quietKafka, readAll, unique } from "./support.js";

describe("brook dlq redrive", () => {
  let tb: TestBroker;
  let kafka: Kafka;
  let admin: Admin;
  const orders = unique("orders");
  const payments = unique("payments");
  const replay = unique("replay");
  const dlt = `${orders}-dlt`;
  const brook = (...args: string[]) => runBrook(["-b", tb.bootstrap, "dlq", "redrive", ...args]);

  before(async () => {
    tb = await startTestBroker();
    kafka = quietKafka(tb.bootstrap);
    admin = kafka.admin();
    await admin.connect();
    await createTopic(admin, orders, 2);
    await createTopic(admin, payments, 1);
    await createTopic(admin, replay, 1);
    await createTopic(admin, dlt, 1);
    const int32 = (n: number) => {
      const b = Buffer.alloc(4);
      b.writeInt32BE(n);
      return b;
    };
    const dead = (value: string, topic: string | undefined, partition: number) => ({
      key: `k-${value}`,
      value,
      headers: {
        "event-id": value,
        ...(topic
          ? {
              [DltHeaders.originalTopic]: topic,
              // Spring writes the partition as a big-endian int; Brook as text. Both are read.
              [DltHeaders.originalPartition]: value === "a" ? int32(partition) : String(partition),
              [DltHeaders.originalOffset]: "0",
              [DltHeaders.exceptionFqcn]: "java.lang.IllegalStateException",
              [DltHeaders.exceptionMessage]: "boom",
            }
          : {}),
      },
    });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: dlt,
      messages: [dead("a", orders, 1), dead("b", orders, 0), dead("c", payments, 0), dead("d", undefined, 0)],
    });
    await producer.disconnect();
  });

  after(async () => {
    await admin.deleteTopics({ topics: [orders, payments, replay, dlt] }).catch(() => {});
    await admin.disconnect();
    await tb.close();
  });

  it("a missing topic and a bad --limit are one line each, exit 1 and 2", async () => {
    const missing = await brook(unique("absent"));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^brook dlq redrive: topic "absent-[^"]+" does not exist\n$/);
    const bad = await brook(dlt, "--limit", "-1");
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr.trim().split("\n").length, 1);
  });

  it("--dry-run counts and sends nothing", { timeout: 60_000 }, async () => {
    const r = await brook(dlt, "--dry-run", "--limit", "3");
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(`^dry run: would redrive 3 records from ${dlt} \\(nothing sent, nothing committed\\)`),
    );
    assert.match(r.stdout, new RegExp(`${orders}\\s+2\\n`));
    const offsets = await admin.fetchTopicOffsets(orders);
    assert.ok(
      offsets.every((p) => p.high === "0"),
      "nothing sent",
    );
  });

  it("--limit, then a run that resumes and stops at a record without an original topic, then --to", {
    timeout: 60_000,
  }, async () => {
    const first = await brook(dlt, "--limit", "2", "--format", "json");
    assert.equal(first.code, 0, first.stderr);
    const doc = JSON.parse(first.stdout);
    assert.equal(doc.redriven, 2);
    assert.deepEqual(doc.byTopic, { [orders]: 2 });
    assert.equal(doc.remaining, 2);

    const second = await brook(dlt);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, new RegExp(`^redrove 1 record from ${dlt}\\n`));
    assert.match(
      second.stdout,
      /stopped in partition 0 at a record without a kafka_dlt-original-topic header/,
    );
    assert.match(second.stdout, new RegExp(`1 left in ${dlt}`));

    const third = await brook(dlt, "--to", replay);
    assert.equal(third.code, 0, third.stderr);
    assert.match(third.stdout, new RegExp(`^redrove 1 record from ${dlt}\\n`));

    const again = await brook(dlt, "--to", replay);
    assert.match(again.stdout, /^redrove 0 records/);

    const back = await readAll(kafka, admin, orders);
    assert.deepEqual(
      back.map((r) => [r.message.value!.toString(), r.partition]).sort(),
      [
        ["a", 1],
        ["b", 0],
      ],
      "each record back in its original partition",
    );
    for (const { message } of back) {
      assert.equal(header(message, "event-id"), message.value!.toString(), "application headers kept");
      assert.equal(header(message, DltHeaders.originalTopic), undefined, "dead-letter headers dropped");
      assert.equal(message.key!.toString(), `k-${message.value!.toString()}`);
    }
    assert.deepEqual(
      (await readAll(kafka, admin, payments)).map((r) => r.message.value!.toString()),
      ["c"],
    );
    assert.deepEqual(
      (await readAll(kafka, admin, replay)).map((r) => r.message.value!.toString()),
      ["d"],
    );
  });
});
