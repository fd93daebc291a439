/** Records as the console's JSON shows them: bytes as UTF-8 text when they are, else base64. */
import { isUtf8 } from "node:buffer";
import type { ConsumedMessage } from "../client/consumer/decode.js";
import type { IHeaders } from "../client/types.js";

export type JsonBytes = { text: string } | { base64: string } | null;

export interface JsonRecord {
  partition: number;
  offset: number;
  timestamp: number;
  key: JsonBytes;
  value: JsonBytes;
  headers: Array<{ key: string; value: JsonBytes }>;
}

export function jsonBytes(bytes: Buffer | string | null | undefined): JsonBytes {
  if (bytes === null || bytes === undefined) return null;
  if (typeof bytes === "string") return { text: bytes };
  return isUtf8(bytes) ? { text: bytes.toString("utf8") } : { base64: bytes.toString("base64") };
}

function headerList(headers: IHeaders | undefined): JsonRecord["headers"] {
  const out: JsonRecord["headers"] = [];
  for (const [key, v] of Object.entries(headers ?? {})) {
    for (const value of Array.isArray(v) ? v : [v]) out.push({ key, value: jsonBytes(value) });
  }
  return out;
}

export function jsonRecord(partition: number, m: ConsumedMessage): JsonRecord {
  return {
    partition,
    offset: Number(m.offset),
    timestamp: Number(m.timestamp),
    key: jsonBytes(m.key),
    value: jsonBytes(m.value),
    headers: headerList((m as { headers?: IHeaders }).headers),
  };
}

/** The browse/tail filters: substrings, case-insensitive, all of the given ones must match. */
export interface RecordFilter {
  key?: string;
  value?: string;
  header?: string;
}

const textOf = (b: JsonBytes): string => (b === null ? "" : "text" in b ? b.text : "");

export function matches(r: JsonRecord, f: RecordFilter): boolean {
  const has = (b: JsonBytes, q: string) => textOf(b).toLowerCase().includes(q);
  if (f.key !== undefined && !has(r.key, f.key.toLowerCase())) return false;
  if (f.value !== undefined && !has(r.value, f.value.toLowerCase())) return false;
  if (f.header !== undefined) {
    const q = f.header.toLowerCase();
    if (!r.headers.some((h) => h.key.toLowerCase().includes(q) || has(h.value, q))) return false;
  }
  return true;
}
