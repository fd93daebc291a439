/**
 * Fetch (1). Reads raw batches from the log (no re-encoding) up to the high watermark, or the last
 * stable offset for read_committed. Long poll: when fewer than minBytes are ready the request
 * waits, woken by appends to any requested partition, until maxWaitMs (not at all when it names no
 * partition, as a session's close does). The first batch of the first
 * non-empty partition is returned even when it exceeds the byte limits (KIP-74). Topics are named
 * up to v12 and identified by id from v13. Incremental fetch sessions (KIP-227) are supported.
 */
import { ErrorCode } from "../../protocol/error-codes.js";
import { Fetch } from "../../protocol/messages/fetch.js";
import { BATCH, batchSizeAt } from "../../protocol/records/batch-header.js";
import type { PartitionLog } from "../../storage/index.js";
import type { Broker } from "../broker.js";
import {
  FINAL_EPOCH,
  type FetchSession,
  INITIAL_EPOCH,
  INVALID_SESSION_ID,
  partitionKey,
  type SessionPartition,
} from "../fetch-sessions.js";
import { defineHandler } from "../router.js";
import { leaderEpochError } from "./common.js";

const NIL = "00000000-0000-0000-0000-000000000000";
const READ_COMMITTED = 1;

interface PartitionResult {
  partitionIndex: number;
  errorCode: number;
  highWatermark: bigint;
  lastStableOffset: bigint;
  logStartOffset: bigint;
  abortedTransactions: Array<{ producerId: bigint; firstOffset: bigint }> | null;
  preferredReadReplica: number;
  records: Buffer[];
  bytes: number;
}

/**
 * A partition answered with an error: as Kafka, no offsets (-1), and an empty aborted-transactions
 * list for an unknown topic or partition (null for errors of a known partition).
 */
function emptyResult(partition: number, errorCode: number, unknown = false): PartitionResult {
  return {
    partitionIndex: partition,
    errorCode,
    highWatermark: -1n,
    lastStableOffset: -1n,
    logStartOffset: -1n,
    abortedTransactions: unknown ? [] : null,
    preferredReadReplica: -1,
    records: [],
    bytes: 0,
  };
}

/** Reads every wanted partition once, sharing the response byte budget. */
async function readPartitions(
  broker: Broker,
  wanted: SessionPartition[],
  maxBytes: number,
  isolation: number,
  unknownTopicError: number,
): Promise<{ results: PartitionResult[]; bytes: number }> {
  let budget = maxBytes;
  let bytes = 0;
  let haveData = false;
  const results: PartitionResult[] = [];
  for (const w of wanted) {
    const log = broker.partitionLog(w.topic, w.partition);
    if (!log || !broker.topic(w.topic)) {
      results.push(
        emptyResult(
          w.partition,
          broker.topic(w.topic) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : unknownTopicError,
          true,
        ),
      );
      continue;
    }
    const epochError = leaderEpochError(w.currentLeaderEpoch);
    const base = {
      partitionIndex: w.partition,
      highWatermark: log.highWatermark,
      lastStableOffset: log.lastStableOffset,
      logStartOffset: log.logStartOffset,
      abortedTransactions: isolation === READ_COMMITTED ? [] : null,
      preferredReadReplica: -1,
    };
    if (epochError !== ErrorCode.NONE) {
      results.push(emptyResult(w.partition, epochError));
      continue;
    }
    if (w.fetchOffset < log.logStartOffset || w.fetchOffset > log.logEndOffset) {
      results.push(emptyResult(w.partition, ErrorCode.OFFSET_OUT_OF_RANGE));
      continue;
    }
    const limit = Math.min(w.maxBytes, budget);
    const maxOffset = isolation === READ_COMMITTED ? log.lastStableOffset : log.highWatermark;
    if ((limit <= 0 && haveData) || w.fetchOffset >= maxOffset) {
      results.push({ ...base, errorCode: ErrorCode.NONE, records: [], bytes: 0 });
      continue;
    }
    try {
      const read = await log.read(w.fetchOffset, Math.max(limit, 0), { maxOffset, minOneBatch: !haveData });
      let n = 0;
      for (const c of read.records) n += c.length;
      if (n > 0) haveData = true;
      budget -= n;
      bytes += n;
      results.push({
        ...base,
        highWatermark: read.highWatermark,
        lastStableOffset: read.lastStableOffset,
        logStartOffset: read.logStartOffset,
        abortedTransactions:
          isolation === READ_COMMITTED && n > 0
            ? await abortedIn(log, w.fetchOffset, read.records)
            : base.abortedTransactions,
        errorCode: ErrorCode.NONE,
        records: read.records,
        bytes: n,
      });
    } catch (e) {
      const code = (e as { errorCode?: number }).errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
      if (code === ErrorCode.UNKNOWN_SERVER_ERROR) broker.logger.error({ err: e }, "fetch read failed");
      results.push(emptyResult(w.partition, code));
    }
  }
  return { results, bytes };
}

