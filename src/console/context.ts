/** What the console's routes share: one connection (admin, lazily a producer), the samplers. */
import type { Admin } from "../client/admin/types.js";
import type { Cluster } from "../client/cluster/index.js";
import type { Kafka } from "../client/kafka.js";
import type { Producer } from "../client/producer/types.js";
import type { KafkaConfig } from "../client/types.js";
import type { ClusterSampler } from "./sampler.js";

/** The part of the lag monitor (src/metrics/lag-monitor.ts) the console reads. */
export interface LagView {
  group(groupId: string): { status: string | null } | undefined;
  history(groupId: string): Array<{ at: number; totalLag: number }>;
  stop(): Promise<void>;
}

export interface CoordinatorInfo {
  nodeId: number;
  host: string;
  port: number;
}

export interface ConsoleContext {
  config: KafkaConfig;
  kafka: Kafka;
  admin: Admin;
  /** Connected on first use: a console that never produces opens no producer connection. */
  producer(): Promise<Producer>;
  /**
   * A fresh Cluster (connections and metadata) for one browse or tail, disconnected when its request
   * ends: metadata of topics deleted meanwhile never lingers, and nothing outlives the request.
   */
  newCluster(): Cluster;
  /**
   * A group's coordinator as FindCoordinator names it, asked afresh each call (as
   * kafka-consumer-groups --describe --state does), on one Cluster kept for these lookups.
   */
  groupCoordinator(groupId: string): Promise<CoordinatorInfo>;
  sampler: ClusterSampler;
  lag: LagView | null;
  /** The bootstrap list, as given. */
  bootstrap: string;
  version: string;
}
