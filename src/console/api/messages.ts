/**
 * Messages: browse (a bounded scan), tail (Server-Sent Events) and produce. Reads go through the
 * same partition reader `brook consume` uses without a group (src/client/consumer/partition-reader):
 * no group joins, nothing is committed. Each browse or tail has its own connections, closed when its
 * HTTP request ends.
 *
 * Additions to the API contract (compatible; docs/console.md): the tail first sends
 * `event: ready` with `{ partitions: [{ partition, offset }] }` (where it starts), and
 * `event: error` with `{ error, code }` before it ends on a cluster failure; `from` defaults to `end`.
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import type { PartitionWatermarks } from "../../client/admin/types.js";
import type { Cluster } from "../../client/cluster/index.js";
import type { ConsumedRecord } from "../../client/consumer/decode.js";
import {
  type Fetched,
  PartitionReader,
  type ReaderPartition,
} from "../../client/consumer/partition-reader.js";
import type { IHeaders } from "../../client/types.js";
import type { ConsoleContext } from "../context.js";
import { badRequest, HttpError, toHttpError } from "../errors.js";
import { type JsonRecord, jsonRecord, matches, type RecordFilter } from "../records.js";
import { bodyOf, optionalWholeNumber, wholeNumber } from "./input.js";
import { requireTopic } from "./topics.js";

/** A browse reads at most this many records, for at most this long, and says when it stopped early. */
export const SCAN_MAX_RECORDS = 10_000;
export const SCAN_MAX_MS = 2_000;
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
/** SSE comment lines keep proxies and browsers from closing an idle tail. */
const KEEPALIVE_MS = 15_000;

type From =
  | { kind: "beginning" }
  | { kind: "end" }
  | { kind: "offset"; offset: number }
  | { kind: "timestamp"; at: number };

interface BrowseQuery extends RecordFilter {
  partition?: string;
  from?: string;
  limit?: string;
}

function parseFrom(value: string | undefined): From {
  if (value === undefined || value === "" || value === "end") return { kind: "end" };
  if (value === "beginning") return { kind: "beginning" };
  const m = /^(offset|timestamp):(\d+)$/.exec(value);
  if (m) {
    const n = Number(m[2]);
    if (!Number.isSafeInteger(n)) throw badRequest(`from=${value}: the number is too large`);
    return m[1] === "offset" ? { kind: "offset", offset: n } : { kind: "timestamp", at: n };
  }
  throw badRequest(`from=${value}: expected beginning, end, offset:<n> or timestamp:<epoch ms>`);
}

function filterOf(q: RecordFilter): RecordFilter {
  const f: RecordFilter = {};
  for (const k of ["key", "value", "header"] as const) {
    const v = q[k];
    if (typeof v === "string" && v !== "") f[k] = v;
  }
  return f;
}

/** The topic's partitions the request names (partition=all or a number), with their watermarks. */
async function chosenPartitions(
  ctx: ConsoleContext,
  topic: string,
  partition: string | undefined,
): Promise<PartitionWatermarks[]> {
  await requireTopic(ctx.admin, topic);
  const marks = (await ctx.admin.fetchTopicWatermarks(topic)).sort((a, b) => a.partition - b.partition);
  if (partition === undefined || partition === "" || partition === "all") return marks;
  const n = wholeNumber("partition", partition);
  const m = marks.find((x) => x.partition === n);
  if (!m) {
    throw new HttpError(
      404,
      "UNKNOWN_TOPIC_OR_PARTITION",
      `${topic} has no partition ${n} (it has ${marks.length})`,
    );
  }
  return [m];
}

async function connectedCluster(ctx: ConsoleContext, topic: string): Promise<Cluster> {
  const cluster = ctx.newCluster();
  try {
    await cluster.connect();
    await cluster.addTargetTopics([topic]);
    return cluster;
  } catch (e) {
    await cluster.disconnect().catch(() => {});
    throw e;
  }
}

function readerFor(cluster: Cluster, parts: ReaderPartition[], maxWaitMs: number): PartitionReader {
  return new PartitionReader(cluster, parts, {
    isolationLevel: 0,
    maxWaitMs,
    maxBytes: 8 * 1024 * 1024,
    partitionMaxBytes: 1024 * 1024,
    requestTimeout: 30_000,
    warn: () => {},
  });
}

/** Each record of a fetch answer before its partition's end; control records skipped. */
function* recordsOf(fetched: Fetched[]): Generator<{ part: ReaderPartition; record: JsonRecord }> {
  for (const f of fetched) {
    for (let m = f.cursor.next(); m !== null; m = f.cursor.next()) {
      if (f.cursor.offset >= f.part.end) break;
      if ((m as ConsumedRecord).isControlRecord) continue;
      yield { part: f.part, record: jsonRecord(f.part.partition, m) };
    }
  }
}

