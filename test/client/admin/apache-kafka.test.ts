/**
 * Brook's admin against Apache Kafka 4.4 (one node), for what Brook's broker cannot show:
 * - ACLs (Brook has no authorizer): createAcls / describeAcls / deleteAcls differentially against
 *   KafkaJS's admin on a Kafka with StandardAuthorizer;
 * - client quotas, checked with Kafka's own kafka-configs tool;
 * - SCRAM credentials: the salted password Brook computes must let KafkaJS log in over SASL SCRAM;
 * - a few KafkaJS methods differentially, where Kafka 4 answers newer API versions differently
 *   (DescribeGroups v6 reports unknown groups as GROUP_ID_NOT_FOUND).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type * as KafkaJSTypes from "kafkajs";
import * as brook from "../../../src/client/index.js";
import {
  type ApacheKafkaCluster,
  apacheKafkaUnavailable,
  runKafkaJava,
  startApacheKafka,
} from "../../support/apache-kafka.js";
import { type AnyAdmin, kafkajs, type Outcome, type Side, sameOn } from "./differential.js";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

const unavailable = apacheKafkaUnavailable();
if (unavailable) console.warn(`SKIP admin tests against Apache Kafka: ${unavailable}`);

/** Polls `read` until `done` holds (5 s at most), returning the last value either way. */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (let i = 0; ; i++) {
    const value = await read();
    if (done(value) || i >= 50) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const { AclResourceTypes, AclOperationTypes, AclPermissionTypes, ResourcePatternTypes } = kafkajs;

describe("Brook's admin against Apache Kafka 4.4", { skip: unavailable ?? false }, () => {
  let kafka: ApacheKafkaCluster;
  let kjsKafka: KafkaJSTypes.Kafka;
  let admin: brook.Admin;
  let sides: [Side, Side];

  before(async () => {
    const scram = "org.apache.kafka.common.security.scram.ScramLoginModule required;";
    kafka = await startApacheKafka({
      brokers: 1,
      quickStart: true,
      extraListener: { name: "SASL_PLAINTEXT", protocol: "SASL_PLAINTEXT" },
      configs: {
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        // PLAINTEXT clients (and the controller link) are ANONYMOUS: let them do everything.
        "super.users": "User:ANONYMOUS",
        "sasl.enabled.mechanisms": "SCRAM-SHA-256,SCRAM-SHA-512",
        "listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config": scram,
        "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config": scram,
      },
    });
    const config = {
      clientId: "admin-kafka",
      brokers: [kafka.bootstrap],
      logLevel: kafkajs.logLevel.NOTHING,
      retry: { retries: 2, initialRetryTime: 100 },
    };
    kjsKafka = new kafkajs.Kafka(config);
    admin = new brook.Kafka(config).admin();
    const kjsAdmin = kjsKafka.admin();
    await admin.connect();
    await kjsAdmin.connect();
    sides = [
      { label: "kafkajs", admin: kjsAdmin, p: "kjs-" },
      { label: "brook", admin: admin as unknown as AnyAdmin, p: "brk-" },
    ];
  });

  after(async () => {
    for (const s of sides ?? []) await s.admin.disconnect().catch(() => {});
    await kafka?.stop();
  });

  const same = (
    what: string,
    fn: (s: Side) => Promise<unknown>,
    opts: { withMessage?: boolean; dropKeys?: string[] } = {},
  ): Promise<Outcome> => sameOn(sides, what, fn, opts);

  it("creates, describes and deletes ACLs as KafkaJS does", async () => {
    const acl = (s: Side, principal: string, operation: number) => ({
      resourceType: AclResourceTypes.TOPIC,
      resourceName: `${s.p}secured`,
      resourcePatternType: ResourcePatternTypes.LITERAL,
      principal,
      host: "*",
      operation,
      permissionType: AclPermissionTypes.ALLOW,
    });
    await same("createAcls", (s) =>
      s.admin.createAcls({
        acl: [acl(s, "User:alice", AclOperationTypes.READ), acl(s, "User:bob", AclOperationTypes.WRITE)],
      }),
    );
    const filter = (s: Side) => ({
      resourceType: AclResourceTypes.TOPIC,
      resourceName: `${s.p}secured`,
      resourcePatternType: ResourcePatternTypes.LITERAL,
      operation: AclOperationTypes.ANY,
      permissionType: AclPermissionTypes.ANY,
    });
    const sortAcls = <T extends { acls: Array<{ principal: string }> }>(resources: T[]) =>
      resources.map((r) => ({
        ...r,
        acls: [...r.acls].sort((a, b) => a.principal.localeCompare(b.principal)),
      }));
    // ACLs reach the authorizer through the metadata log: wait until both sides see theirs.
    for (const s of sides) {
      for (let i = 0; (await s.admin.describeAcls(filter(s))).resources.length === 0; i++) {
        assert.ok(i < 50, "ACLs not visible");
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const described = await same("describeAcls", async (s) =>
      sortAcls((await s.admin.describeAcls(filter(s))).resources),
    );
    assert.ok("ok" in described);
    assert.equal((described.ok as Array<{ acls: unknown[] }>)[0]!.acls.length, 2);
    await same("describeAcls of a principal", async (s) =>
      sortAcls((await s.admin.describeAcls({ ...filter(s), principal: "User:bob" })).resources),
    );
    await same(
      "deleteAcls",
      async (s) => {
        const { filterResponses } = await s.admin.deleteAcls({
          filters: [{ ...filter(s), principal: "User:alice" }],
        });
        return filterResponses;
      },
      // Brook's answer also carries throttleTime, which KafkaJS's d.ts declares and its code drops.
      { dropKeys: ["throttleTime"] },
    );
    await same("describeAcls after deleteAcls", async (s) => {
      for (let i = 0; i < 50; i++) {
        const { resources } = await s.admin.describeAcls(filter(s));
        if (resources[0]?.acls.length === 1) return sortAcls(resources);
        await new Promise((r) => setTimeout(r, 100));
      }
      return "still two ACLs";
    });
    await same("createAcls with an invalid principal", (s) =>
      s.admin.createAcls({ acl: [acl(s, "alice-without-type", AclOperationTypes.READ)] }),
    );
  });

  it("answers KafkaJS's group and topic calls as KafkaJS does, on Kafka's newest API versions", async () => {
    await same("createTopics", (s) =>
      s.admin.createTopics({ topics: [{ topic: `${s.p}t`, numPartitions: 2 }] }),
    );
    await same("fetchTopicMetadata", (s) => s.admin.fetchTopicMetadata({ topics: [`${s.p}t`] }));
    await same("fetchTopicOffsets", (s) => s.admin.fetchTopicOffsets(`${s.p}t`));
    // Kafka 4's DescribeGroups v6 says GROUP_ID_NOT_FOUND where KafkaJS's v2 gets a Dead group.
    await same(
      "describeGroups of an unknown group",
      async (s) => (await s.admin.describeGroups([`${s.p}nobody`])).groups,
    );
    await same("fetchOffsets of an unknown group", (s) =>
      s.admin.fetchOffsets({ groupId: `${s.p}nobody`, topics: [`${s.p}t`] }),
    );
    await same("deleteGroups of an unknown group", (s) => s.admin.deleteGroups([`${s.p}nobody`]));
    await same(
      "describeConfigs",
      (s) =>
        s.admin.describeConfigs({
          resources: [
            { type: kafkajs.ConfigResourceTypes.TOPIC, name: `${s.p}t`, configNames: ["retention.ms"] },
          ],
          includeSynonyms: true,
        }),
      { dropKeys: ["throttleTime"] },
    );
    await same(
      "listPartitionReassignments",
      async (s) => (await s.admin.listPartitionReassignments({})).topics.length,
    );
    await same("deleteTopics", (s) => s.admin.deleteTopics({ topics: [`${s.p}t`] }));
  });

  it("moves group offsets and reads lag, log dirs and configs on Kafka too", async () => {
    const kjsAdmin = sides[0].admin;
    await admin.createTopics({ topics: [{ topic: "moved", numPartitions: 2 }] });
    const producer = kjsKafka.producer();
    await producer.connect();
    await producer.send({
      topic: "moved",
      messages: [0, 0, 0, 1].map((partition, i) => ({ partition, value: `v${i}` })),
    });
    await producer.disconnect();

    // Brook commits as Java's admin does (generation -1); Kafka 4's group coordinator must accept it.
    await admin.setOffsets({
      groupId: "mover",
      topic: "moved",
      partitions: [
        { partition: 0, offset: "1" },
        { partition: 1, offset: "0" },
      ],
    });
    const read = async () =>
      (await kjsAdmin.fetchOffsets({ groupId: "mover", topics: ["moved"] }))[0]!.partitions.map(
        (p) => p.offset,
      );
    assert.deepEqual(await read(), ["1", "0"]);
    assert.deepEqual(
      (await admin.fetchLag({ groupId: "mover" })).topics[0]!.partitions.map((p) => p.lag),
      ["2", "1"],
    );
    await admin.resetOffsets({ groupId: "mover", topic: "moved", earliest: true });
    assert.deepEqual(await read(), ["-2", "-2"]);
    await admin.deleteConsumerGroupOffsets({ groupId: "mover", topic: "moved" });
    assert.deepEqual(await read(), ["-1", "-1"]);

    await admin.deleteTopicRecords({ topic: "moved", partitions: [{ partition: 0, offset: "2" }] });
    assert.deepEqual(
      (await kjsAdmin.fetchTopicOffsets("moved")).map((o) => [o.low, o.high]),
      [
        ["2", "3"],
        ["0", "1"],
      ],
    );

    await admin.incrementalAlterConfigs({
      resources: [
        {
          type: brook.ConfigResourceTypes.TOPIC,
          name: "moved",
          configEntries: [{ name: "retention.ms", value: "60000", operation: "SET" }],
        },
      ],
    });
    const cfg = await eventually(
      () =>
        kjsAdmin.describeConfigs({
          resources: [
            { type: kafkajs.ConfigResourceTypes.TOPIC, name: "moved", configNames: ["retention.ms"] },
          ],
          includeSynonyms: false,
        }),
      (r) => r.resources[0]?.configEntries[0]?.configValue === "60000",
    );
    assert.equal(cfg.resources[0]!.configEntries[0]!.configValue, "60000");

    const dirs = await admin.describeLogDirs({ topics: [{ topic: "moved", partitions: [0, 1] }] });
    const parts = dirs[0]!.logDirs.flatMap((d) => d.topics.flatMap((t) => t.partitions));
    assert.deepEqual(parts.map((p) => p.partition).sort(), [0, 1]);
    assert.ok(dirs[0]!.logDirs[0]!.totalBytes > 0, "Kafka reports the disk size (DescribeLogDirs v4)");
  });

  it("alters and describes client quotas (read back with Kafka's kafka-configs tool)", async () => {
    await admin.alterClientQuotas({
      entries: [
        {
          entity: [{ entityType: "client-id", entityName: "metered" }],
          ops: [
            { key: "producer_byte_rate", value: 1024 },
            { key: "consumer_byte_rate", value: 2048 },
          ],
        },
        {
          entity: [{ entityType: "user", entityName: null }],
          ops: [{ key: "request_percentage", value: 50 }],
        },
      ],
    });
    const metered = [{ entityType: "client-id", matchType: "EXACT" as const, match: "metered" }];
    // Quotas reach the brokers through the metadata log: poll until the change shows.
    const exact = await eventually(
      () => admin.describeClientQuotas({ components: metered }),
      (entries) => Object.keys(entries[0]?.values ?? {}).length === 2,
    );
    assert.deepEqual(exact, [
      {
        entity: [{ entityType: "client-id", entityName: "metered" }],
        values: { producer_byte_rate: 1024, consumer_byte_rate: 2048 },
      },
    ]);
    const defaults = await admin.describeClientQuotas({
      components: [{ entityType: "user", matchType: "DEFAULT" }],
    });
    assert.deepEqual(defaults, [
      { entity: [{ entityType: "user", entityName: null }], values: { request_percentage: 50 } },
    ]);
    assert.equal((await admin.describeClientQuotas()).length, 2);

    const tool = await runKafkaJava("org.apache.kafka.tools.ConfigCommand", [
      "--bootstrap-server",
      kafka.bootstrap,
      "--describe",
      "--entity-type",
      "clients",
      "--entity-name",
      "metered",
    ]);
    assert.equal(tool.code, 0, tool.stderr);
    assert.match(tool.stdout, /producer_byte_rate=1024(\.0)?/);
    assert.match(tool.stdout, /consumer_byte_rate=2048(\.0)?/);

    await admin.alterClientQuotas({
      entries: [
        {
          entity: [{ entityType: "client-id", entityName: "metered" }],
          ops: [{ key: "producer_byte_rate", remove: true }],
        },
      ],
    });
    const after = await eventually(
      () => admin.describeClientQuotas({ components: metered }),
      (entries) => Object.keys(entries[0]?.values ?? {}).length === 1,
    );
    assert.deepEqual(after[0]?.values, { consumer_byte_rate: 2048 });

    await assert.rejects(
      admin.alterClientQuotas({
        entries: [
          {
            entity: [{ entityType: "client-id", entityName: "metered" }],
            ops: [{ key: "no_such_quota", value: 1 }],
          },
        ],
      }),
      { name: "KafkaJSProtocolError", type: "INVALID_REQUEST" },
    );
  });

  it("creates SCRAM credentials that KafkaJS can log in with, describes and deletes them", async () => {
    // Kafka refuses two changes to one user's credentials in one request: one call per mechanism.
    await admin.alterUserScramCredentials({
      upsertions: [{ user: "carol", mechanism: "SCRAM-SHA-256", password: "carol-secret" }],
    });
    await admin.alterUserScramCredentials({
      upsertions: [{ user: "carol", mechanism: "SCRAM-SHA-512", password: "carol-secret", iterations: 8192 }],
    });
    const described = await admin.describeUserScramCredentials(["carol"]);
    assert.deepEqual(
      described.map((u) => ({
        ...u,
        credentials: u.credentials.sort((a, b) => a.mechanism.localeCompare(b.mechanism)),
      })),
      [
        {
          user: "carol",
          credentials: [
            { mechanism: "SCRAM-SHA-256", iterations: 4096 },
            { mechanism: "SCRAM-SHA-512", iterations: 8192 },
          ],
        },
      ],
    );
    assert.ok((await admin.describeUserScramCredentials()).some((u) => u.user === "carol"));

    const login = async (mechanism: "scram-sha-256" | "scram-sha-512", password: string) => {
      const client = new kafkajs.Kafka({
        clientId: "scram-login",
        brokers: [kafka.extraBootstrap],
        sasl:
          mechanism === "scram-sha-256"
            ? { mechanism, username: "carol", password }
            : { mechanism, username: "carol", password },
        logLevel: kafkajs.logLevel.NOTHING,
        retry: { retries: 0 },
      });
      const a = client.admin();
      try {
        await a.connect();
        await a.listTopics();
      } finally {
        await a.disconnect();
      }
    };
    // The credentials reach the SASL listener through the metadata log: retry briefly.
    for (const mechanism of ["scram-sha-256", "scram-sha-512"] as const) {
      for (let i = 0; ; i++) {
        try {
          await login(mechanism, "carol-secret");
          break;
        } catch (e) {
          if (i >= 30) throw e;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      await assert.rejects(login(mechanism, "wrong"), { name: "KafkaJSSASLAuthenticationError" });
    }

    await admin.alterUserScramCredentials({ deletions: [{ user: "carol", mechanism: "SCRAM-SHA-256" }] });
    assert.deepEqual(await admin.describeUserScramCredentials(["carol"]), [
      { user: "carol", credentials: [{ mechanism: "SCRAM-SHA-512", iterations: 8192 }] },
    ]);
    await admin.alterUserScramCredentials({ deletions: [{ user: "carol", mechanism: "SCRAM-SHA-512" }] });
    await assert.rejects(admin.describeUserScramCredentials(["carol"]), {
      name: "KafkaJSProtocolError",
      type: "RESOURCE_NOT_FOUND",
    });
    await assert.rejects(
      admin.alterUserScramCredentials({
        upsertions: [{ user: "dave", mechanism: "SCRAM-SHA-256", password: "x", iterations: 10 }],
      }),
      { name: "KafkaJSProtocolError", type: "UNACCEPTABLE_CREDENTIAL" },
    );
  });
});
