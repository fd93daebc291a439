/**
 * SCRAM credentials as the broker stores them (RFC 5802): the client sends the salted password
 * Hi(password, salt, iterations) = PBKDF2 with HMAC of the mechanism's hash, never the password.
 */
import { pbkdf2, randomBytes } from "node:crypto";
import type { ScramMechanism } from "./types.js";

/** Mechanism codes of DescribeUserScramCredentials / AlterUserScramCredentials. */
export const SCRAM_MECHANISMS: Record<ScramMechanism, number> = { "SCRAM-SHA-256": 1, "SCRAM-SHA-512": 2 };

const HASHES: Record<ScramMechanism, { digest: string; bytes: number }> = {
  "SCRAM-SHA-256": { digest: "sha256", bytes: 32 },
  "SCRAM-SHA-512": { digest: "sha512", bytes: 64 },
};

export function scramMechanismName(code: number): ScramMechanism {
  const found = (Object.keys(SCRAM_MECHANISMS) as ScramMechanism[]).find((m) => SCRAM_MECHANISMS[m] === code);
  // Kafka defines no other codes today; a future one is reported as the closest known name.
  return found ?? "SCRAM-SHA-512";
}

/** A fresh salt; 32 random bytes, longer than the 130 random bits of Java's default. */
export function randomSalt(): Buffer {
  return randomBytes(32);
}

/** Hi(password, salt, iterations). Kafka's formatter takes the password's UTF-8 bytes as they are. */
export function saltedPassword(
  mechanism: ScramMechanism,
  password: string,
  salt: Buffer,
  iterations: number,
): Promise<Buffer> {
  const { digest, bytes } = HASHES[mechanism];
  return new Promise((resolve, reject) => {
    pbkdf2(Buffer.from(password, "utf8"), salt, iterations, bytes, digest, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}
