/**
 * Brook's client against a real Apache Kafka 4.4 cluster: a KRaft controller and three brokers
 * (test/support/apache-kafka.ts), one cluster for the whole file. What a single-node Brook cannot
 * show is exercised here: partition leaders on different brokers, a broker crashing and coming back
 * while the producer writes, a leader moved by a reassignment, and transaction and group
 * coordinators on a broker the client did not bootstrap from.
 *
 * Brook's client is the subject; KafkaJS 2.2.4 is the independent reader (its consumer reads every
 * topic back, read_committed for transactions) and a raw FindCoordinator picks the keys whose
 * coordinator Kafka places away from the bootstrap broker. Tests run in order and share the cluster;
 * the last one lists the groups the earlier ones left behind.
 *
 * The crash test is one KafkaJS 2.2.4 fails when it stands in for Brook's client: a send spanning
 * several leaders whose request to the killed broker fails is retried only towards brokers that
 * have not answered yet, so when the partition's new leader already answered for other partitions
 * the send resolves without those records (acknowledged records lost; tulios/kafkajs#1303).
 *
 * Skipped, with the reason, when Java 17+ or the Kafka jars are missing (scripts/apache-kafka/install.sh).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Kafka as KafkaJS, logLevel as kafkajsLogLevel } from "kafkajs";
import { FindCoordinator } from "../../src/protocol/messages/find-coordinator.js";
import { Kafka, logLevel } from "../../src/client/index.js";
import {
  type ApacheKafkaCluster,
  apacheKafkaUnavailable,
  restartApacheKafkaNode,
  startApacheKafka,
  stopApacheKafkaNode,
} from "../support/apache-kafka.js";
import { RawClient } from "../support/raw-client.js";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

const reason = apacheKafkaUnavailable();
if (reason) console.warn(`SKIP Brook client vs Apache Kafka 3-broker tests: ${reason}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Replicas of partition p in the `spread` layout: its leader (the first replica) is broker p % 3 + 1. */
const SPREAD = [0, 1, 2].map((p) => ({ partition: p, replicas: [1, 2, 3].map((_, i) => ((p + i) % 3) + 1) }));

interface Read {
  partition: number;
  offset: string;
  value: string;
}

