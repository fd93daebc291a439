/** A real `brook start` process for the suites: ephemeral port, its own data dir, warn-level logs. */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

export interface BenchBroker {
  proc: ChildProcess;
  port: number;
  /** SIGTERM, resolved on exit. */
  stop(): Promise<void>;
}

/** Starts a broker; `configs` become `--set key=value` options. */
export function startBrokerProcess(
  dataDir: string,
  configs: Record<string, string> = {},
): Promise<BenchBroker> {
  const sets = Object.entries(configs).flatMap(([k, v]) => ["--set", `${k}=${v}`]);
  const proc = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "src/cli/main.ts",
      "start",
      "--port",
      "0",
      "--data-dir",
      dataDir,
      "--log-level",
      "warn",
      // Metrics on, as `brook start` runs by default, on any free port (suites may overlap).
      "--metrics-port",
      "0",
      // The web console too, as `brook start` runs by default.
      "--console-port",
      "0",
      ...sets,
    ],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));
  return new Promise((resolve, reject) => {
    let out = "";
    proc.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listening on [^\s:]+:(\d+)/.exec(out);
      if (m)
        resolve({
          proc,
          port: Number(m[1]),
          stop: () => {
            if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
            return exited;
          },
        });
    });
    proc.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    proc.on("exit", (code) => reject(new Error(`broker exited (${code}): ${out}`)));
  });
}
