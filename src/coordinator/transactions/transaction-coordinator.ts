/**
 * The transaction coordinator (Kafka's TransactionCoordinator) for a single node: producer ids,
 * transactional ids and their state machine, persisted in `__transaction_state`; markers written
 * through Broker.writeTxnMarker; timed-out transactions aborted; Prepare* transactions found at
 * start completed. One coordinator epoch (0): a single node never moves the coordinator.
 */
import { existsSync, readFileSync } from "node:fs";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { ErrorCode } from "../../protocol/error-codes.js";
import { partitionFor } from "../../protocol/murmur2.js";
import { ATTR } from "../../protocol/records/batch-header.js";
import { decodeRecordBatches, encodeRecordBatchSync } from "../../protocol/records/record-batch.js";
import type { Broker } from "../../broker/broker.js";
import type { BrokerComponent } from "../../broker/components.js";
import { CoordinatorError } from "../errors.js";
import type { GroupCoordinator } from "../group-coordinator.js";
import {
  decodeTxnKey,
  decodeTxnValue,
  encodeTxnKey,
  encodeTxnValue,
  TxnState,
  type TxnStateCode,
} from "./state-log.js";

export const TRANSACTION_STATE_TOPIC = "__transaction_state";
const OFFSETS_TOPIC = "__consumer_offsets";
const COORDINATOR_EPOCH = 0;
const MAX_EPOCH = 32767;
const PRODUCER_ID_BLOCK = 1000n;
const PRODUCER_ID_FILE = "producer-id-block";
/** How long EndTxn waits for its markers before answering anyway (they keep being retried). */
const MARKER_WAIT_MS = 5000;

export interface TxnMetadata {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  /**
   * The epoch before a KIP-360 bump (InitProducerId naming the current epoch), so that a retry of
   * that request is answered with the current epoch instead of being fenced; -1 after any other
   * bump. In memory only, as in Kafka (it is -1 after a restart).
   */
  lastProducerEpoch: number;
  timeoutMs: number;
  state: TxnStateCode;
  /** "topic\u0000partition" */
  partitions: Set<string>;
  startMs: number;
  lastUpdateMs: number;
  /** Markers being written (Prepare* → Complete*). */
  completing?: Promise<void>;
}

const tp = (topic: string, partition: number) => `${topic}\u0000${partition}`;
const splitTp = (k: string): [string, number] => {
  const i = k.lastIndexOf("\u0000");
  return [k.slice(0, i), Number(k.slice(i + 1))];
};

function fail(code: number, message?: string): never {
  throw new CoordinatorError(code, message);
}

export class TransactionCoordinator implements BrokerComponent {
  readonly name = "transactions";
  readonly txns = new Map<string, TxnMetadata>();
  private nextProducerId = -1n;
  private blockEnd = -1n;
  private allocating: Promise<void> | undefined;
  private creating: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private active = false;
  /** Per transactional id, serializes state changes. */
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(private readonly broker: Broker) {}

  private get log() {
    return this.broker.logger;
  }

  // ---------------------------------------------------------------- lifecycle

  async start(): Promise<void> {
    const file = join(this.broker.dataDir, PRODUCER_ID_FILE);
    if (existsSync(file)) {
      const end = BigInt(readFileSync(file, "utf8").trim() || "0");
      this.nextProducerId = end;
      this.blockEnd = end;
    } else {
      this.nextProducerId = 0n;
      this.blockEnd = 0n;
    }
    await this.load();
    this.active = true;
    const interval = this.broker.config.number("transaction.abort.timed.out.transaction.cleanup.interval.ms");
    this.timer = setInterval(() => void this.abortTimedOut(), interval);
    this.timer.unref();
    // Transactions caught between Prepare* and Complete* by a crash are completed now.
    for (const m of this.txns.values()) {
      if (m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort) this.complete(m);
    }
  }

  async close(): Promise<void> {
    this.active = false;
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([...this.txns.values()].map((m) => m.completing));
  }

