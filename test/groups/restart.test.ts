/**
 * A real `brook start` process restarted (SIGTERM, then SIGKILL) while a consumer group (KafkaJS's
 * consumer, then Brook's client: test/support/clients.ts) is in the middle of a topic: after the broker comes back on the same port, the group carries on from
 * its committed offsets — every record is processed, and records are processed again only at or
 * after the last commit the broker acknowledged before it went down.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { Kafka, logLevel } from "kafkajs";
import { type BrokerProcess, spawnBroker } from "../support/broker-process.js";
import { CLIENTS } from "../support/clients.js";
import { sleep, until } from "./support.js";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const brokerArgs = (dir: string, port: number) => [
  "--port",
  String(port),
  "--data-dir",
  dir,
  "--set",
  "group.initial.rebalance.delay.ms=0",
  "--set",
  "offsets.topic.num.partitions=3",
];

for (const client of CLIENTS)
  for (const signal of ["SIGTERM", "SIGKILL"] as const) {
    describe(`consumer group across a broker restart (${signal}, ${client.name})`, () => {
      it("resumes from the committed offsets; nothing lost, re-reads only past the last acknowledged commit", async (t) => {
        const dir = mkdtempSync(join(tmpdir(), "brook-group-restart-"));
        dirs.push(dir);
        let broker: BrokerProcess = await spawnBroker(brokerArgs(dir, 0));
        const port = broker.port;
        const kafka = new Kafka({
          clientId: "restart-test",
          brokers: [`127.0.0.1:${port}`],
          logLevel: logLevel.NOTHING,
          retry: { initialRetryTime: 100, maxRetryTime: 1000, retries: 30 },
        });
        const admin = kafka.admin();
        await admin.connect();
        await admin.createTopics({ topics: [{ topic: "jobs", numPartitions: 3 }] });
        await admin.disconnect();
        const producer = kafka.producer();
        await producer.connect();
        const produce = async (from: number, n: number, via = producer) => {
          for (let i = from; i < from + n; i += 50) {
            await via.send({
              topic: "jobs",
              acks: -1,
              messages: Array.from({ length: 50 }, (_, j) => ({
                partition: (i + j) % 3,
                value: `job-${i + j}`,
              })),
            });
          }
        };
        await produce(0, 300);
        await producer.disconnect();

        // The consumer is the client under test; the admin and producers stay KafkaJS's.
        const consumerKafka = new client.module.Kafka({
          clientId: "restart-test",
          brokers: [`127.0.0.1:${port}`],
          logLevel: logLevel.NOTHING,
          retry: { initialRetryTime: 100, maxRetryTime: 1000, retries: 30 },
        });
        const consumer = consumerKafka.consumer({
          groupId: "resumers",
          sessionTimeout: 10000,
          heartbeatInterval: 500,
          maxWaitTimeInMs: 250,
        });
        const seen = new Map<number, number[]>([
          [0, []],
          [1, []],
          [2, []],
        ]);
        const committed = new Map<number, number>();
        let down = false;
        consumer.on(consumer.events.COMMIT_OFFSETS, (e) => {
          if (down) return;
          for (const tp of e.payload.topics)
            for (const p of tp.partitions) committed.set(Number(p.partition), Number(p.offset));
        });
        await consumer.connect();
        await consumer.subscribe({ topic: "jobs", fromBeginning: true });
        await consumer.run({
          eachMessage: async ({ partition, message }) => {
            await sleep(3);
            seen.get(partition)!.push(Number(message.offset));
          },
        });
        const count = () => [...seen.values()].reduce((a, l) => a + l.length, 0);
        await until(() => count() >= 100 && committed.size === 3, 20000, "consumer half-way");

        // The broker goes down mid-way; what was acknowledged before is what counts.
        down = true;
        const code = await broker.stop(signal);
        if (signal === "SIGTERM") assert.equal(code, 0, broker.output());
        const lastCommit = new Map(committed);
        const seenBefore = new Map([...seen].map(([p, l]) => [p, l.length]));
        await sleep(300);
        broker = await spawnBroker(brokerArgs(dir, port));
        down = false;
        try {
          const p2 = kafka.producer();
          await p2.connect();
          await produce(300, 300, p2);
          await p2.disconnect();
          await until(
            () => [0, 1, 2].every((p) => new Set(seen.get(p)).size === 200),
            40000,
            "all 600 records processed",
          );
          let reread = 0;
          for (const p of [0, 1, 2]) {
            const list = seen.get(p)!;
            for (let o = 0; o < 200; o++) assert.ok(list.includes(o), `partition ${p} offset ${o} lost`);
            // After the restart the group started again at (or after) its last acknowledged commit.
            const afterRestart = list.slice(seenBefore.get(p)!);
            const restartedAt = Math.min(...afterRestart);
            assert.ok(
              restartedAt >= lastCommit.get(p)!,
              `p${p}: restarted at ${restartedAt}, below the commit ${lastCommit.get(p)}`,
            );
            // ...and not before: no record acknowledged-as-committed is read twice.
            const dup = list.filter((o, i) => list.indexOf(o) !== i);
            for (const o of dup)
              assert.ok(o >= lastCommit.get(p)!, `p${p}@${o} re-read below the commit ${lastCommit.get(p)}`);
            reread += dup.length;
          }
          t.diagnostic(`re-read ${reread} records after the ${signal} restart`);
          await consumer.disconnect();
          const check = kafka.admin();
          await check.connect();
          const [{ partitions }] = await check.fetchOffsets({ groupId: "resumers", topics: ["jobs"] });
          assert.deepEqual(partitions.map((p) => Number(p.offset)).sort(), [200, 200, 200]);
          await check.disconnect();
        } finally {
          await consumer.disconnect().catch(() => {});
          await broker.stop("SIGTERM");
        }
      });
    });
  }
