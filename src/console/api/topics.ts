/**
 * Topics: list, create, describe, configs, partitions, purge (DeleteRecords), delete.
 *
 * Additions to the API contract (compatible; docs/console.md): `sizeBytes` is null when the cluster
 * does not report log directories.
 */
import type { FastifyInstance } from "fastify";
import { configRows } from "../../client/admin/config-rows.js";
import { describeTopicPartitions, leaderPartitionSize } from "../../client/admin/topic-description.js";
import type { Admin, PartitionWatermarks } from "../../client/admin/types.js";
import { ConfigResourceTypes } from "../../client/enums.js";
import type { ConsoleContext } from "../context.js";
import { badRequest, HttpError } from "../errors.js";
import {
  bodyOf,
  isInternalTopic,
  optionalWholeNumber,
  requiredString,
  stringList,
  stringMap,
  wholeNumber,
} from "./input.js";

type Params = { Params: { name: string } };

/** 404 UNKNOWN_TOPIC_OR_PARTITION unless the topic exists (asked before changing anything). */
export async function requireTopic(admin: Admin, name: string): Promise<void> {
  const names = await admin.listTopics();
  if (!names.includes(name)) {
    throw new HttpError(404, "UNKNOWN_TOPIC_OR_PARTITION", `no topic named ${name}`);
  }
}

export function registerTopicRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  const { admin } = ctx;

  app.get<{ Querystring: { internal?: string } }>("/api/topics", async (request) => {
    const withInternal = request.query.internal === "true" || request.query.internal === "1";
    const { topics } = await admin.fetchTopicMetadata();
    const shown = topics.filter((t) => withInternal || !isInternalTopic(t.name));
    const [marks, dirs] = await Promise.all([
      Promise.all(
        shown.map((t) => admin.fetchTopicWatermarks(t.name).catch(() => [] as PartitionWatermarks[])),
      ),
      admin.describeLogDirs().catch(() => null),
    ]);
    return shown
      .map((t, i) => {
        const m = marks[i]!;
        const sizes = t.partitions.map((p) => leaderPartitionSize(dirs, t.name, p.partitionId, p.leader));
        return {
          name: t.name,
          internal: isInternalTopic(t.name),
          partitions: t.partitions.length,
          replicationFactor: t.partitions[0]?.replicas.length ?? 0,
          messages: m.reduce((sum, p) => sum + Math.max(0, Number(p.high) - Number(p.low)), 0),
          sizeBytes: sizes.some((s) => s === null) ? null : sizes.reduce<number>((a, b) => a + (b ?? 0), 0),
        };
      })
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  });

  app.post("/api/topics", async (request, reply) => {
    const body = bodyOf(request.body);
    const name = requiredString("name", body.name);
    const partitions = optionalWholeNumber("partitions", body.partitions, { min: 1 });
    const replicationFactor = optionalWholeNumber("replicationFactor", body.replicationFactor, { min: 1 });
    const configs = stringMap("configs", body.configs);
    const created = await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic: name,
          ...(partitions !== undefined ? { numPartitions: partitions } : {}),
          ...(replicationFactor !== undefined ? { replicationFactor } : {}),
          configEntries: configs.map(([k, value]) => ({ name: k, value })),
        },
      ],
    });
    if (!created) throw new HttpError(409, "TOPIC_ALREADY_EXISTS", `topic ${name} already exists`);
    return reply.code(201).send({ name });
  });

  app.get<Params>("/api/topics/:name", async (request) => {
    const { name } = request.params;
    await requireTopic(admin, name);
    const described = await describeTopicPartitions(admin, name);
    return {
      name,
      internal: isInternalTopic(name),
      partitions: described.partitions.map((p) => ({
        partition: p.partition,
        leader: p.leader,
        replicas: p.replicas,
        isr: p.isr,
        logStartOffset: Number(p.logStartOffset),
        highWatermark: Number(p.highWatermark),
        lastStableOffset: Number(p.lastStableOffset),
        sizeBytes: p.size,
      })),
      configs: configRows(described.configEntries),
    };
  });

  app.post<Params>("/api/topics/:name/configs", async (request) => {
    const { name } = request.params;
    const body = bodyOf(request.body);
    const set = stringMap("set", body.set);
    const remove = stringList("delete", body.delete);
    if (set.length === 0 && remove.length === 0) throw badRequest("give configs to set and/or delete");
    await requireTopic(admin, name);
    await admin.incrementalAlterConfigs({
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name,
          configEntries: [
            ...set.map(([k, value]) => ({ name: k, value, operation: "SET" as const })),
            ...remove.map((k) => ({ name: k, operation: "DELETE" as const })),
          ],
        },
      ],
    });
    return { ok: true };
  });

  app.post<Params>("/api/topics/:name/partitions", async (request) => {
    const { name } = request.params;
    const count = wholeNumber("count", bodyOf(request.body).count, { min: 1 });
    await requireTopic(admin, name);
    await admin.createPartitions({ topicPartitions: [{ topic: name, count }] });
    return { ok: true };
  });

  app.post<Params>("/api/topics/:name/purge", async (request) => {
    const { name } = request.params;
    const body = bodyOf(request.body);
    const before = body.before;
    if (before !== undefined && before !== "end") wholeNumber("before", before);
    let only: number[] | undefined;
    if (body.partitions !== undefined && body.partitions !== null) {
      if (!Array.isArray(body.partitions))
        throw badRequest("partitions: expected an array of partition numbers");
      only = body.partitions.map((p, i) => wholeNumber(`partitions[${i}]`, p));
    }
    await requireTopic(admin, name);
    const marks = await admin.fetchTopicWatermarks(name);
    const missing = (only ?? []).filter((p) => !marks.some((m) => m.partition === p));
    if (missing.length) {
      throw new HttpError(
        404,
        "UNKNOWN_TOPIC_OR_PARTITION",
        `${name} has no partition ${missing.join(", ")}`,
      );
    }
    const chosen = marks.filter((m) => !only || only.includes(m.partition));
    // Records before the target go; the target is kept within the log (as kafka-delete-records).
    const moving = chosen
      .map((m) => {
        const high = BigInt(m.high);
        const target = before === undefined || before === "end" ? high : BigInt(Number(before));
        return { partition: m.partition, offset: target > high ? high : target, low: BigInt(m.low) };
      })
      .filter((p) => p.offset > p.low);
    if (moving.length > 0) {
      await admin.deleteTopicRecords({
        topic: name,
        partitions: moving.map((p) => ({ partition: p.partition, offset: String(p.offset) })),
      });
    }
    const after = await admin.fetchTopicWatermarks(name);
    return {
      partitions: chosen.map((m) => ({
        partition: m.partition,
        lowWatermark: Number(after.find((x) => x.partition === m.partition)?.low ?? m.low),
      })),
    };
  });

  app.post<Params>("/api/topics/:name/delete", async (request) => {
    const { name } = request.params;
    bodyOf(request.body);
    await requireTopic(admin, name);
    await admin.deleteTopics({ topics: [name] });
    return { ok: true };
  });
}
