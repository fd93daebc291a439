/** `brook start` argument and configuration errors are refused with a readable message and exit code 2. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { runCli, spawnBroker } from "../support/broker-process.js";

const dir = mkdtempSync(join(tmpdir(), "brook-cli-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("brook start", () => {
  it("refuses an unknown --set key, naming it", async () => {
    const r = await runCli(["start", "--port", "0", "--data-dir", dir, "--set", "num.partition=3"]);
    assert.equal(r.code, 2);
    assert.match(r.out, /Unknown broker configuration "num\.partition"/);
  });

  it("refuses an invalid value, naming the key and the allowed values", async () => {
    const r = await runCli([
      "start",
      "--port",
      "0",
      "--data-dir",
      dir,
      "--set",
      "auto.create.topics.enable=maybe",
    ]);
    assert.equal(r.code, 2);
    assert.match(r.out, /auto\.create\.topics\.enable.*true or false/);
  });

  it("refuses a bad port and a missing config file", async () => {
    const bad = await runCli(["start", "--port", "70000"]);
    assert.equal(bad.code, 2);
    assert.match(bad.out, /--port.*0 to 65535/);
    const missing = await runCli([
      "start",
      "--port",
      "0",
      "--data-dir",
      dir,
      "--config",
      join(dir, "nope.properties"),
    ]);
    assert.equal(missing.code, 2);
    assert.match(missing.out, /Cannot read config file/);
  });

  it("reads a .properties file and BROOK_* variables, and stops cleanly on SIGINT", async () => {
    const file = join(dir, "broker.properties");
    writeFileSync(file, "num.partitions=4\nlog.retention.hours=2\n");
    const b = await spawnBroker(["--port", "0", "--data-dir", join(dir, "d1"), "--config", file], {
      BROOK_DEFAULT_REPLICATION_FACTOR: "1",
    });
    assert.match(b.output(), /listening on 127\.0\.0\.1:\d+/);
    assert.equal(await b.stop("SIGINT"), 0);
  });
});
