/**
 * Hostile input: random and mutated frames for every API key, oversize and negative frame sizes,
 * unsupported versions and half-open connections. The broker answers with an error or closes that
 * connection, and keeps serving everyone else.
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { encodeRequest } from "../../src/protocol/frame.js";
import { ApiVersions } from "../../src/protocol/messages/api-versions.js";
import { API_LIST } from "../../src/protocol/messages/index.js";
import { Metadata } from "../../src/protocol/messages/metadata.js";
import { Produce } from "../../src/protocol/messages/produce.js";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import { RawClient } from "../support/raw-client.js";
import { makeRng, sample } from "../support/samples.js";

describe("bad input", () => {
  let tb: TestBroker;
  before(async () => {
    tb = await startTestBroker({ configs: { "socket.request.max.bytes": String(1 << 20) } });
  });
  after(async () => {
    await tb.close();
  });

  async function stillServing(): Promise<void> {
    const c = await RawClient.connect(tb.port);
    const md = await c.request(Metadata, 12, { topics: null });
    assert.equal(md.brokers[0]!.nodeId, tb.broker.nodeId);
    c.close();
  }

  it("ApiVersions at an unsupported version gets a v0 UNSUPPORTED_VERSION answer with its own range", async () => {
    const c = await RawClient.connect(tb.port);
    const frame = encodeRequest(ApiVersions, 3, 7, "x", {});
    frame.writeInt16BE(99, 6); // api_version
    const resp = await c.sendRaw(frame);
    assert.equal(resp.readInt32BE(0), 7);
    assert.equal(resp.readInt16BE(4), 35);
    // As Kafka: only ApiVersions' own range, so the client knows which version to retry with.
    assert.equal(resp.readInt32BE(6), 1);
    assert.deepEqual([resp.readInt16BE(10), resp.readInt16BE(12), resp.readInt16BE(14)], [18, 0, 4]);
    c.close();
  });

  it("an unsupported version of another API, or an unknown api key, closes the connection", async () => {
    for (const [key, version] of [
      [0, 2],
      [0, 99],
      [1, 3],
      [4, 0],
      [999, 0],
    ] as const) {
      const c = await RawClient.connect(tb.port);
      const frame = Buffer.alloc(4 + 10);
      frame.writeInt32BE(10, 0);
      frame.writeInt16BE(key, 4);
      frame.writeInt16BE(version, 6);
      frame.writeInt32BE(1, 8);
      frame.writeInt16BE(-1, 12);
      void c.sendRaw(frame).catch(() => {});
      assert.equal(await c.closed(), true, `key ${key} v${version} closed`);
    }
    await stillServing();
  });

  it("frames larger than socket.request.max.bytes, or with negative sizes, close the connection", async () => {
    for (const size of [(1 << 20) + 1, 0x7fffffff, -5]) {
      const c = await RawClient.connect(tb.port);
      const b = Buffer.alloc(8);
      b.writeInt32BE(size, 0);
      void c.sendRaw(b).catch(() => {});
      assert.equal(await c.closed(), true, `size ${size}`);
    }
    await stillServing();
  });

  it("random and mutated frames for every API key never take the broker down", async () => {
    const rnd = makeRng(42);
    let closed = 0;
    let answered = 0;
    for (const api of API_LIST) {
      for (const version of new Set([api.minVersion, api.maxVersion])) {
        const valid = encodeRequest(api, version, 1, "fuzz", sample(api.request, version, "full", rnd));
        for (let round = 0; round < 6; round++) {
          const frame = Buffer.from(valid);
          if (round === 0) {
            // Truncate the body but keep the size prefix honest.
            const cut = 4 + 8 + Math.floor(rnd() * Math.max(1, frame.length - 12));
            const t = frame.subarray(0, cut);
            t.writeInt32BE(cut - 4, 0);
            await send(t);
            continue;
          }
          // Flip bytes after the header fields that select the API.
          for (let k = 0; k < 1 + round * 2; k++) {
            const pos = 12 + Math.floor(rnd() * Math.max(1, frame.length - 12));
            if (pos < frame.length) frame[pos] = Math.floor(rnd() * 256);
          }
          await send(frame);
        }
      }
    }
    async function send(frame: Buffer): Promise<void> {
      const c = await RawClient.connect(tb.port);
      const key = frame.readInt16BE(4);
      const acksZeroProduce = key === Produce.key && frame.length > 40;
      const res = await Promise.race([
        c.sendRaw(frame).then(
          () => "answered",
          () => "closed",
        ),
        new Promise<string>((r) => setTimeout(() => r("timeout"), acksZeroProduce ? 300 : 3000)),
      ]);
      if (res === "answered") answered++;
      else if (res === "closed") closed++;
      c.close();
    }
    assert.ok(answered + closed > 0);
    await stillServing();
  });

  it("half-open and idle connections do not block others", async () => {
    const sockets = await Promise.all(
      Array.from(
        { length: 20 },
        () =>
          new Promise<import("node:net").Socket>((r) => {
            const s = connect({ port: tb.port, host: "127.0.0.1" }, () => r(s));
          }),
      ),
    );
    // Half a frame, then silence; and a client that half-closes its side.
    sockets.forEach((s, i) => {
      if (i % 2 === 0) s.write(Buffer.from([0, 0, 0, 50, 0, 3]));
      else s.end();
    });
    await stillServing();
    for (const s of sockets) s.destroy();
  });

  it("memory stays bounded under a flood of garbage connections", async () => {
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 200; i++) {
      const c = await RawClient.connect(tb.port);
      const junk = Buffer.alloc(1024, i);
      junk.writeInt32BE(1 << 19, 0); // claims 512 KiB, sends 1 KiB, then leaves
      void c.sendRaw(junk, false);
      c.close();
    }
    await stillServing();
    const grown = process.memoryUsage().rss - before;
    assert.ok(grown < 200 * 1024 * 1024, `RSS grew by ${grown} bytes`);
  });
});
