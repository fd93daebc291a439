/**
 * The cases of the differential protocol test (differential.test.ts): each one a list of requests
 * sent alike to Brook and to Apache Kafka, whose normalised answers must agree. Adding a case is
 * adding an entry; see test/support/differential.ts for steps and normalisation rules.
 *
 * Topic names start with the case's name, so cases never see each other's topics (the brokers are
 * shared by all cases, which run one after the other).
 */
import { ErrorCode } from "../../src/protocol/error-codes.js";
import { AddPartitionsToTxn } from "../../src/protocol/messages/add-partitions-to-txn.js";
import { AlterConfigs } from "../../src/protocol/messages/alter-configs.js";
import { ApiVersions } from "../../src/protocol/messages/api-versions.js";
import { CreatePartitions } from "../../src/protocol/messages/create-partitions.js";
import { CreateTopics } from "../../src/protocol/messages/create-topics.js";
import { DeleteRecords } from "../../src/protocol/messages/delete-records.js";
import { DescribeCluster } from "../../src/protocol/messages/describe-cluster.js";
import { DescribeConfigs } from "../../src/protocol/messages/describe-configs.js";
import { DescribeProducers } from "../../src/protocol/messages/describe-producers.js";
import { DescribeTransactions } from "../../src/protocol/messages/describe-transactions.js";
import { EndTxn } from "../../src/protocol/messages/end-txn.js";
import { Fetch } from "../../src/protocol/messages/fetch.js";
import { FindCoordinator } from "../../src/protocol/messages/find-coordinator.js";
import { IncrementalAlterConfigs } from "../../src/protocol/messages/incremental-alter-configs.js";
import { InitProducerId } from "../../src/protocol/messages/init-producer-id.js";
import { JoinGroup } from "../../src/protocol/messages/join-group.js";
import { ListOffsets } from "../../src/protocol/messages/list-offsets.js";
import { ListTransactions } from "../../src/protocol/messages/list-transactions.js";
import { Metadata } from "../../src/protocol/messages/metadata.js";
import { OffsetCommit } from "../../src/protocol/messages/offset-commit.js";
import { OffsetFetch } from "../../src/protocol/messages/offset-fetch.js";
import { Produce } from "../../src/protocol/messages/produce.js";
import { computeBatchCrc, BATCH } from "../../src/protocol/records/batch-header.js";
import { encodeRecordBatchSync, type BatchInput } from "../../src/protocol/records/record-batch.js";
import type { ResponseOf } from "../../src/protocol/schema.js";
import { type Case, noAnswer, raw, req, type Rules, type Step, type Vars } from "../support/differential.js";

// ---------------------------------------------------------------------------------------------
// Building blocks

/** Record timestamps: a minute before the run (recent enough for every retention and bound). */
const T0 = Math.floor(Date.now() / 1000) * 1000 - 60_000;

const RETRIABLE = new Set<number>([
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.CONCURRENT_TRANSACTIONS,
]);

/** True when no errorCode anywhere in the response is a transient one (for `until`). */
function settled(v: unknown): boolean {
  if (Array.isArray(v)) return v.every(settled);
  if (v && typeof v === "object" && !Buffer.isBuffer(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (/errorCode$/i.test(k) && typeof x === "number" && RETRIABLE.has(x)) return false;
      if (!settled(x)) return false;
    }
  }
  return true;
}

/** A record batch of `n` records `k<i>`/`v<i>`, timestamps T0 + i. */
function batch(n: number, opts: Partial<BatchInput> & { from?: number } = {}): Buffer {
  const from = opts.from ?? 0;
  return encodeRecordBatchSync({
    records: Array.from({ length: n }, (_, i) => ({
      key: `k${from + i}`,
      value: `v${from + i}`,
      timestamp: T0 + from + i,
    })),
    ...opts,
  });
}

function produceBody(
  topic: string,
  partition: number,
  records: Buffer,
  acks: number,
  transactionalId: string | null = null,
) {
  return {
    transactionalId,
    acks,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
  };
}

function produce(
  topic: string,
  records: Buffer | ((v: Vars) => Buffer),
  opts: {
    partition?: number;
    acks?: number;
    version?: number;
    name?: string;
    tid?: string;
    rules?: Rules;
  } = {},
): Step {
  return req(
    Produce,
    opts.version ?? 9,
    (v) =>
      produceBody(
        topic,
        opts.partition ?? 0,
        typeof records === "function" ? records(v) : records,
        opts.acks ?? -1,
        opts.tid ?? null,
      ),
    { name: opts.name ?? `produce ${topic}`, ...(opts.rules ? { rules: opts.rules } : {}) },
  );
}

/** Metadata for `topics` until every partition has a leader (Kafka: the new topic reached the broker). */
function ready(topics: string[], name = `metadata ${topics.join(",")}`): Step {
  return req(
    Metadata,
    12,
    { topics: topics.map((t) => ({ name: t })), allowAutoTopicCreation: false },
    {
      name,
      until: (r) =>
        r.topics.every(
          (t) => t.errorCode === 0 && t.partitions.length > 0 && t.partitions.every((p) => p.leaderId >= 0),
        ),
      save: (r, v) => {
        for (const t of r.topics) v[`id:${t.name}`] = t.topicId;
      },
    },
  );
}

const CREATE_RULES: Rules = { "topics.*.configs": { keyBy: "name" } };
/** Setup steps leave the new topic's configs to the create-topics case. */
const SETUP_CREATE_RULES: Rules = { "topics.*.configs": "ignore" };

/** CreateTopics v7 of one topic, then Metadata until it is served. */
function createTopic(
  name: string,
  partitions = 1,
  configs: Record<string, string> = {},
  rules: Rules = SETUP_CREATE_RULES,
): Step[] {
  return [
    req(
      CreateTopics,
      7,
      {
        topics: [
          {
            name,
            numPartitions: partitions,
            replicationFactor: 1,
            assignments: [],
            configs: Object.entries(configs).map(([k, x]) => ({ name: k, value: x })),
          },
        ],
        timeoutMs: 30_000,
        validateOnly: false,
      },
      { name: `create ${name}`, rules },
    ),
    ready([name]),
    // Kafka serves a new partition a moment after its metadata shows a leader.
    listOffsets(
      name,
      Array.from({ length: partitions }, (_, p): [number, number] => [p, -1]),
      { name: `latest offsets of ${name}` },
    ),
  ];
}

function createTopicsBody(
  topics: Array<{ name: string; partitions?: number; rf?: number; configs?: Record<string, string | null> }>,
  validateOnly = false,
) {
  return {
    topics: topics.map((t) => ({
      name: t.name,
      numPartitions: t.partitions ?? 1,
      replicationFactor: t.rf ?? 1,
      assignments: [],
      configs: Object.entries(t.configs ?? {}).map(([k, x]) => ({ name: k, value: x })),
    })),
    timeoutMs: 30_000,
    validateOnly,
  };
}

