/**
 * Cross-check of Brook's protocol codec against a real implementation: KafkaJS 2.2.4.
 *
 * For every API and every version that KafkaJS implements and Brook declares:
 *  - request: KafkaJS encodes a request from its own params (non-default values, several
 *    topics/partitions, nulls where KafkaJS allows them) inside its own frame (size prefix, header
 *    v1, `src/protocol/request.js`); Brook decodes the body with `decodeBody` once the header bytes
 *    are stripped, and the whole frame with `decodeRequest`. Every field the version carries must
 *    equal what was passed (`presentFields` keeps exactly the fields of the version). Brook's
 *    `encodeRequest` of the decoded body must then reproduce KafkaJS's frame byte for byte.
 *  - response: Brook encodes a response frame with `encodeResponse`; it is split the way KafkaJS's
 *    connection splits it (size, correlation id, payload) and KafkaJS's response `decode` must read
 *    back every value. `parse` is never called: it throws on error codes, and error codes are set
 *    on purpose.
 *
 * One table per API below: `request(v)` gives KafkaJS params and the Brook body they must decode to;
 * `response(v)` gives a Brook response value and what KafkaJS's decode must return for it.
 *
 * KafkaJS quirks met on the way (each adapted honestly where it occurs):
 *  - An empty array passed where KafkaJS writes a "nullable array" is sent as null (-1):
 *    Metadata v1+ topics (null = all topics), OffsetFetch v3+ topics, DescribeConfigs
 *    configNames, CreatePartitions assignments (`Encoder.writeNullableArray`).
 *  - Responses from the throttle-after-response versions on rename the broker's throttle time to
 *    `clientSideThrottleTime` and report `throttleTime: 0`. DeleteGroups v1 does this rename from a
 *    field v0 calls `throttleTimeMs`, so its `clientSideThrottleTime` is always undefined.
 *  - Topic lists of CreateTopics, CreatePartitions, DeleteTopics and DeleteRecords responses come
 *    back sorted by topic name.
 *  - SaslAuthenticate: the request writes `authBytes` raw (the SASL mechanism has already given them
 *    an int32 length prefix), and the response decoder re-adds that prefix to the bytes it reads.
 *  - KafkaJS's flexible response decoders (the reassignment APIs) skip the response header's tag
 *    section but never read the body's final one: that last byte is the only one left unread.
 *  - KafkaJS decoders drop some fields (error messages of the reassignment APIs, the Fetch
 *    partition's `logStartOffset` is named `lastStartOffset`, ...): what KafkaJS returns is what is
 *    compared; the skipped bytes still have to be consumed in step for the next fields to match.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { describe, it } from "node:test";
import {
  API_VERSIONS_KEY,
  decodeBody,
  decodeRequest,
  encodeBody,
  encodeRequest,
  encodeResponse,
  isFlexible,
} from "../../src/protocol/frame.js";
import * as M from "../../src/protocol/messages/index.js";
import { apiByKey } from "../../src/protocol/messages/index.js";
import type { ApiDeclaration } from "../../src/protocol/schema.js";
import {
  decodeTracked,
  type FixtureMessage,
  int32Framed,
  kafkajsBatch,
  kafkajsRequest,
  kafkajsRequestFrame,
  kafkajsResponse,
  kafkajsResponsePayload,
  kafkajsVersions,
  type Matcher,
  matching,
  presentFields,
  readBatchesMinimal,
  resolveMatchers,
} from "../support/kafkajs.js";

const require = createRequire(import.meta.url);
const kafkajs = require("kafkajs") as {
  CompressionTypes: { None: number; GZIP: number };
  AssignerProtocol: {
    MemberMetadata: { encode(m: { version: number; topics: string[]; userData?: Buffer }): Buffer };
    MemberAssignment: {
      encode(a: { version: number; assignment: Record<string, number[]>; userData?: Buffer }): Buffer;
    };
  };
};
const saslPlainRequest: (o: { username: string; password: string }) => {
  encode(): Promise<Buffer>;
} = require("kafkajs/src/protocol/sasl/plain/request.js");

// ---------------------------------------------------------------------------------------------
// Table types and small helpers

interface RequestCase {
  label?: string;
  /** KafkaJS request params (its own names). */
  params: any;
  /** The Brook request body they must decode to: every field present in the version. */
  body: any;
}

interface ResponseCase {
  label?: string;
  /** A Brook response value (Brook's field names). */
  value: any;
  /** What KafkaJS's response `decode` must return for it. */
  decoded: any;
}

type Many<T> = T | T[] | Promise<T | T[]>;

interface Table {
  api: ApiDeclaration;
  /** Folder under kafkajs/src/protocol/requests. */
  kafkajs: string;
  request(v: number): Many<RequestCase>;
  response(v: number): Many<ResponseCase>;
}

/** `{...when(cond, o)}`: fields that exist only from some version on. */
const when = <T extends object>(cond: boolean, o: T): Partial<T> => (cond ? o : {});

/** KafkaJS's throttle fields: renamed to clientSideThrottleTime from the KIP-219 versions on. */
const kThrottle = (ms: number, clientSide: boolean) =>
  clientSide ? { throttleTime: 0, clientSideThrottleTime: ms } : { throttleTime: ms };

const buf = (x: string | Buffer | null): Buffer | null => (x === null ? null : Buffer.from(x));

/** A value beyond 2^53, to catch any int64 passing through a JS number. */
const BIG = "9007199254740993";
const BIGN = 9007199254740993n;
const T0 = 1_700_000_000_000;

const memberMetadata = kafkajs.AssignerProtocol.MemberMetadata.encode({
  version: 0,
  topics: ["orders", "audit-log"],
  userData: Buffer.from("user-data"),
});
const memberAssignment = kafkajs.AssignerProtocol.MemberAssignment.encode({
  version: 0,
  assignment: { orders: [0, 3], "audit-log": [1] },
  userData: Buffer.from([9, 8, 7]),
});

// ---------------------------------------------------------------------------------------------
// Record payload checks

interface ProducedMessage {
  key: string | Buffer | null;
  value: string | Buffer | null;
  timestamp: number;
  headers?: Record<string, string | Buffer>;
}

/**
 * Brook keeps Produce records as an opaque Buffer; KafkaJS built one record batch v2 from the
 * messages. Read it back with the minimal independent reader and compare with what was produced.
 * (KafkaJS writes baseOffset 0 and partitionLeaderEpoch 0: protocol-notes section c.)
 */
function producedBatch(o: {
  messages: ProducedMessage[];
  compression: number;
  transactional: boolean;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
}): Matcher {
  return matching("one record batch v2 carrying the produced messages", (records: Buffer) => {
    assert.ok(Buffer.isBuffer(records), "records decode as a Buffer");
    const timestamps = o.messages.map((m) => m.timestamp);
    const first = Math.min(...timestamps);
    assert.deepStrictEqual(readBatchesMinimal(records), [
      {
        baseOffset: 0n,
        partitionLeaderEpoch: 0,
        magic: 2,
        crcValid: true,
        attributes: o.compression | (o.transactional ? 0x10 : 0),
        lastOffsetDelta: o.messages.length - 1,
        firstTimestamp: BigInt(first),
        maxTimestamp: BigInt(Math.max(...timestamps)),
        producerId: o.producerId,
        producerEpoch: o.producerEpoch,
        baseSequence: o.baseSequence,
        records: o.messages.map((m, i) => ({
          timestampDelta: BigInt(m.timestamp - first),
          offsetDelta: i,
          key: buf(m.key),
          value: buf(m.value),
          headers: Object.entries(m.headers ?? {}).map(([key, value]) => ({ key, value: buf(value) })),
        })),
      },
    ]);
  });
}

/** The messages KafkaJS's fetch decoder returns, reduced to what a consumer reads. */
function fetchedMessages(
  expected: Array<{
    offset: string;
    timestamp: string;
    key: Buffer | null;
    value: Buffer | null;
    headers: object;
  }>,
): Matcher {
  return matching("messages decoded by KafkaJS", (messages: any[]) => {
    assert.deepStrictEqual(
      messages.map((m) => ({
        offset: m.offset,
        timestamp: m.timestamp,
        key: m.key,
        value: m.value,
        headers: m.headers,
      })),
      expected,
    );
  });
}

/** KafkaJS attaches a KafkaJSProtocolError to failed DeleteGroups results. */
const kafkajsError = (type: string, code: number) =>
  matching(`KafkaJSProtocolError ${type}`, (e: any) => {
    assert.equal(e?.name, "KafkaJSProtocolError");
    assert.equal(e.type, type);
    assert.equal(e.code, code);
  });

// ---------------------------------------------------------------------------------------------
// Fixtures shared by Fetch responses: record batches built by KafkaJS's own batch encoder

const fetchBatchMessages: FixtureMessage[] = [
  { key: "k1", value: "v1", headers: { source: "web" }, timestampDelta: 0 },
  { key: null, value: Buffer.from([0, 1, 2, 255]), timestampDelta: 5 },
  { key: "ключ", value: null, timestampDelta: 9 },
];
const fetchTxnMessages: FixtureMessage[] = [{ key: "t", value: "in-txn", timestampDelta: 1 }];
const fetchRecords = (async () =>
  Buffer.concat([
    await kafkajsBatch({ baseOffset: "1000", firstTimestamp: T0, messages: fetchBatchMessages }),
    await kafkajsBatch({
      baseOffset: "1003",
      firstTimestamp: T0 + 100,
      messages: fetchTxnMessages,
      producerId: BIG,
      producerEpoch: 4,
      firstSequence: 12,
      transactional: true,
    }),
  ]))();
