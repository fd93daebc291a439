/**
 * The producer's engine: per-partition queues, batches, Produce requests, retries.
 *
 * Flow. A send call is validated and partitioned at once; its records for each partition become one
 * `Chunk` queued on that partition. A drain (next turn of the event loop, or after `linger` ms) turns
 * the queued chunks of each partition into a batch — concurrent calls to the same partition share
 * one record batch — and groups the batches of each leader into Produce requests. A call's promise
 * settles when every chunk of it has been answered.
 *
 * Concurrency rules (all state is touched on the event loop only):
 * - A batch is encoded once, when it is closed, and its bytes are resent unchanged on retry: same
 *   producer id, epoch and sequence, so the broker recognises a duplicate.
 * - Sequence numbers are assigned per partition when the batch is closed, in queue order. Requests
 *   to one broker are handed to its connection in the order they were built (`Lane.chain`), so the
 *   broker sees a partition's sequences in order.
 * - Idempotent producers keep at most 5 batches in flight per partition: the broker remembers the
 *   last 5 batches of each producer, which is what lets it recognise any retried one.
 * - When a batch fails with a retriable error, its partition stops taking new batches; once every
 *   batch still in flight for it has been answered, the failed ones are resent in sequence order,
 *   then new batches flow again. An OUT_OF_ORDER_SEQUENCE_NUMBER for a batch with an unanswered
 *   predecessor is the echo of that predecessor's failure and is retried the same way.
 * - A sequenced batch that fails for good leaves a hole in its partition's sequence. The plain
 *   idempotent producer then takes a new producer id (sequences restart at 0), as the Java client
 *   bumps its epoch; a transactional one marks the transaction abortable.
 */
import { ErrorCode } from "../../protocol/error-codes.js";
import { Produce } from "../../protocol/messages/index.js";
import {
  BATCH,
  type BatchInput,
  encodeRecordBatch,
  encodeRecordBatchSync,
  type RecordInput,
  writeBatchCrc,
} from "../../protocol/records/index.js";
import type { ResponseOf } from "../../protocol/schema.js";
import type { Broker, Cluster } from "../cluster/index.js";
import { codecFor, isBuiltinCodec } from "../compression.js";
import { CompressionTypes } from "../enums.js";
import {
  KafkaJSError,
  KafkaJSMetadataNotLoaded,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
} from "../errors.js";
import type { Logger } from "../logger.js";
import { jitter, nextRetryTime, RETRY_DEFAULTS, type RetryOptions } from "../retry.js";
import { isFencing, producerError } from "./eos.js";
import { type PreparedRecord, prepareRecord, type SendSettings } from "./records.js";
import type { ICustomPartitioner, Message, RecordMetadata } from "../types.js";
import type { TopicMessages } from "./types.js";

/** Kafka keeps the metadata of a producer's last 5 batches per partition (ProducerStateEntry). */
const MAX_IDEMPOTENT_IN_FLIGHT = 5;
const INT32_MAX = 0x7fffffff;

type RetryConfig = Required<Omit<RetryOptions, "restartOnFailure">>;

/** The parts of the exactly-once state the sender reads and reports to. */
export interface SenderEos {
  readonly transactionalId: string | null;
  producerId: bigint;
  producerEpoch: number;
  generation: number;
  isInitialized(): boolean;
  initProducerId(): Promise<void>;
  /** Transactional producers only. */
  isPartitionAdded(key: string): boolean;
  addPartitionsToTransaction(
    partitions: Array<{ topic: string; partition: number; key: string }>,
  ): Promise<void>;
  markAbortable(e: Error): void;
}

export interface SenderOptions {
  cluster: Cluster;
  logger: Logger;
  partitioner: ReturnType<ICustomPartitioner>;
  retry: RetryOptions;
  linger: number;
  batchSize: number;
  maxInFlightRequests: number | null;
  /** Null: neither idempotent nor transactional. */
  eos: SenderEos | null;
  /** False once the producer disconnects: no reconnecting then. */
  isActive: () => boolean;
}

/** One send call: its promise and the result slots of the partitions it touches. */
class SendCall {
  readonly results: RecordMetadata[];
  remaining = 0;
  settled = false;
  constructor(
    readonly settings: SendSettings,
    private readonly resolve: (r: RecordMetadata[]) => void,
    private readonly reject: (e: Error) => void,
  ) {
    this.results = [];
  }

  chunkDone(): void {
    if (--this.remaining === 0 && !this.settled) {
      this.settled = true;
      this.resolve(this.results);
    }
  }

  fail(e: Error): void {
    this.remaining--;
    if (this.settled) return;
    this.settled = true;
    this.reject(e);
  }
}

/** One call's records for one partition: merged into batches whole, never split. */
interface Chunk {
  call: SendCall;
  /** Index of this partition's entry in the call's results (-1 with acks=0: no results). */
  slot: number;
  records: RecordInput[];
  size: number;
  /** acks|timeout|compression: only chunks with the same settings share a batch. */
  batchKey: string;
}

