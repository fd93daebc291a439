/**
 * The CLI's TLS and SASL flags against Apache Kafka 4.4 with a SASL_SSL listener (Brook's broker has
 * neither): a certificate made for the test with openssl, PLAIN credentials; the flags, their -X
 * (librdkafka/Java) spellings and a saved profile all connect; an untrusted certificate and a wrong
 * password are one line each, exit 1.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  type ApacheKafkaCluster,
  apacheKafkaUnavailable,
  startApacheKafka,
} from "../support/apache-kafka.js";
import { type BrookResult, runBrook } from "../support/cli-process.js";
import { makeBrokerCertificate } from "../support/certificates.js";
import { missing } from "../support/external.js";

const unavailable = apacheKafkaUnavailable() ?? missing("openssl");
if (unavailable) console.warn(`SKIP brook CLI over TLS and SASL against Apache Kafka: ${unavailable}`);

describe("brook CLI over SASL_SSL (Apache Kafka 4.4)", { skip: unavailable ?? false }, () => {
  let kafka: ApacheKafkaCluster;
  let dir: string;
  let cert: string;
  let brook: (args: string[], input?: string) => Promise<BrookResult>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "brook-cli-sec-"));
    const made = makeBrokerCertificate(dir);
    cert = made.cert;
    const { store, password } = made;
    kafka = await startApacheKafka({
      brokers: 1,
      quickStart: true,
      extraListener: { name: "SASL_SSL", protocol: "SASL_SSL" },
      configs: {
        "sasl.enabled.mechanisms": "PLAIN",
        "listener.name.sasl_ssl.plain.sasl.jaas.config":
          'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";',
        "listener.name.sasl_ssl.ssl.keystore.location": store,
        "listener.name.sasl_ssl.ssl.keystore.type": "PKCS12",
        "listener.name.sasl_ssl.ssl.keystore.password": password,
        "listener.name.sasl_ssl.ssl.key.password": password,
      },
    });
    brook = (args, input) =>
      runBrook(["-b", kafka.extraBootstrap, ...args], {
        ...(input === undefined ? {} : { input }),
        env: { BROOK_CONFIG_DIR: join(dir, "config"), BROOK_BROKERS: "", BROOK_PROFILE: "" },
        timeoutMs: 60_000,
      });
  });
  after(async () => {
    await kafka?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const sasl = ["--sasl-mechanism", "plain", "--sasl-username", "alice", "--sasl-password", "alice-secret"];

  it("--tls-ca and --sasl-*: create, produce and consume over SASL_SSL", async () => {
    const created = await brook(["--tls-ca", cert, ...sasl, "topic", "create", "secure", "-p", "1"]);
    assert.equal(created.code, 0, created.stderr);
    const produced = await brook(["--tls-ca", cert, ...sasl, "produce", "secure", "-q"], "one\ntwo\n");
    assert.equal(produced.code, 0, produced.stderr);
    const consumed = await brook(["--tls-ca", cert, ...sasl, "consume", "secure", "-o", "beginning", "-e"]);
    assert.equal(consumed.code, 0, consumed.stderr);
    assert.equal(consumed.stdout, "one\ntwo\n");
  });

  it("the same with kcat's -X names, and from a saved profile", async () => {
    const x = [
      ["security.protocol", "SASL_SSL"],
      ["ssl.ca.location", cert],
      ["sasl.mechanisms", "PLAIN"],
      ["sasl.username", "alice"],
      ["sasl.password", "alice-secret"],
    ].flatMap(([k, v]) => ["-X", `${k}=${v}`]);
    const r = await brook([...x, "topic", "list", "--format", "json"]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(JSON.parse(r.stdout).some((t: { name: string }) => t.name === "secure"));
    assert.equal((await brook([...x, "profile", "create", "secure"])).code, 0);
    // The profile holds the brokers (-b) and every -X: with it current, no flag is needed.
    const viaProfile = await runBrook(["cluster", "health"], {
      env: { BROOK_CONFIG_DIR: join(dir, "config"), BROOK_BROKERS: "", BROOK_PROFILE: "" },
      timeoutMs: 60_000,
    });
    assert.equal(viaProfile.code, 0, viaProfile.stderr);
    assert.match(viaProfile.stdout, /^healthy: /);
    assert.equal((await brook(["profile", "delete", "secure"])).code, 0);
  });

  it("an untrusted certificate: one line saying so, exit 1; --tls-insecure connects", async () => {
    const r = await brook(["--tls", ...sasl, "topic", "list"]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, /certificate/i);
    assert.match(r.stderr, /--tls-ca/);
    const insecure = await brook(["--tls-insecure", ...sasl, "topic", "list"]);
    assert.equal(insecure.code, 0, insecure.stderr);
  });

  it("a wrong password: one line naming SASL, exit 1", async () => {
    const r = await brook([
      "--tls-ca",
      cert,
      "--sasl-mechanism",
      "plain",
      "--sasl-username",
      "alice",
      "--sasl-password",
      "nope",
      "topic",
      "list",
    ]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, /SASL|authentication/i);
    assert.match(r.stderr, /--sasl-username/);
  });
});
