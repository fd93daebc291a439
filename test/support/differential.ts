/**
 * Differential protocol testing: the same requests, encoded by Brook's codec at exact API versions,
 * go to Brook and to an Apache Kafka broker; the decoded responses are normalised (node ids, hosts,
 * ports, cluster and topic ids, producer ids, times: what must differ) and compared field by field.
 * Apache Kafka is the judge: every difference is either a Brook bug or an entry of an allow-list
 * that says why it is deliberate.
 *
 * A case is data: a name and a list of steps. A step is one request (or raw bytes, or a produce
 * with acks=0 that gets no answer) with optional per-step normalisation rules, a retry condition
 * for the moments Kafka is still settling (a new topic's leader, a coordinator loading), and a hook
 * saving values from the answer (a producer id, a member id) into the target's own variables, so a
 * later request can use them: each target has its own variables, because their ids differ.
 *
 * Paths name fields as `topics.0.partitions.1.errorCode`; a rule's path is a glob over segments
 * (`*` one segment, `**` any number), and a rule whose path has no dot applies to a field of that
 * name anywhere. Rules of a step come before the default rules.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { decodeResponse, encodeRequest } from "../../src/protocol/frame.js";
import { decodeRecordBatches } from "../../src/protocol/records/record-batch.js";
import type { ApiDeclaration, RequestInput, ResponseOf } from "../../src/protocol/schema.js";
import { RawClient } from "./raw-client.js";

/** Whatever steps save for later ones (ids, epochs, names), per target. */
export type Vars = Record<string, any>;

/**
 * How a value is turned into something comparable:
 * - `ignore`: dropped;
 * - `exact`: compared as it is (to override a default rule);
 * - `nullness`: null and "" stay, anything else becomes "<set>" (error messages: Kafka's wording is not ours);
 * - `alias`: null, "", -1 and the zero uuid stay; any other value becomes "#n", n counted per target
 *   and step in order of appearance (ids that differ between brokers but must be used consistently);
 * - `node`: negative numbers stay, others become "<node>" (arrays element by element);
 * - `time`: negative numbers stay, others become "<time>";
 * - `{ keyBy }`: an array of structs becomes an object keyed by that field (order and missing entries
 *   then show as named differences);
 * - `{ sortBy }`: an array sorted by that field (or by its JSON when empty);
 * - a function of the (already normalised) value.
 */
export type Normaliser =
  | "ignore"
  | "exact"
  | "nullness"
  | "alias"
  | "node"
  | "time"
  | { keyBy: string }
  | { sortBy: string }
  | ((value: unknown) => unknown);

export type Rules = Record<string, Normaliser>;

/** Applied after a step's own rules: what must differ between two brokers. */
export const DEFAULT_RULES: Rules = {
  nodeId: "node",
  leaderId: "node",
  brokerId: "node",
  controllerId: "node",
  replicaNodes: "node",
  isrNodes: "node",
  offlineReplicas: "node",
  preferredReadReplica: "node",
  host: "ignore",
  port: "ignore",
  clusterId: "ignore",
  nodeEndpoints: "ignore",
  topicId: "alias",
  producerId: "alias",
  memberId: "alias",
  leader: "alias",
  errorMessage: "nullness",
  batchIndexErrorMessage: "nullness",
  documentation: "nullness",
  logAppendTimeMs: "time",
  transactionStartTimeMs: "time",
};

/** What one step produced on one target: a decoded response, or what happened instead. */
export type Outcome =
  | { response: unknown }
  | { bytes: string }
  | { connectionClosed: true }
  | { noResponse: true; connectionClosed: boolean }
  | { timeout: true }
  | { error: string };

export interface Target {
  readonly name: "brook" | "kafka";
  readonly port: number;
}

/** One target while a case runs: its connections, variables and aliases (numbered afresh per step). */
export class TargetRun {
  readonly vars: Vars = {};
  aliases = new Map<string, string>();
  private readonly conns = new Map<string, RawClient>();
  private readonly closed = new Set<RawClient>();

