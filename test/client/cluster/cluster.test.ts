/**
 * The client's cluster layer against a real Brook broker: bootstrap, ApiVersions negotiation,
 * metadata, coordinator lookup, pipelining on one connection, reconnect after the broker process
 * restarts, and socket failures (closed, garbage, silence) as retriable KafkaJS errors.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Cluster } from "../../../src/client/cluster/index.js";
import {
  KafkaJSConnectionError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSRequestTimeoutError,
} from "../../../src/client/errors.js";
import { createLogger, logLevel } from "../../../src/client/logger.js";
import { ApiVersions, Metadata, Produce } from "../../../src/protocol/messages/index.js";
import { startTestBroker, type TestBroker } from "../../../src/testing/index.js";
import { freePorts } from "../../support/apache-kafka.js";
import { spawnBroker } from "../../support/broker-process.js";
import { listen } from "../../support/tcp-peer.js";

const logger = createLogger({ level: logLevel.NOTHING });
const quickRetry = { retries: 2, initialRetryTime: 20, maxRetryTime: 100 };

describe("client cluster against Brook", () => {
  let tb: TestBroker;
  before(async () => {
    tb = await startTestBroker({ configs: { "num.partitions": "3" } });
  });
  after(async () => {
    await tb.close();
  });

  it("bootstraps, negotiates the newest common versions and loads topic metadata", async () => {
    const cluster = new Cluster({ brokers: [tb.bootstrap], logger, clientId: "cluster-test" });
    await cluster.connect();
    try {
      assert.equal(cluster.isConnected(), true);
      const [only] = cluster.brokerList();
      assert.equal(only?.host, "127.0.0.1");
      assert.ok(cluster.clusterId && cluster.clusterId.length > 0);
      await cluster.addTargetTopics(["cluster-meta"]);
      const t = cluster.topicMetadata("cluster-meta");
      assert.equal(t?.partitions.length, 3);
      assert.deepEqual(
        t?.partitions.map((p) => p.partitionId),
        [0, 1, 2],
      );
      const leader = await cluster.broker(cluster.leaderFor("cluster-meta", 1));
      // Brook's broker and Brook's codec agree on these ranges, so negotiation picks the codec's maximum.
      assert.equal(leader.versionOf(Produce), Produce.maxVersion);
      assert.equal(leader.versionOf(Metadata), Metadata.maxVersion);
      assert.equal(leader.versionOf(ApiVersions), ApiVersions.maxVersion);
    } finally {
      await cluster.disconnect();
    }
    assert.equal(cluster.isConnected(), false);
  });

  it("takes brokers from an async function, and reports a throwing one as KafkaJS does", async () => {
    const ok = new Cluster({ brokers: async () => [tb.bootstrap], logger });
    await ok.connect();
    await ok.disconnect();
    const bad = new Cluster({
      brokers: async () => {
        throw new Error("discovery down");
      },
      logger,
      retry: quickRetry,
    });
    await assert.rejects(bad.connect(), (e: Error) => {
      assert.ok(e instanceof KafkaJSNumberOfRetriesExceeded, e.name);
      assert.match(e.message, /"config\.brokers" threw: discovery down/);
      return true;
    });
    await assert.rejects(new Cluster({ brokers: [], logger }).connect(), (e: Error) => {
      assert.ok(e instanceof KafkaJSNonRetriableError);
      assert.equal(e.message, "Failed to connect: brokers array is empty");
      return true;
    });
  });

  it("finds and caches the group coordinator", async () => {
    const cluster = new Cluster({ brokers: [tb.bootstrap], logger });
    await cluster.connect();
    try {
      const a = await cluster.coordinator("cluster-group", "GROUP");
      const b = await cluster.coordinator("cluster-group", "GROUP");
      assert.equal(a, b);
      assert.equal(a.nodeId, cluster.brokerList()[0]?.nodeId);
    } finally {
      await cluster.disconnect();
    }
  });

  it("takes a newer leader from a response (KIP-951) and never goes back to an older epoch", async () => {
    const cluster = new Cluster({ brokers: [tb.bootstrap], logger });
    await cluster.connect();
    try {
      await cluster.addTargetTopics(["cluster-epochs"]);
      const p0 = cluster.findTopicPartitionMetadata("cluster-epochs")[0]!;
      const self = p0.leader;
      // An older or equal epoch, or an unknown node without an endpoint, changes nothing.
      assert.equal(cluster.noteLeader("cluster-epochs", 0, 99, p0.leaderEpoch), false);
      assert.equal(cluster.noteLeader("cluster-epochs", 0, 99, p0.leaderEpoch + 1), false);
      assert.equal(cluster.leaderFor("cluster-epochs", 0), self);
      // A newer epoch with the new leader's endpoint moves the partition at once.
      const moved = cluster.noteLeader("cluster-epochs", 0, 99, p0.leaderEpoch + 5, {
        host: "127.0.0.1",
        port: 1,
      });
      assert.equal(moved, true);
      assert.equal(cluster.leaderFor("cluster-epochs", 0), 99);
      // A metadata refresh from a broker that still reports the older epoch does not undo it.
      await cluster.refreshMetadata();
      assert.equal(cluster.leaderFor("cluster-epochs", 0), 99);
      assert.equal(cluster.leaderFor("cluster-epochs", 1), self);
    } finally {
      await cluster.disconnect();
    }
  });

  it("pipelines many requests on one connection and matches every response to its request", async () => {
    const cluster = new Cluster({ brokers: [tb.bootstrap], logger });
    await cluster.connect();
    try {
      const names = Array.from({ length: 20 }, (_, i) => `pipelined-${i}`);
      await cluster.addTargetTopics(names);
      const broker = await cluster.anyBroker();
      // 400 requests written back to back; each asks for a different topic, so a response matched
      // to the wrong request would name the wrong topic.
      const results = await Promise.all(
        Array.from({ length: 400 }, (_, i) =>
          broker
            .request(Metadata, {
              topics: [{ name: names[i % names.length]! }],
              allowAutoTopicCreation: false,
            })
            .then((r) => [i, r.topics[0]?.name] as const),
        ),
      );
      for (const [i, name] of results) assert.equal(name, names[i % names.length]);
    } finally {
      await cluster.disconnect();
    }
  });
});

describe("client cluster: broker restarts and broken peers", () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("reconnects after the broker process restarts on the same port", async () => {
    const dir = mkdtempSync(join(tmpdir(), "brook-client-restart-"));
    dirs.push(dir);
    const [port] = await freePorts(1);
    const args = ["--port", String(port), "--data-dir", dir];
    let broker = await spawnBroker(args);
    const cluster = new Cluster({
      brokers: [`127.0.0.1:${port}`],
      logger,
      retry: { retries: 8, initialRetryTime: 100 },
    });
    try {
      await cluster.connect();
      await cluster.addTargetTopics(["restart-me"]);
      await broker.stop("SIGKILL");
      // The connection is gone: the next request fails with a retriable connection error...
      const b = await cluster.anyBroker().catch((e: Error) => e);
      if (!(b instanceof Error)) {
        const r = await b.request(Metadata, { topics: [] }).catch((e: Error) => e);
        assert.ok(r instanceof KafkaJSConnectionError, String(r));
        assert.equal(r.retriable, true);
      }
      broker = await spawnBroker(args);
      // ...and once the broker is back, a refresh through the retrier reconnects by itself.
      await cluster.retrier(async () => cluster.refreshMetadata());
      assert.equal(cluster.topicMetadata("restart-me")?.partitions.length, 1);
    } finally {
      await cluster.disconnect();
      await broker.stop("SIGTERM");
    }
  });

  it("a peer that closes the socket at once gives a retriable KafkaJSConnectionError, then retries run out", async () => {
    const fake = await listen((s) => s.destroy());
    try {
      const cluster = new Cluster({ brokers: [fake.address], logger, retry: quickRetry });
      await assert.rejects(cluster.connect(), (e: Error) => {
        assert.ok(e instanceof KafkaJSNumberOfRetriesExceeded, `${e.name}: ${e.message}`);
        const cause = (e as { cause?: Error }).cause ?? e;
        assert.ok(cause instanceof KafkaJSConnectionError || /Connection/.test(e.message), e.message);
        return true;
      });
    } finally {
      await fake.stop();
    }
  });

  it("a peer that answers with garbage gives a connection error, not a crash", async () => {
    const fake = await listen((s) => s.once("data", () => s.write(Buffer.from("\x00\x00\x00\x08garbage!"))));
    try {
      const cluster = new Cluster({ brokers: [fake.address], logger, retry: quickRetry });
      await assert.rejects(cluster.connect(), (e: Error) => {
        assert.ok(e instanceof KafkaJSNumberOfRetriesExceeded, `${e.name}: ${e.message}`);
        return true;
      });
    } finally {
      await fake.stop();
    }
  });

  it("a peer that never answers gives KafkaJSRequestTimeoutError within requestTimeout", async () => {
    const fake = await listen(() => {});
    try {
      const cluster = new Cluster({
        brokers: [fake.address],
        logger,
        retry: { retries: 0 },
        requestTimeout: 300,
      });
      const started = performance.now();
      await assert.rejects(cluster.connect(), (e: Error) => {
        const cause = e instanceof KafkaJSRequestTimeoutError ? e : (e as { cause?: Error }).cause;
        assert.ok(cause instanceof KafkaJSRequestTimeoutError, `${e.name}: ${e.message}`);
        return true;
      });
      assert.ok(performance.now() - started < 5000);
    } finally {
      await fake.stop();
    }
  });
});