const fetchExpectedMessages = [
  {
    offset: "1000",
    timestamp: String(T0),
    key: Buffer.from("k1"),
    value: Buffer.from("v1"),
    headers: { source: Buffer.from("web") },
  },
  { offset: "1001", timestamp: String(T0 + 5), key: null, value: Buffer.from([0, 1, 2, 255]), headers: {} },
  { offset: "1002", timestamp: String(T0 + 9), key: Buffer.from("ключ"), value: null, headers: {} },
  {
    offset: "1003",
    timestamp: String(T0 + 101),
    key: Buffer.from("t"),
    value: Buffer.from("in-txn"),
    headers: {},
  },
];

// ---------------------------------------------------------------------------------------------
// The tables

const produceTopicData = (v: number) => {
  const ordersP0: ProducedMessage[] = [
    {
      key: "order-1",
      value: '{"id":1}',
      timestamp: T0 + 20,
      headers: { source: "web", trace: Buffer.from([0xde, 0xad]) },
    },
    { key: null, value: Buffer.from([0, 1, 2, 255]), timestamp: T0 },
    { key: "tombstone", value: null, timestamp: T0 + 7 },
  ];
  const ordersP7: ProducedMessage[] = [{ key: "ключ", value: "значение", timestamp: T0 + v }];
  const auditP2: ProducedMessage[] = [
    { key: "a", value: "b".repeat(300), timestamp: T0 + 3, headers: { h: "x" } },
    { key: "c", value: "d", timestamp: T0 + 4 },
  ];
  return { ordersP0, ordersP7, auditP2 };
};

const Produce: Table = {
  api: M.Produce,
  kafkajs: "produce",
  request: (v) => {
    const { ordersP0, ordersP7, auditP2 } = produceTopicData(v);
    // Odd versions transactional, even ones idempotent-only (transactionalId null); v5 gzip.
    const transactionalId = v % 2 === 1 ? `txn-${v}` : null;
    const compression = v === 5 ? kafkajs.CompressionTypes.GZIP : kafkajs.CompressionTypes.None;
    const batch = (messages: ProducedMessage[], baseSequence: number) =>
      producedBatch({
        messages,
        compression,
        transactional: transactionalId !== null,
        producerId: BIGN,
        producerEpoch: 7,
        baseSequence,
      });
    return {
      params: {
        acks: -1,
        timeout: 12_345,
        transactionalId,
        producerId: BIG,
        producerEpoch: 7,
        compression,
        topicData: [
          {
            topic: "orders",
            partitions: [
              { partition: 0, firstSequence: 100, messages: ordersP0 },
              { partition: 7, firstSequence: 3, messages: ordersP7 },
            ],
          },
          { topic: "audit-log", partitions: [{ partition: 2, firstSequence: 55, messages: auditP2 }] },
        ],
      },
      body: {
        transactionalId,
        acks: -1,
        timeoutMs: 12_345,
        topicData: [
          {
            name: "orders",
            partitionData: [
              { index: 0, records: batch(ordersP0, 100) },
              { index: 7, records: batch(ordersP7, 3) },
            ],
          },
          { name: "audit-log", partitionData: [{ index: 2, records: batch(auditP2, 55) }] },
        ],
      },
    };
  },
  response: (v) => ({
    value: {
      responses: [
        {
          name: "orders",
          partitionResponses: [
            { index: 0, errorCode: 0, baseOffset: BIGN, logAppendTimeMs: BigInt(T0), logStartOffset: 42n },
            { index: 7, errorCode: 6, baseOffset: 5n, logAppendTimeMs: -2n, logStartOffset: 3n },
          ],
        },
        { name: "audit-log", partitionResponses: [] },
      ],
      throttleTimeMs: 250,
    },
    decoded: {
      topics: [
        {
          topicName: "orders",
          partitions: [
            {
              partition: 0,
              errorCode: 0,
              baseOffset: BIG,
              logAppendTime: String(T0),
              ...when(v >= 5, { logStartOffset: "42" }),
            },
            {
              partition: 7,
              errorCode: 6,
              baseOffset: "5",
              logAppendTime: "-2",
              ...when(v >= 5, { logStartOffset: "3" }),
            },
          ],
        },
        { topicName: "audit-log", partitions: [] },
      ],
      ...kThrottle(250, v >= 6),
    },
  }),
};

const Fetch: Table = {
  api: M.Fetch,
  kafkajs: "fetch",
  request: (v) => ({
    params: {
      replicaId: 3,
      maxWaitTime: 5000,
      minBytes: 7,
      maxBytes: 10_485_760,
      isolationLevel: v % 2,
      sessionId: 77,
      sessionEpoch: 5,
      forgottenTopics: [
        { topic: "old-topic", partitions: [1, 2] },
        { topic: "older", partitions: [] },
      ],
      rackId: "rack-b",
      topics: [
        {
          topic: "orders",
          partitions: [
            {
              partition: 0,
              currentLeaderEpoch: 9,
              fetchOffset: BIG,
              logStartOffset: "12",
              maxBytes: 1_048_576,
            },
            { partition: 3, currentLeaderEpoch: 2, fetchOffset: "0", logStartOffset: "-5", maxBytes: 65_536 },
          ],
        },
        { topic: "audit-log", partitions: [{ partition: 1, fetchOffset: "77", maxBytes: 1 }] },
      ],
    },
    body: {
      replicaId: 3,
      maxWaitMs: 5000,
      minBytes: 7,
      maxBytes: 10_485_760,
      isolationLevel: v % 2,
      ...when(v >= 7, { sessionId: 77, sessionEpoch: 5 }),
      topics: [
        {
          topic: "orders",
          partitions: [
            {
              partition: 0,
              ...when(v >= 9, { currentLeaderEpoch: 9 }),
              fetchOffset: BIGN,
              ...when(v >= 5, { logStartOffset: 12n }),
              partitionMaxBytes: 1_048_576,
            },
            {
              partition: 3,
              ...when(v >= 9, { currentLeaderEpoch: 2 }),
              fetchOffset: 0n,
              ...when(v >= 5, { logStartOffset: -5n }),
              partitionMaxBytes: 65_536,
            },
          ],
        },
        {
          topic: "audit-log",
          partitions: [
            // KafkaJS's defaults when a param is left out: currentLeaderEpoch -1, logStartOffset -1.
            {
              partition: 1,
              ...when(v >= 9, { currentLeaderEpoch: -1 }),
              fetchOffset: 77n,
              ...when(v >= 5, { logStartOffset: -1n }),
              partitionMaxBytes: 1,
            },
          ],
        },
      ],
      ...when(v >= 7, {
        forgottenTopicsData: [
          { topic: "old-topic", partitions: [1, 2] },
          { topic: "older", partitions: [] },
        ],
      }),
      ...when(v >= 11, { rackId: "rack-b" }),
    },
  }),
  response: async (v) => {
    const records = await fetchRecords;
    return {
      value: {
        throttleTimeMs: 100,
        errorCode: 70,
        sessionId: 123_456,
        responses: [
          {
            topic: "orders",
            partitions: [
              {
                partitionIndex: 0,
                errorCode: 0,
                highWatermark: BIGN + 2n,
                lastStableOffset: BIGN + 1n,
                logStartOffset: 17n,
                abortedTransactions: [
                  { producerId: 5n, firstOffset: 1001n },
                  { producerId: BIGN, firstOffset: 1002n },
                ],
                preferredReadReplica: 2,
                records,
              },
              {
                partitionIndex: 3,
                errorCode: 1,
                highWatermark: 8n,
                lastStableOffset: 6n,
                logStartOffset: 4n,
                abortedTransactions: null,
                preferredReadReplica: 0,
                records: null,
              },
            ],
          },
          {
            topic: "audit-log",
            partitions: [
              {
                partitionIndex: 1,
                errorCode: 0,
                highWatermark: 9n,
                lastStableOffset: 9n,
                logStartOffset: 2n,
                abortedTransactions: [],
                preferredReadReplica: 1,
                records: Buffer.alloc(0),
              },
            ],
          },
        ],
      },
      decoded: {
        ...kThrottle(100, v >= 8),
        ...when(v >= 7, { errorCode: 70, sessionId: 123_456 }),
        responses: [
          {
            topicName: "orders",
            partitions: [
              {
                partition: 0,
                errorCode: 0,
                highWatermark: (BIGN + 2n).toString(),
                lastStableOffset: (BIGN + 1n).toString(),
                ...when(v >= 5, { lastStartOffset: "17" }),
                abortedTransactions: [
                  { producerId: "5", firstOffset: "1001" },
                  { producerId: BIG, firstOffset: "1002" },
                ],
                ...when(v >= 11, { preferredReadReplica: 2 }),
                messages: fetchedMessages(fetchExpectedMessages),
              },
              {
                partition: 3,
                errorCode: 1,
                highWatermark: "8",
                lastStableOffset: "6",
                ...when(v >= 5, { lastStartOffset: "4" }),
                // KafkaJS reads a null array as [] and null records as no messages.
                abortedTransactions: [],
                ...when(v >= 11, { preferredReadReplica: 0 }),
                messages: [],
              },
            ],
          },
          {
            topicName: "audit-log",
            partitions: [
              {
                partition: 1,
                errorCode: 0,
                highWatermark: "9",
                lastStableOffset: "9",
                ...when(v >= 5, { lastStartOffset: "2" }),
                abortedTransactions: [],
                ...when(v >= 11, { preferredReadReplica: 1 }),
                messages: [],
              },
            ],
          },
        ],
      },
    };
  },
};

