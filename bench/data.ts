/**
 * Deterministic benchmark data: JSON-ish event records (what Kafka topics mostly carry), sized to a
 * target, from a seeded generator so every run and every implementation sees the same bytes.
 */

export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
}

const WORDS = (
  "order checkout cart product view click search login logout payment refund shipment delivered " +
  "pending failed retry premium basic region europe america asia mobile desktop tablet android ios " +
  "chrome firefox safari campaign summer winter sale discount coupon newsletter signup referral " +
  "warehouse berlin paris london tokyo sydney toronto lisbon oslo blue green red large small medium"
).split(" ");
const EVENTS = ["page_view", "add_to_cart", "purchase", "login", "search", "click", "refund", "signup"];
const COUNTRIES = ["DE", "FR", "GB", "US", "JP", "AU", "CA", "PT", "NO", "BR", "IN", "ES"];

/** One JSON event of about `size` bytes (within a few bytes), deterministic for (seed, i). */
export function jsonRecord(rnd: () => number, i: number, size: number): Buffer {
  const pick = <T>(a: T[]) => a[Math.floor(rnd() * a.length)]!;
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(rnd() * 16).toString(16)).join("");
  const base = {
    id: `${hex(8)}-${hex(4)}-4${hex(3)}-${hex(4)}-${hex(12)}`,
    seq: i,
    ts: 1_700_000_000_000 + i * 17 + Math.floor(rnd() * 10),
    event: pick(EVENTS),
    user: { id: Math.floor(rnd() * 1e6), country: pick(COUNTRIES), plan: pick(["free", "pro", "team"]) },
    session: hex(16),
    amount: Math.round(rnd() * 100000) / 100,
    currency: pick(["EUR", "USD", "GBP", "JPY"]),
    items: [] as { sku: string; qty: number; price: number }[],
    tags: [] as string[],
    note: "",
  };
  const nItems = 1 + Math.floor(rnd() * 4);
  for (let k = 0; k < nItems; k++) {
    base.items.push({
      sku: `SKU-${Math.floor(rnd() * 99999)}`,
      qty: 1 + Math.floor(rnd() * 5),
      price: Math.round(rnd() * 50000) / 100,
    });
  }
  for (let k = 0; k < 4; k++) base.tags.push(pick(WORDS));
  let s = JSON.stringify(base);
  // Fill to size with words (free text compresses like real descriptions do, not like zeros).
  const words: string[] = [];
  let len = s.length;
  while (len < size - 8) {
    const w = pick(WORDS);
    words.push(w);
    len += w.length + 1;
  }
  base.note = words.join(" ");
  s = JSON.stringify(base);
  if (s.length > size) s = `${s.slice(0, size - 2)}"}`;
  return Buffer.from(s);
}

export interface BenchMessage {
  key: Buffer;
  value: Buffer;
  headers: Record<string, Buffer>;
  timestamp: number;
}

/** `count` messages with JSON values of `valueSize` bytes and short keys, deterministic for seed. */
export function jsonMessages(count: number, valueSize: number, seed = 42): BenchMessage[] {
  const rnd = rng(seed);
  const out: BenchMessage[] = [];
  for (let i = 0; i < count; i++) {
    out.push({
      key: Buffer.from(`user-${Math.floor(rnd() * 100000)}`),
      value: jsonRecord(rnd, i, valueSize),
      headers: { source: Buffer.from("bench") },
      timestamp: 1_700_000_000_000 + i,
    });
  }
  return out;
}
