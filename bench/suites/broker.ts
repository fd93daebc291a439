/**
 * Broker suite: a real `brook start` process and a real Apache Kafka 4.4 node (KRaft, combined
 * controller + broker, Kafka's own JVM settings, data on the same disk), both running for the whole
 * suite and loaded by the same clients, shape by shape, interleaved: Brook then Kafka for one shape,
 * Kafka then Brook for the next, so load from elsewhere on the machine hits both alike. Every row
 * has Brook's figure, Kafka's and Brook ÷ Kafka.
 *
 * - Produce (librdkafka's rdkafka_performance, the standard Kafka load generator): 100 B / 1 KiB /
 *   10 KiB records × acks=1 / acks=-1; 1 / 8 / 64 concurrent producer processes (one partition
 *   each); compression none / lz4 / zstd. acks=-1 runs against Kafka twice: default flush (no fsync:
 *   Kafka relies on replication) and flush per write (topic config flush.messages=1, the per-topic
 *   form of log.flush.interval.messages=1: an fsync per append, what Brook does for acks=-1).
 * - Fetch from the page cache: rdkafka_performance consuming topics written earlier in the run.
 * - Kafka's own clients (kafka-tools ProducerPerformance / ConsumerPerformance) for a few shapes.
 * - KafkaJS and kcat producing, as other clients.
 * - End-to-end latency at fixed rates, p50/p99/p99.9 (bench/e2e-latency.ts: paced producers, a
 *   long-polling Fetch loop, microsecond stamps).
 * - Start time: spawn to the first Metadata answer, fresh data dir (Brook compiled, Kafka formatted).
 * - Peak RSS and CPU seconds of each broker over the run.
 *
 * Apache Kafka missing (no Java 17+, jars not installed) or failing to start: the suite still runs
 * Brook and every Kafka column says why. See docs/benchmarks.md for the method.
 */
import { execFile } from "node:child_process";
import { createReadStream, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startBrokerProcess } from "../broker-process.js";
import { jsonRecord, rng } from "../data.js";
import { measureKafkaEndToEnd, measureRelayEndToEnd, RECORD_SIZE } from "../e2e-latency.js";
import { type BenchContext, fmtNum, LatencyRecorder, ProcessMonitor, readProcUsage } from "../harness.js";
import {
  APACHE_KAFKA_VERSION,
  apacheKafkaUnavailable,
  compileBrook,
  consumerPerformance,
  createTopic,
  deleteTopics,
  measureBrookStart,
  measureKafkaStart,
  producerPerformance,
  startKafkaPeer,
} from "../kafka-peer.js";
import { measureLoopbackTcp } from "../limits.js";
import { kafkajs, kcat, PeerUnavailable } from "../peers.js";
import { parsePerf, perfProducers, rdkafkaPerformanceOrNote, run } from "../rdkafka-perf.js";
import { barChart } from "../report.js";

type Key = "brook" | "kafka" | "kafkaFsync";

interface Target {
  key: Key;
  /** Short name in notes. */
  short: string;
  port: number;
  bootstrap: string;
  pid: number;
  /** Topic configs every topic of this target gets. */
  topicConfigs: Record<string, string>;
}

interface Outcome {
  value: number;
  /** Extra text for the notes (records/s, caps). */
  detail?: string;
  cpu?: number;
  error?: string;
}

const KAFKA = `Apache Kafka ${APACHE_KAFKA_VERSION}`;
const PEER_NAME: Record<Exclude<Key, "brook">, string> = {
  kafka: `${KAFKA}, default flush (no fsync)`,
  kafkaFsync: `${KAFKA}, flush per write (flush.messages=1)`,
};

const sizeLabel = (n: number) => (n >= 1024 ? `${n / 1024} KiB` : `${n} B`);

