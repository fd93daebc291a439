/**
 * `brook --help` and every subcommand's help: each command and option is described, each help text
 * is what `brook <command> --help` prints, and help exits 0.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Command } from "commander";
import { buildProgram } from "../../src/cli/program.js";
import { runBrook } from "../support/cli-process.js";

function commands(cmd: Command, path: string[] = []): Array<{ path: string[]; cmd: Command }> {
  return [{ path, cmd }, ...cmd.commands.flatMap((c) => commands(c, [...path, c.name()]))];
}

const all = commands(buildProgram());

describe("brook help", () => {
  it("every command has a description, and every option and argument of it one too", () => {
    assert.ok(all.length >= 30, `${all.length} commands`);
    for (const { path, cmd } of all) {
      const name = `brook ${path.join(" ")}`.trim();
      assert.ok(cmd.description().length > 5, `${name} has a description`);
      for (const o of cmd.options) assert.ok(o.description.length > 3, `${name} ${o.flags} is described`);
      for (const a of cmd.registeredArguments)
        assert.ok(a.description.length > 3, `${name} <${a.name()}> is described`);
    }
  });

  it("the top level lists every command, and the connection flags", async () => {
    const r = await runBrook(["--help"]);
    assert.equal(r.code, 0);
    for (const c of ["start", "topic", "produce", "consume", "group", "cluster", "profile", "completion"]) {
      assert.match(r.stdout, new RegExp(`^  ${c}\\b`, "m"), c);
    }
    assert.match(r.stdout, /-b, --brokers <host:port,...>/);
  });

  it("each command's --help is its help text, exit 0, with the global connection flags", async () => {
    const program = buildProgram();
    // Leaf commands (the ones that run something), in parallel batches.
    const leaves = commands(program).filter((c) => c.cmd.commands.length === 0);
    for (let i = 0; i < leaves.length; i += 6) {
      await Promise.all(
        leaves.slice(i, i + 6).map(async ({ path, cmd }) => {
          const r = await runBrook([...path, "--help"]);
          assert.equal(r.code, 0, `${path.join(" ")}: ${r.stderr}`);
          assert.match(r.stdout, new RegExp(`^Usage: brook ${path.join(" ")}(\\|[\\w-]+)? `));
          assert.ok(r.stdout.includes(cmd.description().split("\n")[0]!.slice(0, 40)), path.join(" "));
          for (const o of cmd.options) assert.ok(r.stdout.includes(o.flags), `${path.join(" ")} ${o.flags}`);
          if (path[0] !== "start") assert.match(r.stdout, /Global Options:[\s\S]*--brokers/);
        }),
      );
    }
  });

  it("a group command without a subcommand shows its subcommands", async () => {
    const r = await runBrook(["topic", "--help"]);
    assert.equal(r.code, 0);
    for (const s of ["create", "list", "describe", "alter-config", "add-partitions", "delete", "trim"]) {
      assert.match(r.stdout, new RegExp(`^  ${s}\\b`, "m"), s);
    }
  });
});