/**
 * The aborted transactions a read_committed consumer needs to filter the returned batches: those
 * overlapping [fetchOffset, end of the last returned batch), from the segments' .txnindex.
 */
async function abortedIn(
  log: PartitionLog,
  fetchOffset: bigint,
  records: Buffer[],
): Promise<Array<{ producerId: bigint; firstOffset: bigint }>> {
  const last = records[records.length - 1]!;
  let at = 0;
  let end = fetchOffset;
  while (at + BATCH.HEADER_SIZE <= last.length) {
    end =
      last.readBigInt64BE(at + BATCH.BASE_OFFSET) +
      BigInt(last.readInt32BE(at + BATCH.LAST_OFFSET_DELTA)) +
      1n;
    at += batchSizeAt(last, at);
  }
  const list = await log.collectAbortedTransactions(fetchOffset, end);
  // The index holds aborts in the order their markers were written, so a long transaction aborted
  // late (its producer fenced by a restart) comes after shorter ones that began later. Clients that
  // walk the list as a queue by first offset (KafkaJS 2.2.4) then miss it and deliver aborted
  // records; Java's and librdkafka's consumers sort it themselves. Sorted here, every client agrees.
  return list
    .map((t) => ({ producerId: t.producerId, firstOffset: t.firstOffset }))
    .sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
}

/** Waits until one of the logs gets an append, the timeout passes, or the broker closes. */
function waitForData(broker: Broker, wanted: SessionPartition[], ms: number): Promise<void> {
  return new Promise((resolve) => {
    const unsubs: Array<() => void> = [];
    let timer: NodeJS.Timeout | undefined;
    const done = (): void => {
      if (timer) clearTimeout(timer);
      for (const u of unsubs) u();
      resolve();
    };
    for (const w of wanted) {
      const log = broker.partitionLog(w.topic, w.partition);
      if (log) unsubs.push(log.onAppend(done));
    }
    unsubs.push(broker.onShutdown(done));
    timer = setTimeout(done, ms);
  });
}