class Batch {
  attempts = 0;
  /** Some attempt got no definite answer (timeout, lost connection): it may have been written. */
  ambiguous = false;
  retryTime = 0;
  retryAt = 0;
  /**
   * The last attempt failed because the leader moved or went away: reload metadata once the backoff
   * has passed and before resending. A refresh right at the failure usually still names the dead
   * leader (the cluster has not elected a new one yet).
   */
  refreshBeforeRetry = false;
  /** Offset of each chunk's first record within the batch. */
  readonly offsets: number[];
  constructor(
    readonly id: number,
    readonly pq: PartitionQueue,
    readonly chunks: Chunk[],
    readonly recordCount: number,
    readonly settings: SendSettings,
    readonly producerId: bigint,
    readonly producerEpoch: number,
    readonly baseSequence: number,
    readonly generation: number,
    public records: Buffer | Promise<Buffer>,
  ) {
    this.offsets = new Array<number>(chunks.length);
    let offset = 0;
    for (let i = 0; i < chunks.length; i++) {
      this.offsets[i] = offset;
      offset += chunks[i]!.records.length;
    }
  }

  get sequenced(): boolean {
    return this.baseSequence >= 0;
  }
}

class PartitionQueue {
  readonly key: string;
  chunks: Chunk[] = [];
  head = 0;
  queuedBytes = 0;
  queuedSince = 0;
  inFlight = 0;
  /** Failed batches waiting to be resent, in creation (= sequence) order. */
  retries: Batch[] = [];
  /** Don't resend until every batch in flight has been answered (set when a batch fails). */
  awaitInFlight = false;
  /** Sequenced batches sent and not yet settled, in sequence order. */
  outstanding: Batch[] = [];
  /**
   * After a batch failed for good: batches certainly not written (the broker refused them for the
   * sequence hole) whose records go back to the queue, to be rebuilt under the new producer id.
   */
  requeued: Batch[] = [];
  /** No new batch until every batch in flight has been answered (then `requeued` goes back first). */
  holdUntilIdle = false;
  nextSequence = 0;
  generation = -1;
  /** Generation in which a sequenced batch failed for good (its successors cannot succeed). */
  brokenGeneration = -1;
  leaderAttempts = 0;
  leaderRetryTime = 0;
  leaderRetryAt = 0;

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {
    this.key = `${topic}\0${partition}`;
  }

  get queuedChunks(): number {
    return this.chunks.length - this.head;
  }

  hasWork(): boolean {
    return this.head < this.chunks.length || this.retries.length > 0 || this.requeued.length > 0;
  }

  /** Puts the requeued batches' chunks back at the head of the queue, in their original order. */
  restoreRequeued(now: number): void {
    const chunks: Chunk[] = [];
    for (const b of this.requeued) {
      for (const c of b.chunks) {
        chunks.push(c);
        this.queuedBytes += c.size;
      }
    }
    this.requeued = [];
    this.chunks = chunks.concat(this.chunks.slice(this.head));
    this.head = 0;
    if (chunks.length > 0) this.queuedSince = now;
  }

  takeChunk(): Chunk {
    const c = this.chunks[this.head]!;
    this.chunks[this.head++] = undefined as unknown as Chunk;
    this.queuedBytes -= c.size;
    if (this.head === this.chunks.length) {
      this.chunks = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
    return c;
  }

  peekChunk(): Chunk | undefined {
    return this.chunks[this.head];
  }
}

/** Produce requests to one broker: counted, and handed to the connection in build order. */
class Lane {
  inFlight = 0;
  chain: Promise<void> = Promise.resolve();
  constructor(readonly nodeId: number) {}
}

interface ProduceRequest {
  readonly lane: Lane;
  readonly settings: SendSettings;
  batches: Batch[];
}

type ProduceResponse = ResponseOf<typeof Produce>;

/** Sequence after `seq` advanced by `count`, wrapping past INT32_MAX to 0 as Kafka does. */
function addSequence(seq: number, count: number): number {
  return seq > INT32_MAX - count ? count - (INT32_MAX - seq) - 1 : seq + count;
}

/** Error codes after which the batch may have been appended although the answer is an error. */
const MAYBE_WRITTEN = new Set<number>([
  ErrorCode.REQUEST_TIMED_OUT,
  ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
]);

/** Retriable errors that mean the cached leaders may be wrong. */
function needsMetadata(e: Error): boolean {
  const code = (e as { code?: unknown }).code;
  if (typeof code === "number") {
    return (
      code === ErrorCode.NOT_LEADER_OR_FOLLOWER ||
      code === ErrorCode.LEADER_NOT_AVAILABLE ||
      code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ||
      code === ErrorCode.NOT_ENOUGH_REPLICAS ||
      code === ErrorCode.FENCED_LEADER_EPOCH ||
      code === ErrorCode.UNKNOWN_LEADER_EPOCH ||
      code === ErrorCode.KAFKA_STORAGE_ERROR
    );
  }
  return (
    e.name === "KafkaJSConnectionError" ||
    e.name === "KafkaJSConnectionClosedError" ||
    e.name === "KafkaJSRequestTimeoutError" ||
    e.name === "KafkaJSBrokerNotFound" ||
    e.name === "KafkaJSMetadataNotLoaded" ||
    e.name === "KafkaJSTopicMetadataNotLoaded"
  );
}

/** KafkaJS's rule: everything is retriable unless it says otherwise or is a programming error. */
function isRetriable(e: Error): boolean {
  if ((e as { retriable?: unknown }).retriable === false) return false;
  return !(
    e instanceof TypeError ||
    e instanceof RangeError ||
    e instanceof ReferenceError ||
    e instanceof SyntaxError
  );
}

export class RecordSender {
  private readonly cluster: Cluster;
  private readonly logger: Logger;
  private readonly partitioner: ReturnType<ICustomPartitioner>;
  private readonly retry: RetryConfig;
  private readonly linger: number;
  private readonly batchSize: number;
  private readonly maxInFlight: number;
  private readonly eos: SenderEos | null;
  /** Batches carry the transactional id and join the transaction (AddPartitionsToTxn) first. */
  private readonly transactional: boolean;
  private readonly isActive: () => boolean;
  private readonly partitions = new Map<string, PartitionQueue>();
  /** Partitions with queued chunks or pending retries. */
  private readonly active = new Set<PartitionQueue>();
  private readonly lanes = new Map<number, Lane>();
  private nextBatchId = 0;
  private drainImmediate: NodeJS.Immediate | null = null;
  private drainTimer: NodeJS.Timeout | null = null;
  private drainTimerAt = Number.POSITIVE_INFINITY;
  /** Chunks not yet settled (queued, batched, in flight); flush waits for 0. */
  private pendingChunks = 0;
  private flushWaiters: Array<() => void> = [];
  private flushing = 0;
  private refreshing: Promise<void> | null = null;
  /** Someone asked for a refresh while one ran: start another when it ends. */
  private refreshQueued = false;
  private adding: Promise<void> | null = null;
  private resetting: Promise<void> | null = null;
  /** The producer id is being replaced after a lost sequence; no new batches until it is. */
  private needsNewProducerId = false;
  /** After close(): nothing is sent any more, failures are final. */
  private closed = false;
  private lastMetadataCheck = 0;

