/**
 * Follower fetching (KIP-392) against Apache Kafka 4.4: three brokers in racks r1, r2, r3 with
 * Kafka's RackAwareReplicaSelector, a topic replicated on all three whose leaders are in r1 and r3,
 * and Brook's consumer with `rackId: "r2"`.
 * - After the leaders' first answers (which name broker 2 as preferred read replica), every record
 *   comes from broker 2, every one once and in order.
 * - Broker 2 is then SIGKILLed with records waiting: the consumer goes back to the leaders and reads
 *   on with nothing lost, before the controller has even fenced broker 2 (until then the leaders keep
 *   naming it, so this needs the consumer to ask them without its rack id), and later records too.
 * Skipped when Java or the Kafka jars are missing.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Admin, type Consumer, Kafka, logLevel, type Producer } from "../../../src/client/index.js";
import {
  type ApacheKafkaCluster,
  apacheKafkaUnavailable,
  startApacheKafka,
  stopApacheKafkaNode,
} from "../../support/apache-kafka.js";
import { sleep, until } from "./support.js";

const reason = apacheKafkaUnavailable();
if (reason) console.warn(`SKIP follower fetching vs Apache Kafka: ${reason}`);

const TOPIC = "follower-fetch";
/** Partition 0 led by broker 1, partition 1 by broker 3; broker 2 (rack r2) follows both. */
const ASSIGNMENT = [
  { partition: 0, replicas: [1, 2, 3] },
  { partition: 1, replicas: [3, 2, 1] },
];
const REPLICA = 2;
const OFFSETS_PARTITIONS = 10; // kafkaServerProperties' offsets.topic.num.partitions
/**
 * The controller fences a killed broker broker.session.timeout.ms (9 s) after its last heartbeat
 * (every 2 s), so not sooner than 7 s after the kill; reading on well before that shows the consumer
 * got records from the leaders while they still named broker 2 (measured: ~50 ms; ~8 s when the
 * consumer keeps sending its rack id to the leaders).
 */
const BEFORE_FENCE_MS = 5000;

/** The __consumer_offsets partition of a group: Java's String.hashCode, made positive, modulo. */
function offsetsPartitionOf(groupId: string): number {
  let h = 0;
  for (let i = 0; i < groupId.length; i++) h = (Math.imul(31, h) + groupId.charCodeAt(i)) | 0;
  return (h & 0x7fffffff) % OFFSETS_PARTITIONS;
}

