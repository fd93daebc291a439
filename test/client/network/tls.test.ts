/**
 * The client over TLS, against Apache Kafka 4.4 with an SSL listener (Brook's broker has none): a
 * certificate made for the test with openssl, trusted through `ssl.ca`; admin, producer and consumer
 * all work over it, and an untrusted certificate is refused as a connection error.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Kafka, KafkaJSConnectionError, logLevel } from "../../../src/client/index.js";
import {
  type ApacheKafkaCluster,
  apacheKafkaUnavailable,
  startApacheKafka,
} from "../../support/apache-kafka.js";
import { makeBrokerCertificate } from "../../support/certificates.js";
import { missing } from "../../support/external.js";

const unavailable = apacheKafkaUnavailable() ?? missing("openssl");
if (unavailable) console.warn(`SKIP client TLS tests against Apache Kafka: ${unavailable}`);

describe("client TLS against Apache Kafka 4.4", { skip: unavailable ?? false }, () => {
  let kafka: ApacheKafkaCluster;
  let dir: string;
  let ca: Buffer;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "brook-tls-"));
    const { cert, store, password } = makeBrokerCertificate(dir);
    ca = readFileSync(cert);
    kafka = await startApacheKafka({
      brokers: 1,
      quickStart: true,
      extraListener: { name: "SSL", protocol: "SSL" },
      configs: {
        "listener.name.ssl.ssl.keystore.location": store,
        "listener.name.ssl.ssl.keystore.type": "PKCS12",
        "listener.name.ssl.ssl.keystore.password": password,
        "listener.name.ssl.ssl.key.password": password,
      },
    });
  });
  after(async () => {
    await kafka?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("admin, producer and consumer over TLS with the broker's certificate trusted through ssl.ca", async () => {
    const client = new Kafka({
      brokers: [kafka.extraBootstrap],
      ssl: { ca: [ca], rejectUnauthorized: true },
      logLevel: logLevel.NOTHING,
    });
    const topic = "over-tls";
    const admin = client.admin();
    await admin.connect();
    const producer = client.producer({ idempotent: true });
    const consumer = client.consumer({ groupId: "tls-group" });
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
      await producer.connect();
      await producer.send({
        topic,
        messages: Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
      });
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      const seen: string[] = [];
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`only ${seen.length} of 20 records over TLS`)),
          30_000,
        );
        consumer
          .run({
            eachMessage: async ({ message }) => {
              seen.push(String(message.value));
              if (seen.length === 20) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .catch(reject);
      });
      assert.deepEqual(seen.sort(), Array.from({ length: 20 }, (_, i) => `v${i}`).sort());
      const offsets = await admin.fetchTopicOffsets(topic);
      assert.equal(
        offsets.reduce((n, p) => n + Number(p.high), 0),
        20,
      );
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      await admin.disconnect();
    }
  });

  it("a certificate the client does not trust is refused with a KafkaJSConnectionError", async () => {
    const client = new Kafka({
      brokers: [kafka.extraBootstrap],
      ssl: true,
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    });
    const admin = client.admin();
    await assert.rejects(admin.connect(), (e: Error) => {
      const cause = (e as { cause?: Error }).cause ?? e;
      assert.ok(cause instanceof KafkaJSConnectionError, `${cause.name}: ${cause.message}`);
      assert.match(cause.message, /certificate/i);
      return true;
    });
  });
});
