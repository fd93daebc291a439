/**
 * Which cluster a command talks to, and how: -b/--brokers, -X settings, TLS and SASL flags, and saved
 * profiles. Precedence is flag > environment (BROOK_*) > profile > default, per setting.
 */
import { readFileSync } from "node:fs";
import type { ConnectionOptions } from "node:tls";
import { Kafka } from "../client/kafka.js";
import { logLevel } from "../client/logger.js";
import type { KafkaConfig, SASLOptions } from "../client/types.js";
import { UsageError } from "./errors.js";
import { type ConnectionProfile, readProfiles } from "./profiles.js";

/** The connection flags every cluster command takes (program-level options). */
export interface ConnectionFlags {
  brokers?: string;
  X?: string[];
  profile?: string;
  tls?: boolean;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsInsecure?: boolean;
  saslMechanism?: string;
  saslUsername?: string;
  saslPassword?: string;
}

export interface Connection {
  brokers: string[];
  config: KafkaConfig;
  /** Where each part came from, for `brook profile show` and error messages. */
  profileName?: string;
}

export const DEFAULT_BROKERS = "localhost:9092";

/**
 * -X keys: KafkaJS's names and the Java/librdkafka names users bring from kcat and
 * kafka-*.sh, mapped to one meaning each.
 */
const X_KEYS: Record<string, string> = {
  clientId: "clientId",
  "client.id": "clientId",
  connectionTimeout: "connectionTimeout",
  "socket.connection.setup.timeout.ms": "connectionTimeout",
  requestTimeout: "requestTimeout",
  "request.timeout.ms": "requestTimeout",
  retries: "retries",
  "security.protocol": "securityProtocol",
  "sasl.mechanism": "saslMechanism",
  "sasl.mechanisms": "saslMechanism",
  "sasl.username": "saslUsername",
  "sasl.password": "saslPassword",
  "ssl.ca.location": "tlsCa",
  "ssl.certificate.location": "tlsCert",
  "ssl.key.location": "tlsKey",
  "enable.ssl.certificate.verification": "tlsVerify",
};

const SASL_MECHANISMS = ["plain", "scram-sha-256", "scram-sha-512"];

export function parseSettings(items: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new UsageError(`-X "${item}": expected key=value`);
    const key = item.slice(0, eq).trim();
    if (!(key in X_KEYS)) {
      throw new UsageError(`-X ${key}: unknown setting; known: ${Object.keys(X_KEYS).join(", ")}`);
    }
    out[key] = item.slice(eq + 1);
  }
  return out;
}

function intSetting(key: string, value: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`-X ${key}=${value}: expected a whole number`);
  return Number(value);
}

