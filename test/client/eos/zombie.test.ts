/**
 * Zombie processors (KIP-447), each in its own process against a Brook broker: a processor stops in
 * the middle of a transaction — its records sent, its offsets not yet — and is SIGSTOPped (its
 * heartbeats stop too) while another processor takes its partitions and processes the whole input.
 * When it is resumed, Brook's transactional producer sends its consumer's group metadata with the
 * offsets, and the coordinator refuses them: sendOffsets and commit fail, the transaction is
 * aborted, and the read_committed output holds every result exactly once.
 *
 * - Brook's consumer, paused past its session timeout: the member was removed, the group moved on.
 * - Brook's consumer with a static instance id, replaced by a new process under the same id:
 *   FENCED_INSTANCE_ID.
 * - The comparison: the same zombie with KafkaJS's consumer, whose group metadata Brook's producer
 *   cannot know (KafkaJS's own request, generation -1): the coordinator cannot tell it from a
 *   current member, its transaction commits, and its results appear twice.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Admin, Kafka } from "../../../src/client/index.js";
import { startTestBroker, type TestBroker } from "../../../src/testing/index.js";
import { brookKafka, committedOffsets, createTopic, sleep } from "../consumer/support.js";
import { assertExactlyOnce, Processor, type ProcessorOptions, readCommitted } from "./processors.js";

const PARTITIONS = 3;
const PER_PARTITION = 200;
const SESSION_MS = 2000;
const CHUNK = 5;
const GROUP_FENCING = ["ILLEGAL_GENERATION", "UNKNOWN_MEMBER_ID", "FENCED_INSTANCE_ID"];

describe("a zombie processor's transaction is fenced by its consumer group (KIP-447)", () => {
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
    kafka = brookKafka(tb.bootstrap, "zombie-driver");
    admin = kafka.admin();
    await admin.connect();
  });

  after(async () => {
    for (const p of processors) p.signal("SIGCONT");
    await Promise.all(processors.map((p) => p.kill()));
    await admin.disconnect();
    await tb.close();
  });

  async function input(name: string): Promise<void> {
    await createTopic(admin, `${name}-in`, PARTITIONS);
    await createTopic(admin, `${name}-out`, PARTITIONS);
    const producer = kafka.producer();
    await producer.connect();
    for (let p = 0; p < PARTITIONS; p++) {
      await producer.send({
        topic: `${name}-in`,
        messages: Array.from({ length: PER_PARTITION }, (_, i) => ({ partition: p, value: `${p}-${i}` })),
      });
    }
    await producer.disconnect();
  }

  function processor(
    name: string,
    options: Omit<ProcessorOptions, "bootstrap" | "sessionTimeout" | "chunk">,
  ) {
    const p = new Processor(name, {
      bootstrap: tb.bootstrap,
      sessionTimeout: SESSION_MS,
      chunk: CHUNK,
      ...options,
    });
    processors.push(p);
    return p;
  }

  async function allCommitted(group: string, topic: string, ms = 30000): Promise<boolean> {
    const deadline = performance.now() + ms;
    while (performance.now() < deadline) {
      const offsets = await committedOffsets(admin, group, topic);
      if ([...offsets.values()].every((o) => o === PER_PARTITION)) return true;
      await sleep(200);
    }
    return false;
  }

  /**
   * The zombie stalls with its first transaction open and is SIGSTOPped; `takeOver` starts the
   * processor that does its work; once the whole input is committed, the zombie resumes. Returns
   * the zombie's report lines.
   */
  async function zombieRun(
    name: string,
    zombieOptions: Pick<ProcessorOptions, "consumerClient" | "offsetsBy" | "groupInstanceId">,
    takeOver: () => Processor,
  ): Promise<{ zombie: Processor; report: string[]; stalledPartition: number }> {
    await input(name);
    const zombie = processor(`${name}-zombie`, {
      groupId: name,
      input: `${name}-in`,
      output: `${name}-out`,
      transactionalId: `${name}-zombie`,
      stall: true,
      ...zombieOptions,
    });
    const stall = await zombie.line("STALL ", 30000);
    assert.ok(stall, `the zombie stalls inside its first transaction (${zombie.describe()})`);
    zombie.signal("SIGSTOP");
    const successor = takeOver();
    assert.ok(
      await allCommitted(name, `${name}-in`),
      `the successor processed the whole input (${successor.describe()})`,
    );
    zombie.proc.stdin!.write("GO\n");
    zombie.signal("SIGCONT");
    // It exits once its transaction is committed or aborted.
    await zombie.until(() => false, 30000);
    assert.ok(zombie.exited, `the zombie finished its transaction (${zombie.describe()})`);
    const report = zombie.lines.filter((l) => /^(FENCED|ZOMBIE-|ABORT)/.test(l));
    await successor.kill();
    return { zombie, report, stalledPartition: Number(stall.split(" ")[1]) };
  }

  it("Brook's consumer paused past its session timeout: sendOffsets and commit are refused, every result once", {
    timeout: 90_000,
  }, async () => {
    const { report } = await zombieRun("paused", { consumerClient: "brook", offsetsBy: "groupId" }, () =>
      processor("paused-successor", {
        groupId: "paused",
        input: "paused-in",
        output: "paused-out",
        transactionalId: "paused-successor",
        consumerClient: "brook",
        offsetsBy: "consumer",
      }),
    );
    const [sendOffsets, commit, abort] = report;
    assert.match(sendOffsets ?? "", /^FENCED sendOffsets /, report.join(" | "));
    assert.ok(GROUP_FENCING.includes(sendOffsets!.split(" ")[2]!), sendOffsets);
    assert.match(commit ?? "", /^FENCED commit /, report.join(" | "));
    assert.equal(abort, "ABORTED");
    assert.deepEqual(
      [...(await committedOffsets(admin, "paused", "paused-in")).values()],
      [PER_PARTITION, PER_PARTITION, PER_PARTITION],
      "the zombie moved no committed offset",
    );
    assertExactlyOnce(
      await readCommitted(tb.bootstrap, "paused-out", PARTITIONS * PER_PARTITION),
      PARTITIONS,
      PER_PARTITION,
    );
  });

  it("a static member replaced by a new process under its instance id: FENCED_INSTANCE_ID, every result once", {
    timeout: 90_000,
  }, async () => {
    const { report } = await zombieRun(
      "replaced",
      { consumerClient: "brook", offsetsBy: "consumer", groupInstanceId: "processor-1" },
      () =>
        processor("replaced-successor", {
          groupId: "replaced",
          input: "replaced-in",
          output: "replaced-out",
          transactionalId: "replaced-successor",
          consumerClient: "brook",
          offsetsBy: "consumer",
          groupInstanceId: "processor-1",
        }),
    );
    assert.deepEqual(
      report,
      ["FENCED sendOffsets FENCED_INSTANCE_ID", report[1], "ABORTED"],
      report.join(" | "),
    );
    assert.match(report[1] ?? "", /^FENCED commit /);
    assertExactlyOnce(
      await readCommitted(tb.bootstrap, "replaced-out", PARTITIONS * PER_PARTITION),
      PARTITIONS,
      PER_PARTITION,
    );
  });

  it("for comparison, KafkaJS's consumer (no group metadata): the zombie commits and its results appear twice", {
    timeout: 90_000,
  }, async () => {
    const { report, stalledPartition } = await zombieRun(
      "unfenced",
      { consumerClient: "kafkajs", offsetsBy: "groupId" },
      () =>
        processor("unfenced-successor", {
          groupId: "unfenced",
          input: "unfenced-in",
          output: "unfenced-out",
          transactionalId: "unfenced-successor",
          consumerClient: "brook",
          offsetsBy: "consumer",
        }),
    );
    assert.deepEqual(report, [`ZOMBIE-COMMITTED ${stalledPartition} ${CHUNK}`]);
    const seen = await readCommitted(tb.bootstrap, "unfenced-out", PARTITIONS * PER_PARTITION + CHUNK);
    const twice = [...seen].filter(([, n]) => n === 2).map(([v]) => v);
    assert.deepEqual(
      twice.sort(),
      Array.from({ length: CHUNK }, (_, i) => `out-${stalledPartition}-${i}`).sort(),
      "the zombie's chunk was written a second time",
    );
    // ...and it moved the group's committed offset back to where it had stalled.
    assert.equal((await committedOffsets(admin, "unfenced", "unfenced-in")).get(stalledPartition), CHUNK);
  });
});
