/**
 * The console's two gates. Basic auth: when credentials are configured, every route (API and UI)
 * needs them; a console on a non-loopback address must have them (startConsole refuses otherwise).
 * CSRF: a POST must be JSON and carry `x-brook-console: 1` — a header a cross-site form cannot set
 * and a cross-site fetch cannot send without a CORS preflight the server never grants — and an
 * Origin, when present, must be the console's own host. Without a login (loopback only), the Host
 * header must name this machine too: a page whose DNS name was rebound to 127.0.0.1 is then still
 * refused, although its requests look same-origin to the browser.
 */
import { timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";
import type { FastifyRequest } from "fastify";
import { HttpError } from "./errors.js";

export interface ConsoleCredentials {
  user: string;
  password: string;
}

/** 127.0.0.0/8, ::1 and "localhost": only this machine can connect. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h === "::1") return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  if (h.startsWith("::ffff:")) return isLoopback(h.slice(7));
  return false;
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Throws 401 unless the request carries the configured user and password. */
export function checkBasicAuth(request: FastifyRequest, credentials: ConsoleCredentials): void {
  const header = request.headers.authorization ?? "";
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (m) {
    const decoded = Buffer.from(m[1]!, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (
      colon >= 0 &&
      // Both compared, always: the answer's timing does not tell which one was wrong.
      Number(equal(decoded.slice(0, colon), credentials.user)) &
        Number(equal(decoded.slice(colon + 1), credentials.password))
    ) {
      return;
    }
  }
  throw new HttpError(401, "UNAUTHORIZED", "login needed: this console requires a user name and password");
}

/** Throws 403 CSRF unless a POST is a same-origin JSON request with the console's header. */
export function checkCsrf(request: FastifyRequest): void {
  const type = String(request.headers["content-type"] ?? "")
    .split(";")[0]!
    .trim()
    .toLowerCase();
  if (type !== "application/json") {
    throw new HttpError(403, "CSRF", "a change needs content-type: application/json");
  }
  if (request.headers["x-brook-console"] !== "1") {
    throw new HttpError(403, "CSRF", "a change needs the header x-brook-console: 1");
  }
  const origin = request.headers.origin;
  if (origin !== undefined) {
    let originHost: string | null;
    try {
      originHost = new URL(origin).host;
    } catch {
      originHost = null;
    }
    if (
      originHost === null ||
      originHost.toLowerCase() !== String(request.headers.host ?? "").toLowerCase()
    ) {
      throw new HttpError(403, "CSRF", `a change from another origin (${origin}) is refused`);
    }
  }
}

/** Throws 403 unless the Host header names a loopback address (the DNS-rebinding guard). */
export function checkLoopbackHost(request: FastifyRequest): void {
  const host = String(request.headers.host ?? "");
  const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.replace(/:\d+$/, "");
  if (!isLoopback(name)) {
    throw new HttpError(
      403,
      "CSRF",
      `this console answers only requests for this machine (127.0.0.1 or localhost), not for ${host || "no Host"}`,
    );
  }
}
