/**
 * The exactly-once workload the EOS tests run against Brook and against Apache Kafka: an input topic
 * filled with `<partition>-<i>` records, two processors (fixtures/processor.ts) sharing it in one
 * group, and in each round one of them SIGKILLed at a random point and restarted under its
 * transactional id, until the group has committed the whole input. What the output holds is checked
 * by the caller (readCommitted, assertExactlyOnce).
 */
import assert from "node:assert/strict";
import type { Admin, Kafka } from "../../../src/client/index.js";
import { committedOffsets, sleep } from "../consumer/support.js";
import { Processor, type ProcessorOptions } from "./processors.js";

/** `perPartition` records `<p>-<i>` in each partition of `topic`, acknowledged by every replica. */
export async function fillInput(kafka: Kafka, topic: string, partitions: number, perPartition: number) {
  const producer = kafka.producer();
  await producer.connect();
  for (let p = 0; p < partitions; p++) {
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: perPartition }, (_, i) => ({ partition: p, value: `${p}-${i}` })),
    });
  }
  await producer.disconnect();
}

export interface KillRounds {
  bootstrap: string;
  /** Reads the group's committed offsets, to know how much input is left. */
  admin: Admin;
  /** Every processor started is added here, so the suite can kill what a failed test left. */
  processes: { push(p: Processor): unknown };
  groupId: string;
  input: string;
  output: string;
  partitions: number;
  perPartition: number;
  rounds: number;
  sessionTimeout: number;
  /** Input records per transaction. */
  chunk: number;
  /** Which of the two processors is killed in a round. */
  victim: (round: number) => 0 | 1;
  /** How long each processor may take to commit its first transaction. */
  joinMs: number;
  /** How long a victim may take to commit one more transaction before it is killed. */
  roundMs: number;
  /** How long the last two processors may take to finish the input. */
  finishMs: number;
  pollMs: number;
  /** Runs once both processors have committed, before the first kill. */
  bothCommitted?: (live: [Processor, Processor]) => Promise<void>;
}

/**
 * Runs the kill rounds, then waits until the group committed the whole input; fails if a processor
 * reported an error, exited on its own, or fewer than all rounds but one killed a processor with
 * input left.
 */
export async function runKillRounds(o: KillRounds): Promise<void> {
  // Slot 0 sends offsets with `{ consumer }`, slot 1 with KafkaJS's `{ consumerGroupId }`.
  const slot = (i: 0 | 1): Processor => {
    const options: ProcessorOptions = {
      bootstrap: o.bootstrap,
      groupId: o.groupId,
      input: o.input,
      output: o.output,
      // The same id after a restart: InitProducerId aborts what the killed process left open.
      transactionalId: `eos-app-${i}`,
      sessionTimeout: o.sessionTimeout,
      chunk: o.chunk,
      consumerClient: "brook",
      offsetsBy: i === 0 ? "consumer" : "groupId",
    };
    const p = new Processor(`slot${i}`, options);
    o.processes.push(p);
    return p;
  };
  const remaining = async () => {
    const offsets = await committedOffsets(o.admin, o.groupId, o.input);
    return [...offsets.values()].reduce((n, offset) => n + o.perPartition - Math.max(0, offset), 0);
  };

  // One processor alone first, then the second joins while it is in the middle of the input.
  const first = slot(0);
  assert.ok(await first.line("TXN ", o.joinMs), `the first processor commits (${first.describe()})`);
  const live: [Processor, Processor] = [first, slot(1)];
  assert.ok(
    await live[1].until((l) => l.some((x) => x.startsWith("TXN ")), o.joinMs),
    `the second processor joined and commits (${live[1].describe()})`,
  );
  await o.bothCommitted?.(live);

  let killedWithWorkLeft = 0;
  for (let round = 0; round < o.rounds; round++) {
    const i = o.victim(round);
    const victim = live[i];
    const before = victim.commits;
    const bothBefore = live[0].commits + live[1].commits;
    // A random point of the victim's work: after at least one more transaction of its own.
    const progressed = await victim.until(
      (l) => l.filter((x) => x.startsWith("TXN ")).length > before,
      o.roundMs,
    );
    if (!progressed && !victim.exited && live[0].commits + live[1].commits === bothBefore) {
      // Neither processor committed for a whole round while input is left: the group is stuck.
      const left = await remaining();
      assert.equal(
        left,
        0,
        `round ${round}: no transaction committed in ${o.roundMs} ms with ${left} records left\n${live.map((p) => p.describe()).join("\n")}`,
      );
    }
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
    killedWithWorkLeft >= o.rounds - 1,
    `${killedWithWorkLeft} of ${o.rounds} kills happened mid-stream`,
  );

  // The last two finish the input.
  const deadline = performance.now() + o.finishMs;
  while ((await remaining()) > 0) {
    assert.ok(performance.now() < deadline, `the input is consumed (${await remaining()} left)`);
    assert.ok(!live[0].exited && !live[1].exited, live.map((p) => p.describe()).join("\n"));
    await sleep(o.pollMs);
  }
  await Promise.all(live.map((p) => p.kill()));
  assert.deepEqual([...live[0].errors(), ...live[1].errors()], []);
}
