/**
 * GET /api/cluster, /api/brokers/:id/configs, /api/health, /api/info.
 *
 * Additions to the API contract (compatible; docs/console.md): an unknown broker id is 404
 * `BROKER_NOT_AVAILABLE`; a Kafka authorization failure anywhere is 403 with its Kafka error name.
 */
import type { FastifyInstance } from "fastify";
import { configRows } from "../../client/admin/config-rows.js";
import { ConfigResourceTypes } from "../../client/enums.js";
import type { ConsoleContext } from "../context.js";
import { HttpError, sendError, toHttpError } from "../errors.js";
import { isInternalTopic, wholeNumber } from "./input.js";

export function registerClusterRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  const { admin } = ctx;

  app.get("/api/cluster", async () => {
    const [cluster, { topics }] = await Promise.all([admin.describeCluster(), admin.fetchTopicMetadata()]);
    // Counted apart like the topics, so __consumer_offsets' 50 do not hide a user topic's few; the
    // partitions at risk count both kinds (an offline internal partition stops groups too).
    let partitions = 0;
    let internalPartitions = 0;
    let underReplicated = 0;
    let offline = 0;
    for (const t of topics) {
      const internal = isInternalTopic(t.name);
      for (const p of t.partitions) {
        if (internal) internalPartitions++;
        else partitions++;
        if (p.leader < 0) offline++;
        if (p.isr.length < p.replicas.length) underReplicated++;
      }
    }
    const internal = topics.filter((t) => isInternalTopic(t.name)).length;
    return {
      clusterId: cluster.clusterId,
      controller: cluster.controller,
      brokers: cluster.brokers
        .map((b) => ({
          nodeId: b.nodeId,
          host: b.host,
          port: b.port,
          rack: (b as { rack?: string | null }).rack ?? null,
        }))
        .sort((a, b) => a.nodeId - b.nodeId),
      topics: topics.length - internal,
      partitions,
      internalTopics: internal,
      internalPartitions,
      underReplicated,
      offline,
      messagesInPerSec: ctx.sampler.messagesInPerSec(),
      bytesOnDisk: ctx.sampler.bytesOnDisk(),
    };
  });

  app.get<{ Params: { id: string } }>("/api/brokers/:id/configs", async (request) => {
    const id = wholeNumber("broker id", request.params.id);
    const cluster = await admin.describeCluster();
    if (!cluster.brokers.some((b) => b.nodeId === id)) {
      throw new HttpError(404, "BROKER_NOT_AVAILABLE", `no broker ${id} in the cluster`);
    }
    const res = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.BROKER, name: String(id) }],
    });
    return configRows(res.resources[0]?.configEntries ?? []).map(({ isDefault: _, ...row }) => row);
  });

  app.get("/api/health", async (_request, reply) => {
    try {
      const cluster = await admin.describeCluster();
      return { status: "UP", brokers: cluster.brokers.length };
    } catch (e) {
      const err = toHttpError(e);
      return sendError(reply, new HttpError(502, err.code, err.message));
    }
  });

  app.get("/api/info", async () => ({ version: ctx.version, brokers: ctx.bootstrap, readOnly: false }));
}
