#!/usr/bin/env node
/** The `brook` command line (the command tree is in program.ts). */
import { buildProgram } from "./program.js";

const program = buildProgram();
program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`brook: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
