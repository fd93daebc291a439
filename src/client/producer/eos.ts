/**
 * Exactly-once state: the producer id and epoch (InitProducerId), and for a transactional producer
 * the transaction state machine with its coordinator requests (AddPartitionsToTxn, AddOffsetsToTxn,
 * TxnOffsetCommit, EndTxn).
 *
 * Sequence numbers are not kept here: the sender assigns them per partition when it closes a batch
 * (see sender.ts). `generation` counts producer id/epoch changes so the sender knows when a
 * partition's sequence must restart at 0.
 *
 * Versions: AddPartitionsToTxn is capped at v3 and EndTxn at v4. Higher versions belong to
 * KIP-890's second phase (brokers verifying partitions themselves, an epoch bump at every EndTxn),
 * which needs Produce v12; Brook's codec stops at Produce v11, so the producer speaks the first
 * phase's protocol, as the Java client does against a broker without transaction version 2.
 */
import assert from "node:assert";
import { ErrorCode } from "../../protocol/error-codes.js";
import {
  AddOffsetsToTxn,
  AddPartitionsToTxn,
  EndTxn,
  InitProducerId,
  TxnOffsetCommit,
} from "../../protocol/messages/index.js";
import type { Broker, Cluster } from "../cluster/index.js";
import {
  type ConsumerGroupMetadata,
  findGroupMember,
  GROUP_FENCING_CODES,
  type GroupMember,
  type GroupMetadataProvider,
  hasGeneration,
  memberOf,
} from "../consumer/group-metadata.js";
import { KafkaJSNonRetriableError, type KafkaJSProtocolError, protocolError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { Retrier } from "../retry.js";
import type { Offsets } from "../types.js";

/**
 * `transaction.sendOffsets`: KafkaJS's `{ consumerGroupId, topics }`, or Brook's `{ consumer, topics }`
 * with the consumer whose records were processed (its group metadata goes with the offsets, KIP-447).
 */
export type SendOffsetsOptions = Offsets &
  (
    | { consumerGroupId: string; consumer?: GroupMetadataProvider }
    | { consumer: GroupMetadataProvider; consumerGroupId?: string }
  );

const MAX_ADD_PARTITIONS_VERSION = 3;
const MAX_END_TXN_VERSION = 4;

/**
 * Kafka answers PRODUCER_FENCED (90) to clients new enough to know it; KafkaJS only ever saw
 * INVALID_PRODUCER_EPOCH (47) for the same event, and applications written for it test that type.
 */
export function kafkajsErrorCode(code: number): number {
  return code === ErrorCode.PRODUCER_FENCED ? ErrorCode.INVALID_PRODUCER_EPOCH : code;
}

export function producerError(code: number, detail?: string | null): KafkaJSProtocolError {
  return protocolError(kafkajsErrorCode(code), detail);
}

/** Errors after which this producer id can never write again: another producer took it over. */
export function isFencing(code: number): boolean {
  return (
    code === ErrorCode.INVALID_PRODUCER_EPOCH ||
    code === ErrorCode.PRODUCER_FENCED ||
    code === ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED ||
    code === ErrorCode.INVALID_PRODUCER_ID_MAPPING
  );
}

const COORDINATOR_MOVED = new Set<number>([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE]);

/** Retried by InitProducerId/AddPartitions/AddOffsets/EndTxn besides the coordinator moving. */
const COORDINATOR_BUSY = new Set<number>([
  ErrorCode.CONCURRENT_TRANSACTIONS,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
]);

/** Protocol errors from a coordinator that are worth another attempt; the others stop the retrier. */
function coordinatorRetriable(code: number): boolean {
  return COORDINATOR_MOVED.has(code) || COORDINATOR_BUSY.has(code);
}

export const TransactionState = {
  UNINITIALIZED: "UNINITIALIZED",
  READY: "READY",
  TRANSACTING: "TRANSACTING",
  COMMITTING: "COMMITTING",
  ABORTING: "ABORTING",
} as const;
export type TransactionState = (typeof TransactionState)[keyof typeof TransactionState];

const TRANSITIONS: Record<TransactionState, readonly TransactionState[]> = {
  UNINITIALIZED: ["READY"],
  READY: ["READY", "TRANSACTING"],
  TRANSACTING: ["COMMITTING", "ABORTING"],
  // Back to TRANSACTING when EndTxn fails, so the application can still abort (Brook; KafkaJS stays stuck).
  COMMITTING: ["READY", "TRANSACTING"],
  ABORTING: ["READY", "TRANSACTING"],
};

export interface EosOptions {
  cluster: Cluster;
  logger: Logger;
  retrier: Retrier;
  /** Null for the plain idempotent producer. */
  transactionalId: string | null;
  transactionTimeout: number;
}

/** What the sender needs from the exactly-once state. */
export interface ProducerIdentity {
  readonly transactionalId: string | null;
  producerId: bigint;
  producerEpoch: number;
  generation: number;
  isInitialized(): boolean;
  /** InitProducerId (once at a time); later calls replace the id, e.g. after a sequence was lost. */
  initProducerId(): Promise<void>;
}

export class EosManager implements ProducerIdentity {
  readonly transactionalId: string | null;
  producerId = -1n;
  producerEpoch = -1;
  generation = 0;
  private initializing: Promise<void> | null = null;
  private state: TransactionState = TransactionState.UNINITIALIZED;
  private readonly cluster: Cluster;
  private readonly logger: Logger;
  private readonly retrier: Retrier;
  private readonly transactionTimeout: number;
  /** "topic\0partition" of the partitions already added to the ongoing transaction. */
  private readonly partitionsInTxn = new Set<string>();
  private offsetsAdded = false;
  /** Fencing and other fatal errors: every later transactional call fails with it. */
  private fatalError: Error | null = null;
  /** A batch of this transaction was lost: commit must fail, abort must then renew the epoch. */
  private abortableError: Error | null = null;

  constructor(opts: EosOptions) {
    this.cluster = opts.cluster;
    this.logger = opts.logger;
    this.retrier = opts.retrier;
    this.transactionalId = opts.transactionalId;
    this.transactionTimeout = opts.transactionTimeout;
  }

  isInitialized(): boolean {
    return this.producerId !== -1n;
  }

  isTransactional(): boolean {
    return this.transactionalId !== null;
  }

  isInTransaction(): boolean {
    return this.state === TransactionState.TRANSACTING;
  }

  currentState(): TransactionState {
    return this.state;
  }

  private transitionTo(next: TransactionState): void {
    if (!TRANSITIONS[this.state].includes(next)) {
      throw new KafkaJSNonRetriableError(
        `Transaction state exception: Invalid transition ${this.state} --> ${next}`,
      );
    }
    this.logger.debug(`Transaction state transition ${this.state} --> ${next}`);
    this.state = next;
    if (next === TransactionState.READY) {
      this.partitionsInTxn.clear();
      this.offsetsAdded = false;
      this.abortableError = null;
    }
  }

  /** KafkaJS's guard message for a call in the wrong state. */
  private guard(method: string, legal: readonly TransactionState[]): void {
    if (this.fatalError) throw this.fatalError;
    if (!legal.includes(this.state)) {
      throw new KafkaJSNonRetriableError(
        `Transaction state exception: Cannot call "${method}" in state "${this.state}"`,
      );
    }
  }

  private coordinator(): Promise<Broker> {
    return this.cluster.coordinator(this.transactionalId!, "TRANSACTION");
  }

  /** Records a coordinator error: forgets a moved coordinator, remembers fencing. Returns the error. */
  private coordinatorError(code: number, detail?: string | null): KafkaJSProtocolError {
    if (COORDINATOR_MOVED.has(code) && this.transactionalId !== null) {
      this.cluster.forgetCoordinator(this.transactionalId, "TRANSACTION");
    }
    const err = producerError(code, detail);
    if (isFencing(code)) this.fatalError = err;
    return err;
  }

  initProducerId(): Promise<void> {
    if (this.fatalError) return Promise.reject(this.fatalError);
    if (this.transactionalId !== null) {
      try {
        this.guard("initProducerId", [TransactionState.UNINITIALIZED, TransactionState.READY]);
      } catch (e) {
        return Promise.reject(e);
      }
    }
    this.initializing ??= this.doInitProducerId().finally(() => {
      this.initializing = null;
    });
    return this.initializing;
  }

  private async doInitProducerId(): Promise<void> {
    const transactional = this.transactionalId !== null;
    await this.retrier(async (bail) => {
      await this.cluster.refreshMetadataIfNecessary();
      // Any broker hands out a plain idempotent id; a transactional id belongs to its coordinator.
      const broker = transactional ? await this.coordinator() : await this.cluster.anyBroker();
      const res = await broker.request(InitProducerId, {
        transactionalId: this.transactionalId,
        transactionTimeoutMs: this.transactionTimeout,
      });
      if (res.errorCode !== ErrorCode.NONE) {
        const err = this.coordinatorError(res.errorCode);
        if (res.errorCode === ErrorCode.CONCURRENT_TRANSACTIONS) {
          // The coordinator is aborting the previous owner's open transaction; it answers once done.
          this.logger.debug("There is an ongoing transaction on this transactionId, retrying", {
            transactionalId: this.transactionalId,
          });
        }
        if (!coordinatorRetriable(res.errorCode)) bail(err);
        throw err;
      }
      this.producerId = res.producerId;
      this.producerEpoch = res.producerEpoch;
      this.generation++;
      this.logger.debug("Initialized producer id & epoch", {
        producerId: String(res.producerId),
        producerEpoch: res.producerEpoch,
      });
    });
    if (transactional && this.state === TransactionState.UNINITIALIZED)
      this.transitionTo(TransactionState.READY);
  }

  beginTransaction(): void {
    this.guard("beginTransaction", [TransactionState.READY]);
    this.transitionTo(TransactionState.TRANSACTING);
  }

  isPartitionAdded(key: string): boolean {
    return this.partitionsInTxn.has(key);
  }

  /** AddPartitionsToTxn for partitions about to get their first batch of this transaction. */
  async addPartitionsToTransaction(
    partitions: Array<{ topic: string; partition: number; key: string }>,
  ): Promise<void> {
    this.guard("addPartitionsToTransaction", [
      TransactionState.TRANSACTING,
      TransactionState.COMMITTING,
      TransactionState.ABORTING,
    ]);
    const fresh = partitions.filter((p) => !this.partitionsInTxn.has(p.key));
    if (fresh.length === 0) return;
    const byTopic = new Map<string, number[]>();
    for (const { topic, partition } of fresh) {
      const list = byTopic.get(topic);
      if (list) list.push(partition);
      else byTopic.set(topic, [partition]);
    }
    const topics = Array.from(byTopic, ([name, ps]) => ({ name, partitions: ps }));
    await this.retrier(async (bail) => {
      const broker = await this.coordinator();
      const version = Math.min(broker.versionOf(AddPartitionsToTxn), MAX_ADD_PARTITIONS_VERSION);
      const res = await broker.request(
        AddPartitionsToTxn,
        {
          v3AndBelowTransactionalId: this.transactionalId!,
          v3AndBelowProducerId: this.producerId,
          v3AndBelowProducerEpoch: this.producerEpoch,
          v3AndBelowTopics: topics,
        },
        { version },
      );
      // OPERATION_NOT_ATTEMPTED marks the partitions skipped because another one failed.
      let failure = 0;
      for (const t of res.resultsByTopicV3AndBelow) {
        for (const p of t.resultsByPartition) {
          if (
            p.partitionErrorCode !== ErrorCode.NONE &&
            p.partitionErrorCode !== ErrorCode.OPERATION_NOT_ATTEMPTED
          ) {
            failure = p.partitionErrorCode;
          }
        }
      }
      if (failure !== 0) {
        const err = this.coordinatorError(failure);
        if (!coordinatorRetriable(failure)) bail(err);
        throw err;
      }
    });
    for (const p of fresh) this.partitionsInTxn.add(p.key);
  }

  /** Called by the sender when a batch of the ongoing transaction failed for good. */
  markAbortable(e: Error): void {
    this.abortableError ??= e;
    if (isFencing((e as KafkaJSProtocolError).code ?? 0)) this.fatalError ??= e;
  }

  /**
   * AddOffsetsToTxn, then TxnOffsetCommit with the consumer's group metadata (KIP-447) when one is
   * known: the consumer passed in, or else the running consumer of `consumerGroupId` in this process
   * that owns the partitions (group-metadata.ts). Without one the request carries generation -1 and
   * no member, as KafkaJS's does, and the coordinator cannot tell a current member from a zombie.
   */
  async sendOffsets(options: SendOffsetsOptions): Promise<void> {
    const { consumerGroupId, consumer, topics } = options as Offsets & {
      consumerGroupId?: string;
      consumer?: GroupMetadataProvider;
    };
    if (consumer == null) assert(consumerGroupId, "Missing consumerGroupId");
    assert(topics, "Missing offset topics");
    this.guard("sendOffsets", [TransactionState.TRANSACTING]);
    // Read once, before any request: the identity under which the application consumed the input.
    const listed = consumer != null ? memberOf(consumer) : undefined;
    let metadata: ConsumerGroupMetadata | null = null;
    let member: GroupMember | null = listed ?? null;
    if (consumer != null) {
      if (typeof consumer.groupMetadata !== "function") {
        throw new KafkaJSNonRetriableError("sendOffsets: consumer must have groupMetadata()");
      }
      metadata = (listed ?? consumer).groupMetadata();
      if (consumerGroupId && consumerGroupId !== metadata.groupId) {
        throw new KafkaJSNonRetriableError(
          `sendOffsets: consumerGroupId "${consumerGroupId}" is not the consumer's group "${metadata.groupId}"`,
        );
      }
    } else {
      member = findGroupMember(
        consumerGroupId!,
        topics.flatMap(({ topic, partitions }) => partitions.map(({ partition }) => ({ topic, partition }))),
      );
      metadata = member?.groupMetadata() ?? null;
    }
    const groupId = metadata?.groupId ?? consumerGroupId!;
    if (metadata && !hasGeneration(metadata)) metadata = null;
    // The consumer may have rejoined since it handed out these records, under a generation that
    // gave the partitions to another member: its current metadata would then pass the coordinator's
    // check and commit offsets (and output) the new owner is producing too. Offsets for partitions
    // the consumer no longer owns are refused here, as the coordinator refuses a stale generation.
    if (member && metadata) {
      const lost = topics.flatMap(({ topic, partitions }) =>
        partitions
          .filter(({ partition }) => !member.owns(topic, partition))
          .map(({ partition }) => `${topic}-${partition}`),
      );
      if (lost.length > 0) {
        const err = producerError(
          ErrorCode.ILLEGAL_GENERATION,
          `the consumer no longer owns ${lost.join(", ")}: its offsets and output belong to the partitions' new owner`,
        );
        this.logger.warn("sendOffsets for partitions the consumer has given up", {
          groupId,
          partitions: lost,
        });
        this.markAbortable(err);
        throw err;
      }
    }

    await this.retrier(async (bail) => {
      const broker = await this.coordinator();
      const res = await broker.request(AddOffsetsToTxn, {
        transactionalId: this.transactionalId!,
        producerId: this.producerId,
        producerEpoch: this.producerEpoch,
        groupId,
      });
      if (res.errorCode !== ErrorCode.NONE) {
        const err = this.coordinatorError(res.errorCode);
        if (!coordinatorRetriable(res.errorCode)) bail(err);
        throw err;
      }
    });
    this.offsetsAdded = true;
    const request = {
      transactionalId: this.transactionalId!,
      groupId,
      producerId: this.producerId,
      producerEpoch: this.producerEpoch,
      generationId: metadata?.generationId ?? -1,
      memberId: metadata?.memberId ?? "",
      groupInstanceId: metadata?.groupInstanceId ?? null,
      topics: topics.map(({ topic, partitions }) => ({
        name: topic,
        partitions: partitions.map(({ partition, offset }) => ({
          partitionIndex: partition,
          committedOffset: BigInt(offset),
          committedLeaderEpoch: -1,
          committedMetadata: null,
        })),
      })),
    };
    await this.retrier(async (bail) => {
      const broker = await this.cluster.coordinator(groupId, "GROUP");
      const version = broker.versionOf(TxnOffsetCommit);
      // Group metadata travels from v3 (Kafka 2.5) on; below it the fencing cannot be had.
      if (metadata && version < 3) {
        if (consumer != null) {
          bail(
            new KafkaJSNonRetriableError(
              `The broker's TxnOffsetCommit v${version} cannot carry the consumer's group metadata (v3+, Kafka 2.5+)`,
            ),
          );
        }
        this.logger.warn("TxnOffsetCommit below v3: offsets sent without the consumer's group metadata", {
          groupId,
        });
      }
      const res = await broker.request(TxnOffsetCommit, request, { version });
      for (const t of res.topics) {
        for (const p of t.partitions) {
          if (p.errorCode === ErrorCode.NONE) continue;
          if (COORDINATOR_MOVED.has(p.errorCode)) this.cluster.forgetCoordinator(groupId, "GROUP");
          const err = producerError(p.errorCode);
          if (isFencing(p.errorCode)) this.fatalError = err;
          if (metadata && GROUP_FENCING_CODES.has(p.errorCode)) {
            // This member has been replaced in its group: these offsets must not be committed, nor
            // the output that goes with them. The consumer learns it is out, as from a refused commit.
            this.logger.warn("The group coordinator refused the offsets of a member no longer in the group", {
              groupId,
              memberId: metadata.memberId,
              generationId: metadata.generationId,
              groupInstanceId: metadata.groupInstanceId,
              error: err.message,
            });
            this.markAbortable(err);
            member?.fenced(p.errorCode, metadata);
            bail(err);
          }
          const retriable =
            COORDINATOR_MOVED.has(p.errorCode) ||
            COORDINATOR_BUSY.has(p.errorCode) ||
            p.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          if (!retriable) bail(err);
          throw err;
        }
      }
    });
  }

  /**
   * Ends the transaction. `flush` waits for every batch of the transaction to be answered first;
   * a commit after a lost batch fails (the application must abort), as in Kafka.
   */
  async endTransaction(commit: boolean, flush: () => Promise<void>): Promise<void> {
    const method = commit ? "commit" : "abort";
    this.guard(method, [TransactionState.TRANSACTING]);
    this.transitionTo(commit ? TransactionState.COMMITTING : TransactionState.ABORTING);
    try {
      await flush();
      if (commit && this.abortableError) {
        throw new KafkaJSNonRetriableError(
          `Cannot commit a transaction in which a send failed; abort it instead: ${this.abortableError.message}`,
          { cause: this.abortableError },
        );
      }
      if (this.fatalError) throw this.fatalError;
      if (this.partitionsInTxn.size > 0 || this.offsetsAdded) {
        await this.endTxn(commit);
      } else {
        this.logger.debug("No partitions or offsets registered, not sending EndTxn");
      }
    } catch (e) {
      if (this.state !== TransactionState.TRANSACTING) this.transitionTo(TransactionState.TRANSACTING);
      throw e;
    }
    const renewEpoch = !commit && this.abortableError !== null;
    this.transitionTo(TransactionState.READY);
    // A lost batch left a hole in some partition's sequence: a new epoch restarts every sequence at 0.
    if (renewEpoch) await this.initProducerId();
  }

  private async endTxn(committed: boolean): Promise<void> {
    await this.retrier(async (bail) => {
      const broker = await this.coordinator();
      const version = Math.min(broker.versionOf(EndTxn), MAX_END_TXN_VERSION);
      const res = await broker.request(
        EndTxn,
        {
          transactionalId: this.transactionalId!,
          producerId: this.producerId,
          producerEpoch: this.producerEpoch,
          committed,
        },
        { version },
      );
      if (res.errorCode !== ErrorCode.NONE) {
        const err = this.coordinatorError(res.errorCode);
        if (!coordinatorRetriable(res.errorCode)) bail(err);
        throw err;
      }
    });
  }
}