describe("follower fetching (KIP-392) against Apache Kafka 4.4 with racks", {
  skip: reason ?? false,
  timeout: 240_000,
}, () => {
  let cluster: ApacheKafkaCluster;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let consumer: Consumer | undefined;

  before(async () => {
    cluster = await startApacheKafka({
      brokers: 3,
      quickStart: true,
      configs: { "replica.selector.class": "org.apache.kafka.common.replica.RackAwareReplicaSelector" },
      nodeConfigs: { 1: { "broker.rack": "r1" }, 2: { "broker.rack": "r2" }, 3: { "broker.rack": "r3" } },
    });
    kafka = new Kafka({
      clientId: "follower-fetch",
      brokers: cluster.bootstrap.split(","),
      logLevel: logLevel.NOTHING,
    });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: TOPIC, replicaAssignment: ASSIGNMENT }],
      waitForLeaders: true,
    });
    producer = kafka.producer();
    await producer.connect();
  });

  after(async () => {
    await consumer?.disconnect().catch(() => {});
    await producer?.disconnect().catch(() => {});
    await admin?.disconnect().catch(() => {});
    await cluster?.stop({ graceMs: 5000 });
  });

  it("reads from the rack-r2 replica, then from the leaders once that replica dies, every record once and in order", {
    timeout: 180_000,
  }, async (t) => {
    const leaders = await until(
      async () => {
        const [meta] = (await admin.fetchTopicMetadata({ topics: [TOPIC] })).topics;
        const byPartition = new Map(meta!.partitions.map((p) => [p.partitionId, p.leader]));
        return byPartition.get(0) === 1 && byPartition.get(1) === 3 ? byPartition : null;
      },
      30_000,
      "leaders 1 and 3",
    );
    assert.equal(leaders?.size, 2);

    // A group whose coordinator is not broker 2, so killing it moves no group and re-delivers
    // nothing: "every record once" is then exact. Asking for a group creates __consumer_offsets.
    await admin.describeGroups(["follower-fetch-probe"]);
    const offsetsLeaders = await until(
      async () => {
        const [meta] = (await admin.fetchTopicMetadata({ topics: ["__consumer_offsets"] })).topics;
        const ps = meta?.partitions ?? [];
        return ps.length === OFFSETS_PARTITIONS && ps.every((p) => p.leader >= 0)
          ? new Map(ps.map((p) => [p.partitionId, p.leader]))
          : null;
      },
      30_000,
      "__consumer_offsets leaders",
    );
    let groupId = "";
    for (let i = 0; ; i++) {
      const candidate = `follower-fetch-${i}`;
      if (offsetsLeaders?.get(offsetsPartitionOf(candidate)) !== REPLICA) {
        groupId = candidate;
        break;
      }
    }

    const nodeOf = new Map(cluster.brokers.map((b) => [`127.0.0.1:${b.port}`, b.nodeId]));
    const fetchRequests = new Map<number, number>();
    const batchesFrom = new Map<number, number>();
    const c = kafka.consumer({ groupId, rackId: "r2", maxWaitTimeInMs: 1000 });
    consumer = c;
    c.on(c.events.REQUEST, ({ payload }) => {
      if (payload.apiName !== "Fetch") return;
      const node = nodeOf.get(payload.broker) ?? -1;
      fetchRequests.set(node, (fetchRequests.get(node) ?? 0) + 1);
    });
    c.on(c.events.FETCH, ({ payload }) => {
      if (payload.numberOfBatches > 0)
        batchesFrom.set(payload.nodeId, (batchesFrom.get(payload.nodeId) ?? 0) + payload.numberOfBatches);
    });
    const seen: Array<Array<number>> = [[], []];
    await c.connect();
    await c.subscribe({ topics: [TOPIC], fromBeginning: true });
    await c.run({
      eachMessage: async ({ partition, message }) => {
        seen[partition]!.push(Number(message.value!.toString()));
      },
    });

    const next = [0, 0];
    const produce = async (perPartition: number) => {
      for (let chunk = 0; chunk < 4; chunk++) {
        const n = perPartition / 4;
        await producer.send({
          topic: TOPIC,
          acks: -1,
          messages: [0, 1].flatMap((partition) =>
            Array.from({ length: n }, () => ({ partition, value: String(next[partition]!++) })),
          ),
        });
      }
    };
    const consumedAll = () => seen.every((s, p) => s.length >= next[p]!);
    const snapshot = (m: Map<number, number>) => new Map(m);

    // The leaders' first answers name broker 2; from then on the partitions are fetched there.
    await until(
      () => [1, REPLICA, 3].every((node) => (fetchRequests.get(node) ?? 0) > 0),
      30_000,
      "Fetches to both leaders and then to broker 2",
    );
    const leaderFetchesBefore = (fetchRequests.get(1) ?? 0) + (fetchRequests.get(3) ?? 0);
    assert.equal(leaderFetchesBefore, 2, "one Fetch to each leader");

    await produce(200);
    await until(consumedAll, 30_000, "phase 1 consumed");
    assert.deepEqual(
      [Object.fromEntries(batchesFrom)],
      [{ [REPLICA]: batchesFrom.get(REPLICA) }],
      "every batch came from broker 2",
    );
    assert.equal(
      (fetchRequests.get(1) ?? 0) + (fetchRequests.get(3) ?? 0),
      leaderFetchesBefore,
      "no Fetch went to a leader once broker 2 was named",
    );
    assert.ok((fetchRequests.get(REPLICA) ?? 0) >= 2);

    // Records waiting, all replicated (acks -1), while broker 2 dies.
    c.pause([{ topic: TOPIC }]);
    await sleep(1500); // the Fetch in flight to broker 2 (up to maxWaitTimeInMs) comes back
    await produce(200);
    const batchesBeforeKill = snapshot(batchesFrom);
    const requestsBeforeKill = snapshot(fetchRequests);
    await stopApacheKafkaNode(cluster, REPLICA, { signal: "SIGKILL" });
    const killedAt = performance.now();
    c.resume([{ topic: TOPIC }]);
    await until(consumedAll, 60_000, "phase 2 consumed after broker 2 died");
    const phase2Ms = performance.now() - killedAt;
    t.diagnostic(`records waiting when broker 2 died were read ${phase2Ms} ms after the kill`);
    assert.equal(batchesFrom.get(REPLICA), batchesBeforeKill.get(REPLICA), "nothing more from broker 2");
    const fromLeaders = (batchesFrom.get(1) ?? 0) + (batchesFrom.get(3) ?? 0);
    assert.ok(fromLeaders > 0, "the leaders served the rest");
    assert.ok(
      (fetchRequests.get(1) ?? 0) > (requestsBeforeKill.get(1) ?? 0) &&
        (fetchRequests.get(3) ?? 0) > (requestsBeforeKill.get(3) ?? 0),
      "both leaders were fetched from again",
    );
    // Until the controller fences broker 2 the leaders keep naming it; reading on before then shows
    // the consumer stopped asking for it.
    assert.ok(phase2Ms < BEFORE_FENCE_MS, `phase 2 took ${phase2Ms} ms`);

    // Later records (acks -1 waits for broker 2 to leave the ISR) come from the leaders too.
    await produce(100);
    await until(consumedAll, 60_000, "phase 3 consumed");
    await sleep(500); // anything delivered twice would show up now
    for (const p of [0, 1]) {
      assert.deepEqual(
        seen[p],
        Array.from({ length: next[p]! }, (_, i) => i),
        `partition ${p}: every record once, in order`,
      );
    }
    assert.equal(batchesFrom.get(REPLICA), batchesBeforeKill.get(REPLICA));
  });
});
