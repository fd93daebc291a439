/**
 * Broker suite: a real `brook start` process loaded by real clients on this machine, each figure
 * beside the raw loopback TCP limit measured in the same run.
 *
 * - Produce: librdkafka's rdkafka_performance (the standard Kafka load generator), kcat and KafkaJS
 *   2.2.4; 100 B and 1 KiB records; acks=1 and acks=-1 (fsync group commit).
 * - Fetch: rdkafka_performance consuming the 1 KiB topic from the beginning.
 * - End-to-end latency at a fixed 10k records/s from paced producers (kcat, and a Node process
 *   with Brook's codec) to a long-polling Fetch loop, stamped to the microsecond, beside a bare TCP
 *   relay between the same three processes (bench/e2e-latency.ts).
 * - Broker CPU seconds and peak RSS over the run.
 */
import { execFile } from "node:child_process";
import { createReadStream, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startBrokerProcess } from "../broker-process.js";
import { parsePerf, perfProduce, rdkafkaPerformanceOrNote, run } from "../rdkafka-perf.js";
import { type BenchContext, LatencyRecorder, ProcessMonitor } from "../harness.js";
import { measureKafkaEndToEnd, measureRelayEndToEnd, RECORD_SIZE } from "../e2e-latency.js";
import { measureLoopbackTcp } from "../limits.js";
import { kafkajs, kcat, PeerUnavailable } from "../peers.js";

