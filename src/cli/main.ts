#!/usr/bin/env node
/** The `brook` command line. */
import { Command, InvalidArgumentError } from "commander";
import { startCommand } from "./start.js";

const program = new Command();
program
  .name("brook")
  .description("Brook: a Kafka-compatible event-streaming platform for Node.js")
  .showHelpAfterError()
  .exitOverride((err) => {
    process.exit(err.exitCode === 0 ? 0 : 2);
  });

const collect = (value: string, prev: string[]): string[] => [...prev, value];
const port = (value: string): number => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError("must be an integer from 0 to 65535");
  return n;
};

program
  .command("start")
  .description("start a broker (Kafka endpoint) in the foreground")
  .option("--host <host>", "address to listen on", "127.0.0.1")
  .option("--port <port>", "port to listen on (0 = any free port)", port, 9092)
  .option("--data-dir <dir>", "where partition logs and metadata are kept", "./data")
  .option("--config <file>", "a Kafka-style .properties file of broker configs")
  .option("--set <key=value>", "a broker config by its Kafka name (repeatable)", collect, [])
  .option("--advertised-host <host>", "host name given to clients in metadata")
  .option("--log-level <level>", "trace, debug, info, warn or error", process.env.BROOK_LOG_LEVEL ?? "info")
  .action(startCommand);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`brook: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
