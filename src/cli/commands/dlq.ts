/** `brook dlq redrive`: dead-letter topics (brook/patterns' retry topics, or Spring Kafka's). */
import type { Command } from "commander";
import { RedriveError, redrive } from "../../patterns/redrive.js";
import { action, contextOf, intOption, parseDuration } from "../common.js";
import { CliError } from "../errors.js";
import { emit, outputFormat, table } from "../output.js";

export function registerDlq(program: Command): void {
  const dlq = program.command("dlq").description("dead-letter topics: send their records back");
  dlq.addHelpText(
    "after",
    `
Examples:
  brook dlq redrive orders-dlt --dry-run
  brook dlq redrive orders-dlt --limit 100
  brook dlq redrive orders-dlt --to orders-replay`,
  );

  dlq
    .command("redrive")
    .description(
      "send a dead-letter topic's records back to the topic each came from (its kafka_dlt-original-topic header), or to --to; progress is committed, so a later run goes on where this one stopped",
    )
    .argument("<dlt-topic>", "the dead-letter topic")
    .option("--to <topic>", "send every record to this topic instead")
    .option("--dry-run", "count what would be sent; send and commit nothing")
    .option("--limit <n>", "send at most n records", intOption("--limit"))
    .option("--group <id>", "the consumer group that keeps the progress (default <dlt-topic>.redrive)")
    .option("--timeout <duration>", "give up after this long, reporting what was done", "60s")
    .option("--format <format>", "output: table, json or yaml", "table")
    .action(
      action(async (dlt: string, opts, cmd: Command) => {
        const format = outputFormat(opts.format);
        const timeoutMs = parseDuration("--timeout", opts.timeout);
        const { kafka } = contextOf(cmd);
        let result: Awaited<ReturnType<typeof redrive>>;
        try {
          result = await redrive({
            kafka,
            dlt,
            toTopic: opts.to,
            dryRun: opts.dryRun === true,
            limit: opts.limit,
            groupId: opts.group,
            timeoutMs,
          });
        } catch (e) {
          if (e instanceof RedriveError) throw new CliError(e.message.replace(/^redrive: /, ""));
          throw e;
        }
        emit(format, result, () => {
          const verb = result.dryRun ? "would redrive" : "redrove";
          let out = `${result.dryRun ? "dry run: " : ""}${verb} ${result.redriven} record${result.redriven === 1 ? "" : "s"} from ${dlt}${result.dryRun ? " (nothing sent, nothing committed)" : ""}\n`;
          const topics = Object.entries(result.byTopic);
          if (topics.length > 0) out += `\n${table(["TOPIC", "RECORDS"], topics)}\n`;
          if (result.stoppedPartitions.length > 0) {
            out += `stopped in partition${result.stoppedPartitions.length === 1 ? "" : "s"} ${result.stoppedPartitions.join(", ")} at a record without a kafka_dlt-original-topic header (send the rest with --to <topic>)\n`;
          }
          if (result.remaining > 0) {
            out += `${result.remaining} left in ${dlt}${result.complete ? "" : " (stopped at --timeout)"}\n`;
          }
          return out;
        });
        if (!result.complete) process.exitCode = 1;
      }),
    );
}
