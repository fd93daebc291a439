/**
 * A client that writes acks=0 Produce requests and closes its side at once (FIN right behind the
 * last request) must find every record appended: the broker handles everything that arrived before
 * the FIN, as Kafka does, instead of dropping what was still queued when the socket closed.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import {
  encodeRecordBatchSync,
  encodeRequest,
  ListOffsets,
  Metadata,
  Produce,
} from "../../src/protocol/index.js";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import { RawClient } from "../support/raw-client.js";

describe("broker: client half-close", () => {
  let tb: TestBroker;
  before(async () => {
    tb = await startTestBroker({});
  });
  after(async () => {
    await tb.close();
  });

  it("every acks=0 Produce request sent before the client's FIN is appended", async () => {
    const port = Number(tb.bootstrap.split(":")[1]);
    const admin = await RawClient.connect(port);
    await admin.request(Metadata, 9, { topics: [{ name: "half-close" }], allowAutoTopicCreation: true });
    const requests = 400;
    const perRequest = 64;
    const value = Buffer.alloc(1024, 7);
    const frames: Buffer[] = [];
    for (let i = 0; i < requests; i++) {
      const records = encodeRecordBatchSync({
        records: Array.from({ length: perRequest }, () => ({ value })),
      } as Parameters<typeof encodeRecordBatchSync>[0]);
      frames.push(
        encodeRequest(Produce, 9, i + 1, "half-close", {
          acks: 0,
          timeoutMs: 30000,
          topicData: [{ name: "half-close", partitionData: [{ index: 0, records }] }],
        }),
      );
    }
    // 25 MiB written in one go, then FIN: most of it is still queued in the broker when the FIN arrives.
    const socket = net.connect({ host: "127.0.0.1", port });
    await new Promise<void>((r) => socket.once("connect", () => r()));
    await new Promise<void>((r) => socket.end(Buffer.concat(frames), () => r()));
    await new Promise<void>((r) => socket.once("close", () => r()));
    let high = -1n;
    for (let i = 0; i < 100; i++) {
      const res = await admin.request(ListOffsets, 7, {
        replicaId: -1,
        topics: [{ name: "half-close", partitions: [{ partitionIndex: 0, timestamp: -1n }] }],
      });
      high = res.topics[0]!.partitions[0]!.offset;
      if (high === BigInt(requests * perRequest)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(high, BigInt(requests * perRequest));
    admin.close();
  });
});
