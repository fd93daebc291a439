/**
 * The declaration language for Kafka messages. Each API is declared once (src/protocol/messages/*.ts)
 * as a list of fields with the versions they exist in; codec.ts compiles a declaration into
 * specialised encoders and decoders per version. TypeScript infers the message types from the same
 * declaration, so the broker, the client and the tests all share one definition.
 */
import type { UnknownTag } from "./primitives/reader.js";

export type ScalarKind =
  | "bool"
  | "int8"
  | "int16"
  | "uint16"
  | "int32"
  | "uint32"
  | "int64"
  | "float64"
  | "string"
  | "bytes"
  | "records"
  | "uuid";

export type FieldKind = ScalarKind | "array" | "struct";

/** Inclusive version range; `hi` is Infinity for "N+". An empty range has lo > hi. */
export interface VersionRange {
  readonly lo: number;
  readonly hi: number;
}

export const NO_VERSIONS: VersionRange = { lo: 1, hi: 0 };

/** Parses Kafka's version syntax: "3+", "0-12", "5", "none". */
export function parseVersions(spec: string): VersionRange {
  if (spec === "none") return NO_VERSIONS;
  const plus = /^(\d+)\+$/.exec(spec);
  if (plus) return { lo: Number(plus[1]), hi: Number.POSITIVE_INFINITY };
  const range = /^(\d+)-(\d+)$/.exec(spec);
  if (range) return { lo: Number(range[1]), hi: Number(range[2]) };
  const one = /^(\d+)$/.exec(spec);
  if (one) return { lo: Number(one[1]), hi: Number(one[1]) };
  throw new Error(`bad version range: ${spec}`);
}

export function inRange(r: VersionRange | undefined, v: number): boolean {
  return r !== undefined && v >= r.lo && v <= r.hi;
}

export interface FieldOptions {
  /** Versions in which the field may be null ("4+"). */
  nullable?: string;
  /** Tag number when the field is a tagged field. */
  tag?: number;
  /** Versions in which the field is tagged (defaults to the field's own versions). */
  tagged?: string;
  /** Default when the field is absent from a version or omitted on encode. */
  default?: unknown;
  /** Versions in which strings/bytes/arrays use compact encoding; "none" for RequestHeader.clientId. */
  flexible?: string;
}

export interface Field<N extends string = string, T = unknown> {
  readonly name: N;
  readonly kind: FieldKind;
  /** For arrays of scalars: the element kind. */
  readonly elem?: ScalarKind;
  /** For structs and arrays of structs. */
  readonly fields?: readonly Field[];
  readonly versions: VersionRange;
  readonly nullable: VersionRange;
  readonly tag?: number;
  readonly tagged: VersionRange;
  readonly default?: unknown;
  readonly flexibleOverride?: VersionRange;
  /** Phantom: the decoded TypeScript type. */
  readonly __type?: T;
}

type Nullable<O, T> = O extends { nullable: string } ? T | null : T;

/** The decoded shape of a list of fields. */
export type Message<F extends readonly Field[]> = {
  -readonly [K in F[number] as K["name"]]: K extends Field<string, infer T> ? T : never;
} & { _unknownTags?: UnknownTag[] };

/** What an encoder accepts: every field optional (defaults fill the gaps), int64 as bigint or number. */
export type Input<T> = T extends Buffer
  ? Buffer | Buffer[]
  : T extends bigint
    ? bigint | number
    : T extends readonly (infer E)[]
      ? Input<E>[]
      : T extends object
        ? { [K in keyof T]?: Input<T[K]> }
        : T;

function make<N extends string, T>(
  name: N,
  kind: FieldKind,
  versions: string,
  opts: FieldOptions | undefined,
  extra?: { elem?: ScalarKind; fields?: readonly Field[] },
): Field<N, T> {
  const v = parseVersions(versions);
  const f: Field<N, T> = {
    name,
    kind,
    versions: v,
    nullable: opts?.nullable ? parseVersions(opts.nullable) : NO_VERSIONS,
    tagged: opts?.tag !== undefined ? (opts.tagged ? parseVersions(opts.tagged) : v) : NO_VERSIONS,
    ...(opts?.tag !== undefined ? { tag: opts.tag } : {}),
    ...(opts && "default" in opts ? { default: opts.default } : {}),
    ...(opts?.flexible ? { flexibleOverride: parseVersions(opts.flexible) } : {}),
    ...(extra?.elem ? { elem: extra.elem } : {}),
    ...(extra?.fields ? { fields: extra.fields } : {}),
  };
  return f;
}

type ScalarTs = {
  bool: boolean;
  int8: number;
  int16: number;
  uint16: number;
  int32: number;
  uint32: number;
  int64: bigint;
  float64: number;
  string: string;
  bytes: Buffer;
  records: Buffer;
  uuid: string;
};

