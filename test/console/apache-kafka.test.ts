/**
 * The console against a real Apache Kafka: it is a client of any Kafka cluster, not of Brook's
 * internals. Lists topics, browses records and shows a group's lag.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Kafka } from "../../src/client/kafka.js";
import { logLevel } from "../../src/client/logger.js";
import { type ConsoleServer, startConsole } from "../../src/console/server.js";
import {
  type ApacheKafkaCluster,
  apacheKafkaUnavailable,
  startApacheKafka,
} from "../support/apache-kafka.js";
import { apiClient, eventually } from "./support.js";

const reason = apacheKafkaUnavailable();

describe("console on Apache Kafka", { skip: reason ?? false }, () => {
  let cluster: ApacheKafkaCluster;
  let server: ConsoleServer;
  let api: ReturnType<typeof apiClient>;

  before(async () => {
    cluster = await startApacheKafka({ brokers: 1, quickStart: true });
    server = await startConsole({ brokers: [cluster.bootstrap], port: 0, lagIntervalMs: 500 });
    api = apiClient(server.url);
  });

  after(async () => {
    await server?.close();
    await cluster?.stop();
  });

  it("lists topics, browses records and shows a group's lag", async () => {
    const cl = await api.get("/api/cluster");
    assert.equal(cl.status, 200);
    assert.equal(cl.body.clusterId, cluster.clusterId);
    assert.deepEqual(
      cl.body.brokers.map((b: { nodeId: number; port: number }) => [b.nodeId, b.port]),
      cluster.brokers.map((b) => [b.nodeId, b.port]),
    );

    assert.equal((await api.post("/api/topics", { name: "payments", partitions: 2 })).status, 201);
    for (let i = 0; i < 5; i++) {
      const r = await api.post("/api/topics/payments/messages", {
        key: `k${i}`,
        value: `payment ${i}`,
        partition: i % 2,
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
    const topics = await eventually(async () => {
      const r = await api.get("/api/topics");
      const t = r.body.find((x: { name: string }) => x.name === "payments");
      return t?.messages === 5 ? r : undefined;
    });
    assert.deepEqual(
      topics.body.find((x: { name: string }) => x.name === "payments"),
      {
        name: "payments",
        internal: false,
        partitions: 2,
        replicationFactor: 1,
        messages: 5,
        sizeBytes: topics.body.find((x: { name: string }) => x.name === "payments").sizeBytes,
      },
    );
    assert.ok(topics.body.find((x: { name: string }) => x.name === "payments").sizeBytes > 0);

    const browsed = await api.get("/api/topics/payments/messages?from=beginning&value=payment 3");
    assert.deepEqual(
      browsed.body.messages.map((m: { partition: number; offset: number; key: unknown }) => [
        m.partition,
        m.offset,
        m.key,
      ]),
      [[1, 1, { text: "k3" }]],
    );

    // A group that committed part of the topic: 2 of partition 0's 3 records, 1 of partition 1's 2.
    const kafka = new Kafka({ brokers: [cluster.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.setOffsets({
        groupId: "ledger",
        topic: "payments",
        partitions: [
          { partition: 0, offset: "1" },
          { partition: 1, offset: "1" },
        ],
      });
    } finally {
      await admin.disconnect();
    }
    const group = await api.get("/api/groups/ledger");
    assert.equal(group.status, 200, JSON.stringify(group.body));
    assert.equal(group.body.totalLag, 3);
    // A classic group's coordinator, from FindCoordinator: one of the cluster's brokers.
    const coordinator = group.body.coordinator as { nodeId: number; host: string; port: number };
    assert.ok(
      cluster.brokers.some((b) => b.nodeId === coordinator.nodeId && b.port === coordinator.port),
      JSON.stringify(coordinator),
    );
    assert.deepEqual(
      group.body.offsets.map(
        (o: { partition: number; committed: number; logEndOffset: number; lag: number }) => [
          o.partition,
          o.committed,
          o.logEndOffset,
          o.lag,
        ],
      ),
      [
        [0, 1, 3, 2],
        [1, 1, 2, 1],
      ],
    );
    const listed = await api.get("/api/groups");
    const ledger = listed.body.find((g: { groupId: string }) => g.groupId === "ledger");
    assert.equal(ledger.totalLag, 3);
    assert.deepEqual(ledger.topics, ["payments"]);
    assert.equal((await api.get("/api/groups/no-such-group")).status, 404);
  });
});
