/**
 * The logger against KafkaJS 2.2.4's: the entries a logCreator receives and the default console
 * lines are the same for the same calls (timestamps aside), levels filter the same way, namespaces
 * and setLogLevel behave the same, and KAFKAJS_LOG_LEVEL overrides as in KafkaJS.
 */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { afterEach, describe, it } from "node:test";
import {
  consoleLogCreator,
  createLogger,
  type LogEntry,
  type Logger,
  logLevel,
} from "../../src/client/logger.js";

const require = createRequire(import.meta.url);
const kafkajs = require("kafkajs") as { logLevel: typeof logLevel };
const kafkajsLoggers = require("kafkajs/src/loggers/index.js") as {
  createLogger(opts: { level?: number; logCreator: unknown }): Logger;
};
const kafkajsConsole = require("kafkajs/src/loggers/console.js");

type Make = (opts: { level?: logLevel; logCreator: (l: logLevel) => (e: LogEntry) => void }) => Logger;
const makers: Record<"ours" | "theirs", Make> = {
  ours: createLogger,
  theirs: kafkajsLoggers.createLogger as Make,
};

/** Plays the same script of calls on a logger and returns what the logCreator saw. */
function capture(make: Make, level: logLevel | undefined, script: (l: Logger) => void) {
  const seen: { createdWith: logLevel; entries: LogEntry[] } = { createdWith: -1 as logLevel, entries: [] };
  const logger = make({
    level,
    logCreator: (l) => {
      seen.createdWith = l;
      return (entry) => seen.entries.push(entry);
    },
  });
  script(logger);
  // Timestamps differ between the runs; their format is checked separately.
  for (const e of seen.entries) {
    assert.match(e.log.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    (e.log as { timestamp: string }).timestamp = "T";
  }
  return seen;
}

const script = (l: Logger) => {
  l.info("root info", { a: 1 });
  l.debug("root debug");
  l.warn("root warn");
  l.error("root error", { error: "boom", stack: "s" });
  const p = l.namespace("Producer");
  p.info("ns info", { topic: "t" });
  p.debug("ns debug");
  const verbose = l.namespace("Verbose", logLevel.DEBUG);
  verbose.debug("verbose debug");
  l.setLogLevel(logLevel.ERROR);
  p.warn("after setLogLevel");
  p.error("ns error");
  verbose.info("own level survives");
  p.setLogLevel(logLevel.DEBUG);
  l.debug("back to debug");
  l.info("override fields", { message: "replaced", logger: "x" });
};

afterEach(() => {
  delete process.env.KAFKAJS_LOG_LEVEL;
});

describe("logger", () => {
  it("logLevel has KafkaJS's keys and values", () => {
    assert.deepEqual({ ...logLevel }, { ...kafkajs.logLevel });
  });

  for (const level of [
    undefined,
    logLevel.NOTHING,
    logLevel.ERROR,
    logLevel.WARN,
    logLevel.INFO,
    logLevel.DEBUG,
  ]) {
    it(`entries equal KafkaJS's at level ${level ?? "default"}`, () => {
      const ours = capture(makers.ours, level, script);
      const theirs = capture(makers.theirs, level, script);
      assert.deepEqual(ours, theirs);
      if (level === logLevel.DEBUG) assert.ok(ours.entries.length >= 10);
    });
  }

  for (const env of ["debug", "WARN", "nothing", "bogus"]) {
    it(`KAFKAJS_LOG_LEVEL=${env} overrides as in KafkaJS`, () => {
      process.env.KAFKAJS_LOG_LEVEL = env;
      const ours = capture(makers.ours, logLevel.INFO, script);
      const theirs = capture(makers.theirs, logLevel.INFO, script);
      assert.deepEqual(ours, theirs);
    });
  }

  it("the default console output is KafkaJS's line for line", () => {
    const methods = ["info", "warn", "error", "log"] as const;
    const run = (creator: unknown) => {
      const lines: string[] = [];
      const saved = methods.map((m) => console[m]);
      for (const m of methods) console[m] = (line: string) => lines.push(`${m} ${line}`);
      try {
        const l = createLogger({ level: logLevel.DEBUG, logCreator: creator as typeof consoleLogCreator });
        l.info("hello", { n: 1 });
        l.namespace("Consumer").warn("careful", { groupId: "g" });
        l.error("bad");
        l.debug("detail", { nested: { x: [1, 2] } });
      } finally {
        methods.forEach((m, i) => {
          console[m] = saved[i]!;
        });
      }
      return lines.map((s) => s.replace(/"timestamp":"[^"]+"/, '"timestamp":"T"'));
    };
    const ours = run(consoleLogCreator);
    const theirs = run(kafkajsConsole);
    assert.equal(ours.length, 4);
    assert.deepEqual(ours, theirs);
    assert.equal(
      ours[1],
      'warn {"level":"WARN","timestamp":"T","logger":"kafkajs","message":"[Consumer] careful","groupId":"g"}',
    );
  });
});
