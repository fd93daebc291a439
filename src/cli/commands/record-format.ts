/**
 * How `brook consume` prints records: kcat's -f format tokens compiled once into a list of steps,
 * kcat's -J JSON envelope, and an output buffer that gathers a whole fetched batch before one
 * write to stdout.
 *
 * Tokens (kcat -f): %t topic, %p partition, %o offset, %k key, %K key length (-1 for null), %s
 * value, %S value length (-1 for null), %R value length as a 4-byte big-endian int, %T timestamp
 * (ms), %h headers as k=v,k=v (a null value prints NULL), %% a percent sign. Escapes: \n \t \r \\
 * \0 \xHH; any other escaped character stands for itself. An unknown %x is a usage error.
 * As kcat, a null or empty key/value prints nothing.
 */
import type { IHeaders } from "../../client/types.js";
import { UsageError } from "../errors.js";

/** "\n", "\t", "\r", "\0", "\xHH", "\\" in text given on the command line, as bytes. */
export function unescapeBytes(s: string): Buffer {
  const out: number[] = [];
  const bytes = Buffer.from(s, "utf8");
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c !== 0x5c || i + 1 >= bytes.length) {
      out.push(c);
      continue;
    }
    const n = String.fromCharCode(bytes[++i]!);
    if (n === "n") out.push(10);
    else if (n === "t") out.push(9);
    else if (n === "r") out.push(13);
    else if (n === "0") out.push(0);
    else if (
      n === "x" &&
      /^[0-9a-fA-F]{2}$/.test(String.fromCharCode(bytes[i + 1] ?? 0, bytes[i + 2] ?? 0))
    ) {
      out.push(Number.parseInt(String.fromCharCode(bytes[i + 1]!, bytes[i + 2]!), 16));
      i += 2;
    } else out.push(bytes[i]!);
  }
  return Buffer.from(out);
}

/** What a format step reads from: a consumed message and where it came from. */
export interface OutRecord {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
}

export interface RecordSource {
  topic: string;
  partition: number;
  /** The broker the record was fetched from (-1 when not known). */
  broker: number;
  /** 0 create time, 1 log-append time, -1 unknown. */
  timestampType(record: OutRecord): number;
}

type Step =
  | { kind: "lit"; bytes: Buffer }
  | { kind: "t" | "p" | "o" | "k" | "K" | "s" | "S" | "R" | "T" | "h" };

const TOKENS = new Set(["t", "p", "o", "k", "K", "s", "S", "R", "T", "h"]);

export function compileFormat(format: string): Step[] {
  const steps: Step[] = [];
  let lit = "";
  const flush = () => {
    if (lit) steps.push({ kind: "lit", bytes: unescapeBytes(lit) });
    lit = "";
  };
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c === "\\" && i + 1 < format.length) {
      lit += c + format[++i];
      continue;
    }
    if (c !== "%") {
      lit += c;
      continue;
    }
    const t = format[++i];
    if (t === undefined) throw new UsageError(`--format "${format}": a lone % at the end`);
    if (t === "%") {
      lit += "%";
      continue;
    }
    if (!TOKENS.has(t)) {
      throw new UsageError(
        `--format "${format}": unknown token %${t} (known: %t %p %o %k %K %s %S %R %T %h %%)`,
      );
    }
    flush();
    steps.push({ kind: t } as Step);
  }
  flush();
  return steps;
}

/** A growing byte buffer for one batch of output; take() hands over what was written. */
export class OutputBuffer {
  private buf: Buffer;
  length = 0;

  constructor(private readonly initial = 1 << 20) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  bytes(b: Buffer): void {
    this.room(b.length);
    b.copy(this.buf, this.length);
    this.length += b.length;
  }

  /** ASCII-only text (numbers, fixed words). */
  ascii(s: string): void {
    this.room(s.length);
    this.length += this.buf.write(s, this.length, "latin1");
  }

  utf8(s: string): void {
    const n = Buffer.byteLength(s, "utf8");
    this.room(n);
    this.length += this.buf.write(s, this.length, "utf8");
  }