  constructor(opts: SenderOptions) {
    this.cluster = opts.cluster;
    this.logger = opts.logger;
    this.partitioner = opts.partitioner;
    const retry: Partial<RetryConfig> = {};
    for (const k of Object.keys(RETRY_DEFAULTS) as (keyof RetryConfig)[]) {
      const v = opts.retry[k];
      if (typeof v === "number") retry[k] = v;
    }
    this.retry = { ...RETRY_DEFAULTS, ...retry };
    this.linger = Math.max(0, opts.linger);
    this.batchSize = Math.max(1, opts.batchSize);
    this.maxInFlight =
      opts.maxInFlightRequests && opts.maxInFlightRequests > 0
        ? opts.maxInFlightRequests
        : Number.POSITIVE_INFINITY;
    this.eos = opts.eos;
    this.transactional = opts.eos?.transactionalId != null;
    this.isActive = opts.isActive;
  }

  private get idempotent(): boolean {
    return this.eos !== null;
  }

  /**
   * Sends `topicMessages` (validated, merged by topic). Metadata for unknown topics is loaded first
   * with the retry policy; then the records are partitioned and queued synchronously. When the
   * metadata is known this costs one promise per call and nothing per message.
   */
  send(topicMessages: TopicMessages[], settings: SendSettings): Promise<RecordMetadata[]> {
    for (const { topic } of topicMessages) {
      if (!this.cluster.topicMetadata(topic)) return this.sendAfterSetup(topicMessages, settings);
    }
    if (this.eos && !this.eos.isInitialized()) return this.sendAfterSetup(topicMessages, settings);
    return new Promise<RecordMetadata[]>((resolve, reject) => {
      const call = new SendCall(settings, resolve, reject);
      try {
        this.enqueue(call, topicMessages);
      } catch (e) {
        call.settled = true;
        reject(e);
        return;
      }
      if (call.remaining === 0) {
        call.settled = true;
        resolve(call.results);
      }
    });
  }

  private async sendAfterSetup(
    topicMessages: TopicMessages[],
    settings: SendSettings,
  ): Promise<RecordMetadata[]> {
    // Counted as pending so that a flush (disconnect, commit) waits for a call accepted before it.
    this.pendingChunks++;
    try {
      await this.loadMetadata(topicMessages.map((t) => t.topic));
      if (this.eos && !this.eos.isInitialized()) await this.eos.initProducerId();
      if (this.closed) throw new KafkaJSError("The producer is disconnected");
      return this.send(topicMessages, settings);
    } finally {
      this.chunkSettled();
      this.checkFlushed();
    }
  }

  private loadMetadata(topics: string[]): Promise<void> {
    return this.cluster.retrier(async () => {
      try {
        await this.cluster.addTargetTopics(topics);
        for (const topic of topics) {
          if (this.cluster.findTopicPartitionMetadata(topic).length === 0) {
            throw new KafkaJSMetadataNotLoaded("Producing to topic without metadata");
          }
        }
      } catch (e) {
        const err = e as Error;
        // Thrown, not bailed: the retrier wraps a non-retriable error (an invalid topic name) in
        // KafkaJSNonRetriableError, as KafkaJS's producer reports it.
        if (!isRetriable(err)) throw err;
        if (this.isActive() && !this.cluster.isConnected()) await this.cluster.connect();
        throw err;
      }
    });
  }

