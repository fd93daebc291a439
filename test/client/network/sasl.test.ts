/**
 * SASL against Apache Kafka 4.4 (Brook's broker has no SASL listener): PLAIN, SCRAM-SHA-256/512,
 * OAUTHBEARER (Kafka's unsecured-token validator), a custom mechanism through KafkaJS's
 * authenticationProvider contract, wrong credentials, a mechanism the server does not enable, and
 * KIP-368 re-authentication with `connections.max.reauth.ms` short enough to expire mid-test.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Cluster } from "../../../src/client/cluster/index.js";
import { KafkaJSProtocolError, KafkaJSSASLAuthenticationError } from "../../../src/client/errors.js";
import { createLogger, logLevel } from "../../../src/client/logger.js";
import type { SaslConfig } from "../../../src/client/network/sasl.js";
import { Metadata } from "../../../src/protocol/messages/index.js";
import {
  type ApacheKafkaCluster,
  apacheKafkaUnavailable,
  runKafkaJava,
  startApacheKafka,
} from "../../support/apache-kafka.js";

const unavailable = apacheKafkaUnavailable();
if (unavailable) console.warn(`SKIP client SASL tests against Apache Kafka: ${unavailable}`);

const logger = createLogger({ level: logLevel.NOTHING });
const REAUTH_MS = 3000;

function unsecuredJwt(sub: string): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  return `${b64({ alg: "none" })}.${b64({ sub, iat: now, exp: now + 3600 })}.`;
}

describe("client SASL against Apache Kafka 4.4", { skip: unavailable ?? false }, () => {
  let kafka: ApacheKafkaCluster;
  before(async () => {
    const jaas = (module: string, extra = "") => `${module} required${extra};`;
    kafka = await startApacheKafka({
      brokers: 1,
      quickStart: true,
      extraListener: { name: "SASL_PLAINTEXT", protocol: "SASL_PLAINTEXT" },
      configs: {
        "sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER",
        "listener.name.sasl_plaintext.plain.sasl.jaas.config": jaas(
          "org.apache.kafka.common.security.plain.PlainLoginModule",
          ' user_alice="alice-secret"',
        ),
        "listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config": jaas(
          "org.apache.kafka.common.security.scram.ScramLoginModule",
        ),
        "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config": jaas(
          "org.apache.kafka.common.security.scram.ScramLoginModule",
        ),
        "listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config": jaas(
          "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule",
          ' unsecuredLoginStringClaim_sub="admin"',
        ),
        "connections.max.reauth.ms": String(REAUTH_MS),
      },
    });
    // SCRAM credentials live in the cluster metadata; Kafka's own tool adds them over PLAINTEXT.
    // One call per mechanism: Kafka refuses two changes to one user's credentials in one request.
    for (const cred of [
      "SCRAM-SHA-256=[iterations=4096,password=bob-secret]",
      "SCRAM-SHA-512=[password=bob-secret]",
    ]) {
      const r = await runKafkaJava("org.apache.kafka.tools.ConfigCommand", [
        "--bootstrap-server",
        kafka.bootstrap,
        "--alter",
        "--add-config",
        cred,
        "--entity-type",
        "users",
        "--entity-name",
        "bob",
      ]);
      assert.equal(r.code, 0, r.stderr + r.stdout);
    }
  });
  after(async () => {
    await kafka?.stop();
  });

  async function connectWith(sasl: SaslConfig, extra: { reauthenticationThreshold?: number } = {}) {
    const cluster = new Cluster({
      brokers: [kafka.extraBootstrap],
      logger,
      sasl,
      retry: { retries: 0 },
      ...extra,
    });
    await cluster.connect();
    return cluster;
  }

  async function authenticates(sasl: SaslConfig): Promise<void> {
    // SCRAM credentials take a moment to reach the broker after ConfigCommand returns.
    for (let i = 0; ; i++) {
      try {
        const cluster = await connectWith(sasl);
        const b = await cluster.anyBroker();
        const md = await b.request(Metadata, { topics: null });
        assert.ok(md.brokers.length === 1);
        await cluster.disconnect();
        return;
      } catch (e) {
        if (i >= 20 || !(e instanceof KafkaJSSASLAuthenticationError) || sasl.mechanism === "plain") throw e;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  it("PLAIN", async () => {
    await authenticates({ mechanism: "plain", username: "alice", password: "alice-secret" });
  });

  it("SCRAM-SHA-256 and SCRAM-SHA-512", async () => {
    await authenticates({ mechanism: "scram-sha-256", username: "bob", password: "bob-secret" });
    await authenticates({ mechanism: "scram-sha-512", username: "bob", password: "bob-secret" });
  });

  it("OAUTHBEARER with a token from oauthBearerProvider", async () => {
    await authenticates({
      mechanism: "oauthbearer",
      oauthBearerProvider: async () => ({ value: unsecuredJwt("alice") }),
    });
  });

  it("a custom mechanism through authenticationProvider (PLAIN written by the user)", async () => {
    let calls = 0;
    await authenticates({
      mechanism: "PLAIN",
      authenticationProvider: ({ saslAuthenticate }) => ({
        async authenticate() {
          calls++;
          await saslAuthenticate({ request: { encode: () => Buffer.from("\0alice\0alice-secret") } });
        },
      }),
    });
    assert.equal(calls, 1);
  });

  it("wrong credentials give KafkaJSSASLAuthenticationError; a mechanism the server does not enable a protocol error", async () => {
    const wrong: SaslConfig[] = [
      { mechanism: "plain", username: "alice", password: "nope" },
      { mechanism: "scram-sha-256", username: "bob", password: "nope" },
      { mechanism: "scram-sha-512", username: "nobody", password: "x" },
    ];
    for (const sasl of wrong) {
      await assert.rejects(connectWith(sasl), (e: Error) => {
        const cause = (e as { cause?: Error }).cause ?? e;
        assert.ok(
          cause instanceof KafkaJSSASLAuthenticationError,
          `${sasl.mechanism}: ${e.name} ${e.message}`,
        );
        assert.equal(cause.retriable, false);
        return true;
      });
    }
    // Kafka answers the handshake with UNSUPPORTED_SASL_MECHANISM: a protocol error, as KafkaJS gives.
    await assert.rejects(
      connectWith({
        mechanism: "GSSAPI",
        authenticationProvider: () => ({ authenticate: async () => {} }),
      }),
      (e: Error) => {
        const cause = (e as { cause?: Error }).cause ?? e;
        assert.ok(cause instanceof KafkaJSProtocolError, `${cause.name}: ${cause.message}`);
        assert.equal(cause.type, "UNSUPPORTED_SASL_MECHANISM");
        assert.equal(cause.retriable, false);
        return true;
      },
    );
  });

  it("re-authenticates before the broker's session lifetime ends (KIP-368)", async () => {
    let authentications = 0;
    const cluster = await connectWith(
      {
        mechanism: "plain",
        authenticationProvider: ({ saslAuthenticate }) => ({
          async authenticate() {
            authentications++;
            await saslAuthenticate({ request: { encode: () => Buffer.from("\0alice\0alice-secret") } });
          },
        }),
      },
      { reauthenticationThreshold: 1500 },
    );
    try {
      const b = await cluster.anyBroker();
      const before = authentications;
      // Requests for twice the session lifetime on one connection: without re-authentication the
      // broker closes it when the session expires.
      const until = performance.now() + REAUTH_MS * 2;
      let n = 0;
      while (performance.now() < until) {
        const md = await b.request(Metadata, { topics: null });
        assert.equal(md.brokers.length, 1);
        n++;
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.ok(n > 10);
      assert.ok(authentications > before, `re-authenticated ${authentications - before} times`);
    } finally {
      await cluster.disconnect();
    }
  });
});