  constructor(readonly target: Target) {}

  get name(): string {
    return this.target.name;
  }

  /** The named connection, opened again after the broker closed it. */
  async conn(name = "main"): Promise<RawClient> {
    const c = this.conns.get(name);
    if (c && !this.closed.has(c)) return c;
    const n = await RawClient.connect(this.target.port);
    n.socket.on("close", () => this.closed.add(n));
    this.conns.set(name, n);
    return n;
  }

  isClosed(c: RawClient): boolean {
    return this.closed.has(c);
  }

  close(): void {
    for (const c of this.conns.values()) c.close();
    this.conns.clear();
  }
}

export interface Step {
  /** Unique within its case; shown in reports and matched by allow-list entries. */
  name: string;
  send(run: TargetRun): Promise<Outcome>;
  /** Normalisation rules of this step, before DEFAULT_RULES. */
  rules?: Rules;
  /** Repeat the step (every 200 ms, up to 30 s) until this holds on the response; the last answer is compared. */
  until?: (response: any, vars: Vars) => boolean;
  /** Called with the response (of the last try) to keep values for later steps. */
  save?: (response: any, vars: Vars) => void;
  /** false: run but do not compare (setup whose answer is not the point). Default true. */
  compare?: boolean;
}

export interface Case {
  name: string;
  steps: Step[];
}

export interface StepOptions<A extends ApiDeclaration> {
  name?: string;
  conn?: string;
  rules?: Rules;
  until?: (response: ResponseOf<A>, vars: Vars) => boolean;
  save?: (response: ResponseOf<A>, vars: Vars) => void;
  compare?: boolean;
  /** Milliseconds to wait for the answer; default 15 s. */
  timeoutMs?: number;
}

const RESPONSE_TIMEOUT_MS = 15_000;

async function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => void): Promise<T | "timeout"> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), ms);
  });
  try {
    const r = await Promise.race([p, t]);
    if (r === "timeout") onTimeout();
    return r;
  } finally {
    clearTimeout(timer);
  }
}

/** Fetch answers carry record batches: decoded, so they compare as records and not as bytes. */
async function decodeRecordFields(v: unknown): Promise<unknown> {
  if (Array.isArray(v)) return Promise.all(v.map(decodeRecordFields));
  if (v && typeof v === "object" && !Buffer.isBuffer(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (k === "records" && Buffer.isBuffer(x)) out[k] = await summariseBatches(x);
      else out[k] = await decodeRecordFields(x);
    }
    return out;
  }
  return v;
}

async function summariseBatches(buf: Buffer): Promise<unknown> {
  try {
    const batches = await decodeRecordBatches(buf);
    // Control batches (transaction markers) carry the coordinator's clock.
    const time = (b: (typeof batches)[number], t: bigint) =>
      (b.header.attributes & 0x20) !== 0 ? "<time>" : t;
    return batches.map((b) => ({
      baseOffset: b.header.baseOffset,
      partitionLeaderEpoch: b.header.partitionLeaderEpoch,
      attributes: b.header.attributes,
      lastOffsetDelta: b.header.lastOffsetDelta,
      baseTimestamp: time(b, b.header.baseTimestamp),
      maxTimestamp: time(b, b.header.maxTimestamp),
      producerId: b.header.producerId,
      producerEpoch: b.header.producerEpoch,
      baseSequence: b.header.baseSequence,
      records: b.records.map((r) => ({
        offsetDelta: r.offsetDelta,
        timestampDelta: r.timestampDelta,
        key: r.key?.toString("hex") ?? null,
        value: r.value?.toString("hex") ?? null,
        headers: r.headers.map((h) => [h.key, h.value?.toString("hex") ?? null]),
      })),
    }));
  } catch (e) {
    return { undecodable: (e as Error).message, bytes: buf.length };
  }
}

