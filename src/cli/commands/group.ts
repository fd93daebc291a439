/** `brook group list|describe|delete|seek|delete-offsets`: what kafka-consumer-groups.sh does. */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import type { Admin } from "../../client/admin/types.js";
import {
  applyOffsetReset,
  KafkaJSOffsetResetError,
  type OffsetResetRow,
  type OffsetResetTarget,
  planOffsetReset,
} from "../../client/admin/offset-reset.js";
import { AssignerProtocol } from "../../client/assigners.js";
import {
  action,
  collect,
  contextOf,
  parseDuration,
  parseTimestamp,
  partitionList,
  withAdmin,
} from "../common.js";
import { CliError, describeError, UsageError } from "../errors.js";
import { emit, outputFormat, table } from "../output.js";

const FORMAT_HELP = "output: table, json or yaml";

interface MemberView {
  memberId: string;
  clientId: string;
  host: string;
  partitions: Array<{ topic: string; partition: number }>;
}

export interface GroupView {
  group: string;
  state: string;
  type: string;
  protocol: string;
  members: MemberView[];
  partitions: Array<{
    topic: string;
    partition: number;
    currentOffset: string | null;
    logEndOffset: string;
    lag: string | null;
    memberId: string | null;
    host: string | null;
    clientId: string | null;
  }>;
  totalLag: string;
}

/** The group's type and state from ListGroups (v5 says "classic" or "consumer"). */
async function groupTypes(admin: Admin): Promise<Map<string, { type: string; state: string }>> {
  const groups = await admin.listGroupListings();
  return new Map(
    groups.map((g) => [g.groupId, { type: g.groupType ?? "classic", state: g.groupState ?? "" }]),
  );
}

async function membersOf(
  admin: Admin,
  group: string,
  type: string,
): Promise<{ state: string; protocol: string; members: MemberView[] }> {
  if (type === "consumer") {
    const [g] = await admin.describeConsumerGroups([group]);
    return {
      state: g!.state,
      protocol: g!.assignor,
      members: g!.members.map((m) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        host: m.clientHost,
        partitions: m.assignment.flatMap((a) =>
          a.partitions.map((partition) => ({ topic: a.topic, partition })),
        ),
      })),
    };
  }
  const { groups } = await admin.describeGroups([group]);
  const g = groups[0]!;
  return {
    state: g.state,
    protocol: g.protocol,
    members: g.members.map((m) => {
      let partitions: MemberView["partitions"] = [];
      // Only the consumer protocol's assignments can be read; Connect's and others' stay opaque.
      if (g.protocolType === "consumer" && m.memberAssignment?.length) {
        try {
          const decoded = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
          partitions = Object.entries(decoded?.assignment ?? {}).flatMap(([topic, ps]) =>
            (ps as number[]).map((partition) => ({ topic, partition })),
          );
        } catch {
          partitions = [];
        }
      }
      return { memberId: m.memberId, clientId: m.clientId, host: m.clientHost, partitions };
    }),
  };
}

