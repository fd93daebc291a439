/**
 * Differential helpers for the admin tests: one call made through KafkaJS's admin and Brook's, each
 * side with its own name prefix, and the outcomes (result, or error class/type/retriable/nested
 * errors) compared after the prefixes are replaced by a neutral token.
 */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import type * as KafkaJSTypes from "kafkajs";

const require = createRequire(import.meta.url);
/** KafkaJS's CommonJS exports, loaded with require (its error classes are not named ES exports). */
export const kafkajs: typeof KafkaJSTypes = require("kafkajs");

// Both admins are driven through KafkaJS's own d.ts: Brook's must accept the same calls.
export type AnyAdmin = KafkaJSTypes.Admin;

export interface Side {
  label: "kafkajs" | "brook";
  admin: AnyAdmin;
  /** Prefix of this side's topic and group names. */
  p: string;
}

const TOKEN = "SIDE-";

/** JSON-safe copy with this side's prefix replaced by a neutral token. */
export function normalise(value: unknown, side: Side, dropKeys: string[] = []): unknown {
  const json = JSON.stringify(value, (key, v) => {
    if (dropKeys.includes(key)) return undefined;
    if (typeof v === "bigint") return `${v}n`;
    if (
      v &&
      typeof v === "object" &&
      (v as { type?: string }).type === "Buffer" &&
      Array.isArray((v as { data?: unknown }).data)
    ) {
      // Buffers as latin1 text, so names inside them (group member metadata) get normalised too.
      return `bytes:${Buffer.from((v as { data: number[] }).data).toString("latin1")}`;
    }
    return v;
  });
  return json === undefined ? undefined : JSON.parse(json.split(side.p).join(TOKEN));
}

export interface ErrorShape {
  name: string;
  type?: string;
  retriable?: boolean;
  message?: string;
  topic?: string;
  errors?: ErrorShape[];
  groups?: unknown[];
  partitions?: unknown[];
  cause?: ErrorShape;
}

/** What must agree between the two clients' errors; `withMessage` for KafkaJS's own argument checks. */
export function errorShape(e: unknown, side: Side, withMessage: boolean): ErrorShape {
  const err = e as Record<string, any>;
  const shape: ErrorShape = { name: err.name, type: err.type, retriable: err.retriable };
  if (withMessage) shape.message = String(err.message).split(side.p).join(TOKEN);
  if (err.topic !== undefined) shape.topic = String(err.topic).split(side.p).join(TOKEN);
  if (Array.isArray(err.errors)) shape.errors = err.errors.map((x: unknown) => errorShape(x, side, false));
  if (Array.isArray(err.groups)) {
    shape.groups = err.groups.map((g: any) => ({
      groupId: String(g.groupId).split(side.p).join(TOKEN),
      errorCode: g.errorCode,
      error: g.error ? errorShape(g.error, side, false) : undefined,
    }));
  }
  if (Array.isArray(err.partitions)) {
    shape.partitions = err.partitions.map((p: any) => ({
      partition: p.partition,
      offset: p.offset,
      error: p.error ? errorShape(p.error, side, false) : undefined,
    }));
  }
  if (err.cause && err.cause !== e && typeof err.cause === "object")
    shape.cause = errorShape(err.cause, side, false);
  return shape;
}

export type Outcome = { ok: unknown } | { error: ErrorShape };

export async function outcome(
  side: Side,
  fn: (s: Side) => Promise<unknown>,
  opts: { withMessage?: boolean; dropKeys?: string[] } = {},
): Promise<Outcome> {
  try {
    return { ok: normalise(await fn(side), side, opts.dropKeys) };
  } catch (e) {
    return { error: errorShape(e, side, opts.withMessage ?? false) };
  }
}

/** Runs `fn` on both sides (KafkaJS first, one after the other) and asserts equal outcomes. */
export async function sameOn(
  sides: [Side, Side],
  what: string,
  fn: (s: Side) => Promise<unknown>,
  opts: { withMessage?: boolean; dropKeys?: string[] } = {},
): Promise<Outcome> {
  const expected = await outcome(sides[0], fn, opts);
  const actual = await outcome(sides[1], fn, opts);
  assert.deepStrictEqual(actual, expected, `${what}: Brook's outcome differs from KafkaJS's`);
  return actual;
}
