/**
 * The three-step orchestrator in a process of its own, for the SIGKILL test. Argument: JSON
 * { bootstrap, prefix, timeoutMs, start: [{ id, data }] }. Starts the listed sagas (none on a
 * restart: recovery comes from the table), prints "READY", then "CHANGE <id> <status> <step>" per
 * committed change.
 */
import pg from "pg";
import { Kafka, logLevel } from "../../../src/client/index.js";
import { threeStepOrchestrator } from "./three-steps.js";

const opts = JSON.parse(process.argv[2]!) as {
  bootstrap: string;
  prefix: string;
  pg: pg.PoolConfig;
  timeoutMs: Record<string, number>;
  start: Array<{ id: string; data: unknown }>;
};
const kafka = new Kafka({
  clientId: "saga-orchestrator",
  brokers: [opts.bootstrap],
  logLevel: logLevel.NOTHING,
});
const pool = new pg.Pool(opts.pg);
const orchestrator = threeStepOrchestrator(kafka, pool, opts.prefix, opts.timeoutMs, (id, status, step) =>
  process.stdout.write(`CHANGE ${id} ${status} ${step}\n`),
);
await orchestrator.run();
process.stdout.write("READY\n");
for (const s of opts.start) await orchestrator.start(s.id, s.data as object);
process.stdout.write("STARTED\n");