  /** Partitions the call's messages and queues one chunk per partition; results ordered as KafkaJS orders them. */
  private enqueue(call: SendCall, topicMessages: TopicMessages[]): void {
    const now = Date.now();
    const { acks, timeout, compression } = call.settings;
    const batchKey = `${acks}|${timeout}|${compression}`;
    type Pending = { pq: PartitionQueue; records: RecordInput[]; size: number; leader: number };
    // KafkaJS's result order: brokers as first met (topic order, then ascending leader id), then
    // per broker the topics in order, partitions ascending.
    const perTopic: Array<Map<number, Pending>> = [];
    const leaderOrder: number[] = [];
    for (const { topic, messages } of topicMessages) {
      const partitionMetadata = this.cluster.findTopicPartitionMetadata(topic);
      if (partitionMetadata.length === 0)
        throw new KafkaJSMetadataNotLoaded("Producing to topic without metadata");
      const byPartition = new Map<number, Pending>();
      perTopic.push(byPartition);
      for (let i = 0; i < messages.length; i++) {
        const message: Message = messages[i]!;
        const partition = this.partitioner({ topic, partitionMetadata, message });
        let p = byPartition.get(partition);
        if (!p) {
          const meta = partitionMetadata.find((m) => m.partitionId === partition);
          p = { pq: this.partitionQueue(topic, partition), records: [], size: 0, leader: meta?.leader ?? -1 };
          byPartition.set(partition, p);
        }
        const prepared: PreparedRecord = prepareRecord(message, topic, now);
        p.records.push(prepared.record);
        p.size += prepared.size;
      }
      const leaders = [...new Set([...byPartition.values()].map((p) => p.leader))].sort((a, b) => a - b);
      for (const l of leaders) if (!leaderOrder.includes(l)) leaderOrder.push(l);
    }
    let ordered: Pending[] = [];
    if (perTopic.length === 1 && perTopic[0]!.size === 1) ordered = [...perTopic[0]!.values()];
    else
      for (const leader of leaderOrder) {
        for (const byPartition of perTopic) {
          const ps = [...byPartition.entries()]
            .filter(([, p]) => p.leader === leader)
            .sort((a, b) => a[0] - b[0]);
          for (const [, p] of ps) ordered.push(p);
        }
      }
    for (const p of ordered) {
      const slot = acks === 0 ? -1 : call.results.length;
      if (slot >= 0) call.results.push(undefined as unknown as RecordMetadata);
      const chunk: Chunk = { call, slot, records: p.records, size: p.size, batchKey };
      const pq = p.pq;
      if (pq.queuedChunks === 0) pq.queuedSince = now;
      pq.chunks.push(chunk);
      pq.queuedBytes += chunk.size;
      call.remaining++;
      this.pendingChunks++;
      this.active.add(pq);
      if (this.linger === 0 || pq.queuedBytes >= this.batchSize) this.scheduleDrain();
      else this.scheduleDrainAt(pq.queuedSince + this.linger);
    }
  }

  private partitionQueue(topic: string, partition: number): PartitionQueue {
    const key = `${topic}\0${partition}`;
    let pq = this.partitions.get(key);
    if (!pq) {
      pq = new PartitionQueue(topic, partition);
      this.partitions.set(key, pq);
    }
    return pq;
  }

  private lane(nodeId: number): Lane {
    let lane = this.lanes.get(nodeId);
    if (!lane) {
      lane = new Lane(nodeId);
      this.lanes.set(nodeId, lane);
    }
    return lane;
  }

  /** Resolves once everything queued so far has been answered; lingering batches go at once. */
  flush(): Promise<void> {
    if (this.pendingChunks === 0) return Promise.resolve();
    this.flushing++;
    this.scheduleDrain();
    return new Promise<void>((resolve) => {
      this.flushWaiters.push(() => {
        this.flushing--;
        resolve();
      });
    });
  }

  /** Fails every chunk not yet in a batch (an aborted transaction's unsent records). */
  failQueued(e: Error): void {
    for (const pq of this.active) {
      while (pq.queuedChunks > 0) this.failChunk(pq.takeChunk(), e);
    }
  }

  /**
   * Stops sending: every record not yet answered fails with `e` (requests already written may still
   * be answered, and their calls then succeed). Called on disconnect, after a bounded flush.
   */
  close(e: Error): void {
    this.closed = true;
    if (this.drainImmediate) clearImmediate(this.drainImmediate);
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.drainImmediate = null;
    this.drainTimer = null;
    this.drainTimerAt = Number.POSITIVE_INFINITY;
    for (const pq of this.active) {
      while (pq.queuedChunks > 0) this.failChunk(pq.takeChunk(), e);
      const retries = pq.retries.concat(pq.requeued);
      pq.retries = [];
      pq.requeued = [];
      pq.holdUntilIdle = false;
      for (const b of retries) this.failBatch(b, e);
    }
  }

  /** Reopens after close() (a producer may connect again after disconnecting). */
  reopen(): void {
    this.closed = false;
  }

  private scheduleDrain(): void {
    if (this.drainImmediate || this.closed) return;
    this.drainImmediate = setImmediate(() => {
      this.drainImmediate = null;
      this.drain();
    });
  }

  private scheduleDrainAt(at: number): void {
    if (at >= this.drainTimerAt || this.closed) return;
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.drainTimerAt = at;
    this.drainTimer = setTimeout(
      () => {
        this.drainTimer = null;
        this.drainTimerAt = Number.POSITIVE_INFINITY;
        this.drain();
      },
      Math.max(0, at - Date.now()),
    );
  }

