/**
 * Type compatibility with KafkaJS 2.2.4: test/client/types/kafkajs-usage.ts, a KafkaJS application's
 * TypeScript, is compiled with `strict` twice through the TypeScript compiler API: as it stands
 * (importing "kafkajs", so the file is proven valid KafkaJS code) and with "kafkajs" mapped to
 * Brook's client (src/client/index.ts). Both must compile without a diagnostic in the file; the
 * file's `@ts-expect-error` lines make sure neither compile passes because a type became `any`.
 *
 * A third compile is of code typed against KafkaJS's declarations (a library written for KafkaJS, such
 * as an instrumentation helper taking a `Producer`) handed Brook's objects: they must fit.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const USAGE = fileURLToPath(new URL("./types/kafkajs-usage.ts", import.meta.url));
const BROOK_CLIENT = fileURLToPath(new URL("../../src/client/index.ts", import.meta.url));

/** The repository's compiler options (tsconfig.json), strict, no output, plus `extra`. */
function options(extra: ts.CompilerOptions): ts.CompilerOptions {
  const file = ts.readConfigFile(`${ROOT}tsconfig.json`, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(file.config, ts.sys, ROOT);
  return { ...parsed.options, strict: true, noEmit: true, ...extra };
}

/**
 * Diagnostics of `file` (and global ones), formatted; other files are the typecheck's business.
 * `source` replaces the file's content (for code that exists only in this test).
 */
function compile(extra: ts.CompilerOptions, file = USAGE, source?: string): string[] {
  const opts = options(extra);
  const host = ts.createCompilerHost(opts);
  if (source !== undefined) {
    const { getSourceFile, fileExists, readFile } = host;
    host.getSourceFile = (name, language, ...rest) =>
      name === file ? ts.createSourceFile(name, source, language) : getSourceFile(name, language, ...rest);
    host.fileExists = (name) => name === file || fileExists(name);
    host.readFile = (name) => (name === file ? source : readFile(name));
  }
  const program = ts.createProgram({ rootNames: [file], options: opts, host });
  const diagnostics = [...ts.getPreEmitDiagnostics(program)].filter(
    (d) => d.file === undefined || d.file.fileName === file,
  );
  return diagnostics.map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, "\n");
    if (!d.file || d.start === undefined) return text;
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    return `${d.file.fileName.slice(ROOT.length)}:${line + 1}:${character + 1} TS${d.code}: ${text}`;
  });
}

/** Where the compiler resolved "kafkajs" from the usage file. */
function resolvedKafkajs(extra: ts.CompilerOptions): string | undefined {
  const r = ts.resolveModuleName(
    "kafkajs",
    USAGE,
    options(extra),
    ts.sys,
    undefined,
    undefined,
    ts.ModuleKind.ESNext,
  );
  return r.resolvedModule?.resolvedFileName;
}

const AGAINST_BROOK: ts.CompilerOptions = { paths: { kafkajs: [BROOK_CLIENT] } };

/** Code typed with KafkaJS's own declarations ("kafkajs-types") that receives Brook's objects ("kafkajs"). */
const LIBRARY = fileURLToPath(new URL("./types/kafkajs-typed-library.ts", import.meta.url));
const LIBRARY_SOURCE = `
import type * as KafkaJS from "kafkajs-types";
import { Kafka, KafkaJSError, KafkaJSProtocolError, logLevel } from "kafkajs";

const kafka = new Kafka({ brokers: ["localhost:9092"], logLevel: logLevel.NOTHING });
export const client: KafkaJS.Kafka = kafka;
export const producer: KafkaJS.Producer = kafka.producer({ idempotent: true });
export const admin: KafkaJS.Admin = kafka.admin();
export const logger: KafkaJS.Logger = kafka.logger();
export const level: KafkaJS.logLevel = logLevel.INFO;
export async function library(p: KafkaJS.Producer, a: KafkaJS.Admin, t: KafkaJS.Transaction): Promise<void> {
  await p.send({ topic: "t", messages: [{ value: "v" }] });
  await a.listTopics();
  await t.commit();
}
export const transactionOf = async () => library(producer, admin, await kafka.producer().transaction());
export const errors: KafkaJS.KafkaJSError[] = [new KafkaJSError("e"), new KafkaJSProtocolError("p")];
`;
const WITH_KAFKAJS_TYPES: ts.CompilerOptions = {
  paths: { kafkajs: [BROOK_CLIENT], "kafkajs-types": [`${ROOT}node_modules/kafkajs/types/index.d.ts`] },
};

describe("a KafkaJS application's TypeScript compiles against both clients", () => {
  it("as KafkaJS 2.2.4 code (types/index.d.ts)", { timeout: 120_000 }, () => {
    assert.match(resolvedKafkajs({}) ?? "", /node_modules\/kafkajs\/types\/index\.d\.ts$/);
    assert.deepEqual(compile({}), []);
  });

  it("with the import pointing at Brook's client", { timeout: 120_000 }, () => {
    assert.equal(resolvedKafkajs(AGAINST_BROOK), BROOK_CLIENT);
    assert.deepEqual(compile(AGAINST_BROOK), []);
  });

  it("Brook's Kafka, producer, admin and errors fit where a library expects KafkaJS's types", {
    timeout: 120_000,
  }, () => {
    // The same source compiles against KafkaJS on both sides, so the check itself is sound.
    const kafkajsTypes = `${ROOT}node_modules/kafkajs/types/index.d.ts`;
    assert.deepEqual(compile({ paths: { "kafkajs-types": [kafkajsTypes] } }, LIBRARY, LIBRARY_SOURCE), []);
    assert.deepEqual(compile(WITH_KAFKAJS_TYPES, LIBRARY, LIBRARY_SOURCE), []);
  });
});