export default async function run_(ctx: BenchContext): Promise<void> {
  const q = ctx.quick;
  ctx.progress("measuring the loopback TCP limit (two Node processes, 1 MiB writes)");
  const tcp = await measureLoopbackTcp(1 << 20, q ? 256 << 20 : 2 * 2 ** 30);
  ctx.record({ name: "limit: loopback TCP between two Node processes", value: tcp.mbPerSec, unit: "MB/s" });
  const limit = { name: "loopback TCP limit", value: tcp.mbPerSec };

  const broker = await startBrokerProcess(join(ctx.tmpDir, "data"));
  const { proc, port } = broker;
  const monitor = new ProcessMonitor(proc.pid!);
  const bootstrap = `127.0.0.1:${port}`;
  try {
    // ---- rdkafka_performance
    const perf = await rdkafkaPerformanceOrNote(ctx);
    if (perf) {
      for (const [size, count] of [
        [1024, q ? 200_000 : 1_000_000],
        [100, q ? 1_000_000 : 5_000_000],
      ] as const) {
        for (const acks of [1, -1]) {
          const topic = `perf-${size}-${acks === 1 ? "a1" : "aall"}`;
          ctx.progress(`rdkafka_performance produce ${count} x ${size} B, acks=${acks}`);
          const out = await perfProduce(perf, bootstrap, topic, size, count, [
            "-a",
            String(acks),
            "-X",
            "linger.ms=5",
            "-X",
            "batch.size=1000000",
            "-X",
            "queue.buffering.max.messages=1000000",
          ]);
          const r = parsePerf(out);
          ctx.record({
            name: `produce ${size} B records, acks=${acks}, librdkafka`,
            value: r.mbPerSec,
            unit: "MB/s",
            peer: limit,
          });
          ctx.record({
            name: `produce ${size} B records, acks=${acks}, librdkafka (records)`,
            value: r.msgsPerSec,
            unit: "records/s",
          });
        }
      }
      ctx.progress("rdkafka_performance fetch of the 1 KiB topic from the beginning");
      const fetchCount = q ? 200_000 : 1_000_000;
      const f = parsePerf(
        await run(
          perf,
          [
            "-C",
            "-t",
            "perf-1024-a1",
            "-b",
            bootstrap,
            "-p",
            "0",
            "-o",
            "beginning",
            "-c",
            String(fetchCount),
          ],
          300_000,
        ),
      );
      ctx.record({
        name: "fetch 1 KiB records, librdkafka consumer",
        value: f.mbPerSec,
        unit: "MB/s",
        peer: limit,
      });
    }

    // ---- kcat (one process, records from a file)
    try {
      const kcatPath = await kcat((m) => ctx.progress(m));
      const n = q ? 100_000 : 500_000;
      const line = `${"x".repeat(1023)}\n`;
      const file = join(ctx.tmpDir, "kcat-input.txt");
      writeFileSync(file, line.repeat(n));
      ctx.progress(`kcat produce ${n} x 1 KiB, acks=1`);
      const t0 = process.hrtime.bigint();
      await new Promise<void>((resolve, reject) => {
        const child = execFile(
          kcatPath,
          ["-b", bootstrap, "-P", "-t", "kcat-1024", "-p", "0", "-X", "linger.ms=5"],
          { timeout: 300_000 },
          (e) => (e ? reject(e) : resolve()),
        );
        createReadStream(file).pipe(child.stdin!);
      });
      const secs = Number(process.hrtime.bigint() - t0) / 1e9;
      ctx.record({
        name: "produce 1 KiB records, acks=1, kcat (incl. process start)",
        value: (n * 1024) / secs / 1e6,
        unit: "MB/s",
        peer: limit,
      });
    } catch (e) {
      if (!(e instanceof PeerUnavailable)) throw e;
      ctx.record({ name: "kcat", value: 0, unit: "n/a", notes: e.message });
    }

    // ---- KafkaJS
    {
      const { Kafka, logLevel } = kafkajs().require("kafkajs");
      const kafka = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING });
      const producer = kafka.producer({ allowAutoTopicCreation: true });
      await producer.connect();
      for (const size of [100, 1024]) {
        const total = q ? 100_000 : 500_000;
        const batch = 1000;
        const value = Buffer.alloc(size, 120);
        const messages = Array.from({ length: batch }, () => ({ value }));
        ctx.progress(`KafkaJS produce ${total} x ${size} B, batches of ${batch}, 4 in flight, acks=1`);
        const t0 = process.hrtime.bigint();
        let sent = 0;
        const worker = async () => {
          while (sent < total) {
            sent += batch;
            await producer.send({ topic: `kafkajs-${size}`, acks: 1, messages });
          }
        };
        await Promise.all([worker(), worker(), worker(), worker()]);
        const secs = Number(process.hrtime.bigint() - t0) / 1e9;
        ctx.record({
          name: `produce ${size} B records, acks=1, KafkaJS`,
          value: (sent * size) / secs / 1e6,
          unit: "MB/s",
          peer: limit,
        });
        ctx.record({
          name: `produce ${size} B records, acks=1, KafkaJS (records)`,
          value: sent / secs,
          unit: "records/s",
        });
      }
      await producer.disconnect();
    }

    // ---- end-to-end latency at a fixed rate (see e2e-latency.ts for why the producers are paced)
    {
      // The throughput runs above leave GBs of dirty pages; their writeback would stall every
      // write of this run. Start it from a clean page cache, as a broker at a moderate rate runs.
      ctx.progress("sync: writing back the page cache before the latency runs");
      await run("sync", [], 300_000);
      const rate = 10_000;
      const seconds = q ? 2 : 5;
      const rounds = q ? 1 : 3;
      const kinds = {
        relay: new LatencyRecorder(),
        codec: new LatencyRecorder(),
        kcat: new LatencyRecorder(),
      };
      const haveKcat = await kcat()
        .then(() => true)
        .catch(() => false);
      try {
        for (let round = 1; round <= rounds; round++) {
          ctx.progress(`end-to-end latency round ${round}/${rounds}: TCP relay limit, ${rate} records/s`);
          await measureRelayEndToEnd(rate, seconds, kinds.relay);
          ctx.progress(`end-to-end latency round ${round}/${rounds}: Brook-codec producer -> Brook -> Fetch`);
          await measureKafkaEndToEnd(
            { port, topic: `latency-codec-${round}`, rate, seconds, producer: "codec" },
            kinds.codec,
          );
          if (haveKcat) {
            ctx.progress(`end-to-end latency round ${round}/${rounds}: kcat (librdkafka) -> Brook -> Fetch`);
            await measureKafkaEndToEnd(
              { port, topic: `latency-kcat-${round}`, rate, seconds, producer: "kcat" },
              kinds.kcat,
            );
          }
        }
        const relay = kinds.relay.summary();
        const notes = `${rounds} x ${seconds} s at ${rate} records/s of ${RECORD_SIZE} B, acks=1; microsecond stamps in the values`;
        for (const [kind, label] of [
          ["codec", "Node producer (Brook codec)"],
          ["kcat", "kcat (librdkafka, linger.ms=0)"],
        ] as const) {
          if (kind === "kcat" && !haveKcat) continue;
          const s = kinds[kind].summary();
          for (const [pct, key] of [
            ["p50", "p50"],
            ["p99", "p99"],
            ["p99.9", "p999"],
          ] as const) {
            ctx.record({
              name: `end-to-end latency ${pct} at 10k records/s, ${label}`,
              value: s[key] / 1000,
              unit: "ms",
              notes,
              peer: { name: "TCP relay, same 3 processes", value: relay[key] / 1000 },
            });
          }
        }
      } finally {
        for (const l of Object.values(kinds)) l.destroy();
      }
    }
  } finally {
    const usage = monitor.stop();
    await broker.stop();
    if (usage) {
      ctx.record({ name: "broker CPU time over the suite", value: usage.cpuSeconds, unit: "s" });
      ctx.record({ name: "broker peak RSS", value: (usage.peakRssBytes ?? 0) / 1e6, unit: "MB" });
    }
  }
}