describe("Brook's client against Apache Kafka 4.4: a controller and three brokers", {
  skip: reason ?? false,
  concurrency: false,
  timeout: 600_000,
}, () => {
  let cluster: ApacheKafkaCluster;
  let failed = false;
  let readers = 0;
  /** Every consumer group this file makes, for the listGroups check at the end. */
  const groupsUsed = new Set<string>();

  const brook = (clientId: string, brokers?: string[]) =>
    new Kafka({
      clientId,
      brokers: brokers ?? cluster.bootstrap.split(","),
      logLevel: logLevel.NOTHING,
    });
  const peer = () =>
    new KafkaJS({
      clientId: "kafkajs-reader",
      brokers: cluster.bootstrap.split(","),
      logLevel: kafkajsLogLevel.NOTHING,
    });
  const portOf = (nodeId: number) => cluster.brokers.find((b) => b.nodeId === nodeId)!.port;

  /**
   * Reads `topic` from the beginning with a KafkaJS consumer until `expected` records arrived, then
   * one more second, so that a duplicate or a stray record past the expected count is seen too.
   */
  async function readBack(topic: string, expected: number, opts: { readUncommitted?: boolean } = {}) {
    const groupId = `reader-${topic}-${++readers}`;
    groupsUsed.add(groupId);
    const consumer = peer().consumer({
      groupId,
      sessionTimeout: 10_000,
      readUncommitted: opts.readUncommitted ?? false,
      maxWaitTimeInMs: 200,
    });
    const got: Read[] = [];
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${topic}: read ${got.length} of ${expected} records in 60 s`)),
          60_000,
        );
        consumer
          .run({
            eachMessage: async ({ partition, message }) => {
              got.push({ partition, offset: message.offset, value: message.value!.toString() });
              if (got.length === expected) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .catch(reject);
      });
      await sleep(1000);
    } finally {
      await consumer.disconnect().catch(() => {});
    }
    return got;
  }

  /** High watermarks per partition, from Kafka through KafkaJS's admin (the peer, not the subject). */
  async function highWatermarks(topic: string): Promise<number[]> {
    const admin = peer().admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      return offsets.sort((a, b) => a.partition - b.partition).map((o) => Number(o.high));
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * The node Kafka names coordinator of `key` (0 group, 1 transaction), asked of broker `port`
   * directly; retried while the internal topic is being created or its leader elected.
   */
  async function coordinatorOf(port: number, key: string, keyType: 0 | 1): Promise<number> {
    const c = await RawClient.connect(port);
    try {
      const deadline = performance.now() + 30_000;
      for (;;) {
        const res = await c.request(FindCoordinator, 3, { key, keyType });
        if (res.errorCode === 0) return res.nodeId;
        if (performance.now() > deadline) throw new Error(`FindCoordinator ${key}: error ${res.errorCode}`);
        await sleep(200);
      }
    } finally {
      c.close();
    }
  }

  /** The first `${prefix}-<n>` whose coordinator is not `avoid`, with that coordinator. */
  async function keyAwayFrom(prefix: string, keyType: 0 | 1, avoid: number) {
    for (let n = 0; n < 50; n++) {
      const key = `${prefix}-${n}`;
      const node = await coordinatorOf(portOf(avoid), key, keyType);
      if (node !== avoid) return { key, node };
    }
    throw new Error(`no ${prefix} key with a coordinator other than broker ${avoid}`);
  }

  before(
    async () => {
      cluster = await startApacheKafka({
        brokers: 3,
        quickStart: true,
        configs: {
          // A killed broker is fenced (its leaderships moved) after 3 s instead of 9 s.
          "broker.session.timeout.ms": "3000",
          "broker.heartbeat.interval.ms": "500",
        },
      });
      console.log(
        `apache-kafka 3 brokers for the client tests: started in ${Math.round(cluster.startMs)} ms (${cluster.bootstrap})`,
      );
    },
    { timeout: 180_000 },
  );

  after(async () => {
    if (!cluster) return;
    if (failed) console.error(`logs kept in ${cluster.logDir}\n${cluster.logTail(20)}`);
    await cluster.stop({ keepData: failed });
  });

  /** Marks the run failed (so the cluster's logs are kept) when `fn` throws. */
  const step =
    (fn: () => Promise<void>): (() => Promise<void>) =>
    async () => {
      try {
        await fn();
      } catch (e) {
        failed = true;
        throw e;
      }
    };

  it(
    "admin: createTopics, fetchTopicMetadata, describeCluster and describeConfigs",
    { timeout: 60_000 },
    step(async () => {
      const admin = brook("brook-admin").admin();
      await admin.connect();
      try {
        const spread = (topic: string) => ({
          topic,
          replicaAssignment: SPREAD,
          configEntries: [{ name: "min.insync.replicas", value: "2" }],
        });
        assert.equal(
          await admin.createTopics({
            waitForLeaders: true,
            topics: [
              spread("spread-idempotent"),
              spread("spread-transactions"),
              spread("crash"),
              spread("coordinators"),
              // One partition on brokers 1 and 2, moved to 3 and 2 later on.
              { topic: "moving", replicaAssignment: [{ partition: 0, replicas: [1, 2] }] },
            ],
          }),
          true,
        );
        assert.equal(
          await admin.createTopics({ topics: [{ topic: "crash" }] }),
          false,
          "an existing topic is not created again",
        );

        const md = await admin.fetchTopicMetadata({ topics: ["spread-idempotent", "moving"] });
        const byName = new Map(md.topics.map((t) => [t.name, t]));
        const parts = [...byName.get("spread-idempotent")!.partitions].sort(
          (a, b) => a.partitionId - b.partitionId,
        );
        assert.deepEqual(
          parts.map((p) => ({ partition: p.partitionId, leader: p.leader, replicas: p.replicas })),
          SPREAD.map((s) => ({ partition: s.partition, leader: s.replicas[0], replicas: s.replicas })),
        );
        assert.equal(new Set(parts.map((p) => p.leader)).size, 3, "leaders on three different brokers");
        for (const p of parts) assert.deepEqual([...p.isr].sort(), [1, 2, 3]);
        const moving = byName.get("moving")!.partitions[0]!;
        assert.deepEqual([moving.leader, moving.replicas], [1, [1, 2]]);

        const described = await admin.describeCluster();
        assert.equal(described.clusterId, cluster.clusterId);
        assert.deepEqual(
          described.brokers
            .map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port }))
            .sort((a, b) => a.nodeId - b.nodeId),
          cluster.brokers.map((b) => ({ nodeId: b.nodeId, host: "127.0.0.1", port: b.port })),
        );
        // KRaft brokers name a live broker as the controller for clients, never the quorum node.
        assert.ok([1, 2, 3].includes(described.controller!), `controller ${described.controller}`);

        const configs = await admin.describeConfigs({
          includeSynonyms: false,
          resources: [
            { type: 2, name: "crash", configNames: ["min.insync.replicas", "cleanup.policy"] },
            { type: 4, name: "2", configNames: ["offsets.topic.num.partitions", "broker.id"] },
          ],
        });
        const values = new Map(
          configs.resources.map((r) => [
            `${r.resourceType}:${r.resourceName}`,
            Object.fromEntries(r.configEntries.map((e) => [e.configName, [e.configValue, e.isDefault]])),
          ]),
        );
        for (const r of configs.resources) assert.equal(r.errorCode, 0, `${r.resourceName}`);
        assert.deepEqual(values.get("2:crash"), {
          "min.insync.replicas": ["2", false],
          "cleanup.policy": ["delete", true],
        });
        assert.deepEqual(values.get("4:2"), {
          "offsets.topic.num.partitions": ["10", false],
          "broker.id": ["2", false],
        });
      } finally {
        await admin.disconnect();
      }
    }),
  );

  it(
    "an idempotent producer writes to leaders on three brokers; KafkaJS reads each record once, in order",
    { timeout: 90_000 },
    step(async () => {
      const topic = "spread-idempotent";
      const producer = brook("brook-idempotent").producer({ idempotent: true });
      await producer.connect();
      const sent: string[][] = [[], [], []];
      try {
        for (let round = 0; round < 10; round++) {
          const messages = Array.from({ length: 30 }, (_, i) => {
            const value = `idem-${round}-${i}`;
            sent[i % 3]!.push(value);
            return { partition: i % 3, value };
          });
          const meta = await producer.send({ topic, acks: -1, messages });
          assert.deepEqual(
            meta.map((m) => m.partition).sort(),
            [0, 1, 2],
            "one result per partition (three leaders)",
          );
          for (const m of meta) assert.equal(m.errorCode, 0);
        }
        // The same producer through sendBatch: one request per leader, three brokers.
        const batch = await producer.sendBatch({
          acks: -1,
          topicMessages: [0, 1, 2].map((p) => ({ topic, messages: [{ partition: p, value: `batch-${p}` }] })),
        });
        for (let p = 0; p < 3; p++) sent[p]!.push(`batch-${p}`);
        assert.equal(batch.length, 3);
      } finally {
        await producer.disconnect();
      }
      const total = sent.flat().length;
      const got = await readBack(topic, total);
      assert.equal(got.length, total, "each record exactly once");
      for (let p = 0; p < 3; p++) {
        assert.deepEqual(
          got.filter((r) => r.partition === p).map((r) => r.value),
          sent[p],
          `partition ${p} (leader broker ${SPREAD[p]!.replicas[0]}) in send order`,
        );
      }
      assert.deepEqual(
        await highWatermarks(topic),
        sent.map((s) => s.length),
      );
    }),
  );

  it(
    "transactions spanning three leaders: committed ones are read once with read_committed, aborted ones never",
    { timeout: 90_000 },
    step(async () => {
      const topic = "spread-transactions";
      const producer = brook("brook-transactions").producer({
        transactionalId: "brook-spread-txn",
        idempotent: true,
        maxInFlightRequests: 1,
      });
      await producer.connect();
      const committed: string[] = [];
      const aborted: string[] = [];
      try {
        for (const [n, outcome] of [
          [0, "commit"],
          [1, "abort"],
          [2, "commit"],
          [3, "abort"],
          [4, "commit"],
        ] as const) {
          const txn = await producer.transaction();
          const values = Array.from({ length: 12 }, (_, i) => `txn-${n}-${i}`);
          await txn.send({
            topic,
            acks: -1,
            messages: values.map((value, i) => ({ partition: i % 3, value })),
          });
          await txn.send({
            topic,
            acks: -1,
            messages: [{ partition: n % 3, value: `txn-${n}-second-send` }],
          });
          values.push(`txn-${n}-second-send`);
          if (outcome === "commit") {
            await txn.commit();
            committed.push(...values);
          } else {
            await txn.abort();
            aborted.push(...values);
          }
        }
      } finally {
        await producer.disconnect();
      }
      const readCommitted = await readBack(topic, committed.length);
      assert.deepEqual(
        readCommitted.map((r) => r.value).sort(),
        [...committed].sort(),
        "committed records once each, nothing aborted",
      );
      // The aborted records were written (read_uncommitted sees them), so read_committed filtered them.
      const readAll = await readBack(topic, committed.length + aborted.length, { readUncommitted: true });
      assert.deepEqual(readAll.map((r) => r.value).sort(), [...committed, ...aborted].sort());
    }),
  );

  it(
    "a broker SIGKILLed and restarted mid-produce: no acknowledged record lost, none duplicated (idempotent, acks=-1, RF 3, min ISR 2)",
    { timeout: 150_000 },
    step(async () => {
      const topic = "crash";
      const victim = 2; // leads partition 1, follows the others
      const producer = brook("brook-crash").producer({ idempotent: true });
      await producer.connect();
      const acknowledged: string[] = [];
      const failures: string[] = [];
      let attempted = 0;
      let stop = false;
      let beforeKill = 0;
      let whileDown = 0;
      let killedAt = 0;
      let downMs = 0;
      let firstAckAfterKillMs: number | null = null;
      const loop = (async () => {
        for (let send = 0; !stop; send++) {
          const messages = Array.from({ length: 30 }, (_, i) => ({
            partition: i % 3,
            value: `crash-${send}-${i}`,
          }));
          attempted += messages.length;
          try {
            await producer.send({ topic, acks: -1, messages });
            acknowledged.push(...messages.map((m) => m.value));
            if (killedAt && firstAckAfterKillMs === null) firstAckAfterKillMs = Date.now() - killedAt;
          } catch (e) {
            failures.push(`send ${send}: ${(e as Error).name}: ${(e as Error).message}`);
          }
        }
      })();
      try {
        await sleep(1500);
        beforeKill = acknowledged.length;
        await stopApacheKafkaNode(cluster, victim, { signal: "SIGKILL" });
        killedAt = Date.now();
        // Kafka fences the broker after 3 s and partition 1 gets a new leader; the producer must
        // follow it while the broker stays down (20 sends acknowledged, 25 s at most).
        while (acknowledged.length < beforeKill + 600 && Date.now() - killedAt < 25_000) await sleep(100);
        downMs = Date.now() - killedAt;
        whileDown = acknowledged.length;
        await restartApacheKafkaNode(cluster, victim);
        await sleep(2000);
        stop = true;
        await loop;
      } finally {
        stop = true;
        await loop;
        await producer.disconnect();
      }
      const inTopic = (await highWatermarks(topic)).reduce((a, b) => a + b, 0);
      const got = await readBack(topic, inTopic);
      const values = got.map((r) => r.value);
      const seen = new Set(values);
      assert.equal(seen.size, values.length, "no record twice");
      const lost = acknowledged.filter((v) => !seen.has(v));
      assert.deepEqual(lost.slice(0, 10), [], `${lost.length} acknowledged records lost`);
      assert.ok(inTopic <= attempted, "nothing in the topic that was not sent");
      // Per partition, the records keep the order they were sent in.
      for (let p = 0; p < 3; p++) {
        const order = got
          .filter((r) => r.partition === p)
          .map((r) => r.value.split("-").map(Number))
          .map(([, send, i]) => send! * 30 + i!);
        assert.deepEqual(
          order,
          [...order].sort((a, b) => a - b),
          `partition ${p} in send order`,
        );
      }
      // Durability first (above), then availability: the two surviving brokers keep every
      // partition writable, so a client that follows the new leader keeps getting acknowledgements.
      const summary =
        `${beforeKill} acknowledged before the kill, ${whileDown - beforeKill} in the ${(downMs / 1000).toFixed(1)} s broker ${victim} was down ` +
        `(the first ${firstAckAfterKillMs === null ? "never" : `${firstAckAfterKillMs} ms after the kill`}), ` +
        `${acknowledged.length - whileDown} after its restart; ${failures.length} failed sends` +
        (failures.length ? ` (${failures.slice(0, 2).join("; ")})` : "");
      console.log(`crash test: ${summary}`);
      assert.ok(beforeKill > 0, `the producer was writing before the kill: ${summary}`);
      assert.ok(whileDown > beforeKill, `sends were acknowledged while the broker was down: ${summary}`);
      assert.ok(acknowledged.length > whileDown, `sends were acknowledged after the restart: ${summary}`);
    }),
  );

  it(
    "a leader moved by alterPartitionReassignments: producing continues on the new leader without loss",
    { timeout: 120_000 },
    step(async () => {
      const topic = "moving";
      const kafka = brook("brook-reassign");
      const admin = kafka.admin();
      const producer = kafka.producer({ idempotent: true });
      await admin.connect();
      await producer.connect();
      const newLeaderAddress = `127.0.0.1:${portOf(3)}`;
      let producesToNewLeader = 0;
      producer.on(producer.events.REQUEST, (e) => {
        if (e.payload.apiName === "Produce" && e.payload.broker === newLeaderAddress) producesToNewLeader++;
      });
      const acknowledged: string[] = [];
      const failures: string[] = [];
      let stop = false;
      const loop = (async () => {
        for (let send = 0; !stop; send++) {
          const messages = Array.from({ length: 20 }, (_, i) => ({
            partition: 0,
            value: `move-${send}-${i}`,
          }));
          try {
            await producer.send({ topic, acks: -1, messages });
            acknowledged.push(...messages.map((m) => m.value));
          } catch (e) {
            failures.push(`send ${send}: ${(e as Error).name}: ${(e as Error).message}`);
          }
          await sleep(20);
        }
      })();
      try {
        await sleep(500);
        assert.equal(producesToNewLeader, 0, "broker 3 holds no replica yet");
        await admin.alterPartitionReassignments({
          topics: [{ topic, partitionAssignment: [{ partition: 0, replicas: [3, 2] }] }],
        });
        const deadline = performance.now() + 60_000;
        for (;;) {
          const ongoing = await admin.listPartitionReassignments({ topics: [{ topic, partitions: [0] }] });
          const md = await admin.fetchTopicMetadata({ topics: [topic] });
          const p = md.topics[0]!.partitions[0]!;
          if (ongoing.topics.every((t) => t.partitions.length === 0) && p.leader === 3) {
            assert.deepEqual(p.replicas, [3, 2]);
            break;
          }
          if (performance.now() > deadline)
            throw new Error(`reassignment not done in 60 s: ${JSON.stringify({ ongoing, p })}`);
          await sleep(200);
        }
        const atMove = acknowledged.length;
        const moveDeadline = performance.now() + 20_000;
        while (acknowledged.length < atMove + 200 && performance.now() < moveDeadline) await sleep(100);
        stop = true;
        await loop;
        assert.ok(
          acknowledged.length >= atMove + 200,
          `only ${acknowledged.length - atMove} acked after the move`,
        );
        assert.ok(producesToNewLeader > 0, "Produce requests went to broker 3, the new leader");
        assert.deepEqual(failures, [], "no send failed while the leader moved");
      } finally {
        stop = true;
        await loop;
        await producer.disconnect();
        await admin.disconnect();
      }
      const got = await readBack(topic, acknowledged.length);
      assert.deepEqual(
        got.map((r) => r.value),
        acknowledged,
        "every acknowledged record once, in order",
      );
    }),
  );

  it(
    "transaction and group coordinators on brokers other than the only bootstrap broker",
    { timeout: 120_000 },
    step(async () => {
      const bootstrapNode = 1;
      const txn = await keyAwayFrom("brook-coordinated-txn", 1, bootstrapNode);
      const group = await keyAwayFrom("brook-coordinated-group", 0, bootstrapNode);
      console.log(
        `coordinators: transaction ${txn.key} on broker ${txn.node}, group ${group.key} on broker ${group.node}; bootstrap broker ${bootstrapNode}`,
      );
      groupsUsed.add(group.key);
      const kafka = brook("brook-coordinators", [`127.0.0.1:${portOf(bootstrapNode)}`]);
      const producer = kafka.producer({ transactionalId: txn.key, idempotent: true, maxInFlightRequests: 1 });
      const admin = kafka.admin();
      await producer.connect();
      await admin.connect();
      const topic = "coordinators";
      const values = Array.from({ length: 9 }, (_, i) => `coord-${i}`);
      try {
        const t = await producer.transaction();
        await t.send({ topic, acks: -1, messages: values.map((value, i) => ({ partition: i % 3, value })) });
        await t.sendOffsets({
          consumerGroupId: group.key,
          topics: [
            {
              topic: "spread-idempotent",
              partitions: [
                { partition: 0, offset: "7" },
                { partition: 2, offset: "11" },
              ],
            },
          ],
        });
        await t.commit();

        // The committed offsets are served by the group coordinator (not the bootstrap broker).
        // The commit markers reach __consumer_offsets after EndTxn has answered, so until then
        // Kafka still serves the previous (no) offsets: wait for them, 15 s at most.
        const fetchOffsets = () => admin.fetchOffsets({ groupId: group.key, topics: ["spread-idempotent"] });
        let offsets = await fetchOffsets();
        for (
          const deadline = performance.now() + 15_000;
          performance.now() < deadline && offsets.every((o) => o.partitions.every((p) => p.offset === "-1"));
          offsets = await fetchOffsets()
        )
          await sleep(200);
        assert.deepEqual(
          offsets.map((o) => ({
            topic: o.topic,
            partitions: [...o.partitions]
              .sort((a, b) => a.partition - b.partition)
              .map((p) => ({ partition: p.partition, offset: p.offset })),
          })),
          [
            {
              topic: "spread-idempotent",
              partitions: [
                { partition: 0, offset: "7" },
                { partition: 1, offset: "-1" },
                { partition: 2, offset: "11" },
              ],
            },
          ],
        );
        const described = await admin.describeGroups([group.key]);
        assert.deepEqual(
          described.groups.map((g) => ({ groupId: g.groupId, state: g.state })),
          [{ groupId: group.key, state: "Empty" }],
        );
      } finally {
        await producer.disconnect();
        await admin.disconnect();
      }
      const got = await readBack(topic, values.length);
      assert.deepEqual(got.map((r) => r.value).sort(), [...values].sort());
    }),
  );

  it(
    "admin: listGroups names every group the run used",
    { timeout: 30_000 },
    step(async () => {
      const admin = brook("brook-admin-groups").admin();
      await admin.connect();
      try {
        const { groups } = await admin.listGroups();
        const ids = new Set(groups.map((g) => g.groupId));
        for (const g of groupsUsed) assert.ok(ids.has(g), `${g} listed (got ${[...ids].join(", ")})`);
        const coordinated = groups.find((g) => g.groupId.startsWith("brook-coordinated-group"));
        assert.equal(
          coordinated?.protocolType,
          "",
          "a group that only committed offsets has no protocol type",
        );
        const reader = groups.find((g) => g.groupId.startsWith("reader-"));
        assert.equal(reader?.protocolType, "consumer");
      } finally {
        await admin.disconnect();
      }
    }),
  );
});
