/**
 * `brook produce` draws its progress line only when stderr is a terminal: run under util-linux
 * `script` (a pseudo-terminal) the line with "records/s" and carriage returns appears; with stderr
 * to a pipe only the summary line is written.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { brookCommand, ROOT } from "../support/cli-process.js";
import { missing } from "../support/external.js";
import { type PcBroker, startPcBroker } from "../support/produce-consume.js";

const noScript = missing("script", "bsdutils");
if (noScript) console.warn(`SKIP brook produce progress on a terminal: ${noScript}`);

describe("brook produce progress line", { skip: noScript ?? false }, () => {
  let b: PcBroker;
  const dir = mkdtempSync(join(tmpdir(), "brook-tty-"));
  const file = join(dir, "in.txt");
  before(async () => {
    b = await startPcBroker();
    // Enough records that producing them takes well over the 200 ms between redraws.
    writeFileSync(file, `${"x".repeat(200)}\n`.repeat(600_000));
  });
  after(async () => {
    await b?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const command = (topic: string) => {
    const [node, args] = brookCommand(["-b", b.bootstrap, "produce", topic, "-f", file, "--acks", "1"]);
    return [node, ...args].map((a) => `'${a}'`).join(" ");
  };

  it("draws the bar on a terminal", () => {
    const r = spawnSync("script", ["-qec", command("tty-on"), "/dev/null"], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 120_000,
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /\rproduced [\d,]+ records \([\d.]+ MB\) {2}[\d,]+ records\/s {2}[\d.]+ MB\/s/);
    assert.match(r.stdout, /produced 600,000 records \([\d.]+ MB\) to tty-on in [\d.]+s: [\d,]+ records\/s/);
  });

  it("writes only the summary when stderr is a pipe", () => {
    const r = spawnSync("bash", ["-c", command("tty-off")], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 120_000,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /\r/);
    assert.match(
      r.stderr,
      /^produced 600,000 records \([\d.]+ MB\) to tty-off in [\d.]+s: [\d,]+ records\/s, [\d.]+ MB\/s\n$/,
    );
  });
});