/** Field builders: `f.int32("partitionIndex", "0+")`, `f.array("topics", "0+", [...])`. */
export const f = {
  bool: <N extends string>(name: N, versions: string, opts?: FieldOptions) =>
    make<N, boolean>(name, "bool", versions, opts),
  int8: <N extends string>(name: N, versions: string, opts?: FieldOptions) =>
    make<N, number>(name, "int8", versions, opts),
  int16: <N extends string>(name: N, versions: string, opts?: FieldOptions) =>
    make<N, number>(name, "int16", versions, opts),
  uint16: <N extends string>(name: N, versions: string, opts?: FieldOptions) =>
    make<N, number>(name, "uint16", versions, opts),
  int32: <N extends string>(name: N, versions: string, opts?: FieldOptions) =>
    make<N, number>(name, "int32", versions, opts),
  uint32: <N extends string>(name: N, versions: string, opts?: FieldOptions) =>
    make<N, number>(name, "uint32", versions, opts),
  int64: <N extends string>(name: N, versions: string, opts?: FieldOptions) =>
    make<N, bigint>(name, "int64", versions, opts),
  float64: <N extends string>(name: N, versions: string, opts?: FieldOptions) =>
    make<N, number>(name, "float64", versions, opts),
  uuid: <N extends string>(name: N, versions: string, opts?: FieldOptions) =>
    make<N, string>(name, "uuid", versions, opts),
  string: <N extends string, const O extends FieldOptions = {}>(name: N, versions: string, opts?: O) =>
    make<N, Nullable<O, string>>(name, "string", versions, opts),
  bytes: <N extends string, const O extends FieldOptions = {}>(name: N, versions: string, opts?: O) =>
    make<N, Nullable<O, Buffer>>(name, "bytes", versions, opts),
  /** A record-batch payload: kept as raw bytes, never decoded by the message codec. */
  records: <N extends string>(name: N, versions: string, opts?: FieldOptions) =>
    make<N, Buffer | null>(name, "records", versions, { nullable: "0+", ...opts }),
  /** Array of scalars, e.g. `f.arrayOf("partitions", "int32", "0+")`. */
  arrayOf: <N extends string, E extends ScalarKind, const O extends FieldOptions = {}>(
    name: N,
    elem: E,
    versions: string,
    opts?: O,
  ) => make<N, Nullable<O, ScalarTs[E][]>>(name, "array", versions, opts, { elem }),
  /** Array of structs. */
  array: <N extends string, const F extends readonly Field[], const O extends FieldOptions = {}>(
    name: N,
    versions: string,
    fields: F,
    opts?: O,
  ) => make<N, Nullable<O, Message<F>[]>>(name, "array", versions, opts, { fields }),
  /** A nested struct (not an array). */
  struct: <N extends string, const F extends readonly Field[], const O extends FieldOptions = {}>(
    name: N,
    versions: string,
    fields: F,
    opts?: O,
  ) => make<N, Nullable<O, Message<F>>>(name, "struct", versions, opts, { fields }),
};

export interface ApiDeclaration<
  Req extends readonly Field[] = readonly Field[],
  Res extends readonly Field[] = readonly Field[],
> {
  readonly key: number;
  readonly name: string;
  /** Lowest version a Kafka 4.x broker accepts. */
  readonly minVersion: number;
  readonly maxVersion: number;
  /** Lowest version advertised in ApiVersions, when it differs from minVersion (Produce: 0). */
  readonly advertisedMinVersion: number;
  /** First flexible version; Infinity when the API has none. */
  readonly flexibleFrom: number;
  readonly request: Req;
  readonly response: Res;
}

export function api<const Req extends readonly Field[], const Res extends readonly Field[]>(d: {
  key: number;
  name: string;
  versions: string;
  flexible: string;
  advertisedMinVersion?: number;
  request: Req;
  response: Res;
}): ApiDeclaration<Req, Res> {
  const v = parseVersions(d.versions);
  const flex = parseVersions(d.flexible);
  return {
    key: d.key,
    name: d.name,
    minVersion: v.lo,
    maxVersion: v.hi,
    advertisedMinVersion: d.advertisedMinVersion ?? v.lo,
    flexibleFrom: flex.lo > flex.hi ? Number.POSITIVE_INFINITY : flex.lo,
    request: d.request,
    response: d.response,
  };
}

export type RequestOf<A> = A extends ApiDeclaration<infer Req, any> ? Message<Req> : never;
export type ResponseOf<A> = A extends ApiDeclaration<any, infer Res> ? Message<Res> : never;
export type RequestInput<A> = Input<RequestOf<A>>;
export type ResponseInput<A> = Input<ResponseOf<A>>;