/** A request through Brook's codec at an exact version; the body may use the target's variables. */
export function req<A extends ApiDeclaration>(
  api: A,
  version: number,
  body: RequestInput<A> | ((vars: Vars) => RequestInput<A>),
  opts: StepOptions<A> = {},
): Step {
  return {
    name: opts.name ?? `${api.name} v${version}`,
    ...(opts.rules ? { rules: opts.rules } : {}),
    ...(opts.until ? { until: opts.until as Step["until"] } : {}),
    ...(opts.save ? { save: opts.save as Step["save"] } : {}),
    ...(opts.compare !== undefined ? { compare: opts.compare } : {}),
    async send(run) {
      const b = typeof body === "function" ? (body as (v: Vars) => RequestInput<A>)(run.vars) : body;
      const c = await run.conn(opts.conn);
      try {
        const r = await withTimeout(c.request(api, version, b), opts.timeoutMs ?? RESPONSE_TIMEOUT_MS, () =>
          c.close(),
        );
        if (r === "timeout") return { timeout: true };
        return { response: await decodeRecordFields(r) };
      } catch (e) {
        if (run.isClosed(c)) return { connectionClosed: true };
        return { error: (e as Error).message };
      }
    },
  };
}

/**
 * Raw bytes (a whole frame, size prefix included, built by `frame` from a correlation id); the
 * answer is decoded with `decodeAs` when given, else compared as hex after the correlation id.
 */
export function raw(
  name: string,
  frame: (correlationId: number, vars: Vars) => Buffer,
  opts: { decodeAs?: { api: ApiDeclaration; version: number }; rules?: Rules; conn?: string } = {},
): Step {
  return {
    name,
    ...(opts.rules ? { rules: opts.rules } : {}),
    async send(run) {
      const c = await run.conn(opts.conn);
      try {
        const r = await withTimeout(c.sendRaw(frame(0x7fff0001, run.vars)), RESPONSE_TIMEOUT_MS, () =>
          c.close(),
        );
        if (r === "timeout") return { timeout: true };
        if (!opts.decodeAs) return { bytes: r.subarray(4).toString("hex") };
        const d = decodeResponse(opts.decodeAs.api, opts.decodeAs.version, r);
        return { response: await decodeRecordFields(d.body) };
      } catch (e) {
        if (run.isClosed(c)) return { connectionClosed: true };
        return { error: (e as Error).message };
      }
    },
  };
}

/**
 * A request that gets no answer (Produce with acks=0): sent, then the step waits `waitMs` to see
 * whether the broker closes the connection (Kafka closes it when such a produce fails).
 */
