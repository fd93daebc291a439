/**
 * Connection behaviour that only shows with a slow peer: acks=0 records already accepted by send()
 * must reach the broker when disconnect() follows, even when the broker stops reading for a while
 * (a TCP proxy that stalls stands in for a busy broker).
 */
import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { Kafka, logLevel } from "../../../src/client/index.js";
import { startTestBroker, type TestBroker } from "../../../src/testing/index.js";
import { listen } from "../../support/tcp-peer.js";

/** Forwards to `target`; while stalled it reads nothing from the clients. */
async function stallingProxy(target: string) {
  const [host, port] = target.split(":") as [string, string];
  const clients = new Set<net.Socket>();
  let stalledUntil = 0;
  const peer = await listen((client, track) => {
    const upstream = track(net.connect({ host, port: Number(port) }));
    clients.add(client);
    client.on("close", () => clients.delete(client));
    upstream.pipe(client);
    client.on("data", (d: Buffer) => {
      upstream.write(d);
      const wait = stalledUntil - Date.now();
      if (wait > 0) {
        client.pause();
        setTimeout(() => client.resume(), wait);
      }
    });
    client.on("end", () => upstream.end());
  });
  return {
    address: peer.address,
    /** Stops reading from every client for `ms`. */
    stall(ms: number) {
      stalledUntil = Date.now() + ms;
      for (const c of clients) {
        c.pause();
        setTimeout(() => c.resume(), ms);
      }
    },
    close: () => peer.stop(),
  };
}

describe("client connection", () => {
  let tb: TestBroker;
  before(async () => {
    tb = await startTestBroker({});
  });
  after(async () => {
    await tb.close();
  });

  it("acks=0 records accepted before disconnect() reach a broker that stopped reading for a while", async () => {
    const topic = "acks0-flush";
    const count = 24 * 1024;
    const admin = new Kafka({ brokers: [tb.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic }] });
    const proxy = await stallingProxy(tb.bootstrap);
    try {
      // Metadata names the broker itself, so the socket factory sends every connection through the proxy.
      const [h, p] = proxy.address.split(":") as [string, string];
      const kafka = new Kafka({
        brokers: [proxy.address],
        logLevel: logLevel.NOTHING,
        socketFactory: ({ onConnect }) => net.connect({ host: h, port: Number(p) }, onConnect),
      });
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic, acks: 0, messages: [{ value: "warm-up" }] });
      // 24 MiB, more than the kernel buffers between client and proxy hold, while the proxy reads
      // nothing for 2 s: most of it waits in the client's socket when disconnect() is called.
      proxy.stall(2000);
      const value = Buffer.alloc(1024, 1);
      const sends: Promise<unknown>[] = [];
      for (let i = 0; i < count; i++) sends.push(producer.send({ topic, acks: 0, messages: [{ value }] }));
      await Promise.all(sends);
      await producer.disconnect();
      let high = "0";
      for (let i = 0; i < 100 && high !== String(count + 1); i++) {
        high = (await admin.fetchTopicOffsets(topic))[0]!.high;
        if (high !== String(count + 1)) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(high, String(count + 1));
    } finally {
      await proxy.close();
      await admin.disconnect();
    }
  });
});