const ListOffsets: Table = {
  api: M.ListOffsets,
  kafkajs: "listOffsets",
  request: (v) => ({
    params: {
      replicaId: 4,
      isolationLevel: 1,
      topics: [
        {
          topic: "orders",
          partitions: [
            { partition: 0, timestamp: -2 },
            { partition: 4, timestamp: String(T0) },
          ],
        },
        { topic: "audit-log", partitions: [{ partition: 1, timestamp: BIG }] },
      ],
    },
    body: {
      replicaId: 4,
      ...when(v >= 2, { isolationLevel: 1 }),
      topics: [
        {
          name: "orders",
          partitions: [
            { partitionIndex: 0, timestamp: -2n },
            { partitionIndex: 4, timestamp: BigInt(T0) },
          ],
        },
        { name: "audit-log", partitions: [{ partitionIndex: 1, timestamp: BIGN }] },
      ],
    },
  }),
  response: (v) => ({
    value: {
      throttleTimeMs: 33,
      topics: [
        {
          name: "orders",
          partitions: [
            { partitionIndex: 0, errorCode: 0, timestamp: BigInt(T0), offset: BIGN, leaderEpoch: 4 },
            { partitionIndex: 4, errorCode: 3, timestamp: 5n, offset: 6n },
          ],
        },
        { name: "audit-log", partitions: [{ partitionIndex: 1, errorCode: 0, timestamp: -7n, offset: 8n }] },
      ],
    },
    decoded: {
      ...when(v >= 2, kThrottle(33, v >= 3)),
      responses: [
        {
          topic: "orders",
          partitions: [
            { partition: 0, errorCode: 0, timestamp: String(T0), offset: BIG },
            { partition: 4, errorCode: 3, timestamp: "5", offset: "6" },
          ],
        },
        { topic: "audit-log", partitions: [{ partition: 1, errorCode: 0, timestamp: "-7", offset: "8" }] },
      ],
    },
  }),
};

const Metadata: Table = {
  api: M.Metadata,
  kafkajs: "metadata",
  request: (v) => {
    const named: RequestCase = {
      label: "named topics",
      params: { topics: ["orders", "audit-log", "ünïcode.topic"], allowAutoTopicCreation: false },
      body: {
        topics: [{ name: "orders" }, { name: "audit-log" }, { name: "ünïcode.topic" }],
        ...when(v >= 4, { allowAutoTopicCreation: false }),
      },
    };
    // v0 has no null: an empty list is sent as an empty list. From v1 KafkaJS writes [] as null.
    const all: RequestCase = {
      label: "empty topic list",
      params: { topics: [], allowAutoTopicCreation: true },
      body: { topics: v >= 1 ? null : [], ...when(v >= 4, { allowAutoTopicCreation: true }) },
    };
    return [named, all];
  },
  response: (v) => ({
    value: {
      throttleTimeMs: 9,
      brokers: [
        { nodeId: 1, host: "broker-1.local", port: 9092, rack: "rack-a" },
        { nodeId: 2, host: "b2", port: 19_092, rack: null },
      ],
      clusterId: v === 3 ? null : "cluster-xyz",
      controllerId: 2,
      topics: [
        {
          errorCode: 0,
          name: "orders",
          isInternal: false,
          partitions: [
            {
              errorCode: 0,
              partitionIndex: 0,
              leaderId: 1,
              leaderEpoch: 3,
              replicaNodes: [1, 2],
              isrNodes: [1],
              offlineReplicas: [2],
            },
            {
              errorCode: 9,
              partitionIndex: 1,
              leaderId: -1,
              leaderEpoch: 0,
              replicaNodes: [2],
              isrNodes: [],
              offlineReplicas: [],
            },
          ],
        },
        { errorCode: 3, name: "__consumer_offsets", isInternal: true, partitions: [] },
      ],
    },
    decoded: {
      ...when(v >= 3, kThrottle(9, v >= 6)),
      brokers: [
        { nodeId: 1, host: "broker-1.local", port: 9092, ...when(v >= 1, { rack: "rack-a" }) },
        { nodeId: 2, host: "b2", port: 19_092, ...when(v >= 1, { rack: null }) },
      ],
      ...when(v >= 2, { clusterId: v === 3 ? null : "cluster-xyz" }),
      ...when(v >= 1, { controllerId: 2 }),
      topicMetadata: [
        {
          topicErrorCode: 0,
          topic: "orders",
          ...when(v >= 1, { isInternal: false }),
          partitionMetadata: [
            {
              partitionErrorCode: 0,
              partitionId: 0,
              leader: 1,
              replicas: [1, 2],
              isr: [1],
              ...when(v >= 5, { offlineReplicas: [2] }),
            },
            {
              partitionErrorCode: 9,
              partitionId: 1,
              leader: -1,
              replicas: [2],
              isr: [],
              ...when(v >= 5, { offlineReplicas: [] }),
            },
          ],
        },
        {
          topicErrorCode: 3,
          topic: "__consumer_offsets",
          ...when(v >= 1, { isInternal: true }),
          partitionMetadata: [],
        },
      ],
    },
  }),
};

const OffsetCommit: Table = {
  api: M.OffsetCommit,
  kafkajs: "offsetCommit",
  request: (v) => ({
    params: {
      groupId: "group-1",
      groupGenerationId: 17,
      memberId: "member-1",
      retentionTime: "604800000",
      topics: [
        {
          topic: "orders",
          partitions: [
            { partition: 0, offset: BIG, metadata: "meta-0" },
            { partition: 5, offset: "42", metadata: null },
          ],
        },
        { topic: "audit-log", partitions: [{ partition: 2, offset: "-1" }] },
      ],
    },
    body: {
      groupId: "group-1",
      generationIdOrMemberEpoch: 17,
      memberId: "member-1",
      ...when(v <= 4, { retentionTimeMs: 604_800_000n }),
      topics: [
        {
          name: "orders",
          partitions: [
            { partitionIndex: 0, committedOffset: BIGN, committedMetadata: "meta-0" },
            { partitionIndex: 5, committedOffset: 42n, committedMetadata: null },
          ],
        },
        {
          name: "audit-log",
          partitions: [{ partitionIndex: 2, committedOffset: -1n, committedMetadata: null }],
        },
      ],
    },
  }),
  response: (v) => ({
    value: {
      throttleTimeMs: 12,
      topics: [
        {
          name: "orders",
          partitions: [
            { partitionIndex: 0, errorCode: 0 },
            { partitionIndex: 5, errorCode: 22 },
          ],
        },
        { name: "audit-log", partitions: [{ partitionIndex: 2, errorCode: 25 }] },
      ],
    },
    decoded: {
      ...when(v >= 3, kThrottle(12, v >= 4)),
      responses: [
        {
          topic: "orders",
          partitions: [
            { partition: 0, errorCode: 0 },
            { partition: 5, errorCode: 22 },
          ],
        },
        { topic: "audit-log", partitions: [{ partition: 2, errorCode: 25 }] },
      ],
    },
  }),
};

const OffsetFetch: Table = {
  api: M.OffsetFetch,
  kafkajs: "offsetFetch",
  request: (v) => {
    const cases: RequestCase[] = [
      {
        label: "named topics",
        params: {
          groupId: "group-1",
          topics: [
            { topic: "orders", partitions: [{ partition: 0 }, { partition: 3 }] },
            { topic: "audit-log", partitions: [{ partition: 1 }] },
          ],
        },
        body: {
          groupId: "group-1",
          topics: [
            { name: "orders", partitionIndexes: [0, 3] },
            { name: "audit-log", partitionIndexes: [1] },
          ],
        },
      },
    ];
    // v3+ writes the topic list as a nullable array: an empty list means null, "all topics".
    if (v >= 3)
      cases.push({
        label: "all topics",
        params: { groupId: "g", topics: [] },
        body: { groupId: "g", topics: null },
      });
    return cases;
  },
  response: (v) => ({
    value: {
      throttleTimeMs: 8,
      topics: [
        {
          name: "orders",
          partitions: [
            {
              partitionIndex: 0,
              committedOffset: BIGN,
              committedLeaderEpoch: 5,
              metadata: "m",
              errorCode: 0,
            },
            { partitionIndex: 3, committedOffset: -1n, metadata: null, errorCode: 0 },
          ],
        },
        {
          name: "audit-log",
          partitions: [{ partitionIndex: 1, committedOffset: 4n, metadata: "", errorCode: 3 }],
        },
      ],
      errorCode: 16,
    },
    decoded: {
      ...when(v >= 3, kThrottle(8, v >= 4)),
      responses: [
        {
          topic: "orders",
          partitions: [
            { partition: 0, offset: BIG, metadata: "m", errorCode: 0 },
            { partition: 3, offset: "-1", metadata: null, errorCode: 0 },
          ],
        },
        { topic: "audit-log", partitions: [{ partition: 1, offset: "4", metadata: "", errorCode: 3 }] },
      ],
      ...when(v >= 2, { errorCode: 16 }),
    },
  }),
};

