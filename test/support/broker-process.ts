/** Starts `brook start` as a real child process and waits for its "listening on" line. */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface BrokerProcess {
  proc: ChildProcess;
  port: number;
  output: () => string;
  /** Sends a signal and resolves with the exit code (null if killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function spawnBroker(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 15000,
): Promise<BrokerProcess> {
  // Tests start many brokers: no metrics endpoint (default port 9644) unless a test asks for one.
  const metrics = args.some((a) => a.startsWith("--metrics-port") || a === "--no-metrics")
    ? []
    : ["--no-metrics"];
  // Nor a web console (default port 8080).
  const noConsole = args.some((a) => a.startsWith("--console-port") || a === "--no-console")
    ? []
    : ["--no-console"];
  const proc = spawn(
    process.execPath,
    ["--import", "tsx", "src/cli/main.ts", "start", ...metrics, ...noConsole, ...args],
    {
      cwd: ROOT,
      env: { ...process.env, BROOK_LOG_LEVEL: "warn", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  // A broker must not outlive the test process that started it.
  const killOnExit = () => proc.kill("SIGKILL");
  process.on("exit", killOnExit);
  const exited = new Promise<number | null>((resolve) =>
    proc.on("exit", (code) => {
      process.off("exit", killOnExit);
      resolve(code);
    }),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`broker did not start within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /listening on [^\s:]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          proc,
          port: Number(m[1]),
          output: () => out,
          stop: (signal = "SIGTERM") => {
            if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
            return exited;
          },
        });
      }
    };
    proc.stdout!.on("data", onData);
    proc.stderr!.on("data", (d: Buffer) => {
      out += d.toString();
    });
    proc.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited with ${code} before listening:\n${out}`));
    });
  });
}

/** Runs `brook <args>` to completion; for CLI error tests. */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 15000,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
    proc.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const t = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`brook ${args.join(" ")} did not finish:\n${out}`));
    }, timeoutMs);
    proc.on("exit", (code) => {
      clearTimeout(t);
      resolve({ code, out });
    });
  });
}
