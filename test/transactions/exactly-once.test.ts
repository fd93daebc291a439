/**
 * Exactly-once consume-transform-produce with KafkaJS 2.2.4 transactions: a worker process
 * (fixtures/eos-worker.cjs) turns every input record into one output record, committing its
 * consumer offsets inside each transaction. It is killed with SIGKILL at random points over 20
 * rounds and restarted; a read_committed KafkaJS consumer of the output must then see every input
 * record's result exactly once, while a read_uncommitted reader may also see aborted leftovers.
 * The transactional producer (and the test's admin and input producer) is KafkaJS's, then Brook's
 * client (test/support/clients.ts); the consumers are KafkaJS's in both runs.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, it } from "node:test";
import { fileURLToPath } from "node:url";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import { type ClientUnderTest, describeEachClient, kafkajs } from "../support/clients.js";
import { fetchAllRecords } from "../support/fetch-records.js";
import { LineProcess } from "../support/line-process.js";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

const WORKER = fileURLToPath(new URL("./fixtures/eos-worker.cjs", import.meta.url));
const NODE_PATH = fileURLToPath(new URL("../../node_modules", import.meta.url));
/** tsx's loader, for workers whose producer is Brook's client (TypeScript sources). */
const TSX = import.meta.resolve("tsx");
const PARTITIONS = 3;
const PER_PARTITION = 2000;
const ROUNDS = 20;
const SESSION_MS = 1000;

class Worker extends LineProcess {
  constructor(bootstrap: string, client: ClientUnderTest) {
    const brook = client.name === "Brook";
    super(
      spawn(
        process.execPath,
        [
          ...(brook ? ["--import", TSX] : []),
          WORKER,
          ...[bootstrap, "eos", "eos-in", "eos-out", "eos-app", String(SESSION_MS)],
        ],
        {
          env: { ...process.env, NODE_PATH, EOS_PRODUCER_CLIENT: brook ? "brook" : "kafkajs" },
          stdio: ["ignore", "pipe", "inherit"],
        },
      ),
    );
  }

  /** Resolves once a line matching `pred` was printed (or the process exited / time ran out). */
  waitFor(pred: (l: string) => boolean, ms: number): Promise<boolean> {
    return this.until((lines) => lines.some(pred), ms);
  }
}

describeEachClient("exactly-once processing with transactions", (client) => {
  let tb: TestBroker;
  const workers: Worker[] = [];
  before(async () => {
    tb = await startTestBroker({
      configs: {
        "group.min.session.timeout.ms": String(SESSION_MS),
        "group.initial.rebalance.delay.ms": "0",
        "offsets.topic.num.partitions": "3",
        "transaction.state.log.num.partitions": "3",
      },
    });
  });
  after(async () => {
    for (const w of workers) await w.kill();
    await tb.close();
  });

  it(`consume-transform-produce killed with SIGKILL over ${ROUNDS} rounds: every result exactly once under read_committed`, {
    timeout: 240_000,
  }, async () => {
    const config = { clientId: "eos-driver", brokers: [tb.bootstrap], logLevel: kafkajs.logLevel.NOTHING };
    const kafka = new client.module.Kafka(config);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: "eos-in", numPartitions: PARTITIONS },
        { topic: "eos-out", numPartitions: PARTITIONS },
      ],
    });
    const producer = kafka.producer();
    await producer.connect();
    for (let p = 0; p < PARTITIONS; p++) {
      await producer.send({
        topic: "eos-in",
        messages: Array.from({ length: PER_PARTITION }, (_, i) => ({ partition: p, value: `${p}-${i}` })),
      });
    }
    await producer.disconnect();

    let killedMidway = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const w = new Worker(tb.bootstrap, client);
      workers.push(w);
      const progressed = await w.waitFor((l) => l.startsWith("TXN ") || l.startsWith("ERROR"), 30_000);
      assert.ok(
        progressed,
        `round ${round}: the worker committed a transaction (output: ${w.lines.join(" | ")})`,
      );
      assert.ok(!w.lines.some((l) => l.startsWith("ERROR")), `round ${round}: ${w.lines.join(" | ")}`);
      assert.ok(w.lines.includes(`PRODUCER ${client.name.toLowerCase()}`), w.lines.join(" | "));
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 400)));
      if (!w.exited) killedMidway++;
      await w.kill();
    }
    assert.equal(killedMidway, ROUNDS, "every round was killed while running");

    // The last worker finishes the input.
    const last = new Worker(tb.bootstrap, client);
    workers.push(last);
    const total = PARTITIONS * PER_PARTITION;
    const deadline = performance.now() + 120_000;
    const admin2 = kafka.admin();
    await admin2.connect();
    for (;;) {
      const offsets = await admin2.fetchOffsets({ groupId: "eos", topics: ["eos-in"] });
      const done = offsets[0]!.partitions.every((p) => Number(p.offset) === PER_PARTITION);
      if (done) break;
      assert.ok(performance.now() < deadline, `the input is consumed (offsets ${JSON.stringify(offsets)})`);
      assert.ok(!last.exited, `the last worker is alive (${last.lines.slice(-3).join(" | ")})`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await last.kill();
    await admin2.disconnect();
    await admin.disconnect();

    // read_committed (KafkaJS's default): each result once, nothing else.
    const consumer = new kafkajs.Kafka(config).consumer({ groupId: "eos-verify", maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: "eos-out", fromBeginning: true });
    const seen = new Map<string, number>();
    let received = 0;
    await consumer.run({
      eachMessage: async ({ message }) => {
        const v = message.value!.toString();
        seen.set(v, (seen.get(v) ?? 0) + 1);
        received++;
      },
    });
    const until = Date.now() + 60_000;
    while (received < total && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1000)); // anything beyond `total` would arrive now
    await consumer.disconnect();
    const dupes = [...seen].filter(([, n]) => n > 1);
    assert.deepEqual(dupes, [], "no result twice");
    for (let p = 0; p < PARTITIONS; p++)
      for (let i = 0; i < PER_PARTITION; i++) assert.equal(seen.get(`out-${p}-${i}`), 1, `out-${p}-${i}`);
    assert.equal(received, total);

    // read_uncommitted sees at least as much: the aborted leftovers of the killed rounds too.
    let uncommitted = 0;
    for (let p = 0; p < PARTITIONS; p++)
      uncommitted += (await fetchAllRecords(tb.port, "eos-out", p)).filter((r) => !isControl(r)).length;
    assert.ok(uncommitted >= total, `read_uncommitted ${uncommitted} >= ${total}`);
  });
});

function isControl(r: { key: Buffer | null }): boolean {
  // fetchAllRecords decodes control batches' records too: their 4-byte keys are (version 0, type 0/1).
  return r.key !== null && r.key.length === 4 && r.key.readInt16BE(0) === 0 && r.key.readInt16BE(2) <= 1;
}
