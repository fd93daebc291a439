/**
 * The console from the command line: `brook start` hosts it (start line, --console-port,
 * --no-console, a taken port) and `brook console` serves it for any cluster until SIGINT.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type BrokerProcess, runCli, spawnBroker } from "../support/broker-process.js";
import { brookCommand, ROOT } from "../support/cli-process.js";
import { LineProcess } from "../support/line-process.js";

let dir: string;
let broker: BrokerProcess;
let consoleUrl: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "brook-console-cli-"));
  broker = await spawnBroker(["--port", "0", "--data-dir", join(dir, "data"), "--console-port", "0"]);
});

after(async () => {
  if (broker) assert.equal(await broker.stop("SIGTERM"), 0, "the broker and its console stop cleanly");
  rmSync(dir, { recursive: true, force: true });
});

function listen(port = 0): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(port, "127.0.0.1", () => resolve(s));
  });
}

describe("brook start's console", () => {
  it("ends the start line with the console's URL, which serves the UI and the API", async () => {
    const line = broker
      .output()
      .split("\n")
      .find((l) => l.includes("listening on"))!;
    const m = /^brook (\S+): listening on .*, console on (http:\/\/127\.0\.0\.1:(\d+)\/)$/.exec(line);
    assert.ok(m, line);
    consoleUrl = m[2]!;
    const home = await fetch(consoleUrl);
    // The UI when it is built (npm run build), else the one line saying how to build it.
    if (home.status === 200) assert.match(home.headers.get("content-type") ?? "", /text\/html/);
    else {
      assert.equal(home.status, 503);
      assert.match(await home.text(), /npm run build/);
    }
    const cluster = (await (await fetch(new URL("/api/cluster", consoleUrl))).json()) as any;
    assert.equal(cluster.clusterId, m[1]);
    assert.equal(cluster.brokers[0].port, broker.port);
  });

  it("starts without it on --no-console, and names the flags when its port is taken", async () => {
    const quiet = await spawnBroker(["--port", "0", "--data-dir", join(dir, "quiet"), "--no-console"]);
    try {
      assert.doesNotMatch(quiet.output(), /console on/);
    } finally {
      assert.equal(await quiet.stop(), 0);
    }
    const taken = await listen();
    const port = (taken.address() as { port: number }).port;
    try {
      const r = await runCli([
        "start",
        "--port",
        "0",
        "--no-metrics",
        "--data-dir",
        join(dir, "taken"),
        "--console-port",
        String(port),
      ]);
      assert.equal(r.code, 1, r.out);
      assert.match(
        r.out,
        new RegExp(
          `^brook start: console: cannot listen on 127\\.0\\.0\\.1:${port}: .*\\(choose one with --console-port, or --no-console\\)$`,
          "m",
        ),
      );
    } finally {
      await new Promise((r) => taken.close(r));
    }
  });
});

describe("brook console", () => {
  it("serves the console for the cluster -b names, and stops cleanly on SIGINT", async () => {
    const [cmd, args] = brookCommand(["-b", `127.0.0.1:${broker.port}`, "console", "--port", "0"]);
    const proc = new LineProcess(
      spawn(cmd, args, {
        cwd: ROOT,
        env: { ...process.env, BROOK_PROFILE: "", BROOK_CONFIG_DIR: join(dir, "cfg") },
        stdio: ["ignore", "pipe", "pipe"],
      }),
    );
    try {
      const line = await proc.line("console on ", 20_000);
      assert.ok(line, `no start line; stderr: ${proc.stderr}`);
      assert.match(line, /^console on http:\/\/127\.0\.0\.1:\d+\/$/);
      const url = line.slice("console on ".length);
      assert.deepEqual(await (await fetch(new URL("/api/health", url))).json(), { status: "UP", brokers: 1 });
      const info = (await (await fetch(new URL("/api/info", url))).json()) as any;
      assert.equal(info.brokers, `127.0.0.1:${broker.port}`);
      const exited = new Promise<number | null>((r) => proc.proc.once("exit", (code) => r(code)));
      proc.signal("SIGINT");
      assert.equal(await exited, 0);
    } finally {
      await proc.kill();
    }
  });

  it("refuses a non-loopback address without a login, and a half login", async () => {
    const open = await runCli(
      ["-b", `127.0.0.1:${broker.port}`, "console", "--host", "0.0.0.0", "--port", "0"],
      {
        BROOK_CONSOLE_USER: "",
        BROOK_CONSOLE_PASSWORD: "",
      },
    );
    assert.equal(open.code, 2);
    assert.match(
      open.out,
      /^brook console: refusing to listen on 0\.0\.0\.0 without a login.*--console-user/m,
    );
    const half = await runCli(["-b", `127.0.0.1:${broker.port}`, "console", "--console-user", "admin"], {
      BROOK_CONSOLE_PASSWORD: "",
    });
    assert.equal(half.code, 2);
    assert.match(half.out, /needs both --console-user and --console-password/);
  });

  it("says when the cluster cannot be reached", async () => {
    const r = await runCli(["-b", "127.0.0.1:1", "console", "--port", "0", "-X", "retries=0"]);
    assert.equal(r.code, 1);
    assert.match(r.out, /^brook console: cannot reach 127\.0\.0\.1:1/m);
  });
});