const FindCoordinator: Table = {
  api: M.FindCoordinator,
  kafkajs: "findCoordinator",
  request: (v) =>
    v === 0
      ? { params: { groupId: "group-ü" }, body: { key: "group-ü" } }
      : { params: { coordinatorKey: "txn-1", coordinatorType: 1 }, body: { key: "txn-1", keyType: 1 } },
  response: (v) => {
    const errorMessage = v === 1 ? null : "The coordinator is not available.";
    return {
      value: {
        throttleTimeMs: 3,
        errorCode: 15,
        errorMessage,
        nodeId: 1,
        host: "broker-1.local",
        port: 9093,
      },
      decoded: {
        ...when(v >= 1, { ...kThrottle(3, v >= 2), errorMessage }),
        errorCode: 15,
        coordinator: { nodeId: 1, host: "broker-1.local", port: 9093 },
      },
    };
  },
};

const JoinGroup: Table = {
  api: M.JoinGroup,
  kafkajs: "joinGroup",
  request: (v) =>
    [null, "instance-1"].map((groupInstanceId) => ({
      label: `groupInstanceId ${groupInstanceId}`,
      params: {
        groupId: "group-1",
        sessionTimeout: 30_000,
        rebalanceTimeout: 60_000,
        memberId: groupInstanceId ? "member-1" : "",
        groupInstanceId,
        protocolType: "consumer",
        groupProtocols: [
          { name: "RoundRobinAssigner", metadata: memberMetadata },
          { name: "range", metadata: Buffer.from([1, 2, 3]) },
        ],
      },
      body: {
        groupId: "group-1",
        sessionTimeoutMs: 30_000,
        ...when(v >= 1, { rebalanceTimeoutMs: 60_000 }),
        memberId: groupInstanceId ? "member-1" : "",
        ...when(v >= 5, { groupInstanceId }),
        protocolType: "consumer",
        protocols: [
          { name: "RoundRobinAssigner", metadata: memberMetadata },
          { name: "range", metadata: Buffer.from([1, 2, 3]) },
        ],
      },
    })),
  response: (v) => ({
    value: {
      throttleTimeMs: 4,
      errorCode: 79,
      generationId: 12,
      protocolName: "RoundRobinAssigner",
      leader: "member-1",
      memberId: "member-2",
      members: [
        { memberId: "member-1", groupInstanceId: "instance-1", metadata: memberMetadata },
        { memberId: "member-2", groupInstanceId: null, metadata: Buffer.from([4, 5]) },
      ],
    },
    decoded: {
      ...when(v >= 2, kThrottle(4, v >= 3)),
      errorCode: 79,
      generationId: 12,
      groupProtocol: "RoundRobinAssigner",
      leaderId: "member-1",
      memberId: "member-2",
      members: [
        { memberId: "member-1", ...when(v >= 5, { groupInstanceId: "instance-1" }), memberMetadata },
        {
          memberId: "member-2",
          ...when(v >= 5, { groupInstanceId: null }),
          memberMetadata: Buffer.from([4, 5]),
        },
      ],
    },
  }),
};

const Heartbeat: Table = {
  api: M.Heartbeat,
  kafkajs: "heartbeat",
  request: (v) =>
    [null, "instance-1"].map((groupInstanceId) => ({
      label: `groupInstanceId ${groupInstanceId}`,
      params: { groupId: "group-1", groupGenerationId: 42, memberId: "member-1", groupInstanceId },
      body: {
        groupId: "group-1",
        generationId: 42,
        memberId: "member-1",
        ...when(v >= 3, { groupInstanceId }),
      },
    })),
  response: (v) => ({
    value: { throttleTimeMs: 5, errorCode: 27 },
    decoded: { ...when(v >= 1, kThrottle(5, v >= 2)), errorCode: 27 },
  }),
};

const LeaveGroup: Table = {
  api: M.LeaveGroup,
  kafkajs: "leaveGroup",
  request: (v) =>
    v <= 2
      ? {
          params: { groupId: "group-1", memberId: "member-1" },
          body: { groupId: "group-1", memberId: "member-1" },
        }
      : {
          params: {
            groupId: "group-1",
            members: [{ memberId: "member-1", groupInstanceId: "instance-1" }, { memberId: "member-2" }],
          },
          body: {
            groupId: "group-1",
            members: [
              { memberId: "member-1", groupInstanceId: "instance-1" },
              { memberId: "member-2", groupInstanceId: null },
            ],
          },
        },
  response: (v) => ({
    value: {
      throttleTimeMs: 6,
      errorCode: 25,
      members: [
        { memberId: "member-1", groupInstanceId: "instance-1", errorCode: 0 },
        { memberId: "member-2", groupInstanceId: null, errorCode: 25 },
      ],
    },
    decoded: {
      ...when(v >= 1, kThrottle(6, v >= 2)),
      errorCode: 25,
      ...when(v >= 3, {
        members: [
          { memberId: "member-1", groupInstanceId: "instance-1", errorCode: 0 },
          { memberId: "member-2", groupInstanceId: null, errorCode: 25 },
        ],
      }),
    },
  }),
};

const SyncGroup: Table = {
  api: M.SyncGroup,
  kafkajs: "syncGroup",
  request: (v) =>
    [null, "instance-1"].map((groupInstanceId) => ({
      label: `groupInstanceId ${groupInstanceId}`,
      params: {
        groupId: "group-1",
        generationId: 12,
        memberId: "member-1",
        groupInstanceId,
        groupAssignment: [
          { memberId: "member-1", memberAssignment },
          { memberId: "member-2", memberAssignment: Buffer.alloc(0) },
        ],
      },
      body: {
        groupId: "group-1",
        generationId: 12,
        memberId: "member-1",
        ...when(v >= 3, { groupInstanceId }),
        assignments: [
          { memberId: "member-1", assignment: memberAssignment },
          { memberId: "member-2", assignment: Buffer.alloc(0) },
        ],
      },
    })),
  response: (v) => ({
    value: { throttleTimeMs: 7, errorCode: 22, assignment: memberAssignment },
    decoded: { ...when(v >= 1, kThrottle(7, v >= 2)), errorCode: 22, memberAssignment },
  }),
};

const DescribeGroups: Table = {
  api: M.DescribeGroups,
  kafkajs: "describeGroups",
  request: () => ({ params: { groupIds: ["group-1", "group-2"] }, body: { groups: ["group-1", "group-2"] } }),
  response: (v) => ({
    value: {
      throttleTimeMs: 8,
      groups: [
        {
          errorCode: 0,
          groupId: "group-1",
          groupState: "Stable",
          protocolType: "consumer",
          protocolData: "RoundRobinAssigner",
          members: [
            {
              memberId: "member-1",
              clientId: "client-1",
              clientHost: "/127.0.0.1",
              memberMetadata,
              memberAssignment,
            },
            {
              memberId: "member-2",
              clientId: "client-2",
              clientHost: "/10.0.0.2",
              memberMetadata: Buffer.from([1]),
              memberAssignment: Buffer.alloc(0),
            },
          ],
        },
        {
          errorCode: 69,
          groupId: "group-2",
          groupState: "Dead",
          protocolType: "",
          protocolData: "",
          members: [],
        },
      ],
    },
    decoded: {
      ...when(v >= 1, kThrottle(8, v >= 2)),
      groups: [
        {
          errorCode: 0,
          groupId: "group-1",
          state: "Stable",
          protocolType: "consumer",
          protocol: "RoundRobinAssigner",
          members: [
            {
              memberId: "member-1",
              clientId: "client-1",
              clientHost: "/127.0.0.1",
              memberMetadata,
              memberAssignment,
            },
            {
              memberId: "member-2",
              clientId: "client-2",
              clientHost: "/10.0.0.2",
              memberMetadata: Buffer.from([1]),
              memberAssignment: Buffer.alloc(0),
            },
          ],
        },
        { errorCode: 69, groupId: "group-2", state: "Dead", protocolType: "", protocol: "", members: [] },
      ],
    },
  }),
};

const ListGroups: Table = {
  api: M.ListGroups,
  kafkajs: "listGroups",
  request: () => ({ params: {}, body: {} }),
  response: (v) => ({
    value: {
      throttleTimeMs: 9,
      errorCode: 15,
      groups: [
        { groupId: "group-1", protocolType: "consumer" },
        { groupId: "connect-sink", protocolType: "connect" },
      ],
    },
    decoded: {
      ...when(v >= 1, kThrottle(9, v >= 2)),
      errorCode: 15,
      groups: [
        { groupId: "group-1", protocolType: "consumer" },
        { groupId: "connect-sink", protocolType: "connect" },
      ],
    },
  }),
};

const SaslHandshake: Table = {
  api: M.SaslHandshake,
  kafkajs: "saslHandshake",
  request: () => ({ params: { mechanism: "SCRAM-SHA-512" }, body: { mechanism: "SCRAM-SHA-512" } }),
  response: () => ({
    value: { errorCode: 33, mechanisms: ["PLAIN", "SCRAM-SHA-256"] },
    decoded: { errorCode: 33, enabledMechanisms: ["PLAIN", "SCRAM-SHA-256"] },
  }),
};

