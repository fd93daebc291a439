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
import { brookKafka, committedOffsets, createTopic, sleep } from "../consumer/support.js";
import { assertExactlyOnce, Processor, type ProcessorOptions, readCommitted } from "./processors.js";

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
    const producer = kafka.producer();
    await producer.connect();
    for (let p = 0; p < PARTITIONS; p++) {
      await producer.send({
        topic: "eos-in",
        messages: Array.from({ length: PER_PARTITION }, (_, i) => ({ partition: p, value: `${p}-${i}` })),
      });
    }
    await producer.disconnect();

    const slot = (i: 0 | 1): Processor => {
      const options: ProcessorOptions = {
        bootstrap: tb.bootstrap,
        groupId: "eos",
        input: "eos-in",
        output: "eos-out",
        // The same id after a restart: InitProducerId aborts what the killed process left open.
        transactionalId: `eos-app-${i}`,
        sessionTimeout: SESSION_MS,
        chunk: 5,
        consumerClient: "brook",
        offsetsBy: i === 0 ? "consumer" : "groupId",
      };
      const p = new Processor(`slot${i}`, options);
      processors.push(p);
      return p;
    };
    const remaining = async () => {
      const offsets = await committedOffsets(admin, "eos", "eos-in");
      return [...offsets.values()].reduce((n, o) => n + PER_PARTITION - Math.max(0, o), 0);
    };

    // One processor alone first, then the second joins while it is in the middle of the input.
    const first = slot(0);
    assert.ok(await first.line("TXN ", 30000), `the first processor commits (${first.describe()})`);
    const live: [Processor, Processor] = [first, slot(1)];
    assert.ok(
      await live[1].until((l) => l.some((x) => x.startsWith("TXN ")), 30000),
      `the second processor joined and commits (${live[1].describe()})`,
    );
    assert.ok(
      await live[0].until((l) => l.filter((x) => x.startsWith("JOIN ")).length >= 2, 10000),
      "the first processor went through a rebalance",
    );

    let killedWithWorkLeft = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const i = (Math.random() < 0.5 ? 0 : 1) as 0 | 1;
      const victim = live[i];
      const before = victim.commits;
      // A random point of the victim's work: after at least one more transaction of its own.
      await victim.until((l) => l.filter((x) => x.startsWith("TXN ")).length > before, 30000);
      await sleep(Math.floor(Math.random() * 300));
      assert.deepEqual(
        [...live[0].errors(), ...live[1].errors()],
        [],
        live.map((p) => p.describe()).join("\n"),
      );
      if ((await remaining()) > 0 && !victim.exited) killedWithWorkLeft++;
      await victim.kill();
      live[i] = slot(i);
    }
    assert.ok(
      killedWithWorkLeft >= ROUNDS - 1,
      `${killedWithWorkLeft} of ${ROUNDS} kills happened mid-stream`,
    );

    // The last two finish the input.
    const deadline = Date.now() + 90_000;
    while ((await remaining()) > 0) {
      assert.ok(Date.now() < deadline, `the input is consumed (${await remaining()} left)`);
      assert.ok(!live[0].exited && !live[1].exited, live.map((p) => p.describe()).join("\n"));
      await sleep(200);
    }
    await Promise.all(live.map((p) => p.kill()));
    assert.deepEqual([...live[0].errors(), ...live[1].errors()], []);

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
