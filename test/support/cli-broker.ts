/**
 * A spawned Brook broker and a `brook` runner bound to it (-b 127.0.0.1:<port>) with its own empty
 * profile directory, so a developer's saved profiles never leak into a test.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnBroker } from "./broker-process.js";
import { type BrookResult, type RunBrookOptions, runBrook } from "./cli-process.js";

export interface CliBroker {
  port: number;
  bootstrap: string;
  configDir: string;
  /** `brook -b 127.0.0.1:<port> <args>`. */
  brook(args: string[], options?: RunBrookOptions): Promise<BrookResult>;
  /** `brook <args>` without -b (for connection-precedence tests), same profile directory. */
  brookBare(args: string[], options?: RunBrookOptions): Promise<BrookResult>;
  /** `brook ... --format json`, parsed; fails with the stderr when the command failed. */
  json<T = any>(args: string[], options?: RunBrookOptions): Promise<T>;
  stop(): Promise<void>;
}

export async function startCliBroker(extraArgs: string[] = []): Promise<CliBroker> {
  const dir = mkdtempSync(join(tmpdir(), "brook-cli-broker-"));
  const configDir = join(dir, "config");
  const broker = await spawnBroker(["--port", "0", "--data-dir", join(dir, "data"), ...extraArgs]);
  const bootstrap = `127.0.0.1:${broker.port}`;
  const withEnv = (options: RunBrookOptions = {}): RunBrookOptions => ({
    ...options,
    env: { BROOK_CONFIG_DIR: configDir, BROOK_BROKERS: "", BROOK_PROFILE: "", ...options.env },
  });
  const brookBare = (args: string[], options?: RunBrookOptions) => runBrook(args, withEnv(options));
  const brook = (args: string[], options?: RunBrookOptions) =>
    runBrook(["-b", bootstrap, ...args], withEnv(options));
  return {
    port: broker.port,
    bootstrap,
    configDir,
    brook,
    brookBare,
    async json(args, options) {
      const r = await brook([...args, "--format", "json"], options);
      if (r.code !== 0) throw new Error(`brook ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
      return JSON.parse(r.stdout);
    },
    async stop() {
      await broker.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
