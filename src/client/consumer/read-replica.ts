/**
 * Follower fetching (KIP-392). A consumer with a `rackId` tells the leader where it is; a leader
 * configured with a replica selector may answer a Fetch with no records and a preferred read
 * replica instead. The partition is then fetched from that replica until `metadataMaxAge` passes
 * (KafkaJS's and Java's lifetime for the preference), after which the leader is asked again.
 *
 * Falling back, as Java's consumer does and KafkaJS does not: the replica is used only while the
 * cached metadata lists it among the partition's replicas and not offline, and any failure there
 * (a partition error, a connection that fails) sends the partition back to its leader. The leader
 * would keep naming the same replica while it stays in the ISR (a killed broker stays there until
 * the controller fences it), and it never returns records along with that answer, so after a
 * failure the partition is fetched from the leader *without* the rack id for a while (the leader's
 * selector then picks itself), doubling that while from 1 s up to a minute as failures repeat.
 */
import type { PartitionMetadata } from "../cluster/index.js";
import type { PartitionState } from "./partition-state.js";

const FIRST_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 60_000;

/** What the fetch loop needs from the cluster's metadata cache. */
export interface ReplicaLookup {
  partition(topic: string, partition: number): PartitionMetadata | undefined;
  hasBroker(nodeId: number): boolean;
}

/** Whether `nodeId` can serve the partition's reads according to the cached metadata. */
export function replicaUsable(lookup: ReplicaLookup, s: PartitionState, nodeId: number): boolean {
  const p = lookup.partition(s.topic, s.partition);
  if (!p) return false;
  return p.replicas.includes(nodeId) && !p.offlineReplicas.includes(nodeId) && lookup.hasBroker(nodeId);
}

/** The node to send the partition's next Fetch to: its read replica while that holds, else `leader`. */
export function fetchNodeFor(lookup: ReplicaLookup, s: PartitionState, leader: number, now: number): number {
  if (s.readReplica < 0) return leader;
  if (s.readReplica === leader) {
    // The replica became the leader: nothing to remember any more.
    s.readReplica = -1;
    return leader;
  }
  if (s.readReplicaUntil <= now || !replicaUsable(lookup, s, s.readReplica)) {
    s.readReplica = -1;
    return leader;
  }
  return s.readReplica;
}

/** True while the partition's Fetch to the leader must leave the rack id out (a replica failed lately). */
export function avoidingReplicas(s: PartitionState, now: number): boolean {
  return s.replicaBackoffUntil > now;
}

/**
 * The leader named `nodeId` as the partition's preferred read replica. Returns true when the
 * consumer switches to it, false when the replica cannot be used (then the partition goes on with
 * the leader, without the rack id, so the leader serves it records).
 */
export function adoptReadReplica(
  lookup: ReplicaLookup,
  s: PartitionState,
  nodeId: number,
  now: number,
  lifetimeMs: number,
): boolean {
  if (!replicaUsable(lookup, s, nodeId)) {
    backOffReplicas(s, now);
    return false;
  }
  s.readReplica = nodeId;
  s.readReplicaUntil = now + lifetimeMs;
  return true;
}

/** The read replica failed the partition: back to the leader, and keep away from replicas for a while. */
export function backOffReplicas(s: PartitionState, now: number): void {
  s.readReplica = -1;
  s.replicaBackoffMs =
    s.replicaBackoffMs === 0 ? FIRST_BACKOFF_MS : Math.min(MAX_BACKOFF_MS, s.replicaBackoffMs * 2);
  s.replicaBackoffUntil = now + s.replicaBackoffMs;
}

/** A Fetch from the read replica went well: the next failure starts the backoff afresh. */
export function replicaServed(s: PartitionState): void {
  s.replicaBackoffMs = 0;
}