  int32be(n: number): void {
    this.room(4);
    this.buf.writeInt32BE(n, this.length);
    this.length += 4;
  }

  /** The bytes written so far; the buffer starts over (a fresh one, the old stays with the caller). */
  take(): Buffer {
    const out = this.buf.subarray(0, this.length);
    this.buf = Buffer.allocUnsafe(Math.max(this.initial, this.length));
    this.length = 0;
    return out;
  }
}

function headerEntries(headers: IHeaders): Array<[string, Buffer | null]> {
  const out: Array<[string, Buffer | null]> = [];
  for (const k in headers) {
    const v = headers[k];
    if (Array.isArray(v)) for (const x of v) out.push([k, (x as Buffer | null) ?? null]);
    else
      out.push([
        k,
        v === undefined || v === null ? null : typeof v === "string" ? Buffer.from(v) : (v as Buffer),
      ]);
  }
  return out;
}

/** Re-indents a JSON value (two spaces); anything that does not parse is left as it is. */
export function prettyJson(value: Buffer): Buffer {
  try {
    return Buffer.from(JSON.stringify(JSON.parse(value.toString("utf8")), null, 2), "utf8");
  } catch {
    return value;
  }
}

export type Formatter = (out: OutputBuffer, src: RecordSource, r: OutRecord) => void;

/** A formatter for a compiled -f format. `pretty` re-indents values that parse as JSON. */
export function textFormatter(steps: Step[], pretty: boolean): Formatter {
  // The common "%s<literal>" shape gets a loop of its own.
  if (steps.length === 2 && steps[0]!.kind === "s" && steps[1]!.kind === "lit" && !pretty) {
    const tail = (steps[1] as { bytes: Buffer }).bytes;
    return (out, _src, r) => {
      if (r.value) out.bytes(r.value);
      out.bytes(tail);
    };
  }
  return (out, src, r) => {
    for (const step of steps) {
      switch (step.kind) {
        case "lit":
          out.bytes(step.bytes);
          break;
        case "t":
          out.utf8(src.topic);
          break;
        case "p":
          out.ascii(String(src.partition));
          break;
        case "o":
          out.ascii(r.offset);
          break;
        case "k":
          if (r.key) out.bytes(r.key);
          break;
        case "K":
          out.ascii(r.key ? String(r.key.length) : "-1");
          break;
        case "s":
          if (r.value) out.bytes(pretty ? prettyJson(r.value) : r.value);
          break;
        case "S":
          out.ascii(r.value ? String(r.value.length) : "-1");
          break;
        case "R":
          out.int32be(r.value ? r.value.length : -1);
          break;
        case "T":
          out.ascii(r.timestamp);
          break;
        case "h": {
          let first = true;
          for (const [k, v] of headerEntries(r.headers)) {
            if (!first) out.ascii(",");
            first = false;
            out.utf8(k);
            out.ascii("=");
            if (v === null) out.ascii("NULL");
            else out.bytes(v);
          }
          break;
        }
      }
    }
  };
}

const TSTYPES = ["create", "logappend"];

/** kcat -J: one JSON object per line, kcat's field names and order. */
export function jsonFormatter(pretty: boolean): Formatter {
  return (out, src, r) => {
    const headers: Array<string | null> = [];
    for (const [k, v] of headerEntries(r.headers)) headers.push(k, v === null ? null : v.toString("utf8"));
    const type = src.timestampType(r);
    let payload: unknown = r.value === null ? null : r.value.toString("utf8");
    if (pretty && typeof payload === "string") {
      try {
        payload = JSON.parse(payload);
      } catch {}
    }
    // As kcat: "headers" only when the record has some.
    const obj: Record<string, unknown> = {
      topic: src.topic,
      partition: src.partition,
      offset: Number(r.offset),
      tstype: TSTYPES[type] ?? "unknown",
      ts: Number(r.timestamp),
      broker: src.broker,
    };
    if (headers.length > 0) obj.headers = headers;
    obj.key = r.key === null ? null : r.key.toString("utf8");
    obj.payload = payload;
    out.utf8(JSON.stringify(obj));
    out.ascii("\n");
  };
}