export function noAnswer<A extends ApiDeclaration>(
  api: A,
  version: number,
  body: RequestInput<A> | ((vars: Vars) => RequestInput<A>),
  opts: { name?: string; conn?: string; waitMs?: number } = {},
): Step {
  return {
    name: opts.name ?? `${api.name} v${version} (no answer)`,
    async send(run) {
      const b = typeof body === "function" ? (body as (v: Vars) => RequestInput<A>)(run.vars) : body;
      const c = await run.conn(opts.conn);
      await c.sendRaw(encodeRequest(api, version, 0x7fff0002, "raw-test", b), false);
      const closed = await c.closed(opts.waitMs ?? 1000);
      return { noResponse: true, connectionClosed: closed };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Normalisation and comparison

function globMatch(pattern: string[], path: string[]): boolean {
  if (pattern.length === 0) return path.length === 0;
  const [p, ...rest] = pattern;
  if (p === "**") {
    for (let i = 0; i <= path.length; i++) if (globMatch(rest, path.slice(i))) return true;
    return false;
  }
  if (path.length === 0) return false;
  return (p === "*" || p === path[0]) && globMatch(rest, path.slice(1));
}

/** Whether a rule or allow-list path (glob, or a bare field name) names `path`. */
export function pathMatches(pattern: string, path: string[]): boolean {
  if (!pattern.includes(".") && pattern !== "**" && pattern !== "*") return path.at(-1) === pattern;
  return globMatch(pattern.split("."), path);
}

function findRule(path: string[], rules: Rules[]): Normaliser | undefined {
  for (const set of rules) for (const [p, n] of Object.entries(set)) if (pathMatches(p, path)) return n;
  return undefined;
}

const ZERO_UUID = "00000000-0000-0000-0000-000000000000";
const IGNORED = Symbol("ignored");

function alias(v: unknown, aliases: Map<string, string>): unknown {
  if (v === null || v === undefined || v === "" || v === -1 || v === -1n || v === ZERO_UUID) return scalar(v);
  const k = `${typeof v}:${String(v)}`;
  let a = aliases.get(k);
  if (!a) aliases.set(k, (a = `#${aliases.size + 1}`));
  return a;
}

function scalar(v: unknown): unknown {
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : `${v}n`;
  if (Buffer.isBuffer(v)) return `0x${v.toString("hex")}`;
  return v;
}

function applyNormaliser(
  n: Normaliser,
  v: unknown,
  path: string[],
  run: TargetRun,
  rules: Rules[],
): unknown | typeof IGNORED {
  if (n === "ignore") return IGNORED;
  if (n === "exact") return normalise(v, path, run, rules);
  if (n === "nullness") return v === null || v === undefined || v === "" ? v : "<set>";
  if (n === "alias") return Array.isArray(v) ? v.map((x) => alias(x, run.aliases)) : alias(v, run.aliases);
  if (n === "node" || n === "time") {
    const one = (x: unknown) => {
      const num = typeof x === "bigint" ? Number(x) : x;
      return typeof num === "number" && num >= 0 ? `<${n}>` : num;
    };
    return Array.isArray(v) ? v.map(one) : one(v);
  }
  if (typeof n === "function") return n(normalise(v, path, run, rules));
  if ("keyBy" in n) {
    if (!Array.isArray(v)) return normalise(v, path, run, rules);
    const out: Record<string, unknown> = {};
    for (const item of v) {
      const key = String(scalar((item as Record<string, unknown>)[n.keyBy]));
      out[key] = normalise(item, [...path, key], run, rules);
    }
    return out;
  }
  if (!Array.isArray(v)) return normalise(v, path, run, rules);
  const items = v.map((x, i) => normalise(x, [...path, String(i)], run, rules));
  const keyOf = (x: unknown) =>
    JSON.stringify(x && typeof x === "object" ? (x as Record<string, unknown>)[n.sortBy] : x) ?? "";
  return items.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
}

/** The comparable form of a value at `path`, with `rules` (step rules first, then the defaults). */
export function normalise(v: unknown, path: string[], run: TargetRun, rules: Rules[]): unknown {
  if (v && typeof v === "object" && !Buffer.isBuffer(v)) {
    if (Array.isArray(v)) {
      return v.map((x, i) => normaliseField(x, [...path, String(i)], run, rules));
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (k === "_unknownTags") continue;
      const n = normaliseField(x, [...path, k], run, rules);
      if (n !== IGNORED) out[k] = n;
    }
    return out;
  }
  return scalar(v);
}

function normaliseField(v: unknown, path: string[], run: TargetRun, rules: Rules[]): unknown {
  const rule = findRule(path, rules);
  if (rule) return applyNormaliser(rule, v, path, run, rules);
  return normalise(v, path, run, rules);
}

export interface Difference {
  case: string;
  step: string;
  /** Dotted path of the field ("" for the whole outcome); `<length>` for array lengths. */
  path: string;
  brook: unknown;
  kafka: unknown;
}

const MISSING = "<missing>";

/** Field-by-field differences between two normalised values. */
export function diff(
  a: unknown,
  b: unknown,
  path: string[] = [],
): Array<{ path: string[]; a: unknown; b: unknown }> {
  if (Array.isArray(a) && Array.isArray(b)) {
    const out: Array<{ path: string[]; a: unknown; b: unknown }> = [];
    if (a.length !== b.length) out.push({ path: [...path, "<length>"], a: a.length, b: b.length });
    for (let i = 0; i < Math.min(a.length, b.length); i++)
      out.push(...diff(a[i], b[i], [...path, String(i)]));
    return out;
  }
  const isObj = (x: unknown): x is Record<string, unknown> =>
    !!x && typeof x === "object" && !Array.isArray(x);
  if (isObj(a) && isObj(b)) {
    const out: Array<{ path: string[]; a: unknown; b: unknown }> = [];
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (!(k in a)) out.push({ path: [...path, k], a: MISSING, b: b[k] });
      else if (!(k in b)) out.push({ path: [...path, k], a: a[k], b: MISSING });
      else out.push(...diff(a[k], b[k], [...path, k]));
    }
    return out;
  }
  return Object.is(a, b) ? [] : [{ path, a, b }];
}

function summarise(v: unknown): unknown {
  const s = JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? `${x}n` : x));
  return s && s.length > 300 ? `${s.slice(0, 300)}…` : v;
}

