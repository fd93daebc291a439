/**
 * Saved connection profiles (`brook profile …`): a small YAML file in the user's config directory
 * ($BROOK_CONFIG_DIR, else $XDG_CONFIG_HOME/brook, else ~/.config/brook; %APPDATA%\brook on
 * Windows), written with mode 0600 because it may hold a SASL password.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import YAML from "yaml";
import { CliError } from "./errors.js";

export interface ConnectionProfile {
  brokers?: string[];
  /** -X settings, by the name given. */
  settings?: Record<string, string>;
  tls?: { enabled?: boolean; ca?: string; cert?: string; key?: string; insecure?: boolean };
  sasl?: { mechanism?: string; username?: string; password?: string };
}

export interface ProfileFile {
  current?: string;
  profiles: Record<string, ConnectionProfile>;
}

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.BROOK_CONFIG_DIR) return env.BROOK_CONFIG_DIR;
  if (process.platform === "win32" && env.APPDATA) return join(env.APPDATA, "brook");
  return join(env.XDG_CONFIG_HOME || join(homedir(), ".config"), "brook");
}

export function profilePath(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), "profiles.yaml");
}

export function readProfiles(path = profilePath()): ProfileFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { profiles: {} };
    throw new CliError(`cannot read ${path}: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (e) {
    throw new CliError(`${path} is not valid YAML: ${(e as Error).message.split("\n")[0]}`);
  }
  if (doc === null || doc === undefined) return { profiles: {} };
  if (typeof doc !== "object" || Array.isArray(doc)) throw new CliError(`${path}: expected a mapping`);
  const file = doc as Partial<ProfileFile>;
  return { current: file.current, profiles: file.profiles ?? {} };
}

export function writeProfiles(file: ProfileFile, path = profilePath()): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // Written beside and renamed: a crash leaves the old file or the new one, never half of one.
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, YAML.stringify(file), { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}
