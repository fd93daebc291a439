/**
 * KafkaJS's retry policy: randomised exponential backoff, retrying every error that does not say
 * `retriable: false` (and is not a programming error), giving up after `retries` retries.
 */
import { KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded } from "./errors.js";

export interface RetryOptions {
  maxRetryTime?: number;
  initialRetryTime?: number;
  factor?: number;
  multiplier?: number;
  retries?: number;
  /** Read by the consumer when it crashes; the retrier itself ignores it. */
  restartOnFailure?: (e: Error) => Promise<boolean>;
}

/**
 * KafkaJS's defaults. KafkaJS swaps in faster ones when NODE_ENV=test, meant for its own test suite;
 * Brook does not, so an application behaves the same under a test runner as in production.
 */
export const RETRY_DEFAULTS = {
  maxRetryTime: 30_000,
  initialRetryTime: 300,
  factor: 0.2,
  multiplier: 2,
  retries: 5,
} as const;

/** Stops retrying: the retrier rejects with `e` as given, and the call throws so the attempt ends. */
export type Bail = (e?: Error) => never;

export type RetriableFunction<T> = (bail: Bail, retryCount: number, retryTime: number) => Promise<T>;

export type Retrier = <T>(fn: RetriableFunction<T>) => Promise<T>;

/** Errors from bugs in the calling code: retrying cannot help. */
const PROGRAMMING_ERRORS = new Set(["RangeError", "ReferenceError", "SyntaxError", "TypeError"]);

function shouldRetry(e: unknown): boolean {
  if (e === null || typeof e !== "object") return true;
  const { retriable, name } = e as { retriable?: unknown; name?: unknown };
  return retriable !== false && !PROGRAMMING_ERRORS.has(name as string);
}

/** A whole number of ms drawn uniformly from [time·(1−factor), time·(1+factor)], rounded up. */
export function jitter(factor: number, time: number): number {
  const low = time * (1 - factor);
  const high = time * (1 + factor);
  return Math.ceil(low + Math.random() * (high - low));
}

/** The wait after the next failure, given the current one: jittered, multiplied, capped. */
export function nextRetryTime(
  current: number,
  options: Required<Omit<RetryOptions, "restartOnFailure">>,
): number {
  return Math.min(jitter(options.factor, current) * options.multiplier, options.maxRetryTime);
}

/** The marker `bail` throws so the attempt stops; the retrier has already settled by then. */
class Bailed extends Error {}

export function createRetry(options: RetryOptions = {}): Retrier {
  const config = { ...RETRY_DEFAULTS, ...withoutUndefined(options) };

  return <T>(fn: RetriableFunction<T>) =>
    new Promise<T>((resolve, reject) => {
      let done = false;
      const bail: Bail = (e) => {
        if (!done) {
          done = true;
          reject(e ?? new Error("Aborted"));
        }
        throw new Bailed();
      };

      const attempt = (retryTime: number, retryCount: number) => {
        if (done) return;
        let pending: Promise<T>;
        try {
          pending = fn(bail, retryCount, retryTime);
        } catch (e) {
          pending = Promise.reject(e);
        }
        pending.then(
          (value) => {
            if (done) return;
            done = true;
            resolve(value);
          },
          (e: unknown) => {
            if (done) return;
            const error = e instanceof Error ? e : new Error(String(e));
            if (!shouldRetry(e)) {
              done = true;
              reject(new KafkaJSNonRetriableError(error, { cause: (error.cause as Error) ?? error }));
            } else if (retryCount >= config.retries) {
              done = true;
              reject(new KafkaJSNumberOfRetriesExceeded(error, { retryCount, retryTime }));
            } else {
              // The first retry waits the (jittered) initial time; each later wait grows by `multiplier`.
              const next = nextRetryTime(retryTime, config);
              setTimeout(() => attempt(next, retryCount + 1), retryTime);
            }
          },
        );
      };

      attempt(jitter(config.factor, config.initialRetryTime), 0);
    });
}

/** `{ retries: undefined }` must not override a default, as Object.assign would. */
function withoutUndefined(options: RetryOptions): Partial<typeof RETRY_DEFAULTS> {
  const out: Record<string, number> = {};
  for (const key of Object.keys(RETRY_DEFAULTS) as (keyof typeof RETRY_DEFAULTS)[]) {
    const v = options[key];
    if (v !== undefined) out[key] = v;
  }
  return out;
}