// ---------------------------------------------------------------------------------------------
// Running

async function runStep(step: Step, run: TargetRun): Promise<Outcome> {
  const deadline = performance.now() + 30_000;
  for (;;) {
    const out = await step.send(run);
    const res = "response" in out ? out.response : undefined;
    if (!step.until || (res !== undefined && step.until(res, run.vars)) || performance.now() > deadline) {
      if (res !== undefined) step.save?.(res, run.vars);
      return out;
    }
    await sleep(200);
  }
}

export interface StepResult {
  step: Step;
  brook: Outcome;
  kafka: Outcome;
  differences: Difference[];
}

/**
 * Runs a case on both targets (each target's steps in order, the two targets side by side) and
 * returns every step's outcomes and normalised differences.
 */
export async function runCase(c: Case, brook: Target, kafka: Target): Promise<StepResult[]> {
  const runs = [new TargetRun(brook), new TargetRun(kafka)] as const;
  try {
    const [bo, ko] = await Promise.all(
      runs.map(async (run) => {
        const outs: Outcome[] = [];
        for (const s of c.steps) outs.push(await runStep(s, run));
        return outs;
      }),
    );
    // Normalise in step order so that aliases number alike on both sides.
    return c.steps.map((step, i) => {
      const rules = [...(step.rules ? [step.rules] : []), DEFAULT_RULES];
      // Rule paths start inside the response, not at the outcome wrapping it.
      const norm = (o: Outcome, run: TargetRun) => {
        run.aliases = new Map();
        return "response" in o
          ? { response: normalise(o.response, [], run, rules) }
          : normalise(o, [], run, rules);
      };
      const nb = norm(bo[i]!, runs[0]);
      const nk = norm(ko[i]!, runs[1]);
      const differences =
        step.compare === false
          ? []
          : diff(nb, nk).map((d) => ({
              case: c.name,
              step: step.name,
              path: d.path.filter((p) => p !== "response").join("."),
              brook: summarise(d.a),
              kafka: summarise(d.b),
            }));
      return { step, brook: bo[i]!, kafka: ko[i]!, differences };
    });
  } finally {
    for (const r of runs) r.close();
  }
}

/** A difference that is deliberate: where (case, step and path globs) and why. */
export interface Allowed {
  /** Case name, or a glob over its dash-separated words ("*" for any case). */
  case: string;
  /** Step name; any step when absent. */
  step?: string;
  /** Path glob as in rules ("**" for the whole outcome). */
  path: string;
  /** Narrows the entry further, by the two values. */
  when?: (d: Difference) => boolean;
  /** Why Brook differs here on purpose (also a line of README's "Differences from Apache Kafka"). */
  reason: string;
}

export function isAllowed(d: Difference, a: Allowed): boolean {
  if (a.case !== "*" && a.case !== d.case) return false;
  if (a.step !== undefined && a.step !== d.step) return false;
  if (!pathMatches(a.path, d.path === "" ? [] : d.path.split("."))) return false;
  return a.when ? a.when(d) : true;
}
