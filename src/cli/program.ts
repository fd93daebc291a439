/**
 * The `brook` command tree: `start` runs a broker; the other commands are clients of any Kafka
 * cluster (Brook, Apache Kafka, Redpanda, MSK) built on Brook's client, never on broker internals.
 */
import { Command, InvalidArgumentError, Option } from "commander";
import { registerCluster } from "./commands/cluster.js";
import { registerCompletion } from "./commands/completion.js";
import { registerConsole } from "./commands/console.js";
import { registerConsume } from "./commands/consume.js";
import { registerDlq } from "./commands/dlq.js";
import { registerGroup } from "./commands/group.js";
import { registerMetrics } from "./commands/metrics.js";
import { registerProduce } from "./commands/produce.js";
import { registerProfile } from "./commands/profile.js";
import { registerTopic } from "./commands/topic.js";
import { collect } from "./common.js";

export function buildProgram(): Command {
  const program = new Command();
  program
    .name("brook")
    .description("Brook: a Kafka-compatible event-streaming platform for Node.js")
    // A usage error is one line, like every other error, with where to read more.
    .configureOutput({
      outputError: (text, write) =>
        write(
          `brook: ${text
            .replace(/^error: /, "")
            .trim()
            .replace(/\s*\n\s*/g, " ")} (see --help)\n`,
        ),
    })
    .configureHelp({ showGlobalOptions: true })
    .exitOverride((err) => {
      // Help and version exit 0; every usage error 2.
      process.exit(err.exitCode === 0 ? 0 : 2);
    });

  // Connection flags, taken before or after the subcommand (flag > BROOK_* > profile > default).
  program
    .option(
      "-b, --brokers <host:port,...>",
      "bootstrap brokers (default: $BROOK_BROKERS, the profile's, or localhost:9092)",
    )
    .option(
      "-X <key=value>",
      "client setting, e.g. client.id, request.timeout.ms, security.protocol (repeatable)",
      collect,
    )
    .option("--profile <name>", "use a saved connection profile (default: $BROOK_PROFILE or the current one)")
    .option("--tls", "connect with TLS")
    .option("--tls-ca <file>", "PEM file of the certificate authorities to trust")
    .option("--tls-cert <file>", "PEM client certificate (mutual TLS)")
    .option("--tls-key <file>", "PEM client key (mutual TLS)")
    .option("--tls-insecure", "do not verify the brokers' certificates")
    .addOption(
      new Option("--sasl-mechanism <mechanism>", "SASL mechanism").choices([
        "plain",
        "scram-sha-256",
        "scram-sha-512",
      ]),
    )
    .option("--sasl-username <user>", "SASL user name ($BROOK_SASL_USERNAME)")
    .option("--sasl-password <password>", "SASL password ($BROOK_SASL_PASSWORD)");

  const port = (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n > 65535)
      throw new InvalidArgumentError("must be an integer from 0 to 65535");
    return n;
  };

  program
    .command("start")
    .description("start a broker (Kafka endpoint) in the foreground")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "port to listen on (0 = any free port)", port, 9092)
    .option("--data-dir <dir>", "where partition logs and metadata are kept", "./data")
    .option("--config <file>", "a Kafka-style .properties file of broker configs")
    .option("--set <key=value>", "a broker config by its Kafka name (repeatable)", collect, [])
    .option("--advertised-host <host>", "host name given to clients in metadata")
    .option("--log-level <level>", "trace, debug, info, warn or error", process.env.BROOK_LOG_LEVEL ?? "info")
    .option(
      "--metrics-port <port>",
      "Prometheus /metrics on the broker's host (0 = any free port)",
      port,
      9644,
    )
    .option("--no-metrics", "serve no metrics endpoint")
    .option("--lag-interval <duration>", "how often the lag status on /metrics samples the groups", "10s")
    .option("--console-port <port>", "web console on 127.0.0.1 (0 = any free port)", port, 8080)
    .option("--no-console", "serve no web console")
    // Loaded on use: the client commands need none of the broker.
    .action(async (opts) => (await import("./start.js")).startCommand(opts));

  registerTopic(program);
  registerProduce(program);
  registerConsume(program);
  registerGroup(program);
  registerCluster(program);
  registerDlq(program);
  registerMetrics(program);
  registerConsole(program, port);
  registerProfile(program);
  registerCompletion(program);
  return program;
}