function listOffsets(
  topic: string,
  partitions: Array<[partition: number, timestamp: number]>,
  opts: { version?: number; isolation?: number; name?: string; epoch?: number } = {},
): Step {
  return req(
    ListOffsets,
    opts.version ?? 8,
    {
      replicaId: -1,
      isolationLevel: opts.isolation ?? 0,
      topics: [
        {
          name: topic,
          partitions: partitions.map(([p, ts]) => ({
            partitionIndex: p,
            timestamp: BigInt(ts),
            currentLeaderEpoch: opts.epoch ?? -1,
          })),
        },
      ],
      timeoutMs: 5000,
    },
    {
      name: opts.name ?? `list offsets ${topic} ${partitions.map(([p, t]) => `${p}@${t}`).join(",")}`,
      // Kafka answers partitions in the order their lookups complete.
      rules: { "topics.*.partitions": { sortBy: "partitionIndex" } },
      until: settled,
    },
  );
}

function fetch(
  topic: string,
  offset: number,
  opts: { partition?: number; version?: number; isolation?: number; name?: string; maxBytes?: number } = {},
): Step {
  const version = opts.version ?? 12;
  return req(
    Fetch,
    version,
    (v) => ({
      replicaId: -1,
      maxWaitMs: 10,
      minBytes: 0,
      maxBytes: 1 << 20,
      isolationLevel: opts.isolation ?? 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic,
          topicId: v[`id:${topic}`] ?? "00000000-0000-0000-0000-000000000000",
          partitions: [
            {
              partition: opts.partition ?? 0,
              fetchOffset: BigInt(offset),
              logStartOffset: -1n,
              partitionMaxBytes: opts.maxBytes ?? 1 << 20,
            },
          ],
        },
      ],
      forgottenTopicsData: [],
      rackId: "",
    }),
    { name: opts.name ?? `fetch ${topic}-${opts.partition ?? 0}@${offset} v${version}` },
  );
}

function describeConfigs(
  resources: Array<{ type: number; name: string | ((v: Vars) => string); keys?: string[] | null }>,
  opts: {
    version?: number;
    synonyms?: boolean;
    docs?: boolean;
    name: string;
    until?: (r: ResponseOf<typeof DescribeConfigs>) => boolean;
  },
): Step {
  return req(
    DescribeConfigs,
    opts.version ?? 4,
    (v) => ({
      resources: resources.map((r) => ({
        resourceType: r.type,
        resourceName: typeof r.name === "function" ? r.name(v) : r.name,
        configurationKeys: r.keys ?? null,
      })),
      includeSynonyms: opts.synonyms ?? true,
      includeDocumentation: opts.docs ?? true,
    }),
    {
      name: opts.name,
      rules: { "results.*.configs": { keyBy: "name" } },
      ...(opts.until ? { until: opts.until } : {}),
    },
  );
}

const TOPIC = 2;
const BROKER = 4;
const brokerId = (v: Vars) => String(v.nodeId);

/** DescribeCluster, keeping the broker's node id in `nodeId` (not compared: node ids differ). */
const learnNodeId: Step = req(
  DescribeCluster,
  0,
  { includeClusterAuthorizedOperations: false },
  { name: "learn node id", compare: false, save: (r, v) => (v.nodeId = r.brokers[0]!.brokerId) },
);

function header(apiKey: number, version: number, correlationId: number, flexible: boolean): Buffer {
  const clientId = Buffer.from("raw-test");
  const h = Buffer.alloc(10 + clientId.length);
  h.writeInt16BE(apiKey, 0);
  h.writeInt16BE(version, 2);
  h.writeInt32BE(correlationId, 4);
  h.writeInt16BE(clientId.length, 8);
  clientId.copy(h, 10);
  return flexible ? Buffer.concat([h, Buffer.from([0])]) : h;
}

function sized(...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

function int16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
}
function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}
function str(s: string): Buffer {
  return Buffer.concat([int16(Buffer.byteLength(s)), Buffer.from(s)]);
}

/** The steps, each repeated while its answer carries a retriable error (unless it has its own rule). */
function untilSettled(steps: Step[]): Step[] {
  return steps.map((s) => (s.until ? s : { ...s, until: (r: unknown) => settled(r) }));
}

function findCoordinatorUntilReady(key: string, keyType: number, name: string): Step {
  return req(FindCoordinator, 3, { key, keyType }, { name, until: (r) => r.errorCode === ErrorCode.NONE });
}

function initProducerId(
  tid: string | null,
  opts: {
    name: string;
    save?: (r: { producerId: bigint; producerEpoch: number }, v: Vars) => void;
    version?: number;
    pid?: (v: Vars) => bigint;
    epoch?: (v: Vars) => number;
  },
): Step {
  return req(
    InitProducerId,
    opts.version ?? 4,
    (v) => ({
      transactionalId: tid,
      transactionTimeoutMs: 60_000,
      producerId: opts.pid ? opts.pid(v) : -1n,
      producerEpoch: opts.epoch ? opts.epoch(v) : -1,
    }),
    { name: opts.name, until: (r) => settled(r), ...(opts.save ? { save: opts.save } : {}) },
  );
}

function addPartitions(tid: string, topic: string, partitions: number[], who: string, name: string): Step {
  return req(
    AddPartitionsToTxn,
    3,
    (v) => ({
      v3AndBelowTransactionalId: tid,
      v3AndBelowProducerId: v[`${who}.pid`],
      v3AndBelowProducerEpoch: v[`${who}.epoch`],
      v3AndBelowTopics: [{ name: topic, partitions }],
    }),
    { name, until: (r) => settled(r) },
  );
}

function endTxn(tid: string, who: string, committed: boolean, name: string, version = 3): Step {
  return req(
    EndTxn,
    version,
    (v) => ({
      transactionalId: tid,
      producerId: v[`${who}.pid`],
      producerEpoch: v[`${who}.epoch`],
      committed,
    }),
    { name, until: (r) => settled(r) },
  );
}

function txnBatch(who: string, n: number, seq: number) {
  return (v: Vars) =>
    batch(n, {
      producerId: v[`${who}.pid`],
      producerEpoch: v[`${who}.epoch`],
      baseSequence: seq,
      isTransactional: true,
      from: seq,
    });
}

// ---------------------------------------------------------------------------------------------
// The cases

