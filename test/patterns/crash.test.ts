/**
 * A retrying consumer SIGKILLed while records wait in retry topics (fixtures/retrying-worker.ts, a
 * process of its own against an in-process Brook broker): after a restart every record is
 * processed, none is lost; with `transactional: true` no record appears twice in the retry topic
 * (read_committed), however the kill fell.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import type { Admin, Kafka } from "../../src/client/index.js";
import { retryPlan } from "../../src/patterns/index.js";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import type { LineProcess } from "../support/line-process.js";
import { createTopic, quietKafka, readAll, sleep, unique, until, spawnTsx } from "./support.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/retrying-worker.ts", import.meta.url));
const PARTITIONS = 3;
const RECORDS = 90;

function startWorker(options: Record<string, unknown>): LineProcess {
  return spawnTsx([FIXTURE, JSON.stringify(options)]);
}

describe("a retrying consumer SIGKILLed mid-retry", () => {
  let tb: TestBroker;
  let kafka: Kafka;
  let admin: Admin;
  const workers: LineProcess[] = [];

  before(async () => {
    tb = await startTestBroker({ configs: { "group.min.session.timeout.ms": "1000" } });
    kafka = quietKafka(tb.bootstrap);
    admin = kafka.admin();
    await admin.connect();
  });

  after(async () => {
    await Promise.all(workers.map((w) => w.kill()));
    await admin.disconnect();
    await tb.close();
  });

  async function scenario(transactional: boolean) {
    const topic = unique(transactional ? "txn-orders" : "orders");
    const plan = retryPlan(topic, 3, { initialMs: 1500, multiplier: 1 });
    await createTopic(admin, topic, PARTITIONS);
    const producer = kafka.producer();
    await producer.connect();
    const ids = Array.from({ length: RECORDS }, (_, i) => `r-${i}`);
    await producer.send({ topic, messages: ids.map((id, i) => ({ value: id, partition: i % PARTITIONS })) });
    await producer.disconnect();
    const options = {
      bootstrap: tb.bootstrap,
      topic,
      groupId: unique("crash-group"),
      transactional,
      succeedOn: 2,
      attempts: 3,
      initialMs: 1500,
      handlerMs: 20,
    };
    const first = startWorker(options);
    workers.push(first);
    const describeWorker = (w: LineProcess) =>
      `${w.lines.slice(-5).join(" | ")} stderr: ${w.stderr.slice(-1000)}`;
    // Killed in the middle of a batch, once more than a third of the records failed: some forwarded
    // records wait in the retry topic, some were just sent (in an open transaction, when transactional).
    assert.ok(
      await first.until((l) => l.filter((x) => x.startsWith("FAIL ")).length >= RECORDS / 3 + 5, 30_000),
      `first worker forwarded nothing: ${describeWorker(first)}`,
    );
    await first.kill("SIGKILL");
    const forwardedBefore = first.lines.filter((l) => l.startsWith("FWD ")).length;
    const second = startWorker(options);
    workers.push(second);
    const processed = () => {
      const seen = new Set<string>();
      for (const w of [first, second])
        for (const l of w.lines) if (l.startsWith("OK ")) seen.add(l.split(" ")[1]!);
      return seen;
    };
    try {
      await until(
        () => processed().size === RECORDS,
        60_000,
        "every record processed after the restart",
        200,
      );
    } catch (e) {
      throw new Error(`${(e as Error).message}: ${processed().size}/${RECORDS}; ${describeWorker(second)}`);
    }
    // A moment for late duplicates to show, then stop.
    await sleep(500);
    second.signal("SIGTERM");
    await until(() => second.exited, 10_000, "the second worker to stop");
    const successes = [first, second].flatMap((w) => w.lines.filter((l) => l.startsWith("OK ")));
    for (const l of successes) assert.match(l, / 2$/, "every record succeeded on its second attempt");
    const retried = await readAll(kafka, admin, plan.topics[0]!);
    const counts = new Map<string, number>();
    for (const { message } of retried) {
      const id = message.value!.toString();
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    assert.deepEqual([...counts.keys()].sort(), [...ids].sort(), "every record went through the retry topic");
    const dead = await admin.fetchTopicOffsets(plan.dlt);
    assert.ok(
      dead.every((p) => p.high === p.low || transactional),
      "nothing dead-lettered (a transactional DLT may hold only aborted data)",
    );
    const duplicated = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
    // read_uncommitted shows what a transaction aborted by the kill left in the log.
    const raw = await readAll(kafka, admin, plan.topics[0]!, 20_000, true);
    return { forwardedBefore, duplicated, successes: successes.length, hidden: raw.length - retried.length };
  }

  it("at least once: after a restart every record is processed, nothing lost", {
    timeout: 120_000,
  }, async () => {
    const r = await scenario(false);
    console.log(
      `# at-least-once: killed after ${r.forwardedBefore} forwards; ${r.successes} successes for ${RECORDS} records, ${r.duplicated.length} duplicated in the retry topic`,
    );
    assert.ok(r.successes >= RECORDS);
  });

  it("transactional: nothing lost and no record twice in the retry topic (read_committed)", {
    timeout: 120_000,
  }, async () => {
    const r = await scenario(true);
    console.log(
      `# transactional: killed after ${r.forwardedBefore} forwards; ${r.successes} successes for ${RECORDS} records, ${r.duplicated.length} duplicated in the retry topic; ${r.hidden} aborted records there hidden by read_committed`,
    );
    assert.deepEqual(r.duplicated, [], "no record forwarded twice");
    assert.ok(r.hidden > 0, "the kill landed inside a transaction (else this run proves nothing)");
  });
});
