/** `brook console`: the web console (src/console) for the cluster the connection flags name. */
import type { Command } from "commander";
import { action, contextOf } from "../common.js";
import { CliError, UsageError } from "../errors.js";

export function registerConsole(program: Command, port: (value: string) => number): void {
  program
    .command("console")
    .description("serve the web console (topics, messages, consumer groups) for the cluster")
    .option("--host <host>", "address to listen on (not loopback: a login is required)", "127.0.0.1")
    .option("--port <port>", "port to listen on (0 = any free port)", port, 8080)
    .option("--console-user <user>", "login user name ($BROOK_CONSOLE_USER)")
    .option("--console-password <password>", "login password ($BROOK_CONSOLE_PASSWORD)")
    .addHelpText(
      "after",
      `
Examples:
  brook console                                  http://127.0.0.1:8080/ for localhost:9092
  brook -b kafka:9092 console --port 9000
  BROOK_CONSOLE_PASSWORD=… brook console --host 0.0.0.0 --console-user admin`,
    )
    .action(
      action(async (opts, cmd: Command) => {
        const auth = consoleCredentials(opts);
        const ctx = contextOf(cmd);
        // Loaded on use: the other commands need no HTTP server.
        const { startConsole, ConsoleStartError } = await import("../../console/server.js");
        let server: Awaited<ReturnType<typeof startConsole>>;
        try {
          server = await startConsole({
            kafka: {
              ...ctx.connection.config,
              clientId:
                ctx.connection.config.clientId === "brook-cli"
                  ? "brook-console"
                  : ctx.connection.config.clientId,
            },
            host: opts.host,
            port: opts.port,
            ...(auth ? { auth } : {}),
          });
        } catch (e) {
          if (e instanceof ConsoleStartError && e.code === "NO_LOGIN") {
            throw new UsageError(e.message.replace(/^console: /, ""));
          }
          if (e instanceof ConsoleStartError) {
            const taken = e.code === "EADDRINUSE";
            throw new CliError(
              `${e.message.replace(/^console: /, "")}${taken ? " (choose another with --port)" : ""}`,
            );
          }
          throw e;
        }
        await new Promise<void>((resolve) => {
          let stopping = false;
          const stop = () => {
            if (stopping) return;
            stopping = true;
            server.close().finally(resolve);
          };
          process.once("SIGINT", stop);
          process.once("SIGTERM", stop);
          // Handlers are in place before the line: a signal right after it stops cleanly.
          process.stdout.write(`console on ${server.url}\n`);
        });
      }),
    );
}

/** --console-user/--console-password, or BROOK_CONSOLE_USER/_PASSWORD; both or neither. */
export function consoleCredentials(
  opts: { consoleUser?: string; consolePassword?: string },
  env: NodeJS.ProcessEnv = process.env,
): { user: string; password: string } | undefined {
  const user = opts.consoleUser ?? (env.BROOK_CONSOLE_USER || undefined);
  const password = opts.consolePassword ?? (env.BROOK_CONSOLE_PASSWORD || undefined);
  if (user === undefined && password === undefined) return undefined;
  if (!user || !password) {
    throw new UsageError(
      "the console's login needs both --console-user and --console-password (or BROOK_CONSOLE_USER and BROOK_CONSOLE_PASSWORD)",
    );
  }
  return { user, password };
}