export const CASES: Case[] = [
  {
    name: "api-versions",
    steps: [
      req(
        ApiVersions,
        3,
        { clientSoftwareName: "brook-differential", clientSoftwareVersion: "1.0" },
        {
          name: "ApiVersions v3",
          rules: { apiKeys: { keyBy: "apiKey" } },
        },
      ),
      req(ApiVersions, 0, {}, { name: "ApiVersions v0", rules: { apiKeys: { keyBy: "apiKey" } } }),
      raw(
        "ApiVersions v99 (unsupported)",
        (corr) => sized(header(18, 99, corr, true), Buffer.from([2, 0x61, 2, 0x31, 0])),
        { decodeAs: { api: ApiVersions, version: 0 }, rules: { apiKeys: { keyBy: "apiKey" } } },
      ),
      raw("Metadata v99 (unsupported)", (corr) =>
        sized(header(3, 99, corr, true), Buffer.from([1, 0, 0, 0])),
      ),
      raw("unknown api key 9999", (corr) => sized(header(9999, 0, corr, false), Buffer.alloc(4))),
    ],
  },
  {
    name: "produce-old-versions",
    steps: [
      ...createTopic("produce-old-versions"),
      raw("Produce v2 (advertised, not served by Kafka 4)", (corr) =>
        sized(
          header(0, 2, corr, false),
          int16(1),
          int32(5000),
          int32(1),
          str("produce-old-versions"),
          int32(1),
          int32(0),
          int32(batch(1).length),
          batch(1),
        ),
      ),
      produce("produce-old-versions", batch(1), { version: 3, name: "Produce v3" }),
      listOffsets("produce-old-versions", [[0, -1]]),
    ],
  },
  {
    name: "create-topics",
    steps: [
      ...createTopic(
        "create-topics-a",
        2,
        { "retention.ms": "3600000", "cleanup.policy": "compact" },
        CREATE_RULES,
      ),
      req(CreateTopics, 7, createTopicsBody([{ name: "create-topics-a" }]), {
        name: "existing topic",
        rules: CREATE_RULES,
      }),
      req(
        CreateTopics,
        7,
        createTopicsBody([
          { name: "create-topics-p0", partitions: 0 },
          { name: "create-topics-pneg", partitions: -2 },
          { name: "create-topics-rf3", rf: 3 },
          { name: "create-topics-rf0", rf: 0 },
        ]),
        { name: "invalid partitions and replication factors", rules: CREATE_RULES },
      ),
      req(
        CreateTopics,
        7,
        createTopicsBody([
          { name: "create-topics-bad-value", configs: { "retention.ms": "abc" } },
          { name: "create-topics-unknown-key", configs: { "no.such.config": "1" } },
          { name: "create-topics-bad-enum", configs: { "cleanup.policy": "shred" } },
          { name: "create-topics-small-segment", configs: { "segment.bytes": "1024" } },
          { name: "create-topics-null-value", configs: { "retention.ms": null } },
          { name: "create-topics-min-isr", configs: { "min.insync.replicas": "0" } },
        ]),
        { name: "invalid configs", rules: CREATE_RULES },
      ),
      req(
        CreateTopics,
        7,
        createTopicsBody([
          { name: "" },
          { name: "." },
          { name: ".." },
          { name: "create topics space" },
          { name: "create-topics-ü" },
          { name: `create-topics-${"x".repeat(250)}` },
        ]),
        { name: "invalid names", rules: CREATE_RULES },
      ),
      ...createTopic("create-topics.dot", 1, {}, CREATE_RULES),
      req(CreateTopics, 7, createTopicsBody([{ name: "create-topics_dot" }]), {
        name: "name colliding with another by . and _",
        rules: CREATE_RULES,
      }),
      req(CreateTopics, 7, createTopicsBody([{ name: "create-topics-dup" }, { name: "create-topics-dup" }]), {
        name: "same name twice in one request",
        rules: CREATE_RULES,
      }),
      req(
        CreateTopics,
        7,
        createTopicsBody(
          [{ name: "create-topics-validate", partitions: 3, configs: { "segment.ms": "60000" } }],
          true,
        ),
        { name: "validateOnly", rules: CREATE_RULES },
      ),
      req(
        Metadata,
        12,
        { topics: [{ name: "create-topics-validate" }], allowAutoTopicCreation: false },
        { name: "validateOnly created nothing" },
      ),
      req(
        CreateTopics,
        7,
        createTopicsBody([{ name: "create-topics-default-partitions", partitions: -1, rf: -1 }], true),
        { name: "default partitions and replication factor (validateOnly)", rules: CREATE_RULES },
      ),
      req(
        CreateTopics,
        4,
        createTopicsBody([{ name: "create-topics-a" }, { name: "create-topics-v4", partitions: 0 }]),
        { name: "CreateTopics v4 errors" },
      ),
      req(
        CreateTopics,
        7,
        createTopicsBody(
          [
            { name: "create-topics-many-1", partitions: 6000 },
            { name: "create-topics-many-2", partitions: 6000 },
          ],
          true,
        ),
        { name: "more than 10,000 partitions in one request (validateOnly)", rules: CREATE_RULES },
      ),
    ],
  },
  {
    name: "describe-configs",
    steps: [
      learnNodeId,
      ...createTopic("describe-configs-t", 1, { "retention.ms": "3600000", "max.message.bytes": "2000" }),
      describeConfigs([{ type: TOPIC, name: "describe-configs-t" }], {
        name: "topic, all, synonyms and docs",
      }),
      describeConfigs([{ type: TOPIC, name: "describe-configs-t" }], {
        name: "topic, all, v1 without synonyms",
        version: 1,
        synonyms: false,
      }),
      describeConfigs(
        [{ type: TOPIC, name: "describe-configs-t", keys: ["retention.ms", "segment.bytes", "no.such.key"] }],
        { name: "topic, some keys" },
      ),
      describeConfigs([{ type: TOPIC, name: "describe-configs-missing" }], { name: "unknown topic" }),
      describeConfigs([{ type: TOPIC, name: "" }], { name: "empty topic name" }),
      describeConfigs(
        [
          {
            type: BROKER,
            name: brokerId,
            keys: [
              "num.partitions",
              "default.replication.factor",
              "message.max.bytes",
              "log.retention.hours",
              "log.retention.ms",
              "log.segment.bytes",
              "auto.create.topics.enable",
              "log.cleanup.policy",
              "compression.type",
              "group.initial.rebalance.delay.ms",
              "log.message.timestamp.after.max.ms",
              "log.message.timestamp.before.max.ms",
              "min.insync.replicas",
              "offsets.retention.minutes",
              "transaction.max.timeout.ms",
              "delete.topic.enable",
              "log.roll.hours",
              "log.roll.ms",
              "log.cleaner.enable",
              "log.cleaner.backoff.ms",
              "num.io.threads",
              "max.connections",
              "max.decompressed.message.bytes",
              "log.remote.copy.lag.ms",
              "offsets.topic.num.partitions",
              "producer.id.expiration.ms",
            ],
          },
        ],
        { name: "broker, some keys" },
      ),
      describeConfigs([{ type: BROKER, name: "99" }], { name: "another broker's id" }),
      describeConfigs([{ type: BROKER, name: "x" }], { name: "broker name not a number" }),
      describeConfigs([{ type: 99, name: "x" }], { name: "unknown resource type" }),
    ],
  },
  {
    name: "alter-configs",
    steps: [
      ...createTopic("alter-configs-t"),
      req(
        AlterConfigs,
        1,
        {
          resources: [
            {
              resourceType: TOPIC,
              resourceName: "alter-configs-t",
              configs: [{ name: "retention.ms", value: "abc" }],
            },
          ],
          validateOnly: false,
        },
        { name: "AlterConfigs invalid value" },
      ),
      req(
        AlterConfigs,
        1,
        {
          resources: [
            {
              resourceType: TOPIC,
              resourceName: "alter-configs-t",
              configs: [{ name: "no.such.config", value: "1" }],
            },
          ],
          validateOnly: false,
        },
        { name: "AlterConfigs unknown key" },
      ),
      req(
        AlterConfigs,
        2,
        {
          resources: [
            {
              resourceType: TOPIC,
              resourceName: "alter-configs-missing",
              configs: [{ name: "retention.ms", value: "1" }],
            },
          ],
          validateOnly: false,
        },
        { name: "AlterConfigs unknown topic" },
      ),
      req(
        AlterConfigs,
        2,
        {
          resources: [
            {
              resourceType: TOPIC,
              resourceName: "alter-configs-t",
              configs: [{ name: "retention.ms", value: "7200000" }],
            },
          ],
          validateOnly: true,
        },
        { name: "AlterConfigs validateOnly" },
      ),
      describeConfigs([{ type: TOPIC, name: "alter-configs-t", keys: ["retention.ms"] }], {
        name: "validateOnly changed nothing",
      }),
      req(
        IncrementalAlterConfigs,
        1,
        {
          resources: [
            {
              resourceType: TOPIC,
              resourceName: "alter-configs-t",
              configs: [{ name: "retention.ms", configOperation: 0, value: "-5" }],
            },
          ],
          validateOnly: false,
        },
        { name: "incremental SET invalid value" },
      ),
      req(
        IncrementalAlterConfigs,
        1,
        {
          resources: [
            {
              resourceType: TOPIC,
              resourceName: "alter-configs-t",
              configs: [{ name: "no.such.config", configOperation: 0, value: "1" }],
            },
          ],
          validateOnly: false,
        },
        { name: "incremental SET unknown key" },
      ),
      req(
        IncrementalAlterConfigs,
        1,
        {
          resources: [
            {
              resourceType: TOPIC,
              resourceName: "alter-configs-t",
              configs: [{ name: "no.such.config", configOperation: 1, value: null }],
            },
          ],
          validateOnly: false,
        },
        { name: "incremental DELETE unknown key" },
      ),
      req(
        IncrementalAlterConfigs,
        1,
        {
          resources: [
            {
              resourceType: TOPIC,
              resourceName: "alter-configs-t",
              configs: [{ name: "retention.ms", configOperation: 2, value: "5" }],
            },
          ],
          validateOnly: false,
        },
        { name: "incremental APPEND to a non-list" },
      ),
      req(
        IncrementalAlterConfigs,
        1,
        {
          resources: [
            {
              resourceType: TOPIC,
              resourceName: "alter-configs-t",
              configs: [{ name: "retention.ms", configOperation: 9, value: "5" }],
            },
          ],
          validateOnly: false,
        },
        { name: "incremental unknown operation" },
      ),
      req(
        IncrementalAlterConfigs,
        1,
        {
          resources: [
            {
              resourceType: TOPIC,
              resourceName: "alter-configs-t",
              configs: [{ name: "segment.bytes", configOperation: 0, value: "1000" }],
            },
          ],
          validateOnly: false,
        },
        { name: "incremental segment.bytes below Kafka's minimum" },
      ),
      req(
        IncrementalAlterConfigs,
        1,
        {
          resources: [
            {
              resourceType: TOPIC,
              resourceName: "alter-configs-t",
              configs: [
                { name: "retention.ms", configOperation: 0, value: "1000" },
                { name: "retention.ms", configOperation: 0, value: "2000" },
              ],
            },
          ],
          validateOnly: false,
        },
        { name: "incremental same key twice" },
      ),
      req(
        IncrementalAlterConfigs,
        1,
        {
          resources: [
            {
              resourceType: TOPIC,
              resourceName: "alter-configs-t",
              configs: [
                { name: "retention.ms", configOperation: 0, value: "7200000" },
                { name: "cleanup.policy", configOperation: 2, value: "compact" },
              ],
            },
          ],
          validateOnly: false,
        },
        { name: "incremental SET and APPEND" },
      ),
      req(
        IncrementalAlterConfigs,
        1,
        {
          resources: [
            {
              resourceType: TOPIC,
              resourceName: "alter-configs-missing",
              configs: [{ name: "retention.ms", configOperation: 0, value: "1000" }],
            },
          ],
          validateOnly: false,
        },
        { name: "incremental unknown topic" },
      ),
      describeConfigs([{ type: TOPIC, name: "alter-configs-t", keys: ["retention.ms", "cleanup.policy"] }], {
        name: "after incremental",
      }),
      req(
        IncrementalAlterConfigs,
        1,
        {
          resources: [
            {
              resourceType: TOPIC,
              resourceName: "alter-configs-t",
              configs: [{ name: "cleanup.policy", configOperation: 3, value: "compact" }],
            },
          ],
          validateOnly: false,
        },
        { name: "incremental SUBTRACT the last value" },
      ),
      describeConfigs([{ type: TOPIC, name: "alter-configs-t", keys: ["cleanup.policy"] }], {
        name: "after SUBTRACT",
      }),
    ],
  },
  {
    name: "broker-configs",
    steps: [
      learnNodeId,
      ...createTopic("broker-configs-t"),
      req(
        IncrementalAlterConfigs,
        1,
        {
          resources: [
            {
              resourceType: BROKER,
              resourceName: "",
              configs: [{ name: "log.retention.ms", configOperation: 0, value: "86400000" }],
            },
          ],
          validateOnly: false,
        },
        { name: "cluster default log.retention.ms" },
      ),
      describeConfigs([{ type: TOPIC, name: "broker-configs-t", keys: ["retention.ms"] }], {
        name: "topic inherits the cluster default",
        until: (r) => r.results[0]?.configs[0]?.value === "86400000",
      }),
      describeConfigs([{ type: BROKER, name: brokerId, keys: ["log.retention.ms"] }], {
        name: "broker shows the cluster default",
      }),
      req(
        IncrementalAlterConfigs,
        1,
        {
          resources: [
            {
              resourceType: BROKER,
              resourceName: "",
              configs: [{ name: "num.partitions", configOperation: 0, value: "3" }],
            },
          ],
          validateOnly: true,
        },
        { name: "read-only broker config (validateOnly)" },
      ),
      req(
        IncrementalAlterConfigs,
        1,
        {
          resources: [
            {
              resourceType: BROKER,
              resourceName: "",
              configs: [{ name: "no.such.broker.config", configOperation: 0, value: "3" }],
            },
          ],
          validateOnly: true,
        },
        { name: "unknown broker config (validateOnly)" },
      ),
      req(
        IncrementalAlterConfigs,
        1,
        {
          resources: [
            {
              resourceType: BROKER,
              resourceName: "",
              configs: [{ name: "log.retention.ms", configOperation: 0, value: "abc" }],
            },
          ],
          validateOnly: true,
        },
        { name: "invalid broker config value (validateOnly)" },
      ),
      req(
        IncrementalAlterConfigs,
        1,
        {
          resources: [
            {
              resourceType: BROKER,
              resourceName: "",
              configs: [{ name: "log.retention.ms", configOperation: 1, value: null }],
            },
          ],
          validateOnly: false,
        },
        { name: "delete the cluster default" },
      ),
      describeConfigs([{ type: TOPIC, name: "broker-configs-t", keys: ["retention.ms"] }], {
        name: "topic back to Kafka's default",
        until: (r) => r.results[0]?.configs[0]?.value === "604800000",
      }),
    ],
  },
  {
    name: "produce",
    steps: [
      ...createTopic("produce-t", 2),
      ...createTopic("produce-small", 1, { "max.message.bytes": "1000" }),
      ...createTopic("produce-lat", 1, { "message.timestamp.type": "LogAppendTime" }),
      produce("produce-missing", batch(1), { name: "unknown topic" }),
      produce("produce-t", batch(1), { partition: 7, name: "unknown partition" }),
      produce("produce-t", batch(3), { acks: 1, name: "acks=1" }),
      produce("produce-t", batch(2, { from: 3 }), { acks: -1, name: "acks=-1" }),
      noAnswer(Produce, 9, produceBody("produce-t", 0, batch(2, { from: 5 }), 0), { name: "acks=0" }),
      listOffsets("produce-t", [[0, -1]], { name: "after acks=0" }),
      produce("produce-t", batch(1), { acks: 2, name: "acks=2" }),
      produce(
        "produce-t",
        (() => {
          const b = batch(2, { from: 10 });
          b.writeUInt32BE((computeBatchCrc(b, 0, b.length) + 1) >>> 0, BATCH.CRC);
          return b;
        })(),
        { name: "bad CRC" },
      ),
      produce("produce-small", batch(1), { name: "small batch under max.message.bytes" }),
      produce(
        "produce-small",
        encodeRecordBatchSync({ records: [{ value: Buffer.alloc(2000, 7), timestamp: T0 }] }),
        { name: "batch over max.message.bytes" },
      ),
      noAnswer(Produce, 9, produceBody("produce-missing", 0, batch(1), 0), {
        name: "acks=0 to an unknown topic",
      }),
      produce("produce-lat", batch(2), { name: "LogAppendTime topic" }),
      produce("produce-t", batch(1), { version: 11, name: "Produce v11" }),
      produce("produce-t", batch(1), { version: 3, name: "Produce v3" }),
      produce("produce-t", batch(1), { version: 7, name: "Produce v7" }),
      produce(
        "produce-t",
        (() => {
          const b = batch(2, { from: 20 });
          b.writeInt8(1, BATCH.MAGIC);
          return b;
        })(),
        { name: "magic 1 batch" },
      ),
      produce("produce-t", Buffer.alloc(0), { name: "empty records" }),
      produce("produce-t", batch(1), {
        tid: "produce-no-such-txn",
        name: "transactional id without a transaction",
      }),
      ...createTopic("produce-compacted", 1, { "cleanup.policy": "compact" }),
      produce(
        "produce-compacted",
        encodeRecordBatchSync({
          records: [
            { key: "a", value: "1", timestamp: T0 },
            { key: null, value: "2", timestamp: T0 },
            { key: null, value: "3", timestamp: T0 },
          ],
        }),
        { name: "null keys to a compacted topic (record errors)" },
      ),
      produce(
        "produce-t",
        encodeRecordBatchSync({ records: [{ key: "a", value: "1", timestamp: Date.now() + 7_200_000 }] }),
        { name: "a timestamp two hours ahead" },
      ),
      fetch("produce-t", 0, { name: "what was written" }),
    ],
  },
  {
    name: "fetch",
    steps: [
      ...createTopic("fetch-t", 2),
      produce("fetch-t", batch(5)),
      fetch("fetch-t", 0),
      fetch("fetch-t", 3, { name: "from the middle of a batch" }),
      fetch("fetch-t", 5, { name: "at the high watermark" }),
      fetch("fetch-t", 6, { name: "one beyond the high watermark" }),
      fetch("fetch-t", 1000, { name: "far out of range" }),
      fetch("fetch-t", -1, { name: "negative offset" }),
      fetch("fetch-t", 0, { partition: 1, name: "empty partition" }),
      fetch("fetch-t", 0, { partition: 9, name: "unknown partition" }),
      fetch("fetch-missing", 0, { name: "unknown topic" }),
      fetch("fetch-t", 0, { version: 4, name: "Fetch v4" }),
      fetch("fetch-t", 0, { version: 11, name: "Fetch v11" }),
      fetch("fetch-t", 0, { version: 13, name: "Fetch v13 by topic id" }),
      fetch("fetch-t", 0, { version: 17, name: "Fetch v17 by topic id" }),
      req(
        Fetch,
        13,
        {
          replicaId: -1,
          maxWaitMs: 10,
          minBytes: 0,
          maxBytes: 1 << 20,
          isolationLevel: 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [
            {
              topicId: "0123e4a5-0000-4000-8000-000000000001",
              partitions: [
                { partition: 0, fetchOffset: 0n, logStartOffset: -1n, partitionMaxBytes: 1 << 20 },
              ],
            },
          ],
          forgottenTopicsData: [],
          rackId: "",
        },
        { name: "Fetch v13 unknown topic id" },
      ),
      fetch("fetch-t", 0, { maxBytes: 10, name: "partition max bytes below one batch" }),
      req(
        DeleteRecords,
        2,
        { topics: [{ name: "fetch-t", partitions: [{ partitionIndex: 0, offset: 2n }] }], timeoutMs: 5000 },
        { name: "delete records before 2" },
      ),
      fetch("fetch-t", 1, { name: "below the log start offset" }),
      fetch("fetch-t", 2, { name: "at the log start offset" }),
    ],
  },
  {
    name: "list-offsets",
    steps: [
      ...createTopic("list-offsets-t", 2),
      listOffsets(
        "list-offsets-t",
        [
          [0, -2],
          [1, -1],
        ],
        { name: "empty: earliest, latest" },
      ),
      listOffsets("list-offsets-t", [[0, -3]], { name: "empty: max timestamp" }),
      listOffsets("list-offsets-t", [[0, T0]], { name: "empty: a timestamp" }),
      listOffsets("list-offsets-t", [[0, -4]], { version: 9, name: "empty: earliest local (v9)" }),
      produce("list-offsets-t", batch(3)),
      produce("list-offsets-t", batch(3, { from: 3 })),
      listOffsets("list-offsets-t", [[0, -2]], { name: "earliest" }),
      listOffsets("list-offsets-t", [[0, -1]], { name: "latest" }),
      listOffsets("list-offsets-t", [[0, -3]], { name: "max timestamp" }),
      listOffsets("list-offsets-t", [[0, -4]], { version: 9, name: "earliest local (v9)" }),
      listOffsets("list-offsets-t", [[0, -5]], { version: 9, name: "earliest pending upload (-5, v9)" }),
      listOffsets("list-offsets-t", [[0, T0 - 1000]], { name: "timestamp before all" }),
      listOffsets("list-offsets-t", [[0, T0 + 4]], { name: "timestamp in the second batch" }),
      listOffsets("list-offsets-t", [[0, T0 + 2]], { name: "timestamp at the end of the first batch" }),
      listOffsets("list-offsets-t", [[0, T0 + 100]], { name: "timestamp after all" }),
      listOffsets("list-offsets-t", [[0, -1]], { version: 1, name: "latest (v1)" }),
      listOffsets("list-offsets-t", [[0, -1]], { version: 10, name: "latest (v10)" }),
      listOffsets("list-offsets-t", [[0, -1]], { isolation: 1, name: "latest, read_committed" }),
      listOffsets("list-offsets-t", [[7, -1]], { name: "unknown partition" }),
      listOffsets("list-offsets-missing", [[0, -1]], { name: "unknown topic" }),
      listOffsets("list-offsets-t", [[0, -1]], { epoch: 5, name: "leader epoch from the future" }),
      listOffsets("list-offsets-t", [[0, -1]], { epoch: 0, name: "current leader epoch" }),
      listOffsets("list-offsets-t", [[0, -7]], { name: "unknown negative timestamp" }),
    ],
  },
  {
    name: "delete-records",
    steps: [
      ...createTopic("delete-records-t", 2),
      produce("delete-records-t", batch(5)),
      req(
        DeleteRecords,
        2,
        {
          topics: [
            {
              name: "delete-records-t",
              partitions: [
                { partitionIndex: 0, offset: 6n },
                { partitionIndex: 1, offset: 1n },
              ],
            },
          ],
          timeoutMs: 5000,
        },
        { name: "beyond the high watermark" },
      ),
      req(
        DeleteRecords,
        2,
        {
          topics: [{ name: "delete-records-t", partitions: [{ partitionIndex: 0, offset: 2n }] }],
          timeoutMs: 5000,
        },
        { name: "within" },
      ),
      req(
        DeleteRecords,
        2,
        {
          topics: [{ name: "delete-records-t", partitions: [{ partitionIndex: 0, offset: 1n }] }],
          timeoutMs: 5000,
        },
        { name: "below the log start" },
      ),
      req(
        DeleteRecords,
        1,
        {
          topics: [{ name: "delete-records-t", partitions: [{ partitionIndex: 0, offset: -1n }] }],
          timeoutMs: 5000,
        },
        { name: "up to the high watermark (-1)" },
      ),
      req(
        DeleteRecords,
        2,
        {
          topics: [{ name: "delete-records-t", partitions: [{ partitionIndex: 0, offset: -2n }] }],
          timeoutMs: 5000,
        },
        { name: "offset -2" },
      ),
      req(
        DeleteRecords,
        2,
        {
          topics: [
            { name: "delete-records-t", partitions: [{ partitionIndex: 5, offset: 0n }] },
            { name: "delete-records-missing", partitions: [{ partitionIndex: 0, offset: 0n }] },
          ],
          timeoutMs: 5000,
        },
        { name: "unknown partition and topic" },
      ),
      listOffsets(
        "delete-records-t",
        [
          [0, -2],
          [0, -1],
        ],
        { name: "offsets after" },
      ),
    ],
  },
  {
    name: "groups",
    // Each group's __consumer_offsets partition may still be loading on Kafka right after
    // FindCoordinator answers (COORDINATOR_LOAD_IN_PROGRESS): every step repeats until settled.
    steps: untilSettled([
      ...createTopic("groups-t", 2),
      findCoordinatorUntilReady("groups-g", 0, "FindCoordinator v3"),
      req(
        FindCoordinator,
        4,
        { keyType: 0, coordinatorKeys: ["groups-g", "groups-h"] },
        { name: "FindCoordinator v4, two groups", until: (r) => settled(r) },
      ),
      req(
        FindCoordinator,
        4,
        { keyType: 5, coordinatorKeys: ["groups-g"] },
        { name: "FindCoordinator unknown key type" },
      ),
      req(FindCoordinator, 1, { key: "groups-g", keyType: 0 }, { name: "FindCoordinator v1" }),
      req(
        OffsetFetch,
        7,
        {
          groupId: "groups-unknown",
          topics: [{ name: "groups-t", partitionIndexes: [0, 1] }],
          requireStable: false,
        },
        { name: "OffsetFetch v7 unknown group" },
      ),
      req(
        OffsetFetch,
        8,
        {
          groups: [
            { groupId: "groups-unknown", topics: [{ name: "groups-t", partitionIndexes: [0] }] },
            { groupId: "groups-unknown-2", topics: null },
          ],
          requireStable: true,
        },
        { name: "OffsetFetch v8 unknown groups" },
      ),
      req(
        OffsetCommit,
        8,
        {
          groupId: "groups-simple",
          generationIdOrMemberEpoch: -1,
          memberId: "",
          topics: [
            {
              name: "groups-t",
              partitions: [
                { partitionIndex: 0, committedOffset: 3n, committedMetadata: "m" },
                { partitionIndex: 9, committedOffset: 1n, committedMetadata: null },
              ],
            },
            {
              name: "groups-missing",
              partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: "" }],
            },
          ],
        },
        {
          name: "OffsetCommit simple group, unknown partition and topic",
          // Kafka lists a topic's refused partitions before the others.
          rules: { "topics.*.partitions": { sortBy: "partitionIndex" } },
        },
      ),
      req(
        OffsetFetch,
        7,
        { groupId: "groups-simple", topics: null, requireStable: false },
        { name: "OffsetFetch all of the simple group" },
      ),
      req(
        OffsetCommit,
        8,
        {
          groupId: "groups-unknown-3",
          generationIdOrMemberEpoch: 5,
          memberId: "someone",
          topics: [
            {
              name: "groups-t",
              partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: "" }],
            },
          ],
        },
        { name: "OffsetCommit unknown group with a generation" },
      ),
      req(
        OffsetCommit,
        8,
        {
          groupId: "",
          generationIdOrMemberEpoch: -1,
          memberId: "",
          topics: [
            {
              name: "groups-t",
              partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: "" }],
            },
          ],
        },
        { name: "OffsetCommit empty group id" },
      ),
      req(
        JoinGroup,
        5,
        {
          groupId: "groups-j",
          sessionTimeoutMs: 10_000,
          rebalanceTimeoutMs: 10_000,
          memberId: "",
          protocolType: "consumer",
          protocols: [{ name: "range", metadata: Buffer.from([0, 1, 0, 0, 0, 0]) }],
        },
        { name: "JoinGroup v5 without member id", save: (r, v) => (v.memberId = r.memberId) },
      ),
      req(
        JoinGroup,
        5,
        (v) => ({
          groupId: "groups-j",
          sessionTimeoutMs: 10_000,
          rebalanceTimeoutMs: 10_000,
          memberId: v.memberId,
          protocolType: "consumer",
          protocols: [{ name: "range", metadata: Buffer.from([0, 1, 0, 0, 0, 0]) }],
        }),
        { name: "JoinGroup v5 with the member id", save: (r, v) => (v.generation = r.generationId) },
      ),
      req(
        JoinGroup,
        5,
        {
          groupId: "groups-j",
          sessionTimeoutMs: 10_000,
          rebalanceTimeoutMs: 10_000,
          memberId: "",
          protocolType: "other",
          protocols: [{ name: "range", metadata: Buffer.alloc(0) }],
        },
        { name: "JoinGroup with another protocol type" },
      ),
      req(
        JoinGroup,
        5,
        {
          groupId: "groups-j",
          sessionTimeoutMs: 10_000,
          rebalanceTimeoutMs: 10_000,
          memberId: "",
          protocolType: "consumer",
          protocols: [{ name: "roundrobin", metadata: Buffer.alloc(0) }],
        },
        { name: "JoinGroup with no common protocol" },
      ),
      req(
        JoinGroup,
        5,
        {
          groupId: "groups-k",
          sessionTimeoutMs: 10_000,
          rebalanceTimeoutMs: 10_000,
          memberId: "",
          protocolType: "consumer",
          protocols: [],
        },
        { name: "JoinGroup without protocols" },
      ),
      req(
        JoinGroup,
        5,
        {
          groupId: "groups-k",
          sessionTimeoutMs: 10_000,
          rebalanceTimeoutMs: 10_000,
          memberId: "",
          protocolType: "",
          protocols: [{ name: "range", metadata: Buffer.alloc(0) }],
        },
        { name: "JoinGroup with an empty protocol type" },
      ),
      req(
        JoinGroup,
        5,
        {
          groupId: "groups-k",
          sessionTimeoutMs: 1,
          rebalanceTimeoutMs: 10_000,
          memberId: "",
          protocolType: "consumer",
          protocols: [{ name: "range", metadata: Buffer.alloc(0) }],
        },
        { name: "JoinGroup with a session timeout below the minimum" },
      ),
      req(
        JoinGroup,
        5,
        {
          groupId: "groups-k",
          sessionTimeoutMs: 10_000,
          rebalanceTimeoutMs: 10_000,
          memberId: "not-a-member",
          protocolType: "consumer",
          protocols: [{ name: "range", metadata: Buffer.alloc(0) }],
        },
        { name: "JoinGroup with an unknown member id" },
      ),
      req(
        OffsetCommit,
        8,
        (v) => ({
          groupId: "groups-j",
          generationIdOrMemberEpoch: v.generation + 1,
          memberId: v.memberId,
          topics: [
            {
              name: "groups-t",
              partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: "" }],
            },
          ],
        }),
        { name: "OffsetCommit bad generation" },
      ),
      req(
        OffsetCommit,
        8,
        (v) => ({
          groupId: "groups-j",
          generationIdOrMemberEpoch: v.generation,
          memberId: "not-a-member",
          topics: [
            {
              name: "groups-t",
              partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: "" }],
            },
          ],
        }),
        { name: "OffsetCommit unknown member" },
      ),
      req(
        OffsetCommit,
        8,
        (v) => ({
          groupId: "groups-j",
          generationIdOrMemberEpoch: v.generation,
          memberId: v.memberId,
          topics: [
            {
              name: "groups-t",
              partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: "" }],
            },
          ],
        }),
        { name: "OffsetCommit while awaiting sync" },
      ),
      req(
        OffsetCommit,
        8,
        {
          groupId: "groups-j",
          generationIdOrMemberEpoch: -1,
          memberId: "",
          topics: [
            {
              name: "groups-t",
              partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: "" }],
            },
          ],
        },
        { name: "OffsetCommit as a simple consumer to a live group" },
      ),
    ]),
  },
  {
    name: "transactions",
    steps: [
      ...createTopic("transactions-t", 2),
      findCoordinatorUntilReady("transactions-id", 1, "FindCoordinator v3 transaction"),
      req(
        FindCoordinator,
        4,
        { keyType: 1, coordinatorKeys: ["transactions-id"] },
        { name: "FindCoordinator v4 transaction" },
      ),
      initProducerId(null, { name: "InitProducerId idempotent" }),
      initProducerId("transactions-id", {
        name: "InitProducerId (the zombie)",
        save: (r, v) => {
          v["zombie.pid"] = r.producerId;
          v["zombie.epoch"] = r.producerEpoch;
        },
      }),
      initProducerId("transactions-id", {
        name: "InitProducerId again (fences the zombie)",
        save: (r, v) => {
          v["current.pid"] = r.producerId;
          v["current.epoch"] = r.producerEpoch;
        },
      }),
      addPartitions("transactions-id", "transactions-t", [0], "zombie", "zombie AddPartitionsToTxn"),
      produce("transactions-t", txnBatch("zombie", 1, 0), { tid: "transactions-id", name: "zombie Produce" }),
      endTxn("transactions-id", "zombie", true, "zombie EndTxn commit"),
      endTxn("transactions-id", "zombie", false, "zombie EndTxn abort"),
      endTxn("transactions-id", "current", true, "EndTxn with no transaction"),
      addPartitions("transactions-id", "transactions-t", [0], "current", "AddPartitionsToTxn"),
      addPartitions(
        "transactions-id",
        "transactions-missing",
        [0],
        "current",
        "AddPartitionsToTxn unknown topic",
      ),
      addPartitions(
        "transactions-id",
        "transactions-t",
        [0, 9],
        "current",
        "AddPartitionsToTxn unknown partition",
      ),
      produce("transactions-t", txnBatch("current", 2, 0), {
        tid: "transactions-id",
        name: "transactional Produce",
      }),
      produce("transactions-t", txnBatch("current", 1, 0), {
        tid: "transactions-id",
        partition: 1,
        name: "transactional Produce to a partition not added",
      }),
      produce("transactions-t", txnBatch("zombie", 1, 0), {
        tid: "transactions-id",
        name: "zombie Produce during a transaction",
      }),
      req(
        DescribeTransactions,
        0,
        { transactionalIds: ["transactions-id", "transactions-none"] },
        { name: "DescribeTransactions ongoing" },
      ),
      req(
        ListTransactions,
        1,
        { stateFilters: ["Ongoing", "Bogus"], producerIdFilters: [], durationFilter: -1 },
        {
          name: "ListTransactions ongoing",
          rules: { transactionStates: { keyBy: "transactionalId" } },
        },
      ),
      req(
        DescribeProducers,
        0,
        {
          topics: [
            { name: "transactions-t", partitionIndexes: [0, 1, 7] },
            { name: "transactions-missing", partitionIndexes: [0] },
          ],
        },
        { name: "DescribeProducers ongoing" },
      ),
      listOffsets("transactions-t", [[0, -1]], { isolation: 1, name: "LSO during the transaction" }),
      fetch("transactions-t", 0, { isolation: 1, name: "read_committed fetch during the transaction" }),
      endTxn("transactions-id", "zombie", true, "zombie EndTxn during a transaction"),
      endTxn("transactions-id", "current", true, "EndTxn commit"),
      endTxn("transactions-id", "current", false, "EndTxn abort after commit"),
      endTxn("transactions-id", "current", true, "EndTxn commit again"),
      produce("transactions-t", txnBatch("zombie", 1, 1), {
        tid: "transactions-id",
        name: "zombie Produce after the commit",
      }),
      req(
        DescribeTransactions,
        0,
        { transactionalIds: ["transactions-id"] },
        { name: "DescribeTransactions after commit" },
      ),
      fetch("transactions-t", 0, { isolation: 1, name: "read_committed fetch after commit" }),
      initProducerId("transactions-id", {
        name: "InitProducerId with a wrong epoch (KIP-360)",
        pid: (v) => v["current.pid"],
        epoch: (v) => v["current.epoch"] + 5,
      }),
      initProducerId("transactions-id", {
        name: "InitProducerId with a wrong producer id (KIP-360)",
        pid: (v) => v["current.pid"] + 1000n,
        epoch: (v) => v["current.epoch"],
      }),
      req(
        AddPartitionsToTxn,
        3,
        {
          v3AndBelowTransactionalId: "transactions-unknown",
          v3AndBelowProducerId: 12345n,
          v3AndBelowProducerEpoch: 0,
          v3AndBelowTopics: [{ name: "transactions-t", partitions: [0] }],
        },
        { name: "AddPartitionsToTxn unknown transactional id" },
      ),
      req(
        EndTxn,
        3,
        { transactionalId: "transactions-unknown", producerId: 12345n, producerEpoch: 0, committed: true },
        { name: "EndTxn unknown transactional id" },
      ),
      req(
        InitProducerId,
        4,
        { transactionalId: "transactions-timeout", transactionTimeoutMs: 1_000_000_000 },
        { name: "InitProducerId timeout above the maximum" },
      ),
      req(
        ListTransactions,
        1,
        { stateFilters: [], producerIdFilters: [], durationFilter: -1 },
        {
          name: "ListTransactions all",
          rules: { transactionStates: { keyBy: "transactionalId" } },
        },
      ),
    ],
  },
  {
    name: "idempotence",
    steps: [
      ...createTopic("idempotence-t"),
      initProducerId(null, {
        name: "InitProducerId",
        save: (r, v) => {
          v["p.pid"] = r.producerId;
          v["p.epoch"] = r.producerEpoch;
        },
      }),
      produce(
        "idempotence-t",
        (v) => batch(2, { producerId: v["p.pid"], producerEpoch: v["p.epoch"], baseSequence: 0 }),
        { name: "sequence 0" },
      ),
      produce(
        "idempotence-t",
        (v) => batch(2, { producerId: v["p.pid"], producerEpoch: v["p.epoch"], baseSequence: 0 }),
        // Kafka answers a duplicate with the batch's max timestamp from the producer state as its append time.
        { name: "duplicate", rules: { logAppendTimeMs: "exact" } },
      ),
      produce(
        "idempotence-t",
        (v) => batch(1, { producerId: v["p.pid"], producerEpoch: v["p.epoch"], baseSequence: 5 }),
        { name: "sequence gap" },
      ),
      produce(
        "idempotence-t",
        (v) => batch(1, { producerId: v["p.pid"], producerEpoch: v["p.epoch"] + 1, baseSequence: 3 }),
        { name: "epoch bump with a non-zero sequence" },
      ),
      produce(
        "idempotence-t",
        (v) => batch(1, { producerId: v["p.pid"] + 999n, producerEpoch: 0, baseSequence: 7 }),
        { name: "unknown producer id, sequence 7" },
      ),
      req(
        DescribeProducers,
        0,
        { topics: [{ name: "idempotence-t", partitionIndexes: [0] }] },
        { name: "DescribeProducers", rules: { activeProducers: { sortBy: "producerEpoch" } } },
      ),
      fetch("idempotence-t", 0),
    ],
  },
  {
    name: "metadata",
    steps: [
      ...createTopic("metadata-t", 3),
      req(
        Metadata,
        12,
        { topics: [{ name: "metadata-t" }, { name: "metadata-missing" }], allowAutoTopicCreation: false },
        { name: "known and unknown, no auto-creation" },
      ),
      req(
        Metadata,
        12,
        { topics: [{ name: "metadata-auto" }], allowAutoTopicCreation: true },
        { name: "auto-creation, first answer" },
      ),
      ready(["metadata-auto"], "auto-created topic served"),
      req(
        Metadata,
        12,
        { topics: [{ name: "metadata bad name" }], allowAutoTopicCreation: true },
        { name: "auto-creation of an invalid name" },
      ),
      req(
        Metadata,
        12,
        {
          topics: [{ topicId: "0123e4a5-0000-4000-8000-000000000002", name: null }],
          allowAutoTopicCreation: false,
        },
        { name: "unknown topic id" },
      ),
      req(
        Metadata,
        12,
        (v) => ({ topics: [{ topicId: v["id:metadata-t"], name: null }], allowAutoTopicCreation: false }),
        { name: "by topic id" },
      ),
      req(
        Metadata,
        12,
        {
          topics: [{ name: "metadata-t" }],
          allowAutoTopicCreation: false,
          includeTopicAuthorizedOperations: true,
        },
        { name: "with authorized operations" },
      ),
      req(
        Metadata,
        4,
        { topics: [{ name: "metadata-t" }, { name: "metadata-missing-4" }], allowAutoTopicCreation: false },
        {
          name: "Metadata v4",
        },
      ),
      req(Metadata, 1, { topics: [{ name: "metadata-t" }] }, { name: "Metadata v1" }),
      req(Metadata, 12, { topics: [], allowAutoTopicCreation: false }, { name: "no topics" }),
      req(
        Metadata,
        8,
        { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: true },
        {
          name: "Metadata v8 cluster authorized operations",
        },
      ),
    ],
  },
  {
    name: "describe-cluster",
    steps: [
      req(DescribeCluster, 0, { includeClusterAuthorizedOperations: false }, { name: "DescribeCluster v0" }),
      req(
        DescribeCluster,
        1,
        { includeClusterAuthorizedOperations: true, endpointType: 1 },
        { name: "DescribeCluster v1" },
      ),
      req(
        DescribeCluster,
        1,
        { includeClusterAuthorizedOperations: false, endpointType: 2 },
        {
          name: "DescribeCluster v1 controllers",
        },
      ),
      req(
        DescribeCluster,
        1,
        { includeClusterAuthorizedOperations: false, endpointType: 7 },
        {
          name: "DescribeCluster v1 unknown endpoint type",
        },
      ),
    ],
  },
  {
    name: "create-partitions",
    steps: [
      learnNodeId,
      ...createTopic("create-partitions-t", 1),
      req(
        CreatePartitions,
        3,
        {
          topics: [{ name: "create-partitions-t", count: 3, assignments: null }],
          timeoutMs: 30_000,
          validateOnly: false,
        },
        { name: "1 to 3" },
      ),
      ready(["create-partitions-t"], "3 partitions served"),
      req(
        CreatePartitions,
        3,
        {
          topics: [
            { name: "create-partitions-t", count: 3, assignments: null },
            { name: "create-partitions-missing", count: 3, assignments: null },
          ],
          timeoutMs: 30_000,
          validateOnly: false,
        },
        { name: "same count, unknown topic", rules: { results: { keyBy: "name" } } },
      ),
      req(
        CreatePartitions,
        3,
        {
          topics: [{ name: "create-partitions-t", count: 2, assignments: null }],
          timeoutMs: 30_000,
          validateOnly: false,
        },
        { name: "fewer" },
      ),
      req(
        CreatePartitions,
        3,
        {
          topics: [{ name: "create-partitions-t", count: 5, assignments: null }],
          timeoutMs: 30_000,
          validateOnly: true,
        },
        { name: "validateOnly" },
      ),
      req(
        CreatePartitions,
        3,
        (v) => ({
          topics: [
            {
              name: "create-partitions-t",
              count: 4,
              assignments: [{ brokerIds: [v.nodeId + 40] }],
            },
          ],
          timeoutMs: 30_000,
          validateOnly: false,
        }),
        { name: "assignment to an unknown broker" },
      ),
      req(
        CreatePartitions,
        3,
        {
          topics: [
            { name: "create-partitions-t", count: 6, assignments: null },
            { name: "create-partitions-t", count: 7, assignments: null },
          ],
          timeoutMs: 30_000,
          validateOnly: false,
        },
        { name: "same topic twice" },
      ),
      req(
        CreatePartitions,
        3,
        {
          topics: [{ name: "create-partitions-t", count: 100_000, assignments: null }],
          timeoutMs: 30_000,
          validateOnly: true,
        },
        { name: "very many (validateOnly)" },
      ),
      ready(["create-partitions-t"], "still 3 partitions"),
    ],
  },
];
