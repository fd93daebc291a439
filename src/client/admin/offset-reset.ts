/**
 * Planning and applying a reset of a consumer group's committed offsets, as Kafka's
 * kafka-consumer-groups --reset-offsets does: one code path for `brook group seek` and the web
 * console. Targets are clamped to each partition's log range; the group must be inactive (Empty or
 * Dead), since live members would overwrite the new offsets with their own commits.
 */
import { KafkaJSNonRetriableError } from "../errors.js";
import type { Admin } from "./types.js";

/** Where the offsets go. `time` is epoch ms: the first offset at or after it (none: the log end). */
export type OffsetResetTarget =
  | { kind: "earliest" }
  | { kind: "latest" }
  | { kind: "current" }
  | { kind: "offset"; offset: bigint }
  | { kind: "shift"; by: bigint }
  | { kind: "time"; at: number }
  | { kind: "file"; offsets: Array<{ topic: string; partition: number; offset: bigint }> };

/** A topic, and optionally some of its partitions (all of them when absent). */
export interface OffsetResetScope {
  topic: string;
  partitions?: number[];
}

export interface OffsetResetRow {
  topic: string;
  partition: number;
  /** The committed offset now; null when the group has none there. */
  currentOffset: string | null;
  newOffset: string;
}

/**
 * Why a reset cannot be planned. `type` is the Kafka error name the case corresponds to
 * (NON_EMPTY_GROUP, UNKNOWN_TOPIC_OR_PARTITION) or NO_COMMITTED_OFFSET for a shift with nothing
 * to shift from.
 */
export class KafkaJSOffsetResetError extends KafkaJSNonRetriableError {
  constructor(
    message: string,
    readonly type: "NON_EMPTY_GROUP" | "UNKNOWN_TOPIC_OR_PARTITION" | "NO_COMMITTED_OFFSET",
  ) {
    super(message);
    this.name = "KafkaJSOffsetResetError";
  }
}

export interface OffsetResetOptions {
  groupId: string;
  /** The topics to reset; "all": every topic the group has committed offsets for. */
  scopes: OffsetResetScope[] | "all";
  target: OffsetResetTarget;
}

/** The plan (nothing changed). Throws KafkaJSOffsetResetError when the group is active. */
export async function planOffsetReset(admin: Admin, options: OffsetResetOptions): Promise<OffsetResetRow[]> {
  const { groupId: id, target } = options;
  // ListGroups already says the state (a group it does not list is as good as Dead).
  const listing = (await admin.listGroupListings()).find((g) => g.groupId === id);
  const state = listing?.groupState || "Dead";
  if (!["Empty", "Dead"].includes(state)) {
    throw new KafkaJSOffsetResetError(
      `assignments can only be reset if the group '${id}' is inactive, but the current state is ${state}; stop its consumers first`,
      "NON_EMPTY_GROUP",
    );
  }
  const committed = await admin.fetchOffsets({ groupId: id });
  const current = new Map<string, string>();
  for (const t of committed) {
    for (const p of t.partitions) if (p.offset !== "-1") current.set(`${t.topic}\0${p.partition}`, p.offset);
  }
  let scopes: OffsetResetScope[];
  if (target.kind === "file")
    scopes = [...new Set(target.offsets.map((r) => r.topic))].map((topic) => ({ topic }));
  else if (options.scopes === "all") scopes = committed.map((t) => ({ topic: t.topic }));
  else scopes = options.scopes;

  const rows: OffsetResetRow[] = [];
  for (const scope of scopes) {
    const marks = await admin.fetchTopicWatermarks(scope.topic);
    const wanted = scope.partitions ?? marks.map((m) => m.partition);
    const missing = wanted.filter((p) => !marks.some((m) => m.partition === p));
    if (missing.length) {
      throw new KafkaJSOffsetResetError(
        `${scope.topic} has no partition ${missing.join(", ")} (UNKNOWN_TOPIC_OR_PARTITION): it has ${marks.length}`,
        "UNKNOWN_TOPIC_OR_PARTITION",
      );
    }
    const byTime =
      target.kind === "time" ? await admin.fetchTopicOffsetsByTimestamp(scope.topic, target.at) : null;
    for (const m of marks.filter((x) => wanted.includes(x.partition))) {
      const cur = current.get(`${scope.topic}\0${m.partition}`) ?? null;
      const low = BigInt(m.low);
      const high = BigInt(m.high);
      const clamp = (v: bigint) => (v < low ? low : v > high ? high : v);
      let next: bigint | null;
      switch (target.kind) {
        case "file": {
          const r = target.offsets.find((x) => x.topic === scope.topic && x.partition === m.partition);
          next = r ? clamp(r.offset) : null;
          break;
        }
        case "earliest":
          next = low;
          break;
        case "latest":
          next = high;
          break;
        case "current":
          next = cur === null ? null : BigInt(cur);
          break;
        case "offset":
          next = clamp(target.offset);
          break;
        case "shift":
          if (cur === null) {
            throw new KafkaJSOffsetResetError(
              `cannot shift ${scope.topic}-${m.partition}: the group has no committed offset there; reset it to an offset or to the earliest instead`,
              "NO_COMMITTED_OFFSET",
            );
          }
          next = clamp(BigInt(cur) + target.by);
          break;
        case "time":
          // The first offset at or after it; none → the log end (fetchTopicOffsetsByTimestamp).
          next = BigInt(byTime!.find((o) => o.partition === m.partition)!.offset);
          break;
      }
      if (next === null) continue;
      rows.push({ topic: scope.topic, partition: m.partition, currentOffset: cur, newOffset: String(next) });
    }
  }
  return rows;
}

/** Commits a plan's new offsets for the group, topic by topic. */
export async function applyOffsetReset(admin: Admin, groupId: string, rows: OffsetResetRow[]): Promise<void> {
  const byTopic = new Map<string, OffsetResetRow[]>();
  for (const r of rows) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r]);
  for (const [topic, list] of byTopic) {
    await admin.setOffsets({
      groupId,
      topic,
      partitions: list.map((r) => ({ partition: r.partition, offset: r.newOffset })),
    });
  }
}