export const fetchHandler = defineHandler(Fetch, async (ctx, req) => {
  const { broker, version } = ctx;
  const byId = version >= 13;
  const unknownTopicError = byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  const sessions = broker.fetchSessions;

  const requested: SessionPartition[] = [];
  for (const t of req.topics) {
    const name = byId ? (broker.topicById(t.topicId)?.name ?? `\u0000${t.topicId}`) : t.topic;
    const topicId = byId ? t.topicId : (broker.topic(t.topic)?.id ?? NIL);
    for (const p of t.partitions) {
      requested.push({
        topic: name,
        topicId,
        partition: p.partition,
        fetchOffset: p.fetchOffset,
        maxBytes: p.partitionMaxBytes,
        currentLeaderEpoch: p.currentLeaderEpoch,
        lastHighWatermark: -1n,
        lastStableOffset: -1n,
        lastLogStartOffset: -1n,
      });
    }
  }

  // ---- session bookkeeping
  let session: FetchSession | undefined;
  let responseSessionId = INVALID_SESSION_ID;
  let incremental = false;
  if (version >= 7) {
    if (req.sessionEpoch === FINAL_EPOCH) {
      if (req.sessionId !== INVALID_SESSION_ID) sessions.remove(req.sessionId);
    } else if (req.sessionEpoch === INITIAL_EPOCH) {
      if (req.sessionId !== INVALID_SESSION_ID) sessions.remove(req.sessionId);
      const map = new Map(requested.map((p) => [partitionKey(p.topic, p.partition), p]));
      session = sessions.create(map);
      responseSessionId = session.id;
    } else {
      session = sessions.get(req.sessionId);
      const fail = (errorCode: number) => ({
        throttleTimeMs: 0,
        errorCode,
        sessionId: INVALID_SESSION_ID,
        responses: [],
      });
      if (!session) return fail(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
      if (session.epoch !== req.sessionEpoch) return fail(ErrorCode.INVALID_FETCH_SESSION_EPOCH);
      session.epoch = session.epoch === 0x7fffffff ? 1 : session.epoch + 1;
      for (const p of requested) {
        const key = partitionKey(p.topic, p.partition);
        const prev = session.partitions.get(key);
        session.partitions.set(
          key,
          prev
            ? {
                ...prev,
                ...p,
                lastHighWatermark: prev.lastHighWatermark,
                lastStableOffset: prev.lastStableOffset,
                lastLogStartOffset: prev.lastLogStartOffset,
              }
            : p,
        );
      }
      for (const t of req.forgottenTopicsData) {
        const name = byId ? broker.topicById(t.topicId)?.name : t.topic;
        if (name === undefined) continue;
        for (const part of t.partitions) session.partitions.delete(partitionKey(name, part));
      }
      if (session.partitions.size === 0) {
        // As Kafka: a session left without partitions is closed, and the request is answered as a
        // sessionless fetch (session id 0); the next use of its id gets FETCH_SESSION_ID_NOT_FOUND.
        sessions.remove(session.id);
        session = undefined;
      } else {
        responseSessionId = session.id;
        incremental = true;
      }
    }
  }
  const wanted = session ? [...session.partitions.values()] : requested;

  // ---- read, long-polling while under minBytes; with no partition to read there is nothing to
  // wait for, so the answer is immediate (Kafka's consumer closes its sessions with such a request
  // and waits for the answer, so a long poll here held up every consumer's close by maxWaitMs).
  const deadline = wanted.length === 0 ? 0 : performance.now() + Math.max(0, req.maxWaitMs);
  let { results, bytes } = await readPartitions(
    broker,
    wanted,
    req.maxBytes,
    req.isolationLevel,
    unknownTopicError,
  );
  while (bytes < req.minBytes && !results.some((r) => r.errorCode !== ErrorCode.NONE)) {
    const left = deadline - performance.now();
    if (left <= 0 || broker.isShuttingDown) break;
    await waitForData(broker, wanted, left);
    ({ results, bytes } = await readPartitions(
      broker,
      wanted,
      req.maxBytes,
      req.isolationLevel,
      unknownTopicError,
    ));
  }

  // ---- assemble, keeping only changed partitions in an incremental session response
  const topics = new Map<string, { topic: string; topicId: string; partitions: PartitionResult[] }>();
  results.forEach((r, i) => {
    const w = wanted[i]!;
    // Per partition, as Kafka's BrokerTopicMetrics (unknown topics are not given a series).
    if (r.errorCode !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && r.errorCode !== unknownTopicError) {
      const stats = broker.stats.topic(w.topic);
      stats.totalFetchRequests++;
      stats.bytesOut += r.bytes;
      if (r.errorCode !== ErrorCode.NONE) stats.failedFetchRequests++;
    }
    if (session) {
      const changed =
        !incremental ||
        r.bytes > 0 ||
        r.errorCode !== ErrorCode.NONE ||
        r.highWatermark !== w.lastHighWatermark ||
        r.lastStableOffset !== w.lastStableOffset ||
        r.logStartOffset !== w.lastLogStartOffset;
      w.lastHighWatermark = r.highWatermark;
      w.lastStableOffset = r.lastStableOffset;
      w.lastLogStartOffset = r.logStartOffset;
      if (!changed) return;
    }
    const key = `${w.topic}\u0000${w.topicId}`;
    let t = topics.get(key);
    if (!t) {
      t = { topic: w.topic.startsWith("\u0000") ? "" : w.topic, topicId: w.topicId, partitions: [] };
      topics.set(key, t);
    }
    t.partitions.push(r);
  });
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    sessionId: responseSessionId,
    responses: [...topics.values()],
  };
});
