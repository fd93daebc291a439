/** `brook topic create|list|describe|alter-config|add-partitions|delete|trim`. */
import type { Command } from "commander";
import {
  describeTopicPartitions,
  type TopicPartitionDescription,
} from "../../client/admin/topic-description.js";
import { configSourceName } from "../../client/admin/config-rows.js";
import type { Admin } from "../../client/admin/types.js";
import { ConfigResourceTypes } from "../../client/enums.js";
import { protocolError } from "../../client/errors.js";
import { ErrorCode } from "../../protocol/error-codes.js";
import {
  action,
  collect,
  contextOf,
  intOption,
  keyValues,
  parseDuration,
  parseTimestamp,
  partitionList,
  withAdmin,
} from "../common.js";
import { CliError, describeError, UsageError } from "../errors.js";
import { emit, humanBytes, outputFormat, table } from "../output.js";

const FORMAT_HELP = "output: table, json or yaml";

const isInternal = (name: string) => name.startsWith("__");

export function registerTopic(program: Command): void {
  const topic = program.command("topic").description("create, list, describe, change and delete topics");
  topic.addHelpText(
    "after",
    `
Examples:
  brook topic create orders -p 6 -c retention.ms=604800000
  brook topic describe orders --non-default
  brook topic alter-config orders --set cleanup.policy=compact
  brook topic add-partitions orders --to 12
  brook topic trim orders --timestamp -7d`,
  );

  topic
    .command("create")
    .description("create topics")
    .argument("<topic...>", "topic names")
    .option(
      "-p, --partitions <n>",
      "partition count (default: the broker's num.partitions)",
      intOption("--partitions", { min: 1 }),
    )
    .option(
      "-r, --replication-factor <n>",
      "replicas per partition (default: the broker's default.replication.factor)",
      intOption("--replication-factor", { min: 1 }),
    )
    .option("-c, --config <key=value>", "topic config, e.g. cleanup.policy=compact (repeatable)", collect, [])
    .option("--if-not-exists", "succeed when the topic exists already")
    .option("--dry-run", "validate only: ask the cluster whether it would create them")
    .option("--format <format>", FORMAT_HELP, "table")
    .action(
      action(async (names: string[], opts, cmd: Command) => {
        const format = outputFormat(opts.format);
        const configEntries = keyValues("--config", opts.config).map(([name, value]) => ({ name, value }));
        const ctx = contextOf(cmd);
        const results = await withAdmin(ctx, (admin) =>
          Promise.all(
            names.map(async (name) => {
              try {
                const created = await admin.createTopics({
                  validateOnly: Boolean(opts.dryRun),
                  topics: [
                    {
                      topic: name,
                      ...(opts.partitions ? { numPartitions: opts.partitions } : {}),
                      ...(opts.replicationFactor ? { replicationFactor: opts.replicationFactor } : {}),
                      configEntries,
                    },
                  ],
                });
                if (created) return { topic: name, status: opts.dryRun ? "VALID" : "CREATED", error: null };
                if (opts.ifNotExists) return { topic: name, status: "EXISTS", error: null };
                return {
                  topic: name,
                  status: "FAILED",
                  error: describeError(
                    protocolError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`),
                  ).line,
                };
              } catch (e) {
                return { topic: name, status: "FAILED", error: describeError(e).line };
              }
            }),
          ),
        );
        emit(format, results, () =>
          table(
            ["TOPIC", "STATUS", "ERROR"],
            results.map((r) => [r.topic, r.status, r.error]),
          ),
        );
        if (results.some((r) => r.error)) process.exitCode = 1;
      }),
    );

  topic
    .command("list")
    .alias("ls")
    .description("list topics with their partition and replica counts")
    .option("-i, --internal", "include internal topics (__consumer_offsets, __transaction_state)")
    .option("--format <format>", FORMAT_HELP, "table")
    .action(
      action(async (opts, cmd: Command) => {
        const format = outputFormat(opts.format);
        const ctx = contextOf(cmd);
        const { topics } = await withAdmin(ctx, (admin) => admin.fetchTopicMetadata());
        const rows = topics
          .filter((t) => opts.internal || !isInternal(t.name))
          .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
          .map((t) => ({
            name: t.name,
            partitions: t.partitions.length,
            replicas: t.partitions[0]?.replicas.length ?? 0,
            internal: isInternal(t.name),
          }));
        emit(format, rows, () =>
          table(
            ["NAME", "PARTITIONS", "REPLICAS"],
            rows.map((r) => [r.name, r.partitions, r.replicas]),
          ),
        );
      }),
    );

  topic
    .command("describe")
    .description(
      "partitions (leader, replicas, log start, high watermark, last stable offset, size) and configs",
    )
    .argument("<topic...>", "topic names")
    .option("--configs-only", "only the configs")
    .option("--partitions-only", "only the partitions")
    .option("--non-default", "only configs set on the topic or the broker, not defaults")
    .option("--format <format>", FORMAT_HELP, "table")
    .action(
      action(async (names: string[], opts, cmd: Command) => {
        const format = outputFormat(opts.format);
        const ctx = contextOf(cmd);
        const docs = await withAdmin(ctx, (admin) => Promise.all(names.map((n) => describeTopic(admin, n))));
        emit(format, names.length === 1 ? docs[0] : docs, () =>
          docs
            .map((d) => {
              const parts: string[] = [];
              parts.push(
                table(
                  ["NAME", "PARTITIONS", "REPLICAS", "SIZE"],
                  [[d.name, d.partitions.length, d.replicationFactor, humanBytes(d.size)]],
                ),
              );
              if (!opts.configsOnly) {
                parts.push(
                  table(
                    [
                      "PARTITION",
                      "LEADER",
                      "REPLICAS",
                      "ISR",
                      "LOG-START-OFFSET",
                      "HIGH-WATERMARK",
                      "LAST-STABLE-OFFSET",
                      "SIZE",
                    ],
                    d.partitions.map((p) => [
                      p.partition,
                      p.leader,
                      p.replicas.join(","),
                      p.isr.join(","),
                      p.logStartOffset,
                      p.highWatermark,
                      p.lastStableOffset,
                      p.size < 0 ? "-" : humanBytes(p.size),
                    ]),
                  ),
                );
              }
              if (!opts.partitionsOnly) {
                const configs = opts.nonDefault
                  ? d.configs.filter((c) => c.source !== "DEFAULT_CONFIG")
                  : d.configs;
                parts.push(
                  table(
                    ["CONFIG", "VALUE", "SOURCE"],
                    configs.map((c) => [c.name, c.sensitive ? "(sensitive)" : c.value, c.source]),
                  ),
                );
              }
              return parts.join("\n");
            })
            .join("\n"),
        );
      }),
    );

  topic
    .command("alter-config")
    .description("set or remove a topic's configs (only the ones named change)")
    .argument("<topic...>", "topic names")
    .option("-s, --set <key=value>", "set a config (repeatable)", collect, [])
    .option("-d, --delete <key>", "remove a config, back to the broker's default (repeatable)", collect, [])
    .option("--dry-run", "validate only")
    .action(
      action(async (names: string[], opts, cmd: Command) => {
        const sets = keyValues("--set", opts.set);
        if (sets.length === 0 && opts.delete.length === 0) {
          throw new UsageError("nothing to change: give --set key=value or --delete key");
        }
        const ctx = contextOf(cmd);
        await withAdmin(ctx, (admin) =>
          admin.incrementalAlterConfigs({
            validateOnly: Boolean(opts.dryRun),
            resources: names.map((name) => ({
              type: ConfigResourceTypes.TOPIC,
              name,
              configEntries: [
                ...sets.map(([n, value]) => ({ name: n, value, operation: "SET" as const })),
                ...(opts.delete as string[]).map((n) => ({ name: n, operation: "DELETE" as const })),
              ],
            })),
          }),
        );
        const what = [...sets.map(([k, v]) => `${k}=${v}`), ...(opts.delete as string[]).map((k) => `-${k}`)];
        process.stdout.write(
          `${opts.dryRun ? "valid" : "altered"}: ${names.join(", ")} (${what.join(", ")})\n`,
        );
      }),
    );

  topic
    .command("add-partitions")
    .description("add partitions to topics (partitions can only be added, never removed)")
    .argument("<topic...>", "topic names")
    .option("-n, --num <n>", "how many partitions to add", intOption("--num", { min: 1 }))
    .option("-t, --to <total>", "the total partition count wanted", intOption("--to", { min: 1 }))
    .option("--dry-run", "validate only")
    .option("--format <format>", FORMAT_HELP, "table")
    .action(
      action(async (names: string[], opts, cmd: Command) => {
        const format = outputFormat(opts.format);
        if ((opts.num === undefined) === (opts.to === undefined)) {
          throw new UsageError("give either --num <added> or --to <total>");
        }
        const ctx = contextOf(cmd);
        const rows = await withAdmin(ctx, async (admin) => {
          const { topics } = await admin.fetchTopicMetadata({ topics: names });
          const plan = names.map((name) => {
            const before = topics.find((t) => t.name === name)!.partitions.length;
            return { topic: name, before, after: opts.to ?? before + opts.num };
          });
          for (const p of plan) {
            if (p.after <= p.before) {
              throw new CliError(
                `${p.topic} has ${p.before} partitions; --to must be more (partitions can only be added) (INVALID_PARTITIONS)`,
              );
            }
          }
          await admin.createPartitions({
            validateOnly: Boolean(opts.dryRun),
            topicPartitions: plan.map((p) => ({ topic: p.topic, count: p.after })),
          });
          return plan;
        });
        emit(format, rows, () =>
          table(
            ["TOPIC", "PARTITIONS-BEFORE", "PARTITIONS-AFTER"],
            rows.map((r) => [r.topic, r.before, r.after]),
          ),
        );
      }),
    );

  topic
    .command("delete")
    .alias("rm")
    .description("delete topics and all their records")
    .argument("<topic...>", "topic names")
    .option("--if-exists", "succeed when a topic does not exist")
    .action(
      action(async (names: string[], opts, cmd: Command) => {
        const ctx = contextOf(cmd);
        await withAdmin(ctx, async (admin) => {
          let targets = names;
          if (opts.ifExists) {
            const existing = new Set(await admin.listTopics());
            targets = names.filter((n) => existing.has(n));
          }
          if (targets.length > 0) await admin.deleteTopics({ topics: targets });
          process.stdout.write(targets.length ? `deleted: ${targets.join(", ")}\n` : "nothing to delete\n");
        });
      }),
    );

  topic
    .command("trim")
    .description(
      "delete a topic's records before an offset or a time (DeleteRecords); the log start moves up",
    )
    .argument("<topic>", "topic name")
    .option(
      "--offset <offset>",
      "keep records from this offset on (in each partition), or 'end' to remove all",
    )
    .option(
      "--timestamp <time>",
      "keep records from this time on: epoch ms, ISO date-time, or -duration (e.g. -1h)",
    )
    .option("-p, --partitions <list>", "only these partitions (e.g. 0,2 or 0-3); default all")
    .option("--format <format>", FORMAT_HELP, "table")
    .action(
      action(async (name: string, opts, cmd: Command) => {
        const format = outputFormat(opts.format);
        if ((opts.offset === undefined) === (opts.timestamp === undefined)) {
          throw new UsageError("give either --offset <offset|end> or --timestamp <time>");
        }
        if (opts.offset !== undefined && opts.offset !== "end" && !/^\d+$/.test(opts.offset)) {
          throw new UsageError(`--offset ${opts.offset}: expected an offset (0 or more) or 'end'`);
        }
        const at =
          opts.timestamp === undefined
            ? undefined
            : opts.timestamp.startsWith("-")
              ? Date.now() - parseDuration("--timestamp", opts.timestamp.slice(1))
              : parseTimestamp("--timestamp", opts.timestamp);
        const only = partitionList("--partitions", opts.partitions);
        const ctx = contextOf(cmd);
        const rows = await withAdmin(ctx, async (admin) => {
          const marks = await admin.fetchTopicWatermarks(name);
          const chosen = only ? marks.filter((m) => only.includes(m.partition)) : marks;
          if (only && chosen.length !== only.length) {
            const missing = only.filter((p) => !marks.some((m) => m.partition === p));
            throw new CliError(
              `${name} has no partition ${missing.join(", ")} (UNKNOWN_TOPIC_OR_PARTITION): it has ${marks.length}`,
            );
          }
          const byTime = at === undefined ? null : await admin.fetchTopicOffsetsByTimestamp(name, at);
          const plan = chosen.map((m) => {
            const target =
              byTime !== null
                ? BigInt(byTime.find((o) => o.partition === m.partition)!.offset)
                : opts.offset === "end"
                  ? BigInt(m.high)
                  : BigInt(opts.offset);
            // Past the high watermark is refused by Kafka (OFFSET_OUT_OF_RANGE); say so before sending.
            if (target > BigInt(m.high)) {
              throw new CliError(
                `partition ${m.partition}: offset ${target} is beyond the high watermark ${m.high} (OFFSET_OUT_OF_RANGE)`,
              );
            }
            return { partition: m.partition, before: m.low, target: String(target) };
          });
          const moving = plan.filter((p) => BigInt(p.target) > BigInt(p.before));
          if (moving.length > 0) {
            await admin.deleteTopicRecords({
              topic: name,
              partitions: moving.map((p) => ({ partition: p.partition, offset: p.target })),
            });
          }
          const after = await admin.fetchTopicWatermarks(name);
          return plan.map((p) => ({
            topic: name,
            partition: p.partition,
            logStartBefore: p.before,
            logStartAfter: after.find((m) => m.partition === p.partition)!.low,
          }));
        });
        emit(format, rows, () =>
          table(
            ["TOPIC", "PARTITION", "LOG-START-BEFORE", "LOG-START-AFTER"],
            rows.map((r) => [r.topic, r.partition, r.logStartBefore, r.logStartAfter]),
          ),
        );
      }),
    );
}

export interface TopicDescription {
  name: string;
  internal: boolean;
  replicationFactor: number;
  /** Bytes on disk over all partitions (-1 when the cluster does not say). */
  size: number;
  /** As describeTopicPartitions gives them, a size not reported being -1. */
  partitions: Array<Omit<TopicPartitionDescription, "size"> & { size: number }>;
  configs: Array<{
    name: string;
    value: string | null;
    source: string;
    sensitive: boolean;
    readOnly: boolean;
  }>;
}

export async function describeTopic(admin: Admin, name: string): Promise<TopicDescription> {
  const described = await describeTopicPartitions(admin, name);
  const partitions = described.partitions.map((p) => ({ ...p, size: p.size ?? -1 }));
  const sizes = partitions.map((p) => p.size);
  const entries = described.configEntries;
  return {
    name,
    internal: isInternal(name),
    replicationFactor: described.replicationFactor,
    size: sizes.some((s) => s < 0) ? -1 : sizes.reduce((a, b) => a + b, 0),
    partitions,
    configs: entries
      .map((c) => ({
        name: c.configName,
        value: c.configValue,
        source: configSourceName(c.configSource),
        sensitive: c.isSensitive,
        readOnly: c.readOnly,
      }))
      .sort((a, b) => (a.name < b.name ? -1 : 1)),
  };
}
