/**
 * The README's CLI walk-through, run as written (one bash line at a time, `npx brook` being this
 * checkout's CLI, BROOK_BROKERS pointing at a spawned broker instead of localhost:9092): every line
 * succeeds and prints what the README says it does.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { type CliBroker, startCliBroker } from "../support/cli-broker.js";
import { brookCommand, ROOT } from "../support/cli-process.js";

const run = promisify(execFile);

function walkthrough(): string[] {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## The CLI\n"));
  const block = /```sh\n([\s\S]*?)```/.exec(section);
  assert.ok(block, "the CLI section has a sh block");
  return block[1]!.split("\n").filter((l) => l.trim() && !l.trim().startsWith("#"));
}

let b: CliBroker;
before(async () => {
  b = await startCliBroker();
});
after(() => b.stop());

describe("README: the CLI walk-through", () => {
  it("runs line by line, each line exits 0 and prints what the README describes", async () => {
    const lines = walkthrough();
    assert.ok(lines.length >= 8 && lines.every((l) => l.includes("npx brook")), lines.join("\n"));
    const [node, args] = brookCommand([]);
    const cli = [node, ...args].map((a) => `'${a}'`).join(" ");
    const outputs: string[] = [];
    for (const line of lines) {
      const script = `brook_cli() { ${cli} "$@"; }\n${line.replaceAll("npx brook", "brook_cli")}`;
      const { stdout } = await run("bash", ["-o", "pipefail", "-c", script], {
        cwd: ROOT,
        env: { ...process.env, BROOK_BROKERS: b.bootstrap, BROOK_CONFIG_DIR: b.configDir },
        timeout: 60_000,
      }).catch((e: { stderr?: string; code?: number }) => {
        throw new Error(`README line failed (exit ${e.code}): ${line}\n${e.stderr}`);
      });
      outputs.push(stdout);
    }
    const out = (needle: string) => outputs[lines.findIndex((l) => l.includes(needle))]!;
    // kcat-style format: partition|offset|key|value, one line per record.
    assert.deepEqual(out("-f '%p|%o|%k|%s").trim().split("\n").sort(), [
      '1|0|c-2|{"id":"o-2","total":12.50}',
      '2|0|c-1|{"id":"o-1","total":79.95}',
    ]);
    assert.match(out("-g billing"), /"total": 79\.95/, "--pretty re-indents JSON");
    assert.match(out("group describe billing"), /total lag 0/);
    assert.match(out("group describe billing"), /billing\s+orders\s+1\s+1\s+1\s+0\s/);
    const dry = lines.findIndex((l) => l.endsWith("--to-earliest"));
    assert.match(outputs[dry]!, /billing\s+orders\s+1\s+1\s+0/);
    assert.match(out("--non-default"), /PARTITION\s+LEADER/);
    assert.match(out("topic trim"), /orders\s+1\s+0\s+1/);
    assert.match(out("cluster health"), /^healthy: /);
  });
});
