/** `brook profile` (being written). */
import type { Command } from "commander";

export function registerProfile(_program: Command): void {}
