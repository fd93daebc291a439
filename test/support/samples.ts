/**
 * Builds message values from a declaration for one version: every present field set to a value
 * different from its default ("full"), or nullable fields null and arrays empty ("sparse").
 * Deterministic (seeded) so failures reproduce.
 */
import { fieldDefault } from "../../src/protocol/codec.js";
import { type Field, inRange } from "../../src/protocol/schema.js";

export type Variant = "full" | "sparse";

export function makeRng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
}

function scalar(kind: string, rnd: () => number, dflt: unknown): unknown {
  const pick = (): unknown => {
    switch (kind) {
      case "bool":
        return dflt !== true;
      case "int8":
        return Math.floor(rnd() * 250) - 125;
      case "int16":
        return Math.floor(rnd() * 60000) - 30000;
      case "uint16":
        return Math.floor(rnd() * 65535);
      case "int32":
        return Math.floor(rnd() * 4e9) - 2e9;
      case "uint32":
        return Math.floor(rnd() * 4e9);
      case "int64":
        return BigInt(Math.floor(rnd() * 2 ** 52)) * (rnd() < 0.5 ? -1000n : 1000n) + 7n;
      case "float64":
        return rnd() * 1e6 - 5e5;
      case "string":
        return `s-${Math.floor(rnd() * 1e6)}-é✓`;
      case "bytes":
      case "records":
        return Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 20) }, () => Math.floor(rnd() * 256)));
      case "uuid": {
        const h = Array.from({ length: 32 }, () => Math.floor(rnd() * 16).toString(16)).join("");
        return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
      }
    }
    throw new Error(`unknown kind ${kind}`);
  };
  for (let i = 0; i < 10; i++) {
    const v = pick();
    if (v !== dflt && !(typeof v === "bigint" && v === dflt)) return v;
  }
  throw new Error("could not pick a non-default value");
}

/** A value of `fields` at `version`; absent fields are left out (the decoder fills defaults). */
export function sample(fields: readonly Field[], version: number, variant: Variant, rnd: () => number): any {
  const o: Record<string, unknown> = {};
  for (const fd of fields) {
    if (!inRange(fd.versions, version)) continue;
    const nullable = inRange(fd.nullable, version);
    if (variant === "sparse" && nullable) {
      o[fd.name] = null;
      continue;
    }
    if (fd.kind === "struct") {
      o[fd.name] = sample(fd.fields!, version, variant, rnd);
    } else if (fd.kind === "array") {
      const n = variant === "sparse" ? 0 : 2;
      o[fd.name] = Array.from({ length: n }, () =>
        fd.fields ? sample(fd.fields, version, variant, rnd) : scalar(fd.elem!, rnd, undefined),
      );
    } else {
      o[fd.name] = scalar(fd.kind, rnd, fieldDefault(fd));
    }
  }
  return o;
}

/** What a decoder must return for `input`: present fields as given, absent fields at their defaults. */
export function expected(fields: readonly Field[], version: number, input: any): any {
  const o: Record<string, unknown> = {};
  for (const fd of fields) {
    const v = input?.[fd.name];
    if (!inRange(fd.versions, version) || v === undefined) {
      o[fd.name] = fd.kind === "struct" ? expected(fd.fields!, version, {}) : fieldDefault(fd);
      if (fd.kind === "struct" && "default" in fd && fd.default === null) o[fd.name] = null;
      continue;
    }
    if (v === null) o[fd.name] = null;
    else if (fd.kind === "struct") o[fd.name] = expected(fd.fields!, version, v);
    else if (fd.kind === "array" && fd.fields)
      o[fd.name] = (v as any[]).map((e) => expected(fd.fields!, version, e));
    else o[fd.name] = v;
  }
  return o;
}