interface Budget {
  scanned: number;
  deadline: number;
  /** Set when the budget ran out or the client went away. */
  exhausted: boolean;
}

/**
 * Reads [start, end) of each range; `visit` says "enough" to stop a partition early. Resolves when
 * every range is read, every partition had enough, or the budget is spent.
 */
async function scanRanges(
  cluster: Cluster,
  topic: string,
  ranges: Array<{ partition: number; start: number; end: number }>,
  budget: Budget,
  gone: AbortSignal,
  visit: (partition: number, record: JsonRecord) => "more" | "enough",
): Promise<void> {
  const parts: ReaderPartition[] = ranges
    .filter((r) => r.start < r.end)
    .map((r) => ({ topic, partition: r.partition, offset: r.start, end: r.end }));
  if (parts.length === 0 || budget.exhausted) return;
  const reader = readerFor(cluster, parts, 100);
  const stop = () => {
    budget.exhausted = true;
    reader.stop();
  };
  const left = budget.deadline - performance.now();
  if (left <= 0) return stop();
  const timer = setTimeout(stop, left);
  gone.addEventListener("abort", stop);
  try {
    await reader.run((fetched) => {
      for (const { part, record } of recordsOf(fetched)) {
        if (budget.exhausted) return;
        budget.scanned++;
        if (visit(part.partition, record) === "enough") {
          part.end = 0; // done: the reader drops it
          // The cursor's remaining records are past what this partition needs.
        }
        if (budget.scanned >= SCAN_MAX_RECORDS) return stop();
      }
    });
  } finally {
    clearTimeout(timer);
    gone.removeEventListener("abort", stop);
  }
}

const byTime = (a: JsonRecord, b: JsonRecord) =>
  a.timestamp - b.timestamp || a.partition - b.partition || a.offset - b.offset;

/** An AbortSignal that fires when the client closes the request's connection. */
function signalOf(reply: FastifyReply): AbortSignal {
  const ac = new AbortController();
  // The response closes before it was sent only when the client went away.
  reply.raw.once("close", () => {
    if (!reply.raw.writableFinished) ac.abort();
  });
  return ac.signal;
}