function readPem(what: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new UsageError(`${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export function parseBrokers(list: string): string[] {
  const brokers = list
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (brokers.length === 0) throw new UsageError("--brokers: expected host:port[,host:port…]");
  for (const b of brokers) {
    if (!/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/.test(b) || Number(b.slice(b.lastIndexOf(":") + 1)) > 65535) {
      throw new UsageError(`--brokers: "${b}" is not host:port`);
    }
  }
  return brokers;
}

/** Resolves the connection from flags, BROOK_* variables and the chosen profile. */
export function resolveConnection(
  flags: ConnectionFlags,
  environment: NodeJS.ProcessEnv = process.env,
): Connection {
  // An empty variable counts as unset, as shells make "export X=" easy.
  const env = Object.fromEntries(Object.entries(environment).filter(([, v]) => v !== "" && v !== undefined));
  const profiles = readProfiles();
  const profileName = flags.profile ?? env.BROOK_PROFILE ?? profiles.current;
  let profile: ConnectionProfile = {};
  if (profileName) {
    const found = profiles.profiles[profileName];
    if (!found) {
      // A named profile that is missing is an error; a stale "current" entry is too, to avoid
      // silently talking to localhost when the user thinks they talk to production.
      throw new UsageError(`no profile "${profileName}"; "brook profile list" shows the saved ones`);
    }
    profile = found;
  }
  const fromFlags = parseSettings(flags.X ?? []);
  // Each -X key once, whichever name it was given by; flags win over the profile's.
  const settings: Record<string, string> = {};
  for (const [k, v] of Object.entries(profile.settings ?? {})) settings[X_KEYS[k] ?? k] = v;
  for (const [k, v] of Object.entries(fromFlags)) settings[X_KEYS[k]!] = v;

  const brokers = parseBrokers(
    flags.brokers ?? env.BROOK_BROKERS ?? profile.brokers?.join(",") ?? DEFAULT_BROKERS,
  );

  const protocol = settings.securityProtocol?.toUpperCase();
  if (protocol && !["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"].includes(protocol)) {
    throw new UsageError(
      `-X security.protocol=${settings.securityProtocol}: expected PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL`,
    );
  }
  const tlsCa = flags.tlsCa ?? settings.tlsCa ?? profile.tls?.ca;
  const tlsCert = flags.tlsCert ?? settings.tlsCert ?? profile.tls?.cert;
  const tlsKey = flags.tlsKey ?? settings.tlsKey ?? profile.tls?.key;
  const tlsInsecure = flags.tlsInsecure ?? (settings.tlsVerify === "false" ? true : profile.tls?.insecure);
  const tlsOn =
    flags.tls ||
    protocol === "SSL" ||
    protocol === "SASL_SSL" ||
    profile.tls?.enabled ||
    Boolean(tlsCa || tlsCert || tlsKey || tlsInsecure);

  const config: KafkaConfig = {
    clientId: settings.clientId ?? "brook-cli",
    brokers,
    logLevel: logLevel.NOTHING,
    // A CLI answers quickly or says why: fewer, shorter retries than a service would want.
    connectionTimeout: settings.connectionTimeout
      ? intSetting("connectionTimeout", settings.connectionTimeout)
      : 3000,
    requestTimeout: settings.requestTimeout ? intSetting("requestTimeout", settings.requestTimeout) : 30000,
    retry: {
      retries: settings.retries ? intSetting("retries", settings.retries) : 2,
      initialRetryTime: 100,
      maxRetryTime: 1000,
    },
  };
  if (tlsOn) {
    const tls: ConnectionOptions = {};
    if (tlsCa) tls.ca = readPem("--tls-ca", tlsCa);
    if (tlsCert) tls.cert = readPem("--tls-cert", tlsCert);
    if (tlsKey) tls.key = readPem("--tls-key", tlsKey);
    if (tlsInsecure) tls.rejectUnauthorized = false;
    config.ssl = Object.keys(tls).length ? tls : true;
  }

  const mechanism = (
    flags.saslMechanism ??
    settings.saslMechanism ??
    env.BROOK_SASL_MECHANISM ??
    profile.sasl?.mechanism
  )?.toLowerCase();
  const username =
    flags.saslUsername ?? settings.saslUsername ?? env.BROOK_SASL_USERNAME ?? profile.sasl?.username;
  const password =
    flags.saslPassword ?? settings.saslPassword ?? env.BROOK_SASL_PASSWORD ?? profile.sasl?.password;
  if (mechanism || protocol === "SASL_PLAINTEXT" || protocol === "SASL_SSL") {
    const m = mechanism ?? "plain";
    if (!SASL_MECHANISMS.includes(m)) {
      throw new UsageError(`--sasl-mechanism ${m}: expected one of ${SASL_MECHANISMS.join(", ")}`);
    }
    if (username === undefined || password === undefined) {
      throw new UsageError(`SASL ${m} needs --sasl-username and --sasl-password (or BROOK_SASL_PASSWORD)`);
    }
    config.sasl = { mechanism: m, username, password } as SASLOptions;
  }
  return { brokers, config, ...(profileName ? { profileName } : {}) };
}

export function kafkaFor(connection: Connection): Kafka {
  return new Kafka(connection.config);
}
