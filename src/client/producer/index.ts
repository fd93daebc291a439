/**
 * `createProducer`: KafkaJS 2.2.4's producer API (connect, send, sendBatch, transaction, events)
 * on Brook's sender, which merges concurrent sends into one batch per partition and pipelines
 * requests (sender.ts), and on the exactly-once state (eos.ts).
 *
 * As in KafkaJS, plain sends and transactional sends use separate producer ids: the plain one
 * (idempotent producers only) from InitProducerId without a transactional id, the transactional one
 * from the transaction coordinator on the first `transaction()`.
 */
import type { Cluster } from "../cluster/index.js";
import { KafkaJSError, KafkaJSNonRetriableError } from "../errors.js";
import { createOn, InstrumentationEmitter, PRODUCER_EVENTS } from "../instrumentation.js";
import type { Logger } from "../logger.js";
import { Partitioners } from "../partitioners.js";
import type { RetryOptions } from "../retry.js";
import { EosManager, type SendOffsetsOptions } from "./eos.js";
import { mergeTopics, settingsOf, validateBatch } from "./records.js";
import { RecordSender } from "./sender.js";
import type { ICustomPartitioner, RecordMetadata } from "../types.js";
import type { Producer, ProducerBatch, ProducerRecord, Transaction } from "./types.js";

export * from "./types.js";

/**
 * Bytes of records above which concurrent sends to one partition stop joining the same batch.
 * Larger than Kafka's 16 KiB `batch.size` on purpose: an idempotent producer may have only 5
 * batches in flight per partition, so under a backlog the batch size bounds throughput. Measured
 * locally (50,000 concurrent 100-byte idempotent sends to one partition): 16 KiB took 332 Produce
 * requests and ~1.5 s, 128 KiB 42 requests and ~0.4 s, 1 MB 6 requests and no faster. 128 KiB
 * also keeps a merged batch well under the broker's default max.message.bytes (1 MiB) even when
 * multi-byte strings make the size estimate (string length) three times too small.
 */
export const DEFAULT_BATCH_SIZE = 128 * 1024;
export const DEFAULT_TRANSACTION_TIMEOUT = 60000;
/** How long disconnect() waits for accepted records to be answered. */
const DISCONNECT_FLUSH_TIMEOUT = 30000;

export interface CreateProducerOptions {
  cluster: Cluster;
  logger: Logger;
  instrumentationEmitter?: InstrumentationEmitter;
  retry?: RetryOptions;
  createPartitioner?: ICustomPartitioner;
  idempotent?: boolean;
  transactionalId?: string;
  transactionTimeout?: number;
  maxInFlightRequests?: number | null;
  /** Read by the Cluster the Kafka client builds for this producer; accepted here for completeness. */
  allowAutoTopicCreation?: boolean;
  metadataMaxAge?: number;
  linger?: number;
  batchSize?: number;
}

type ConnectionStatus = "connected" | "disconnecting" | "disconnected";