export async function describeGroup(admin: Admin, group: string, type = "classic"): Promise<GroupView> {
  const { state, protocol, members } = await membersOf(admin, group, type);
  // fetchLag carries the committed offsets: a Dead group with none of them does not exist.
  const lag = await admin.fetchLag({ groupId: group });
  if (
    state === "Dead" &&
    members.length === 0 &&
    lag.topics.every((t) => t.partitions.every((p) => p.offset === "-1"))
  ) {
    throw new CliError(
      `group ${group} does not exist (GROUP_ID_NOT_FOUND); "brook group list" shows the groups`,
    );
  }
  const owner = new Map<string, MemberView>();
  for (const m of members) for (const p of m.partitions) owner.set(`${p.topic}\0${p.partition}`, m);
  const rows: GroupView["partitions"] = [];
  const seen = new Set<string>();
  for (const t of lag.topics) {
    for (const p of t.partitions) {
      if (p.offset === "-1") continue; // no committed offset: listed below if a member owns it
      const key = `${t.topic}\0${p.partition}`;
      seen.add(key);
      const m = owner.get(key);
      rows.push({
        topic: t.topic,
        partition: p.partition,
        currentOffset: p.offset,
        logEndOffset: p.high,
        lag: p.lag,
        memberId: m?.memberId ?? null,
        host: m?.host ?? null,
        clientId: m?.clientId ?? null,
      });
    }
  }
  // Assigned partitions with nothing committed yet: their log end, no lag (as kafka-consumer-groups).
  const unseen = members.flatMap((m) =>
    m.partitions.filter((p) => !seen.has(`${p.topic}\0${p.partition}`)).map((p) => ({ ...p, m })),
  );
  const byTopic = new Map<string, typeof unseen>();
  for (const u of unseen) byTopic.set(u.topic, [...(byTopic.get(u.topic) ?? []), u]);
  for (const [topic, list] of byTopic) {
    const marks = await admin.fetchTopicWatermarks(topic).catch(() => []);
    for (const u of list) {
      rows.push({
        topic,
        partition: u.partition,
        currentOffset: null,
        logEndOffset: marks.find((x) => x.partition === u.partition)?.high ?? "-1",
        lag: null,
        memberId: u.m.memberId,
        host: u.m.host,
        clientId: u.m.clientId,
      });
    }
  }
  rows.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  return {
    group,
    state,
    type,
    protocol,
    members: members.map((m) => ({
      ...m,
      partitions: m.partitions.slice().sort((a, b) => a.partition - b.partition),
    })),
    partitions: rows,
    totalLag: lag.totalLag,
  };
}

function groupTable(views: GroupView[]): string {
  const out: string[] = [];
  for (const v of views) {
    const rows = v.partitions.map((p) => [
      v.group,
      p.topic,
      p.partition,
      p.currentOffset,
      p.logEndOffset,
      p.lag,
      p.memberId,
      p.host,
      p.clientId,
    ]);
    // Members without partitions get a line of their own, as in kafka-consumer-groups.
    for (const m of v.members) {
      if (m.partitions.length === 0)
        rows.push([v.group, null, null, null, null, null, m.memberId, m.host, m.clientId]);
    }
    out.push(
      `GROUP ${v.group}: state ${v.state}, ${v.type} protocol${v.protocol ? ` (${v.protocol})` : ""}, ${v.members.length} member(s), total lag ${v.totalLag}\n\n` +
        table(
          [
            "GROUP",
            "TOPIC",
            "PARTITION",
            "CURRENT-OFFSET",
            "LOG-END-OFFSET",
            "LAG",
            "CONSUMER-ID",
            "HOST",
            "CLIENT-ID",
          ],
          rows,
        ),
    );
  }
  return out.join("\n");
}

/** Which partitions a seek applies to: `--topic t` (all partitions), `--topic t:0,2`, or --all-topics. */
function topicScopes(items: string[]): Array<{ topic: string; partitions?: number[] }> {
  return items.map((item) => {
    const colon = item.lastIndexOf(":");
    if (colon <= 0) return { topic: item };
    return { topic: item.slice(0, colon), partitions: partitionList("--topic", item.slice(colon + 1)) };
  });
}

interface SeekPlanRow {
  group: string;
  topic: string;
  partition: number;
  currentOffset: string | null;
  newOffset: string;
}

