/**
 * Compiles message declarations (schema.ts) into straight-line encoder and decoder functions, one
 * pair per struct per version. Generated code avoids per-field interpretation at run time: a
 * decoder is a single object literal of reader calls, so every decoded message of a version has
 * one hidden class. Compiled pairs are cached per declaration and version.
 */
import { ProtocolError } from "./errors.js";
import type { Reader, UnknownTag } from "./primitives/reader.js";
import type { Writer } from "./primitives/writer.js";
import { type Field, inRange, type ScalarKind } from "./schema.js";

export interface StructCodec {
  decode(r: Reader): any;
  encode(w: Writer, o: any): void;
  /** A fresh value with every field at its default. */
  defaults(): any;
}

const ZERO_UUID = "00000000-0000-0000-0000-000000000000";
const EMPTY = Buffer.alloc(0);

/** The default of a field: its declared default, else the zero value of its kind. */
export function fieldDefault(fd: Field): unknown {
  if ("default" in fd) {
    const d = fd.default;
    if (fd.kind === "int64" && typeof d === "number") return BigInt(d);
    return d;
  }
  switch (fd.kind) {
    case "bool":
      return false;
    case "int64":
      return 0n;
    case "string":
      return "";
    case "bytes":
      return EMPTY;
    case "records":
      return null;
    case "uuid":
      return ZERO_UUID;
    case "array":
      return [];
    case "struct":
      return undefined; // built by the struct's own defaults()
    default:
      return 0;
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === "bigint" || typeof b === "bigint") {
    return (typeof a === "bigint" || typeof a === "number") &&
      (typeof b === "bigint" || typeof b === "number")
      ? BigInt(a as bigint) === BigInt(b as bigint)
      : false;
  }
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (a && b && typeof a === "object" && typeof b === "object") {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)].filter((k) => k !== "_unknownTags"));
    for (const k of keys) {
      const av = (a as Record<string, unknown>)[k];
      const bv = (b as Record<string, unknown>)[k];
      if (av === undefined || bv === undefined) continue; // omitted = default
      if (!deepEqual(av, bv)) return false;
    }
    return true;
  }
  return false;
}

/** Shared runtime helpers the generated code calls. */
const rt = {
  PE: ProtocolError,
  EMPTY,
  int64(v: bigint | number): bigint {
    return typeof v === "bigint" ? v : BigInt(v);
  },
  notNull(v: unknown, name: string): void {
    if (v === null) throw new ProtocolError("invalid-value", `${name} is not nullable in this version`);
  },
  writeRecords(w: Writer, v: Buffer | Buffer[] | null, compact: boolean): void {
    if (v === null || v === undefined) {
      if (compact) w.uvarint(0);
      else w.int32(-1);
      return;
    }
    const parts = Array.isArray(v) ? v : [v];
    let n = 0;
    for (const p of parts) n += p.length;
    if (compact) w.uvarint(n + 1);
    else w.int32(n);
    for (const p of parts) w.raw(p);
  },
  isDefault(v: unknown, d: unknown): boolean {
    return deepEqual(v, d);
  },
  /** Writes a tagged-field section: known fields (already in tag order) merged with unknown ones. */
  writeTags(
    w: Writer,
    known: Array<[number, (w: Writer) => void]>,
    unknown: UnknownTag[] | undefined,
    makeWriter: () => Writer,
  ): void {
    const all: Array<[number, Buffer]> = [];
    for (const [tag, fn] of known) {
      const sub = makeWriter();
      fn(sub);
      all.push([tag, sub.toBuffer()]);
    }
    if (unknown) for (const u of unknown) all.push([u.tag, u.data]);
    all.sort((a, b) => a[0] - b[0]);
    w.uvarint(all.length);
    for (const [tag, data] of all) {
      w.uvarint(tag);
      w.uvarint(data.length);
      w.raw(data);
    }
  },
  tagEnd(r: Reader, end: number, tag: number): void {
    if (r.pos > end)
      throw new ProtocolError("length-past-end", `tagged field ${tag} overran its declared size`);
    r.pos = end;
  },
};

type WriterCtor = new () => Writer;
let WriterClass: WriterCtor | undefined;

/** Registered by index.ts so generated tag writers can make sub-writers without an import cycle. */
export function setWriterClass(c: WriterCtor): void {
  WriterClass = c;
}

const cache = new WeakMap<readonly Field[], Map<string, StructCodec>>();