  /** Replays `__transaction_state`: the last record of each transactional id wins. */
  private async load(): Promise<void> {
    const topic = this.broker.topic(TRANSACTION_STATE_TOPIC);
    if (!topic) return;
    for (let p = 0; p < topic.partitions; p++) {
      const log = this.broker.partitionLog(TRANSACTION_STATE_TOPIC, p);
      if (!log) continue;
      let offset = log.logStartOffset;
      const end = log.highWatermark;
      while (offset < end) {
        const res = await log.read(offset, 4 << 20, { maxOffset: end });
        if (res.records.length === 0) break;
        const batches = await decodeRecordBatches(Buffer.concat(res.records));
        if (batches.length === 0) break;
        for (const b of batches) {
          offset = b.header.baseOffset + BigInt(b.header.lastOffsetDelta) + 1n;
          if ((b.header.attributes & ATTR.CONTROL) !== 0) continue;
          for (const r of b.records) {
            if (!r.key) continue;
            try {
              const id = decodeTxnKey(r.key);
              if (!r.value) {
                this.txns.delete(id);
                continue;
              }
              const v = decodeTxnValue(r.value);
              const partitions = new Set<string>();
              for (const t of v.partitions) for (const q of t.partitions) partitions.add(tp(t.topic, q));
              this.txns.set(id, {
                transactionalId: id,
                producerId: v.producerId,
                producerEpoch: v.producerEpoch,
                lastProducerEpoch: -1,
                timeoutMs: v.timeoutMs,
                state: v.state,
                partitions,
                startMs: Number(v.startMs),
                lastUpdateMs: Number(v.lastUpdateMs),
              });
              if (v.producerId >= this.nextProducerId) {
                this.nextProducerId = v.producerId + 1n;
                if (this.nextProducerId > this.blockEnd) this.blockEnd = this.nextProducerId;
              }
            } catch (e) {
              this.log.warn(
                { err: (e as Error).message },
                "skipping an unreadable __transaction_state record",
              );
            }
          }
        }
      }
    }
  }

  // ---------------------------------------------------------------- producer ids

  /** A producer id never handed out before, across restarts (blocks are persisted before use). */
  async allocateProducerId(): Promise<bigint> {
    while (this.nextProducerId >= this.blockEnd) {
      this.allocating ??= (async () => {
        const end = this.blockEnd + PRODUCER_ID_BLOCK;
        const file = join(this.broker.dataDir, PRODUCER_ID_FILE);
        const h = await fsp.open(`${file}.tmp`, "w");
        try {
          await h.writeFile(`${end}\n`);
          await h.sync();
        } finally {
          await h.close();
        }
        await fsp.rename(`${file}.tmp`, file);
        this.blockEnd = end;
      })().finally(() => {
        this.allocating = undefined;
      });
      await this.allocating;
    }
    return this.nextProducerId++;
  }

  // ---------------------------------------------------------------- the state topic

  private ensureTopic(): Promise<void> {
    if (this.broker.topic(TRANSACTION_STATE_TOPIC)) return Promise.resolve();
    this.creating ??= (async () => {
      try {
        const cfg = this.broker.config;
        await this.broker.createTopic(
          TRANSACTION_STATE_TOPIC,
          cfg.number("transaction.state.log.num.partitions"),
          1,
          // Kafka's configs for this topic (kafka-configs --describe shows them).
          {
            "cleanup.policy": "compact",
            "compression.type": "uncompressed",
            "min.insync.replicas": String(cfg.number("transaction.state.log.min.isr")),
            "segment.bytes": String(cfg.number("transaction.state.log.segment.bytes")),
            "unclean.leader.election.enable": "false",
          },
          { internal: true },
        );
      } catch (e) {
        if (!this.broker.topic(TRANSACTION_STATE_TOPIC))
          fail(
            ErrorCode.COORDINATOR_NOT_AVAILABLE,
            `cannot create ${TRANSACTION_STATE_TOPIC}: ${(e as Error).message}`,
          );
      } finally {
        this.creating = undefined;
      }
    })();
    return this.creating;
  }

