/**
 * The console's JSON API against a real in-process Brook: every endpoint of the contract
 * (docs/console.md) in the order a user would meet them, the error statuses, the CSRF rule and the
 * lag monitor's status and history for a real group.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Kafka } from "../../src/client/kafka.js";
import { logLevel } from "../../src/client/logger.js";
import { type ConsoleServer, startConsole } from "../../src/console/server.js";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import { apiClient, eventually, openSse } from "./support.js";

let broker: TestBroker;
let server: ConsoleServer;
let api: ReturnType<typeof apiClient>;
let kafka: Kafka;

before(async () => {
  broker = await startTestBroker();
  server = await startConsole({
    brokers: [broker.bootstrap],
    port: 0,
    lagIntervalMs: 200,
    sampleIntervalMs: 300,
  });
  api = apiClient(server.url);
  kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
});

after(async () => {
  await server?.close();
  await broker?.close();
});

describe("console API on Brook", () => {
  it("describes the cluster, its broker's configs, health and info", async () => {
    const cluster = await api.get("/api/cluster");
    assert.equal(cluster.status, 200);
    assert.equal(cluster.body.clusterId, broker.broker.clusterId);
    assert.deepEqual(cluster.body.brokers, [
      { nodeId: cluster.body.controller, host: "127.0.0.1", port: broker.port, rack: null },
    ]);
    assert.equal(cluster.body.underReplicated, 0);
    assert.equal(cluster.body.offline, 0);
    const id = cluster.body.brokers[0].nodeId;
    const configs = await api.get(`/api/brokers/${id}/configs`);
    assert.equal(configs.status, 200);
    const partitions = configs.body.find((c: { name: string }) => c.name === "num.partitions");
    assert.equal(partitions.value, "1");
    assert.deepEqual(Object.keys(partitions).sort(), ["name", "readOnly", "sensitive", "source", "value"]);
    assert.equal((await api.get("/api/brokers/99/configs")).status, 404);
    assert.equal((await api.get("/api/brokers/x/configs")).status, 400);
    assert.deepEqual((await api.get("/api/health")).body, { status: "UP", brokers: 1 });
    const info = await api.get("/api/info");
    assert.deepEqual(info.body, { version: info.body.version, brokers: broker.bootstrap, readOnly: false });
    assert.match(info.body.version, /^\d+\.\d+\.\d+/);
    const unknown = await api.get("/api/nothing-here");
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, "NOT_FOUND");
  });

  it("creates, lists, describes and configures a topic, and adds partitions", async () => {
    const created = await api.post("/api/topics", {
      name: "orders",
      partitions: 2,
      configs: { "retention.ms": 3600000 },
    });
    assert.equal(created.status, 201);
    assert.deepEqual(created.body, { name: "orders" });
    const again = await api.post("/api/topics", { name: "orders" });
    assert.equal(again.status, 409);
    assert.equal(again.body.code, "TOPIC_ALREADY_EXISTS");
    for (const bad of [
      {},
      { name: "" },
      { name: "x", partitions: 0 },
      { name: "x", partitions: "many" },
      { name: "x", configs: [] },
    ]) {
      const r = await api.post("/api/topics", bad);
      assert.equal(r.status, 400, JSON.stringify(bad));
      assert.equal(typeof r.body.error, "string");
    }
    const invalidName = await api.post("/api/topics", { name: "no spaces" });
    assert.equal(invalidName.status, 400);
    assert.equal(invalidName.body.code, "INVALID_TOPIC_EXCEPTION");

    const list = await api.get("/api/topics");
    assert.deepEqual(list.body, [
      { name: "orders", internal: false, partitions: 2, replicationFactor: 1, messages: 0, sizeBytes: 0 },
    ]);

    const described = await api.get("/api/topics/orders");
    assert.equal(described.status, 200);
    assert.equal(described.body.partitions.length, 2);
    assert.deepEqual(described.body.partitions[1], {
      partition: 1,
      leader: described.body.partitions[1].leader,
      replicas: [described.body.partitions[1].leader],
      isr: [described.body.partitions[1].leader],
      logStartOffset: 0,
      highWatermark: 0,
      lastStableOffset: 0,
      sizeBytes: 0,
    });
    const retention = () =>
      api
        .get("/api/topics/orders")
        .then((r) => r.body.configs.find((c: { name: string }) => c.name === "retention.ms"));
    assert.deepEqual(await retention(), {
      name: "retention.ms",
      value: "3600000",
      source: "DYNAMIC_TOPIC_CONFIG",
      readOnly: false,
      sensitive: false,
      isDefault: false,
    });

    assert.deepEqual(
      (await api.post("/api/topics/orders/configs", { set: { "retention.ms": "7200000" } })).body,
      { ok: true },
    );
    assert.equal((await retention()).value, "7200000");
    assert.deepEqual((await api.post("/api/topics/orders/configs", { delete: ["retention.ms"] })).body, {
      ok: true,
    });
    const reset = await retention();
    assert.equal(reset.source, "DEFAULT_CONFIG");
    assert.equal(reset.isDefault, true);
    const badConfig = await api.post("/api/topics/orders/configs", { set: { "retention.ms": "soon" } });
    assert.equal(badConfig.status, 400);
    assert.equal(badConfig.body.code, "INVALID_CONFIG");
    assert.equal((await api.post("/api/topics/orders/configs", {})).status, 400);
    assert.equal((await api.post("/api/topics/nope/configs", { set: { "retention.ms": "1" } })).status, 404);

    assert.deepEqual((await api.post("/api/topics/orders/partitions", { count: 3 })).body, { ok: true });
    assert.equal((await api.get("/api/topics/orders")).body.partitions.length, 3);
    const shrink = await api.post("/api/topics/orders/partitions", { count: 2 });
    assert.equal(shrink.status, 400);
    assert.equal(shrink.body.code, "INVALID_PARTITIONS");
    assert.equal((await api.post("/api/topics/orders/partitions", { count: "x" })).status, 400);

    const missing = await api.get("/api/topics/nope");
    assert.equal(missing.status, 404);
    assert.equal(missing.body.code, "UNKNOWN_TOPIC_OR_PARTITION");
  });

  const timestamps: number[] = [];

  it("produces messages, one with a header, and refuses bad ones", async () => {
    for (const [i, m] of [
      { key: "order-1", value: "apple pie" },
      { key: "order-2", value: "Banana split", headers: [{ key: "trace", value: "abc-123" }] },
      { key: null, value: "cherry tart" },
    ].entries()) {
      const r = await api.post("/api/topics/orders/messages", { ...m, partition: 0 });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { partition: 0, offset: i });
      await new Promise((r) => setTimeout(r, 5)); // distinct timestamps
    }
    const keyed = await api.post("/api/topics/orders/messages", { key: "k", value: null, partition: 2 });
    assert.deepEqual(keyed.body, { partition: 2, offset: 0 });
    assert.equal((await api.post("/api/topics/nope/messages", { value: "x" })).status, 404);
    assert.equal((await api.post("/api/topics/orders/messages", { key: "k" })).status, 400);
    assert.equal((await api.post("/api/topics/orders/messages", { value: 5 })).status, 400);
    assert.equal(
      (await api.post("/api/topics/orders/messages", { value: "x", headers: [{ key: "a" }] })).status,
      400,
    );
    const noPartition = await api.post("/api/topics/orders/messages", { value: "x", partition: 7 });
    assert.equal(noPartition.status, 404);
    assert.equal(noPartition.body.code, "UNKNOWN_TOPIC_OR_PARTITION");

    // Bytes that are not UTF-8 come back as base64.
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: "orders",
      messages: [{ partition: 1, key: Buffer.from([0xff, 0xfe]), value: Buffer.from([0xc3, 0x28]) }],
    });
    await producer.disconnect();

    const all = await api.get("/api/topics/orders/messages?from=beginning&partition=0");
    timestamps.push(...all.body.messages.map((m: { timestamp: number }) => m.timestamp));
    const list = await api.get("/api/topics");
    assert.equal(list.body[0].messages, 5);
    assert.ok(list.body[0].sizeBytes > 0);
  });

  it("browses with each filter and from the beginning, the end, an offset and a time", async () => {
    const browse = (q: string) => api.get(`/api/topics/orders/messages?${q}`);
    const beginning = await browse("from=beginning");
    assert.equal(beginning.status, 200);
    assert.equal(beginning.body.truncated, false);
    assert.equal(beginning.body.scanned, 5);
    const p0 = beginning.body.messages.filter((m: { partition: number }) => m.partition === 0);
    assert.deepEqual(p0[1], {
      partition: 0,
      offset: 1,
      timestamp: timestamps[1],
      key: { text: "order-2" },
      value: { text: "Banana split" },
      headers: [{ key: "trace", value: { text: "abc-123" } }],
    });
    assert.deepEqual(p0[2].key, null);
    const binary = beginning.body.messages.find((m: { partition: number }) => m.partition === 1);
    assert.deepEqual(binary.key, { base64: Buffer.from([0xff, 0xfe]).toString("base64") });
    assert.deepEqual(binary.value, { base64: Buffer.from([0xc3, 0x28]).toString("base64") });
    const tombstone = beginning.body.messages.find((m: { partition: number }) => m.partition === 2);
    assert.equal(tombstone.value, null);
    // Ordered by timestamp, then partition, then offset.
    const order = beginning.body.messages.map(
      (m: { timestamp: number; partition: number; offset: number }) => [m.timestamp, m.partition, m.offset],
    );
    assert.deepEqual(
      order,
      order.slice().sort((a: number[], b: number[]) => a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!),
    );

    const offsets = (r: { body: { messages: Array<{ offset: number }> } }) =>
      r.body.messages.map((m) => m.offset);
    assert.deepEqual(offsets(await browse("partition=0&key=ORDER")), [0, 1]);
    assert.deepEqual(offsets(await browse("partition=0&value=banana")), [1]);
    assert.deepEqual(offsets(await browse("partition=0&header=abc")), [1]);
    assert.deepEqual(offsets(await browse("partition=0&header=TRACE&value=split&key=2")), [1]);
    assert.deepEqual(offsets(await browse("partition=0&value=nothing-like-it")), []);
    assert.deepEqual(offsets(await browse("partition=0&from=end&limit=2")), [1, 2]);
    assert.deepEqual(offsets(await browse("partition=0&from=end&limit=1&value=apple")), [0]);
    assert.deepEqual(offsets(await browse("partition=0&from=offset:1")), [1, 2]);
    assert.deepEqual(offsets(await browse("partition=0&from=offset:1&limit=1")), [1]);
    assert.deepEqual(offsets(await browse("partition=0&from=offset:99")), []);
    assert.deepEqual(offsets(await browse(`partition=0&from=timestamp:${timestamps[1]}`)), [1, 2]);
    assert.deepEqual(offsets(await browse(`partition=0&from=timestamp:${timestamps[2]! + 60_000}`)), []);
    // from=end: the last `limit` records of each partition, merged.
    const end = await browse("from=end&limit=1");
    assert.equal(end.body.messages.length, 1);

    for (const [q, status] of [
      ["from=somewhere", 400],
      ["limit=0", 400],
      ["limit=1001", 400],
      ["partition=x", 400],
      ["partition=9", 404],
    ] as const) {
      const r = await browse(q);
      assert.equal(r.status, status, q);
      assert.equal(typeof r.body.error, "string");
    }
    assert.equal((await api.get("/api/topics/nope/messages")).status, 404);
  });

  it("tails new records over SSE, filtered, from the end", async () => {
    const tail = await openSse(new URL("/api/topics/orders/tail?partition=0&value=live", server.url).href);
    try {
      assert.match(tail.response.headers.get("content-type") ?? "", /^text\/event-stream/);
      const ready = await tail.next((e) => e.event === "ready");
      assert.deepEqual(ready.data, { partitions: [{ partition: 0, offset: 3 }] });
      await api.post("/api/topics/orders/messages", { key: "x", value: "not this one", partition: 0 });
      await api.post("/api/topics/orders/messages", { key: "y", value: "a live one", partition: 0 });
      const message = await tail.next((e) => e.event === "message");
      assert.equal(message.data.offset, 4);
      assert.deepEqual(message.data.value, { text: "a live one" });
      assert.deepEqual(message.data.key, { text: "y" });
    } finally {
      tail.close();
    }
    assert.equal((await api.get("/api/topics/nope/tail")).status, 404);
  });

  it("closes each browse's and tail's connections to the cluster when its request ends", async () => {
    const count = () => broker.broker.connectionCount();
    await api.get("/api/topics/orders/messages?from=beginning"); // everything the console keeps is open
    const baseline = await eventually(async () => {
      const before = count();
      await new Promise((r) => setTimeout(r, 300));
      return count() === before ? before : undefined;
    });
    for (let i = 0; i < 10; i++)
      assert.equal((await api.get(`/api/topics/orders/messages?from=end&value=${i}`)).status, 200);
    const tails = await Promise.all(
      [1, 2, 3].map(() => openSse(new URL("/api/topics/orders/tail", server.url).href)),
    );
    await Promise.all(tails.map((t) => t.next((e) => e.event === "ready")));
    assert.ok(count() >= baseline + 3, `${count()} connections with 3 tails open, ${baseline} before`);
    for (const t of tails) t.close();
    await eventually(
      async () => (count() <= baseline ? true : undefined),
      10_000,
      `back to ${baseline} connections (now ${count()})`,
    );
  });

  it("purges records (DeleteRecords) before the end or an offset", async () => {
    const some = await api.post("/api/topics/orders/purge", { partitions: [0], before: 2 });
    assert.equal(some.status, 200);
    assert.deepEqual(some.body, { partitions: [{ partition: 0, lowWatermark: 2 }] });
    const all = await api.post("/api/topics/orders/purge", {});
    assert.deepEqual(all.body, {
      partitions: [
        { partition: 0, lowWatermark: 5 },
        { partition: 1, lowWatermark: 1 },
        { partition: 2, lowWatermark: 1 },
      ],
    });
    assert.deepEqual((await api.get("/api/topics/orders/messages?from=beginning")).body.messages, []);
    assert.equal((await api.post("/api/topics/orders/purge", { partitions: [8] })).status, 404);
    assert.equal((await api.post("/api/topics/orders/purge", { before: "soon" })).status, 400);
    assert.equal((await api.post("/api/topics/nope/purge", {})).status, 404);
  });

  it("shows a group's lag, its status and history; resets (dry run, then executed) and deletes it", async () => {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: "orders",
      messages: Array.from({ length: 6 }, (_, i) => ({ partition: 0, value: `m${i}` })),
    });
    const consumer = kafka.consumer({ groupId: "billing" });
    await consumer.connect();
    await consumer.subscribe({ topics: ["orders"], fromBeginning: true });
    let seen = 0;
    await consumer.run({
      eachMessage: async () => {
        seen++;
      },
    });
    try {
      await eventually(async () => (seen >= 6 ? true : undefined), 20_000, "the consumer read 6 records");
      const live = await eventually(async () => {
        const r = await api.get("/api/groups/billing");
        return r.body.state === "Stable" && r.body.members.length === 1 ? r : undefined;
      });
      assert.equal(live.body.type, "classic");
      // FindCoordinator's answer, as kafka-consumer-groups --describe --state shows it.
      const [node] = (await api.get("/api/cluster")).body.brokers;
      assert.deepEqual(live.body.coordinator, { nodeId: node.nodeId, host: "127.0.0.1", port: broker.port });
      assert.equal(live.body.members[0].assignment[0].topic, "orders");
      assert.deepEqual(live.body.members[0].assignment[0].partitions, [0, 1, 2]);
      // Live members: no reset, no delete.
      const busy = await api.post("/api/groups/billing/reset", { to: "earliest", execute: true });
      assert.equal(busy.status, 409);
      assert.equal(busy.body.code, "NON_EMPTY_GROUP");
      const busyDelete = await api.post("/api/groups/billing/delete", {});
      assert.equal(busyDelete.status, 409);
      assert.equal(busyDelete.body.code, "NON_EMPTY_GROUP");
    } finally {
      await consumer.disconnect(); // commits what it read
    }
    await producer.send({
      topic: "orders",
      messages: [
        { partition: 0, value: "a" },
        { partition: 0, value: "b" },
      ],
    });
    await producer.disconnect();

    const described = await eventually(async () => {
      const r = await api.get("/api/groups/billing");
      return r.body.state === "Empty" && r.body.totalLag === 2 ? r : undefined;
    });
    assert.equal(described.body.members.length, 0);
    assert.deepEqual(
      described.body.offsets.find((o: { partition: number }) => o.partition === 0),
      {
        topic: "orders",
        partition: 0,
        committed: 11,
        logEndOffset: 13,
        lag: 2,
        memberId: null,
        clientId: null,
      },
    );
    const listed = await api.get("/api/groups");
    assert.deepEqual(
      listed.body.map((g: Record<string, unknown>) => ({ ...g, status: undefined })),
      [
        {
          groupId: "billing",
          type: "classic",
          state: "Empty",
          members: 0,
          topics: ["orders"],
          totalLag: 2,
          status: undefined,
        },
      ],
    );
    // The lag monitor (every 200 ms here) gives a status once its window is full, and a history.
    const status = await eventually(
      async () => (await api.get("/api/groups/billing")).body.status ?? undefined,
      20_000,
      "a lag status",
    );
    assert.ok(["OK", "WARN", "STALL", "STOP", "REWIND", "ERR"].includes(status), status);
    const history = await api.get("/api/groups/billing/lag-history");
    assert.ok(history.body.length > 0);
    assert.equal(history.body.at(-1).totalLag, 2);
    assert.ok(
      history.body.every(
        (h: { at: number }, i: number, a: Array<{ at: number }>) => i === 0 || a[i - 1]!.at <= h.at,
      ),
    );
    assert.deepEqual((await api.get("/api/groups/nope/lag-history")).body, []);

    // As kafka-consumer-groups: nothing to shift from on the partitions the group never committed.
    const noBase = await api.post("/api/groups/billing/reset", {
      topics: ["orders"],
      to: "shift-by",
      value: -3,
    });
    assert.equal(noBase.status, 400);
    assert.equal(noBase.body.code, "NO_COMMITTED_OFFSET");
    const dry = await api.post("/api/groups/billing/reset", {
      topics: ["orders"],
      to: "offset",
      value: 8,
      execute: false,
    });
    assert.equal(dry.status, 200, JSON.stringify(dry.body));
    assert.equal(dry.body.executed, false);
    assert.deepEqual(
      dry.body.plan.find((p: { partition: number }) => p.partition === 0),
      {
        topic: "orders",
        partition: 0,
        current: 11,
        target: 8,
      },
    );
    assert.equal((await api.get("/api/groups/billing")).body.totalLag, 2, "a dry run changes nothing");
    const done = await api.post("/api/groups/billing/reset", { to: "offset", value: 12, execute: true });
    assert.equal(done.body.executed, true);
    const after = await api.get("/api/groups/billing");
    assert.equal(after.body.offsets.find((o: { partition: number }) => o.partition === 0).committed, 12);
    assert.equal(after.body.totalLag, 1);
    const latest = await api.post("/api/groups/billing/reset", { to: "latest", execute: true });
    assert.ok(latest.body.plan.every((p: { target: number }) => p.target >= 0));
    assert.equal((await api.get("/api/groups/billing")).body.totalLag, 0);
    const byTime = await api.post("/api/groups/billing/reset", { to: "duration", value: "PT1H" });
    assert.equal(byTime.body.plan.find((p: { partition: number }) => p.partition === 0).target, 5);

    for (const bad of [
      { to: "yesterday" },
      { to: "offset" },
      { to: "offset", value: "x" },
      { to: "shift-by", value: "1.5" },
      { to: "datetime", value: "not a date" },
      { to: "duration", value: "5 parsecs" },
      { to: "earliest", execute: "yes" },
      { to: "earliest", topics: [] },
    ]) {
      const r = await api.post("/api/groups/billing/reset", bad);
      assert.equal(r.status, 400, JSON.stringify(bad));
    }
    assert.equal(
      (await api.post("/api/groups/billing/reset", { to: "earliest", topics: ["nope"] })).status,
      404,
    );

    assert.equal((await api.get("/api/groups/nope")).status, 404);
    assert.equal((await api.get("/api/groups/nope")).body.code, "GROUP_ID_NOT_FOUND");
    assert.deepEqual((await api.post("/api/groups/billing/delete", {})).body, { ok: true });
    assert.equal((await api.get("/api/groups/billing")).status, 404);
    const gone = await api.post("/api/groups/billing/delete", {});
    assert.equal(gone.status, 404);
    assert.equal(gone.body.code, "GROUP_ID_NOT_FOUND");
  });

  it("reports cluster rates from its own sampling", async () => {
    const cluster = await eventually(async () => {
      const r = await api.get("/api/cluster");
      return r.body.messagesInPerSec !== null ? r : undefined;
    });
    assert.equal(typeof cluster.body.messagesInPerSec, "number");
    assert.ok(cluster.body.bytesOnDisk > 0);
    assert.equal(cluster.body.topics, 1);
    // Partitions counted like topics: the user topic's 3 apart from the internal topics' (the
    // group above made __consumer_offsets), each total equal to the topics list's.
    const all: Array<{ internal: boolean; partitions: number }> = (await api.get("/api/topics?internal=true"))
      .body;
    const sum = (internal: boolean) =>
      all.filter((t) => t.internal === internal).reduce((n, t) => n + t.partitions, 0);
    assert.ok(cluster.body.internalTopics > 0, "an internal topic exists");
    assert.equal(cluster.body.partitions, 3);
    assert.equal(sum(false), 3);
    assert.equal(cluster.body.internalPartitions, sum(true));
    assert.ok(cluster.body.internalPartitions > 0);
  });

  it("deletes a topic", async () => {
    assert.deepEqual((await api.post("/api/topics/orders/delete", {})).body, { ok: true });
    assert.equal((await api.get("/api/topics/orders")).status, 404);
    const again = await api.post("/api/topics/orders/delete");
    assert.equal(again.status, 404);
    assert.equal(again.body.code, "UNKNOWN_TOPIC_OR_PARTITION");
    assert.deepEqual((await api.get("/api/topics")).body, []);
    assert.ok(
      (await api.get("/api/topics?internal=true")).body.every((t: { internal: boolean }) => t.internal),
    );
  });

  it("refuses a change without the console's header, as other content, or from another origin (CSRF)", async () => {
    const attempts: Array<Record<string, string>> = [
      { "x-brook-console": "" },
      { "content-type": "text/plain" },
      { "content-type": "application/x-www-form-urlencoded" },
      { origin: "http://evil.example" },
      { origin: "null" },
    ];
    for (const headers of attempts) {
      const r = await api.post("/api/topics", { name: "csrf" }, headers);
      assert.equal(r.status, 403, JSON.stringify(headers));
      assert.equal(r.body.code, "CSRF");
    }
    // A plain form post, as a cross-site page could send it.
    const form = await fetch(new URL("/api/topics", server.url), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "name=csrf",
    });
    assert.equal(form.status, 403);
    assert.ok(!(await api.get("/api/topics")).body.some((t: { name: string }) => t.name === "csrf"));
    // Same origin is fine.
    const own = await api.post(
      "/api/topics",
      { name: "same-origin" },
      { origin: server.url.replace(/\/$/, "") },
    );
    assert.equal(own.status, 201);
    // No CORS grant, to anyone.
    const preflight = await fetch(new URL("/api/topics", server.url), {
      method: "OPTIONS",
      headers: { origin: "http://evil.example", "access-control-request-method": "POST" },
    });
    assert.equal(preflight.headers.get("access-control-allow-origin"), null);
    const bad = await api.post("/api/topics", "{not json");
    assert.equal(bad.status, 400);
  });

  it("bounds a browse at 10 000 records scanned and says it stopped there", async () => {
    assert.equal((await api.post("/api/topics", { name: "bulk", partitions: 1 })).status, 201);
    const producer = kafka.producer();
    await producer.connect();
    for (let batch = 0; batch < 12; batch++) {
      await producer.send({
        topic: "bulk",
        messages: Array.from({ length: 1000 }, (_, i) => ({ value: `record ${batch * 1000 + i}` })),
      });
    }
    await producer.disconnect();
    const started = performance.now();
    const miss = await api.get("/api/topics/bulk/messages?from=beginning&value=no-such-text");
    const ms = performance.now() - started;
    assert.equal(miss.status, 200);
    assert.deepEqual(miss.body.messages, []);
    assert.equal(miss.body.truncated, true);
    // At most the cap (or less, if the 2 s ran out first on a slow machine).
    assert.ok(miss.body.scanned <= 10_000 && miss.body.scanned > 0, String(miss.body.scanned));
    assert.ok(ms < 10_000, `${ms} ms`);
    // Backwards from the end: the newest matches, found past the first window.
    const back = await api.get("/api/topics/bulk/messages?from=end&limit=2&value=record 1199");
    assert.deepEqual(
      back.body.messages.map((m: { offset: number }) => m.offset),
      [11_998, 11_999],
    );
    const far = await api.get("/api/topics/bulk/messages?from=end&limit=1&value=record 10500");
    assert.deepEqual(
      far.body.messages.map((m: { offset: number }) => m.offset),
      [10_500],
    );
    const found = await api.get("/api/topics/bulk/messages?from=beginning&limit=3&value=record 50");
    assert.equal(found.body.truncated, false);
    assert.deepEqual(
      found.body.messages.map((m: { offset: number }) => m.offset),
      [50, 500, 501],
    );
  });

  it("serves the UI's index.html for any non-API path, and 503 when the UI is not built", async () => {
    const dir = mkdtempSync(join(tmpdir(), "brook-console-ui-"));
    writeFileSync(join(dir, "index.html"), "<!doctype html><title>Brook</title>");
    writeFileSync(join(dir, "app.js"), "console.log(1)");
    const withUi = await startConsole({ brokers: [broker.bootstrap], port: 0, uiDir: dir });
    const noUi = await startConsole({ brokers: [broker.bootstrap], port: 0, uiDir: join(dir, "missing") });
    try {
      for (const path of ["/", "/topics/orders", "/groups/billing/x"]) {
        const r = await fetch(new URL(path, withUi.url));
        assert.equal(r.status, 200, path);
        assert.match(r.headers.get("content-type") ?? "", /text\/html/);
        assert.match(await r.text(), /<title>Brook<\/title>/);
      }
      const js = await fetch(new URL("/app.js", withUi.url));
      assert.match(js.headers.get("content-type") ?? "", /javascript/);
      assert.equal((await fetch(new URL("/api/nope", withUi.url))).status, 404);
      const missing = await fetch(new URL("/", noUi.url));
      assert.equal(missing.status, 503);
      assert.match(await missing.text(), /npm run build/);
      assert.equal((await fetch(new URL("/api/health", noUi.url))).status, 200);
    } finally {
      await withUi.close();
      await noUi.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("sums a group's lag alike on its page, in the list and in its lag history: a partition without a commit left out", async () => {
    assert.equal((await api.post("/api/topics", { name: "ledger", partitions: 2 })).status, 201);
    for (let i = 0; i < 7; i++) {
      const r = await api.post("/api/topics/ledger/messages", {
        value: `entry ${i}`,
        partition: i < 3 ? 0 : 1,
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
    // Committed 1 of partition 0's 3 records; partition 1 (4 records) never committed.
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.setOffsets({
        groupId: "auditors",
        topic: "ledger",
        partitions: [{ partition: 0, offset: "1" }],
      });
      const described = await api.get("/api/groups/auditors");
      assert.equal(described.status, 200, JSON.stringify(described.body));
      assert.equal(described.body.totalLag, 2);
      const listed = (await api.get("/api/groups")).body.find(
        (g: { groupId: string }) => g.groupId === "auditors",
      );
      assert.equal(listed.totalLag, 2);
      // Every sample of the monitor (every 200 ms here) taken once the commit is readable says 2 as
      // well, not 2 + partition 1's whole log. (A round between the group's creation and its commit
      // becoming readable sees a group with no committed offsets: lag 0 then is right.)
      const readable = Date.now();
      const history = await eventually(async () => {
        const r = await api.get("/api/groups/auditors/lag-history");
        const since = (r.body as Array<{ at: number; totalLag: number }>).filter((h) => h.at >= readable);
        return since.length >= 3 ? since : undefined;
      });
      assert.deepEqual(
        history.map((h) => h.totalLag),
        history.map(() => 2),
      );
      assert.equal((await api.post("/api/groups/auditors/delete", {})).status, 200);
      assert.equal((await api.post("/api/topics/ledger/delete", {})).status, 200);
    } finally {
      await admin.disconnect();
    }
  });
});
