/** `brook cluster info|health|config|logdirs`. */
import type { Command } from "commander";
import { configRows } from "../../client/admin/config-rows.js";
import type { Admin } from "../../client/admin/types.js";
import { ConfigResourceTypes } from "../../client/enums.js";
import { action, collect, contextOf, intOption, keyValues, withAdmin } from "../common.js";
import { describeError, UsageError } from "../errors.js";
import { emit, humanBytes, outputFormat, table } from "../output.js";

const FORMAT_HELP = "output: table, json or yaml";

interface Health {
  healthy: boolean;
  reachable: boolean;
  clusterId: string | null;
  controller: number | null;
  brokers: number[];
  topics: number;
  partitions: number;
  leaderlessPartitions: string[];
  underReplicatedPartitions: string[];
  error: string | null;
}

async function checkHealth(admin: Admin): Promise<Health> {
  const cluster = await admin.describeCluster();
  const { topics } = await admin.fetchTopicMetadata();
  const leaderless: string[] = [];
  const under: string[] = [];
  let partitions = 0;
  for (const t of topics) {
    for (const p of t.partitions) {
      partitions++;
      if (p.leader < 0) leaderless.push(`${t.name}-${p.partitionId}`);
      if (p.isr.length < p.replicas.length) under.push(`${t.name}-${p.partitionId}`);
    }
  }
  return {
    healthy: cluster.brokers.length > 0 && leaderless.length === 0,
    reachable: true,
    clusterId: cluster.clusterId,
    controller: cluster.controller,
    brokers: cluster.brokers.map((b) => b.nodeId).sort((a, b) => a - b),
    topics: topics.length,
    partitions,
    leaderlessPartitions: leaderless,
    underReplicatedPartitions: under,
    error: null,
  };
}

function healthLine(h: Health): string {
  if (!h.reachable) return `unhealthy: ${h.error}`;
  const facts = `cluster ${h.clusterId}, ${h.brokers.length} broker(s) [${h.brokers.join(",")}], controller ${h.controller ?? "none"}, ${h.topics} topic(s), ${h.partitions} partition(s)`;
  const problems = [
    h.leaderlessPartitions.length
      ? `${h.leaderlessPartitions.length} without a leader (${h.leaderlessPartitions.slice(0, 5).join(", ")})`
      : "",
    h.underReplicatedPartitions.length ? `${h.underReplicatedPartitions.length} under-replicated` : "",
  ].filter(Boolean);
  return `${h.healthy ? "healthy" : "unhealthy"}: ${facts}${problems.length ? `; ${problems.join("; ")}` : ""}`;
}