export function registerGroup(program: Command): void {
  const group = program.command("group").description("consumer groups: list, lag, reset offsets, delete");
  group.addHelpText(
    "after",
    `
Examples:
  brook group describe billing
  brook group seek billing --topic orders --by-duration 1h            (dry run)
  brook group seek billing --topic orders:0,1 --shift-by -100 --execute
  brook group seek billing --all-topics --to-current --export > offsets.csv`,
  );

  group
    .command("list")
    .alias("ls")
    .description("list groups with their state and protocol")
    .option("--state <state>", "only groups in this state (e.g. Stable, Empty), case-insensitive")
    .option("--format <format>", FORMAT_HELP, "table")
    .action(
      action(async (opts, cmd: Command) => {
        const format = outputFormat(opts.format);
        const ctx = contextOf(cmd);
        const groups = await withAdmin(ctx, (admin) => admin.listGroupListings());
        const rows = groups
          .map((g) => ({
            group: g.groupId,
            state: g.groupState ?? null,
            type: g.groupType ?? null,
            protocolType: g.protocolType || null,
          }))
          .filter((g) => !opts.state || (g.state ?? "").toLowerCase() === String(opts.state).toLowerCase())
          .sort((a, b) => (a.group < b.group ? -1 : 1));
        emit(format, rows, () =>
          table(
            ["GROUP", "STATE", "TYPE", "PROTOCOL-TYPE"],
            rows.map((r) => [r.group, r.state, r.type, r.protocolType]),
          ),
        );
      }),
    );

  group
    .command("describe")
    .description("members, and per partition the committed offset, log end offset and lag; the total lag")
    .argument("<group...>", "group ids")
    .option("--format <format>", FORMAT_HELP, "table")
    .action(
      action(async (ids: string[], opts, cmd: Command) => {
        const format = outputFormat(opts.format);
        const ctx = contextOf(cmd);
        const views = await withAdmin(ctx, async (admin) => {
          const types = await groupTypes(admin);
          return Promise.all(ids.map((id) => describeGroup(admin, id, types.get(id)?.type)));
        });
        emit(format, ids.length === 1 ? views[0] : views, () => groupTable(views));
      }),
    );

  group
    .command("delete")
    .alias("rm")
    .description("delete groups and their committed offsets (only groups without active members)")
    .argument("<group...>", "group ids")
    .action(
      action(async (ids: string[], _opts, cmd: Command) => {
        const ctx = contextOf(cmd);
        const results = await withAdmin(ctx, async (admin) => {
          try {
            return await admin.deleteGroups(ids);
          } catch (e) {
            // KafkaJSDeleteGroupsError carries every group's result; report each.
            const groups = (e as { groups?: Array<{ groupId: string; error?: unknown }> }).groups;
            if (groups) return groups;
            throw e;
          }
        });
        let failed = false;
        for (const id of ids) {
          const r = results.find((x) => x.groupId === id);
          if (r?.error) {
            failed = true;
            process.stderr.write(`brook group delete: ${id}: ${describeError(r.error).line}\n`);
          } else process.stdout.write(`deleted: ${id}\n`);
        }
        if (failed) process.exitCode = 1;
      }),
    );

  group
    .command("seek")
    .alias("reset-offsets")
    .description("reset a group's committed offsets (a dry run unless --execute; the group must be inactive)")
    .argument("<group>", "group id")
    .option(
      "-t, --topic <topic[:partitions]>",
      "topic, optionally with partitions (t:0,2 or t:0-3); repeatable",
      collect,
      [],
    )
    .option("--all-topics", "every topic the group has committed offsets for")
    .option("--to-earliest", "to each partition's log start")
    .option("--to-latest", "to each partition's log end")
    .option("--to-current", "to the current committed offsets (no change; handy with --export)")
    .option("--to-offset <offset>", "to this offset (kept within the log's range)")
    .option("--shift-by <n>", "move the committed offsets by n (negative: back), kept within the log's range")
    .option("--to-datetime <time>", "to the first offset at or after this time (ISO 8601 or epoch ms)")
    .option("--by-duration <duration>", "to the first offset this long ago (e.g. 1h, 30m, PT15M)")
    .option(
      "--from-file <file>",
      "offsets from a CSV file of topic,partition,offset lines (as --export writes)",
    )
    .option("--execute", "apply the new offsets (otherwise only shown)")
    .option("--export", "print the plan as CSV (topic,partition,offset) instead of a table")
    .option("--format <format>", FORMAT_HELP, "table")
    .action(
      action(async (id: string, opts, cmd: Command) => {
        const format = outputFormat(opts.format);
        const specs = [
          "toEarliest",
          "toLatest",
          "toCurrent",
          "toOffset",
          "shiftBy",
          "toDatetime",
          "byDuration",
          "fromFile",
        ].filter((k) => opts[k] !== undefined);
        if (specs.length !== 1) {
          throw new UsageError(
            "give exactly one of --to-earliest, --to-latest, --to-current, --to-offset, --shift-by, --to-datetime, --by-duration, --from-file",
          );
        }
        if (opts.toOffset !== undefined && !/^\d+$/.test(opts.toOffset)) {
          throw new UsageError(`--to-offset ${opts.toOffset}: expected an offset (0 or more)`);
        }
        if (opts.shiftBy !== undefined && !/^-?\d+$/.test(opts.shiftBy)) {
          throw new UsageError(`--shift-by ${opts.shiftBy}: expected a whole number, e.g. -10 or 5`);
        }
        const at =
          opts.toDatetime !== undefined
            ? parseTimestamp("--to-datetime", opts.toDatetime)
            : opts.byDuration !== undefined
              ? Date.now() - parseDuration("--by-duration", opts.byDuration)
              : undefined;
        const fromFile = opts.fromFile === undefined ? null : readOffsetsFile(opts.fromFile);
        if (!fromFile && opts.topic.length === 0 && !opts.allTopics) {
          throw new UsageError("give --topic <topic> (repeatable) or --all-topics");
        }
        const target: OffsetResetTarget = fromFile
          ? { kind: "file", offsets: fromFile }
          : opts.toEarliest
            ? { kind: "earliest" }
            : opts.toLatest
              ? { kind: "latest" }
              : opts.toCurrent
                ? { kind: "current" }
                : opts.toOffset !== undefined
                  ? { kind: "offset", offset: BigInt(opts.toOffset) }
                  : opts.shiftBy !== undefined
                    ? { kind: "shift", by: BigInt(opts.shiftBy) }
                    : { kind: "time", at: at! };
        const ctx = contextOf(cmd);
        const plan: SeekPlanRow[] = await withAdmin(ctx, async (admin) => {
          let rows: OffsetResetRow[];
          try {
            rows = await planOffsetReset(admin, {
              groupId: id,
              scopes: opts.allTopics ? "all" : topicScopes(opts.topic),
              target,
            });
          } catch (e) {
            if (e instanceof KafkaJSOffsetResetError && e.type === "NO_COMMITTED_OFFSET") {
              throw new CliError(e.message.replace(/; reset it .*$/, "; use --to-offset or --to-earliest"));
            }
            throw e;
          }
          if (opts.execute) await applyOffsetReset(admin, id, rows);
          return rows.map((r) => ({ group: id, ...r }));
        });
        if (opts.export) {
          process.stdout.write(plan.map((r) => `${r.topic},${r.partition},${r.newOffset}\n`).join(""));
        } else {
          emit(format, { group: id, executed: Boolean(opts.execute), offsets: plan }, () =>
            table(
              ["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "NEW-OFFSET"],
              plan.map((r) => [r.group, r.topic, r.partition, r.currentOffset, r.newOffset]),
            ),
          );
        }
        if (!opts.execute && format === "table" && !opts.export) {
          process.stderr.write("dry run: nothing changed; add --execute to apply these offsets\n");
        }
      }),
    );

  group
    .command("delete-offsets")
    .description("remove a group's committed offsets for a topic (or some of its partitions)")
    .argument("<group>", "group id")
    .requiredOption("-t, --topic <topic>", "topic")
    .option("-p, --partitions <list>", "only these partitions (e.g. 0,2 or 0-3)")
    .action(
      action(async (id: string, opts, cmd: Command) => {
        const partitions = partitionList("--partitions", opts.partitions);
        const ctx = contextOf(cmd);
        await withAdmin(ctx, (admin) =>
          admin.deleteConsumerGroupOffsets({
            groupId: id,
            topic: opts.topic,
            ...(partitions ? { partitions } : {}),
          }),
        );
        process.stdout.write(
          `deleted offsets of ${id} for ${opts.topic}${partitions ? ` partitions ${partitions.join(",")}` : ""}\n`,
        );
      }),
    );
}

/** Kafka's reset-offsets CSV: "topic,partition,offset" (or "group,topic,partition,offset") per line. */
function readOffsetsFile(file: string): Array<{ topic: string; partition: number; offset: bigint }> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`--from-file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const rows: Array<{ topic: string; partition: number; offset: bigint }> = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    const cells = line.split(",").map((c) => c.trim());
    const [topic, partition, offset] = cells.length === 4 ? cells.slice(1) : cells;
    if (
      cells.length < 3 ||
      cells.length > 4 ||
      !topic ||
      !/^\d+$/.test(partition ?? "") ||
      !/^\d+$/.test(offset ?? "")
    ) {
      throw new UsageError(`--from-file ${file}: line ${i + 1} is not topic,partition,offset`);
    }
    rows.push({ topic, partition: Number(partition), offset: BigInt(offset!) });
  });
  if (rows.length === 0) throw new UsageError(`--from-file ${file}: no offsets in it`);
  return rows;
}