  /** Builds and sends every batch that is ready; schedules the next drain for those that are not yet. */
  private drain(): void {
    if (this.closed) return;
    const now = Date.now();
    // Metadata older than metadataMaxAge is reloaded in the background (new partitions, moved leaders).
    if (now - this.lastMetadataCheck > 1000 && this.isActive()) {
      this.lastMetadataCheck = now;
      this.cluster.refreshMetadataIfNecessary().catch((e: Error) => {
        this.logger.debug(`Metadata refresh failed: ${e.message}`, {});
      });
    }
    let wakeAt = Number.POSITIVE_INFINITY;
    let metadataNeeded = false;
    const toAdd: PartitionQueue[] = [];
    const byLeader = new Map<number, PartitionQueue[]>();
    const newBatchesAllowed = !this.needsNewProducerId && !this.resetting;
    for (const pq of this.active) {
      if (!pq.hasWork()) {
        this.active.delete(pq);
        continue;
      }
      if (pq.holdUntilIdle) {
        if (pq.inFlight > 0) continue;
        pq.holdUntilIdle = false;
        pq.restoreRequeued(now);
      }
      if (pq.retries.length > 0) {
        if (pq.awaitInFlight && pq.inFlight > 0) continue;
        pq.awaitInFlight = false;
        const head = pq.retries[0]!;
        if (head.retryAt > now) {
          wakeAt = Math.min(wakeAt, head.retryAt);
          continue;
        }
        if (head.refreshBeforeRetry) {
          // A refresh starting after the failure (or chained onto one that began before it) ends
          // with a drain, which resends. A producer winding down starts none: the timer resends.
          head.refreshBeforeRetry = false;
          if (!this.refreshMetadata()) wakeAt = Math.min(wakeAt, now + 100);
          continue;
        }
      } else {
        if (!newBatchesAllowed) continue;
        if (this.idempotent && pq.inFlight >= MAX_IDEMPOTENT_IN_FLIGHT) continue;
        if (this.linger > 0 && this.flushing === 0 && pq.queuedBytes < this.batchSize) {
          const at = pq.queuedSince + this.linger;
          if (at > now) {
            wakeAt = Math.min(wakeAt, at);
            continue;
          }
        }
        if (this.transactional && !this.eos!.isPartitionAdded(pq.key)) {
          toAdd.push(pq);
          continue;
        }
      }
      if (pq.leaderRetryAt > now) {
        wakeAt = Math.min(wakeAt, pq.leaderRetryAt);
        continue;
      }
      let leader: number;
      try {
        leader = this.cluster.leaderFor(pq.topic, pq.partition);
        pq.leaderAttempts = 0;
        pq.leaderRetryTime = 0;
      } catch (e) {
        metadataNeeded = true;
        this.leaderUnknown(pq, e as Error, now);
        if (pq.hasWork()) wakeAt = Math.min(wakeAt, pq.leaderRetryAt);
        continue;
      }
      let list = byLeader.get(leader);
      if (!list) byLeader.set(leader, (list = []));
      list.push(pq);
    }
    if (toAdd.length > 0) this.addPartitions(toAdd);
    if (metadataNeeded) this.refreshMetadata();
    for (const [nodeId, pqs] of byLeader) this.drainLeader(this.lane(nodeId), pqs, now);
    if (wakeAt !== Number.POSITIVE_INFINITY) this.scheduleDrainAt(wakeAt);
  }

  /** Fills Produce requests for one broker while it has capacity and its partitions have batches. */
  private drainLeader(lane: Lane, pqs: PartitionQueue[], now: number): void {
    while (lane.inFlight < this.maxInFlight) {
      // Batches of one request share acks and timeout; other settings wait for the next request.
      let settings: SendSettings | null = null;
      let requestKey = "";
      const batches: Batch[] = [];
      for (const pq of pqs) {
        const batch = this.nextBatch(pq, now, settings === null ? null : requestKey);
        if (!batch) continue;
        if (settings === null) {
          settings = batch.settings;
          requestKey = `${settings.acks}|${settings.timeout}`;
        }
        batches.push(batch);
      }
      if (batches.length === 0) return;
      this.dispatch({ lane, settings: settings!, batches });
    }
  }

  /** The partition's next batch for a request with `requestKey` (acks|timeout), or null. */
  private nextBatch(pq: PartitionQueue, now: number, requestKey: string | null): Batch | null {
    if (pq.retries.length > 0) {
      if (pq.awaitInFlight && pq.inFlight > 0) return null;
      pq.awaitInFlight = false;
      const batch = pq.retries[0]!;
      if (batch.retryAt > now) return null;
      if (this.idempotent && pq.inFlight >= MAX_IDEMPOTENT_IN_FLIGHT) return null;
      if (requestKey !== null && `${batch.settings.acks}|${batch.settings.timeout}` !== requestKey)
        return null;
      pq.retries.shift();
      pq.inFlight++;
      return batch;
    }
    if (pq.queuedChunks === 0 || pq.holdUntilIdle || this.needsNewProducerId || this.resetting) return null;
    if (this.idempotent && pq.inFlight >= MAX_IDEMPOTENT_IN_FLIGHT) return null;
    const first = pq.peekChunk()!;
    if (requestKey !== null && !first.batchKey.startsWith(`${requestKey}|`)) return null;
    if (this.transactional && !this.eos!.isPartitionAdded(pq.key)) return null;
    const chunks: Chunk[] = [pq.takeChunk()];
    let bytes = first.size;
    let count = first.records.length;
    for (let next = pq.peekChunk(); next !== undefined; next = pq.peekChunk()) {
      if (next.batchKey !== first.batchKey || bytes + next.size > this.batchSize) break;
      chunks.push(pq.takeChunk());
      bytes += next.size;
      count += next.records.length;
    }
    if (pq.queuedChunks > 0) pq.queuedSince = now;
    const batch = this.closeBatch(pq, chunks, count, first.call.settings);
    if (batch) pq.inFlight++;
    return batch;
  }

