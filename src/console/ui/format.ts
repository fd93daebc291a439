/** Formatting of numbers, sizes, times and record bytes for display and export. */
import { scaleBytes } from "../../tools/bytes.js";
import type { Bytes, Message } from "./api.js";

const numberFormat = new Intl.NumberFormat("en-US");

export function formatNumber(n: number | null | undefined): string {
  return n === null || n === undefined ? "—" : numberFormat.format(n);
}

export function formatRate(n: number | null | undefined): string {
  if (n === null || n === undefined) return "—";
  return n >= 100 ? numberFormat.format(Math.round(n)) : n.toFixed(1);
}

export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return "—";
  const { value, unit } = scaleBytes(n);
  return unit === "B" ? `${value} B` : `${value.toFixed(value >= 100 ? 0 : 1)} ${unit}`;
}

/** Local time with milliseconds, sortable: 2026-12-07 14:32:16.123. */
export function formatTime(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "—";
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

export function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function bytesOf(b: Bytes): Uint8Array {
  if (b === null) return new Uint8Array(0);
  return "text" in b ? new TextEncoder().encode(b.text) : base64ToBytes(b.base64);
}

/** A one-line preview: the text, or "base64:…" for bytes that are not UTF-8, or "null". */
export function preview(b: Bytes, max = 120): string {
  if (b === null) return "null";
  const s = "text" in b ? b.text : `base64:${b.base64}`;
  const line = s.replace(/\s+/g, " ");
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

export function asText(b: Bytes): string {
  if (b === null) return "null";
  return "text" in b ? b.text : new TextDecoder("utf-8", { fatal: false }).decode(base64ToBytes(b.base64));
}

/** Pretty-printed JSON when the bytes are text that parses as JSON, else null. */
export function asPrettyJson(b: Bytes): string | null {
  if (b === null || !("text" in b)) return null;
  const t = b.text.trim();
  if (!t.startsWith("{") && !t.startsWith("[")) return null;
  try {
    return JSON.stringify(JSON.parse(t), null, 2);
  } catch {
    return null;
  }
}

/** A hex dump: offset, 16 bytes in hex, and their printable ASCII. */
export function asHex(b: Bytes): string {
  const bytes = bytesOf(b);
  if (bytes.length === 0) return b === null ? "null" : "(empty)";
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += 16) {
    const row = bytes.subarray(i, i + 16);
    const hex = Array.from(row, (x) => x.toString(16).padStart(2, "0")).join(" ");
    const ascii = Array.from(row, (x) => (x >= 0x20 && x < 0x7f ? String.fromCharCode(x) : ".")).join("");
    lines.push(`${i.toString(16).padStart(8, "0")}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return lines.join("\n");
}

function exportBytes(b: Bytes): string | null {
  return b === null ? null : "text" in b ? b.text : `base64:${b.base64}`;
}

export function toJsonExport(messages: Message[]): string {
  return `${JSON.stringify(messages, null, 2)}\n`;
}

function csvField(s: string | number | null): string {
  if (s === null) return "";
  const v = String(s);
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** CSV with one row per record; headers as a JSON object column; non-UTF-8 bytes as base64:…. */
export function toCsvExport(messages: Message[]): string {
  const rows = [["partition", "offset", "timestamp", "key", "value", "headers"].join(",")];
  for (const m of messages) {
    const headers = JSON.stringify(m.headers.map((h) => ({ key: h.key, value: exportBytes(h.value) })));
    rows.push(
      [
        m.partition,
        m.offset,
        new Date(m.timestamp).toISOString(),
        exportBytes(m.key),
        exportBytes(m.value),
        headers,
      ]
        .map(csvField)
        .join(","),
    );
  }
  return `${rows.join("\r\n")}\r\n`;
}

export function download(filename: string, content: string, type: string): void {
  const url = URL.createObjectURL(new Blob([content], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