/** Compiles (or fetches from cache) the codec of a struct for one version. */
export function compileStruct(fields: readonly Field[], version: number, flexible: boolean): StructCodec {
  let perFields = cache.get(fields);
  if (!perFields) {
    perFields = new Map();
    cache.set(fields, perFields);
  }
  const key = `${version}:${flexible ? 1 : 0}`;
  const hit = perFields.get(key);
  if (hit) return hit;
  const codec = generate(fields, version, flexible);
  perFields.set(key, codec);
  return codec;
}

function prop(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
}

function generate(fields: readonly Field[], version: number, flexible: boolean): StructCodec {
  const H: unknown[] = [];
  const ref = (x: unknown): string => {
    H.push(x);
    return `H[${H.length - 1}]`;
  };

  const isCompact = (fd: Field): boolean =>
    flexible && (fd.flexibleOverride ? inRange(fd.flexibleOverride, version) : true);

  const literal = (v: unknown): string => {
    if (v === null) return "null";
    if (typeof v === "bigint") return `${v}n`;
    if (typeof v === "number" || typeof v === "boolean") return String(v);
    if (typeof v === "string") return JSON.stringify(v);
    return ref(v);
  };

  const sub = (fd: Field): StructCodec => compileStruct(fd.fields!, version, flexible);

  /** Expression producing a fresh default value for `fd`. */
  const defaultExpr = (fd: Field): string => {
    if (fd.kind === "struct") {
      if ("default" in fd && fd.default === null) return "null";
      return `${ref(sub(fd))}.defaults()`;
    }
    if (fd.kind === "array") {
      return "default" in fd && fd.default === null ? "null" : "[]";
    }
    return literal(fieldDefault(fd));
  };

  const scalarRead = (kind: ScalarKind, nullable: boolean, compact: boolean): string => {
    switch (kind) {
      case "bool":
        return "r.bool()";
      case "int8":
        return "r.int8()";
      case "int16":
        return "r.int16()";
      case "uint16":
        return "r.uint16()";
      case "int32":
        return "r.int32()";
      case "uint32":
        return "r.uint32()";
      case "int64":
        return "r.int64()";
      case "float64":
        return "r.float64()";
      case "uuid":
        return "r.uuid()";
      case "string":
        if (compact) return nullable ? "r.compactNullableString()" : "r.compactString()";
        return nullable ? "r.nullableString()" : "r.string()";
      case "bytes":
      case "records":
        if (compact) return nullable || kind === "records" ? "r.compactNullableBytes()" : "r.compactBytes()";
        return nullable || kind === "records" ? "r.nullableBytes()" : "r.bytes()";
    }
  };

  const scalarWrite = (
    kind: ScalarKind,
    nullable: boolean,
    compact: boolean,
    v: string,
    name: string,
  ): string => {
    const guard = nullable ? "" : `rt.notNull(${v}, ${JSON.stringify(name)});`;
    switch (kind) {
      case "bool":
        return `w.bool(${v});`;
      case "int8":
        return `w.int8(${v});`;
      case "int16":
        return `w.int16(${v});`;
      case "uint16":
        return `w.uint16(${v});`;
      case "int32":
        return `w.int32(${v});`;
      case "uint32":
        return `w.uint32(${v});`;
      case "int64":
        return `w.int64(rt.int64(${v}));`;
      case "float64":
        return `w.float64(${v});`;
      case "uuid":
        return `w.uuid(${v});`;
      case "string":
        if (compact) return `${guard}w.${nullable ? "compactNullableString" : "compactString"}(${v});`;
        return `${guard}w.${nullable ? "nullableString" : "string"}(${v});`;
      case "bytes":
        if (compact) return `${guard}w.${nullable ? "compactNullableBytes" : "compactBytes"}(${v});`;
        return `${guard}w.${nullable ? "nullableBytes" : "bytes"}(${v});`;
      case "records":
        return `rt.writeRecords(w, ${v}, ${compact});`;
    }
  };

  /** Expression decoding one field's value (not its tag framing). */
  const readExpr = (fd: Field): string => {
    const nullable = inRange(fd.nullable, version);
    const compact = isCompact(fd);
    if (fd.kind === "struct") {
      const c = ref(sub(fd));
      return nullable ? `(r.int8() < 0 ? null : ${c}.decode(r))` : `${c}.decode(r)`;
    }
    if (fd.kind === "array") {
      const elemRead = fd.fields ? `${ref(sub(fd))}.decode(r)` : scalarRead(fd.elem!, false, compact);
      const len = compact ? "r.compactArrayLength()" : "r.arrayLength()";
      const fn = new Function(
        "H",
        "rt",
        `return function(r) {
          const n = ${len};
          if (n < 0) { ${nullable ? "return null;" : `throw new rt.PE("invalid-value", ${JSON.stringify(`${fd.name} is not nullable in this version`)});`} }
          const a = new Array(n);
          for (let i = 0; i < n; i++) a[i] = ${elemRead};
          return a;
        }`,
      )(H, rt);
      return `${ref(fn)}(r)`;
    }
    return scalarRead(fd.kind, nullable, compact);
  };

  /** Statements encoding value `v` of one field. */
  const writeStmts = (fd: Field, v: string): string => {
    const nullable = inRange(fd.nullable, version);
    const compact = isCompact(fd);
    if (fd.kind === "struct") {
      const c = ref(sub(fd));
      if (nullable) return `if (${v} === null) w.int8(-1); else { w.int8(1); ${c}.encode(w, ${v}); }`;
      return `rt.notNull(${v}, ${JSON.stringify(fd.name)}); ${c}.encode(w, ${v});`;
    }
    if (fd.kind === "array") {
      const elemWrite = fd.fields
        ? `${ref(sub(fd))}.encode(w, a[i]);`
        : scalarWrite(fd.elem!, false, compact, "a[i]", fd.name);
      const lenNull = compact ? "w.uvarint(0);" : "w.int32(-1);";
      const len = compact ? "w.uvarint(a.length + 1);" : "w.int32(a.length);";
      const fn = new Function(
        "H",
        "rt",
        `return function(w, a) {
          if (a === null) { ${nullable ? lenNull : `rt.notNull(null, ${JSON.stringify(fd.name)});`} return; }
          ${len}
          for (let i = 0; i < a.length; i++) { ${elemWrite} }
        }`,
      )(H, rt);
      return `${ref(fn)}(w, ${v});`;
    }
    return scalarWrite(fd.kind, nullable, compact, v, fd.name);
  };

  const present = fields.filter((fd) => inRange(fd.versions, version));
  const tagged = flexible ? present.filter((fd) => inRange(fd.tagged, version)) : [];
  const regular = present.filter((fd) => !tagged.includes(fd));
  tagged.sort((a, b) => a.tag! - b.tag!);

  // ---- decoder
  const props = fields.map((fd) => {
    const expr = regular.includes(fd) ? readExpr(fd) : defaultExpr(fd);
    return `${JSON.stringify(fd.name)}: ${expr}`;
  });
  let dec = `const o = { ${props.join(", ")} };\n`;
  if (flexible) {
    const cases = tagged
      .map((fd) => `case ${fd.tag}: o${prop(fd.name)} = ${readExpr(fd)}; break;`)
      .join("\n");
    dec += `let nt = r.uvarint();
      for (; nt > 0; nt--) {
        const tag = r.uvarint();
        const size = r.uvarint();
        const end = r.pos + size;
        if (end > r.end) throw new rt.PE("length-past-end", "tagged field " + tag + " runs past the end");
        switch (tag) {
          ${cases}
          default: (o._unknownTags || (o._unknownTags = [])).push({ tag, data: r.raw(size) }); continue;
        }
        rt.tagEnd(r, end, tag);
      }\n`;
  }
  dec += "return o;";

  // ---- encoder
  let enc = "let v;\n";
  for (const fd of regular) {
    enc += `v = o${prop(fd.name)}; if (v === undefined) v = ${defaultExpr(fd)};\n${writeStmts(fd, "v")}\n`;
  }
  if (flexible) {
    enc += "const tags = [];\n";
    for (const fd of tagged) {
      const dflt = fd.kind === "struct" ? `${ref(sub(fd))}.defaults()` : defaultExpr(fd);
      const write = new Function("H", "rt", `return function(w, v) { ${writeStmts(fd, "v")} }`)(H, rt);
      enc += `v = o${prop(fd.name)};
        if (v !== undefined && !rt.isDefault(v, ${dflt})) { const tv = v; tags.push([${fd.tag}, (w) => ${ref(write)}(w, tv)]); }\n`;
    }
    enc += `if (tags.length === 0 && o._unknownTags === undefined) w.uvarint(0);
      else rt.writeTags(w, tags, o._unknownTags, rt.newWriter);\n`;
  }

  const defs = `return { ${fields.map((fd) => `${JSON.stringify(fd.name)}: ${defaultExpr(fd)}`).join(", ")} };`;

  const rtWithWriter = { ...rt, newWriter: () => new WriterClass!() };
  return new Function(
    "H",
    "rt",
    `return {
      decode(r) { ${dec} },
      encode(w, o) { ${enc} },
      defaults() { ${defs} },
    };`,
  )(H, rtWithWriter) as StructCodec;
}