  /** Assigns the batch its producer id, epoch and sequence, and encodes it. */
  private closeBatch(
    pq: PartitionQueue,
    chunks: Chunk[],
    count: number,
    settings: SendSettings,
  ): Batch | null {
    let producerId = -1n;
    let producerEpoch = -1;
    let baseSequence = -1;
    let generation = -1;
    const eos = this.eos;
    if (eos) {
      producerId = eos.producerId;
      producerEpoch = eos.producerEpoch;
      generation = eos.generation;
      if (pq.generation !== generation) {
        pq.generation = generation;
        pq.nextSequence = 0;
      }
      baseSequence = pq.nextSequence;
      pq.nextSequence = addSequence(baseSequence, count);
    }
    const records: RecordInput[] = chunks.length === 1 ? chunks[0]!.records : [];
    if (chunks.length > 1) for (const c of chunks) for (const r of c.records) records.push(r);
    const input: BatchInput = {
      records,
      producerId,
      producerEpoch,
      baseSequence,
      isTransactional: this.transactional,
    };
    let records_: Buffer | Promise<Buffer>;
    try {
      records_ = encode(input, settings.compression);
    } catch (e) {
      // Checked per call at send time, so this is unexpected; the batch never existed for the broker.
      if (eos) pq.nextSequence = baseSequence;
      const error = new KafkaJSNonRetriableError(e as Error, { cause: e as Error });
      for (const chunk of chunks) this.failChunk(chunk, error);
      return null;
    }
    const batch = new Batch(
      this.nextBatchId++,
      pq,
      chunks,
      count,
      settings,
      producerId,
      producerEpoch,
      baseSequence,
      generation,
      records_,
    );
    if (batch.sequenced) pq.outstanding.push(batch);
    return batch;
  }

  /** Queues the request on its lane so requests reach the connection in the order they were built. */
  private dispatch(req: ProduceRequest): void {
    const lane = req.lane;
    lane.inFlight++;
    lane.chain = lane.chain.then(() =>
      this.transmit(req).catch((e: Error) => {
        this.logger.error(`Produce request failed before sending: ${e.message}`, { stack: e.stack });
      }),
    );
  }

  private async transmit(req: ProduceRequest): Promise<void> {
    let broker: Broker;
    let body: Parameters<Broker["request"]>[1] & object;
    try {
      broker = await this.cluster.broker(req.lane.nodeId);
      const byTopic = new Map<string, Array<{ index: number; records: Buffer }>>();
      for (const b of req.batches) {
        if (!(b.records instanceof Buffer)) {
          try {
            b.records = await b.records;
          } catch (e) {
            // A compression failure is not going to go away: only this batch fails.
            req.batches = req.batches.filter((x) => x !== b);
            this.batchFailed(b, new KafkaJSNonRetriableError(e as Error, { cause: e as Error }));
            continue;
          }
        }
        const records = b.records as Buffer;
        const list = byTopic.get(b.pq.topic);
        if (list) list.push({ index: b.pq.partition, records });
        else byTopic.set(b.pq.topic, [{ index: b.pq.partition, records }]);
      }
      if (req.batches.length === 0) {
        req.lane.inFlight--;
        this.scheduleDrain();
        return;
      }
      body = {
        transactionalId: this.eos?.transactionalId ?? null,
        acks: req.settings.acks,
        timeoutMs: req.settings.timeout,
        topicData: Array.from(byTopic, ([name, partitionData]) => ({ name, partitionData })),
      };
    } catch (e) {
      this.requestFailed(req, e as Error);
      return;
    }
    const expectResponse = req.settings.acks !== 0;
    let version = 0;
    let pending: Promise<ProduceResponse>;
    try {
      version = broker.versionOf(Produce);
      pending = broker.request(Produce, body, { version, expectResponse });
    } catch (e) {
      this.requestFailed(req, e as Error);
      return;
    }
    pending.then(
      (res) => this.requestAnswered(req, res, version),
      (e: Error) => this.requestFailed(req, e),
    );
  }

  private requestAnswered(req: ProduceRequest, res: ProduceResponse | undefined, version: number): void {
    req.lane.inFlight--;
    if (req.settings.acks === 0 || !res) {
      for (const b of req.batches) this.batchSucceeded(b, null, version);
    } else {
      const answers = new Map<string, ProduceResponse["responses"][number]["partitionResponses"][number]>();
      for (const t of res.responses)
        for (const p of t.partitionResponses) answers.set(`${t.name}\0${p.index}`, p);
      for (const b of req.batches) {
        const p = answers.get(b.pq.key);
        if (!p)
          this.batchFailed(
            b,
            producerError(ErrorCode.UNKNOWN_SERVER_ERROR, "partition missing from the response"),
          );
        else if (p.errorCode === ErrorCode.NONE || p.errorCode === ErrorCode.DUPLICATE_SEQUENCE_NUMBER)
          this.batchSucceeded(b, p, version);
        else {
          this.noteNewLeader(b.pq.topic, b.pq.partition, p, res);
          this.batchFailed(b, producerError(p.errorCode, p.errorMessage ?? null));
        }
      }
    }
    this.scheduleDrain();
  }

  /**
   * KIP-951: with NOT_LEADER_OR_FOLLOWER a Produce v10+ response names the partition's current
   * leader (and its endpoint), so the retry can go there before a Metadata refresh answers.
   */
  private noteNewLeader(
    topic: string,
    partition: number,
    p: ProduceResponse["responses"][number]["partitionResponses"][number],
    res: ProduceResponse,
  ): void {
    const leader = p.currentLeader;
    if (p.errorCode !== ErrorCode.NOT_LEADER_OR_FOLLOWER || !leader || leader.leaderId < 0) return;
    const endpoint = res.nodeEndpoints?.find((n) => n.nodeId === leader.leaderId);
    this.cluster.noteLeader(topic, partition, leader.leaderId, leader.leaderEpoch, endpoint);
  }

  private requestFailed(req: ProduceRequest, e: Error): void {
    req.lane.inFlight--;
    for (const b of req.batches) this.batchFailed(b, e);
    this.scheduleDrain();
  }

