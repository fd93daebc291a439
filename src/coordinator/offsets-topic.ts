/**
 * `__consumer_offsets`: the compacted internal topic that holds group metadata and committed
 * offsets. A group lives in partition `abs(groupId.hashCode()) % partitions`. The topic is created on
 * first use (like Kafka's auto-creation from FindCoordinator), with `offsets.topic.num.partitions`
 * partitions, `cleanup.policy=compact` and `segment.bytes=offsets.topic.segment.bytes`.
 *
 * Writes go through the partition's normal log as one uncompressed record batch per coordinator
 * operation. Offset commits and deletions resolve only after the group-commit fsync, so an
 * acknowledged commit survives a crash; membership records are written without waiting for an fsync
 * (see append). Reads (at start) replay every partition from its log start offset to its high
 * watermark.
 */
import type { Broker } from "../broker/broker.js";
import { ErrorCode } from "../protocol/error-codes.js";
import { partitionFor } from "../protocol/murmur2.js";
import { ATTR } from "../protocol/records/batch-header.js";
import { ControlType, decodeControlRecord } from "../protocol/records/control.js";
import { decodeRecordBatches, encodeRecordBatchSync } from "../protocol/records/record-batch.js";
import type { PartitionLog } from "../storage/index.js";
import { CoordinatorError } from "./errors.js";
import { type CoordinatorRecord, type DecodedCoordinatorRecord, decodeCoordinatorRecord } from "./records.js";

export const OFFSETS_TOPIC = "__consumer_offsets";

/** Where a replayed record came from. */
export interface RecordOrigin {
  partition: number;
  offset: bigint;
  /** -1n unless the record was written by a transaction (TxnOffsetCommit). */
  producerId: bigint;
  transactional: boolean;
}

export interface ReplayHandler {
  record(rec: DecodedCoordinatorRecord, origin: RecordOrigin): void;
  /** A transaction marker on an offsets partition: commit or abort the producer's pending offsets. */
  marker(producerId: bigint, commit: boolean, origin: RecordOrigin): void;
}

export interface LoadStats {
  partitions: number;
  records: number;
  bytes: number;
  skipped: number;
  ms: number;
}

/** Kafka's mapping of a failed coordinator append to the error the client sees. */
export function appendErrorToResponseError(code: number): number {
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    default:
      return code;
  }
}

export class OffsetsTopic {
  private creating: Promise<void> | undefined;
  /** Appends per partition still waiting for their fsync (so a read can wait for them). */
  private readonly inFlight = new Map<number, Set<Promise<unknown>>>();
  appendedBatches = 0;
  appendedRecords = 0;

  constructor(private readonly broker: Broker) {}

  get exists(): boolean {
    return this.broker.topic(OFFSETS_TOPIC) !== undefined;
  }

  /** The partition count: the topic's when it exists, else `offsets.topic.num.partitions`. */
  get numPartitions(): number {
    return (
      this.broker.topic(OFFSETS_TOPIC)?.partitions ??
      this.broker.config.number("offsets.topic.num.partitions")
    );
  }

  partitionFor(groupId: string): number {
    return partitionFor(groupId, this.numPartitions);
  }

  /** Creates the topic if it does not exist yet; concurrent callers share one creation. */
  ensure(): Promise<void> {
    // The topic's metadata exists before its partition logs do: wait for a creation in progress.
    if (this.creating) return this.creating;
    if (this.exists) return Promise.resolve();
    this.creating = (async () => {
      try {
        if (this.exists) return;
        const cfg = this.broker.config;
        await this.broker.createTopic(
          OFFSETS_TOPIC,
          cfg.number("offsets.topic.num.partitions"),
          1,
          {
            "cleanup.policy": "compact",
            "segment.bytes": String(cfg.number("offsets.topic.segment.bytes")),
            "compression.type": "producer",
          },
          { internal: true },
        );
      } catch (e) {
        if (!this.exists) {
          throw new CoordinatorError(
            ErrorCode.COORDINATOR_NOT_AVAILABLE,
            `could not create ${OFFSETS_TOPIC}: ${(e as Error).message}`,
          );
        }
      } finally {
        this.creating = undefined;
      }
    })();
    return this.creating;
  }

  private log(partition: number): PartitionLog {
    const log = this.broker.partitionLog(OFFSETS_TOPIC, partition);
    if (!log) {
      throw new CoordinatorError(
        ErrorCode.COORDINATOR_NOT_AVAILABLE,
        `${OFFSETS_TOPIC}-${partition} is not available`,
      );
    }
    return log;
  }

