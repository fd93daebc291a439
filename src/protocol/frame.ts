/**
 * Request/response framing: the int32 size prefix, request header v1/v2 and response header v0/v1
 * (with ApiVersions' exception: its response header is always v0), and the typed entry points
 * that pair a header with a compiled message body.
 */
import { compileStruct, setWriterClass } from "./codec.js";
import { ProtocolError } from "./errors.js";
import { Reader, type UnknownTag } from "./primitives/reader.js";
import { Writer } from "./primitives/writer.js";
import type { ApiDeclaration, RequestInput, RequestOf, ResponseInput, ResponseOf } from "./schema.js";

setWriterClass(Writer);

export const API_VERSIONS_KEY = 18;

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  /** Tagged fields of header v2 (none are defined by Kafka today). */
  tags?: UnknownTag[];
}

export function isFlexible(api: ApiDeclaration, version: number): boolean {
  return version >= api.flexibleFrom;
}

export function checkVersion(api: ApiDeclaration, version: number): void {
  if (!Number.isInteger(version) || version < api.minVersion || version > api.maxVersion) {
    throw new ProtocolError(
      "unsupported-version",
      `${api.name} v${version} is not supported (supported: v${api.minVersion}-v${api.maxVersion})`,
    );
  }
}

/**
 * Reads api key, version, correlation id and client id (header v1 layout, common to v2). The
 * tagged-field section of v2 depends on whether the version is flexible, which only the API table
 * knows, so it is read by `readRequestHeaderTags`.
 */
export function readRequestHeader(r: Reader): RequestHeader {
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  const clientId = r.nullableString();
  return { apiKey, apiVersion, correlationId, clientId };
}

export function readRequestHeaderTags(r: Reader, header: RequestHeader): void {
  const tags = r.skipTaggedFields();
  if (tags) header.tags = tags;
}

function responseHeaderFlexible(api: ApiDeclaration, version: number): boolean {
  return api.key !== API_VERSIONS_KEY && isFlexible(api, version);
}

/** Encodes a complete request frame (size prefix included). */
export function encodeRequest<A extends ApiDeclaration>(
  api: A,
  version: number,
  correlationId: number,
  clientId: string | null,
  body: RequestInput<A>,
): Buffer {
  return Buffer.concat(encodeRequestChunks(api, version, correlationId, clientId, body));
}

/** Same as encodeRequest but returns chunks, so large record payloads are not copied. */
export function encodeRequestChunks<A extends ApiDeclaration>(
  api: A,
  version: number,
  correlationId: number,
  clientId: string | null,
  body: RequestInput<A>,
): Buffer[] {
  checkVersion(api, version);
  const flexible = isFlexible(api, version);
  const w = new Writer(512);
  const size = w.reserveInt32();
  w.int16(api.key).int16(version).int32(correlationId).nullableString(clientId);
  if (flexible) w.uvarint(0);
  compileStruct(api.request, version, flexible).encode(w, body);
  size.buf.writeInt32BE(w.length - 4, size.pos);
  return w.chunks();
}

/** Decodes a request body that follows a header already read from `r`. */
export function decodeRequestBody<A extends ApiDeclaration>(
  api: A,
  version: number,
  r: Reader,
): RequestOf<A> {
  checkVersion(api, version);
  return compileStruct(api.request, version, isFlexible(api, version)).decode(r);
}

/**
 * Decodes a whole request frame without its size prefix: header then body.
 * `lookup` maps an api key to its declaration (see messages/index.ts).
 */
export function decodeRequest(
  frame: Buffer,
  lookup: (key: number) => ApiDeclaration | undefined,
): { header: RequestHeader; api: ApiDeclaration; body: any } {
  const r = new Reader(frame);
  const header = readRequestHeader(r);
  const api = lookup(header.apiKey);
  if (!api) throw new ProtocolError("unknown-api", `unknown api key ${header.apiKey}`);
  checkVersion(api, header.apiVersion);
  if (isFlexible(api, header.apiVersion)) readRequestHeaderTags(r, header);
  const body = decodeRequestBody(api, header.apiVersion, r);
  return { header, api, body };
}

/** Encodes a complete response frame (size prefix included) as chunks for writev. */
export function encodeResponseChunks<A extends ApiDeclaration>(
  api: A,
  version: number,
  correlationId: number,
  body: ResponseInput<A>,
): Buffer[] {
  const flexible = isFlexible(api, version);
  const w = new Writer(256);
  const size = w.reserveInt32();
  w.int32(correlationId);
  if (responseHeaderFlexible(api, version)) w.uvarint(0);
  compileStruct(api.response, version, flexible).encode(w, body);
  size.buf.writeInt32BE(w.length - 4, size.pos);
  return w.chunks();
}

export function encodeResponse<A extends ApiDeclaration>(
  api: A,
  version: number,
  correlationId: number,
  body: ResponseInput<A>,
): Buffer {
  return Buffer.concat(encodeResponseChunks(api, version, correlationId, body));
}

/** Decodes a response frame without its size prefix. */
export function decodeResponse<A extends ApiDeclaration>(
  api: A,
  version: number,
  frame: Buffer,
): { correlationId: number; body: ResponseOf<A> } {
  const r = new Reader(frame);
  const correlationId = r.int32();
  if (responseHeaderFlexible(api, version)) r.skipTaggedFields();
  const body = compileStruct(api.response, version, isFlexible(api, version)).decode(r);
  return { correlationId, body };
}

/** Encodes just a message body (no header, no size), e.g. for tests and embedded structs. */
export function encodeBody<A extends ApiDeclaration>(
  api: A,
  version: number,
  which: "request" | "response",
  body: unknown,
): Buffer {
  const w = new Writer();
  compileStruct(api[which], version, isFlexible(api, version)).encode(w, body);
  return w.toBuffer();
}

export function decodeBody<A extends ApiDeclaration>(
  api: A,
  version: number,
  which: "request" | "response",
  buf: Buffer,
): any {
  const r = new Reader(buf);
  const v = compileStruct(api[which], version, isFlexible(api, version)).decode(r);
  if (r.remaining !== 0)
    throw new ProtocolError("invalid-value", `${r.remaining} bytes left after ${api.name}`);
  return v;
}
