/**
 * `brook cluster …`, the connection settings (flags > BROOK_* > profile > default), profiles, and
 * the failures every client command shares (unreachable broker, malformed -X), against a spawned
 * Brook broker.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import YAML from "yaml";
import { type CliBroker, startCliBroker } from "../support/cli-broker.js";
import { brookCommand, ROOT } from "../support/cli-process.js";

let b: CliBroker;
/** A port nothing listens on (bound, then closed). */
let closedPort: number;

before(async () => {
  b = await startCliBroker(["--set", "log.retention.hours=100"]);
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  closedPort = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
});
after(() => b.stop());

function oneLineError(r: { stderr: string }, pattern: RegExp): void {
  assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
  assert.match(r.stderr, pattern);
}

describe("brook cluster", () => {
  it("info: the cluster id, the controller and the brokers with their address", async () => {
    const info = await b.json(["cluster", "info"]);
    assert.match(info.clusterId, /^[A-Za-z0-9_-]{22}$/);
    assert.equal(info.controller, 1);
    assert.deepEqual(info.brokers, [{ nodeId: 1, host: "localhost", port: b.port }]);
    const table = await b.brook(["cluster", "info"]);
    assert.match(table.stdout, new RegExp(`CLUSTER\\s+${info.clusterId}`));
    assert.match(table.stdout, new RegExp(`\\n1\\s+localhost\\s+${b.port}\\s+\\*`));
  });

  it("health: exit 0 with the facts when reachable; exit 1 within seconds when not", async () => {
    await b.json(["topic", "create", "h", "-p", "2"]);
    const ok = await b.brook(["cluster", "health"]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(
      ok.stdout,
      /^healthy: cluster \S+, 1 broker\(s\) \[1\], controller 1, \d+ topic\(s\), \d+ partition\(s\)\n$/,
    );
    const doc = await b.json(["cluster", "health"]);
    assert.deepEqual([doc.healthy, doc.reachable, doc.leaderlessPartitions], [true, true, []]);
    const started = performance.now();
    const down = await b.brookBare(["-b", `127.0.0.1:${closedPort}`, "cluster", "health"]);
    assert.equal(down.code, 1);
    assert.ok(performance.now() - started < 15_000, "gives up within seconds");
    assert.match(down.stdout, /^unhealthy: cannot reach 127\.0\.0\.1:\d+/);
  });

  it("health --watch --exit-when-healthy waits for a broker that starts later", async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    await new Promise((r) => server.close(r));
    const [cmd, args] = brookCommand([
      "-b",
      `127.0.0.1:${port}`,
      "cluster",
      "health",
      "--watch",
      "--exit-when-healthy",
      "--interval",
      "300",
    ]);
    const watcher = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, BROOK_CONFIG_DIR: b.configDir } });
    let out = "";
    watcher.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => watcher.on("exit", r));
    // Unhealthy first, then a broker on that port: the watcher says so and exits 0.
    for (let i = 0; i < 100 && !out.includes("unhealthy"); i++) await new Promise((r) => setTimeout(r, 100));
    assert.match(out, /^unhealthy: cannot reach/);
    const late = await startCliBroker(["--port", String(port)]).catch((e) => {
      watcher.kill();
      throw e;
    });
    try {
      const timer = setTimeout(() => watcher.kill(), 30_000);
      assert.equal(await exited, 0);
      clearTimeout(timer);
      assert.match(out, /\nhealthy: cluster /);
    } finally {
      await late.stop();
    }
  });

  it("config: the broker's configs with their sources; --set changes a dynamic one cluster-wide", async () => {
    const doc = await b.json(["cluster", "config"]);
    const cfg = (name: string) => doc.configs.find((c: { name: string }) => c.name === name);
    assert.equal(doc.broker, 1);
    assert.deepEqual(
      [cfg("log.retention.hours").value, cfg("log.retention.hours").source],
      ["100", "STATIC_BROKER_CONFIG"],
    );
    assert.equal(cfg("num.partitions").source, "DEFAULT_CONFIG");
    const only = await b.json(["cluster", "config", "num.partitions"]);
    assert.deepEqual(
      only.configs.map((c: { name: string }) => c.name),
      ["num.partitions"],
    );
    const set = await b.brook(["cluster", "config", "--set", "log.retention.ms=7200000"]);
    assert.equal(set.code, 0, set.stderr);
    const after = await b.json(["cluster", "config", "log.retention.ms"]);
    assert.deepEqual(
      [after.configs[0].value, after.configs[0].source],
      ["7200000", "DYNAMIC_DEFAULT_BROKER_CONFIG"],
    );
    const nonDefault = await b.brook(["cluster", "config", "--non-default"]);
    assert.match(nonDefault.stdout, /log\.retention\.hours\s+100\s+STATIC_BROKER_CONFIG/);
    assert.doesNotMatch(nonDefault.stdout, /DEFAULT_CONFIG\s/);
    const badBroker = await b.brook(["cluster", "config", "--broker", "7"]);
    assert.equal(badBroker.code, 2);
    oneLineError(badBroker, /--broker 7: no such broker/);
  });

  it("logdirs: each partition's size on disk under the broker's data directory", async () => {
    await b.json(["topic", "create", "sized", "-p", "2"]);
    const r = await b.brook(["produce", "sized", "-p", "1"], { input: "a\nb\nc\n" });
    assert.equal(r.code, 0, r.stderr);
    const dirs = await b.json(["cluster", "logdirs", "--topic", "sized"]);
    assert.equal(dirs.length, 1);
    const [dir] = dirs[0].logDirs;
    assert.match(dir.dir, /data$/);
    const parts = dir.topics.find((t: { topic: string }) => t.topic === "sized").partitions;
    const size = (p: number) => parts.find((x: { partition: number }) => x.partition === p).size;
    assert.equal(size(0), 0);
    assert.equal(size(1), statSync(join(dir.dir, "sized-1", "00000000000000000000.log")).size);
    assert.ok(size(1) > 0);
  });
});