  /**
   * Appends `records` as one batch to the group's partition. With `durable` (offset commits and
   * deletions) it resolves once they are fsynced; otherwise once written (group membership records,
   * like Kafka's, which does not fsync them either: a lost one only makes members rejoin). Rejects with
   * a CoordinatorError carrying the code Kafka would answer with.
   */
  async append(
    groupId: string,
    records: CoordinatorRecord[],
    opts: { durable: boolean; txn?: { producerId: bigint; producerEpoch: number } } = { durable: true },
  ): Promise<bigint> {
    const txn = opts.txn;
    if (records.length === 0) return -1n;
    await this.ensure();
    const partition = this.partitionFor(groupId);
    const log = this.log(partition);
    const now = Date.now();
    const batch = encodeRecordBatchSync({
      records: records.map((r) => ({ key: r.key, value: r.value, timestamp: now })),
      baseTimestamp: now,
      producerId: txn?.producerId ?? -1n,
      producerEpoch: txn?.producerEpoch ?? -1,
      // Kafka writes coordinator batches with no sequence (-1); Brook's storage still applies the
      // client-only "a producer id needs a sequence" check to internal appends, so transactional
      // coordinator batches carry 0 until it does not (sequences are not checked for them).
      baseSequence: txn ? 0 : -1,
      isTransactional: txn !== undefined,
    });
    const p = log.append(batch, { durable: opts.durable, now, origin: "internal" });
    let set = this.inFlight.get(partition);
    if (!set) {
      set = new Set();
      this.inFlight.set(partition, set);
    }
    set.add(p);
    try {
      const r = await p;
      this.appendedBatches++;
      this.appendedRecords += records.length;
      return r.lastOffset;
    } catch (e) {
      const code =
        e && typeof e === "object" && "errorCode" in e && typeof e.errorCode === "number"
          ? e.errorCode
          : ErrorCode.UNKNOWN_SERVER_ERROR;
      throw new CoordinatorError(appendErrorToResponseError(code), (e as Error).message);
    } finally {
      set.delete(p);
    }
  }

  /** Resolves when every append to the group's partition started before the call has finished. */
  async settled(groupId: string): Promise<void> {
    if (!this.exists) return;
    const set = this.inFlight.get(this.partitionFor(groupId));
    if (set && set.size > 0) await Promise.allSettled([...set]);
  }

  /** Replays every partition; records that fail to decode are logged and skipped. */
  async load(handler: ReplayHandler): Promise<LoadStats> {
    const started = Date.now();
    const stats: LoadStats = { partitions: 0, records: 0, bytes: 0, skipped: 0, ms: 0 };
    const topic = this.broker.topic(OFFSETS_TOPIC);
    if (!topic) return stats;
    for (let p = 0; p < topic.partitions; p++) {
      const log = this.broker.partitionLog(OFFSETS_TOPIC, p);
      if (!log) continue;
      stats.partitions++;
      let offset = log.logStartOffset;
      const end = log.highWatermark;
      while (offset < end) {
        const res = await log.read(offset, 4 << 20, { maxOffset: end });
        if (res.records.length === 0) break;
        const buf = res.records.length === 1 ? res.records[0]! : Buffer.concat(res.records);
        stats.bytes += buf.length;
        const batches = await decodeRecordBatches(buf);
        if (batches.length === 0) break;
        for (const b of batches) {
          const h = b.header;
          const transactional = (h.attributes & ATTR.TRANSACTIONAL) !== 0;
          const control = (h.attributes & ATTR.CONTROL) !== 0;
          for (const rec of b.records) {
            const origin: RecordOrigin = {
              partition: p,
              offset: rec.offset,
              producerId: h.producerId,
              transactional,
            };
            if (control) {
              const c = decodeControlRecord(rec);
              if (c.type === ControlType.COMMIT || c.type === ControlType.ABORT) {
                handler.marker(h.producerId, c.type === ControlType.COMMIT, origin);
              }
              continue;
            }
            if (!rec.key) {
              stats.skipped++;
              continue;
            }
            try {
              handler.record(decodeCoordinatorRecord(rec.key, rec.value), origin);
              stats.records++;
            } catch (e) {
              stats.skipped++;
              this.broker.logger.warn(
                { partition: p, offset: String(rec.offset), err: (e as Error).message },
                "skipping unreadable __consumer_offsets record",
              );
            }
          }
          offset = h.baseOffset + BigInt(h.lastOffsetDelta) + 1n;
        }
      }
    }
    stats.ms = Date.now() - started;
    return stats;
  }
}
