/**
 * SASL mechanisms built into the client (PLAIN, SCRAM-SHA-256/512 per RFC 5802/7677, OAUTHBEARER per
 * RFC 7628 as Kafka frames it), behind KafkaJS's authentication-provider contract so a custom
 * mechanism (`sasl: { mechanism, authenticationProvider }`) is driven exactly like a built-in one.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";
import { KafkaJSSASLAuthenticationError } from "../errors.js";
import type { AuthenticationProviderArgs, Authenticator, OauthbearerProviderResponse } from "../types.js";

/** Options as users write them: a built-in mechanism's fields, or a custom provider. */
export interface SaslConfig {
  mechanism: string;
  username?: string;
  password?: string;
  authorizationIdentity?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  oauthBearerProvider?: () => Promise<OauthbearerProviderResponse & { extensions?: Record<string, string> }>;
  authenticationProvider?: (args: AuthenticationProviderArgs) => Authenticator;
}

const identity = (b: Buffer) => b;

/** One round trip that returns the server's bytes. */
async function exchange(args: AuthenticationProviderArgs, payload: Buffer): Promise<Buffer> {
  const out = await args.saslAuthenticate<Buffer>({
    request: { encode: () => payload },
    response: { decode: identity, parse: identity },
  });
  return out ?? Buffer.alloc(0);
}

function plain(sasl: SaslConfig) {
  return (args: AuthenticationProviderArgs): Authenticator => ({
    async authenticate() {
      if (sasl.username == null || sasl.password == null)
        throw new KafkaJSSASLAuthenticationError("SASL Plain: Invalid username or password");
      const authzid = sasl.authorizationIdentity ?? "";
      await exchange(args, Buffer.from(`${authzid}\0${sasl.username}\0${sasl.password}`, "utf8"));
    },
  });
}

/** RFC 5802 saslname: '=' and ',' are escaped. */
function saslName(s: string): string {
  return s.replace(/=/g, "=3D").replace(/,/g, "=2C");
}

function parseScram(msg: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of msg.split(",")) {
    const eq = part.indexOf("=");
    if (eq > 0) out.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return out;
}

function scram(sasl: SaslConfig, digest: "sha256" | "sha512") {
  const keyLength = digest === "sha256" ? 32 : 64;
  const label = digest === "sha256" ? "SCRAM-SHA-256" : "SCRAM-SHA-512";
  return (args: AuthenticationProviderArgs): Authenticator => ({
    async authenticate() {
      if (sasl.username == null || sasl.password == null)
        throw new KafkaJSSASLAuthenticationError(`SASL ${label}: Invalid username or password`);
      const clientNonce = randomBytes(24).toString("base64").replace(/[=,]/g, "");
      const gs2 = "n,,";
      const firstBare = `n=${saslName(sasl.username)},r=${clientNonce}`;
      const serverFirst = (await exchange(args, Buffer.from(gs2 + firstBare, "utf8"))).toString("utf8");
      const sf = parseScram(serverFirst);
      if (sf.has("e"))
        throw new KafkaJSSASLAuthenticationError(`SASL ${label} authentication failed: ${sf.get("e")}`);
      const nonce = sf.get("r");
      const salt = sf.get("s");
      const iterations = Number(sf.get("i"));
      if (!nonce?.startsWith(clientNonce) || !salt || !Number.isInteger(iterations) || iterations < 1)
        throw new KafkaJSSASLAuthenticationError(`SASL ${label}: invalid server-first message`);
      const salted = pbkdf2Sync(sasl.password, Buffer.from(salt, "base64"), iterations, keyLength, digest);
      const clientKey = createHmac(digest, salted).update("Client Key").digest();
      const storedKey = createHash(digest).update(clientKey).digest();
      const finalNoProof = `c=${Buffer.from(gs2).toString("base64")},r=${nonce}`;
      const authMessage = `${firstBare},${serverFirst},${finalNoProof}`;
      const signature = createHmac(digest, storedKey).update(authMessage).digest();
      const proof = Buffer.alloc(clientKey.length);
      for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i]! ^ signature[i]!;
      const serverFinal = (
        await exchange(args, Buffer.from(`${finalNoProof},p=${proof.toString("base64")}`, "utf8"))
      ).toString("utf8");
      const fin = parseScram(serverFinal);
      if (fin.has("e"))
        throw new KafkaJSSASLAuthenticationError(`SASL ${label} authentication failed: ${fin.get("e")}`);
      const serverKey = createHmac(digest, salted).update("Server Key").digest();
      const expected = createHmac(digest, serverKey).update(authMessage).digest();
      const got = Buffer.from(fin.get("v") ?? "", "base64");
      // The server proves it knows the password too; a mismatch means we talked to an impostor.
      if (got.length !== expected.length || !timingSafeEqual(got, expected))
        throw new KafkaJSSASLAuthenticationError(`SASL ${label}: invalid server signature`);
    },
  });
}