export function createProducer({
  cluster,
  logger: rootLogger,
  instrumentationEmitter = new InstrumentationEmitter(PRODUCER_EVENTS, "producer"),
  retry,
  createPartitioner = Partitioners.DefaultPartitioner,
  idempotent: idempotentOption = false,
  transactionalId,
  transactionTimeout = DEFAULT_TRANSACTION_TIMEOUT,
  maxInFlightRequests = null,
  linger = 0,
  batchSize = DEFAULT_BATCH_SIZE,
}: CreateProducerOptions): Producer {
  // A transactional id implies idempotence, as in the Java client (KafkaJS left it to the user).
  const idempotent = idempotentOption || Boolean(transactionalId);
  const retryOptions: RetryOptions = retry ?? { retries: idempotent ? Number.MAX_SAFE_INTEGER : 5 };
  if (idempotent && retryOptions.retries !== undefined && retryOptions.retries < 1) {
    throw new KafkaJSNonRetriableError(
      "Idempotent producer must allow retries to protect against transient errors",
    );
  }
  const logger = rootLogger.namespace("Producer");
  if (idempotent && retryOptions.retries !== undefined && retryOptions.retries < Number.MAX_SAFE_INTEGER) {
    logger.warn("Limiting retries for the idempotent producer may invalidate EoS guarantees");
  }

  let status: ConnectionStatus = "disconnected";
  const partitioner = createPartitioner();
  const isActive = () => status === "connected";

  const plainEos = idempotent
    ? new EosManager({ cluster, logger, retrier: cluster.retrier, transactionalId: null, transactionTimeout })
    : null;
  const plainSender = new RecordSender({
    cluster,
    logger,
    partitioner,
    retry: retryOptions,
    linger,
    batchSize,
    maxInFlightRequests,
    eos: plainEos,
    isActive,
  });

  let txnEos: EosManager | null = null;
  let txnSender: RecordSender | null = null;

  const checkStatus = (): void => {
    if (status === "disconnecting") {
      throw new KafkaJSNonRetriableError(
        "The producer is disconnecting; therefore, it can't safely accept messages anymore",
      );
    }
    if (status === "disconnected") throw new KafkaJSError("The producer is disconnected");
  };

  // Not async: a send with known metadata then costs the sender's one promise and no more.
  const sendBatchWith = (
    sender: RecordSender,
    batchIdempotent: boolean,
    batch: ProducerBatch,
  ): Promise<RecordMetadata[]> => {
    try {
      const topicMessages = validateBatch(batch ?? {}, batchIdempotent);
      const settings = settingsOf(batch ?? {});
      checkStatus();
      return sender.send(mergeTopics(topicMessages), settings);
    } catch (e) {
      return Promise.reject(e);
    }
  };

  const toBatch = ({ acks, timeout, compression, topic, messages }: ProducerRecord): ProducerBatch => ({
    acks,
    timeout,
    compression,
    topicMessages: [{ topic, messages }],
  });

  const send = (record: ProducerRecord) =>
    sendBatchWith(plainSender, idempotent, toBatch(record ?? ({} as never)));
  const sendBatch = (batch: ProducerBatch) => sendBatchWith(plainSender, idempotent, batch);

  /** The transactional id's producer state and sender, made on first use. */
  const transactional = (id: string): { eos: EosManager; sender: RecordSender } => {
    if (!txnEos) {
      txnEos = new EosManager({
        cluster,
        logger,
        retrier: cluster.retrier,
        transactionalId: id,
        transactionTimeout,
      });
      txnSender = new RecordSender({
        cluster,
        logger,
        partitioner,
        retry: retryOptions,
        linger,
        batchSize,
        maxInFlightRequests,
        eos: txnEos,
        isActive,
      });
    }
    return { eos: txnEos, sender: txnSender! };
  };

  const transaction = async (): Promise<Transaction> => {
    if (!transactionalId) {
      throw new KafkaJSNonRetriableError("Must provide transactional id for transactional producer");
    }
    const { eos, sender } = transactional(transactionalId);
    if (eos.isInTransaction()) {
      throw new KafkaJSNonRetriableError(
        "There is already an ongoing transaction for this producer. Please end the transaction before beginning another.",
      );
    }
    if (!eos.isInitialized()) await eos.initProducerId();
    eos.beginTransaction();

    let ended = false;
    const isActiveTxn = () => eos.isInTransaction() && !ended;
    const guard =
      <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
      (...args: A): Promise<R> => {
        if (!isActiveTxn()) {
          return Promise.reject(
            new KafkaJSNonRetriableError("Cannot continue to use transaction once ended"),
          );
        }
        return fn(...args);
      };

    return {
      send: guard((record: ProducerRecord) => sendBatchWith(sender, true, toBatch(record ?? ({} as never)))),
      sendBatch: guard((batch: ProducerBatch) => sendBatchWith(sender, true, batch)),
      sendOffsets: guard((offsets: SendOffsetsOptions) => eos.sendOffsets(offsets)),
      commit: guard(async () => {
        await eos.endTransaction(true, () => sender.flush());
        ended = true;
      }),
      abort: guard(async () => {
        await eos.endTransaction(false, () => {
          sender.failQueued(new KafkaJSNonRetriableError("The transaction was aborted"));
          return sender.flush();
        });
        ended = true;
      }),
      isActive: isActiveTxn,
    };
  };

  return {
    connect: async () => {
      await cluster.connect();
      plainSender.reopen();
      txnSender?.reopen();
      status = "connected";
      instrumentationEmitter.emit(PRODUCER_EVENTS.CONNECT);
      // KafkaJS fetches the id at connect for a producer created idempotent; one that is idempotent
      // only through its transactional id gets it on its first plain send, if any.
      if (idempotentOption && plainEos && !plainEos.isInitialized()) await plainEos.initProducerId();
      // A transactional id is initialized at connect, as Java's initTransactions() comes before
      // consuming: that fences the previous incarnation and aborts its open transaction. Left for
      // the first transaction(), a restarted exactly-once processor deadlocked: its read_committed
      // consumer waited for the dead incarnation's pending offsets (UNSTABLE_OFFSET_COMMIT) to be
      // resolved, which only this InitProducerId (or the transaction timeout) does.
      if (transactionalId) {
        const { eos } = transactional(transactionalId);
        if (!eos.isInitialized()) await eos.initProducerId();
      }
    },
    disconnect: async () => {
      status = "disconnecting";
      // Records already accepted are delivered before the connections close, within a bound so a
      // dead cluster cannot hold disconnect() forever; what is left then fails.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all([plainSender.flush(), txnSender?.flush()]),
        new Promise((resolve) => {
          timer = setTimeout(resolve, DISCONNECT_FLUSH_TIMEOUT);
        }),
      ]);
      clearTimeout(timer);
      const closed = new KafkaJSError("The producer is disconnected");
      plainSender.close(closed);
      txnSender?.close(closed);
      await cluster.disconnect();
      status = "disconnected";
      instrumentationEmitter.emit(PRODUCER_EVENTS.DISCONNECT);
    },
    isIdempotent: () => idempotent,
    events: PRODUCER_EVENTS,
    on: createOn(instrumentationEmitter, PRODUCER_EVENTS, "producer", logger) as Producer["on"],
    send,
    sendBatch,
    transaction,
    logger: () => logger,
  };
}
