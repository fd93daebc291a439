/**
 * One topic described the way the tools show it: per partition its replicas, watermarks and size on
 * the leader, plus the topic's configs. The CLI (`brook topic describe`) and the console's topic page
 * both read it; each formats the rows its own way.
 */
import { ConfigResourceTypes } from "../enums.js";
import type { Admin, BrokerLogDirs, ConfigEntries } from "./types.js";

export interface TopicPartitionDescription {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  /** Offsets as the protocol gives them (decimal strings); "-1" when the broker did not report one. */
  logStartOffset: string;
  highWatermark: string;
  lastStableOffset: string;
  /** Bytes on the leader; null when the cluster does not report log directories. */
  size: number | null;
}

export interface TopicDescriptionParts {
  partitions: TopicPartitionDescription[];
  /** Replicas of the first partition metadata lists. */
  replicationFactor: number;
  configEntries: ConfigEntries[];
}

/** A partition's size on its leader (replicas hold the same bytes); null when not reported. */
export function leaderPartitionSize(
  dirs: BrokerLogDirs[] | null,
  topic: string,
  partition: number,
  leader: number,
): number | null {
  for (const b of dirs ?? []) {
    if (b.nodeId !== leader) continue;
    for (const d of b.logDirs) {
      const p = d.topics
        .find((t) => t.topic === topic)
        ?.partitions.find((x) => x.partition === partition && !x.isFuture);
      if (p) return p.size;
    }
  }
  return null;
}

/** Metadata first (for the partition list), then watermarks, configs and log dirs at once; rows by partition. */
export async function describeTopicPartitions(admin: Admin, topic: string): Promise<TopicDescriptionParts> {
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  const meta = topics[0]!;
  const [marks, configs, dirs] = await Promise.all([
    admin.fetchTopicWatermarks(topic),
    admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
    }),
    admin
      .describeLogDirs({ topics: [{ topic, partitions: meta.partitions.map((p) => p.partitionId) }] })
      // Log dirs are optional extras: a cluster refusing DescribeLogDirs still gets described.
      .catch(() => null),
  ]);
  const partitions = meta.partitions
    .slice()
    .sort((a, b) => a.partitionId - b.partitionId)
    .map((p) => {
      const m = marks.find((x) => x.partition === p.partitionId);
      return {
        partition: p.partitionId,
        leader: p.leader,
        replicas: p.replicas,
        isr: p.isr,
        logStartOffset: m?.low ?? "-1",
        highWatermark: m?.high ?? "-1",
        lastStableOffset: m?.lastStable ?? "-1",
        size: leaderPartitionSize(dirs, topic, p.partitionId, p.leader),
      };
    });
  return {
    partitions,
    replicationFactor: meta.partitions[0]?.replicas.length ?? 0,
    configEntries: configs.resources[0]?.configEntries ?? [],
  };
}