function oauthbearer(sasl: SaslConfig) {
  return (args: AuthenticationProviderArgs): Authenticator => ({
    async authenticate() {
      if (typeof sasl.oauthBearerProvider !== "function")
        throw new KafkaJSSASLAuthenticationError("SASL OAUTHBEARER: Missing OAuth bearer token provider");
      const token = await sasl.oauthBearerProvider();
      if (!token?.value)
        throw new KafkaJSSASLAuthenticationError("SASL OAUTHBEARER: Missing OAuth bearer token");
      const authzid = sasl.authorizationIdentity ? `a=${saslName(sasl.authorizationIdentity)}` : "";
      let msg = `n,${authzid},\x01auth=Bearer ${token.value}\x01`;
      for (const [k, v] of Object.entries(token.extensions ?? {})) msg += `${k}=${v}\x01`;
      await exchange(args, Buffer.from(`${msg}\x01`, "utf8"));
    },
  });
}

/**
 * KafkaJS's `aws` mechanism (SASL "AWS"): one message carrying the identity and the credentials,
 * NUL-separated; the server's answer carries nothing to check.
 */
function aws(sasl: SaslConfig) {
  return (args: AuthenticationProviderArgs): Authenticator => ({
    async authenticate() {
      for (const field of ["authorizationIdentity", "accessKeyId", "secretAccessKey"] as const) {
        if (!sasl[field]) throw new KafkaJSSASLAuthenticationError(`SASL AWS-IAM: Missing ${field}`);
      }
      const payload = Buffer.from(
        [sasl.authorizationIdentity, sasl.accessKeyId, sasl.secretAccessKey, sasl.sessionToken ?? ""].join(
          "\0",
        ),
        "utf8",
      );
      try {
        await args.saslAuthenticate({ request: { encode: () => payload } });
      } catch (e) {
        throw new KafkaJSSASLAuthenticationError(
          `SASL AWS-IAM authentication failed: ${(e as Error).message}`,
        );
      }
    },
  });
}

const BUILT_IN: Record<string, (sasl: SaslConfig) => (args: AuthenticationProviderArgs) => Authenticator> = {
  PLAIN: plain,
  "SCRAM-SHA-256": (s) => scram(s, "sha256"),
  "SCRAM-SHA-512": (s) => scram(s, "sha512"),
  OAUTHBEARER: oauthbearer,
  AWS: aws,
};

/** The provider for a config: the user's own, or a built-in one; throws for an unknown mechanism. */
export function authenticationProviderFor(
  sasl: SaslConfig,
): (args: AuthenticationProviderArgs) => Authenticator {
  if (typeof sasl.authenticationProvider === "function") return sasl.authenticationProvider;
  const builtIn = BUILT_IN[String(sasl.mechanism).toUpperCase()];
  if (!builtIn)
    throw new KafkaJSSASLAuthenticationError(
      `SASL ${String(sasl.mechanism).toUpperCase()} mechanism is not supported by the client (built in: ${Object.keys(BUILT_IN).join(", ")}; others need an authenticationProvider)`,
    );
  return builtIn(sasl);
}

export function isSupportedMechanism(sasl: SaslConfig): boolean {
  return (
    typeof sasl.authenticationProvider === "function" || String(sasl.mechanism).toUpperCase() in BUILT_IN
  );
}
