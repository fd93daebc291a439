/**
 * KafkaJS's `aws` SASL mechanism (SASL "AWS"), which no broker this project runs offers: a proxy in
 * front of Brook's broker adds SaslHandshake/SaslAuthenticate to its ApiVersions answer, enables
 * only "AWS", and records the auth bytes. KafkaJS 2.2.4 and Brook's client, given the same options,
 * must send the same bytes; missing credentials fail as KafkaJS fails them.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { decodeRequest, decodeResponse, encodeResponse } from "../../../src/protocol/frame.js";
import {
  ApiVersions,
  apiByKey,
  SaslAuthenticate,
  SaslHandshake,
} from "../../../src/protocol/messages/index.js";
import { startTestBroker, type TestBroker } from "../../../src/testing/index.js";
import { CLIENTS } from "../../support/clients.js";
import { listen, splitFrames } from "../../support/tcp-peer.js";

/** A proxy that authenticates SASL "AWS" itself and passes every other request to the broker. */
async function awsSaslProxy(brokerPort: number) {
  const authBytes: Buffer[] = [];
  const peer = await listen((client, track) => {
    const upstream = track(net.connect(brokerPort, "127.0.0.1"));
    client.on("close", () => upstream.destroy());
    const apiVersions = new Map<number, number>();
    client.on(
      "data",
      splitFrames((frame) => {
        const apiKey = frame.readInt16BE(4);
        const version = frame.readInt16BE(6);
        const correlationId = frame.readInt32BE(8);
        if (apiKey === SaslHandshake.key) {
          const { body } = decodeRequest(frame.subarray(4), apiByKey);
          const ok = String(body.mechanism).toUpperCase() === "AWS";
          return void client.write(
            encodeResponse(SaslHandshake, version, correlationId, {
              errorCode: ok ? 0 : 33,
              mechanisms: ["AWS"],
            }),
          );
        }
        if (apiKey === SaslAuthenticate.key) {
          const { body } = decodeRequest(frame.subarray(4), apiByKey);
          authBytes.push(body.authBytes as Buffer);
          return void client.write(
            encodeResponse(SaslAuthenticate, version, correlationId, {
              errorCode: 0,
              errorMessage: null,
              authBytes: Buffer.alloc(0),
              sessionLifetimeMs: 0n,
            }),
          );
        }
        if (apiKey === ApiVersions.key) apiVersions.set(correlationId, version);
        upstream.write(frame);
      }),
    );
    upstream.on(
      "data",
      splitFrames((frame) => {
        const correlationId = frame.readInt32BE(4);
        const version = apiVersions.get(correlationId);
        if (version === undefined) return void client.write(frame);
        apiVersions.delete(correlationId);
        const { body } = decodeResponse(ApiVersions, version, frame.subarray(4));
        body.apiKeys.push(
          { apiKey: SaslHandshake.key, minVersion: 0, maxVersion: 1 },
          { apiKey: SaslAuthenticate.key, minVersion: 0, maxVersion: 2 },
        );
        client.write(encodeResponse(ApiVersions, version, correlationId, body));
      }),
    );
  });
  const { port } = peer;
  return {
    port,
    authBytes,
    socketFactory: ({ onConnect }: { onConnect: () => void }) => net.connect(port, "127.0.0.1", onConnect),
    close: () => peer.stop(),
  };
}

describe("SASL AWS mechanism (KafkaJS's `aws`)", () => {
  let tb: TestBroker;
  before(async () => {
    tb = await startTestBroker({});
  });
  after(async () => {
    await tb.close();
  });

  // A fresh object per client: KafkaJS stores its authentication provider on the sasl object it is
  // given, which another client would then pick up as a custom mechanism.
  const sasl = () => ({
    mechanism: "aws" as const,
    authorizationIdentity: "AIDAEXAMPLE",
    accessKeyId: "AKIAEXAMPLE",
    secretAccessKey: "secret/key+value",
    sessionToken: "token-123",
  });

  it("Brook's client sends the same auth bytes as KafkaJS 2.2.4 and then works", async () => {
    const sent = new Map<string, Buffer>();
    for (const c of CLIENTS) {
      const proxy = await awsSaslProxy(Number(tb.bootstrap.split(":")[1]));
      try {
        const kafka = new c.module.Kafka({
          brokers: [`127.0.0.1:${proxy.port}`],
          sasl: sasl(),
          socketFactory: proxy.socketFactory as never,
          logLevel: c.module.logLevel.NOTHING,
        });
        const admin = kafka.admin();
        await admin.connect();
        await admin.createTopics({ topics: [{ topic: `aws-${c.name}` }] });
        assert.ok((await admin.listTopics()).includes(`aws-${c.name}`));
        await admin.disconnect();
        assert.ok(proxy.authBytes.length > 0, `${c.name} authenticated`);
        sent.set(c.name, proxy.authBytes[0]!);
      } finally {
        await proxy.close();
      }
    }
    const brook = sent.get("Brook");
    const kafkajs = sent.get("KafkaJS");
    if (brook && kafkajs) assert.deepEqual(brook, kafkajs);
    if (brook) {
      assert.equal(brook.toString("utf8"), "AIDAEXAMPLE\0AKIAEXAMPLE\0secret/key+value\0token-123");
    }
  });

  // KafkaJS 2.2.4 has the same check and message, but its connect() resolves anyway (the
  // authentication error is swallowed), so only Brook's client is held to it here.
  it("missing credentials fail before anything is sent, with KafkaJS's message", async () => {
    for (const c of CLIENTS.filter((x) => x.name === "Brook")) {
      const proxy = await awsSaslProxy(Number(tb.bootstrap.split(":")[1]));
      try {
        const kafka = new c.module.Kafka({
          brokers: [`127.0.0.1:${proxy.port}`],
          sasl: { ...sasl(), secretAccessKey: "" },
          socketFactory: proxy.socketFactory as never,
          logLevel: c.module.logLevel.NOTHING,
          retry: { retries: 0 },
        });
        await assert.rejects(kafka.admin().connect(), (e: Error) => {
          const cause = (e as { cause?: Error }).cause ?? e;
          assert.equal(
            cause.name,
            "KafkaJSSASLAuthenticationError",
            `${c.name}: ${cause.name} ${cause.message}`,
          );
          assert.match(cause.message, /Missing secretAccessKey/);
          return true;
        });
        assert.equal(proxy.authBytes.length, 0);
      } finally {
        await proxy.close();
      }
    }
  });
});
