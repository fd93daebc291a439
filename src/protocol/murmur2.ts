/**
 * Partition choice that matches the Java client and the Kafka broker exactly.
 *
 * - `murmur2` / `partitionForKey`: the producer's keyed partitioner (Java `Utils.murmur2` and
 *   `BuiltInPartitioner.partitionForKey`; KafkaJS's `DefaultPartitioner`, formerly
 *   `JavaCompatiblePartitioner`). 32-bit MurmurHash2, seed 0x9747b28c, m = 0x5bd1e995, r = 24, over
 *   little-endian 4-byte words, all arithmetic wrapping at 32 bits.
 * - `javaStringHashCode` / `partitionFor`: where the group and transaction coordinators keep an id in
 *   `__consumer_offsets` / `__transaction_state`: `Utils.abs(id.hashCode()) % numPartitions`.
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const R = 24;

/** Java-compatible murmur2 of `key`, as a signed 32-bit integer (what Java's `int` would hold). */
export function murmur2(key: Uint8Array): number {
  const length = key.length;
  let h = SEED ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = key[i]! | (key[i + 1]! << 8) | (key[i + 2]! << 16) | (key[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> R;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const rest = length & 3;
  if (rest === 3) h ^= key[whole + 2]! << 16;
  if (rest >= 2) h ^= key[whole + 1]! << 8;
  if (rest >= 1) {
    h ^= key[whole]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Java's `Utils.toPositive`: clears the sign bit. Not `Math.abs` (toPositive(-1) is 2147483647). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

/** The partition a Java (or KafkaJS DefaultPartitioner) producer picks for a keyed record. */
export function partitionForKey(key: Uint8Array, numPartitions: number): number {
  if (!Number.isInteger(numPartitions) || numPartitions < 1) {
    throw new RangeError(`numPartitions must be a positive integer, got ${numPartitions}`);
  }
  return toPositive(murmur2(key)) % numPartitions;
}

/** Java's `String.hashCode`: s[0]*31^(n-1) + ... + s[n-1] over UTF-16 code units, as int32. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** Kafka's `Utils.abs`: absolute value, except that Integer.MIN_VALUE maps to 0 instead of itself. */
export function javaAbs(n: number): number {
  return n === -0x80000000 ? 0 : Math.abs(n);
}

/**
 * The `__consumer_offsets` partition of a group id, or the `__transaction_state` partition of a
 * transactional id (both default to 50 partitions).
 */
export function partitionFor(id: string, numPartitions = 50): number {
  if (!Number.isInteger(numPartitions) || numPartitions < 1) {
    throw new RangeError(`numPartitions must be a positive integer, got ${numPartitions}`);
  }
  return javaAbs(javaStringHashCode(id)) % numPartitions;
}