  /** FindCoordinator for a transactional id: the state topic exists before this node is named. */
  async ensureReady(): Promise<number> {
    if (!this.active) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    try {
      await this.ensureTopic();
      return ErrorCode.NONE;
    } catch (e) {
      return (e as CoordinatorError).errorCode ?? ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
  }

  /** Writes the transactional id's state durably. */
  private async persist(m: TxnMetadata, state: TxnStateCode = m.state): Promise<void> {
    await this.ensureTopic();
    const topic = this.broker.topic(TRANSACTION_STATE_TOPIC)!;
    const log = this.broker.partitionLog(
      TRANSACTION_STATE_TOPIC,
      partitionFor(m.transactionalId, topic.partitions),
    );
    if (!log) fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const byTopic = new Map<string, number[]>();
    for (const k of m.partitions) {
      const [t, p] = splitTp(k);
      if (!byTopic.has(t)) byTopic.set(t, []);
      byTopic.get(t)!.push(p);
    }
    const now = Date.now();
    const value = encodeTxnValue({
      producerId: m.producerId,
      producerEpoch: m.producerEpoch,
      timeoutMs: m.timeoutMs,
      state,
      partitions: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
      lastUpdateMs: BigInt(now),
      startMs: BigInt(m.startMs),
    });
    const batch = encodeRecordBatchSync({
      records: [{ key: encodeTxnKey(m.transactionalId), value, timestamp: now }],
      baseTimestamp: now,
    });
    try {
      await log.append(batch, { durable: true, now, origin: "internal" });
    } catch (e) {
      fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, `cannot write transaction state: ${(e as Error).message}`);
    }
    m.state = state;
    m.lastUpdateMs = now;
  }

