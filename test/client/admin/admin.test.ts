/**
 * Brook's admin client against KafkaJS 2.2.4's, differentially: every KafkaJS admin method is called
 * the same way through both clients on the same Brook broker (each side with its own topic and group
 * names), and the results, or the errors (class, `type`, `retriable`, nested errors; the message too
 * for argument checks), must be equal once the names are normalised.
 *
 * The few places where Brook differs from KafkaJS on purpose are asserted as such, each with the
 * reason (see src/client/admin/index.ts).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type * as KafkaJSTypes from "kafkajs";
import * as brook from "../../../src/client/index.js";
import { startTestBroker, type TestBroker } from "../../../src/testing/index.js";
import { type AnyAdmin, type ErrorShape, kafkajs, type Outcome, type Side, sameOn } from "./differential.js";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

describe("Brook's admin against KafkaJS's admin (differential, on a Brook broker)", () => {
  let tb: TestBroker;
  let kjsKafka: KafkaJSTypes.Kafka;
  let brookKafka: brook.Kafka;
  let sides: [Side, Side];
  const consumers: KafkaJSTypes.Consumer[] = [];

  before(async () => {
    tb = await startTestBroker();
    const config = {
      clientId: "admin-diff",
      brokers: [tb.bootstrap],
      logLevel: kafkajs.logLevel.NOTHING,
      // Error paths retry: keep them short.
      retry: { retries: 1, initialRetryTime: 50 },
    };
    kjsKafka = new kafkajs.Kafka(config);
    brookKafka = new brook.Kafka(config);
    const kjsAdmin = kjsKafka.admin();
    const brookAdmin = brookKafka.admin() as unknown as AnyAdmin;
    await kjsAdmin.connect();
    await brookAdmin.connect();
    sides = [
      { label: "kafkajs", admin: kjsAdmin, p: "kjs-" },
      { label: "brook", admin: brookAdmin, p: "brk-" },
    ];
  });

  after(async () => {
    await Promise.allSettled(consumers.map((c) => c.disconnect()));
    for (const s of sides ?? []) await s.admin.disconnect().catch(() => {});
    await tb?.close();
  });

  const same = (
    what: string,
    fn: (s: Side) => Promise<unknown>,
    opts: { withMessage?: boolean; dropKeys?: string[] } = {},
  ): Promise<Outcome> => sameOn(sides, what, fn, opts);

  async function produce(topic: string, messages: KafkaJSTypes.Message[]): Promise<void> {
    const producer = kjsKafka.producer();
    await producer.connect();
    await producer.send({ topic, messages });
    await producer.disconnect();
  }

  /** A KafkaJS consumer that reads `topic` from the start in `groupId` and commits what it read. */
  async function consumeAll(groupId: string, topic: string, count: number): Promise<KafkaJSTypes.Consumer> {
    const consumer = kjsKafka.consumer({ groupId, maxWaitTimeInMs: 100 });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let seen = 0;
    await consumer.run({ eachMessage: async () => void seen++ });
    const deadline = performance.now() + 20_000;
    while (seen < count) {
      if (performance.now() > deadline) throw new Error(`consumer of ${groupId} read ${seen} of ${count}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return consumer;
  }

  it("rejects bad createTopics / deleteTopics / createPartitions arguments as KafkaJS does", async () => {
    const calls: Array<[string, (s: Side) => Promise<unknown>]> = [
      ["createTopics without topics", (s) => s.admin.createTopics({} as never)],
      [
        "createTopics with a number as name",
        (s) => s.admin.createTopics({ topics: [{ topic: 1 as never }] }),
      ],
      [
        "createTopics twice the same topic",
        (s) => s.admin.createTopics({ topics: [{ topic: `${s.p}a` }, { topic: `${s.p}a` }] }),
      ],
      [
        "createTopics with configEntries not an array",
        (s) => s.admin.createTopics({ topics: [{ topic: `${s.p}a`, configEntries: {} as never }] }),
      ],
      [
        "createTopics with a config entry without value",
        (s) =>
          s.admin.createTopics({ topics: [{ topic: `${s.p}a`, configEntries: [{ name: "x" } as never] }] }),
      ],
      ["deleteTopics without topics", (s) => s.admin.deleteTopics({} as never)],
      ["deleteTopics with a number", (s) => s.admin.deleteTopics({ topics: [3 as never] })],
      ["createPartitions without list", (s) => s.admin.createPartitions({} as never)],
      ["createPartitions with an empty list", (s) => s.admin.createPartitions({ topicPartitions: [] })],
      ["fetchTopicOffsets without topic", (s) => s.admin.fetchTopicOffsets("")],
      ["fetchTopicMetadata with a bad topic", (s) => s.admin.fetchTopicMetadata({ topics: [""] })],
      ["fetchOffsets without group", (s) => s.admin.fetchOffsets({ groupId: "" })],
      [
        "fetchOffsets with topics not an array",
        (s) => s.admin.fetchOffsets({ groupId: "g", topics: "x" as never }),
      ],
      [
        "setOffsets without partitions",
        (s) => s.admin.setOffsets({ groupId: "g", topic: "t", partitions: [] }),
      ],
      [
        "resetOffsets without topic",
        (s) => s.admin.resetOffsets({ groupId: "g", topic: "", earliest: true }),
      ],
      [
        "describeConfigs with no resources",
        (s) => s.admin.describeConfigs({ resources: [], includeSynonyms: false }),
      ],
      [
        "describeConfigs with a bad type",
        (s) =>
          s.admin.describeConfigs({ resources: [{ type: 99 as never, name: "t" }], includeSynonyms: false }),
      ],
      [
        "alterConfigs with a number value",
        (s) =>
          s.admin.alterConfigs({
            validateOnly: false,
            resources: [{ type: 2, name: "t", configEntries: [{ name: "retention.ms", value: 5 as never }] }],
          }),
      ],
      ["deleteGroups with a number", (s) => s.admin.deleteGroups([5 as never])],
      [
        "deleteTopicRecords without partitions",
        (s) => s.admin.deleteTopicRecords({ topic: "t", partitions: [] }),
      ],
      ["createAcls with an empty list", (s) => s.admin.createAcls({ acl: [] })],
      [
        "describeAcls with a bad operation",
        (s) =>
          s.admin.describeAcls({
            resourceType: 2,
            resourcePatternType: 3,
            operation: 99 as never,
            permissionType: 3,
          }),
      ],
      [
        "alterPartitionReassignments with negative replicas",
        (s) =>
          s.admin.alterPartitionReassignments({
            topics: [{ topic: "t", partitionAssignment: [{ partition: 0, replicas: [-1] }] }],
          }),
      ],
      [
        "listPartitionReassignments with bad partitions",
        (s) => s.admin.listPartitionReassignments({ topics: [{ topic: "t", partitions: [-1] }] }),
      ],
      ["on with an unknown event", async (s) => s.admin.on("admin.nope" as never, () => {})],
    ];
    for (const [what, call] of calls) {
      const result = await same(what, call, { withMessage: true });
      assert.ok("error" in result, `${what} must fail`);
      assert.equal(result.error.name, "KafkaJSNonRetriableError", what);
    }
  });

  it("creates topics: true when created, false when they exist, the same errors otherwise", async () => {
    await same("create two topics", (s) =>
      s.admin.createTopics({
        topics: [
          {
            topic: `${s.p}orders`,
            numPartitions: 3,
            configEntries: [{ name: "retention.ms", value: "3600000" }],
          },
          { topic: `${s.p}plain` },
        ],
      }),
    );
    const again = await same("create an existing topic", (s) =>
      s.admin.createTopics({ topics: [{ topic: `${s.p}orders`, numPartitions: 3 }] }),
    );
    assert.deepEqual(again, { ok: false });
    await same("create one existing and one new topic", (s) =>
      s.admin.createTopics({
        topics: [{ topic: `${s.p}orders` }, { topic: `${s.p}third`, numPartitions: 2 }],
      }),
    );
    const bad = await same("create an invalid name", (s) =>
      s.admin.createTopics({ topics: [{ topic: `${s.p}bad name!` }] }),
    );
    assert.ok("error" in bad && bad.error.name === "KafkaJSAggregateError");
    assert.equal((bad as { error: ErrorShape }).error.errors?.[0]?.type, "INVALID_TOPIC_EXCEPTION");
    await same("create with an invalid config", (s) =>
      s.admin.createTopics({
        topics: [{ topic: `${s.p}badcfg`, configEntries: [{ name: "cleanup.policy", value: "nope" }] }],
      }),
    );
    await same("create with an explicit replica assignment", (s) =>
      s.admin.createTopics({
        topics: [
          {
            topic: `${s.p}assigned`,
            replicaAssignment: [
              { partition: 0, replicas: [1] },
              { partition: 1, replicas: [1] },
            ],
          },
        ],
      }),
    );
    await same("create without waiting for leaders", (s) =>
      s.admin.createTopics({ waitForLeaders: false, topics: [{ topic: `${s.p}nowait` }] }),
    );
  });

  it("differs on purpose: createTopics with validateOnly succeeds without creating", async () => {
    const [kjs, brk] = sides;
    // KafkaJS waits for leaders of a topic validateOnly did not create, and fails.
    await assert.rejects(
      kjs.admin.createTopics({ validateOnly: true, topics: [{ topic: "kjs-validated" }] }),
      {
        type: "UNKNOWN_TOPIC_OR_PARTITION",
      },
    );
    assert.equal(
      await brk.admin.createTopics({ validateOnly: true, topics: [{ topic: "brk-validated" }] }),
      true,
    );
    assert.ok(!(await brk.admin.listTopics()).includes("brk-validated"));
    // The broker still validates: an existing topic gives KafkaJS's "already exists" answer, false.
    assert.equal(
      await brk.admin.createTopics({ validateOnly: true, topics: [{ topic: "brk-orders" }] }),
      false,
    );
  });

  it("lists topics, fetches topic metadata and describes the cluster", async () => {
    const mine = (s: Side) => async () =>
      (await s.admin.listTopics()).filter((t) => t.startsWith(s.p)).sort();
    await same("listTopics", (s) => mine(s)());
    await same("fetchTopicMetadata of two topics", async (s) => {
      const { topics } = await s.admin.fetchTopicMetadata({ topics: [`${s.p}orders`, `${s.p}plain`] });
      // KafkaJS shuffles the requested topics.
      return topics.sort((a, b) => a.name.localeCompare(b.name));
    });
    await same("fetchTopicMetadata of every topic", async (s) => {
      const { topics } = await s.admin.fetchTopicMetadata();
      return topics.filter((t) => t.name.startsWith(s.p)).sort((a, b) => a.name.localeCompare(b.name));
    });
    await same("fetchTopicMetadata of an unknown topic", (s) =>
      s.admin.fetchTopicMetadata({ topics: [`${s.p}missing`] }),
    );
    const cluster = await same("describeCluster", (s) => s.admin.describeCluster());
    assert.ok("ok" in cluster);
    assert.equal((cluster.ok as { controller: number }).controller, 1);
  });

  it("adds partitions like KafkaJS (resolving to true where KafkaJS resolves to undefined)", async () => {
    const [kjs, brk] = sides;
    assert.equal(
      await kjs.admin.createPartitions({ topicPartitions: [{ topic: "kjs-third", count: 4 }] }),
      undefined,
    );
    assert.equal(
      await brk.admin.createPartitions({ topicPartitions: [{ topic: "brk-third", count: 4 }] }),
      true,
    );
    await same("partitions after createPartitions", async (s) => {
      const { topics } = await s.admin.fetchTopicMetadata({ topics: [`${s.p}third`] });
      return topics[0]!.partitions.map((p) => p.partitionId).sort();
    });
    await same("createPartitions that would shrink", (s) =>
      s.admin.createPartitions({ topicPartitions: [{ topic: `${s.p}third`, count: 2 }] }),
    );
    await same("createPartitions of an unknown topic", (s) =>
      s.admin.createPartitions({ topicPartitions: [{ topic: `${s.p}missing`, count: 2 }] }),
    );
    await same("createPartitions validateOnly", async (s) => {
      await s.admin.createPartitions({
        validateOnly: true,
        topicPartitions: [{ topic: `${s.p}third`, count: 8 }],
      });
      const { topics } = await s.admin.fetchTopicMetadata({ topics: [`${s.p}third`] });
      return topics[0]!.partitions.length;
    });
  });

  it("fetches topic offsets, by timestamp too", async () => {
    const before = Date.now() - 60_000;
    for (const s of sides) {
      await produce(`${s.p}orders`, [
        { partition: 0, value: "a" },
        { partition: 0, value: "b" },
        { partition: 0, value: "c" },
        { partition: 1, value: "d" },
      ]);
    }
    const offsets = await same("fetchTopicOffsets", (s) => s.admin.fetchTopicOffsets(`${s.p}orders`));
    assert.deepEqual(
      (offsets as { ok: Array<{ high: string }> }).ok.map((o) => o.high),
      ["3", "1", "0"],
    );
    await same("fetchTopicOffsets of an unknown topic", (s) => s.admin.fetchTopicOffsets(`${s.p}missing`));
    await same("fetchTopicOffsetsByTimestamp in the past", (s) =>
      s.admin.fetchTopicOffsetsByTimestamp(`${s.p}orders`, before),
    );
    await same("fetchTopicOffsetsByTimestamp without timestamp", (s) =>
      s.admin.fetchTopicOffsetsByTimestamp(`${s.p}orders`),
    );
    await same("fetchTopicOffsetsByTimestamp in the future", (s) =>
      s.admin.fetchTopicOffsetsByTimestamp(`${s.p}orders`, Date.now() + 3_600_000),
    );
  });

  it("fetches, sets, resets and resolves group offsets", async () => {
    const group = (s: Side) => `${s.p}offsets-group`;
    await same("fetchOffsets of a new group", (s) =>
      s.admin.fetchOffsets({ groupId: group(s), topics: [`${s.p}orders`] }),
    );
    await same("fetchOffsets of a new group, every topic", (s) =>
      s.admin.fetchOffsets({ groupId: group(s) }),
    );
    await same("setOffsets", (s) =>
      s.admin.setOffsets({
        groupId: group(s),
        topic: `${s.p}orders`,
        partitions: [
          { partition: 0, offset: "2" },
          { partition: 1, offset: "1" },
        ],
      }),
    );
    await same("fetchOffsets after setOffsets", (s) =>
      s.admin.fetchOffsets({ groupId: group(s), topics: [`${s.p}orders`] }),
    );
    await same("fetchOffsets after setOffsets, every topic", async (s) =>
      (await s.admin.fetchOffsets({ groupId: group(s) })).map((t) => ({
        ...t,
        partitions: t.partitions.sort((a, b) => a.partition - b.partition),
      })),
    );
    await same("resetOffsets to the earliest", (s) =>
      s.admin.resetOffsets({ groupId: group(s), topic: `${s.p}orders`, earliest: true }),
    );
    await same("fetchOffsets after resetOffsets", (s) =>
      s.admin.fetchOffsets({ groupId: group(s), topics: [`${s.p}orders`] }),
    );
    await same("fetchOffsets with resolveOffsets", (s) =>
      s.admin.fetchOffsets({ groupId: group(s), topics: [`${s.p}orders`], resolveOffsets: true }),
    );
    await same("fetchOffsets after resolving", (s) =>
      s.admin.fetchOffsets({ groupId: group(s), topics: [`${s.p}orders`] }),
    );
    await same("resetOffsets to the latest", (s) =>
      s.admin.resetOffsets({ groupId: group(s), topic: `${s.p}orders`, earliest: false }),
    );
    await same("fetchOffsets after resetOffsets to the latest", (s) =>
      s.admin.fetchOffsets({ groupId: group(s), topics: [`${s.p}orders`], resolveOffsets: true }),
    );
    await same("fetchOffsets of an unknown topic", (s) =>
      s.admin.fetchOffsets({ groupId: group(s), topics: [`${s.p}missing`] }),
    );
  });

  it("lists, describes and deletes groups, and refuses to move a running group's offsets", async () => {
    for (const s of sides) await produce(`${s.p}plain`, [{ value: "1" }, { value: "2" }, { value: "3" }]);
    const running: KafkaJSTypes.Consumer[] = [];
    for (const s of sides) running.push(await consumeAll(`${s.p}live`, `${s.p}plain`, 3));

    await same("listGroups", async (s) => {
      const { groups } = await s.admin.listGroups();
      return groups.filter((g) => g.groupId === `${s.p}live`);
    });
    await same(
      "describeGroups of a running group and an unknown one",
      async (s) => {
        const { groups } = await s.admin.describeGroups([`${s.p}live`, `${s.p}nobody`]);
        return groups;
      },
      // Member ids are random; the assignment and metadata bytes name the side's topic, so they are
      // compared after the prefix swap (they have the same length on both sides).
      { dropKeys: ["memberId"] },
    );
    await same(
      "setOffsets on a running group",
      (s) =>
        s.admin.setOffsets({
          groupId: `${s.p}live`,
          topic: `${s.p}plain`,
          partitions: [{ partition: 0, offset: "0" }],
        }),
      { withMessage: true },
    );
    await same("deleteGroups of a running group and an unknown one", (s) =>
      s.admin.deleteGroups([`${s.p}live`, `${s.p}nobody`]),
    );

    for (const c of running) await c.disconnect();
    await same("fetchOffsets committed by the consumer", (s) =>
      s.admin.fetchOffsets({ groupId: `${s.p}live`, topics: [`${s.p}plain`] }),
    );
    await same(
      "describeGroups of a stopped group",
      async (s) => (await s.admin.describeGroups([`${s.p}live`])).groups,
    );
    await same("deleteGroups of a stopped group", (s) => s.admin.deleteGroups([`${s.p}live`]));
    await same(
      "describeGroups after deleteGroups",
      async (s) => (await s.admin.describeGroups([`${s.p}live`])).groups,
    );
  });

  it("differs on purpose: a group created by setOffsets has no protocol type", async () => {
    const [kjs, brk] = sides;
    for (const s of sides) {
      await s.admin.setOffsets({
        groupId: `${s.p}admin-made`,
        topic: `${s.p}orders`,
        partitions: [{ partition: 0, offset: "1" }],
      });
    }
    // KafkaJS joins the group with a throw-away consumer; Brook commits as Java's admin does.
    const kjsGroup = (await kjs.admin.describeGroups(["kjs-admin-made"])).groups[0]!;
    const brkGroup = (await brk.admin.describeGroups(["brk-admin-made"])).groups[0]!;
    assert.equal(kjsGroup.protocolType, "consumer");
    assert.equal(brkGroup.protocolType, "");
    assert.equal(brkGroup.state, kjsGroup.state);
  });

  it("describes and alters configs", async () => {
    await same(
      "describeConfigs of named topic configs",
      (s) =>
        s.admin.describeConfigs({
          resources: [
            {
              type: kafkajs.ConfigResourceTypes.TOPIC,
              name: `${s.p}orders`,
              configNames: ["retention.ms", "cleanup.policy"],
            },
          ],
          includeSynonyms: false,
        }),
      // Brook also returns throttleTime, which KafkaJS's d.ts declares and its code drops.
      { dropKeys: ["throttleTime"] },
    );
    await same(
      "describeConfigs of every topic config, with synonyms",
      (s) =>
        s.admin.describeConfigs({
          resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: `${s.p}orders` }],
          includeSynonyms: true,
        }),
      { dropKeys: ["throttleTime"] },
    );
    await same(
      "describeConfigs of a broker",
      (s) =>
        s.admin.describeConfigs({
          resources: [
            {
              type: kafkajs.ConfigResourceTypes.BROKER,
              name: "1",
              configNames: ["log.retention.hours", "num.partitions"],
            },
          ],
          includeSynonyms: true,
        }),
      { dropKeys: ["throttleTime"] },
    );
    await same("describeConfigs of an unknown topic", (s) =>
      s.admin.describeConfigs({
        resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: `${s.p}missing` }],
        includeSynonyms: false,
      }),
    );
    await same(
      "alterConfigs",
      (s) =>
        s.admin.alterConfigs({
          validateOnly: false,
          resources: [
            {
              type: kafkajs.ConfigResourceTypes.TOPIC,
              name: `${s.p}plain`,
              configEntries: [{ name: "retention.ms", value: "7200000" }],
            },
          ],
        }),
      { dropKeys: ["throttleTime"] },
    );
    await same(
      "alterConfigs validateOnly",
      (s) =>
        s.admin.alterConfigs({
          validateOnly: true,
          resources: [
            {
              type: kafkajs.ConfigResourceTypes.TOPIC,
              name: `${s.p}plain`,
              configEntries: [{ name: "retention.ms", value: "5" }],
            },
          ],
        }),
      { dropKeys: ["throttleTime"] },
    );
    const after = await same(
      "describeConfigs after alterConfigs",
      (s) =>
        s.admin.describeConfigs({
          resources: [
            { type: kafkajs.ConfigResourceTypes.TOPIC, name: `${s.p}plain`, configNames: ["retention.ms"] },
          ],
          includeSynonyms: false,
        }),
      { dropKeys: ["throttleTime"] },
    );
    assert.equal((after as any).ok.resources[0].configEntries[0].configValue, "7200000");
    await same("alterConfigs with an invalid value", (s) =>
      s.admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: kafkajs.ConfigResourceTypes.TOPIC,
            name: `${s.p}plain`,
            configEntries: [{ name: "retention.ms", value: "x" }],
          },
        ],
      }),
    );
  });

  it("deletes topic records", async () => {
    await same("deleteTopicRecords", (s) =>
      s.admin.deleteTopicRecords({ topic: `${s.p}orders`, partitions: [{ partition: 0, offset: "1" }] }),
    );
    await same("offsets after deleteTopicRecords", (s) => s.admin.fetchTopicOffsets(`${s.p}orders`));
    await same("deleteTopicRecords up to the end (-1)", (s) =>
      s.admin.deleteTopicRecords({ topic: `${s.p}orders`, partitions: [{ partition: 1, offset: "-1" }] }),
    );
    await same("deleteTopicRecords beyond the end", (s) =>
      s.admin.deleteTopicRecords({ topic: `${s.p}orders`, partitions: [{ partition: 0, offset: "100" }] }),
    );
    await same("deleteTopicRecords of a partition that does not exist", (s) =>
      s.admin.deleteTopicRecords({ topic: `${s.p}orders`, partitions: [{ partition: 9, offset: "1" }] }),
    );
    await same("offsets at the end", (s) => s.admin.fetchTopicOffsets(`${s.p}orders`));
  });

  it("lists and alters partition reassignments", async () => {
    await same("listPartitionReassignments", async (s) => {
      const { topics } = await s.admin.listPartitionReassignments({});
      // Brook's result carries the d.ts spellings too; KafkaJS's run-time ones are compared.
      return topics.map((t: any) => ({
        name: t.name,
        partitions: t.partitions.map((p: any) => p.partition),
      }));
    });
    await same("alterPartitionReassignments to the current replica", (s) =>
      s.admin.alterPartitionReassignments({
        topics: [{ topic: `${s.p}orders`, partitionAssignment: [{ partition: 0, replicas: [1] }] }],
      }),
    );
    await same("alterPartitionReassignments to a broker that does not exist", (s) =>
      s.admin.alterPartitionReassignments({
        topics: [{ topic: `${s.p}orders`, partitionAssignment: [{ partition: 0, replicas: [7] }] }],
      }),
    );
  });

  it("deletes topics", async () => {
    await same("deleteTopics", (s) => s.admin.deleteTopics({ topics: [`${s.p}nowait`, `${s.p}assigned`] }));
    await same("listTopics after deleteTopics", async (s) =>
      (await s.admin.listTopics()).filter((t) => t.startsWith(s.p)).sort(),
    );
    await same("deleteTopics of an unknown topic", (s) =>
      s.admin.deleteTopics({ topics: [`${s.p}missing`] }),
    );
  });

  it("emits KafkaJS's instrumentation events and exposes events and logger", async () => {
    assert.deepEqual({ ...sides[1].admin.events }, { ...sides[0].admin.events });
    for (const s of sides) {
      for (const method of ["info", "warn", "error", "debug", "namespace", "setLogLevel"] as const) {
        assert.equal(typeof s.admin.logger()[method], "function", `${s.label}: logger().${method}`);
      }
    }
    const shapes = [];
    for (const s of sides) {
      const kafka = s.label === "kafkajs" ? kjsKafka : (brookKafka as unknown as KafkaJSTypes.Kafka);
      const admin = kafka.admin();
      const seen: Array<{ type: string; payload: unknown; keys: string[] }> = [];
      // KafkaJS's connect events carry an undefined payload, Brook's emitter (src/client/instrumentation.ts)
      // null, as KafkaJS's d.ts types it: both count as "no payload" here.
      const record = (e: KafkaJSTypes.ConnectEvent) =>
        void seen.push({ type: e.type, payload: e.payload ?? null, keys: Object.keys(e).sort() });
      const removers = [admin.on(admin.events.CONNECT, record), admin.on(admin.events.DISCONNECT, record)];
      const requests: string[] = [];
      const removeRequest = admin.on(admin.events.REQUEST, (e) => void requests.push(e.payload.apiName));
      await admin.connect();
      await admin.listTopics();
      await admin.disconnect();
      for (const remove of [...removers, removeRequest]) remove();
      // Removed listeners hear nothing more.
      await admin.connect();
      await admin.disconnect();
      assert.ok(
        requests.includes("Metadata"),
        `${s.label}: request events name the API (${requests.join()})`,
      );
      shapes.push(seen);
    }
    assert.deepStrictEqual(shapes[1], shapes[0]);
    assert.equal(shapes[0]!.length, 2);
  });
});
