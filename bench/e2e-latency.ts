/**
 * End-to-end latency at a fixed rate: producer process -> broker -> long-polling consumer.
 *
 * Every record's value starts with the wall-clock time in microseconds at which the producer side
 * created it (16 digits, padded to 100 bytes), so latency is measured to the microsecond instead of
 * the millisecond of Kafka's record timestamps. Producers are paced, not spinning: a producer that
 * busy-waits for its rate (rdkafka_performance -r does) takes a whole core of this 2-core machine
 * away from the broker and the consumer, and the figure would measure that.
 *
 * Producers: kcat (librdkafka) fed lines at the rate on stdin, and a Node process writing Produce
 * requests with Brook's codec once per millisecond. The consumer is a raw Fetch loop (Brook's codec)
 * in this process. The limit beside them: the same three-process shape with a plain Node TCP relay
 * in place of the broker (no protocol, no storage).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import type { LatencyRecorder } from "./latency.js";
import { CreateTopics } from "../src/protocol/messages/create-topics.js";
import { Fetch } from "../src/protocol/messages/fetch.js";
import { decodeRecordBatches } from "../src/protocol/records/record-batch.js";
import { RawClient } from "../test/support/raw-client.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
export const RECORD_SIZE = 100;

/** Microseconds since the epoch, comparable across processes on one machine. */
export function wallMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

/** The 16 leading digits of a timestamped value. */
export function stampedMicros(value: Buffer): number {
  return Number(value.subarray(0, 16).toString("latin1"));
}

// Paces `total` records at `rate`/s: each millisecond tick creates the records due by then, each
// stamped at creation, and hands them to `emit` (as newline-separated lines or one string).
const PACER = `
const pace = (rate, total, emit, done) => {
  const t0 = performance.now();
  let sent = 0;
  const now = () => Math.round((performance.timeOrigin + performance.now()) * 1000);
  const tick = () => {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
    if (due > sent) {
      const values = [];
      for (; sent < due; sent++) { const t = String(now()); values.push(t + "x".repeat(${RECORD_SIZE} - t.length)); }
      emit(values);
    }
    if (sent >= total) done(); else setTimeout(tick, 1);
  };
  tick();
};
`;

// Writes paced lines to stdout (piped into kcat's stdin).
const LINE_FEEDER = `${PACER}
const [rate, total] = process.argv.slice(1).map(Number);
pace(rate, total, (v) => process.stdout.write(v.join("\\n") + "\\n"), () => process.stdout.end());
`;

// A TCP producer for the relay limit: paced values written to the relay.
const TCP_PRODUCER = `${PACER}
const net = require("node:net");
const [port, rate, total] = process.argv.slice(1).map(Number);
const s = net.connect(port, "127.0.0.1", () => {
  s.setNoDelay(true);
  s.write("P");
  setTimeout(() => pace(rate, total, (v) => s.write(v.join("")), () => s.end()), 100);
});
`;

// The relay: the first connection to say "C" is the consumer; bytes from others go to it.
const RELAY = `
const net = require("node:net");
let consumer = null;
const srv = net.createServer((s) => {
  s.setNoDelay(true);
  s.on("error", () => {});
  s.once("data", (d) => {
    if (d[0] === 67) { consumer = s; return; }
    if (d.length > 1) consumer && consumer.write(d.subarray(1));
    s.on("data", (x) => consumer && consumer.write(x));
  });
});
srv.listen(0, "127.0.0.1", () => console.log(srv.address().port));
`;

function waitExit(child: ChildProcess, what: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${what} did not finish in ${timeoutMs} ms`));
    }, timeoutMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${what} exited with ${code}`));
    });
  });
}

export interface E2eOptions {
  port: number;
  topic: string;
  rate: number;
  seconds: number;
  /** "kcat": librdkafka via kcat with linger.ms=0; "codec": Produce requests from Brook's codec. */
  producer: "kcat" | "codec";
}

/**
 * Produces at a fixed rate to partition 0 of a new topic and records each record's arrival at a
 * Fetch consumer into `lat`.
 */