const ApiVersions: Table = {
  api: M.ApiVersions,
  kafkajs: "apiVersions",
  request: () => ({ params: {}, body: {} }),
  response: (v) => {
    const apiKeys = [
      { apiKey: 0, minVersion: 3, maxVersion: 11 },
      { apiKey: 18, minVersion: 0, maxVersion: 4 },
      { apiKey: 46, minVersion: 0, maxVersion: 0 },
    ];
    return {
      // errorCode 35 (UNSUPPORTED_VERSION) would make KafkaJS's decode throw; any other code is read.
      value: { errorCode: 42, apiKeys, throttleTimeMs: 11 },
      decoded: { errorCode: 42, apiVersions: apiKeys, ...when(v >= 1, kThrottle(11, v >= 2)) },
    };
  },
};

const CreateTopics: Table = {
  api: M.CreateTopics,
  kafkajs: "createTopics",
  request: () => ({
    params: {
      topics: [
        {
          topic: "new-topic",
          numPartitions: 6,
          replicationFactor: 3,
          configEntries: [
            { name: "cleanup.policy", value: "compact" },
            { name: "retention.ms", value: null },
          ],
        },
        {
          topic: "assigned",
          replicaAssignment: [
            { partition: 0, replicas: [1, 2] },
            { partition: 1, replicas: [2, 3] },
          ],
        },
      ],
      timeout: 15_000,
      validateOnly: true,
    },
    body: {
      topics: [
        {
          name: "new-topic",
          numPartitions: 6,
          replicationFactor: 3,
          assignments: [],
          configs: [
            { name: "cleanup.policy", value: "compact" },
            { name: "retention.ms", value: null },
          ],
        },
        {
          // KafkaJS's defaults: -1 partitions and replication factor when an assignment is given.
          name: "assigned",
          numPartitions: -1,
          replicationFactor: -1,
          assignments: [
            { partitionIndex: 0, brokerIds: [1, 2] },
            { partitionIndex: 1, brokerIds: [2, 3] },
          ],
          configs: [],
        },
      ],
      timeoutMs: 15_000,
      validateOnly: true,
    },
  }),
  response: (v) => ({
    value: {
      throttleTimeMs: 13,
      topics: [
        { name: "zeta", errorCode: 36, errorMessage: "Topic 'zeta' already exists." },
        { name: "alpha", errorCode: 0, errorMessage: null },
      ],
    },
    decoded: {
      ...kThrottle(13, v >= 3),
      topicErrors: [
        { topic: "alpha", errorCode: 0, errorMessage: null },
        { topic: "zeta", errorCode: 36, errorMessage: "Topic 'zeta' already exists." },
      ],
    },
  }),
};

const DeleteTopics: Table = {
  api: M.DeleteTopics,
  kafkajs: "deleteTopics",
  request: () => ({
    params: { topics: ["t-one", "t-two"], timeout: 9000 },
    body: { topicNames: ["t-one", "t-two"], timeoutMs: 9000 },
  }),
  response: () => ({
    value: {
      throttleTimeMs: 14,
      responses: [
        { name: "t-two", errorCode: 3 },
        { name: "t-one", errorCode: 0 },
      ],
    },
    decoded: {
      ...kThrottle(14, true),
      topicErrors: [
        { topic: "t-one", errorCode: 0 },
        { topic: "t-two", errorCode: 3 },
      ],
    },
  }),
};

const DeleteRecords: Table = {
  api: M.DeleteRecords,
  kafkajs: "deleteRecords",
  request: () => ({
    params: {
      topics: [
        {
          topic: "orders",
          partitions: [
            { partition: 0, offset: BIG },
            { partition: 2, offset: "-1" },
          ],
        },
        { topic: "audit-log", partitions: [{ partition: 1, offset: "10" }] },
      ],
      timeout: 8000,
    },
    body: {
      topics: [
        {
          name: "orders",
          partitions: [
            { partitionIndex: 0, offset: BIGN },
            { partitionIndex: 2, offset: -1n },
          ],
        },
        { name: "audit-log", partitions: [{ partitionIndex: 1, offset: 10n }] },
      ],
      timeoutMs: 8000,
    },
  }),
  response: (v) => ({
    value: {
      throttleTimeMs: 15,
      topics: [
        {
          name: "orders",
          partitions: [
            { partitionIndex: 0, lowWatermark: BIGN, errorCode: 0 },
            { partitionIndex: 2, lowWatermark: 3n, errorCode: 1 },
          ],
        },
        { name: "audit-log", partitions: [{ partitionIndex: 1, lowWatermark: 10n, errorCode: 0 }] },
      ],
    },
    decoded: {
      ...kThrottle(15, v >= 1),
      // sorted by topic name; lowWatermark is the raw BigInt of KafkaJS's readInt64
      topics: [
        { topic: "audit-log", partitions: [{ partition: 1, lowWatermark: 10n, errorCode: 0 }] },
        {
          topic: "orders",
          partitions: [
            { partition: 0, lowWatermark: BIGN, errorCode: 0 },
            { partition: 2, lowWatermark: 3n, errorCode: 1 },
          ],
        },
      ],
    },
  }),
};

const InitProducerId: Table = {
  api: M.InitProducerId,
  kafkajs: "initProducerId",
  request: () =>
    [null, "txn-1"].map((transactionalId) => ({
      label: `transactionalId ${transactionalId}`,
      params: { transactionalId, transactionTimeout: 60_000 },
      body: { transactionalId, transactionTimeoutMs: 60_000 },
    })),
  response: (v) => ({
    value: { throttleTimeMs: 16, errorCode: 47, producerId: BIGN, producerEpoch: 3 },
    decoded: { ...kThrottle(16, v >= 1), errorCode: 47, producerId: BIG, producerEpoch: 3 },
  }),
};

const AddPartitionsToTxn: Table = {
  api: M.AddPartitionsToTxn,
  kafkajs: "addPartitionsToTxn",
  request: () => ({
    params: {
      transactionalId: "txn-1",
      producerId: BIG,
      producerEpoch: 3,
      topics: [
        { topic: "orders", partitions: [0, 3] },
        { topic: "audit-log", partitions: [1] },
      ],
    },
    body: {
      v3AndBelowTransactionalId: "txn-1",
      v3AndBelowProducerId: BIGN,
      v3AndBelowProducerEpoch: 3,
      v3AndBelowTopics: [
        { name: "orders", partitions: [0, 3] },
        { name: "audit-log", partitions: [1] },
      ],
    },
  }),
  response: (v) => ({
    value: {
      throttleTimeMs: 17,
      resultsByTopicV3AndBelow: [
        {
          name: "orders",
          resultsByPartition: [
            { partitionIndex: 0, partitionErrorCode: 0 },
            { partitionIndex: 3, partitionErrorCode: 48 },
          ],
        },
        { name: "audit-log", resultsByPartition: [{ partitionIndex: 1, partitionErrorCode: 53 }] },
      ],
    },
    decoded: {
      ...kThrottle(17, v >= 1),
      errors: [
        {
          topic: "orders",
          partitionErrors: [
            { partition: 0, errorCode: 0 },
            { partition: 3, errorCode: 48 },
          ],
        },
        { topic: "audit-log", partitionErrors: [{ partition: 1, errorCode: 53 }] },
      ],
    },
  }),
};

const AddOffsetsToTxn: Table = {
  api: M.AddOffsetsToTxn,
  kafkajs: "addOffsetsToTxn",
  request: () => ({
    params: { transactionalId: "txn-1", producerId: BIG, producerEpoch: 3, groupId: "group-1" },
    body: { transactionalId: "txn-1", producerId: BIGN, producerEpoch: 3, groupId: "group-1" },
  }),
  response: (v) => ({
    value: { throttleTimeMs: 18, errorCode: 49 },
    decoded: { ...kThrottle(18, v >= 1), errorCode: 49 },
  }),
};

const EndTxn: Table = {
  api: M.EndTxn,
  kafkajs: "endTxn",
  request: () =>
    [true, false].map((committed) => ({
      label: committed ? "commit" : "abort",
      params: { transactionalId: "txn-1", producerId: BIG, producerEpoch: 3, transactionResult: committed },
      body: { transactionalId: "txn-1", producerId: BIGN, producerEpoch: 3, committed },
    })),
  response: (v) => ({
    value: { throttleTimeMs: 19, errorCode: 48 },
    decoded: { ...kThrottle(19, v >= 1), errorCode: 48 },
  }),
};