  private settleOutstanding(b: Batch): void {
    if (!b.sequenced) return;
    const list = b.pq.outstanding;
    if (list[0] === b) list.shift();
    else {
      const i = list.indexOf(b);
      if (i >= 0) list.splice(i, 1);
    }
  }

  private batchSucceeded(
    b: Batch,
    p: ProduceResponse["responses"][number]["partitionResponses"][number] | null,
    version: number,
  ): void {
    const pq = b.pq;
    pq.inFlight--;
    this.settleOutstanding(b);
    for (let i = 0; i < b.chunks.length; i++) {
      const chunk = b.chunks[i]!;
      if (p && chunk.slot >= 0) {
        const meta: RecordMetadata = {
          topicName: pq.topic,
          partition: pq.partition,
          errorCode: 0,
          // With merged batches, each call gets the offset of its own first record.
          baseOffset: p.baseOffset < 0n ? String(p.baseOffset) : String(p.baseOffset + BigInt(b.offsets[i]!)),
          logAppendTime: String(p.logAppendTimeMs),
        };
        if (version >= 5) meta.logStartOffset = String(p.logStartOffset);
        chunk.call.results[chunk.slot] = meta;
      }
      this.chunkSettled();
      chunk.call.chunkDone();
    }
    this.checkFlushed();
  }

  private batchFailed(b: Batch, e: Error): void {
    const pq = b.pq;
    pq.inFlight--;
    let retriable = isRetriable(e);
    const code = (e as { code?: unknown }).code;
    if (typeof code !== "number" || MAYBE_WRITTEN.has(code)) b.ambiguous = true;
    if (b.sequenced && code === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER) {
      // Retriable only as the echo of an unanswered predecessor's failure; otherwise the broker lost
      // our sequence (or a predecessor failed for good) and resending cannot help.
      const first = pq.outstanding.find((x) => x.generation === b.generation);
      if (b.generation === pq.brokenGeneration && this.canRebuild(b)) {
        this.rebuildLater(b);
        return;
      }
      retriable = first !== b && b.generation !== pq.brokenGeneration;
    }
    if (b.sequenced && code === ErrorCode.UNKNOWN_PRODUCER_ID) retriable = false;
    if (typeof code === "number" && isFencing(code)) retriable = false;
    b.attempts++;
    if (retriable && b.attempts <= this.retry.retries && !this.closed) {
      b.retryTime =
        b.retryTime === 0
          ? jitter(this.retry.factor, this.retry.initialRetryTime)
          : nextRetryTime(b.retryTime, this.retry);
      b.retryAt = Date.now() + b.retryTime;
      this.logger.error(`Failed to send messages: ${e.message}`, {
        topic: pq.topic,
        partition: pq.partition,
        retryCount: b.attempts - 1,
        retryTime: b.retryTime,
      });
      const list = pq.retries;
      let i = list.length;
      while (i > 0 && list[i - 1]!.id > b.id) i--;
      list.splice(i, 0, b);
      pq.awaitInFlight = true;
      this.active.add(pq);
      if (needsMetadata(e)) {
        this.refreshMetadata();
        b.refreshBeforeRetry = true;
      }
      this.scheduleDrainAt(b.retryAt);
      return;
    }
    this.settleOutstanding(b);
    const error =
      !this.closed && (retriable || (isRetriable(e) && b.attempts > this.retry.retries))
        ? new KafkaJSNumberOfRetriesExceeded(e, { retryCount: b.attempts - 1, retryTime: b.retryTime })
        : e;
    this.logger.error(`${e.message}`, {
      topic: pq.topic,
      partition: pq.partition,
      retryCount: b.attempts - 1,
    });
    if (b.sequenced) this.sequenceLost(b, error);
    for (const chunk of b.chunks) {
      this.chunkSettled();
      chunk.call.fail(error);
    }
    this.checkFlushed();
  }

  /** A sequenced batch failed for good: its partition's sequence has a hole from here on. */
  private sequenceLost(b: Batch, e: Error): void {
    const pq = b.pq;
    pq.brokenGeneration = b.generation;
    if (!this.transactional) pq.holdUntilIdle = true;
    // Batches of the same generation waiting to be resent cannot succeed either: rebuilt under the
    // new producer id when they were certainly not written, failed otherwise.
    const doomed = pq.retries.filter((r) => r.generation === b.generation);
    if (doomed.length > 0) {
      pq.retries = pq.retries.filter((r) => r.generation !== b.generation);
      for (const r of doomed) {
        if (this.canRebuild(r)) this.rebuildLater(r);
        else this.failBatch(r, e);
      }
    }
    const eos = this.eos;
    if (!eos) return;
    if (this.transactional) {
      eos.markAbortable(e);
      return;
    }
    if (b.generation === eos.generation) this.renewProducerId();
  }

  /**
   * Whether a batch refused because of a sequence hole may be rebuilt under a new producer id:
   * only when no attempt of it can have been written, and outside transactions (where the hole
   * makes the transaction abortable instead).
   */
  private canRebuild(b: Batch): boolean {
    return this.eos !== null && !this.transactional && !b.ambiguous;
  }

  private rebuildLater(b: Batch): void {
    const pq = b.pq;
    this.settleOutstanding(b);
    const list = pq.requeued;
    let i = list.length;
    while (i > 0 && list[i - 1]!.id > b.id) i--;
    list.splice(i, 0, b);
    pq.holdUntilIdle = true;
    this.active.add(pq);
    this.scheduleDrain();
  }

