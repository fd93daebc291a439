/**
 * The package as users load it: `import("brook")` and `require("brook")` (KafkaJS users load their
 * client with require) from the built dist/, resolved through package.json "exports" like any
 * dependency. The build runs first so the check is of the current sources.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

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

  // Starts a broker through the entry and stops it: the entry works, not merely loads.
  const use = `const { port } = b; if (!(port > 0)) throw new Error("no port"); await b.close(); console.log("ok", Object.keys(m).sort().join(","));`;

  it("import('brook') loads and starts a test broker", { timeout: 90_000 }, async () => {
    const out = await node(
      `const m = await import("brook"); const b = await m.startTestBroker(); ${use}`,
      "module",
    );
    assert.equal(out, "ok Broker,TopicError,startBroker,startTestBroker");
  });

  it("require('brook') and require('brook/testing') load for CommonJS users", {
    timeout: 90_000,
  }, async () => {
    const out = await node(
      `(async () => { const m = require("brook"); require("brook/testing"); require("brook/protocol"); const b = await m.startTestBroker(); ${use} })().catch((e) => { console.error(e); process.exit(1); });`,
      "commonjs",
    );
    assert.equal(out, "ok Broker,TopicError,startBroker,startTestBroker");
  });
});
