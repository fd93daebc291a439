/**
 * Partition assignors. Without a broker: range follows Kafka's RangeAssignor (per topic, members in
 * order, the first `partitions % members` one more; static members ordered by instance id first);
 * cooperative-sticky keeps owned partitions, leaves partitions that change owner out of the round
 * and balances. On a Brook broker: a custom assigner written against KafkaJS's interface (and
 * KafkaJS's own roundRobin) drive Brook's consumer; adding a member to a cooperative-sticky group
 * revokes only the partitions that move, and the others are consumed throughout the rebalance.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { AssignerProtocol, type Consumer, logLevel, PartitionAssigners } from "../../../src/client/index.js";
import { createLogger } from "../../../src/client/logger.js";
import { decodeAssignment, encodeSubscription } from "../../../src/protocol/embedded/consumer-protocol.js";
import { ConsumerTestBed, createTopic, kafkajs, sleep, until } from "./support.js";

const logger = createLogger({ level: logLevel.NOTHING });

function clusterOf(topics: Record<string, number>) {
  return {
    findTopicPartitionMetadata(topic: string) {
      const n = topics[topic];
      if (n === undefined) throw new Error(`unknown topic ${topic}`);
      return Array.from({ length: n }, (_, i) => ({
        partitionErrorCode: 0,
        partitionId: i,
        leader: 0,
        replicas: [0],
        isr: [0],
      }));
    },
  };
}

type MemberSpec = {
  memberId: string;
  topics: string[];
  groupInstanceId?: string;
  owned?: Record<string, number[]>;
  generation?: number;
};

async function assign(
  assigner: typeof PartitionAssigners.range,
  topics: Record<string, number>,
  members: MemberSpec[],
): Promise<Record<string, Record<string, number[]>>> {
  const a = assigner({ cluster: clusterOf(topics), groupId: "g", logger });
  const result = await a.assign({
    members: members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId ?? null,
      memberMetadata: encodeSubscription(
        {
          topics: m.topics,
          ownedPartitions: Object.entries(m.owned ?? {}).map(([topic, partitions]) => ({
            topic,
            partitions,
          })),
          generationId: m.generation ?? -1,
        },
        2,
      ),
    })),
    topics: Object.keys(topics),
  });
  const out: Record<string, Record<string, number[]>> = {};
  for (const { memberId, memberAssignment } of result) {
    const decoded: Record<string, number[]> = {};
    for (const tp of decodeAssignment(memberAssignment).assignedPartitions) decoded[tp.topic] = tp.partitions;
    out[memberId] = decoded;
  }
  return out;
}

describe("range assignor (Kafka's RangeAssignor)", () => {
  it("gives consecutive ranges per topic, the first members one more", async () => {
    assert.deepEqual(
      await assign(PartitionAssigners.range, { t: 5 }, [
        { memberId: "b", topics: ["t"] },
        { memberId: "a", topics: ["t"] },
      ]),
      {
        a: { t: [0, 1, 2] },
        b: { t: [3, 4] },
      },
    );
    // Each topic separately: with two topics of 3 partitions, the first member gets 2 of each.
    assert.deepEqual(
      await assign(PartitionAssigners.range, { t1: 3, t2: 3 }, [
        { memberId: "m1", topics: ["t1", "t2"] },
        { memberId: "m2", topics: ["t1", "t2"] },
      ]),
      { m1: { t1: [0, 1], t2: [0, 1] }, m2: { t1: [2], t2: [2] } },
    );
  });

  it("assigns a topic only among its subscribers, and orders static members by instance id first", async () => {
    assert.deepEqual(
      await assign(PartitionAssigners.range, { t1: 2, t2: 4 }, [
        { memberId: "a", topics: ["t1"] },
        { memberId: "b", topics: ["t1", "t2"] },
        { memberId: "c", topics: ["t2"], groupInstanceId: "zzz" },
      ]),
      { a: { t1: [0] }, b: { t1: [1], t2: [2, 3] }, c: { t2: [0, 1] } },
    );
    // More members than partitions: the last ones get nothing.
    assert.deepEqual(
      await assign(PartitionAssigners.range, { t: 1 }, [
        { memberId: "x", topics: ["t"] },
        { memberId: "y", topics: ["t"] },
      ]),
      { x: { t: [0] }, y: {} },
    );
  });
});

describe("cooperative-sticky assignor (KIP-429)", () => {
  it("a new group gets a balanced assignment", async () => {
    const out = await assign(PartitionAssigners.cooperativeSticky, { t: 6 }, [
      { memberId: "a", topics: ["t"] },
      { memberId: "b", topics: ["t"] },
      { memberId: "c", topics: ["t"] },
    ]);
    assert.deepEqual(
      Object.values(out).map((a) => a.t!.length),
      [2, 2, 2],
    );
    assert.deepEqual(
      Object.values(out)
        .flatMap((a) => a.t!)
        .sort(),
      [0, 1, 2, 3, 4, 5],
    );
  });

  it("a joining member: owners keep what stays theirs, moving partitions are left out of this round", async () => {
    const first = await assign(PartitionAssigners.cooperativeSticky, { t: 6 }, [
      { memberId: "a", topics: ["t"], owned: { t: [0, 1, 2] }, generation: 1 },
      { memberId: "b", topics: ["t"], owned: { t: [3, 4, 5] }, generation: 1 },
      { memberId: "c", topics: ["t"] },
    ]);
    const kept = { a: first.a!.t ?? [], b: first.b!.t ?? [] };
    assert.equal(kept.a.length, 2);
    assert.equal(kept.b.length, 2);
    assert.ok(kept.a.every((p) => [0, 1, 2].includes(p)));
    assert.ok(kept.b.every((p) => [3, 4, 5].includes(p)));
    assert.deepEqual(first.c, {}, "nothing handed over while still owned");

    // The owners revoked the moving partitions and rejoin: now they go to the new member.
    const second = await assign(PartitionAssigners.cooperativeSticky, { t: 6 }, [
      { memberId: "a", topics: ["t"], owned: { t: kept.a }, generation: 2 },
      { memberId: "b", topics: ["t"], owned: { t: kept.b }, generation: 2 },
      { memberId: "c", topics: ["t"], owned: {}, generation: 2 },
    ]);
    assert.deepEqual(second.a!.t, kept.a);
    assert.deepEqual(second.b!.t, kept.b);
    assert.deepEqual(
      second.c!.t!.sort(),
      [0, 1, 2, 3, 4, 5].filter((p) => !kept.a.includes(p) && !kept.b.includes(p)),
    );
  });

  it("a claim from an older generation loses to the newest; partitions of a leaving member are redistributed", async () => {
    const out = await assign(PartitionAssigners.cooperativeSticky, { t: 4 }, [
      { memberId: "a", topics: ["t"], owned: { t: [0, 1] }, generation: 3 },
      { memberId: "b", topics: ["t"], owned: { t: [1, 2, 3] }, generation: 2 },
    ]);
    assert.deepEqual(out.a!.t, [0, 1]);
    assert.deepEqual(out.b!.t, [2, 3]);
  });
});

describe("assignors on a Brook broker", () => {
  let bed: ConsumerTestBed;

  before(async () => {
    bed = await ConsumerTestBed.start();
  });

  after(() => bed?.close());

  it("a custom assigner written against KafkaJS's interface, and KafkaJS's own roundRobin, drive Brook's consumer", async () => {
    await createTopic(bed.admin, "custom", 4);
    // Everything to the member whose id sorts first; a version and userData of its own.
    const allToFirst = ({
      cluster,
    }: {
      cluster: { findTopicPartitionMetadata(t: string): Array<{ partitionId: number }> };
    }) => ({
      name: "AllToFirst",
      version: 7,
      async assign({ members, topics }: { members: Array<{ memberId: string }>; topics: string[] }) {
        const [first, ...others] = members.map((m) => m.memberId).sort();
        const assignment = Object.fromEntries(
          topics.map((t) => [t, cluster.findTopicPartitionMetadata(t).map((p) => p.partitionId)]),
        );
        return [
          {
            memberId: first!,
            memberAssignment: AssignerProtocol.MemberAssignment.encode({
              version: 7,
              assignment,
              userData: Buffer.from("x"),
            }),
          },
          ...others.map((memberId) => ({
            memberId,
            memberAssignment: AssignerProtocol.MemberAssignment.encode({
              version: 7,
              assignment: {},
              userData: Buffer.alloc(0),
            }),
          })),
        ];
      },
      protocol({ topics }: { topics: string[] }) {
        return {
          name: "AllToFirst",
          metadata: AssignerProtocol.MemberMetadata.encode({ version: 7, topics, userData: Buffer.alloc(0) }),
        };
      },
    });
    const group = "custom-group";
    const a = bed.kafka.consumer({
      groupId: group,
      partitionAssigners: [allToFirst as never],
      maxWaitTimeInMs: 100,
    });
    const b = bed.kafka.consumer({
      groupId: group,
      partitionAssigners: [allToFirst as never],
      maxWaitTimeInMs: 100,
    });
    bed.track(a);
    bed.track(b);
    const assignments = new Map<Consumer, Record<string, number[]>>();
    for (const c of [a, b]) {
      c.on(c.events.GROUP_JOIN, (e) => void assignments.set(c, e.payload.memberAssignment));
      await c.connect();
      await c.subscribe({ topics: ["custom"] });
    }
    await Promise.all([a.run({ eachMessage: async () => {} }), b.run({ eachMessage: async () => {} })]);
    await until(
      () => [...assignments.values()].some((x) => (x.custom ?? []).length === 4),
      20000,
      "one member with all four",
    );
    const counts = [a, b].map((c) => c.assignment().flatMap((t) => t.partitions).length).sort();
    assert.deepEqual(counts, [0, 4]);
    const description = await bed.admin.describeGroups([group]);
    assert.equal(description.groups[0]!.protocol, "AllToFirst");

    // KafkaJS's own assigner object works as is.
    const k = bed.kafka.consumer({
      groupId: "kafkajs-rr",
      partitionAssigners: [kafkajs.PartitionAssigners.roundRobin as never],
      maxWaitTimeInMs: 100,
    });
    bed.track(k);
    await k.connect();
    await k.subscribe({ topics: ["custom"] });
    await k.run({ eachMessage: async () => {} });
    assert.deepEqual(k.assignment(), [{ topic: "custom", partitions: [0, 1, 2, 3] }]);
  });

  it("cooperative-sticky: a joining member takes only the partitions that move; the others are consumed throughout", {
    timeout: 90_000,
  }, async () => {
    const topic = "coop";
    await createTopic(bed.admin, topic, 6);
    const producer = bed.kafka.producer();
    await producer.connect();
    let producing = true;
    const production = (async () => {
      for (let i = 0; producing; i++) {
        await producer.send({
          topic,
          messages: Array.from({ length: 6 }, (_, p) => ({ partition: p, value: `${i}` })),
        });
        await sleep(10);
      }
    })();

    let slowB = false;
    /** partition -> times (ms) records were processed, per member. */
    const processedAt = new Map<string, Map<number, number[]>>();
    const assignmentsOf = new Map<string, number[][]>();
    const member = async (name: string) => {
      const c = bed.kafka.consumer({
        groupId: "coop-group",
        partitionAssigners: [PartitionAssigners.cooperativeSticky],
        maxWaitTimeInMs: 100,
        heartbeatInterval: 500,
      });
      bed.track(c);
      processedAt.set(name, new Map());
      assignmentsOf.set(name, []);
      c.on(
        c.events.GROUP_JOIN,
        (e) => void assignmentsOf.get(name)!.push([...(e.payload.memberAssignment[topic] ?? [])].sort()),
      );
      await c.connect();
      await c.subscribe({ topics: [topic] });
      await c.run({
        eachMessage: async ({ partition }) => {
          const m = processedAt.get(name)!;
          if (!m.has(partition)) m.set(partition, []);
          m.get(partition)!.push(performance.now());
          // b is busy for a while when the rebalance starts: an eager group would wait for it.
          if (name === "b" && slowB) {
            slowB = false;
            await sleep(1500);
          }
          await sleep(1);
        },
      });
      return c;
    };
    const a = await member("a");
    const b = await member("b");
    await until(
      () =>
        a
          .assignment()
          .concat(b.assignment())
          .flatMap((t) => t.partitions).length === 6,
      20000,
      "a and b own all",
    );
    await until(() => a.assignment()[0]?.partitions.length === 3, 20000, "three each");
    await sleep(500);
    const before = { a: a.assignment()[0]!.partitions, b: b.assignment()[0]!.partitions };

    slowB = true;
    await until(() => !slowB, 5000, "b busy");
    const joinStarted = performance.now();
    const c = await member("c");
    await until(() => c.assignment()[0]?.partitions.length === 2, 30000, "the new member gets two");
    const settledAt = performance.now();
    await sleep(500);
    producing = false;
    await production;
    await producer.disconnect();

    const after = {
      a: a.assignment()[0]!.partitions,
      b: b.assignment()[0]!.partitions,
      c: c.assignment()[0]!.partitions,
    };
    assert.deepEqual([...after.a, ...after.b, ...after.c].sort(), [0, 1, 2, 3, 4, 5]);
    assert.equal(after.a.length, 2);
    assert.equal(after.b.length, 2);
    // Sticky: what a and b kept was theirs, and every assignment they went through kept it.
    for (const [name, prior, now] of [
      ["a", before.a, after.a],
      ["b", before.b, after.b],
    ] as const) {
      assert.ok(
        now.every((p) => prior.includes(p)),
        `${name} kept its own partitions`,
      );
      for (const step of assignmentsOf.get(name)!.slice(-2)) {
        assert.ok(
          now.every((p) => step.includes(p)),
          `${name}'s kept partitions were never revoked: ${JSON.stringify(assignmentsOf.get(name))}`,
        );
      }
    }
    // No gap on a's partitions that did not move: records kept being processed during the rebalance.
    // An eager group would stop them until b, busy with its slow message, rejoined (with the range
    // assignor this check sees a's partitions stop for over a second).
    const window = settledAt - joinStarted;
    for (const [name, kept] of [["a", after.a.filter((p) => before.a.includes(p))]] as const) {
      for (const p of kept) {
        const times = processedAt
          .get(name)!
          .get(p)!
          .filter((t) => t >= joinStarted - 200 && t <= settledAt + 200);
        let gap = 0;
        for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i]! - times[i - 1]!);
        assert.ok(times.length > 0, `${name} processed partition ${p} during the rebalance`);
        assert.ok(
          gap < 400,
          `partition ${p} paused ${gap.toFixed(0)} ms during a ${window.toFixed(0)} ms rebalance`,
        );
      }
    }
  });
});
