/** DeleteRecords (21): moves the log start offset forward; -1 means up to the high watermark. */
import { ErrorCode } from "../../protocol/error-codes.js";
import { DeleteRecords } from "../../protocol/messages/delete-records.js";
import { INTERNAL_TOPICS } from "../broker.js";
import { defineHandler } from "../router.js";
import { errorOf } from "./common.js";

export const deleteRecordsHandler = defineHandler(DeleteRecords, async (ctx, req) => {
  const { broker } = ctx;
  const topics = await Promise.all(
    req.topics.map(async (t) => ({
      name: t.name,
      partitions: await Promise.all(
        t.partitions.map(async (p) => {
          const log = broker.topic(t.name) ? broker.partitionLog(t.name, p.partitionIndex) : undefined;
          if (!log)
            return {
              partitionIndex: p.partitionIndex,
              lowWatermark: -1n,
              errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            };
          if (INTERNAL_TOPICS.has(t.name)) {
            return {
              partitionIndex: p.partitionIndex,
              lowWatermark: -1n,
              errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION,
            };
          }
          const target = p.offset === -1n ? log.highWatermark : p.offset;
          if (target < 0n || target > log.highWatermark) {
            return {
              partitionIndex: p.partitionIndex,
              lowWatermark: -1n,
              errorCode: ErrorCode.OFFSET_OUT_OF_RANGE,
            };
          }
          try {
            const low = await log.deleteRecordsBefore(target);
            return { partitionIndex: p.partitionIndex, lowWatermark: low, errorCode: ErrorCode.NONE };
          } catch (e) {
            return { partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: errorOf(e).errorCode };
          }
        }),
      ),
    })),
  );
  return { throttleTimeMs: 0, topics };
});
