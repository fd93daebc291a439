/**
 * KafkaJS's partitioners. All of them:
 * - use `message.partition` when the message names one;
 * - hash the key when there is one (DefaultPartitioner: the Java client's murmur2, so Brook, KafkaJS
 *   2.x and Java producers agree; LegacyPartitioner: KafkaJS 1.x's hash, for topics written by it);
 * - otherwise go round-robin over the partitions that have a leader, starting at a random point
 *   per topic. KafkaJS 2.2.4 does this rather than the Java client's sticky partitioning, so Brook
 *   does too: keyless messages spread the same way as before the switch.
 *
 * KafkaJS logs a one-time warning when a producer is created without `createPartitioner`, because
 * its 2.0 default changed from the legacy hash. Brook never had the old default, so there is nothing
 * to warn about and the warning is not reproduced (KAFKAJS_NO_PARTITIONER_WARNING has no effect).
 */
import { randomBytes } from "node:crypto";
import { murmur2, toPositive } from "../protocol/murmur2.js";
import type { ICustomPartitioner, PartitionerArgs } from "./types.js";

type KeyHash = (key: Buffer) => number;

/** Message keys may be any value in plain JavaScript; like KafkaJS, non-buffers hash as their string. */
function keyBytes(key: unknown): Buffer {
  return Buffer.isBuffer(key) ? key : Buffer.from(String(key));
}

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/**
 * KafkaJS 1.x's murmur2 variant. It multiplies in double precision (so products above 2^53 lose low
 * bits before being truncated to 32 bits) and reads one word past the end when the length is not a
 * multiple of 4 (missing bytes count as 0). Both quirks are reproduced on purpose: the result must
 * equal KafkaJS's for every key, or keyed records would move partition.
 */
export function legacyMurmur2(data: Buffer): number {
  const length = data.length;
  const byteAt = (i: number) => (i < length ? data[i]! : 0);
  let h = SEED ^ length;
  const words = Math.ceil(length / 4);
  for (let w = 0; w < words; w++) {
    const i = w * 4;
    // Sum, not OR: the top byte's shift may be negative and the sum stays an exact double.
    let k = byteAt(i) + (byteAt(i + 1) << 8) + (byteAt(i + 2) << 16) + (byteAt(i + 3) << 24);
    k *= M;
    k ^= k >>> 24;
    k *= M;
    h = (h * M) ^ k;
  }
  const tail = length & ~3;
  // The 1-3 bytes after the last whole word, highest first, as murmur2's fall-through switch reads them.
  const rest = length % 4;
  if (rest === 3) h ^= byteAt(tail + 2) << 16;
  if (rest >= 2) h ^= byteAt(tail + 1) << 8;
  if (rest >= 1) {
    h ^= byteAt(tail);
    h *= M;
  }
  h ^= h >>> 13;
  h *= M;
  h ^= h >>> 15;
  return h;
}

function createPartitioner(hash: KeyHash): ICustomPartitioner {
  return () => {
    // Per-topic round-robin position for keyless messages, starting at a random point so producers
    // started together do not all hit the same partition first.
    const counters = new Map<string, number>();

    return ({ topic, partitionMetadata, message }: PartitionerArgs): number => {
      if (message.partition !== null && message.partition !== undefined) return message.partition;

      const numPartitions = partitionMetadata.length;
      if (message.key !== null && message.key !== undefined) {
        return toPositive(hash(keyBytes(message.key))) % numPartitions;
      }

      const next = ((counters.get(topic) ?? randomBytes(4).readUInt32BE(0)) + 1) >>> 0;
      counters.set(topic, next);
      const withLeader = partitionMetadata.filter((p) => p.leader >= 0);
      if (withLeader.length > 0) return withLeader[toPositive(next) % withLeader.length]!.partitionId;
      return toPositive(next) % numPartitions;
    };
  };
}

const DefaultPartitioner: ICustomPartitioner = createPartitioner(murmur2);
const LegacyPartitioner: ICustomPartitioner = createPartitioner(legacyMurmur2);

export const Partitioners: {
  DefaultPartitioner: ICustomPartitioner;
  LegacyPartitioner: ICustomPartitioner;
  /** @deprecated The old name of DefaultPartitioner (the same function). */
  JavaCompatiblePartitioner: ICustomPartitioner;
} = {
  DefaultPartitioner,
  LegacyPartitioner,
  JavaCompatiblePartitioner: DefaultPartitioner,
};
