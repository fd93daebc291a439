/**
 * The package as users load it: `import("brook")` and `require("brook")` (KafkaJS users load their
 * client with require) from the built dist/, resolved through package.json "exports" like any
 * dependency. The build runs first so the check is of the current sources.
 *
 * Then as users get it: `npm pack` makes the tarball, which is installed into a new project in a
 * temporary folder (runtime dependencies from the npm cache), where `import { Kafka } from "brook"`
 * and `require("brook")` produce to a broker from "brook/testing", and `tsc` checks code that uses
 * the package's declarations.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Runs a command; resolves with its stdout, rejects with its output when it fails. */
function run(cmd: string, args: string[], cwd: string, timeout = 120_000): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(cmd, args, { cwd, timeout, maxBuffer: 16 << 20 }, (e, out, err) =>
      e ? reject(new Error(`${cmd} ${args.join(" ")}: ${e.message}\n${out}\n${err}`)) : resolve(out.trim()),
    ),
  );
}

function node(code: string, type: "module" | "commonjs"): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      [`--input-type=${type}`, "-e", code],
      { cwd: ROOT, timeout: 60_000 },
      (e, out, err) => (e ? reject(new Error(`${e.message}\n${err}`)) : resolve(out.trim())),
    ),
  );
}

describe("the brook package's entry points", () => {
  before(async () => {
    await new Promise<void>((resolve, reject) =>
      execFile(
        process.execPath,
        ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"],
        { cwd: ROOT, timeout: 180_000 },
        (e, out) => (e ? reject(new Error(`build failed: ${out}`)) : resolve()),
      ),
    );
  });

  // Starts a broker through the entry and stops it: the entry works, not merely loads. The entry also
  // carries the client (KafkaJS's names).
  const use = `const { port } = b; if (!(port > 0)) throw new Error("no port"); await b.close(); console.log("ok", ["Broker", "TopicError", "startBroker", "startTestBroker", "Kafka", "logLevel", "CompressionTypes", "Partitioners", "KafkaJSError", "KafkaJSProtocolError"].filter((k) => !(k in m)).join(",") || "all exported");`;

  it("import('brook') loads and starts a test broker", { timeout: 90_000 }, async () => {
    const out = await node(
      `const m = await import("brook"); const b = await m.startTestBroker(); ${use}`,
      "module",
    );
    assert.equal(out, "ok all exported");
  });

  it("require('brook') and require('brook/testing') load for CommonJS users", {
    timeout: 90_000,
  }, async () => {
    const out = await node(
      `(async () => { const m = require("brook"); require("brook/testing"); require("brook/protocol"); const b = await m.startTestBroker(); ${use} })().catch((e) => { console.error(e); process.exit(1); });`,
      "commonjs",
    );
    assert.equal(out, "ok all exported");
  });

  it("brook/patterns loads by import and by require", { timeout: 60_000 }, async () => {
    const names = `["retryingConsumer", "redrive", "idempotent", "postgresStore", "redisStore"]`;
    const check = (m: string) =>
      `console.log(${names}.filter((k) => typeof ${m}[k] !== "function").join(",") || "all exported")`;
    assert.equal(
      await node(`const p = await import("brook/patterns"); ${check("p")}`, "module"),
      "all exported",
    );
    assert.equal(
      await node(`const p = require("brook/patterns"); ${check("p")}`, "commonjs"),
      "all exported",
    );
  });

  describe("the npm pack tarball installed into a new project", () => {
    let dir: string;
    let app: string;
    const npm = (args: string[], cwd: string) => run("npm", args, cwd, 180_000);

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), "brook-package-"));
      app = join(dir, "app");
      // dist/ was just built: no prepare script again.
      await npm(["pack", "--ignore-scripts", "--pack-destination", dir, "--silent"], ROOT);
      const tarball = readdirSync(dir).find((f) => f.endsWith(".tgz"));
      assert.ok(tarball, `npm pack wrote no tarball into ${dir}`);
      await run("mkdir", [app], dir);
      writeFileSync(
        join(app, "package.json"),
        JSON.stringify({ name: "app", private: true, type: "module" }),
      );
      const install = ["install", join(dir, tarball), "--no-audit", "--no-fund", "--ignore-scripts"];
      // The runtime dependencies are in the npm cache; metadata the cache lacks is fetched once.
      await npm([...install, "--offline"], app).catch(() => npm([...install, "--prefer-offline"], app));
    });
    after(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    // Creates a topic, produces two records (gzip) and reads the high watermark back, all through
    // the installed package, against a broker from its brook/testing entry.
    const produce = `
      const b = await startTestBroker();
      try {
        const kafka = new Kafka({ clientId: "packaged", brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
        const admin = kafka.admin();
        await admin.connect();
        await admin.createTopics({ topics: [{ topic: "packaged", numPartitions: 1 }] });
        const producer = kafka.producer();
        await producer.connect();
        await producer.send({ topic: "packaged", compression: CompressionTypes.GZIP, messages: [{ value: "a" }, { value: "b" }] });
        const [{ high }] = await admin.fetchTopicOffsets("packaged");
        await producer.disconnect();
        await admin.disconnect();
        console.log("ok", high, new KafkaJSError("x") instanceof Error);
      } finally {
        await b.close();
      }`;

    it("import { Kafka } from 'brook' works from node_modules", { timeout: 90_000 }, async () => {
      writeFileSync(
        join(app, "esm.mjs"),
        `import { CompressionTypes, Kafka, KafkaJSError, logLevel } from "brook";
        import { startTestBroker } from "brook/testing";
        console.log(import.meta.resolve("brook"));
        ${produce}`,
      );
      const [resolved, result] = (await run(process.execPath, ["esm.mjs"], app)).split("\n");
      assert.ok(resolved!.startsWith(`file://${app}/node_modules/brook/`), resolved);
      assert.equal(result, "ok 2 true");
    });

    it("const { Kafka } = require('brook') works from node_modules", { timeout: 90_000 }, async () => {
      writeFileSync(
        join(app, "cjs.cjs"),
        `const { CompressionTypes, Kafka, KafkaJSError, logLevel } = require("brook");
        const { startTestBroker } = require("brook/testing");
        console.log(require.resolve("brook"));
        (async () => { ${produce} })().catch((e) => { console.error(e); process.exit(1); });`,
      );
      const [resolved, result] = (await run(process.execPath, ["cjs.cjs"], app)).split("\n");
      assert.ok(resolved!.startsWith(`${app}/node_modules/brook/`), resolved);
      assert.equal(result, "ok 2 true");
    });

    it("tsc checks code against the package's declarations (import type { Producer } from 'brook')", {
      timeout: 120_000,
    }, async () => {
      writeFileSync(
        join(app, "use.ts"),
        `import type { Admin, KafkaConfig, Producer, RecordMetadata } from "brook";
        import { CompressionTypes, Kafka, KafkaJSProtocolError, logLevel } from "brook";
        const config: KafkaConfig = { clientId: "typed", brokers: ["127.0.0.1:9092"], logLevel: logLevel.NOTHING };
        const kafka = new Kafka(config);
        export const producer: Producer = kafka.producer({ idempotent: true });
        export const admin: Admin = kafka.admin();
        export function send(): Promise<RecordMetadata[]> {
          return producer.send({ topic: "t", compression: CompressionTypes.GZIP, messages: [{ key: "k", value: "v" }] });
        }
        export const codeOf = (e: unknown): number | undefined => (e instanceof KafkaJSProtocolError ? e.code : undefined);
        // @ts-expect-error a message needs a value: the declarations are not any
        export const wrong = (p: Producer) => p.send({ topic: "t", messages: [{ key: "k" }] });
        `,
      );
      writeFileSync(
        join(app, "tsconfig.json"),
        JSON.stringify({
          compilerOptions: {
            target: "ES2022",
            module: "NodeNext",
            moduleResolution: "NodeNext",
            strict: true,
            noEmit: true,
            // The package's own declarations are checked too.
            skipLibCheck: false,
            types: ["node"],
            typeRoots: [join(ROOT, "node_modules/@types")],
          },
          files: ["use.ts"],
        }),
      );
      await run(
        process.execPath,
        [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"],
        app,
      );
    });
  });
});
