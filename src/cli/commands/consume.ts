/** `brook consume` (being written). */
import type { Command } from "commander";

export function registerConsume(_program: Command): void {}