const TxnOffsetCommit: Table = {
  api: M.TxnOffsetCommit,
  kafkajs: "txnOffsetCommit",
  request: () => ({
    params: {
      transactionalId: "txn-1",
      groupId: "group-1",
      producerId: BIG,
      producerEpoch: 3,
      topics: [
        {
          topic: "orders",
          partitions: [
            { partition: 0, offset: BIG, metadata: "m0" },
            { partition: 3, offset: "4", metadata: null },
          ],
        },
        { topic: "audit-log", partitions: [{ partition: 1, offset: "0", metadata: "" }] },
      ],
    },
    body: {
      transactionalId: "txn-1",
      groupId: "group-1",
      producerId: BIGN,
      producerEpoch: 3,
      topics: [
        {
          name: "orders",
          partitions: [
            { partitionIndex: 0, committedOffset: BIGN, committedMetadata: "m0" },
            { partitionIndex: 3, committedOffset: 4n, committedMetadata: null },
          ],
        },
        {
          name: "audit-log",
          partitions: [{ partitionIndex: 1, committedOffset: 0n, committedMetadata: "" }],
        },
      ],
    },
  }),
  response: (v) => ({
    value: {
      throttleTimeMs: 20,
      topics: [
        {
          name: "orders",
          partitions: [
            { partitionIndex: 0, errorCode: 0 },
            { partitionIndex: 3, errorCode: 16 },
          ],
        },
      ],
    },
    decoded: {
      ...kThrottle(20, v >= 1),
      topics: [
        {
          topic: "orders",
          partitions: [
            { partition: 0, errorCode: 0 },
            { partition: 3, errorCode: 16 },
          ],
        },
      ],
    },
  }),
};

const DescribeAcls: Table = {
  api: M.DescribeAcls,
  kafkajs: "describeAcls",
  request: () => [
    {
      label: "exact filter",
      params: {
        resourceType: 2,
        resourceName: "orders",
        resourcePatternType: 4,
        principal: "User:alice",
        host: "10.0.0.1",
        operation: 3,
        permissionType: 3,
      },
      body: {
        resourceTypeFilter: 2,
        resourceNameFilter: "orders",
        patternTypeFilter: 4,
        principalFilter: "User:alice",
        hostFilter: "10.0.0.1",
        operation: 3,
        permissionType: 3,
      },
    },
    {
      label: "null filters",
      params: {
        resourceType: 1,
        resourceName: null,
        resourcePatternType: 1,
        principal: null,
        host: null,
        operation: 1,
        permissionType: 1,
      },
      body: {
        resourceTypeFilter: 1,
        resourceNameFilter: null,
        patternTypeFilter: 1,
        principalFilter: null,
        hostFilter: null,
        operation: 1,
        permissionType: 1,
      },
    },
  ],
  response: () =>
    [null, "Authorization failed."].map((errorMessage) => ({
      label: `errorMessage ${errorMessage}`,
      value: {
        throttleTimeMs: 21,
        errorCode: 31,
        errorMessage,
        resources: [
          {
            resourceType: 2,
            resourceName: "orders",
            patternType: 4,
            acls: [
              { principal: "User:alice", host: "*", operation: 3, permissionType: 3 },
              { principal: "User:bob", host: "10.0.0.2", operation: 4, permissionType: 2 },
            ],
          },
          { resourceType: 3, resourceName: "group-1", patternType: 3, acls: [] },
        ],
      },
      decoded: {
        ...kThrottle(21, true),
        errorCode: 31,
        errorMessage,
        resources: [
          {
            resourceType: 2,
            resourceName: "orders",
            resourcePatternType: 4,
            acls: [
              { principal: "User:alice", host: "*", operation: 3, permissionType: 3 },
              { principal: "User:bob", host: "10.0.0.2", operation: 4, permissionType: 2 },
            ],
          },
          { resourceType: 3, resourceName: "group-1", resourcePatternType: 3, acls: [] },
        ],
      },
    })),
};

const aclCreations = [
  {
    resourceType: 2,
    resourceName: "orders",
    resourcePatternType: 3,
    principal: "User:alice",
    host: "*",
    operation: 3,
    permissionType: 3,
  },
  {
    resourceType: 3,
    resourceName: "grp-",
    resourcePatternType: 4,
    principal: "User:bob",
    host: "10.0.0.1",
    operation: 6,
    permissionType: 2,
  },
];

const CreateAcls: Table = {
  api: M.CreateAcls,
  kafkajs: "createAcls",
  request: () => ({ params: { creations: aclCreations }, body: { creations: aclCreations } }),
  response: () => ({
    value: {
      throttleTimeMs: 22,
      results: [
        { errorCode: 0, errorMessage: null },
        { errorCode: 41, errorMessage: "Invalid principal." },
      ],
    },
    decoded: {
      ...kThrottle(22, true),
      creationResponses: [
        { errorCode: 0, errorMessage: null },
        { errorCode: 41, errorMessage: "Invalid principal." },
      ],
    },
  }),
};

const DeleteAcls: Table = {
  api: M.DeleteAcls,
  kafkajs: "deleteAcls",
  request: () => ({
    params: {
      filters: [
        {
          resourceType: 1,
          resourceName: null,
          resourcePatternType: 1,
          principal: null,
          host: null,
          operation: 1,
          permissionType: 1,
        },
        ...aclCreations,
      ],
    },
    body: {
      filters: [
        {
          resourceTypeFilter: 1,
          resourceNameFilter: null,
          patternTypeFilter: 1,
          principalFilter: null,
          hostFilter: null,
          operation: 1,
          permissionType: 1,
        },
        ...aclCreations.map((c) => ({
          resourceTypeFilter: c.resourceType,
          resourceNameFilter: c.resourceName,
          patternTypeFilter: c.resourcePatternType,
          principalFilter: c.principal,
          hostFilter: c.host,
          operation: c.operation,
          permissionType: c.permissionType,
        })),
      ],
    },
  }),
  response: () => {
    const acl = (c: (typeof aclCreations)[number]) => ({
      resourceType: c.resourceType,
      resourceName: c.resourceName,
      principal: c.principal,
      host: c.host,
      operation: c.operation,
      permissionType: c.permissionType,
    });
    return {
      value: {
        throttleTimeMs: 23,
        filterResults: [
          {
            errorCode: 0,
            errorMessage: null,
            matchingAcls: [
              { errorCode: 0, errorMessage: null, ...acl(aclCreations[0]!), patternType: 3 },
              { errorCode: 87, errorMessage: "gone", ...acl(aclCreations[1]!), patternType: 4 },
            ],
          },
          { errorCode: 41, errorMessage: "Bad filter.", matchingAcls: [] },
        ],
      },
      decoded: {
        ...kThrottle(23, true),
        filterResponses: [
          {
            errorCode: 0,
            errorMessage: null,
            matchingAcls: [
              { errorCode: 0, errorMessage: null, ...acl(aclCreations[0]!), resourcePatternType: 3 },
              { errorCode: 87, errorMessage: "gone", ...acl(aclCreations[1]!), resourcePatternType: 4 },
            ],
          },
          { errorCode: 41, errorMessage: "Bad filter.", matchingAcls: [] },
        ],
      },
    };
  },
};

const DescribeConfigs: Table = {
  api: M.DescribeConfigs,
  kafkajs: "describeConfigs",
  request: () => ({
    params: {
      resources: [
        { type: 2, name: "orders", configNames: ["retention.ms", "cleanup.policy"] },
        // an empty name list is written as null: "all configs"
        { type: 4, name: "1", configNames: [] },
      ],
      includeSynonyms: true,
    },
    body: {
      resources: [
        { resourceType: 2, resourceName: "orders", configurationKeys: ["retention.ms", "cleanup.policy"] },
        { resourceType: 4, resourceName: "1", configurationKeys: null },
      ],
      includeSynonyms: true,
    },
  }),
  response: (v) => ({
    value: {
      throttleTimeMs: 24,
      results: [
        {
          errorCode: 0,
          errorMessage: null,
          resourceType: 2,
          resourceName: "orders",
          configs: [
            {
              name: "retention.ms",
              value: "604800000",
              readOnly: false,
              configSource: 1,
              isSensitive: false,
              synonyms: [
                { name: "retention.ms", value: "604800000", source: 1 },
                { name: "log.retention.ms", value: null, source: 5 },
              ],
            },
            {
              name: "ssl.key.password",
              value: null,
              readOnly: true,
              configSource: 5,
              isSensitive: true,
              synonyms: [],
            },
          ],
        },
        { errorCode: 39, errorMessage: "Unknown resource.", resourceType: 4, resourceName: "1", configs: [] },
      ],
    },
    decoded: {
      ...kThrottle(24, v >= 2),
      resources: [
        {
          errorCode: 0,
          errorMessage: null,
          resourceType: 2,
          resourceName: "orders",
          configEntries: [
            {
              configName: "retention.ms",
              configValue: "604800000",
              readOnly: false,
              isDefault: false,
              configSource: 1,
              isSensitive: false,
              configSynonyms: [
                { configName: "retention.ms", configValue: "604800000", configSource: 1 },
                { configName: "log.retention.ms", configValue: null, configSource: 5 },
              ],
            },
            {
              configName: "ssl.key.password",
              configValue: null,
              readOnly: true,
              isDefault: true, // KafkaJS derives it: configSource === DEFAULT_CONFIG (5)
              configSource: 5,
              isSensitive: true,
              configSynonyms: [],
            },
          ],
        },
        {
          errorCode: 39,
          errorMessage: "Unknown resource.",
          resourceType: 4,
          resourceName: "1",
          configEntries: [],
        },
      ],
    },
  }),
};

