#!/usr/bin/env node
/** The `brook` command. */
import { Command } from "commander";

const program = new Command();
program.name("brook").description("Brook: a Kafka-compatible event-streaming platform for Node.js");
program
  .command("start")
  .description("start a broker")
  .action(() => {
    process.stderr.write("brook start: the broker is being built (see the README's status section)\n");
    process.exitCode = 1;
  });
program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`brook: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 2;
});