export function registerMessageRoutes(
  app: FastifyInstance,
  ctx: ConsoleContext,
  streams: Set<() => void>,
): void {
  const { admin } = ctx;

  app.get<{ Params: { name: string }; Querystring: BrowseQuery }>(
    "/api/topics/:name/messages",
    async (request, reply) => {
      const { name } = request.params;
      const q = request.query;
      const from = parseFrom(q.from);
      const limit =
        q.limit === undefined || q.limit === "" ? DEFAULT_LIMIT : wholeNumber("limit", q.limit, { min: 1 });
      if (limit > MAX_LIMIT) throw badRequest(`limit=${limit}: at most ${MAX_LIMIT}`);
      const filter = filterOf(q);
      const filtered = Object.keys(filter).length > 0;
      const marks = await chosenPartitions(ctx, name, q.partition);
      const budget: Budget = { scanned: 0, deadline: performance.now() + SCAN_MAX_MS, exhausted: false };
      const gone = signalOf(reply);
      const found = new Map<number, JsonRecord[]>(marks.map((m) => [m.partition, []]));
      const cluster = await connectedCluster(ctx, name);
      let truncated = false;
      try {
        if (from.kind === "end") {
          // Backwards in growing windows until each partition has `limit` matches or its log start.
          const state = marks.map((m) => ({
            partition: m.partition,
            low: Number(m.low),
            end: Number(m.high),
          }));
          let window = limit;
          for (;;) {
            const needy = state.filter((s) => s.end > s.low && found.get(s.partition)!.length < limit);
            if (needy.length === 0) break;
            const ranges = needy.map((s) => ({
              partition: s.partition,
              start: Math.max(s.low, s.end - window),
              end: s.end,
            }));
            const windowFinds = new Map<number, JsonRecord[]>();
            await scanRanges(cluster, name, ranges, budget, gone, (partition, r) => {
              if (matches(r, filter)) windowFinds.set(partition, [...(windowFinds.get(partition) ?? []), r]);
              return "more";
            });
            for (const [p, list] of windowFinds) found.set(p, [...list, ...found.get(p)!]);
            if (budget.exhausted) {
              truncated = true;
              break;
            }
            for (const r of ranges) state.find((s) => s.partition === r.partition)!.end = r.start;
            if (!filtered) break; // the last `limit` records are read
            window = Math.min(window * 4, SCAN_MAX_RECORDS);
          }
        } else {
          const byTimestamp =
            from.kind === "timestamp" ? await admin.fetchTopicOffsetsByTimestamp(name, from.at) : null;
          const ranges = marks.map((m) => {
            const low = Number(m.low);
            const high = Number(m.high);
            const start =
              from.kind === "beginning"
                ? low
                : from.kind === "offset"
                  ? Math.min(Math.max(from.offset, low), high)
                  : Number(byTimestamp!.find((o) => o.partition === m.partition)?.offset ?? high);
            return { partition: m.partition, start, end: high };
          });
          await scanRanges(cluster, name, ranges, budget, gone, (partition, r) => {
            if (!matches(r, filter)) return "more";
            const list = found.get(partition)!;
            list.push(r);
            return list.length >= limit ? "enough" : "more";
          });
          truncated = budget.exhausted;
        }
      } finally {
        await cluster.disconnect().catch(() => {});
      }
      const all = [...found.values()].flat().sort(byTime);
      const messages = from.kind === "end" ? all.slice(Math.max(0, all.length - limit)) : all.slice(0, limit);
      return { messages, scanned: budget.scanned, truncated };
    },
  );

  app.get<{ Params: { name: string }; Querystring: BrowseQuery }>(
    "/api/topics/:name/tail",
    async (request, reply) => {
      const { name } = request.params;
      const filter = filterOf(request.query);
      const marks = await chosenPartitions(ctx, name, request.query.partition);
      const parts: ReaderPartition[] = marks.map((m) => ({
        topic: name,
        partition: m.partition,
        offset: Number(m.high),
        end: Number.POSITIVE_INFINITY,
      }));
      const cluster = await connectedCluster(ctx, name);
      await streamTail(reply, cluster, parts, filter, streams);
    },
  );

  app.post<{ Params: { name: string } }>("/api/topics/:name/messages", async (request) => {
    const { name } = request.params;
    const body = bodyOf(request.body);
    if (!("value" in body)) throw badRequest("value: required (a string, or null for a tombstone)");
    const value = body.value;
    if (value !== null && typeof value !== "string") throw badRequest("value: expected a string or null");
    const key = body.key ?? null;
    if (key !== null && typeof key !== "string") throw badRequest("key: expected a string or null");
    const headers: IHeaders = {};
    if (body.headers !== undefined && body.headers !== null) {
      if (!Array.isArray(body.headers)) throw badRequest("headers: expected an array of { key, value }");
      for (const [i, h] of body.headers.entries()) {
        const hk = (h as { key?: unknown })?.key;
        const hv = (h as { value?: unknown })?.value;
        if (typeof hk !== "string" || hk === "" || typeof hv !== "string") {
          throw badRequest(`headers[${i}]: expected { key: string, value: string }`);
        }
        const prev = headers[hk];
        headers[hk] = prev === undefined ? hv : [...(Array.isArray(prev) ? prev : [prev]), hv];
      }
    }
    const partition = optionalWholeNumber("partition", body.partition);
    await requireTopic(admin, name);
    if (partition !== undefined) await chosenPartitions(ctx, name, String(partition));
    const producer = await ctx.producer();
    const [meta] = await producer.send({
      topic: name,
      acks: -1,
      messages: [{ key, value, headers, ...(partition !== undefined ? { partition } : {}) }],
    });
    return { partition: meta!.partition, offset: Number(meta!.baseOffset ?? meta!.offset ?? -1) };
  });
}

/** The tail's SSE stream: `ready` once its start offsets are fixed, then a `message` per new record. */
async function streamTail(
  reply: FastifyReply,
  cluster: Cluster,
  parts: ReaderPartition[],
  filter: RecordFilter,
  streams: Set<() => void>,
): Promise<void> {
  reply.hijack();
  const res = reply.raw;
  const headers = reply.getHeaders() as Record<string, string | number | string[]>;
  res.writeHead(200, {
    ...headers,
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-store",
    connection: "keep-alive",
    "x-accel-buffering": "no",
  });
  const reader = readerFor(cluster, parts, 1000);
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    reader.stop();
    clearInterval(keepalive);
    streams.delete(end);
    res.end();
    void cluster.disconnect().catch(() => {});
  };
  streams.add(end);
  res.on("close", end);
  const keepalive = setInterval(() => {
    if (!ended) res.write(": keepalive\n\n");
  }, KEEPALIVE_MS);
  keepalive.unref();
  const send = (event: string, data: unknown) =>
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  send("ready", { partitions: parts.map((p) => ({ partition: p.partition, offset: p.offset })) });
  try {
    await reader.run(async (fetched) => {
      let full = false;
      for (const { record } of recordsOf(fetched)) {
        if (ended) return;
        if (matches(record, filter)) full = !send("message", record) || full;
      }
      // A slow client: wait for it to drain before the next fetch's records (or for it to go).
      if (full && !ended)
        await new Promise<void>((resolve) => {
          res.once("drain", resolve);
          res.once("close", resolve);
        });
    });
  } catch (e) {
    if (!ended) {
      const err = toHttpError(e);
      send("error", { error: err.message, code: err.code });
    }
  } finally {
    end();
  }
}