export async function measureKafkaEndToEnd(o: E2eOptions, lat: LatencyRecorder): Promise<void> {
  const total = o.rate * o.seconds;
  const c = await RawClient.connect(o.port);
  try {
    const created = await c.request(CreateTopics, 5, {
      topics: [{ name: o.topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 5000,
      validateOnly: false,
    });
    const err = created.topics[0]?.errorCode ?? -1;
    if (err !== 0) throw new Error(`cannot create ${o.topic}: error ${err}`);
    let offset = 0n;
    let received = 0;
    let stop = false;
    const consumer = (async () => {
      while (!stop && received < total) {
        const res = await c.request(Fetch, 11, {
          replicaId: -1,
          maxWaitMs: 100,
          minBytes: 1,
          maxBytes: 1 << 20,
          isolationLevel: 0,
          sessionEpoch: -1,
          topics: [
            {
              topic: o.topic,
              partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 1 << 20 }],
            },
          ],
        });
        const now = wallMicros();
        const records = res.responses[0]?.partitions[0]?.records;
        if (!records || records.length === 0) continue;
        for (const b of await decodeRecordBatches(records)) {
          for (const r of b.records) {
            if (r.value && r.value.length === RECORD_SIZE) lat.recordMicros(now - stampedMicros(r.value));
            received++;
          }
          offset = b.header.baseOffset + BigInt(b.header.lastOffsetDelta) + 1n;
        }
      }
    })();
    const timeout = (o.seconds + 30) * 1000;
    if (o.producer === "kcat") {
      const kcat = spawn(
        "kcat",
        [
          "-P",
          "-b",
          `127.0.0.1:${o.port}`,
          "-t",
          o.topic,
          "-p",
          "0",
          "-X",
          "linger.ms=0",
          "-X",
          "socket.nagle.disable=true",
          "-X",
          "acks=1",
        ],
        { stdio: ["pipe", "ignore", "inherit"] },
      );
      const feeder = spawn(process.execPath, ["-e", LINE_FEEDER, String(o.rate), String(total)], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      feeder.stdout!.pipe(kcat.stdin!);
      await Promise.all([waitExit(feeder, "line feeder", timeout), waitExit(kcat, "kcat", timeout)]);
    } else {
      const producer = spawn(
        process.execPath,
        [
          "--import",
          "tsx",
          "bench/workers/paced-producer.ts",
          String(o.port),
          o.topic,
          String(o.rate),
          String(total),
        ],
        { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] },
      );
      await waitExit(producer, "paced producer", timeout);
    }
    const deadline = Date.now() + 5000;
    while (received < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    stop = true;
    await consumer;
    if (received < total) throw new Error(`only ${received} of ${total} records arrived`);
  } finally {
    c.close();
  }
}

/** The same three processes with a bare TCP relay in place of the broker; records into `lat`. */
export async function measureRelayEndToEnd(
  rate: number,
  seconds: number,
  lat: LatencyRecorder,
): Promise<void> {
  const total = rate * seconds;
  const relay = spawn(process.execPath, ["-e", RELAY], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      relay.stdout!.once("data", (d: Buffer) => resolve(Number(String(d).trim())));
      relay.once("exit", (code) => reject(new Error(`relay exited with ${code}`)));
    });
    const sock = connect(port, "127.0.0.1");
    sock.setNoDelay(true);
    await new Promise((r) => sock.once("connect", r));
    sock.write("C");
    let pending = "";
    let received = 0;
    sock.on("data", (d: Buffer) => {
      const now = wallMicros();
      pending += d.toString("latin1");
      let at = 0;
      while (pending.length - at >= RECORD_SIZE) {
        lat.recordMicros(now - Number(pending.slice(at, at + 16)));
        at += RECORD_SIZE;
        received++;
      }
      pending = pending.slice(at);
    });
    await new Promise((r) => setTimeout(r, 100));
    const producer = spawn(
      process.execPath,
      ["-e", TCP_PRODUCER, String(port), String(rate), String(total)],
      {
        stdio: ["ignore", "inherit", "inherit"],
      },
    );
    await waitExit(producer, "relay producer", (seconds + 30) * 1000);
    const deadline = Date.now() + 5000;
    while (received < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    sock.destroy();
    if (received < total) throw new Error(`relay: only ${received} of ${total} records arrived`);
  } finally {
    relay.kill();
  }
}
