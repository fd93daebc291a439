/**
 * A private PostgreSQL server for tests that must restart it or need settings the machine's own
 * server does not have (wal_level=logical): initdb into a temporary directory, pg_ctl start on an
 * ephemeral 127.0.0.1 port with trust auth and its unix socket inside that directory. When the
 * tests run as root the server programs run as the `postgres` OS user (initdb refuses root).
 * The machine's PostgreSQL configuration is never touched.
 */
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface PostgresInstance {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  readonly connectionString: string;
  readonly dir: string;
  /** Stops (fast shutdown: sessions are disconnected) and starts the server again on the same port. */
  restart(mode?: "fast" | "immediate"): Promise<void>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

/** The newest /usr/lib/postgresql/<version>/bin that has initdb, or null. */
export function postgresBinDir(): string | null {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? join(root, versions[0]!, "bin") : null;
}

/** Why a private PostgreSQL cannot be started here, or null when it can. */
export function postgresUnavailable(): string | null {
  if (postgresBinDir() === null) {
    return "PostgreSQL server programs (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin: install the Debian package `postgresql`";
  }
  if (process.getuid?.() === 0 && spawnSync("id", ["-u", "postgres"]).status !== 0) {
    return "running as root without a `postgres` OS user to run initdb as: install the Debian package `postgresql`";
  }
  return null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

export async function startPostgres(
  options: { settings?: Record<string, string> } = {},
): Promise<PostgresInstance> {
  const bin = postgresBinDir();
  if (!bin) throw new Error(postgresUnavailable()!);
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), "brook-pg-"));
  const dataDir = join(dir, "data");
  if (asRoot) {
    const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
  const command = (program: string, args: string[]): [string, string[]] =>
    asRoot ? ["runuser", ["-u", "postgres", "--", join(bin, program), ...args]] : [join(bin, program), args];
  // Asynchronous: the test process may host the Kafka broker a relay must reach while
  // PostgreSQL shuts down (a fast shutdown waits for logical replication clients).
  const run = (program: string, args: string[]) =>
    new Promise<void>((resolve, reject) => {
      const [file, argv] = command(program, args);
      execFile(file, argv, { cwd: dir, encoding: "utf8", timeout: 120_000 }, (error, stdout, stderr) => {
        if (error) {
          reject(
            new Error(
              `${program} ${args.join(" ")} failed (${error.code ?? error.signal}): ${stderr || stdout}`,
            ),
          );
        } else {
          resolve();
        }
      });
    });
  const runSync = (program: string, args: string[]) => {
    const [file, argv] = command(program, args);
    spawnSync(file, argv, { cwd: dir, timeout: 30_000 });
  };
  await run("initdb", ["-D", dataDir, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
  const port = await freePort();
  const settings: Record<string, string> = {
    port: String(port),
    listen_addresses: "127.0.0.1",
    unix_socket_directories: dir,
    wal_level: "logical",
    max_replication_slots: "4",
    max_wal_senders: "4",
    max_connections: "60",
    fsync: "off",
    ...options.settings,
  };
  const serverOptions = Object.entries(settings)
    .map(([k, v]) => `-c ${k}=${v}`)
    .join(" ");
  const logFile = join(dir, "server.log");
  const start = () =>
    run("pg_ctl", ["-D", dataDir, "-l", logFile, "-w", "-t", "60", "-o", serverOptions, "start"]);
  const stopServer = async (mode: "fast" | "immediate") => {
    if (existsSync(join(dataDir, "postmaster.pid"))) {
      await run("pg_ctl", ["-D", dataDir, "-w", "-t", "60", "-m", mode, "stop"]);
    }
  };
  await start();
  // A test process that dies without stop() must not leave a server behind.
  const onExit = () => {
    if (existsSync(join(dataDir, "postmaster.pid"))) {
      runSync("pg_ctl", ["-D", dataDir, "-w", "-m", "immediate", "stop"]);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.on("exit", onExit);
  // A test run stopped by a signal (a timeout) runs no exit handlers of its own.
  const onSignal = (signal: NodeJS.Signals) => {
    onExit();
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  return {
    host: "127.0.0.1",
    port,
    database: "postgres",
    user: "postgres",
    connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`,
    dir,
    async restart(mode = "fast") {
      await stopServer(mode);
      await start();
    },
    async stop() {
      process.off("exit", onExit);
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
      try {
        await stopServer("fast");
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
