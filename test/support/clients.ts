/**
 * The producer/admin clients the interop tests run with: KafkaJS 2.2.4 from npm and Brook's own
 * KafkaJS-compatible client (src/client). A test written once against `client.module` runs once per
 * client with the same assertions:
 *
 *   describeEachClient("producer against Brook", (client) => {
 *     const kafka = new client.module.Kafka({ ... });
 *   });
 *
 * which is `for (const c of CLIENTS) describe(\`producer against Brook (${c.name})\`, ...)` without
 * indenting the suite's body one level deeper. Consumers stay KafkaJS's in both runs.
 *
 * BROOK_TEST_CLIENTS=brook or =kafkajs (or a comma-separated list) narrows the run.
 */
import { createRequire } from "node:module";
import { describe, type TestOptions, test } from "node:test";
import type * as KafkaJS from "kafkajs";
import * as brook from "../../src/client/index.js";

const require = createRequire(import.meta.url);

/**
 * KafkaJS's CommonJS exports, loaded with require: its error classes are spread into
 * `module.exports`, which Node's ES-module named-export detection does not see.
 */
export const kafkajs: typeof KafkaJS = require("kafkajs");

/** What a test uses of a client module: the same names as `kafkajs`. */
export type ClientModule = Pick<
  typeof KafkaJS,
  | "Kafka"
  | "CompressionTypes"
  | "logLevel"
  | "Partitioners"
  | "ConfigResourceTypes"
  | "KafkaJSError"
  | "KafkaJSNonRetriableError"
  | "KafkaJSProtocolError"
  | "KafkaJSConnectionError"
  | "KafkaJSRequestTimeoutError"
  | "KafkaJSNumberOfRetriesExceeded"
  | "KafkaJSServerDoesNotSupportApiKey"
  | "KafkaJSSASLAuthenticationError"
  | "KafkaJSAggregateError"
  | "KafkaJSDeleteGroupsError"
>;

export type ClientName = "KafkaJS" | "Brook";

export interface ClientUnderTest {
  name: ClientName;
  module: ClientModule;
}

const ALL: ClientUnderTest[] = [
  { name: "KafkaJS", module: kafkajs },
  // One static type for both clients, so a test body is written once. Whether Brook's declarations
  // really accept what KafkaJS code writes is checked by test/client/types.test.ts, which compiles a
  // KafkaJS application against each.
  { name: "Brook", module: brook as unknown as ClientModule },
];

function selected(): ClientUnderTest[] {
  const wanted = process.env.BROOK_TEST_CLIENTS?.toLowerCase()
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (!wanted || wanted.length === 0) return ALL;
  const unknown = wanted.filter((w) => !ALL.some((c) => c.name.toLowerCase() === w));
  if (unknown.length > 0) {
    throw new Error(`BROOK_TEST_CLIENTS: unknown client(s) ${unknown.join(", ")} (use brook, kafkajs)`);
  }
  return ALL.filter((c) => wanted.includes(c.name.toLowerCase()));
}

export const CLIENTS: ClientUnderTest[] = selected();

/** The client named `name` (for tests that need one particular client, e.g. Brook's). */
export function client(name: ClientName): ClientUnderTest {
  return ALL.find((c) => c.name === name)!;
}

/** One `describe` per selected client, named `<name> (<client>)`. */
export function describeEachClient(name: string, fn: (c: ClientUnderTest) => void): void {
  for (const c of CLIENTS) describe(`${name} (${c.name})`, () => fn(c));
}

/** One top-level `test` per selected client, named `<name> (<client>)`. */
export function testEachClient(
  name: string,
  options: TestOptions,
  fn: (c: ClientUnderTest) => Promise<void>,
): void {
  for (const c of CLIENTS) test(`${name} (${c.name})`, options, () => fn(c));
}