describe("connection settings", () => {
  it("precedence: -b beats BROOK_BROKERS, which beats the profile, which beats localhost:9092", async () => {
    const bad = `127.0.0.1:${closedPort}`;
    const created = await b.brookBare(["-b", bad, "profile", "create", "dead"]);
    assert.equal(created.code, 0, created.stderr);
    // The current profile points at a closed port: fails.
    assert.equal((await b.brookBare(["cluster", "info"])).code, 1);
    // BROOK_BROKERS beats the profile.
    assert.equal((await b.brookBare(["cluster", "info"], { env: { BROOK_BROKERS: b.bootstrap } })).code, 0);
    // -b beats BROOK_BROKERS.
    assert.equal(
      (await b.brookBare(["-b", b.bootstrap, "cluster", "info"], { env: { BROOK_BROKERS: bad } })).code,
      0,
    );
    // A good profile chosen by --profile or BROOK_PROFILE beats the current one.
    await b.brookBare(["-b", b.bootstrap, "profile", "create", "good", "--no-use"]);
    assert.equal((await b.brookBare(["--profile", "good", "cluster", "info"])).code, 0);
    assert.equal((await b.brookBare(["cluster", "info"], { env: { BROOK_PROFILE: "good" } })).code, 0);
    const missing = await b.brookBare(["--profile", "nope", "cluster", "info"]);
    assert.equal(missing.code, 2);
    oneLineError(missing, /no profile "nope"/);
  });

  it("profiles: list marks the current one, use switches, show hides the password, delete removes; file is 0600", async () => {
    await b.brookBare([
      "-b",
      b.bootstrap,
      "-X",
      "client.id=from-profile",
      "--sasl-mechanism",
      "plain",
      "--sasl-username",
      "u",
      "--sasl-password",
      "secret",
      "profile",
      "create",
      "withsasl",
      "--no-use",
    ]);
    const list = JSON.parse((await b.brookBare(["profile", "list", "--format", "json"])).stdout);
    const names = list.map((p: { name: string; current: boolean }) => `${p.name}${p.current ? "*" : ""}`);
    assert.deepEqual(names, ["dead*", "good", "withsasl"]);
    assert.equal((await b.brookBare(["profile", "use", "good"])).code, 0);
    const show = await b.brookBare(["profile", "show", "withsasl"]);
    const doc = YAML.parse(show.stdout);
    assert.deepEqual(doc.sasl, { mechanism: "plain", username: "u", password: "********" });
    assert.deepEqual(doc.settings, { "client.id": "from-profile" });
    const file = join(b.configDir, "profiles.yaml");
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(YAML.parse(readFileSync(file, "utf8")).current, "good");
    assert.equal((await b.brookBare(["profile", "create", "good"])).code, 1, "exists: needs --force");
    assert.equal((await b.brookBare(["profile", "delete", "dead"])).code, 0);
    const after = JSON.parse((await b.brookBare(["profile", "list", "--format", "json"])).stdout);
    assert.deepEqual(
      after.map((p: { name: string }) => p.name),
      ["good", "withsasl"],
    );
    const badName = await b.brookBare(["profile", "create", "a b"]);
    assert.equal(badName.code, 2);
  });

  it("bad connection input: one line, exit 2 for malformed flags, exit 1 for an unreachable broker", async () => {
    const cases: Array<[string[], RegExp]> = [
      [["-X", "client.id"], /-X "client\.id": expected key=value/],
      [["-X", "no.such.setting=1"], /-X no\.such\.setting: unknown setting; known: /],
      [["-X", "request.timeout.ms=soon"], /expected a whole number/],
      [["-X", "security.protocol=CARRIER_PIGEON"], /security\.protocol=CARRIER_PIGEON: expected PLAINTEXT/],
      [["-b", "localhost"], /--brokers: "localhost" is not host:port/],
      [["--sasl-mechanism", "plain"], /needs --sasl-username and --sasl-password/],
      [["--tls-ca", "/no/such/ca.pem"], /--tls-ca \/no\/such\/ca\.pem: ENOENT/],
      [["--sasl-mechanism", "kerberos"], /argument 'kerberos' is invalid/],
    ];
    for (const [flags, pattern] of cases) {
      const r = await b.brookBare([...flags, "topic", "list"], { env: { BROOK_BROKERS: b.bootstrap } });
      assert.equal(r.code, 2, `${flags.join(" ")}: ${r.stderr}`);
      assert.equal(r.stdout, "");
      oneLineError(r, pattern);
    }
    const started = performance.now();
    const down = await b.brookBare(["-b", `127.0.0.1:${closedPort}`, "topic", "list"]);
    assert.equal(down.code, 1);
    assert.ok(performance.now() - started < 15_000);
    oneLineError(
      down,
      new RegExp(
        `^brook topic list: cannot reach 127\\.0\\.0\\.1:${closedPort}: .*is a broker running there\\?`,
      ),
    );
  });
});
