/**
 * Random transactional workloads against a real Brook process, with a model of what every reader
 * must see. Shared by the property test (test/transactions/aborted-ranges.property.test.ts) and
 * longer runs (BROOK_PROPERTY_RUNS).
 *
 * A workload is one topic (one partition, tiny segment.bytes so transactions span rolls) written by
 * several transactional producers and a plain one, one request at a time with acks=-1, so the model
 * knows the offset of every record and marker: anything acknowledged survives a SIGKILL. Between
 * writes it may restart the broker (SIGTERM or SIGKILL), move the log start with DeleteRecords or
 * retention.bytes, re-initialise a producer (which aborts its open transaction), or pause while the
 * cleaner compacts. The check reads the partition from every start offset, read_committed (filtering
 * with the aborted transactions of each Fetch response, as the Java client and KafkaJS do) and
 * read_uncommitted, and compares with the model; it also checks the LSO (ListOffsets and Fetch) and
 * DescribeProducers.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { ErrorCode } from "../../src/protocol/error-codes.js";
import { CreateTopics } from "../../src/protocol/messages/create-topics.js";
import { DeleteRecords } from "../../src/protocol/messages/delete-records.js";
import { DescribeProducers } from "../../src/protocol/messages/describe-producers.js";
import { EndTxn } from "../../src/protocol/messages/end-txn.js";
import { Fetch } from "../../src/protocol/messages/fetch.js";
import { IncrementalAlterConfigs } from "../../src/protocol/messages/incremental-alter-configs.js";
import { InitProducerId } from "../../src/protocol/messages/init-producer-id.js";
import { ListOffsets } from "../../src/protocol/messages/list-offsets.js";
import { Produce } from "../../src/protocol/messages/produce.js";
import { encodeRecordBatchSync } from "../../src/protocol/records/record-batch.js";
import type { BrokerProcess } from "./broker-process.js";
import { readBatchesMinimal } from "./kafkajs.js";
import { RawClient } from "./raw-client.js";
import { addPartitionsToTxn } from "./txn-requests.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type Policy = "delete" | "compact" | "compact,delete";

export type Op =
  | { t: "send"; p: number; n: number; size: number; key: number }
  | { t: "end"; p: number; commit: boolean }
  | { t: "plain"; n: number; size: number; key: number }
  | { t: "reinit"; p: number }
  | { t: "restart"; kill: boolean }
  | { t: "deleteRecords"; frac: number }
  | { t: "retention" }
  | { t: "pause" };

export interface Workload {
  policy: Policy;
  segmentBytes: number;
  producers: number;
  ops: Op[];
}

const KEYS = 5;

export function workloadArb(opts: { restarts: boolean }): fc.Arbitrary<Workload> {
  const p = fc.integer({ min: 0, max: 2 });
  const op: fc.Arbitrary<Op> = fc.oneof(
    {
      weight: 40,
      arbitrary: fc.record({
        t: fc.constant("send" as const),
        p,
        n: fc.integer({ min: 1, max: 5 }),
        size: fc.integer({ min: 0, max: 100 }),
        key: fc.integer({ min: 0, max: KEYS - 1 }),
      }),
    },
    { weight: 16, arbitrary: fc.record({ t: fc.constant("end" as const), p, commit: fc.boolean() }) },
    {
      weight: 8,
      arbitrary: fc.record({
        t: fc.constant("plain" as const),
        n: fc.integer({ min: 1, max: 4 }),
        size: fc.integer({ min: 0, max: 100 }),
        key: fc.integer({ min: 0, max: KEYS - 1 }),
      }),
    },
    { weight: 4, arbitrary: fc.record({ t: fc.constant("reinit" as const), p }) },
    {
      weight: opts.restarts ? 1 : 0,
      arbitrary: fc.record({ t: fc.constant("restart" as const), kill: fc.boolean() }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        t: fc.constant("deleteRecords" as const),
        frac: fc.double({ min: 0, max: 1, noNaN: true }),
      }),
    },
    { weight: 3, arbitrary: fc.constant({ t: "retention" as const }) },
    { weight: 3, arbitrary: fc.constant({ t: "pause" as const }) },
  );
  return fc.record({
    policy: fc.constantFrom<Policy>("delete", "delete", "compact", "compact,delete"),
    segmentBytes: fc.integer({ min: 900, max: 2400 }),
    producers: fc.integer({ min: 1, max: 3 }),
    ops: fc.array(op, { minLength: 3, maxLength: 30 }),
  });
}

type Status = "committed" | "aborted" | "open" | "plain";

interface ModelRecord {
  offset: bigint;
  key: string;
  value: string;
  status: Status;
}

interface ProducerModel {
  tid: string;
  pid: bigint;
  epoch: number;
  seq: number;
  /** Records of the open transaction (in this partition), or null. */
  open: ModelRecord[] | null;
}

