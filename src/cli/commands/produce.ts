/** `brook produce` (being written). */
import type { Command } from "commander";

export function registerProduce(_program: Command): void {}
