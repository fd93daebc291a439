/**
 * Produce (0). Record batches stay raw bytes: the handler checks what Kafka checks before the log
 * (one v2 batch per partition, codec allowed for the version, sequence fields consistent), and the
 * log validates size, CRC, offsets and the record-level rules (null keys on compacted topics,
 * timestamp bounds) and appends the same bytes. A batch refused for some of its records is answered
 * with those records in `record_errors` and a summary in `error_message` (v8+, KIP-467), as Kafka
 * does; as Kafka, no other error carries an `error_message` (but INVALID_TXN_STATE for a partition
 * not added to the transaction), and errors the log raised after finding the partition carry its log
 * start offset (not those Kafka answers before appending: size, CRC, unknown partition). acks=0 gets no response; acks=-1 is answered after the group-commit fsync (see
 * docs/storage.md).
 */
import { ErrorCode } from "../../protocol/error-codes.js";
import { Produce } from "../../protocol/messages/produce.js";
import {
  BATCH,
  batchSizeAt,
  compressionOf,
  isControl,
  isTransactional,
} from "../../protocol/records/batch-header.js";
import { decodeRecordBatch, encodeRecordBatch } from "../../protocol/records/record-batch.js";
import { type RecordError, StorageError } from "../../storage/index.js";
import { type Broker, INTERNAL_TOPICS } from "../broker.js";
import { CloseConnection } from "../network/connection.js";
import { defineHandler, NO_RESPONSE } from "../router.js";
import { errorOf } from "./common.js";

const ZSTD = 4;

class ProduceError extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Kafka's per-request checks on a partition's records (ProduceRequest.validateRecords); the log does
 * the rest (LogValidator), records included.
 */
function checkRecords(records: Buffer | null, version: number): void {
  if (!records || records.length === 0) {
    throw new ProduceError(
      ErrorCode.INVALID_RECORD,
      "Produce requests must contain exactly one record batch.",
    );
  }
  const size = batchSizeAt(records, 0);
  if (size < BATCH.HEADER_SIZE || records.length < BATCH.HEADER_SIZE) {
    throw new ProduceError(ErrorCode.CORRUPT_MESSAGE, "Record batch is truncated.");
  }
  if (size !== records.length) {
    throw new ProduceError(
      size < records.length ? ErrorCode.INVALID_RECORD : ErrorCode.CORRUPT_MESSAGE,
      size < records.length
        ? "Produce requests with version 3 and above must contain exactly one record batch."
        : "Record batch is truncated.",
    );
  }
  const magic = records.readInt8(BATCH.MAGIC);
  if (magic !== 2) {
    throw new ProduceError(
      ErrorCode.INVALID_RECORD,
      `Produce requests with version ${version} must use record batch magic 2 (got ${magic}).`,
    );
  }
  const attributes = records.readInt16BE(BATCH.ATTRIBUTES);
  if (compressionOf(attributes) === ZSTD && version < 7) {
    throw new ProduceError(
      ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
      "ZStandard compression requires Produce v7 or later.",
    );
  }
  if (isControl(attributes))
    throw new ProduceError(ErrorCode.INVALID_RECORD, "Clients may not write control batches.");
  const producerId = records.readBigInt64BE(BATCH.PRODUCER_ID);
  if (producerId >= 0n && records.readInt32BE(BATCH.BASE_SEQUENCE) < 0) {
    throw new ProduceError(ErrorCode.INVALID_RECORD, "An idempotent batch must carry a base sequence >= 0.");
  }
}

/** Errors Kafka answers with log start offset -1 (raised before the log is appended to). */
const NO_LOG_START_OFFSET = new Set<number>([
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.MESSAGE_TOO_LARGE,
  ErrorCode.RECORD_LIST_TOO_LARGE,
  ErrorCode.CORRUPT_MESSAGE,
  ErrorCode.KAFKA_STORAGE_ERROR,
]);

const CODEC_OF: Record<string, number> = { uncompressed: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };

/**
 * A topic whose compression.type is not "producer" stores batches in its own codec, as Kafka does:
 * the one place the produce path decodes and re-encodes records. Offsets deltas, timestamps,
 * producer id/epoch/sequence and attributes other than the codec are kept.
 */
async function recompress(records: Buffer, codec: number): Promise<Buffer> {
  let batch: Awaited<ReturnType<typeof decodeRecordBatch>>;
  try {
    batch = await decodeRecordBatch(records);
  } catch (e) {
    throw new ProduceError(
      ErrorCode.CORRUPT_MESSAGE,
      `Cannot recompress the record batch: ${(e as Error).message}`,
    );
  }
  const h = batch.header;
  return encodeRecordBatch({
    records: batch.records.map((r) => ({
      key: r.key,
      value: r.value,
      headers: r.headers,
      timestamp: h.baseTimestamp + r.timestampDelta,
      offsetDelta: r.offsetDelta,
    })),
    baseOffset: h.baseOffset,
    baseTimestamp: h.baseTimestamp,
    partitionLeaderEpoch: h.partitionLeaderEpoch,
    producerId: h.producerId,
    producerEpoch: h.producerEpoch,
    baseSequence: h.baseSequence,
    isTransactional: (h.attributes & 0x10) !== 0,
    timestampType: (h.attributes & 0x08) !== 0 ? 1 : 0,
    compression: codec,
  });
}