/** What a finished workload left in its topic: enough to check any reader later (after restarts). */
export interface TopicModel {
  topic: string;
  policy: Policy;
  records: ModelRecord[];
  producers: ProducerModel[];
  /** Log end offset: every record and marker has a known offset. */
  end: bigint;
}

/** The broker the workloads run against: restartable, with one connection. */
export interface BrokerHandle {
  client(): RawClient;
  restart(kill: boolean): Promise<void>;
}

const RETRIABLE: ReadonlySet<number> = new Set([
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.CONCURRENT_TRANSACTIONS,
]);

async function retry<T>(what: string, fn: () => Promise<{ code: number; value: T }>): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const r = await fn();
    if (r.code === ErrorCode.NONE) return r.value;
    if (!RETRIABLE.has(r.code)) throw new Error(`${what}: error ${r.code}`);
    await sleep(10);
  }
  throw new Error(`${what}: still retriable after 500 tries`);
}

let topicCounter = 0;

/** The step a workload or check is at, for the report when something hangs. */
export const progress = { where: "" };

/** Rejects with the current step when `p` takes longer than `ms` (a hang must fail, not stall CI). */
export function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no progress for ${ms} ms at ${progress.where}`)), ms);
  });
  return Promise.race([p, expired]).finally(() => clearTimeout(timer));
}

/** Runs one workload; returns the model of its topic. Throws (with the step) when a check fails. */
export async function runWorkload(b: BrokerHandle, w: Workload, prefix: string): Promise<TopicModel> {
  const topic = `${prefix}-${++topicCounter}`;
  const configs = [
    { name: "cleanup.policy", value: w.policy },
    { name: "segment.bytes", value: String(w.segmentBytes) },
    { name: "min.cleanable.dirty.ratio", value: "0.01" },
  ];
  const created = await b.client().request(CreateTopics, 7, {
    topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs }],
    timeoutMs: 10000,
    validateOnly: false,
  });
  assert.equal(created.topics[0]!.errorCode, 0, `create ${topic}: ${created.topics[0]!.errorMessage}`);

  const m: TopicModel = { topic, policy: w.policy, records: [], producers: [], end: 0n };
  let plainSeq = 0;
  const newValue = (size: number) => `${topic}.${m.records.length}.${"x".repeat(size)}`;

  const initProducer = async (tid: string) =>
    retry(`InitProducerId ${tid}`, async () => {
      const r = await b.client().request(InitProducerId, 4, {
        transactionalId: tid,
        transactionTimeoutMs: 3_600_000, // no timeout abort during a run (the broker allows 1 h)
        producerId: -1n,
        producerEpoch: -1,
      });
      return { code: r.errorCode, value: { pid: r.producerId, epoch: r.producerEpoch } };
    });

  for (let i = 0; i < w.producers; i++) {
    const tid = `${topic}-p${i}`;
    const { pid, epoch } = await initProducer(tid);
    m.producers.push({ tid, pid, epoch, seq: 0, open: null });
  }
  const plainPid = await retry("InitProducerId (idempotent)", async () => {
    const r = await b.client().request(InitProducerId, 4, {
      transactionalId: null,
      transactionTimeoutMs: 60_000,
      producerId: -1n,
      producerEpoch: -1,
    });
    return { code: r.errorCode, value: r.producerId };
  });

  const produce = async (tid: string | null, batch: Buffer): Promise<bigint> => {
    const res = await b.client().request(Produce, 9, {
      transactionalId: tid,
      acks: -1,
      timeoutMs: 10_000,
      topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }],
    });
    const pr = res.responses[0]!.partitionResponses[0]!;
    assert.equal(pr.errorCode, 0, `produce to ${topic}: error ${pr.errorCode} ${pr.errorMessage ?? ""}`);
    return pr.baseOffset;
  };

  const endTxn = async (pm: ProducerModel, commit: boolean) => {
    await retry(`EndTxn ${pm.tid}`, async () => {
      const r = await b.client().request(EndTxn, 3, {
        transactionalId: pm.tid,
        producerId: pm.pid,
        producerEpoch: pm.epoch,
        committed: commit,
      });
      return { code: r.errorCode, value: undefined };
    });
  };

  const offsets = async () => {
    const [start, hw] = await Promise.all([
      listOffset(b.client(), topic, -2n, 0),
      listOffset(b.client(), topic, -1n, 0),
    ]);
    return { start, hw };
  };

  for (const [step, op] of w.ops.entries()) {
    const where = `${topic} step ${step} ${JSON.stringify(op)}`;
    progress.where = where;
    switch (op.t) {
      case "send": {
        const pm = m.producers[op.p % m.producers.length]!;
        if (!pm.open) {
          await retry(`AddPartitionsToTxn ${pm.tid}`, async () => {
            const [code] = await addPartitionsToTxn(b.client(), pm.tid, pm.pid, pm.epoch, topic, [0]);
            return { code: code!, value: undefined };
          });
          pm.open = [];
        }
        const recs: ModelRecord[] = [];
        for (let k = 0; k < op.n; k++) {
          recs.push({ offset: 0n, key: `k${(op.key + k) % KEYS}`, value: newValue(op.size), status: "open" });
        }
        const base = await produce(
          pm.tid,
          encodeRecordBatchSync({
            records: recs.map((r) => ({ key: r.key, value: r.value })),
            producerId: pm.pid,
            producerEpoch: pm.epoch,
            baseSequence: pm.seq,
            isTransactional: true,
          }),
        );
        assert.equal(base, m.end, `${where}: base offset`);
        recs.forEach((r, k) => {
          r.offset = base + BigInt(k);
        });
        m.end = base + BigInt(op.n);
        pm.seq += op.n;
        pm.open.push(...recs);
        m.records.push(...recs);
        break;
      }
      case "end": {
        const pm = m.producers[op.p % m.producers.length]!;
        if (!pm.open) break;
        await endTxn(pm, op.commit);
        for (const r of pm.open) r.status = op.commit ? "committed" : "aborted";
        pm.open = null;
        m.end += 1n; // the marker
        break;
      }
      case "plain": {
        const recs: ModelRecord[] = [];
        for (let k = 0; k < op.n; k++) {
          recs.push({
            offset: 0n,
            key: `k${(op.key + k) % KEYS}`,
            value: newValue(op.size),
            status: "plain",
          });
        }
        const base = await produce(
          null,
          encodeRecordBatchSync({
            records: recs.map((r) => ({ key: r.key, value: r.value })),
            producerId: plainPid,
            producerEpoch: 0,
            baseSequence: plainSeq,
          }),
        );
        assert.equal(base, m.end, `${where}: base offset`);
        recs.forEach((r, k) => {
          r.offset = base + BigInt(k);
        });
        plainSeq += op.n;
        m.end = base + BigInt(op.n);
        m.records.push(...recs);
        break;
      }
      case "reinit": {
        const pm = m.producers[op.p % m.producers.length]!;
        const { pid, epoch } = await initProducer(pm.tid);
        if (pm.open) {
          for (const r of pm.open) r.status = "aborted";
          pm.open = null;
          m.end += 1n; // the abort marker written by the coordinator
        }
        pm.pid = pid;
        pm.epoch = epoch;
        pm.seq = 0;
        break;
      }
      case "restart":
        await b.restart(op.kill);
        break;
      case "deleteRecords": {
        const { start, hw } = await offsets();
        const target = start + BigInt(Math.floor(op.frac * Number(hw - start)));
        const r = await b.client().request(DeleteRecords, 2, {
          topics: [{ name: topic, partitions: [{ partitionIndex: 0, offset: target }] }],
          timeoutMs: 10_000,
        });
        const pr = r.topics[0]!.partitions[0]!;
        assert.equal(pr.errorCode, 0, `${where}: DeleteRecords error ${pr.errorCode}`);
        assert.equal(pr.lowWatermark, target > start ? target : start, `${where}: low watermark`);
        break;
      }
      case "retention": {
        if (!w.policy.includes("delete")) break;
        const before = (await offsets()).start;
        await alterTopicConfig(b.client(), topic, "retention.bytes", "1");
        for (let i = 0; i < 8 && (await offsets()).start === before; i++) await sleep(50);
        await alterTopicConfig(b.client(), topic, "retention.bytes", null);
        await sleep(60); // a retention pass that began before the reset ends
        break;
      }
      case "pause":
        await sleep(50);
        break;
    }
  }
  const { hw } = await offsets();
  assert.equal(hw, m.end, `${topic}: high watermark after the workload`);
  return m;
}

export async function listOffset(
  c: RawClient,
  topic: string,
  timestamp: bigint,
  isolationLevel: 0 | 1,
): Promise<bigint> {
  const r = await c.request(ListOffsets, 7, {
    replicaId: -1,
    isolationLevel,
    topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] }],
  });
  const p = r.topics[0]!.partitions[0]!;
  assert.equal(p.errorCode, 0, `ListOffsets ${topic} ${timestamp}: error ${p.errorCode}`);
  return p.offset;
}

async function alterTopicConfig(c: RawClient, topic: string, name: string, value: string | null) {
  const r = await c.request(IncrementalAlterConfigs, 1, {
    resources: [
      {
        resourceType: 2,
        resourceName: topic,
        configs: [{ name, configOperation: value === null ? 1 : 0, value }],
      },
    ],
    validateOnly: false,
  });
  assert.equal(r.responses[0]!.errorCode, 0, `alter ${topic} ${name}: ${r.responses[0]!.errorMessage}`);
}

interface Delivered {
  offset: bigint;
  value: string;
}

class OutOfRange extends Error {}

/**
 * Reads from `from` to `until` with Fetch at the given isolation level. read_committed drops the
 * batches of aborted transactions the way clients do: the aborted transactions of a response, by
 * first offset, mark their producer as aborting from the batch reaching that offset until its ABORT
 * marker.
 */
async function readFrom(
  c: RawClient,
  topic: string,
  from: bigint,
  until: bigint,
  isolation: 0 | 1,
  gapsAllowed: boolean,
): Promise<{ records: Delivered[]; lso: bigint[] }> {
  const records: Delivered[] = [];
  const lso: bigint[] = [];
  let offset = from;
  for (let round = 0; offset < until; round++) {
    assert.ok(round < 10_000, "read does not end");
    const res = await c.request(Fetch, 11, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
      isolationLevel: isolation,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic, partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 1 << 20 }] }],
      forgottenTopicsData: [],
      rackId: "",
    });
    const p = res.responses[0]!.partitions[0]!;
    if (p.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) throw new OutOfRange(`offset ${offset}`);
    assert.equal(p.errorCode, 0, `fetch ${topic}@${offset}: error ${p.errorCode}`);
    lso.push(p.lastStableOffset);
    if (isolation === 1)
      assert.ok(p.abortedTransactions !== null, "read_committed fetch without an aborted list");
    const batches = p.records && p.records.length > 0 ? readBatchesMinimal(p.records) : [];
    // On a compacted topic everything from here to the bound may have been cleaned away (aborted
    // records below an open transaction): the reader then waits there, as a client would.
    if (batches.length === 0 && gapsAllowed) break;
    assert.ok(
      batches.length > 0,
      `fetch ${topic}@${offset} (isolation ${isolation}) returned nothing below ${until}`,
    );
    const aborted = [...(p.abortedTransactions ?? [])].sort((a, b) =>
      a.firstOffset < b.firstOffset ? -1 : 1,
    );
    const aborting = new Set<bigint>();
    for (const batch of batches) {
      assert.ok(batch.crcValid, `batch at ${batch.baseOffset} fails its CRC`);
      const last = batch.baseOffset + BigInt(batch.lastOffsetDelta);
      while (aborted.length > 0 && aborted[0]!.firstOffset <= last) aborting.add(aborted.shift()!.producerId);
      const control = (batch.attributes & 0x20) !== 0;
      const transactional = (batch.attributes & 0x10) !== 0;
      if (control) {
        const key = batch.records[0]?.key;
        if (key && key.length >= 4 && key.readInt16BE(2) === 0) aborting.delete(batch.producerId);
      } else if (!(transactional && aborting.has(batch.producerId))) {
        for (const r of batch.records) {
          const o = batch.baseOffset + BigInt(r.offsetDelta);
          if (o >= offset) records.push({ offset: o, value: r.value!.toString() });
        }
      }
      offset = last + 1n;
    }
  }
  return { records, lso };
}

const fmt = (r: { offset: bigint; value: string }) => `${r.offset}:${r.value}`;

/**
 * Checks the topic against its model: LSO (ListOffsets and Fetch), DescribeProducers, and a
 * read_committed and a read_uncommitted reader from every offset between the log start and the end.
 */
export async function checkTopic(c: RawClient, m: TopicModel): Promise<{ compactedAway: number }> {
  const t = m.topic;
  const hw = await listOffset(c, t, -1n, 0);
  assert.equal(hw, m.end, `${t}: high watermark`);
  const lso = await listOffset(c, t, -1n, 1);
  let logStart = await listOffset(c, t, -2n, 0);
  const opens = m.producers.filter((p) => p.open && p.open.length > 0);
  // With its producer state kept, the LSO is the earliest open transaction's start, held at the log
  // start when DeleteRecords or retention passed it (as Kafka). After a restart that rebuilt the
  // state from the log start, a transaction whose first records are gone starts at its first record
  // left (or is unknown to the partition when none is left): both answers are sound.
  let kept = hw;
  let rebuilt = hw;
  for (const p of opens) {
    const first = p.open![0]!.offset;
    const clamped = first < logStart ? logStart : first;
    if (clamped < kept) kept = clamped;
    const left = first >= logStart ? first : p.open!.find((r) => r.offset >= logStart)?.offset;
    if (left !== undefined && left < rebuilt) rebuilt = left;
  }
  assert.ok(
    lso === kept || lso === rebuilt,
    `${t}: LSO from ListOffsets(read_committed) ${lso}, expected ${kept}${rebuilt !== kept ? ` or ${rebuilt}` : ""}`,
  );

  const dp = await c.request(DescribeProducers, 0, { topics: [{ name: t, partitionIndexes: [0] }] });
  const dpp = dp.topics[0]!.partitions[0]!;
  assert.equal(dpp.errorCode, 0, `${t}: DescribeProducers error ${dpp.errorCode}`);
  for (const p of m.producers) {
    const seen = dpp.activeProducers.find((a) => a.producerId === p.pid);
    if (p.open && p.open.length > 0) {
      const first = p.open[0]!.offset;
      if (!seen && first < logStart && !p.open.some((r) => r.offset >= logStart)) continue;
      assert.ok(seen, `${t}: DescribeProducers lacks producer ${p.pid} with an open transaction`);
      if (first >= logStart) {
        assert.equal(seen.currentTxnStartOffset, first, `${t}: open transaction start of ${p.pid}`);
      } else {
        // The transaction's first records were deleted (DeleteRecords, retention). A broker that
        // rebuilt its producer state from the log since (a restart with no snapshot in range) knows
        // only the first of its records it read then: it reads whole batches, so that may be below
        // the log start (a batch straddling it), and the log start may have moved on since. Any of
        // the transaction's records up to the first one left now is a sound answer.
        const left = p.open.find((r) => r.offset >= logStart)?.offset;
        const sound = p.open.filter((r) => left === undefined || r.offset <= left).map((r) => r.offset);
        assert.ok(
          sound.includes(seen.currentTxnStartOffset),
          `${t}: open transaction start of ${p.pid}: ${seen.currentTxnStartOffset}, expected ${first} or a later record of the transaction up to ${left} (the first one left after the log start ${logStart})`,
        );
      }
      assert.equal(seen.producerEpoch, p.epoch, `${t}: epoch of ${p.pid}`);
    } else if (seen && seen.producerEpoch === p.epoch) {
      assert.equal(seen.currentTxnStartOffset, -1n, `${t}: producer ${p.pid} has no open transaction`);
    }
  }

  const compact = m.policy.includes("compact");
  let compactedAway = 0;
  for (let attempt = 0; ; attempt++) {
    try {
      for (let from = logStart; from < hw; from++) {
        const lower = from;
        progress.where = `${t}: check from ${from}`;
        const rc = await readFrom(c, t, from, lso, 1, compact);
        for (const x of rc.lso) assert.equal(x, lso, `${t}: LSO in Fetch`);
        const ru = await readFrom(c, t, from, hw, 0, compact);
        const inRange = m.records.filter((r) => r.offset >= lower);
        const visible = inRange.filter(
          (r) => (r.status === "committed" || r.status === "plain") && r.offset < lso,
        );
        if (!compact) {
          assert.deepEqual(rc.records.map(fmt), visible.map(fmt), `${t}: read_committed from ${from}`);
          assert.deepEqual(
            ru.records.map(fmt),
            inRange.filter((r) => r.offset < hw).map(fmt),
            `${t}: read_uncommitted from ${from}`,
          );
        } else {
          checkCompacted(t, from, rc.records, visible, latestPerKey(visible), "read_committed");
          // Above the LSO nothing is cleanable: read_uncommitted sees all of it.
          const mustRu = [...latestPerKey(visible), ...inRange.filter((r) => r.offset >= lso)];
          checkCompacted(t, from, ru.records, inRange, mustRu, "read_uncommitted");
        }
        if (from === logStart)
          compactedAway = inRange.filter((r) => r.offset < hw).length - ru.records.length;
      }
      return { compactedAway };
    } catch (e) {
      // Retention or the cleaner moved the log start under the reader: read again from the new one.
      if (!(e instanceof OutOfRange) || attempt >= 3) throw e;
      logStart = await listOffset(c, t, -2n, 0);
    }
  }
}

function latestPerKey(records: ModelRecord[]): ModelRecord[] {
  const last = new Map<string, ModelRecord>();
  for (const r of records) last.set(r.key, r);
  return [...last.values()];
}

/**
 * Compacted topics: what a reader gets is an ordered subset of `allowed` (never anything else, in
 * particular no aborted record for read_committed) holding at least every record in `must` (the
 * latest committed record of each key, which no cleaning may remove).
 */
function checkCompacted(
  t: string,
  from: bigint,
  got: Delivered[],
  allowed: ModelRecord[],
  must: ModelRecord[],
  what: string,
): void {
  const byOffset = new Map(allowed.map((r) => [r.offset, r]));
  let prev = -1n;
  for (const r of got) {
    const want = byOffset.get(r.offset);
    assert.ok(
      want && want.value === r.value,
      `${t}: ${what} from ${from} delivered ${fmt(r)}, which it must not`,
    );
    assert.ok(r.offset > prev, `${t}: ${what} from ${from} out of order at ${r.offset}`);
    prev = r.offset;
  }
  const gotOffsets = new Set(got.map((r) => r.offset));
  for (const r of must) assert.ok(gotOffsets.has(r.offset), `${t}: ${what} from ${from} lacks ${fmt(r)}`);
}

/** A Brook process that can be restarted on the same data dir, with one raw connection. */
export async function restartableBroker(
  spawn: (dataDir: string) => Promise<BrokerProcess>,
  dataDir: string,
): Promise<BrokerHandle & { close(): Promise<void>; restarts: { kill: number; term: number } }> {
  let proc = await spawn(dataDir);
  let conn = await RawClient.connect(proc.port);
  const restarts = { kill: 0, term: 0 };
  return {
    restarts,
    client: () => conn,
    async restart(kill: boolean) {
      conn.close();
      const code = await proc.stop(kill ? "SIGKILL" : "SIGTERM");
      if (!kill)
        assert.equal(code, 0, `broker exited with ${code} on SIGTERM:\n${proc.output().slice(-2000)}`);
      if (kill) restarts.kill++;
      else restarts.term++;
      proc = await spawn(dataDir);
      conn = await RawClient.connect(proc.port);
    },
    async close() {
      conn.close();
      // A broker that cannot shut down gracefully must not outlive the test either.
      const kill = setTimeout(() => void proc.stop("SIGKILL"), 15_000);
      await proc.stop("SIGTERM");
      clearTimeout(kill);
    },
  };
}
