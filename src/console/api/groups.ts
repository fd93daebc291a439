/**
 * Consumer groups: list, describe with lag, lag history, offset reset (as `brook group seek`), delete.
 *
 * Additions to the API contract (compatible; docs/console.md): reset answers 400
 * `NO_COMMITTED_OFFSET` for shift-by on a partition the group never committed (as Kafka's tool) and
 * 404 for an unknown topic; a list entry's `totalLag` is null when the group's offsets could not be
 * read.
 */
import type { FastifyInstance } from "fastify";
import {
  applyOffsetReset,
  type OffsetResetTarget,
  planOffsetReset,
} from "../../client/admin/offset-reset.js";
import type { Admin, GroupLag, GroupListing } from "../../client/admin/types.js";
import { AssignerProtocol } from "../../client/assigners.js";
import { KafkaJSDeleteGroupsError } from "../../client/errors.js";
import { parseDuration, parseTimestamp } from "../../cli/common.js";
import type { ConsoleContext } from "../context.js";
import { badRequest, HttpError } from "../errors.js";
import { bodyOf, stringList, wholeNumber } from "./input.js";

type Params = { Params: { id: string } };

interface Member {
  memberId: string;
  clientId: string;
  host: string;
  assignment: Array<{ topic: string; partitions: number[] }>;
}

interface Membership {
  state: string;
  protocol: string;
  members: Member[];
}

const groupType = (g: GroupListing | undefined): "classic" | "consumer" =>
  g?.groupType === "consumer" ? "consumer" : "classic";

function byTopic(pairs: Array<{ topic: string; partition: number }>): Member["assignment"] {
  const map = new Map<string, number[]>();
  for (const p of pairs) map.set(p.topic, [...(map.get(p.topic) ?? []), p.partition]);
  return [...map]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([topic, partitions]) => ({ topic, partitions: partitions.sort((a, b) => a - b) }));
}

/** Members and state of groups, from DescribeGroups (classic) or ConsumerGroupDescribe (KIP-848). */
async function memberships(admin: Admin, listings: GroupListing[]): Promise<Map<string, Membership>> {
  const out = new Map<string, Membership>();
  const classic = listings.filter((g) => groupType(g) === "classic").map((g) => g.groupId);
  const consumer = listings.filter((g) => groupType(g) === "consumer").map((g) => g.groupId);
  const [classicGroups, consumerGroups] = await Promise.all([
    classic.length ? admin.describeGroups(classic).then((r) => r.groups) : [],
    consumer.length ? admin.describeConsumerGroups(consumer) : [],
  ]);
  for (const g of classicGroups) {
    out.set(g.groupId, {
      state: g.state,
      protocol: g.protocol,
      members: g.members.map((m) => {
        let pairs: Array<{ topic: string; partition: number }> = [];
        // Only the consumer protocol's assignments can be read; Connect's and others' stay opaque.
        if (g.protocolType === "consumer" && m.memberAssignment?.length) {
          try {
            const decoded = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
            pairs = Object.entries(decoded?.assignment ?? {}).flatMap(([topic, ps]) =>
              (ps as number[]).map((partition) => ({ topic, partition })),
            );
          } catch {
            pairs = [];
          }
        }
        return { memberId: m.memberId, clientId: m.clientId, host: m.clientHost, assignment: byTopic(pairs) };
      }),
    });
  }
  for (const g of consumerGroups) {
    out.set(g.groupId, {
      state: g.state,
      protocol: g.assignor,
      members: g.members.map((m) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        host: m.clientHost,
        assignment: byTopic(
          m.assignment.flatMap((a) => a.partitions.map((partition) => ({ topic: a.topic, partition }))),
        ),
      })),
    });
  }
  return out;
}

const committedTopics = (lag: GroupLag): string[] =>
  lag.topics.filter((t) => t.partitions.some((p) => p.offset !== "-1")).map((t) => t.topic);

function notFound(id: string): HttpError {
  return new HttpError(404, "GROUP_ID_NOT_FOUND", `no consumer group ${id}`);
}

/** The reset body's `to` and `value` as the planner's target (the same choices as `brook group seek`). */
function targetOf(to: unknown, value: unknown): OffsetResetTarget {
  const text =
    typeof value === "number" ? String(value) : typeof value === "string" ? value.trim() : undefined;
  const need = () => {
    if (text === undefined || text === "") throw badRequest(`to=${String(to)} needs a value`);
    return text;
  };
  // The CLI's parsers, so both read durations and times alike; their errors are bad input here.
  const parse = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      throw badRequest((e as Error).message);
    }
  };
  switch (to) {
    case "earliest":
      return { kind: "earliest" };
    case "latest":
      return { kind: "latest" };
    case "offset":
      return { kind: "offset", offset: BigInt(wholeNumber("value", need())) };
    case "shift-by": {
      const v = need();
      if (!/^-?\d+$/.test(v)) throw badRequest(`value ${v}: expected a whole number, e.g. -10 or 5`);
      return { kind: "shift", by: BigInt(v) };
    }
    case "datetime": {
      const v = need();
      return { kind: "time", at: parse(() => parseTimestamp("value", v)) };
    }
    case "duration": {
      const v = need();
      // A bare number is milliseconds.
      const ms = /^\d+$/.test(v) ? Number(v) : parse(() => parseDuration("value", v));
      return { kind: "time", at: Date.now() - ms };
    }
    default:
      throw badRequest(
        `to=${JSON.stringify(to)}: expected earliest, latest, offset, datetime, duration or shift-by`,
      );
  }
}

