/**
 * Idempotent produce through the wire: a Produce request replayed byte for byte is answered with the
 * original offsets and written once; sequence gaps and fenced epochs get Kafka's error codes; a real
 * KafkaJS idempotent producer (and Brook's client in its place) behind a proxy that sends every
 * Produce request twice writes each record once.
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, test } from "node:test";
import { ErrorCode } from "../../src/protocol/error-codes.js";
import { encodeRequest, decodeResponse } from "../../src/protocol/frame.js";
import { DescribeProducers } from "../../src/protocol/messages/describe-producers.js";
import { Produce } from "../../src/protocol/messages/produce.js";
import { encodeRecordBatchSync } from "../../src/protocol/records/record-batch.js";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import { testEachClient } from "../support/clients.js";
import { fetchAllRecords } from "../support/fetch-records.js";
import { RawClient } from "../support/raw-client.js";
import { listen, splitFrames } from "../support/tcp-peer.js";

let b: TestBroker;
before(async () => {
  b = await startTestBroker();
});
after(async () => {
  await b.close();
});

function produceFrame(topic: string, correlationId: number, batch: Buffer, acks = -1): Buffer {
  const body = {
    transactionalId: null,
    acks,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }],
  };
  return encodeRequest(Produce, 9, correlationId, "idem-test", body);
}

function idempotentBatch(pid: bigint, epoch: number, seq: number, values: string[]): Buffer {
  return encodeRecordBatchSync({
    records: values.map((v) => ({ value: v })),
    producerId: pid,
    producerEpoch: epoch,
    baseSequence: seq,
  });
}

async function send(c: RawClient, frame: Buffer) {
  const res = decodeResponse(Produce, 9, await c.sendRaw(frame));
  const p = res.body.responses[0]!.partitionResponses[0]!;
  return { errorCode: p.errorCode, baseOffset: p.baseOffset };
}

test("a replayed Produce request is answered with the original offset and not written twice", async () => {
  await b.broker.createTopic("idem-raw", 1, 1, {});
  const c = await RawClient.connect(b.port);
  try {
    const first = produceFrame("idem-raw", 1, idempotentBatch(4000n, 0, 0, ["a", "b"]));
    const second = produceFrame("idem-raw", 2, idempotentBatch(4000n, 0, 2, ["c"]));
    assert.deepEqual(await send(c, first), { errorCode: 0, baseOffset: 0n });
    assert.deepEqual(await send(c, second), { errorCode: 0, baseOffset: 2n });
    // The same bytes again (a retry after a lost response), twice, and the older one once more.
    assert.deepEqual(await send(c, second), { errorCode: 0, baseOffset: 2n });
    assert.deepEqual(await send(c, second), { errorCode: 0, baseOffset: 2n });
    assert.deepEqual(await send(c, first), { errorCode: 0, baseOffset: 0n });
    // A gap, then a fenced (older) epoch after the producer moved to epoch 1.
    const gap = await send(c, produceFrame("idem-raw", 3, idempotentBatch(4000n, 0, 9, ["x"])));
    assert.equal(gap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    assert.equal(
      (await send(c, produceFrame("idem-raw", 4, idempotentBatch(4000n, 1, 0, ["d"])))).errorCode,
      0,
    );
    const old = await send(c, produceFrame("idem-raw", 5, idempotentBatch(4000n, 0, 3, ["y"])));
    assert.equal(old.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
  } finally {
    c.close();
  }
  const records = await fetchAllRecords(b.port, "idem-raw", 0);
  assert.deepEqual(
    records.map((r) => r.value?.toString()),
    ["a", "b", "c", "d"],
  );
});

/** A TCP proxy that sends every Produce request to the broker twice and drops the second answer. */
async function duplicatingProxy(
  target: number,
): Promise<{ port: number; duplicated: () => number; stop: () => Promise<void> }> {
  let duplicated = 0;
  const peer = await listen((client, track) => {
    const upstream = track(connect(target, "127.0.0.1"));
    const drop = new Set<number>();
    client.on(
      "data",
      splitFrames((frame) => {
        upstream.write(frame);
        const apiKey = frame.readInt16BE(4);
        if (apiKey === 0) {
          // Same correlation id; its (second) answer is swallowed below.
          drop.add(frame.readInt32BE(8));
          upstream.write(Buffer.from(frame));
          duplicated++;
        }
      }),
    );
    const seen = new Set<number>();
    upstream.on(
      "data",
      splitFrames((frame) => {
        const correlationId = frame.readInt32BE(4);
        if (drop.has(correlationId)) {
          if (seen.has(correlationId)) {
            seen.delete(correlationId);
            drop.delete(correlationId);
            return;
          }
          seen.add(correlationId);
        }
        client.write(frame);
      }),
    );
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close);
    upstream.on("error", close);
    client.on("close", close);
    upstream.on("close", close);
  });
  return { port: peer.port, duplicated: () => duplicated, stop: () => peer.stop() };
}

