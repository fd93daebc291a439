/**
 * Group members as child processes (fixtures/member.ts) and what the tests read from them: joins,
 * processed records and acknowledged commits, each with the time (test-process clock) it was seen.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Admin, Producer } from "../../../src/client/index.js";
import { startTestBroker, type TestBroker } from "../../../src/testing/index.js";
import { brookKafka, until } from "./support.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/member.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export interface MemberOptions {
  bootstrap: string;
  groupId: string;
  topic: string;
  client: "brook" | "kafkajs";
  sessionTimeout: number;
  delayMs?: number;
  assigner?: "roundRobin" | "range" | "cooperativeSticky";
  groupInstanceId?: string;
  groupProtocol?: "classic" | "consumer";
  groupRemoteAssignor?: string;
}

export class Member {
  readonly proc: ChildProcess;
  readonly joins: Array<{ at: number; memberId: string; partitions: number[] }> = [];
  /** partition -> offsets processed, in order. */
  readonly processed = new Map<number, number[]>();
  /** partition -> time each offset was (first) processed. */
  readonly processedAt = new Map<number, Map<number, number>>();
  /** partition -> acknowledged commits in order. */
  readonly commits = new Map<number, Array<{ at: number; offset: number }>>();
  running = false;
  exited = false;
  output = "";
  private buf = "";

  constructor(
    readonly name: string,
    readonly options: MemberOptions,
  ) {
    this.proc = spawn(process.execPath, ["--import", "tsx", FIXTURE, JSON.stringify(options)], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.proc.stdout!.on("data", (d: Buffer) => this.onData(d.toString()));
    this.proc.stderr!.on("data", (d: Buffer) => (this.output += d.toString()));
    this.proc.on("exit", () => (this.exited = true));
  }

  private onData(s: string): void {
    this.buf += s;
    for (let i = this.buf.indexOf("\n"); i >= 0; i = this.buf.indexOf("\n")) {
      const line = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 1);
      this.output += `${line}\n`;
      const now = performance.now();
      const [kind, a, b] = line.split(" ", 3);
      if (kind === "REC") {
        const p = Number(a);
        const o = Number(b);
        if (!this.processed.has(p)) {
          this.processed.set(p, []);
          this.processedAt.set(p, new Map());
        }
        this.processed.get(p)!.push(o);
        if (!this.processedAt.get(p)!.has(o)) this.processedAt.get(p)!.set(o, now);
      } else if (kind === "JOIN") {
        const assignment = JSON.parse(line.slice(line.indexOf("{"))) as Record<string, number[]>;
        this.joins.push({
          at: now,
          memberId: a!,
          partitions: [...(assignment[this.options.topic] ?? [])].sort(),
        });
      } else if (kind === "COMMIT") {
        for (const c of JSON.parse(line.slice(7)) as Array<{ partition: number; offset: number }>) {
          if (!this.commits.has(c.partition)) this.commits.set(c.partition, []);
          this.commits.get(c.partition)!.push({ at: now, offset: c.offset });
        }
      } else if (kind === "RUNNING") this.running = true;
    }
  }

  /** Partitions of the latest join. */
  get assignment(): number[] {
    return this.joins.at(-1)?.partitions ?? [];
  }

  lastCommit(partition: number): number {
    return this.commits.get(partition)?.at(-1)?.offset ?? -1;
  }

  kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      this.proc.once("exit", () => resolve());
      this.proc.kill(signal);
    });
  }
}

/**
 * Every offset below each high watermark processed by some member; returns, per partition, the
 * offsets processed more than once with the members that processed them.
 */
export function checkDelivery(
  members: Member[],
  highWatermarks: Map<number, number>,
): Map<number, Map<number, string[]>> {
  const duplicates = new Map<number, Map<number, string[]>>();
  for (const [partition, hw] of highWatermarks) {
    const by = new Map<number, string[]>();
    for (const m of members) {
      for (const o of m.processed.get(partition) ?? []) {
        if (!by.has(o)) by.set(o, []);
        by.get(o)!.push(m.name);
      }
    }
    for (let o = 0; o < hw; o++) {
      if (!by.has(o)) throw new Error(`partition ${partition} offset ${o} was never processed`);
    }
    for (const [o, names] of by) {
      if (names.length > 1) {
        if (!duplicates.has(partition)) duplicates.set(partition, new Map());
        duplicates.get(partition)!.set(o, names);
      }
    }
  }
  return duplicates;
}

/** Produces one record per partition every `everyMs` until stop() is awaited. */
export function keepProducing(
  send: (messages: Array<{ partition: number; value: string }>) => Promise<unknown>,
  partitions: number,
  everyMs = 20,
): { stop(): Promise<number> } {
  let running = true;
  let sent = 0;
  const loop = (async () => {
    while (running) {
      await send(Array.from({ length: partitions }, (_, p) => ({ partition: p, value: `r${sent + p}` })));
      sent += partitions;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return sent;
    },
  };
}

/** Whether the members' latest assignments cover partitions 0..partitions-1, each exactly once. */
export function coversAll(group: Member[], partitions: number): boolean {
  const all = group.flatMap((m) => m.assignment).sort((a, b) => a - b);
  return all.length === partitions && all.every((p, i) => p === i);
}

/**
 * A Brook broker with a connected admin and producer of Brook's client, for suites whose group
 * members run in processes against it; close() kills the members before the rest stops.
 */
export class MemberTestBed {
  readonly members: Member[] = [];

  private constructor(
    readonly broker: TestBroker,
    readonly admin: Admin,
    readonly producer: Producer,
  ) {}

  static async start(brokerOptions?: Parameters<typeof startTestBroker>[0]): Promise<MemberTestBed> {
    const broker = await startTestBroker(brokerOptions);
    const kafka = brookKafka(broker.bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer();
    await producer.connect();
    return new MemberTestBed(broker, admin, producer);
  }

  /** A member process against this broker, killed by close() if the test has not. */
  start(name: string, options: Omit<MemberOptions, "bootstrap">): Member {
    const m = new Member(name, { bootstrap: this.broker.bootstrap, ...options });
    this.members.push(m);
    return m;
  }

  /** One record to every partition of `topic` every 20 ms, until stop(). */
  keepProducing(topic: string, partitions: number): { stop(): Promise<number> } {
    return keepProducing((messages) => this.producer.send({ topic, messages }), partitions);
  }

  async highWatermarks(topic: string): Promise<Map<number, number>> {
    return new Map((await this.admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
  }

  /** Waits until the group processed the last record of every partition; returns the high watermarks. */
  async drained(group: Member[], topic: string): Promise<Map<number, number>> {
    const hw = await this.highWatermarks(topic);
    await until(
      () =>
        [...hw].every(
          ([p, end]) => end === 0 || group.some((m) => (m.processed.get(p) ?? []).includes(end - 1)),
        ),
      30000,
      "every record processed",
    );
    return hw;
  }

  async close(): Promise<void> {
    await Promise.all(this.members.map((m) => m.kill()));
    await this.producer.disconnect();
    await this.admin.disconnect();
    await this.broker.close();
  }
}
