/**
 * Transactions suite, against a real `brook start` process:
 *
 * - Idempotence cost: rdkafka_performance producing the same records with enable.idempotence=true
 *   and false (acks=-1 both, as idempotence requires), samples interleaved; goal >= 90% of plain.
 * - Transactions: KafkaJS 2.2.4 producing 100 B records in transactions of 100 and of 1000 records,
 *   beside the same KafkaJS producer (idempotent, acks=-1) sending batches of the same size.
 * - read_committed latency: a KafkaJS transactional producer commits one transaction of 10 records
 *   every 5 ms; two Fetch loops (Brook's codec) read the topic, one read_committed and one
 *   read_uncommitted, each record stamped with its creation time in microseconds.
 */
import { join } from "node:path";
import { startBrokerProcess } from "../broker-process.js";
import { RECORD_SIZE, stampedMicros, wallMicros } from "../e2e-latency.js";
import { type BenchContext, LatencyRecorder } from "../harness.js";
import { kafkajs } from "../peers.js";
import { parsePerf, perfProduce, rdkafkaPerformanceOrNote } from "../rdkafka-perf.js";
import { Fetch } from "../../src/protocol/messages/fetch.js";
import { ATTR } from "../../src/protocol/records/batch-header.js";
import { decodeRecordBatches } from "../../src/protocol/records/record-batch.js";
import { RawClient } from "../../test/support/raw-client.js";

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** A Fetch loop on partition 0 recording each data record's latency until `stop()`. */
function latencyReader(port: number, topic: string, isolationLevel: 0 | 1, lat: LatencyRecorder) {
  let stopped = false;
  let received = 0;
  const done = (async () => {
    const c = await RawClient.connect(port);
    let offset = 0n;
    try {
      while (!stopped) {
        const res = await c.request(Fetch, 11, {
          replicaId: -1,
          maxWaitMs: 100,
          minBytes: 1,
          maxBytes: 1 << 20,
          isolationLevel,
          sessionEpoch: -1,
          topics: [
            { topic, partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 1 << 20 }] },
          ],
        });
        const now = wallMicros();
        const records = res.responses[0]?.partitions[0]?.records;
        if (!records || records.length === 0) continue;
        for (const b of await decodeRecordBatches(records)) {
          offset = b.header.baseOffset + BigInt(b.header.lastOffsetDelta) + 1n;
          if ((b.header.attributes & ATTR.CONTROL) !== 0) continue;
          for (const r of b.records) {
            if (r.value?.length !== RECORD_SIZE) continue;
            lat.recordMicros(now - stampedMicros(r.value));
            received++;
          }
        }
      }
    } finally {
      c.close();
    }
  })();
  return {
    get received() {
      return received;
    },
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

export default async function run(ctx: BenchContext): Promise<void> {
  const q = ctx.quick;
  const broker = await startBrokerProcess(join(ctx.tmpDir, "data"), {
    "transaction.state.log.num.partitions": "5",
    "offsets.topic.num.partitions": "5",
  });
  const bootstrap = `127.0.0.1:${broker.port}`;
  try {
    // ---- idempotent vs plain producer (librdkafka)
    const perf = await rdkafkaPerformanceOrNote(ctx);
    if (perf) {
      for (const [size, count] of [
        [1024, q ? 100_000 : 500_000],
        [100, q ? 500_000 : 2_000_000],
      ] as const) {
        const kinds = {
          plain: ["-X", "enable.idempotence=false"],
          "plain, one request in flight": ["-X", "enable.idempotence=false", "-X", "max.in.flight=1"],
          idempotent: ["-X", "enable.idempotence=true"],
        } as const;
        const rates = new Map<keyof typeof kinds, number[]>();
        let topicCounter = 0;
        const rounds = q ? 1 : 3;
        for (let round = 0; round < rounds; round++) {
          for (const kind of Object.keys(kinds) as Array<keyof typeof kinds>) {
            ctx.progress(
              `rdkafka_performance ${kind} ${count} x ${size} B, acks=-1 (round ${round + 1}/${rounds})`,
            );
            const out = await perfProduce(
              perf,
              bootstrap,
              `idem-${size}-${round}-${topicCounter++}`,
              size,
              count,
              [
                "-a",
                "-1",
                ...kinds[kind],
                "-X",
                "linger.ms=5",
                "-X",
                "batch.size=1000000",
                "-X",
                "queue.buffering.max.messages=1000000",
              ],
            );
            rates.set(kind, [...(rates.get(kind) ?? []), parsePerf(out).msgsPerSec]);
          }
        }
        const idem = median(rates.get("idempotent")!);
        for (const peer of ["plain", "plain, one request in flight"] as const) {
          const plain = median(rates.get(peer)!);
          ctx.record({
            name: `idempotent producer, ${size} B records, acks=-1, librdkafka, vs ${peer}`,
            value: idem,
            unit: "records/s",
            peer: { name: `same producer, ${peer}`, value: plain },
            notes: `median of ${rounds} interleaved runs of ${count} records; MB/s ${((idem * size) / 1e6).toFixed(0)} vs ${((plain * size) / 1e6).toFixed(0)}; librdkafka keeps one idempotent request in flight per partition once a batch holds 5+ messages`,
          });
        }
      }
    }

    // ---- KafkaJS transactions of 100 and 1000 records
    const { Kafka, logLevel } = kafkajs().require("kafkajs");
    const kafka = new Kafka({ clientId: "bench-txn", brokers: [bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const value = Buffer.alloc(100, 120);
    const seconds = q ? 2 : 6;
    for (const perTxn of [100, 1000]) {
      const topic = `txn-${perTxn}`;
      const plainTopic = `idem-batches-${perTxn}`;
      await admin.createTopics({ topics: [{ topic }, { topic: plainTopic }] });
      const messages = Array.from({ length: perTxn }, () => ({ value }));
      const txProducer = kafka.producer({
        transactionalId: `bench-${perTxn}`,
        maxInFlightRequests: 1,
        idempotent: true,
      });
      const idemProducer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await txProducer.connect();
      await idemProducer.connect();
      const rates: Record<"txn" | "plain", number[]> = { txn: [], plain: [] };
      for (let round = 0; round < (q ? 1 : 3); round++) {
        ctx.progress(`KafkaJS transactions of ${perTxn} x 100 B for ${seconds} s (round ${round + 1})`);
        let t0 = performance.now();
        let sent = 0;
        while (performance.now() - t0 < seconds * 1000) {
          const txn = await txProducer.transaction();
          await txn.send({ topic, acks: -1, messages });
          await txn.commit();
          sent += perTxn;
        }
        rates.txn.push(sent / ((performance.now() - t0) / 1000));
        ctx.progress(`KafkaJS idempotent batches of ${perTxn} x 100 B for ${seconds} s (round ${round + 1})`);
        t0 = performance.now();
        sent = 0;
        while (performance.now() - t0 < seconds * 1000) {
          await idemProducer.send({ topic: plainTopic, acks: -1, messages });
          sent += perTxn;
        }
        rates.plain.push(sent / ((performance.now() - t0) / 1000));
      }
      await txProducer.disconnect();
      await idemProducer.disconnect();
      ctx.record({
        name: `KafkaJS transactions of ${perTxn} records (100 B)`,
        value: median(rates.txn),
        unit: "records/s",
        peer: { name: `KafkaJS idempotent sends of ${perTxn} records, acks=-1`, value: median(rates.plain) },
        notes: "one transaction (AddPartitions, Produce, EndTxn with markers) per send",
      });
    }

    // ---- read_committed end-to-end latency
    {
      const topic = "txn-latency";
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
      const committed = new LatencyRecorder();
      const uncommitted = new LatencyRecorder();
      const rc = latencyReader(broker.port, topic, 1, committed);
      const ru = latencyReader(broker.port, topic, 0, uncommitted);
      const producer = kafka.producer({
        transactionalId: "bench-latency",
        maxInFlightRequests: 1,
        idempotent: true,
      });
      await producer.connect();
      const duration = q ? 3 : 10;
      ctx.progress(`read_committed latency: transactions of 10 records every 5 ms for ${duration} s`);
      const end = performance.now() + duration * 1000;
      let txns = 0;
      while (performance.now() < end) {
        const started = performance.now();
        const messages = Array.from({ length: 10 }, () => {
          const t = String(wallMicros());
          return { value: t + "x".repeat(RECORD_SIZE - t.length) };
        });
        const txn = await producer.transaction();
        await txn.send({ topic, acks: -1, messages });
        await txn.commit();
        txns++;
        const wait = 5 - (performance.now() - started);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      await producer.disconnect();
      const deadline = Date.now() + 5000;
      while ((rc.received < txns * 10 || ru.received < txns * 10) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      await rc.stop();
      await ru.stop();
      const c = committed.summary();
      const u = uncommitted.summary();
      const notes = `${txns} transactions of 10 records, acks=-1, one every 5 ms or as fast as they commit`;
      for (const [pct, key] of [
        ["p50", "p50"],
        ["p99", "p99"],
      ] as const) {
        ctx.record({
          name: `read_committed end-to-end latency ${pct}`,
          value: c[key] / 1000,
          unit: "ms",
          peer: { name: "read_uncommitted, same records", value: u[key] / 1000 },
          notes,
        });
      }
      committed.destroy();
      uncommitted.destroy();
    }
    await admin.disconnect();
  } finally {
    await broker.stop();
  }
}
