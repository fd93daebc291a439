/** `brook group` (being written). */
import type { Command } from "commander";

export function registerGroup(_program: Command): void {}
