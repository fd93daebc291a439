/**
 * The retrier against KafkaJS 2.2.4's, with real timers and small times: which errors are retried,
 * what is thrown at the end, what `bail` does, and the bounds of the randomised backoff.
 */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import {
  KafkaJSConnectionError,
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  protocolError,
} from "../../src/client/errors.js";
import { createRetry, RETRY_DEFAULTS, type RetryOptions } from "../../src/client/retry.js";

const require = createRequire(import.meta.url);
type AnyRetrier = (
  fn: (bail: (e?: Error) => unknown, count: number, time: number) => Promise<unknown>,
) => Promise<unknown>;
const kafkajsRetry = require("kafkajs/src/retry/index.js") as (opts?: RetryOptions) => AnyRetrier;
const kafkajsDefaults = require("kafkajs/src/retry/defaults.js") as typeof RETRY_DEFAULTS;
const kafkajsErrors = require("kafkajs/src/errors.js") as Record<string, new (...a: any[]) => Error>;

interface Call {
  count: number;
  time: number;
  at: number;
}

/** Runs `failures` throws of `makeError()` then succeeds (or keeps failing), recording every call. */
async function run(
  retrier: AnyRetrier,
  makeError: () => unknown,
  failures: number,
): Promise<{ calls: Call[]; result?: unknown; error?: any }> {
  const calls: Call[] = [];
  try {
    const result = await retrier(async (_bail, count, time) => {
      calls.push({ count, time, at: performance.now() });
      if (calls.length <= failures) throw makeError();
      return "ok";
    });
    return { calls, result };
  } catch (error) {
    return { calls, error };
  }
}

const fast: RetryOptions = {
  initialRetryTime: 10,
  maxRetryTime: 200,
  retries: 4,
  factor: 0.2,
  multiplier: 2,
};
const implementations: [string, (o?: RetryOptions) => AnyRetrier][] = [
  ["Brook", (o) => createRetry(o) as AnyRetrier],
  ["KafkaJS", kafkajsRetry],
];

describe("createRetry", () => {
  it("has KafkaJS's defaults", () => {
    assert.deepEqual({ ...RETRY_DEFAULTS }, { ...kafkajsDefaults });
  });

  for (const [name, make] of implementations) {
    it(`${name}: retries a retriable error and returns the eventual result`, async () => {
      const { calls, result } = await run(make(fast), () => new KafkaJSConnectionError("down"), 2);
      assert.equal(result, "ok");
      assert.deepEqual(
        calls.map((c) => c.count),
        [0, 1, 2],
      );
    });

    it(`${name}: retries errors that do not say retriable:false, but not programming errors`, async () => {
      const plain = await run(make(fast), () => new Error("plain"), 1);
      assert.equal(plain.result, "ok");
      const typeError = await run(make(fast), () => new TypeError("bug"), 1);
      assert.equal(typeError.calls.length, 1);
      assert.equal(typeError.error.name, "KafkaJSNonRetriableError");
      assert.equal(typeError.error.message, "bug");
    });

    it(`${name}: a non-retriable error ends it at once, wrapped, with the cause`, async () => {
      const original = protocolError(27); // REBALANCE_IN_PROGRESS, not retriable
      const { calls, error } = await run(make(fast), () => original, 5);
      assert.equal(calls.length, 1);
      assert.equal(error.name, "KafkaJSNonRetriableError");
      assert.equal(error.retriable, false);
      assert.equal(error.cause, original);
      assert.equal(error.message, original.message);
    });

    it(`${name}: exhaustion throws KafkaJSNumberOfRetriesExceeded with the last error as cause`, async () => {
      let n = 0;
      const { calls, error } = await run(
        make({ ...fast, retries: 3 }),
        () => new KafkaJSError(`fail ${++n}`),
        99,
      );
      assert.equal(calls.length, 4);
      assert.equal(error.name, "KafkaJSNumberOfRetriesExceeded");
      assert.equal(error.retriable, false);
      assert.equal(error.retryCount, 3);
      assert.equal(error.retryTime, calls[3]!.time);
      assert.equal(error.message, "fail 4");
      assert.equal(error.cause.message, "fail 4");
      assert.match(error.stack, /Caused by: .*fail 4/);
    });

    it(`${name}: bail rejects with the error given, unwrapped, and stops retrying`, async () => {
      const reason = new KafkaJSConnectionError("give up");
      let calls = 0;
      const retrier = make(fast);
      await assert.rejects(
        retrier(async (bail) => {
          calls++;
          if (calls === 2) bail(reason);
          throw new KafkaJSConnectionError("again");
        }),
        (e) => e === reason,
      );
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(calls, 2);
    });

    it(`${name}: waits retryTime between calls; each retryTime is the last one jittered by ±factor times multiplier`, async () => {
      const options = { initialRetryTime: 20, factor: 0.2, multiplier: 2, maxRetryTime: 150, retries: 4 };
      const { calls } = await run(make(options), () => new KafkaJSConnectionError("x"), 99);
      assert.equal(calls.length, 5);
      const first = calls[0]!.time;
      assert.ok(first >= 16 && first <= 24, `first retryTime ${first}`);
      for (let i = 1; i < calls.length; i++) {
        const prev = calls[i - 1]!;
        const cur = calls[i]!;
        const low = Math.min(Math.ceil(prev.time * 0.8) * 2, 150);
        const high = Math.min(Math.ceil(prev.time * 1.2) * 2, 150);
        assert.ok(cur.time >= low && cur.time <= high, `retryTime ${cur.time} after ${prev.time}`);
        // Timers may fire up to a millisecond early by rounding.
        assert.ok(cur.at - prev.at >= prev.time - 1.5, `waited ${cur.at - prev.at} for ${prev.time}`);
      }
      assert.equal(calls.at(-1)!.time, 150, "capped at maxRetryTime");
    });
  }

  it("Brook's errors are recognised by KafkaJS's retrier the same way (retriable flag)", async () => {
    const a = await run(kafkajsRetry(fast), () => protocolError(6), 1); // NOT_LEADER, retriable
    assert.equal(a.result, "ok");
    const b = await run(kafkajsRetry(fast), () => protocolError(29), 1); // authorization, not retriable
    assert.ok(b.error instanceof kafkajsErrors.KafkaJSNonRetriableError!);
    const c = await run(createRetry(fast) as AnyRetrier, () => protocolError(29), 1);
    assert.ok(c.error instanceof KafkaJSNonRetriableError);
    assert.ok(!(c.error instanceof KafkaJSNumberOfRetriesExceeded));
  });

  it("undefined options do not override the defaults", async () => {
    const { calls, error } = await run(
      createRetry({ retries: 1, initialRetryTime: 5, factor: undefined }) as AnyRetrier,
      () => new KafkaJSError("x"),
      9,
    );
    assert.equal(calls.length, 2);
    assert.equal(error.name, "KafkaJSNumberOfRetriesExceeded");
  });
});
