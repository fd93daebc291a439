/**
 * A self-signed certificate for 127.0.0.1/localhost made with openssl, as PEM files and as the PKCS12
 * keystore an Apache Kafka SSL listener reads: for TLS tests against Kafka (Brook has no TLS listener).
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";

export interface BrokerCertificate {
  key: string;
  cert: string;
  /** PKCS12 keystore holding key and certificate, protected by `password`. */
  store: string;
  password: string;
}

export function makeBrokerCertificate(dir: string): BrokerCertificate {
  const key = join(dir, "key.pem");
  const cert = join(dir, "cert.pem");
  const store = join(dir, "broker.p12");
  const password = "test-secret";
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2"].concat([
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
    ]),
    { stdio: "ignore" },
  );
  execFileSync(
    "openssl",
    [
      "pkcs12",
      "-export",
      "-in",
      cert,
      "-inkey",
      key,
      "-out",
      store,
      "-passout",
      `pass:${password}`,
      "-name",
      "broker",
    ],
    { stdio: "ignore" },
  );
  return { key, cert, store, password };
}
