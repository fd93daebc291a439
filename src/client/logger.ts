/**
 * KafkaJS-compatible logging: the same levels, the same `logCreator` plug-in contract and the same
 * default output, so existing log creators (pino/winston adapters) and log parsers keep working.
 */

/** Log levels with KafkaJS's numeric values (there is no 3). */
export const logLevel = {
  NOTHING: 0,
  ERROR: 1,
  WARN: 2,
  INFO: 4,
  DEBUG: 5,
} as const;
export type logLevel = (typeof logLevel)[keyof typeof logLevel];
// Member types, so `logLevel.INFO` is usable in type positions as with KafkaJS's enum.
export declare namespace logLevel {
  type NOTHING = 0;
  type ERROR = 1;
  type WARN = 2;
  type INFO = 4;
  type DEBUG = 5;
}

export interface LoggerEntryContent {
  readonly timestamp: string;
  readonly message: string;
  [key: string]: any;
}

export interface LogEntry {
  namespace: string;
  level: logLevel;
  label: string;
  log: LoggerEntryContent;
}

export type logCreator = (logLevel: logLevel) => (entry: LogEntry) => void;

export type Logger = {
  info: (message: string, extra?: object) => void;
  error: (message: string, extra?: object) => void;
  warn: (message: string, extra?: object) => void;
  debug: (message: string, extra?: object) => void;
  namespace: (namespace: string, logLevel?: logLevel) => Logger;
  setLogLevel: (logLevel: logLevel) => void;
};

/**
 * The `logger` field of every entry. It stays "kafkajs": Brook is a drop-in for KafkaJS, and log
 * pipelines written for KafkaJS filter or route on this field; renaming it would silently break them.
 */
const LOGGER_FIELD = "kafkajs";

/**
 * KAFKAJS_LOG_LEVEL (a level name, any case) overrides the configured level, for the root logger and
 * for namespaces alike, as in KafkaJS; an unknown name is ignored.
 */
function effectiveLevel(configured: logLevel | null): logLevel | null {
  const fromEnv = (process.env.KAFKAJS_LOG_LEVEL ?? "").toUpperCase();
  if (Object.hasOwn(logLevel, fromEnv)) return logLevel[fromEnv as keyof typeof logLevel];
  return configured;
}

/** The default log creator: one JSON object per line on the console, KafkaJS's format. */
export const consoleLogCreator: logCreator =
  () =>
  ({ namespace, level, label, log }) => {
    const line = JSON.stringify({
      level: label,
      ...log,
      message: namespace ? `[${namespace}] ${log.message}` : log.message,
    });
    switch (level) {
      case logLevel.ERROR:
        console.error(line);
        break;
      case logLevel.WARN:
        console.warn(line);
        break;
      case logLevel.INFO:
        console.info(line);
        break;
      case logLevel.DEBUG:
        console.log(line);
        break;
    }
  };

export interface CreateLoggerOptions {
  level?: logLevel;
  logCreator?: logCreator;
}

export function createLogger({
  level = logLevel.INFO,
  logCreator = consoleLogCreator,
}: CreateLoggerOptions = {}): Logger {
  // Shared by every namespace: setLogLevel on any of them changes the level of those without their own.
  let rootLevel = effectiveLevel(level) as logLevel;
  const write = logCreator(rootLevel);

  const build = (namespace: string, ownLevel: logLevel | null): Logger => {
    const current = () => ownLevel ?? rootLevel;
    const at =
      (label: string, entryLevel: logLevel) =>
      (message: string, extra: object = {}) => {
        if (entryLevel > current()) return;
        write({
          namespace,
          level: entryLevel,
          label,
          log: { timestamp: new Date().toISOString(), logger: LOGGER_FIELD, message, ...extra },
        });
      };
    return {
      info: at("INFO", logLevel.INFO),
      error: at("ERROR", logLevel.ERROR),
      warn: at("WARN", logLevel.WARN),
      debug: at("DEBUG", logLevel.DEBUG),
      namespace: (child, childLevel) => build(child, effectiveLevel(childLevel ?? null)),
      setLogLevel: (newLevel) => {
        rootLevel = newLevel;
      },
    };
  };

  // KafkaJS passes `undefined` as the namespace of the root logger.
  return build(undefined as unknown as string, null);
}
