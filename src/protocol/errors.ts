/**
 * Typed errors raised by the codec. Every malformed input surfaces as one of these, never as a
 * RangeError from Buffer or an allocation of an attacker-chosen size.
 */
export type ProtocolErrorKind =
  | "truncated"
  | "negative-length"
  | "length-past-end"
  | "bad-varint"
  | "unknown-api"
  | "unsupported-version"
  | "bad-crc"
  | "bad-magic"
  | "invalid-batch"
  | "bad-compression"
  | "invalid-value";

export class ProtocolError extends Error {
  readonly kind: ProtocolErrorKind;
  constructor(kind: ProtocolErrorKind, message: string) {
    super(message);
    this.name = "ProtocolError";
    this.kind = kind;
  }
}

export function isProtocolError(e: unknown): e is ProtocolError {
  return e instanceof ProtocolError;
}