export function registerCluster(program: Command): void {
  const cluster = program
    .command("cluster")
    .description("the cluster: brokers, health, broker configs, log dirs");
  cluster.addHelpText(
    "after",
    `
Examples:
  brook cluster health || echo "not ready"
  brook cluster health --watch --exit-when-healthy     (wait for a broker to come up)
  brook cluster config --non-default`,
  );

  cluster
    .command("info")
    .description("cluster id, controller and brokers")
    .option("--format <format>", FORMAT_HELP, "table")
    .action(
      action(async (opts, cmd: Command) => {
        const format = outputFormat(opts.format);
        const ctx = contextOf(cmd);
        const info = await withAdmin(ctx, (admin) => admin.describeCluster());
        const doc = {
          clusterId: info.clusterId,
          controller: info.controller,
          brokers: info.brokers.slice().sort((a, b) => a.nodeId - b.nodeId),
        };
        emit(
          format,
          doc,
          () =>
            `CLUSTER  ${doc.clusterId}\nCONTROLLER  ${doc.controller ?? "-"}\n\n` +
            table(
              ["ID", "HOST", "PORT", "CONTROLLER"],
              doc.brokers.map((b) => [b.nodeId, b.host, b.port, b.nodeId === doc.controller ? "*" : ""]),
            ),
        );
      }),
    );

  cluster
    .command("health")
    .description(
      "exit 0 when the cluster answers and every partition has a leader, else 1 (for scripts and probes)",
    )
    .option("-w, --watch", "keep checking, printing a line whenever the health changes")
    .option("--exit-when-healthy", "with --watch: exit 0 as soon as the cluster is healthy")
    .option(
      "--interval <ms>",
      "time between checks with --watch",
      intOption("--interval", { min: 100 }),
      2000,
    )
    .option("--format <format>", FORMAT_HELP, "table")
    .action(
      action(async (opts, cmd: Command) => {
        const format = outputFormat(opts.format);
        const check = async (): Promise<Health> => {
          const ctx = contextOf(cmd);
          try {
            return await withAdmin(ctx, checkHealth);
          } catch (e) {
            return {
              healthy: false,
              reachable: false,
              clusterId: null,
              controller: null,
              brokers: [],
              topics: 0,
              partitions: 0,
              leaderlessPartitions: [],
              underReplicatedPartitions: [],
              error: describeError(e, ctx.connection.brokers).line,
            };
          }
        };
        const print = (h: Health) =>
          format === "table" ? process.stdout.write(`${healthLine(h)}\n`) : emit(format, h, () => "");
        if (!opts.watch) {
          const h = await check();
          print(h);
          process.exitCode = h.healthy ? 0 : 1;
          return;
        }
        let last = "";
        let stop = false;
        const onSignal = () => {
          stop = true;
        };
        process.once("SIGINT", onSignal);
        process.once("SIGTERM", onSignal);
        while (!stop) {
          const h = await check();
          const line = healthLine(h);
          if (line !== last) {
            print(h);
            last = line;
          }
          process.exitCode = h.healthy ? 0 : 1;
          if (h.healthy && opts.exitWhenHealthy) break;
          await new Promise((r) => setTimeout(r, opts.interval));
        }
      }),
    );

  cluster
    .command("config")
    .description("a broker's configs with their sources (or change dynamic ones with --set/--delete)")
    .option("--broker <id>", "which broker (default: the first one)", intOption("--broker"))
    .option(
      "-s, --set <key=value>",
      "set a dynamic config cluster-wide (or on --broker); repeatable",
      collect,
      [],
    )
    .option("-d, --delete <key>", "remove a dynamic config; repeatable", collect, [])
    .option("--non-default", "only configs not at their default")
    .option("--format <format>", FORMAT_HELP, "table")
    .argument("[name...]", "only these configs")
    .action(
      action(async (names: string[], opts, cmd: Command) => {
        const format = outputFormat(opts.format);
        const sets = keyValues("--set", opts.set);
        const ctx = contextOf(cmd);
        await withAdmin(ctx, async (admin) => {
          if (sets.length || opts.delete.length) {
            await admin.incrementalAlterConfigs({
              resources: [
                {
                  type: ConfigResourceTypes.BROKER,
                  // "" is the cluster-wide default entity, as kafka-configs --entity-default.
                  name: opts.broker === undefined ? "" : String(opts.broker),
                  configEntries: [
                    ...sets.map(([name, value]) => ({ name, value, operation: "SET" as const })),
                    ...(opts.delete as string[]).map((name) => ({ name, operation: "DELETE" as const })),
                  ],
                },
              ],
            });
            process.stdout.write(
              `altered ${opts.broker === undefined ? "cluster-wide defaults" : `broker ${opts.broker}`}: ${[
                ...sets.map(([k, v]) => `${k}=${v}`),
                ...(opts.delete as string[]).map((k) => `-${k}`),
              ].join(", ")}\n`,
            );
            return;
          }
          const info = await admin.describeCluster();
          const id = opts.broker ?? info.brokers.map((b) => b.nodeId).sort((a, b) => a - b)[0];
          if (!info.brokers.some((b) => b.nodeId === id)) {
            throw new UsageError(`--broker ${id}: no such broker; "brook cluster info" lists them`);
          }
          const res = await admin.describeConfigs({
            includeSynonyms: false,
            resources: [
              {
                type: ConfigResourceTypes.BROKER,
                name: String(id),
                ...(names.length ? { configNames: names } : {}),
              },
            ],
          });
          const rows = configRows(res.resources[0]?.configEntries ?? [])
            .map(({ isDefault: _, ...row }) => row)
            .filter((c) => !opts.nonDefault || c.source !== "DEFAULT_CONFIG");
          emit(format, { broker: id, configs: rows }, () =>
            table(
              ["CONFIG", "VALUE", "SOURCE", "READ-ONLY"],
              rows.map((r) => [r.name, r.sensitive ? "(sensitive)" : r.value, r.source, r.readOnly]),
            ),
          );
        });
      }),
    );

  cluster
    .command("logdirs")
    .description("log directories of each broker, with the size of each partition on disk")
    .option("-t, --topic <topic>", "only this topic's partitions (repeatable)", collect, [])
    .option("--format <format>", FORMAT_HELP, "table")
    .action(
      action(async (opts, cmd: Command) => {
        const format = outputFormat(opts.format);
        const ctx = contextOf(cmd);
        const dirs = await withAdmin(ctx, async (admin) => {
          let topics: Array<{ topic: string; partitions: number[] }> | undefined;
          if (opts.topic.length) {
            const meta = await admin.fetchTopicMetadata({ topics: opts.topic });
            topics = meta.topics.map((t) => ({
              topic: t.name,
              partitions: t.partitions.map((p) => p.partitionId),
            }));
          }
          return admin.describeLogDirs(topics ? { topics } : {});
        });
        const rows = dirs
          .flatMap((b) =>
            b.logDirs.flatMap((d) =>
              d.topics.flatMap((t) =>
                t.partitions.map((p) => ({
                  broker: b.nodeId,
                  dir: d.logDir,
                  topic: t.topic,
                  partition: p.partition,
                  size: p.size,
                  offsetLag: p.offsetLag,
                  isFuture: p.isFuture,
                })),
              ),
            ),
          )
          .sort(
            (a, b) =>
              a.broker - b.broker ||
              (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition),
          );
        const doc = dirs.map((b) => ({
          broker: b.nodeId,
          logDirs: b.logDirs.map((d) => ({
            dir: d.logDir,
            error: d.errorCode || null,
            totalBytes: d.totalBytes,
            usableBytes: d.usableBytes,
            topics: d.topics,
          })),
        }));
        emit(format, doc, () => {
          const dirTable = table(
            ["BROKER", "DIR", "TOTAL", "USABLE", "PARTITIONS", "SIZE"],
            dirs.flatMap((b) =>
              b.logDirs.map((d) => {
                const ps = d.topics.flatMap((t) => t.partitions);
                return [
                  b.nodeId,
                  d.logDir,
                  humanBytes(d.totalBytes),
                  humanBytes(d.usableBytes),
                  ps.length,
                  humanBytes(ps.reduce((s, p) => s + p.size, 0)),
                ];
              }),
            ),
          );
          return `${dirTable}\n${table(
            ["BROKER", "DIR", "TOPIC", "PARTITION", "SIZE"],
            rows.map((r) => [r.broker, r.dir, r.topic, r.partition, humanBytes(r.size)]),
          )}`;
        });
      }),
    );
}
