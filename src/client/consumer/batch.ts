/**
 * The `batch` of eachBatch: one partition's messages from one Fetch, with KafkaJS's accessors.
 * `firstOffset`/`lastOffset` count records the consumer filtered out (control records, aborted
 * transactions), as KafkaJS's do, so resolving `lastOffset()` moves the position past them.
 */
import type { Batch } from "../types.js";
import { type ConsumedMessage, RecordCursor, type RecordSegment, type ScannedPartition } from "./decode.js";

export class ConsumerBatch implements Batch {
  readonly topic: string;
  readonly partition: number;
  readonly highWatermark: string;
  /** Filled by materialize() when the batch goes to eachBatch; eachMessage reads a cursor instead. */
  messages: ConsumedMessage[] = [];
  /** How many messages the batch holds (before any are decoded). */
  readonly count: number;
  /** Bytes of record batches it came from. */
  readonly bytes: number;
  private readonly segments: RecordSegment[];
  /** The offset the Fetch asked for. */
  readonly fetchedOffset: string;
  private readonly first: number;
  private readonly last: number;
  private readonly fetched: number;
  private readonly hw: number;
  private readonly hadBatches: boolean;

  constructor(
    topic: string,
    partition: number,
    fetchOffset: number,
    highWatermark: number,
    decoded: ScannedPartition,
  ) {
    this.topic = topic;
    this.partition = partition;
    this.fetched = fetchOffset;
    this.fetchedOffset = String(fetchOffset);
    this.hw = highWatermark;
    this.highWatermark = String(highWatermark);
    this.segments = decoded.segments;
    this.count = decoded.count;
    this.bytes = decoded.bytes;
    this.first = decoded.firstOffset;
    this.last = decoded.lastOffset;
    this.hadBatches = decoded.hadBatches;
  }

  /** The messages one by one, decoded as they are read. */
  cursor(): RecordCursor {
    return new RecordCursor(this.segments, this.fetched);
  }

  /** Decodes every message into `messages`. */
  materialize(): ConsumedMessage[] {
    this.messages = this.cursor().readAll(this.count);
    return this.messages;
  }

  isEmpty(): boolean {
    return this.count === 0;
  }

  /** Records came back but none is for the handler (all control records, aborted or compacted away). */
  isEmptyDueToFiltering(): boolean {
    return this.count === 0 && this.hadBatches;
  }

  firstOffset(): string | null {
    return this.first < 0 ? null : String(this.first);
  }

  /** The numeric form of lastOffset(). */
  lastOffsetNumber(): number {
    if (this.last >= 0) return this.last;
    // Only batches before the fetch offset came back (compaction): stay where we are, as KafkaJS.
    if (this.hadBatches) return this.fetched;
    return this.hw - 1;
  }

  lastOffset(): string {
    return String(this.lastOffsetNumber());
  }

  offsetLag(): string {
    return String(this.hw - 1 - this.lastOffsetNumber());
  }

  offsetLagLow(): string {
    if (this.first < 0) return "0";
    return String(this.hw - 1 - this.first);
  }
}