export default async function run_(ctx: BenchContext): Promise<void> {
  const q = ctx.quick;
  const suiteStart = Date.now();

  // Chart data collected as rows are recorded.
  const throughputRows: Array<{ shape: string; broker: string; value: number }> = [];
  const latencyRows: Array<{ shape: string; broker: string; value: number }> = [];

  let kafkaWhy = apacheKafkaUnavailable();
  const notRun = () => ({ name: `Kafka not run: ${kafkaWhy}`, value: Number.NaN });

  // ---- 0. Brook compiled for the start-time measure (before anything is timed)
  let brookMain: string | null = null;
  let compileNote = "";
  try {
    ctx.progress("compiling Brook (tsc -p tsconfig.build.json) for the start-time measure");
    brookMain = await compileBrook();
  } catch (e) {
    compileNote = `Brook could not be compiled: ${(e as Error).message.split("\n")[0]}`;
    ctx.progress(compileNote);
  }

  // ---- 1. machine limit
  ctx.progress("measuring the loopback TCP limit (two Node processes, 1 MiB writes)");
  const tcp = await measureLoopbackTcp(1 << 20, q ? 256 << 20 : 2 * 2 ** 30);
  ctx.record({ name: "limit: loopback TCP between two Node processes", value: tcp.mbPerSec, unit: "MB/s" });

  // ---- 2. start time, before the long-running brokers exist (fresh data dirs, alternating)
  {
    const rounds = q ? 1 : 3;
    const brook: number[] = [];
    const kafka: number[] = [];
    const formats: number[] = [];
    let brookErr = compileNote;
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? ["brook", "kafka"] : ["kafka", "brook"];
      for (const who of order) {
        if (who === "brook" && brookMain && !brookErr) {
          ctx.progress(`start time round ${r + 1}/${rounds}: Brook (node dist/cli/main.js start)`);
          try {
            brook.push(await measureBrookStart(brookMain, ctx.tmpDir));
          } catch (e) {
            brookErr = (e as Error).message;
          }
        } else if (who === "kafka" && !kafkaWhy) {
          ctx.progress(`start time round ${r + 1}/${rounds}: ${KAFKA} (format, then kafka.Kafka)`);
          try {
            const k = await measureKafkaStart(ctx.tmpDir);
            kafka.push(k.startMs);
            formats.push(k.formatMs);
          } catch (e) {
            kafkaWhy = `start failed: ${(e as Error).message.split("\n")[0]}`;
          }
        }
      }
    }
    const med = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return s.length ? s[Math.floor((s.length - 1) / 2)]! : Number.NaN;
    };
    const ms = (xs: number[]) => xs.map((x) => Math.round(x)).join(", ");
    ctx.record({
      name: "broker start: process spawn to first Metadata answer, empty data dir",
      value: med(brook),
      unit: "ms",
      peer:
        kafkaWhy && kafka.length === 0
          ? notRun()
          : { name: `${KAFKA} (storage formatted before)`, value: med(kafka) },
      notes:
        `median of ${rounds}; Brook: node dist/cli/main.js start (${brookErr || ms(brook)} ms); ` +
        `Kafka: kafka.Kafka with -Xmx1G -Xms1G G1 (${ms(kafka) || "—"} ms), kafka-storage format before it took ${ms(formats) || "—"} ms`,
    });
  }

  // ---- 3. the two brokers of the run
  const brokerProc = await startBrokerProcess(join(ctx.tmpDir, "brook-data"));
  const brookMon = new ProcessMonitor(brokerProc.proc.pid!);
  const brook: Target = {
    key: "brook",
    short: "Brook",
    port: brokerProc.port,
    bootstrap: `127.0.0.1:${brokerProc.port}`,
    pid: brokerProc.proc.pid!,
    topicConfigs: {},
  };
  let kafkaCluster: Awaited<ReturnType<typeof startKafkaPeer>> | null = null;
  let kafkaMon: ProcessMonitor | null = null;
  const targets: Target[] = [brook];
  if (!kafkaWhy) {
    ctx.progress(`starting ${KAFKA} (1 KRaft node, combined controller+broker, -Xmx1G -Xms1G, G1)`);
    try {
      kafkaCluster = await startKafkaPeer(ctx.tmpDir);
      const node = kafkaCluster.nodes[0]!;
      kafkaMon = new ProcessMonitor(node.proc.pid!);
      const base = {
        port: node.port,
        bootstrap: kafkaCluster.bootstrap,
        pid: node.proc.pid!,
      };
      targets.push(
        { key: "kafka", short: "Kafka", ...base, topicConfigs: {} },
        { key: "kafkaFsync", short: "Kafka flush/write", ...base, topicConfigs: { "flush.messages": "1" } },
      );
      ctx.progress(
        `${KAFKA} serving on ${kafkaCluster.bootstrap} after ${(kafkaCluster.startMs / 1000).toFixed(1)} s (format included)`,
      );
    } catch (e) {
      kafkaWhy = `failed to start: ${(e as Error).message.split("\n")[0]}`;
      ctx.progress(`${KAFKA} ${kafkaWhy}`);
    }
  }
  const cpuInRuns = new Map<Key, number>();

  /**
   * Runs `fn` against each target (Brook, Kafka, and Kafka flush-per-write when `fsync`), `rounds`
   * times; the order alternates from one call (and round) to the next. With several rounds the
   * outcome is the mean of the rounds that did not fail.
   */
  let turn = 0;
  const sideBySide = async (
    what: string,
    opts: { fsync?: boolean; rounds?: number },
    fn: (t: Target, round: number) => Promise<Outcome>,
  ): Promise<Map<Key, Outcome>> => {
    const rounds = opts.rounds ?? 1;
    const all = new Map<Key, Outcome[]>();
    for (let round = 0; round < rounds; round++) {
      const list = targets.filter((t) => t.key !== "kafkaFsync" || opts.fsync);
      if (turn++ % 2 === 1) list.reverse();
      for (const t of list) {
        ctx.progress(`${what}${rounds > 1 ? ` (round ${round + 1}/${rounds})` : ""} — ${t.short}`);
        const before = readProcUsage(t.pid);
        let o: Outcome;
        try {
          o = await fn(t, round);
        } catch (e) {
          o = { value: Number.NaN, error: (e as Error).message.split("\n")[0]!.slice(0, 300) };
          ctx.progress(`  ${t.short} failed: ${o.error}`);
        }
        const after = readProcUsage(t.pid);
        if (before && after) {
          o.cpu = after.cpuSeconds - before.cpuSeconds;
          cpuInRuns.set(t.key, (cpuInRuns.get(t.key) ?? 0) + o.cpu);
        }
        all.set(t.key, [...(all.get(t.key) ?? []), o]);
        // Write back what this run left dirty, so the next one does not pay for it.
        await run("sync", [], 300_000).catch(() => {});
      }
    }
    const out = new Map<Key, Outcome>();
    for (const [key, os] of all) {
      const ok = os.filter((o) => !o.error && Number.isFinite(o.value));
      if (ok.length === 0) {
        out.set(key, os[0]!);
        continue;
      }
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const cpus = ok.map((o) => o.cpu).filter((c): c is number => c !== undefined);
      out.set(key, {
        value: mean(ok.map((o) => o.value)),
        cpu: cpus.length ? mean(cpus) : undefined,
        detail:
          ok.length > 1
            ? `mean of ${ok.length} runs (${ok.map((o) => fmtNum(o.value)).join(" / ")})${ok.at(-1)!.detail ? `, last: ${ok.at(-1)!.detail}` : ""}`
            : ok[0]!.detail,
      });
    }
    return out;
  };

  const describe = (key: Key, o: Outcome | undefined) => {
    const name = key === "brook" ? "Brook" : key === "kafka" ? "Kafka" : "Kafka flush/write";
    if (!o) return "";
    if (o.error) return `${name} failed: ${o.error}`;
    const parts = [o.detail, o.cpu !== undefined ? `broker CPU ${o.cpu.toFixed(1)} s` : ""].filter(Boolean);
    return parts.length ? `${name}: ${parts.join(", ")}` : "";
  };

  /** One row per Kafka variant measured: Brook's value beside it. */
  const recordShape = (
    name: string,
    unit: string,
    res: Map<Key, Outcome>,
    opts: { fsync?: boolean; note?: string; chart?: "throughput" | "latency" } = {},
  ) => {
    const b = res.get("brook");
    const variants: Array<Exclude<Key, "brook">> = opts.fsync ? ["kafka", "kafkaFsync"] : ["kafka"];
    for (const v of variants) {
      const k = res.get(v);
      const rowName = opts.fsync
        ? `${name} — vs ${v === "kafka" ? "Kafka default flush" : "Kafka flush per write"}`
        : name;
      const notes = [opts.note, describe("brook", b), describe(v, k)].filter(Boolean).join("; ");
      ctx.record({
        name: rowName,
        value: b?.value ?? Number.NaN,
        unit,
        peer: kafkaWhy && !k ? notRun() : { name: PEER_NAME[v], value: k?.value ?? Number.NaN },
        notes,
      });
      const rows =
        opts.chart === "latency" ? latencyRows : opts.chart === "throughput" ? throughputRows : null;
      if (rows) {
        if (v === "kafka" && b && Number.isFinite(b.value))
          rows.push({ shape: name, broker: "Brook", value: b.value });
        if (k && Number.isFinite(k.value))
          rows.push({
            shape: name,
            broker: v === "kafka" ? "Kafka (default flush)" : "Kafka (flush per write)",
            value: k.value,
          });
      }
    }
  };

  try {
    const perf = await rdkafkaPerformanceOrNote(ctx);
    const runBytes = q ? 100e6 : 1e9;
    const capMs = q ? 20_000 : 90_000;
    const rounds = q ? 1 : 2;
    // Topics of the first round kept for the fetch shapes: "<size>|<key>" -> [topic, records].
    const keep = new Map<string, [string, number]>();

    // ---- 4. produce with rdkafka_performance
    if (perf) {
      const produceShape = async (s: {
        size: number;
        acks: 1 | -1;
        producers: number;
        codec: "none" | "lz4" | "zstd";
        keepForFetch?: boolean;
      }) => {
        const count = Math.round(runBytes / s.size);
        const fsync = s.acks === -1;
        const tag = `${s.size}-a${s.acks === 1 ? "1" : "all"}-x${s.producers}-${s.codec}`;
        const title = `produce ${sizeLabel(s.size)} records, acks=${s.acks}, ${s.producers} producer${s.producers > 1 ? "s" : ""}${s.codec !== "none" ? `, ${s.codec}` : ""}, librdkafka`;
        const res = await sideBySide(
          `${title}: ${fmtNum(count)} records`,
          { fsync, rounds },
          async (t, round) => {
            const topic = `perf-${tag}-${t.key}-r${round}`;
            await createTopic(t.port, topic, s.producers, t.topicConfigs);
            const r = await perfProducers(perf, {
              bootstrap: t.bootstrap,
              topic,
              producers: s.producers,
              size: s.size,
              count,
              capMs,
              extra: [
                "-a",
                String(s.acks),
                "-z",
                s.codec,
                "-X",
                "linger.ms=5",
                "-X",
                "batch.size=1000000",
                "-X",
                "queue.buffering.max.messages=1000000",
              ],
            });
            if (s.keepForFetch && round === 0) keep.set(`${s.size}|${t.key}`, [topic, r.delivered]);
            else await deleteTopics(t.port, [topic]);
            if (r.failed > 0 && r.delivered === 0)
              throw new Error(`${r.failed} records failed, none delivered`);
            return {
              value: r.mbPerSec,
              detail: `${fmtNum(r.recordsPerSec)} records/s${r.capped ? `, stopped at the ${capMs / 1000} s cap after ${fmtNum(r.delivered)} records` : ""}${r.failed ? `, ${r.failed} failed` : ""}`,
            };
          },
        );
        recordShape(title, "MB/s", res, {
          fsync,
          chart: "throughput",
          note: `${fmtNum(count)} records${s.producers > 1 ? ` over ${s.producers} processes, one partition each` : ""}; wall time incl. process start`,
        });
      };

      for (const size of [100, 1024, 10 * 1024]) {
        for (const acks of [1, -1] as const) {
          await produceShape({
            size,
            acks,
            producers: 1,
            codec: "none",
            keepForFetch: acks === 1 && size <= 1024,
          });
        }
      }

      // ---- 5. fetch from the page cache: the acks=1 topics written above
      for (const size of [1024, 100]) {
        const title = `fetch ${sizeLabel(size)} records from the page cache, librdkafka consumer, 1 partition`;
        const res = await sideBySide(title, { rounds }, async (t) => {
          const [topic, n] = keep.get(`${size}|${t.key}`) ?? ["", 0];
          if (!n) throw new Error("no topic written earlier in the run");
          const out = await run(
            perf,
            ["-C", "-t", topic, "-b", t.bootstrap, "-p", "0", "-o", "beginning", "-c", String(n)],
            capMs * 2,
          );
          const r = parsePerf(out);
          return { value: r.mbPerSec, detail: `${fmtNum(r.msgsPerSec)} records/s` };
        });
        recordShape(title, "MB/s", res, {
          chart: "throughput",
          note: "records written earlier in the run (rdkafka_performance's own timing)",
        });
      }

      for (const producers of [8, 64]) {
        for (const acks of [1, -1] as const) {
          await produceShape({ size: 1024, acks, producers, codec: "none" });
        }
      }
      for (const codec of ["lz4", "zstd"] as const) {
        await produceShape({ size: 1024, acks: 1, producers: 1, codec });
      }
      for (const [k, [topic]] of keep) {
        const t = targets.find((x) => x.key === k.split("|")[1]);
        if (t) await deleteTopics(t.port, [topic]);
      }
    }

    // ---- 6. Kafka's own clients: ProducerPerformance / ConsumerPerformance
    if (kafkaWhy && !kafkaCluster && apacheKafkaUnavailable()) {
      ctx.record({
        name: "Kafka's ProducerPerformance / ConsumerPerformance",
        value: Number.NaN,
        unit: "n/a",
        notes: `not run: ${apacheKafkaUnavailable()}`,
      });
    } else {
      const records = q ? 50_000 : 1_000_000;
      const payloadFile = join(ctx.tmpDir, "json-records.txt");
      {
        const rnd = rng(7);
        const lines: string[] = [];
        for (let i = 0; i < 2000; i++) lines.push(jsonRecord(rnd, i, 1024).toString());
        writeFileSync(payloadFile, `${lines.join("\n")}\n`);
      }
      const javaShape = async (s: {
        acks: 1 | -1;
        codec: "none" | "zstd";
        json: boolean;
        keep?: boolean;
      }) => {
        const fsync = s.acks === -1;
        const title = `produce 1 KiB records${s.json ? " (JSON events)" : ""}, acks=${s.acks}${s.codec !== "none" ? `, ${s.codec}` : ""}, Kafka's ProducerPerformance`;
        const res = await sideBySide(`${title}: ${fmtNum(records)} records`, { fsync }, async (t) => {
          const topic = `java-a${s.acks === 1 ? "1" : "all"}-${s.codec}-${t.key}`;
          await createTopic(t.port, topic, 1, t.topicConfigs);
          const r = await producerPerformance({
            bootstrap: t.bootstrap,
            topic,
            records,
            payload: s.json ? { file: payloadFile } : { size: 1024 },
            props: { acks: String(s.acks), "compression.type": s.codec },
            capMs,
          });
          if (!s.keep) await deleteTopics(t.port, [topic]);
          return {
            value: r.mbPerSec,
            detail: `${fmtNum(r.recordsPerSec)} records/s${r.capped ? `, stopped at the ${capMs / 1000} s cap after ${fmtNum(r.records)} records` : ""}`,
          };
        });
        recordShape(title, "MB/s", res, {
          fsync,
          chart: "throughput",
          note: `${fmtNum(records)} records; Java producer defaults otherwise (batch.size 16384, linger.ms 5${s.acks === -1 ? ", idempotent" : ""}); the tool's own steady-state figure after 10% warm-up records`,
        });
      };
      await javaShape({ acks: 1, codec: "none", json: false, keep: true });
      await javaShape({ acks: -1, codec: "none", json: false });
      await javaShape({ acks: 1, codec: "zstd", json: true });
      {
        const title = "fetch 1 KiB records from the page cache, Kafka's ConsumerPerformance";
        const res = await sideBySide(title, {}, async (t) => {
          const r = await consumerPerformance({
            bootstrap: t.bootstrap,
            topic: `java-a1-none-${t.key}`,
            records,
            group: `perf-${t.key}`,
            timeoutMs: capMs * 3,
          });
          await deleteTopics(t.port, [`java-a1-none-${t.key}`]);
          return { value: r.mbPerSec, detail: `${fmtNum(r.recordsPerSec)} records/s` };
        });
        recordShape(title, "MB/s", res, {
          chart: "throughput",
          note: `${fmtNum(records)} records written by the ProducerPerformance acks=1 run; group consumer; fetch time only (group join left out)`,
        });
      }
    }

    // ---- 7. other clients: kcat (one process, lines from a file) and KafkaJS
    try {
      const kcatPath = await kcat((m) => ctx.progress(m));
      const n = q ? 100_000 : 500_000;
      const file = join(ctx.tmpDir, "kcat-input.txt");
      writeFileSync(file, `${"x".repeat(1023)}\n`.repeat(n));
      const title = "produce 1 KiB records, acks=1, kcat (incl. process start)";
      const res = await sideBySide(`${title}: ${fmtNum(n)} records`, {}, async (t) => {
        const topic = `kcat-1024-${t.key}`;
        await createTopic(t.port, topic, 1, t.topicConfigs);
        const t0 = process.hrtime.bigint();
        await new Promise<void>((resolve, reject) => {
          const child = execFile(
            kcatPath,
            ["-b", t.bootstrap, "-P", "-t", topic, "-p", "0", "-X", "linger.ms=5"],
            { timeout: capMs * 2 },
            (e) => (e ? reject(e) : resolve()),
          );
          createReadStream(file).pipe(child.stdin!);
        });
        const secs = Number(process.hrtime.bigint() - t0) / 1e9;
        await deleteTopics(t.port, [topic]);
        return { value: (n * 1024) / secs / 1e6 };
      });
      recordShape(title, "MB/s", res, { chart: "throughput", note: `${fmtNum(n)} records` });
    } catch (e) {
      if (!(e instanceof PeerUnavailable)) throw e;
      ctx.record({ name: "kcat", value: Number.NaN, unit: "n/a", notes: e.message });
    }
    {
      const { Kafka, logLevel } = kafkajs().require("kafkajs");
      for (const size of [100, 1024]) {
        const total = q ? 50_000 : 300_000;
        const batch = 1000;
        const title = `produce ${sizeLabel(size)} records, acks=1, KafkaJS (batches of ${batch}, 4 in flight)`;
        const res = await sideBySide(`${title}: ${fmtNum(total)} records`, {}, async (t) => {
          const topic = `kafkajs-${size}-${t.key}`;
          await createTopic(t.port, topic, 1, t.topicConfigs);
          const kafka = new Kafka({ brokers: [t.bootstrap], logLevel: logLevel.NOTHING });
          const producer = kafka.producer({ allowAutoTopicCreation: false });
          await producer.connect();
          try {
            const value = Buffer.alloc(size, 120);
            const messages = Array.from({ length: batch }, () => ({ value }));
            const t0 = process.hrtime.bigint();
            let sent = 0;
            const worker = async () => {
              while (sent < total) {
                sent += batch;
                await producer.send({ topic, acks: 1, messages });
              }
            };
            await Promise.all([worker(), worker(), worker(), worker()]);
            const secs = Number(process.hrtime.bigint() - t0) / 1e9;
            return { value: (sent * size) / secs / 1e6, detail: `${fmtNum(sent / secs)} records/s` };
          } finally {
            await producer.disconnect();
            await deleteTopics(t.port, [topic]);
          }
        });
        recordShape(title, "MB/s", res, { chart: "throughput", note: `${fmtNum(total)} records` });
      }
    }

    // ---- 8. end-to-end latency at fixed rates (see e2e-latency.ts for why the producers are paced)
    {
      ctx.progress("sync: writing back the page cache before the latency runs");
      await run("sync", [], 300_000);
      const rates = [1_000, 10_000];
      const seconds = q ? 2 : 5;
      const rounds = q ? 1 : 3;
      const haveKcat = await kcat()
        .then(() => true)
        .catch(() => false);
      const kinds = (haveKcat ? ["codec", "kcat"] : ["codec"]) as Array<"codec" | "kcat">;
      const lat = new Map<string, LatencyRecorder>();
      const rec = (k: string) => {
        let r = lat.get(k);
        if (!r) lat.set(k, (r = new LatencyRecorder()));
        return r;
      };
      const latTargets = targets.filter((t) => t.key !== "kafkaFsync");
      const errors = new Map<string, string>();
      try {
        let seq = 0;
        for (let round = 1; round <= rounds; round++) {
          for (const rate of rates) {
            ctx.progress(
              `latency round ${round}/${rounds}, ${fmtNum(rate)} records/s: TCP relay (no broker)`,
            );
            await measureRelayEndToEnd(rate, seconds, rec(`relay|${rate}`));
            for (const kind of kinds) {
              const order = seq++ % 2 === 0 ? latTargets : [...latTargets].reverse();
              for (const t of order) {
                ctx.progress(
                  `latency round ${round}/${rounds}, ${fmtNum(rate)} records/s: ${kind === "kcat" ? "kcat" : "Node producer"} -> ${t.short} -> Fetch`,
                );
                try {
                  await measureKafkaEndToEnd(
                    {
                      port: t.port,
                      topic: `latency-${kind}-${rate}-${round}-${t.key}`,
                      rate,
                      seconds,
                      producer: kind,
                    },
                    rec(`${t.key}|${kind}|${rate}`),
                  );
                } catch (e) {
                  errors.set(`${t.key}|${kind}|${rate}`, (e as Error).message.split("\n")[0]!);
                }
              }
            }
          }
        }
        for (const rate of rates) {
          const relay = rec(`relay|${rate}`).summary();
          for (const kind of kinds) {
            const label = kind === "kcat" ? "kcat (librdkafka, linger.ms=0)" : "Node producer (Brook codec)";
            for (const [pct, key] of [
              ["p50", "p50"],
              ["p99", "p99"],
              ["p99.9", "p999"],
            ] as const) {
              const res = new Map<Key, Outcome>();
              for (const t of latTargets) {
                const err = errors.get(`${t.key}|${kind}|${rate}`);
                const r = lat.get(`${t.key}|${kind}|${rate}`);
                const s = r?.summary();
                res.set(
                  t.key,
                  err
                    ? { value: Number.NaN, error: err }
                    : { value: s && s.count > 0 ? s[key] / 1000 : Number.NaN },
                );
              }
              recordShape(`end-to-end latency ${pct} at ${fmtNum(rate)} records/s, ${label}`, "ms", res, {
                chart: "latency",
                note: `${rounds} × ${seconds} s at ${fmtNum(rate)} records/s of ${RECORD_SIZE} B, acks=1, long-polling Fetch consumer; a TCP relay in place of the broker: ${(relay[key] / 1000).toPrecision(3)} ms`,
              });
            }
          }
        }
      } finally {
        for (const l of lat.values()) l.destroy();
      }
    }
  } finally {
    const bUse = brookMon.stop();
    const kUse = kafkaMon?.stop() ?? null;
    await brokerProc.stop();
    await kafkaCluster?.stop().catch(() => {});
    const minutes = ((Date.now() - suiteStart) / 60_000).toFixed(1);
    const peer = (v: number | undefined) =>
      kafkaWhy && !kUse ? notRun() : { name: `${KAFKA} (-Xmx1G -Xms1G)`, value: v ?? Number.NaN };
    ctx.record({
      name: "broker peak RSS over the run",
      value: (bUse?.peakRssBytes ?? Number.NaN) / 1e6,
      unit: "MB",
      peer: peer(kUse ? kUse.peakRssBytes / 1e6 : undefined),
      notes: "VmHWM of the broker process; both ran through the whole suite",
    });
    ctx.record({
      name: "broker CPU time over the run",
      value: bUse?.cpuSeconds ?? Number.NaN,
      unit: "s",
      peer: peer(kUse?.cpuSeconds),
      notes: `user + system, both brokers alive for the same ${minutes} min (idle while the other one was measured)`,
    });
    const fsyncCpu = cpuInRuns.get("kafkaFsync");
    ctx.record({
      name: "broker CPU time inside the measured runs",
      value: cpuInRuns.get("brook") ?? Number.NaN,
      unit: "s",
      peer: peer(cpuInRuns.get("kafka")),
      notes:
        "sum over every shape of the broker's CPU time during its own runs (Kafka: default-flush runs, the same shapes as Brook's)" +
        (fsyncCpu !== undefined ? `; Kafka's flush-per-write runs took ${fsyncCpu.toFixed(1)} s more` : ""),
    });
    if (throughputRows.length)
      ctx.chart?.({
        name: "throughput",
        title: "broker: throughput, Brook and Apache Kafka (same run, same clients)",
        spec: barChart({
          title: "MB/s (higher is better)",
          data: throughputRows,
          category: "shape",
          value: "value",
          valueTitle: "MB/s",
          color: "broker",
          horizontal: true,
        }),
      });
    if (latencyRows.length)
      ctx.chart?.({
        name: "latency",
        title: "broker: end-to-end latency, Brook and Apache Kafka (same run)",
        spec: barChart({
          title: "ms (lower is better)",
          data: latencyRows,
          category: "shape",
          value: "value",
          valueTitle: "ms",
          color: "broker",
          horizontal: true,
          logScale: true,
        }),
      });
  }
}