export function registerGroupRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  const { admin } = ctx;
  const status = (id: string) => ctx.lag?.group(id)?.status ?? null;

  app.get("/api/groups", async () => {
    const listings = await admin.listGroupListings();
    const [members, lags] = await Promise.all([
      memberships(admin, listings).catch(() => new Map<string, Membership>()),
      Promise.all(listings.map((g) => admin.fetchLag({ groupId: g.groupId }).catch(() => null))),
    ]);
    return listings
      .map((g, i) => {
        const lag = lags[i];
        const m = members.get(g.groupId);
        return {
          groupId: g.groupId,
          type: groupType(g),
          state: m?.state ?? g.groupState ?? "Unknown",
          members: m?.members.length ?? 0,
          topics: lag ? committedTopics(lag) : [],
          totalLag: lag ? Number(lag.totalLag) : null,
          status: status(g.groupId),
        };
      })
      .sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
  });

  app.get<Params>("/api/groups/:id", async (request) => {
    const { id } = request.params;
    const listing = (await admin.listGroupListings()).find((g) => g.groupId === id);
    const type = groupType(listing);
    // FindCoordinator for classic and KIP-848 groups alike (DescribeGroups does not name it).
    const [membership, lag, coordinator] = await Promise.all([
      memberships(admin, [
        listing ?? { groupId: id, protocolType: "", groupState: null, groupType: null },
      ]).then((m) => m.get(id)),
      admin.fetchLag({ groupId: id }),
      ctx.groupCoordinator(id),
    ]);
    const members = membership?.members ?? [];
    const state = membership?.state ?? listing?.groupState ?? "Dead";
    const committed = lag.topics.flatMap((t) =>
      t.partitions.filter((p) => p.offset !== "-1").map((p) => ({ t, p })),
    );
    if (!listing && (state === "Dead" || state === "") && members.length === 0 && committed.length === 0) {
      throw notFound(id);
    }
    const owner = new Map<string, Member>();
    for (const m of members)
      for (const a of m.assignment) for (const p of a.partitions) owner.set(`${a.topic}\0${p}`, m);
    const offsets = committed.map(({ t, p }) => {
      const m = owner.get(`${t.topic}\0${p.partition}`);
      return {
        topic: t.topic,
        partition: p.partition,
        committed: Number(p.offset) as number | null,
        logEndOffset: Number(p.high),
        lag: p.lag === null ? null : Number(p.lag),
        memberId: m?.memberId ?? null,
        clientId: m?.clientId ?? null,
      };
    });
    // Assigned partitions with nothing committed yet: their log end, no lag (as kafka-consumer-groups).
    const seen = new Set(offsets.map((o) => `${o.topic}\0${o.partition}`));
    const unseen = [...owner].filter(([k]) => !seen.has(k));
    const topics = [...new Set(unseen.map(([k]) => k.split("\0")[0]!))];
    const marks = new Map(
      await Promise.all(
        topics.map(async (t) => [t, await admin.fetchTopicWatermarks(t).catch(() => [])] as const),
      ),
    );
    for (const [k, m] of unseen) {
      const [topic, p] = k.split("\0") as [string, string];
      const partition = Number(p);
      offsets.push({
        topic,
        partition,
        committed: null,
        logEndOffset: Number(marks.get(topic)?.find((x) => x.partition === partition)?.high ?? -1),
        lag: null,
        memberId: m.memberId,
        clientId: m.clientId,
      });
    }
    offsets.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
    return {
      groupId: id,
      type,
      state,
      protocol: membership?.protocol ?? "",
      coordinator,
      members,
      offsets,
      totalLag: Number(lag.totalLag),
      status: status(id),
    };
  });

  app.get<Params>(
    "/api/groups/:id/lag-history",
    async (request) => ctx.lag?.history(request.params.id) ?? [],
  );

  app.post<Params>("/api/groups/:id/reset", async (request) => {
    const { id } = request.params;
    const body = bodyOf(request.body);
    const target = targetOf(body.to, body.value);
    if (body.execute !== undefined && typeof body.execute !== "boolean") {
      throw badRequest("execute: expected true or false");
    }
    const topics =
      body.topics === undefined || body.topics === null ? null : stringList("topics", body.topics);
    if (topics !== null && topics.length === 0)
      throw badRequest("topics: give at least one, or leave it out for all");
    if (topics) {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t));
      if (missing.length) {
        throw new HttpError(404, "UNKNOWN_TOPIC_OR_PARTITION", `no topic named ${missing.join(", ")}`);
      }
    }
    const rows = await planOffsetReset(admin, {
      groupId: id,
      scopes: topics ? topics.map((topic) => ({ topic })) : "all",
      target,
    });
    const execute = body.execute === true;
    if (execute) await applyOffsetReset(admin, id, rows);
    return {
      plan: rows.map((r) => ({
        topic: r.topic,
        partition: r.partition,
        current: r.currentOffset === null ? null : Number(r.currentOffset),
        target: Number(r.newOffset),
      })),
      executed: execute,
    };
  });

  app.post<Params>("/api/groups/:id/delete", async (request) => {
    const { id } = request.params;
    bodyOf(request.body);
    try {
      const [result] = await admin.deleteGroups([id]);
      if (result?.error) throw result.error;
    } catch (e) {
      // KafkaJSDeleteGroupsError carries the group's own error (NON_EMPTY_GROUP, GROUP_ID_NOT_FOUND).
      const own =
        e instanceof KafkaJSDeleteGroupsError ? e.groups.find((g) => g.groupId === id)?.error : null;
      throw own ?? e;
    }
    return { ok: true };
  });
}