/** What the transaction coordinator offers the produce path (KIP-890 partition verification). */
interface PartitionVerifier {
  verifyPartition(
    transactionalId: string,
    producerId: bigint,
    producerEpoch: number,
    topic: string,
    partition: number,
  ): number;
}

/**
 * A transactional batch needs the request's transactional id (Kafka answers
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED without one) and, as Kafka 4 verifies by default
 * (transaction.partition.verification.enable), a partition added to the producer's open transaction.
 */
function verifyTransactional(
  broker: Broker,
  transactionalId: string | null,
  records: Buffer,
  topic: string,
  partition: number,
): number {
  if (transactionalId === null) return ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
  const txn = broker.components.find((c) => c.name === "transactions") as
    | Partial<PartitionVerifier>
    | undefined;
  if (!txn?.verifyPartition) return ErrorCode.NONE;
  return txn.verifyPartition(
    transactionalId,
    records.readBigInt64BE(BATCH.PRODUCER_ID),
    records.readInt16BE(BATCH.PRODUCER_EPOCH),
    topic,
    partition,
  );
}

export const produceHandler = defineHandler(Produce, async (ctx, req) => {
  const { broker, version } = ctx;
  const acks = req.acks;
  const durable = acks === -1;
  const now = Date.now();
  const responses = await Promise.all(
    req.topicData.map(async (td) => {
      const topic = broker.topic(td.name);
      const partitionResponses = await Promise.all(
        td.partitionData.map(async (pd) => {
          const fail = (
            errorCode: number,
            errorMessage: string | null,
            recordErrors: readonly RecordError[] = [],
          ) => ({
            index: pd.index,
            errorCode,
            baseOffset: -1n,
            logAppendTimeMs: -1n,
            logStartOffset: -1n,
            recordErrors: recordErrors.map((r) => ({
              batchIndex: r.batchIndex,
              batchIndexErrorMessage: r.message,
            })),
            errorMessage,
          });
          if (acks !== 0 && acks !== 1 && acks !== -1) return fail(ErrorCode.INVALID_REQUIRED_ACKS, null);
          if (INTERNAL_TOPICS.has(td.name)) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, null);
          const log = topic ? broker.partitionLog(td.name, pd.index) : undefined;
          if (!log) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null);
          // Per partition, as Kafka's BrokerTopicMetrics; never per record.
          const stats = broker.stats.topic(td.name);
          stats.totalProduceRequests++;
          try {
            const values = broker.effectiveTopicConfig(topic!);
            checkRecords(pd.records, version);
            let records = pd.records!;
            if (isTransactional(records.readInt16BE(BATCH.ATTRIBUTES))) {
              const code = verifyTransactional(broker, req.transactionalId, records, td.name, pd.index);
              if (code === ErrorCode.INVALID_TXN_STATE)
                return fail(code, "Partition was not added to the transaction");
              if (code !== ErrorCode.NONE) return fail(code, null);
            }
            const wanted = CODEC_OF[values.get("compression.type") as string];
            if (wanted !== undefined && compressionOf(records.readInt16BE(BATCH.ATTRIBUTES)) !== wanted) {
              records = await recompress(records, wanted);
            }
            const next = log.nextAssignedOffset;
            const r = await log.append(records, { durable, now });
            // A duplicate (idempotent retry) is answered with offsets below `next`: not counted again.
            if (r.baseOffset >= next) {
              stats.messagesIn += Number(r.lastOffset - r.baseOffset) + 1;
              stats.bytesIn += records.length;
            }
            return {
              index: pd.index,
              errorCode: ErrorCode.NONE,
              baseOffset: r.baseOffset,
              logAppendTimeMs: r.logAppendTime,
              logStartOffset: r.logStartOffset,
              recordErrors: [],
              errorMessage: null,
            };
          } catch (e) {
            stats.failedProduceRequests++;
            const { errorCode, errorMessage } = errorOf(e);
            if (errorCode === ErrorCode.UNKNOWN_SERVER_ERROR) {
              broker.logger.error({ err: e, topic: td.name, partition: pd.index }, "append failed");
            }
            if (e instanceof ProduceError) return fail(errorCode, null);
            // Record errors (KIP-467) come with the log's StorageError, with a summary as the message;
            // v0-v7 answer only the code.
            const recordErrors = e instanceof StorageError ? e.recordErrors : [];
            const failed = fail(errorCode, recordErrors.length > 0 ? errorMessage : null, recordErrors);
            if (!NO_LOG_START_OFFSET.has(errorCode)) failed.logStartOffset = log.logStartOffset;
            return failed;
          }
        }),
      );
      return { name: td.name, partitionResponses };
    }),
  );
  if (acks === 0) {
    // No response for acks=0; a failure is signalled by closing the connection, as Kafka does.
    const failed = responses.some((t) => t.partitionResponses.some((p) => p.errorCode !== ErrorCode.NONE));
    if (failed) throw new CloseConnection("acks=0 produce failed");
    return NO_RESPONSE;
  }
  return { responses, throttleTimeMs: 0 };
});
