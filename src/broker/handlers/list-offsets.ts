/**
 * ListOffsets (2). Special timestamps: -2 earliest, -1 latest (the high watermark, or the last
 * stable offset for read_committed from v2), -3 max timestamp (v7+), -4 earliest local (v8+; no
 * tiered storage, so the log start), -5 latest tiered (v9+; nothing is tiered, so -1). Any other
 * timestamp finds the first offset whose timestamp is at or after it, via the time index; another
 * negative one is UNSUPPORTED_VERSION, as Kafka answers. A partition named twice is answered once,
 * with INVALID_REQUEST, as Kafka does.
 */
import { ErrorCode } from "../../protocol/error-codes.js";
import { ListOffsets } from "../../protocol/messages/list-offsets.js";
import { defineHandler } from "../router.js";
import { LEADER_EPOCH, leaderEpochError } from "./common.js";

const EARLIEST = -2n;
const LATEST = -1n;
const MAX_TIMESTAMP = -3n;
const EARLIEST_LOCAL = -4n;
const LATEST_TIERED = -5n;

/** Each partition once, in order of first appearance, marked when the request names it more than once. */
function dedupe<P extends { partitionIndex: number }>(parts: P[]): Array<{ p: P; duplicate: boolean }> {
  const seen = new Map<number, { p: P; duplicate: boolean }>();
  for (const p of parts) {
    const prev = seen.get(p.partitionIndex);
    if (prev) prev.duplicate = true;
    else seen.set(p.partitionIndex, { p, duplicate: false });
  }
  return [...seen.values()];
}

export const listOffsetsHandler = defineHandler(ListOffsets, async (ctx, req) => {
  const { broker } = ctx;
  const topics = await Promise.all(
    req.topics.map(async (t) => ({
      name: t.name,
      partitions: await Promise.all(
        dedupe(t.partitions).map(async ({ p, duplicate }) => {
          const out = (errorCode: number, offset = -1n, timestamp = -1n, leaderEpoch = -1) => ({
            partitionIndex: p.partitionIndex,
            errorCode,
            timestamp,
            offset,
            leaderEpoch,
          });
          if (duplicate) return out(ErrorCode.INVALID_REQUEST);
          const log = broker.topic(t.name) ? broker.partitionLog(t.name, p.partitionIndex) : undefined;
          if (!log) return out(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
          const epochError = leaderEpochError(p.currentLeaderEpoch);
          if (epochError !== ErrorCode.NONE) return out(epochError);
          try {
            switch (p.timestamp) {
              case EARLIEST:
              case EARLIEST_LOCAL:
                return out(ErrorCode.NONE, log.logStartOffset, -1n, LEADER_EPOCH);
              case LATEST:
                return out(
                  ErrorCode.NONE,
                  req.isolationLevel === 1 ? log.lastStableOffset : log.highWatermark,
                  -1n,
                  LEADER_EPOCH,
                );
              case LATEST_TIERED:
                return out(ErrorCode.NONE, -1n, -1n, -1);
              case MAX_TIMESTAMP: {
                const m = await log.maxTimestamp();
                return m ? out(ErrorCode.NONE, m.offset, m.timestamp, LEADER_EPOCH) : out(ErrorCode.NONE);
              }
              default: {
                if (p.timestamp < 0n) return out(ErrorCode.UNSUPPORTED_VERSION);
                const found = await log.offsetForTimestamp(p.timestamp);
                // Only committed data may be revealed to read_committed clients.
                const limit = req.isolationLevel === 1 ? log.lastStableOffset : log.highWatermark;
                if (!found || found.offset >= limit) return out(ErrorCode.NONE);
                return out(ErrorCode.NONE, found.offset, found.timestamp, LEADER_EPOCH);
              }
            }
          } catch (e) {
            const code = (e as { errorCode?: number }).errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
            return out(code);
          }
        }),
      ),
    })),
  );
  return { throttleTimeMs: 0, topics };
});