const AlterConfigs: Table = {
  api: M.AlterConfigs,
  kafkajs: "alterConfigs",
  request: () => ({
    params: {
      resources: [
        {
          type: 2,
          name: "orders",
          configEntries: [
            { name: "retention.ms", value: "1000" },
            { name: "cleanup.policy", value: null },
          ],
        },
        { type: 4, name: "1", configEntries: [] },
      ],
      validateOnly: true,
    },
    body: {
      resources: [
        {
          resourceType: 2,
          resourceName: "orders",
          configs: [
            { name: "retention.ms", value: "1000" },
            { name: "cleanup.policy", value: null },
          ],
        },
        { resourceType: 4, resourceName: "1", configs: [] },
      ],
      validateOnly: true,
    },
  }),
  response: (v) => {
    const resources = [
      { errorCode: 0, errorMessage: null, resourceType: 2, resourceName: "orders" },
      { errorCode: 40, errorMessage: "Invalid config.", resourceType: 4, resourceName: "1" },
    ];
    return {
      value: { throttleTimeMs: 25, responses: resources },
      decoded: { ...kThrottle(25, v >= 1), resources },
    };
  },
};

const SaslAuthenticate: Table = {
  api: M.SaslAuthenticate,
  kafkajs: "saslAuthenticate",
  request: async () => [
    {
      label: "PLAIN initial response from KafkaJS's mechanism",
      params: { authBytes: await saslPlainRequest({ username: "alice", password: "s3cr3t" }).encode() },
      body: { authBytes: Buffer.from("\u0000alice\u0000s3cr3t") },
    },
    {
      label: "arbitrary bytes, framed like a mechanism frames them",
      params: { authBytes: int32Framed(Buffer.from([0, 255, 1, 254])) },
      body: { authBytes: Buffer.from([0, 255, 1, 254]) },
    },
  ],
  response: (v) =>
    [null, "Authentication failed: bad password"].map((errorMessage) => ({
      label: `errorMessage ${errorMessage}`,
      value: {
        errorCode: 58,
        errorMessage,
        authBytes: Buffer.from("v=server-signature"),
        sessionLifetimeMs: 3_600_000n,
      },
      decoded: {
        errorCode: 58,
        errorMessage,
        authBytes: int32Framed(Buffer.from("v=server-signature")),
        ...when(v >= 1, { sessionLifetimeMs: "3600000" }),
      },
    })),
};

const CreatePartitions: Table = {
  api: M.CreatePartitions,
  kafkajs: "createPartitions",
  request: () => ({
    params: {
      topicPartitions: [
        { topic: "orders", count: 12, assignments: [[1, 2], [3]] },
        { topic: "audit-log", count: 4 },
      ],
      timeout: 7000,
      validateOnly: true,
    },
    body: {
      topics: [
        { name: "orders", count: 12, assignments: [{ brokerIds: [1, 2] }, { brokerIds: [3] }] },
        // no assignments: KafkaJS writes its default [] as a null array
        { name: "audit-log", count: 4, assignments: null },
      ],
      timeoutMs: 7000,
      validateOnly: true,
    },
  }),
  response: (v) => ({
    value: {
      throttleTimeMs: 26,
      results: [
        { name: "orders", errorCode: 37, errorMessage: "Number of partitions is invalid." },
        { name: "audit-log", errorCode: 0, errorMessage: null },
      ],
    },
    decoded: {
      ...kThrottle(26, v >= 1),
      topicErrors: [
        { topic: "audit-log", errorCode: 0, errorMessage: null },
        { topic: "orders", errorCode: 37, errorMessage: "Number of partitions is invalid." },
      ],
    },
  }),
};

const DeleteGroups: Table = {
  api: M.DeleteGroups,
  kafkajs: "deleteGroups",
  request: () => ({ params: ["group-1", "group-ü"], body: { groupsNames: ["group-1", "group-ü"] } }),
  response: (v) => ({
    value: {
      throttleTimeMs: 27,
      results: [
        { groupId: "group-1", errorCode: 0 },
        { groupId: "group-ü", errorCode: 69 },
      ],
    },
    decoded: {
      throttleTimeMs: 27,
      results: [
        { groupId: "group-1", errorCode: 0 },
        { groupId: "group-ü", errorCode: 69, error: kafkajsError("GROUP_ID_NOT_FOUND", 69) },
      ],
      // KafkaJS bug: v1 renames `decoded.throttleTime`, which v0 calls `throttleTimeMs`.
      ...when(v >= 1, { throttleTime: 0, clientSideThrottleTime: undefined }),
    },
  }),
};

const AlterPartitionReassignments: Table = {
  api: M.AlterPartitionReassignments,
  kafkajs: "alterPartitionReassignments",
  request: () => ({
    params: {
      topics: [
        {
          topic: "orders",
          partitionAssignment: [
            { partition: 0, replicas: [1, 2, 3] },
            { partition: 1, replicas: [3] },
          ],
        },
        { topic: "audit-log", partitionAssignment: [{ partition: 2, replicas: [] }] },
      ],
      timeout: 6000,
    },
    body: {
      timeoutMs: 6000,
      topics: [
        {
          name: "orders",
          partitions: [
            { partitionIndex: 0, replicas: [1, 2, 3] },
            { partitionIndex: 1, replicas: [3] },
          ],
        },
        { name: "audit-log", partitions: [{ partitionIndex: 2, replicas: [] }] },
      ],
    },
  }),
  response: () =>
    [
      { errorCode: 0, errorMessage: null },
      { errorCode: 41, errorMessage: "Not authorized." },
    ].map((top) => ({
      label: `top-level errorMessage ${top.errorMessage}`,
      value: {
        throttleTimeMs: 28,
        ...top,
        responses: [
          {
            name: "orders",
            partitions: [
              { partitionIndex: 0, errorCode: 0, errorMessage: null },
              { partitionIndex: 1, errorCode: 39, errorMessage: "Replica assignment is invalid." },
            ],
          },
          { name: "audit-log", partitions: [{ partitionIndex: 2, errorCode: 3, errorMessage: "" }] },
        ],
      },
      // KafkaJS reads and drops every error message.
      decoded: {
        throttleTime: 28,
        errorCode: top.errorCode,
        responses: [
          {
            topic: "orders",
            partitions: [
              { partition: 0, errorCode: 0 },
              { partition: 1, errorCode: 39 },
            ],
          },
          { topic: "audit-log", partitions: [{ partition: 2, errorCode: 3 }] },
        ],
      },
    })),
};

const ListPartitionReassignments: Table = {
  api: M.ListPartitionReassignments,
  kafkajs: "listPartitionReassignments",
  request: () => [
    {
      label: "named topics",
      params: {
        topics: [
          { topic: "orders", partitions: [0, 1] },
          { topic: "audit-log", partitions: [] },
        ],
        timeout: 4000,
      },
      body: {
        timeoutMs: 4000,
        topics: [
          { name: "orders", partitionIndexes: [0, 1] },
          { name: "audit-log", partitionIndexes: [] },
        ],
      },
    },
    { label: "all topics (null)", params: { timeout: 4001 }, body: { timeoutMs: 4001, topics: null } },
  ],
  response: () =>
    [null, "Request timed out."].map((errorMessage) => ({
      label: `errorMessage ${errorMessage}`,
      value: {
        throttleTimeMs: 29,
        errorCode: 7,
        errorMessage,
        topics: [
          {
            name: "orders",
            partitions: [
              { partitionIndex: 0, replicas: [1, 2, 3], addingReplicas: [3], removingReplicas: [1] },
              { partitionIndex: 1, replicas: [2], addingReplicas: [], removingReplicas: [] },
            ],
          },
          { name: "audit-log", partitions: [] },
        ],
      },
      decoded: {
        throttleTime: 29,
        errorCode: 7,
        topics: [
          {
            name: "orders",
            partitions: [
              { partition: 0, replicas: [1, 2, 3], addingReplicas: [3], removingReplicas: [1] },
              { partition: 1, replicas: [2], addingReplicas: [], removingReplicas: [] },
            ],
          },
          { name: "audit-log", partitions: [] },
        ],
      },
    })),
};

const TABLES: Table[] = [
  Produce,
  Fetch,
  ListOffsets,
  Metadata,
  OffsetCommit,
  OffsetFetch,
  FindCoordinator,
  JoinGroup,
  Heartbeat,
  LeaveGroup,
  SyncGroup,
  DescribeGroups,
  ListGroups,
  SaslHandshake,
  ApiVersions,
  CreateTopics,
  DeleteTopics,
  DeleteRecords,
  InitProducerId,
  AddPartitionsToTxn,
  AddOffsetsToTxn,
  EndTxn,
  TxnOffsetCommit,
  DescribeAcls,
  CreateAcls,
  DeleteAcls,
  DescribeConfigs,
  AlterConfigs,
  SaslAuthenticate,
  CreatePartitions,
  DeleteGroups,
  AlterPartitionReassignments,
  ListPartitionReassignments,
];

// ---------------------------------------------------------------------------------------------
// The checks

/** Versions both sides implement: KafkaJS's `versions` ∩ Brook's declared range. */
function commonVersions(t: Table): number[] {
  return kafkajsVersions(t.kafkajs)
    .filter((v) => v >= t.api.minVersion && v <= t.api.maxVersion)
    .sort((a, b) => a - b);
}

const asList = async <T>(x: Many<T>): Promise<T[]> => {
  const r = await x;
  return Array.isArray(r) ? r : [r];
};

const CLIENT_ID = "brook-crosscheck";