const DUPLICATED =
  "idempotent producer: every Produce request sent twice at the TCP level, each record written once";
testEachClient(DUPLICATED, { timeout: 60_000 }, async (client) => {
  const topic = `idem-${client.name.toLowerCase()}`;
  await b.broker.createTopic(topic, 1, 1, {});
  const proxy = await duplicatingProxy(b.port);
  const kafka = new client.module.Kafka({
    clientId: "idem",
    brokers: [`127.0.0.1:${proxy.port}`],
    logLevel: client.module.logLevel.NOTHING,
    retry: { retries: 3 },
    // Metadata names the broker's own address: every connection goes through the proxy instead.
    socketFactory: ({ onConnect }) => connect(proxy.port, "127.0.0.1", onConnect),
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let i = 0; i < 20; i++) {
      await producer.send({
        topic,
        acks: -1,
        messages: [
          { key: `k${i}`, value: `v${i}-a` },
          { key: `k${i}`, value: `v${i}-b` },
        ],
      });
    }
  } finally {
    await producer.disconnect();
    await proxy.stop();
  }
  assert.ok(proxy.duplicated() >= 20, `every produce request was replayed (${proxy.duplicated()})`);
  const values = (await fetchAllRecords(b.port, topic, 0)).map((r) => r.value?.toString());
  assert.equal(values.length, 40);
  assert.deepEqual(values, Array.from({ length: 20 }, (_, i) => [`v${i}-a`, `v${i}-b`]).flat());
});

test("DescribeProducers lists a partition's producers; a transactional batch needs a transactional id", async () => {
  await b.broker.createTopic("idem-describe", 1, 1, {});
  const c = await RawClient.connect(b.port);
  try {
    assert.equal(
      (await send(c, produceFrame("idem-describe", 1, idempotentBatch(5000n, 3, 0, ["a", "b", "c"]))))
        .errorCode,
      0,
    );
    const txnBatch = encodeRecordBatchSync({
      records: [{ value: "t" }],
      producerId: 5001n,
      producerEpoch: 0,
      baseSequence: 0,
      isTransactional: true,
    });
    const noId = await send(c, produceFrame("idem-describe", 2, txnBatch));
    assert.equal(noId.errorCode, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    const res = await c.request(DescribeProducers, 0, {
      topics: [{ name: "idem-describe", partitionIndexes: [0, 7] }],
    });
    const [p0, p7] = res.topics[0]!.partitions;
    assert.equal(p0!.errorCode, 0);
    assert.deepEqual(
      p0!.activeProducers.map((p) => [
        p.producerId,
        p.producerEpoch,
        p.lastSequence,
        p.currentTxnStartOffset,
      ]),
      [[5000n, 3, 2, -1n]],
    );
    assert.equal(p7!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  } finally {
    c.close();
  }
});
