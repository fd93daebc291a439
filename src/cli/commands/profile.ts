/** `brook profile create|use|list|show|delete`: saved connection settings, chosen by name. */
import type { Command } from "commander";
import { action } from "../common.js";
import { type ConnectionFlags, parseBrokers, parseSettings } from "../connection.js";
import { CliError, UsageError } from "../errors.js";
import { emit, outputFormat, table } from "../output.js";
import {
  type ConnectionProfile,
  type ProfileFile,
  profilePath,
  readProfiles,
  writeProfiles,
} from "../profiles.js";

const NAME = /^[A-Za-z0-9._-]{1,64}$/;

function profileFromFlags(flags: ConnectionFlags): ConnectionProfile {
  const p: ConnectionProfile = {};
  if (flags.brokers) p.brokers = parseBrokers(flags.brokers);
  if (flags.X?.length) p.settings = parseSettings(flags.X);
  if (flags.tls || flags.tlsCa || flags.tlsCert || flags.tlsKey || flags.tlsInsecure) {
    p.tls = {
      enabled: true,
      ...(flags.tlsCa ? { ca: flags.tlsCa } : {}),
      ...(flags.tlsCert ? { cert: flags.tlsCert } : {}),
      ...(flags.tlsKey ? { key: flags.tlsKey } : {}),
      ...(flags.tlsInsecure ? { insecure: true } : {}),
    };
  }
  if (flags.saslMechanism || flags.saslUsername || flags.saslPassword) {
    p.sasl = {
      ...(flags.saslMechanism ? { mechanism: flags.saslMechanism } : {}),
      ...(flags.saslUsername ? { username: flags.saslUsername } : {}),
      ...(flags.saslPassword ? { password: flags.saslPassword } : {}),
    };
  }
  return p;
}

function requireProfile(file: ProfileFile, name: string): ConnectionProfile {
  const p = file.profiles[name];
  if (!p) throw new CliError(`no profile "${name}"; "brook profile list" shows the saved ones`);
  return p;
}

function masked(p: ConnectionProfile): ConnectionProfile {
  return p.sasl?.password ? { ...p, sasl: { ...p.sasl, password: "********" } } : p;
}

export function registerProfile(program: Command): void {
  const profile = program
    .command("profile")
    .description(
      `saved connection profiles (kept in ${profilePath().replace(process.env.HOME ?? "\0", "~")})`,
    );

  profile
    .command("create")
    .description("save the connection flags given (-b, -X, --tls…, --sasl…) under a name, and use it")
    .argument("<name>", "profile name")
    .option("--no-use", "do not make it the current profile")
    .option("--force", "replace a profile of that name")
    .action(
      action(async (name: string, opts, cmd: Command) => {
        if (!NAME.test(name))
          throw new UsageError(`profile name "${name}": use letters, digits, '.', '_' and '-'`);
        const flags = cmd.optsWithGlobals() as ConnectionFlags;
        const file = readProfiles();
        if (file.profiles[name] && !opts.force) {
          throw new CliError(`profile "${name}" exists; add --force to replace it`);
        }
        file.profiles[name] = profileFromFlags(flags);
        if (opts.use) file.current = name;
        writeProfiles(file);
        process.stdout.write(`created profile ${name}${opts.use ? " (current)" : ""}\n`);
      }),
    );

  profile
    .command("use")
    .description("make a profile the current one (used when no flag or BROOK_* variable says otherwise)")
    .argument("<name>", "profile name")
    .action(
      action(async (name: string) => {
        const file = readProfiles();
        requireProfile(file, name);
        file.current = name;
        writeProfiles(file);
        process.stdout.write(`using profile ${name}\n`);
      }),
    );

  profile
    .command("list")
    .alias("ls")
    .description("saved profiles; * marks the current one")
    .option("--format <format>", "output: table, json or yaml", "table")
    .action(
      action(async (opts) => {
        const format = outputFormat(opts.format);
        const file = readProfiles();
        const rows = Object.entries(file.profiles)
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([name, p]) => ({
            name,
            current: name === file.current,
            brokers: p.brokers ?? null,
            tls: Boolean(p.tls?.enabled),
            sasl: p.sasl?.mechanism ?? null,
          }));
        emit(format, rows, () =>
          table(
            ["NAME", "CURRENT", "BROKERS", "TLS", "SASL"],
            rows.map((r) => [
              r.name,
              r.current ? "*" : "",
              r.brokers?.join(",") ?? "",
              r.tls ? "yes" : "",
              r.sasl,
            ]),
          ),
        );
      }),
    );

  profile
    .command("show")
    .description("a profile's settings (the current one by default; passwords hidden)")
    .argument("[name]", "profile name")
    .option("--format <format>", "output: yaml or json", "yaml")
    .action(
      action(async (name: string | undefined, opts) => {
        const format = outputFormat(opts.format);
        const file = readProfiles();
        const which = name ?? file.current;
        if (!which) throw new CliError('no current profile; "brook profile create <name>" makes one');
        const p = requireProfile(file, which);
        const doc = { name: which, current: which === file.current, ...masked(p) };
        emit(format === "table" ? "yaml" : format, doc, () => "");
      }),
    );

  profile
    .command("delete")
    .alias("rm")
    .description("delete a profile")
    .argument("<name>", "profile name")
    .action(
      action(async (name: string) => {
        const file = readProfiles();
        requireProfile(file, name);
        delete file.profiles[name];
        if (file.current === name) delete file.current;
        writeProfiles(file);
        process.stdout.write(`deleted profile ${name}\n`);
      }),
    );
}
