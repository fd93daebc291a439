/**
 * `brook completion bash|zsh|fish`: each script loaded into the real shell completes subcommands and
 * options at every level. zsh and fish are skipped, naming the package, where they are not installed.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { missing } from "../support/external.js";
import { runBrook } from "../support/cli-process.js";

const dir = mkdtempSync(join(tmpdir(), "brook-completion-"));
const scripts: Record<string, string> = {};
after(() => rmSync(dir, { recursive: true, force: true }));

before(async () => {
  for (const shell of ["bash", "zsh", "fish"]) {
    const r = await runBrook(["completion", shell]);
    assert.equal(r.code, 0, r.stderr);
    scripts[shell] = join(dir, `brook.${shell}`);
    writeFileSync(scripts[shell]!, r.stdout);
  }
});

/** What bash's completion function offers for the words typed (the last one being completed). */
function bashComplete(words: string[]): string[] {
  const list = words.map((w) => `'${w}'`).join(" ");
  const out = execFileSync(
    "bash",
    [
      "-c",
      `source '${scripts.bash}'; COMP_WORDS=(${list}); COMP_CWORD=${words.length - 1}; _brook; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ],
    { encoding: "utf8" },
  );
  return out.split("\n").filter(Boolean);
}

describe("brook completion", () => {
  it("bash: subcommands at each level, options of the command typed, global options too", () => {
    assert.deepEqual(bashComplete(["brook", ""]).slice(0, 3), ["start", "topic", "produce"]);
    for (const sub of ["topic", "produce", "consume", "group", "cluster", "profile", "completion"]) {
      assert.ok(bashComplete(["brook", ""]).includes(sub), sub);
    }
    assert.deepEqual(bashComplete(["brook", "gr"]), ["group"]);
    assert.deepEqual(bashComplete(["brook", "-b", "h:1", "group", "s"]), ["seek"]);
    const seek = bashComplete(["brook", "group", "seek", "g", "--to-"]);
    assert.deepEqual(seek, ["--to-earliest", "--to-latest", "--to-current", "--to-offset", "--to-datetime"]);
    assert.ok(bashComplete(["brook", "topic", "create", "t", "--"]).includes("--partitions"));
    assert.ok(bashComplete(["brook", "topic", "create", "t", "--"]).includes("--brokers"), "global options");
    assert.deepEqual(bashComplete(["brook", "cluster", "h"]), ["health"]);
  });

  it("zsh: the same script through bashcompinit", { skip: missing("zsh") ?? false }, () => {
    const out = execFileSync(
      "zsh",
      [
        "-c",
        `autoload -U +X compinit && compinit -u; source '${scripts.zsh}'; emulate sh -c 'COMP_WORDS=(brook topic ""); COMP_CWORD=2; _brook; echo \${COMPREPLY[*]}'`,
      ],
      { encoding: "utf8", env: { ...process.env, HOME: dir } },
    );
    assert.deepEqual(out.trim().split(" "), [
      "create",
      "list",
      "ls",
      "describe",
      "alter-config",
      "add-partitions",
      "delete",
      "rm",
      "trim",
    ]);
  });

  it("fish: subcommands with their descriptions, options of nested commands", {
    skip: missing("fish") ?? false,
  }, () => {
    const run = (line: string) =>
      execFileSync("fish", ["--no-config", "-c", `source '${scripts.fish}'; complete -C'${line}'`], {
        encoding: "utf8",
        env: { ...process.env, HOME: dir },
      });
    const topic = run("brook topic ");
    assert.match(topic, /^create\tcreate topics$/m);
    assert.match(topic, /^trim\t/m);
    assert.doesNotMatch(topic, /^seek\t/m);
    const seek = run("brook group seek g --to-");
    assert.match(seek, /^--to-earliest\tto each partition's log start$/m);
    assert.match(run("brook --bro"), /^--brokers\t/m);
  });

  it("an unknown shell is a usage error", async () => {
    const r = await runBrook(["completion", "powershell"]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'brook completion: unknown shell "powershell": expected bash, zsh or fish\n');
  });
});
