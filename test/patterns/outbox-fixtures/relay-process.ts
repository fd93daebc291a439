/**
 * An outbox relay as a process of its own, for the crash tests: started with its options as one
 * JSON argument, it prints READY, then `PUBLISHED <n> SKIPPED <n> ERRORS <n>` whenever a count
 * changes, and stops cleanly on SIGTERM (STOPPED).
 */
import { Kafka, logLevel } from "../../../src/client/index.js";
import { startOutboxRelay } from "../../../src/patterns/index.js";

const options = JSON.parse(process.argv[2]!) as {
  bootstrap: string;
  connectionString: string;
  mode: "logical" | "polling";
  table: string;
  relayId: string;
  slot: string;
  batchSize: number;
};
const kafka = new Kafka({
  clientId: "outbox-relay-process",
  brokers: [options.bootstrap],
  logLevel: logLevel.NOTHING,
});
const relay = await startOutboxRelay({
  kafka,
  connectionString: options.connectionString,
  mode: options.mode,
  table: options.table,
  relayId: options.relayId,
  slot: options.slot,
  batchSize: options.batchSize,
  pollIntervalMs: 50,
  logger: { warn: (m) => process.stderr.write(`${m}\n`) },
});
console.log("READY");
let last = "";
const timer = setInterval(() => {
  const s = relay.stats();
  const line = `PUBLISHED ${s.published} SKIPPED ${s.skipped} ERRORS ${s.errors}`;
  if (line !== last) console.log((last = line));
}, 10);
process.once("SIGTERM", async () => {
  clearInterval(timer);
  await relay.stop();
  const s = relay.stats();
  console.log(`PUBLISHED ${s.published} SKIPPED ${s.skipped} ERRORS ${s.errors}`);
  console.log("STOPPED");
  process.exit(0);
});