  private async locked<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => {});
    this.locks.set(id, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    }
  }

  // ---------------------------------------------------------------- InitProducerId

  async initProducerId(req: {
    transactionalId: string | null;
    transactionTimeoutMs: number;
    producerId: bigint;
    producerEpoch: number;
  }): Promise<{ producerId: bigint; producerEpoch: number }> {
    if (!this.active) fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    // KIP-360 names the producer's id and epoch together, or neither (-1, -1): Kafka's KafkaApis
    // refuses one without the other before the coordinator sees it.
    const expected = req.producerId !== -1n;
    if (expected !== (req.producerEpoch !== -1))
      fail(ErrorCode.INVALID_REQUEST, "producer id and epoch must be set together");
    if (req.transactionalId === null)
      return { producerId: await this.allocateProducerId(), producerEpoch: 0 };
    if (req.transactionalId === "") fail(ErrorCode.INVALID_REQUEST, "empty transactional id");
    const max = this.broker.config.number("transaction.max.timeout.ms");
    if (req.transactionTimeoutMs <= 0 || req.transactionTimeoutMs > max) {
      fail(ErrorCode.INVALID_TRANSACTION_TIMEOUT, `transaction timeout must be in (0, ${max}] ms`);
    }
    const id = req.transactionalId;
    return this.locked(id, async () => {
      let m = this.txns.get(id);
      if (!m) {
        m = {
          transactionalId: id,
          producerId: await this.allocateProducerId(),
          producerEpoch: 0,
          lastProducerEpoch: -1,
          timeoutMs: req.transactionTimeoutMs,
          state: TxnState.Empty,
          partitions: new Set(),
          startMs: -1,
          lastUpdateMs: Date.now(),
        };
        await this.persist(m);
        this.txns.set(id, m);
        return { producerId: m.producerId, producerEpoch: m.producerEpoch };
      }
      // Kafka's order (TransactionCoordinator.prepareInitProducerIdTransit): a KIP-360 request naming
      // another producer id is fenced whatever the state; its epoch is only checked when the epoch
      // is bumped (Empty/Complete*), an open transaction being aborted first in any case.
      if (expected && req.producerId !== m.producerId) fail(ErrorCode.PRODUCER_FENCED);
      if (m.completing || m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort)
        fail(ErrorCode.CONCURRENT_TRANSACTIONS);
      if (m.state === TxnState.Ongoing) {
        // A new incarnation fences the old one: its transaction is aborted under a bumped epoch,
        // and the client retries (CONCURRENT_TRANSACTIONS) until that is done.
        await this.bumpEpoch(m);
        m.lastProducerEpoch = -1;
        await this.persist(m, TxnState.PrepareAbort);
        this.complete(m);
        fail(ErrorCode.CONCURRENT_TRANSACTIONS);
      }
      if (expected && req.producerEpoch !== m.producerEpoch) {
        // KIP-360: only the current epoch may be bumped. The epoch before the last KIP-360 bump is
        // a retry of that request (its answer was lost): it gets the current epoch, not bumped
        // again. Any other epoch, older or newer, belongs to a fenced producer.
        if (m.lastProducerEpoch < 0 || req.producerEpoch !== m.lastProducerEpoch)
          fail(ErrorCode.PRODUCER_FENCED);
      } else {
        const before = { producerId: m.producerId, producerEpoch: m.producerEpoch };
        await this.bumpEpoch(m);
        // Remembered only for a KIP-360 bump of the same producer id (Kafka also remembers the
        // previous id across an id rotation; Brook does not: such a retry is fenced).
        m.lastProducerEpoch = expected && m.producerId === before.producerId ? before.producerEpoch : -1;
      }
      m.timeoutMs = req.transactionTimeoutMs;
      m.partitions.clear();
      m.startMs = -1;
      await this.persist(m, TxnState.Empty);
      return { producerId: m.producerId, producerEpoch: m.producerEpoch };
    });
  }

  private async bumpEpoch(m: TxnMetadata): Promise<void> {
    if (m.producerEpoch + 1 >= MAX_EPOCH) {
      m.producerId = await this.allocateProducerId();
      m.producerEpoch = 0;
    } else m.producerEpoch++;
  }

  // ---------------------------------------------------------------- AddPartitions / AddOffsets

  /** Checks a request's producer against the transactional id (Kafka's order of checks). */
  private validate(id: string, producerId: bigint, producerEpoch: number): TxnMetadata {
    if (!this.active) fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (id === "") fail(ErrorCode.INVALID_REQUEST, "empty transactional id");
    const m = this.txns.get(id);
    if (!m || m.producerId !== producerId) fail(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    // Transaction version 1: a client never bumps its epoch itself, so anything but the current
    // epoch, older (a zombie) or newer, is PRODUCER_FENCED (Kafka's handleAddPartitionsToTransaction
    // and, for EndTxn, endTransaction's isValidEpoch for clients).
    if (producerEpoch !== m.producerEpoch) fail(ErrorCode.PRODUCER_FENCED);
    return m;
  }

  /** Adds partitions to the producer's transaction (starting it); the state is durable on return. */
  async addPartitions(
    id: string,
    producerId: bigint,
    producerEpoch: number,
    partitions: Array<{ topic: string; partition: number }>,
  ): Promise<void> {
    return this.locked(id, async () => {
      const m = this.validate(id, producerId, producerEpoch);
      if (m.completing || m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort)
        fail(ErrorCode.CONCURRENT_TRANSACTIONS);
      const fresh = partitions.filter((p) => !m.partitions.has(tp(p.topic, p.partition)));
      if (fresh.length === 0 && m.state === TxnState.Ongoing) return;
      if (m.state !== TxnState.Ongoing) {
        m.partitions.clear();
        m.startMs = Date.now();
      }
      for (const p of fresh) m.partitions.add(tp(p.topic, p.partition));
      await this.persist(m, TxnState.Ongoing);
    });
  }

  /** The error for each partition that does not exist (Kafka answers for unknown topics). */
  unknownPartitions(list: Array<{ topic: string; partition: number }>): Set<string> {
    const out = new Set<string>();
    for (const p of list) {
      const t = this.broker.topic(p.topic);
      if (!t || p.partition < 0 || p.partition >= t.partitions) out.add(tp(p.topic, p.partition));
    }
    return out;
  }

  async addOffsets(id: string, producerId: bigint, producerEpoch: number, groupId: string): Promise<void> {
    const groups = this.broker.component<GroupCoordinator>("groups");
    const ready = await groups.ensureReady();
    if (ready !== ErrorCode.NONE) fail(ready);
    await this.addPartitions(id, producerId, producerEpoch, [
      { topic: OFFSETS_TOPIC, partition: groups.topic.partitionFor(groupId) },
    ]);
  }

  /**
   * KIP-890 verification, with the coordinator's codes (AddPartitionsToTxn v4+ `verifyOnly`): is the
   * partition in the transaction of this producer id and epoch? As Kafka's
   * TransactionCoordinator.handleVerifyPartitionsInTransaction: unknown id or another producer id
   * INVALID_PRODUCER_ID_MAPPING, any other epoch (older or newer) PRODUCER_FENCED, markers being
   * written CONCURRENT_TRANSACTIONS, a partition not in the transaction TRANSACTION_ABORTABLE.
   */
  checkPartition(
    id: string,
    producerId: bigint,
    producerEpoch: number,
    topic: string,
    partition: number,
  ): number {
    if (id === "") return ErrorCode.INVALID_REQUEST;
    const m = this.txns.get(id);
    if (!m || m.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (producerEpoch !== m.producerEpoch) return ErrorCode.PRODUCER_FENCED;
    if (m.completing || m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort)
      return ErrorCode.CONCURRENT_TRANSACTIONS;
    // Partitions are cleared when a transaction completes, so only an open one has any.
    return m.partitions.has(tp(topic, partition)) ? ErrorCode.NONE : ErrorCode.TRANSACTION_ABORTABLE;
  }

  /**
   * The same check for a transactional Produce batch, with the codes a producer gets: Kafka's broker
   * translates the coordinator's answer (AddPartitionsToTxnManager: PRODUCER_FENCED becomes
   * INVALID_PRODUCER_EPOCH, TRANSACTION_ABORTABLE becomes INVALID_TXN_STATE below Produce v12;
   * ReplicaManager: CONCURRENT_TRANSACTIONS becomes the retriable NOT_ENOUGH_REPLICAS). So a zombie
   * with an older epoch, or a batch naming a newer epoch than the coordinator handed out, is refused
   * with INVALID_PRODUCER_EPOCH before it reaches the log.
   */
  verifyPartition(
    id: string,
    producerId: bigint,
    producerEpoch: number,
    topic: string,
    partition: number,
  ): number {
    const code = this.checkPartition(id, producerId, producerEpoch, topic, partition);
    switch (code) {
      case ErrorCode.PRODUCER_FENCED:
        return ErrorCode.INVALID_PRODUCER_EPOCH;
      case ErrorCode.TRANSACTION_ABORTABLE:
        return ErrorCode.INVALID_TXN_STATE; // Brook serves Produce up to v11
      case ErrorCode.CONCURRENT_TRANSACTIONS:
        return ErrorCode.NOT_ENOUGH_REPLICAS;
      default:
        return code;
    }
  }

  /** TxnOffsetCommit's producer check: the group's offsets partition must be in the transaction. */
  verifyOffsetCommit(id: string, producerId: bigint, producerEpoch: number, groupId: string): number {
    const m = this.txns.get(id);
    if (!m || m.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (producerEpoch !== m.producerEpoch) return ErrorCode.PRODUCER_FENCED;
    const groups = this.broker.component<GroupCoordinator>("groups");
    if (
      m.state !== TxnState.Ongoing ||
      !m.partitions.has(tp(OFFSETS_TOPIC, groups.topic.partitionFor(groupId)))
    )
      return ErrorCode.INVALID_TXN_STATE;
    return ErrorCode.NONE;
  }

  // ---------------------------------------------------------------- EndTxn

  async endTxn(id: string, producerId: bigint, producerEpoch: number, commit: boolean): Promise<void> {
    return this.locked(id, async () => {
      const m = this.validate(id, producerId, producerEpoch);
      const want = commit ? TxnState.PrepareCommit : TxnState.PrepareAbort;
      const done = commit ? TxnState.CompleteCommit : TxnState.CompleteAbort;
      switch (m.state) {
        case TxnState.Ongoing:
          await this.persist(m, want);
          // Kafka answers once Prepare* is logged and writes the markers afterwards; clients that
          // start the next transaction at once then meet CONCURRENT_TRANSACTIONS and back off
          // (KafkaJS by 100 ms or more). On one node the markers are local appends, so Brook answers
          // after them: the next transaction starts at once, and read_committed consumers already
          // see the committed records when commit() returns.
          // If markers keep failing (they are retried), answer after a bound as Kafka would have.
          this.complete(m);
          await Promise.race([m.completing, new Promise((r) => setTimeout(r, MARKER_WAIT_MS).unref())]);
          return;
        case TxnState.PrepareCommit:
        case TxnState.PrepareAbort:
          if (m.state === want) fail(ErrorCode.CONCURRENT_TRANSACTIONS);
          fail(ErrorCode.INVALID_TXN_STATE);
          break;
        case TxnState.CompleteCommit:
        case TxnState.CompleteAbort:
          // A retry of the EndTxn that completed it is answered as success.
          if (m.state === done) return;
          fail(ErrorCode.INVALID_TXN_STATE);
          break;
        default:
          fail(ErrorCode.INVALID_TXN_STATE);
      }
    });
  }

  /** Writes the markers of a Prepare* transaction, then Complete* (in the background; retried). */
  private complete(m: TxnMetadata): void {
    if (m.completing) return;
    const commit = m.state === TxnState.PrepareCommit;
    const run = async () => {
      for (let attempt = 0; ; attempt++) {
        const results = await Promise.all(
          [...m.partitions].map(async (k) => {
            const [topic, partition] = splitTp(k);
            if (!this.broker.topic(topic)) return ErrorCode.NONE; // deleted since: nothing to mark
            return this.broker.writeTxnMarker({
              producerId: m.producerId,
              producerEpoch: m.producerEpoch,
              coordinatorEpoch: COORDINATOR_EPOCH,
              commit,
              topic,
              partition,
            });
          }),
        );
        const bad = results.find((c) => c !== ErrorCode.NONE && c !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        if (bad === undefined) break;
        if (!this.active) return;
        this.log.warn(
          { transactionalId: m.transactionalId, errorCode: bad, attempt },
          "retrying transaction markers",
        );
        await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** attempt)));
      }
      m.partitions.clear();
      await this.persist(m, commit ? TxnState.CompleteCommit : TxnState.CompleteAbort);
    };
    m.completing = run()
      .catch((e: unknown) =>
        this.log.error({ err: e, transactionalId: m.transactionalId }, "completing a transaction failed"),
      )
      .finally(() => {
        m.completing = undefined;
      });
  }

  /** Aborts Ongoing transactions older than their timeout, fencing the producer (epoch bump). */
  private async abortTimedOut(): Promise<void> {
    if (!this.active) return;
    const now = Date.now();
    for (const m of this.txns.values()) {
      if (m.state !== TxnState.Ongoing || m.completing || now - m.startMs <= m.timeoutMs) continue;
      await this.locked(m.transactionalId, async () => {
        if (m.state !== TxnState.Ongoing) return;
        this.log.info({ transactionalId: m.transactionalId }, "aborting a timed-out transaction");
        await this.bumpEpoch(m);
        m.lastProducerEpoch = -1;
        await this.persist(m, TxnState.PrepareAbort);
        this.complete(m);
      }).catch((e: unknown) => this.log.warn({ err: String(e) }, "could not abort a timed-out transaction"));
    }
  }

  // ---------------------------------------------------------------- describe / list

  describe(id: string): TxnMetadata | undefined {
    return this.txns.get(id);
  }
}
