/**
 * What a tool reports when the client fails: the error underneath the client's wrappers, and whether
 * it was a failure to connect at all. The CLI and the console map these to their own messages.
 */
import { KafkaJSAggregateError, KafkaJSNumberOfRetriesExceeded } from "./errors.js";

/** The first underlying error under retry and aggregate wrappers (a few levels at most). */
export function rootCause(e: unknown): unknown {
  let cur = e;
  for (let i = 0; i < 5; i++) {
    if (cur instanceof KafkaJSNumberOfRetriesExceeded && cur.cause) cur = cur.cause;
    else if (cur instanceof KafkaJSAggregateError && cur.errors.length > 0) cur = cur.errors[0];
    else break;
  }
  return cur;
}

/** A socket-level error meaning no connection could be made (refused, unknown host, unreachable, timed out). */
export function isConnectFailure(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EHOSTUNREACH" || code === "ETIMEDOUT";
}
