/** `brook cluster` (being written). */
import type { Command } from "commander";

export function registerCluster(_program: Command): void {}
