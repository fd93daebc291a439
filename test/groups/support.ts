/** Helpers for the consumer-group interop tests (real clients against a real broker). */
import { execFile } from "node:child_process";
import type { Consumer, Producer } from "kafkajs";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value; throws with `what` after `ms`. */
export async function until<T>(
  fn: () => T | Promise<T>,
  ms = 15000,
  what = "condition",
  step = 50,
): Promise<T> {
  const end = performance.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (performance.now() > end) throw new Error(`${what} not met within ${ms} ms`);
    await sleep(step);
  }
}

/**
 * Lines written through console.log / info / warn / error while a sample runs (the samples print
 * their work, and a client at logLevel.INFO logs through the console); an Error as its message.
 */
export class ConsoleCapture {
  readonly lines: string[] = [];
  private readonly saved = { log: console.log, info: console.info, warn: console.warn, error: console.error };
  start(): this {
    const keep =
      (prefix: string) =>
      (...a: unknown[]) =>
        void this.lines.push(prefix + a.map(consoleText).join(" "));
    console.log = keep("");
    console.info = keep("");
    console.warn = keep("");
    console.error = keep("ERROR ");
    return this;
  }
  stop(): void {
    Object.assign(console, this.saved);
  }
  matching(re: RegExp): string[] {
    return this.lines.filter((l) => re.test(l));
  }
}

const consoleText = (x: unknown) =>
  typeof x === "string" ? x : x instanceof Error ? x.message : JSON.stringify(x);

/** Resolves once the consumer has joined its group (KafkaJS's GROUP_JOIN instrumentation event). */
export function joined(consumer: Consumer): Promise<{ memberAssignment: Record<string, number[]> }> {
  return new Promise((resolve) => {
    const off = consumer.on(consumer.events.GROUP_JOIN, (e) => {
      off();
      resolve(e.payload as { memberAssignment: Record<string, number[]> });
    });
  });
}

/**
 * For consumers that start at the latest offset (fromBeginning: false): sends marker messages to
 * every partition until `received()` reports one arrived, so records produced afterwards are after
 * the position the consumer resolved. No timing guess is involved.
 */
export async function untilConsuming(
  producer: Producer,
  topic: string,
  partitions: number,
  received: () => boolean,
  ms = 20000,
): Promise<void> {
  const end = performance.now() + ms;
  while (!received()) {
    if (performance.now() > end) throw new Error(`consumer of ${topic} did not start within ${ms} ms`);
    await producer.send({
      topic,
      messages: Array.from({ length: partitions }, (_, p) => ({
        partition: p,
        key: "__marker__",
        value: JSON.stringify({ marker: true }),
      })),
    });
    await sleep(150);
  }
}

export const isMarker = (v: Buffer | null | undefined) => v?.toString().includes('"marker":true') ?? false;

export function run(
  cmd: string,
  args: string[],
  opts: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      cmd,
      args,
      { timeout: opts.timeoutMs ?? 60000, maxBuffer: 64 << 20, env: { ...process.env, ...opts.env } },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
}