  /** The plain idempotent producer takes a new producer id, restarting every sequence at 0. */
  private renewProducerId(): void {
    if (this.resetting || !this.eos) return;
    this.needsNewProducerId = true;
    this.resetting = this.eos
      .initProducerId()
      .then(
        () => {
          this.needsNewProducerId = false;
        },
        (e: Error) => {
          this.logger.error(`Failed to renew the producer id: ${e.message}`, {});
          this.needsNewProducerId = false;
        },
      )
      .finally(() => {
        this.resetting = null;
        this.scheduleDrain();
      });
  }

  private leaderUnknown(pq: PartitionQueue, e: Error, now: number): void {
    pq.leaderAttempts++;
    if (pq.leaderAttempts > this.retry.retries || !isRetriable(e)) {
      const error = isRetriable(e)
        ? new KafkaJSNumberOfRetriesExceeded(e, {
            retryCount: pq.leaderAttempts - 1,
            retryTime: pq.leaderRetryTime,
          })
        : e;
      pq.leaderAttempts = 0;
      pq.leaderRetryTime = 0;
      pq.leaderRetryAt = 0;
      while (pq.queuedChunks > 0) this.failChunk(pq.takeChunk(), error);
      const retries = pq.retries;
      pq.retries = [];
      for (const b of retries) this.failBatch(b, error);
      return;
    }
    pq.leaderRetryTime =
      pq.leaderRetryTime === 0
        ? jitter(this.retry.factor, this.retry.initialRetryTime)
        : nextRetryTime(pq.leaderRetryTime, this.retry);
    pq.leaderRetryAt = now + pq.leaderRetryTime;
  }

  /** Fails a batch that is not in flight (waiting for a retry). */
  private failBatch(b: Batch, e: Error): void {
    this.settleOutstanding(b);
    for (const chunk of b.chunks) this.failChunk(chunk, e);
  }

  private failChunk(chunk: Chunk, e: Error): void {
    this.chunkSettled();
    chunk.call.fail(e);
    this.checkFlushed();
  }

  private chunkSettled(): void {
    this.pendingChunks--;
  }

  private checkFlushed(): void {
    if (this.pendingChunks !== 0 || this.flushWaiters.length === 0) return;
    const waiters = this.flushWaiters;
    this.flushWaiters = [];
    for (const w of waiters) w();
  }

  /**
   * One metadata refresh at a time; reconnects first when the cluster lost every connection. A call
   * while one runs queues one more after it, since the running one may predate what the caller
   * learned. False when none will run (the producer is winding down); otherwise a drain follows.
   */
  private refreshMetadata(): boolean {
    if (!this.isActive()) return false;
    if (this.refreshing) {
      this.refreshQueued = true;
      return true;
    }
    this.refreshQueued = false;
    this.refreshing = (async () => {
      if (this.isActive() && !this.cluster.isConnected()) await this.cluster.connect();
      await this.cluster.refreshMetadata();
    })()
      .catch((e: Error) => {
        this.logger.debug(`Metadata refresh failed: ${e.message}`, {});
      })
      .finally(() => {
        this.refreshing = null;
        if (!this.refreshQueued || !this.refreshMetadata()) this.scheduleDrain();
      });
    return true;
  }

  /** AddPartitionsToTxn for the partitions about to get their first batch of the transaction. */
  private addPartitions(pqs: PartitionQueue[]): void {
    const eos = this.eos;
    if (this.adding || !eos || !this.transactional) return;
    this.adding = eos
      .addPartitionsToTransaction(
        pqs.map((pq) => ({ topic: pq.topic, partition: pq.partition, key: pq.key })),
      )
      .catch((e: Error) => {
        // The records of these partitions cannot join the transaction: their calls fail.
        for (const pq of pqs) while (pq.queuedChunks > 0) this.failChunk(pq.takeChunk(), e);
        eos.markAbortable(e);
      })
      .finally(() => {
        this.adding = null;
        this.scheduleDrain();
      });
  }
}

/** Encodes a batch: synchronously where the codec allows, else on the thread pool or the user's codec. */
function encode(input: BatchInput, compression: number): Buffer | Promise<Buffer> {
  if (compression === CompressionTypes.None) return encodeRecordBatchSync(input);
  if (!isBuiltinCodec(compression)) return encodeWithUserCodec(input, compression);
  input.compression = compression;
  // gzip and zstd are the slow ones: compress off the event loop (zstd also loads its module on first use).
  if (compression === CompressionTypes.GZIP || compression === CompressionTypes.ZSTD)
    return encodeRecordBatch(input);
  return encodeRecordBatchSync(input);
}

/** A codec the application registered in CompressionCodecs: compress the records section with it. */
async function encodeWithUserCodec(input: BatchInput, compression: number): Promise<Buffer> {
  const codec = codecFor(compression);
  const plain = encodeRecordBatchSync(input);
  if (!codec) return plain;
  const payload = await codec.compress(plain.subarray(BATCH.HEADER_SIZE));
  const out = Buffer.allocUnsafe(BATCH.HEADER_SIZE + payload.length);
  plain.copy(out, 0, 0, BATCH.HEADER_SIZE);
  payload.copy(out, BATCH.HEADER_SIZE);
  out.writeInt32BE(out.length - BATCH.LOG_OVERHEAD, BATCH.LENGTH);
  out.writeInt16BE((out.readInt16BE(BATCH.ATTRIBUTES) & ~0x07) | compression, BATCH.ATTRIBUTES);
  writeBatchCrc(out, 0, out.length);
  return out;
}
