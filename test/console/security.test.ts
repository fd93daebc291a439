/**
 * The console's security model: basic auth on every route when credentials are configured, a
 * refusal (before any listen) to serve a non-loopback address without them, and a clear error for a
 * taken port.
 */
import assert from "node:assert/strict";
import { createServer, type Server, Socket } from "node:net";
import { request } from "node:http";
import { after, before, describe, it } from "node:test";
import { isLoopback } from "../../src/console/auth.js";
import { ConsoleStartError, startConsole } from "../../src/console/server.js";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import { apiClient } from "./support.js";

let broker: TestBroker;
before(async () => {
  broker = await startTestBroker();
});
after(async () => {
  await broker?.close();
});

const basic = (user: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`,
});

function listenOn(port: number, host = "127.0.0.1"): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(port, host, () => resolve(s));
  });
}

async function freePort(): Promise<number> {
  const s = await listenOn(0);
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Whether anything accepts a TCP connection on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
    s.connect(port, "127.0.0.1");
  });
}

describe("console security", () => {
  it("asks every route for the login when credentials are configured (401 + WWW-Authenticate)", async () => {
    const server = await startConsole({
      brokers: [broker.bootstrap],
      port: 0,
      auth: { user: "admin", password: "s3cret:with:colons" },
    });
    try {
      const anonymous = apiClient(server.url);
      for (const path of ["/api/cluster", "/api/topics", "/", "/topics/x", "/api/nope"]) {
        const r = await anonymous.get(path);
        assert.equal(r.status, 401, path);
        assert.match(r.headers.get("www-authenticate") ?? "", /^Basic realm="Brook console"/);
      }
      const denied = await anonymous.post("/api/topics", { name: "t" });
      assert.equal(denied.status, 401);
      assert.equal(denied.body.code, "UNAUTHORIZED");
      for (const [u, p] of [
        ["admin", "wrong"],
        ["root", "s3cret:with:colons"],
        ["admin", ""],
      ] as const) {
        assert.equal((await apiClient(server.url, basic(u, p)).get("/api/cluster")).status, 401, `${u}:${p}`);
      }
      assert.equal((await anonymous.get("/api/cluster", { authorization: "Bearer x" })).status, 401);
      const user = apiClient(server.url, basic("admin", "s3cret:with:colons"));
      assert.equal((await user.get("/api/cluster")).status, 200);
      assert.equal((await user.post("/api/topics", { name: "with-login" })).status, 201);
      // The CSRF rule holds for a logged-in user too.
      assert.equal((await user.post("/api/topics", { name: "x" }, { "x-brook-console": "0" })).status, 403);
    } finally {
      await server.close();
    }
  });

  it("refuses a non-loopback address without credentials, before listening or connecting", async () => {
    const port = await freePort();
    for (const host of ["0.0.0.0", "::", "192.168.1.10"]) {
      await assert.rejects(
        // A cluster nobody runs: the refusal comes before any connection.
        startConsole({ brokers: ["127.0.0.1:1"], host, port }),
        (e: unknown) =>
          e instanceof ConsoleStartError &&
          e.code === "NO_LOGIN" &&
          /refusing to listen on .* without a login/.test(e.message) &&
          /--console-user/.test(e.message),
      );
    }
    assert.equal(await accepts(port), false, "nothing listens on the port");
    await assert.rejects(
      startConsole({ brokers: ["127.0.0.1:1"], port, auth: { user: "a", password: "" } }),
      ConsoleStartError,
    );
    // With credentials it starts on all interfaces.
    const open = await startConsole({
      brokers: [broker.bootstrap],
      host: "0.0.0.0",
      port: 0,
      auth: { user: "a", password: "b" },
    });
    try {
      assert.equal(
        (await apiClient(`http://127.0.0.1:${open.port}/`, basic("a", "b")).get("/api/health")).status,
        200,
      );
      assert.equal((await apiClient(`http://127.0.0.1:${open.port}/`).get("/api/health")).status, 401);
    } finally {
      await open.close();
    }
  });

  it("answers only requests for this machine without a login (DNS rebinding)", async () => {
    const server = await startConsole({ brokers: [broker.bootstrap], port: 0 });
    try {
      const get = (host: string) =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          const req = request(
            { host: "127.0.0.1", port: server.port, path: "/api/cluster", headers: { host } },
            (res) => {
              let body = "";
              res.on("data", (d) => (body += d));
              res.on("end", () => resolve({ status: res.statusCode!, body }));
            },
          );
          req.on("error", reject);
          req.end();
        });
      for (const host of [
        `127.0.0.1:${server.port}`,
        `localhost:${server.port}`,
        `[::1]:${server.port}`,
        "localhost",
      ]) {
        assert.equal((await get(host)).status, 200, host);
      }
      for (const host of [`evil.example:${server.port}`, "evil.example", "10.0.0.1:80"]) {
        const r = await get(host);
        assert.equal(r.status, 403, host);
        assert.equal(JSON.parse(r.body).code, "CSRF");
      }
    } finally {
      await server.close();
    }
  });

  it("says which address is taken", async () => {
    const taken = await listenOn(0);
    const port = (taken.address() as { port: number }).port;
    try {
      await assert.rejects(
        startConsole({ brokers: [broker.bootstrap], port }),
        (e: unknown) =>
          e instanceof ConsoleStartError &&
          e.code === "EADDRINUSE" &&
          e.message.includes(`127.0.0.1:${port}`),
      );
    } finally {
      await new Promise((r) => taken.close(r));
    }
  });

  it("answers 502 with the reason while the cluster is down", async () => {
    const lone = await startTestBroker();
    const server = await startConsole({ brokers: [lone.bootstrap], port: 0 });
    try {
      const api = apiClient(server.url);
      assert.equal((await api.get("/api/health")).status, 200);
      await lone.close();
      for (const path of ["/api/health", "/api/topics", "/api/cluster", "/api/groups"]) {
        const started = performance.now();
        const r = await api.get(path);
        assert.equal(r.status, 502, `${path}: ${JSON.stringify(r.body)}`);
        assert.equal(typeof r.body.error, "string");
        assert.equal(typeof r.body.code, "string");
        assert.ok(performance.now() - started < 15_000, `${path} took ${performance.now() - started} ms`);
      }
    } finally {
      await server.close();
      await lone.close();
    }
  });

  it("knows loopback addresses", () => {
    for (const h of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "::ffff:127.0.0.1"])
      assert.ok(isLoopback(h), h);
    for (const h of ["0.0.0.0", "::", "10.0.0.1", "example.com", "::ffff:10.0.0.1"])
      assert.ok(!isLoopback(h), h);
  });
});