async function checkRequest(t: Table, v: number, c: RequestCase): Promise<void> {
  const request = kafkajsRequest(t.kafkajs, v)(c.params);
  assert.equal(request.apiKey, t.api.key, "KafkaJS api key");
  assert.equal(request.apiVersion, v, "KafkaJS api version");
  const correlationId = 1000 + t.api.key * 100 + v;
  const frame = await kafkajsRequestFrame(request, correlationId, CLIENT_ID);
  assert.equal(frame.readInt32BE(0), frame.length - 4, "size prefix");

  // Strip what KafkaJS writes before the body: size, api key, version, correlation id, client id
  // (int16 length), and for flexible versions the header v2 tag section (KafkaJS's payload starts
  // with an empty tag buffer, src/protocol/requests/*Reassignments/v0/request.js).
  let headerSize = 4 + 2 + 2 + 4 + 2 + Buffer.byteLength(CLIENT_ID);
  if (isFlexible(t.api, v)) {
    assert.equal(frame[headerSize], 0, "empty header tag section");
    headerSize += 1;
  }
  const body = decodeBody(t.api, v, "request", frame.subarray(headerSize));
  const actual = presentFields(t.api.request, v, body);
  assert.deepStrictEqual(actual, resolveMatchers(actual, c.body));

  // The full frame path: Brook reads KafkaJS's header and the same body.
  const decoded = decodeRequest(frame.subarray(4), apiByKey);
  assert.equal(decoded.api, t.api);
  assert.deepStrictEqual(
    {
      apiKey: decoded.header.apiKey,
      apiVersion: decoded.header.apiVersion,
      correlationId: decoded.header.correlationId,
      clientId: decoded.header.clientId,
    },
    { apiKey: t.api.key, apiVersion: v, correlationId, clientId: CLIENT_ID },
  );
  assert.deepStrictEqual(decoded.body, body);

  // And the other way: Brook's request encoder, fed the decoded body, writes KafkaJS's exact bytes,
  // header included (what Brook's client sends is what KafkaJS sends).
  assert.ok(
    encodeRequest(t.api, v, correlationId, CLIENT_ID, body).equals(frame),
    "Brook's encodeRequest reproduces KafkaJS's frame byte for byte",
  );
}

async function checkResponse(t: Table, v: number, c: ResponseCase, requestParams: unknown): Promise<void> {
  const correlationId = 0x7fff0000 + t.api.key * 16 + v;
  const frame = encodeResponse(t.api, v, correlationId, c.value as never);
  const split = kafkajsResponsePayload(frame);
  assert.equal(split.size, frame.length - 4, "size prefix");
  assert.equal(split.correlationId, correlationId, "correlation id");
  // The payload KafkaJS decodes: the body, after the response header v1 tag section for flexible
  // versions (never for ApiVersions, whose response header is always v0).
  const headerTags = t.api.key !== API_VERSIONS_KEY && isFlexible(t.api, v);
  const bodyBytes = encodeBody(t.api, v, "response", c.value);
  assert.ok(
    split.payload.equals(headerTags ? Buffer.concat([Buffer.from([0]), bodyBytes]) : bodyBytes),
    "payload = [header tags] + encodeBody",
  );
  const response = kafkajsResponse(t.kafkajs, v, requestParams);
  const { decoded, consumed } = await decodeTracked(split.payload, (b) => response.decode(b));
  assert.deepStrictEqual(decoded, resolveMatchers(decoded, c.decoded));
  // KafkaJS does not check for leftovers itself: everything Brook wrote must have been read, except
  // that KafkaJS's flexible decoders (the reassignment APIs) never read the top-level struct's tag
  // section, which then has to be the single empty-section byte at the very end.
  const unread = split.payload.subarray(consumed);
  assert.deepStrictEqual([...unread], isFlexible(t.api, v) ? [0] : [], "bytes KafkaJS left unread");
}

const caseName = (label: string | undefined) => (label ? ` (${label})` : "");

describe("KafkaJS 2.2.4 cross-check: every API and version both implement", () => {
  for (const t of TABLES) {
    const versions = commonVersions(t);
    describe(`${t.api.name} (key ${t.api.key}) v${versions.join(", v")}`, () => {
      for (const v of versions) {
        it(`v${v} request: KafkaJS encodes, Brook decodes`, async () => {
          const cases = await asList(t.request(v));
          for (const c of cases) {
            try {
              await checkRequest(t, v, c);
            } catch (e) {
              (e as Error).message =
                `${t.api.name} v${v} request${caseName(c.label)}: ${(e as Error).message}`;
              throw e;
            }
          }
        });
        it(`v${v} response: Brook encodes, KafkaJS decodes`, async () => {
          const [firstRequest] = await asList(t.request(v));
          const cases = await asList(t.response(v));
          for (const c of cases) {
            try {
              await checkResponse(t, v, c, firstRequest!.params);
            } catch (e) {
              (e as Error).message =
                `${t.api.name} v${v} response${caseName(c.label)}: ${(e as Error).message}`;
              throw e;
            }
          }
        });
      }
    });
  }
});

describe("KafkaJS 2.2.4 cross-check: coverage", () => {
  it("has a table for every API KafkaJS implements, covering every common version", () => {
    const requestsDir = dirname(require.resolve("kafkajs/src/protocol/requests/index.js"));
    const folders = readdirSync(requestsDir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    assert.deepStrictEqual(TABLES.map((t) => t.kafkajs).sort(), folders);
    let pairs = 0;
    for (const t of TABLES) {
      const versions = commonVersions(t);
      assert.ok(versions.length > 0, `${t.api.name}: no version in common`);
      // The KafkaJS folder really is this API.
      const req = kafkajsRequest(t.kafkajs, versions[0]!);
      assert.ok(typeof req === "function");
      pairs += versions.length;
    }
    // Produce 5, Fetch 8, ListOffsets 3, Metadata 7, OffsetCommit 4, OffsetFetch 4, FindCoordinator 3,
    // JoinGroup 6, Heartbeat/LeaveGroup/SyncGroup 4 each, DescribeGroups/ListGroups 3 each,
    // SaslHandshake 2, ApiVersions 3, CreateTopics 2, DeleteTopics 1, and 2 for each of DeleteRecords,
    // InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn, EndTxn, TxnOffsetCommit, DescribeConfigs,
    // AlterConfigs, SaslAuthenticate, CreatePartitions, DeleteGroups; ACLs and reassignments 1 each.
    assert.equal(pairs, 93);
  });
});

describe("KafkaJS 2.2.4 cross-check: harness self-checks", () => {
  it("notices bytes KafkaJS leaves unread after a response", async () => {
    const frame = encodeResponse(M.Heartbeat, 1, 7, { throttleTimeMs: 5, errorCode: 27 });
    const { payload } = kafkajsResponsePayload(frame);
    const padded = Buffer.concat([payload, Buffer.from([0xab])]);
    const response = kafkajsResponse("heartbeat", 1, {});
    const { decoded, consumed } = await decodeTracked(padded, (b) => response.decode(b));
    assert.deepStrictEqual(decoded, { throttleTime: 5, errorCode: 27 });
    assert.equal(consumed, padded.length - 1);
  });

  it("ApiVersions v0 with UNSUPPORTED_VERSION makes KafkaJS's decode throw, as its fallback expects", async () => {
    const frame = encodeResponse(M.ApiVersions, 0, 1, {
      errorCode: 35,
      apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }],
    });
    const { payload } = kafkajsResponsePayload(frame);
    await assert.rejects(kafkajsResponse("apiVersions", 0, {}).decode(payload), (e: any) => {
      assert.equal(e.type, "UNSUPPORTED_VERSION");
      return true;
    });
  });
});

describe("KafkaJS 2.2.4 cross-check: request frames", () => {
  const apiVersionsV2 = kafkajsRequest("apiVersions", 2)({});

  it("decodes a KafkaJS frame's header v1: api key, version, correlation id, client id", async () => {
    const frame = await kafkajsRequestFrame(apiVersionsV2, 2_147_483_647, "клиент-ü/1.0");
    assert.equal(frame.readInt32BE(0), frame.length - 4);
    const { header, api, body } = decodeRequest(frame.subarray(4), apiByKey);
    assert.equal(api, M.ApiVersions);
    assert.deepStrictEqual(
      [header.apiKey, header.apiVersion, header.correlationId, header.clientId],
      [18, 2, 2_147_483_647, "клиент-ü/1.0"],
    );
    assert.deepStrictEqual(presentFields(M.ApiVersions.request, 2, body), {});
  });

  it("reads a null client id (KafkaJS writes -1 for it)", async () => {
    const frame = await kafkajsRequestFrame(apiVersionsV2, 0, null);
    const { header } = decodeRequest(frame.subarray(4), apiByKey);
    assert.equal(header.clientId, null);
    assert.equal(header.correlationId, 0);
  });

  it("reads header v2 of a flexible KafkaJS request (tag section inside KafkaJS's payload)", async () => {
    const request = kafkajsRequest("listPartitionReassignments", 0)({ timeout: 1234 });
    const frame = await kafkajsRequestFrame(request, 99, "c");
    const { header, body } = decodeRequest(frame.subarray(4), apiByKey);
    assert.deepStrictEqual(
      [header.apiKey, header.apiVersion, header.correlationId, header.clientId],
      [46, 0, 99, "c"],
    );
    assert.equal(header.tags, undefined);
    assert.deepStrictEqual(presentFields(M.ListPartitionReassignments.request, 0, body), {
      timeoutMs: 1234,
      topics: null,
    });
  });
});
