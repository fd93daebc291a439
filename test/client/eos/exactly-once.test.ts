/**
 * Exactly-once consume-transform-produce with Brook's consumer (read_committed) and Brook's
 * transactional producer, each processor in its own process (fixtures/processor.ts), against a Brook
 * broker: two processors share 3 input partitions × 2000 records; the second joins mid-stream
 * (rebalance), then a processor is SIGKILLed at a random point in each round and restarted under
 * its transactional id. A read_committed reader (KafkaJS's consumer) must see every input record's
 * result exactly once. The processors' transactions carry their consumer's group metadata (KIP-447):
 * one sends offsets with `{ consumer }`, the other with KafkaJS's `{ consumerGroupId }`.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Admin, Kafka } from "../../../src/client/index.js";
import { startTestBroker, type TestBroker } from "../../../src/testing/index.js";
import { fetchAllRecords } from "../../support/fetch-records.js";
import { brookKafka, createTopic } from "../consumer/support.js";
import { assertExactlyOnce, type Processor, readCommitted } from "./processors.js";
import { fillInput, runKillRounds } from "./support.js";

const PARTITIONS = 3;
const PER_PARTITION = 2000;
const ROUNDS = 8;
const SESSION_MS = 2000;

describe("exactly-once with Brook's consumer and transactional producer (processes SIGKILLed)", () => {
  let tb: TestBroker;
  let kafka: Kafka;
  let admin: Admin;
  const processors: Processor[] = [];

  before(async () => {
    tb = await startTestBroker({
      configs: {
        "group.min.session.timeout.ms": "1000",
        "offsets.topic.num.partitions": "3",
        "transaction.state.log.num.partitions": "3",
      },
    });
    kafka = brookKafka(tb.bootstrap, "eos-driver");
    admin = kafka.admin();
    await admin.connect();
  });

  after(async () => {
    await Promise.all(processors.map((p) => p.kill()));
    await admin.disconnect();
    await tb.close();
  });

  it(`2 processors, a join mid-stream and a SIGKILL in each of ${ROUNDS} rounds: every result once under read_committed`, {
    timeout: 150_000,
  }, async (t) => {
    await createTopic(admin, "eos-in", PARTITIONS);
    await createTopic(admin, "eos-out", PARTITIONS);
    await fillInput(kafka, "eos-in", PARTITIONS, PER_PARTITION);
    await runKillRounds({
      bootstrap: tb.bootstrap,
      admin,
      processes: processors,
      groupId: "eos",
      input: "eos-in",
      output: "eos-out",
      partitions: PARTITIONS,
      perPartition: PER_PARTITION,
      rounds: ROUNDS,
      sessionTimeout: SESSION_MS,
      chunk: 5,
      victim: () => (Math.random() < 0.5 ? 0 : 1),
      joinMs: 30000,
      roundMs: 30000,
      finishMs: 90_000,
      pollMs: 200,
      bothCommitted: async ([first]) => {
        assert.ok(
          await first.until((l) => l.filter((x) => x.startsWith("JOIN ")).length >= 2, 10000),
          "the first processor went through a rebalance",
        );
      },
    });

    const seen = await readCommitted(tb.bootstrap, "eos-out", PARTITIONS * PER_PARTITION);
    assertExactlyOnce(seen, PARTITIONS, PER_PARTITION);

    // What read_uncommitted would see: the aborted leftovers of the killed processors besides.
    let uncommitted = 0;
    for (let p = 0; p < PARTITIONS; p++)
      uncommitted += (await fetchAllRecords(tb.port, "eos-out", p)).filter((r) => !isControl(r)).length;
    assert.ok(uncommitted >= PARTITIONS * PER_PARTITION);
    t.diagnostic(
      `${processors.length} processes, ${uncommitted - PARTITIONS * PER_PARTITION} aborted records left by the kills`,
    );
  });
});

function isControl(r: { key: Buffer | null }): boolean {
  // Control records' keys are 4 bytes: version 0, type 0 (abort) or 1 (commit).
  return r.key !== null && r.key.length === 4 && r.key.readInt16BE(0) === 0 && r.key.readInt16BE(2) <= 1;
}
