/**
 * A real `brook start` process: data produced with acks=-1 survives a graceful stop (SIGTERM) and a
 * crash (SIGKILL right after the acknowledgements), along with topics and their configs. Produced
 * and checked with KafkaJS, then with Brook's client (test/support/clients.ts).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { spawnBroker } from "../support/broker-process.js";
import { CLIENTS, type ClientUnderTest } from "../support/clients.js";
import { fetchAllRecords } from "../support/fetch-records.js";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function produce(
  client: ClientUnderTest,
  port: number,
  topic: string,
  count: number,
  from = 0,
): Promise<void> {
  const kafka = new client.module.Kafka({
    brokers: [`127.0.0.1:${port}`],
    logLevel: client.module.logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic, numPartitions: 3, configEntries: [{ name: "retention.ms", value: "86400000" }] }],
  });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  for (let i = from; i < from + count; i += 10) {
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: 10 }, (_, j) => ({
        key: `k${i + j}`,
        value: `value-${i + j}`,
        partition: (i + j) % 3,
      })),
    });
  }
  await producer.disconnect();
}

async function readAll(port: number, topic: string): Promise<string[]> {
  const out: string[] = [];
  for (let p = 0; p < 3; p++)
    for (const r of await fetchAllRecords(port, topic, p)) out.push(r.value!.toString());
  return out.sort();
}

const RUNS = CLIENTS.flatMap((client) =>
  (["SIGTERM", "SIGKILL"] as const).map((signal) => ({ client, signal })),
);
for (const { client, signal } of RUNS) {
  describe(`restart after ${signal} (${client.name})`, () => {
    it("every acknowledged record, the topic and its config come back", async () => {
      const dir = mkdtempSync(join(tmpdir(), "brook-restart-"));
      dirs.push(dir);
      const first = await spawnBroker(["--port", "0", "--data-dir", dir]);
      await produce(client, first.port, "durable", 200);
      const code = await first.stop(signal);
      if (signal === "SIGTERM") assert.equal(code, 0, first.output());
      const second = await spawnBroker(["--port", "0", "--data-dir", dir]);
      try {
        const values = await readAll(second.port, "durable");
        assert.deepEqual(values, Array.from({ length: 200 }, (_, i) => `value-${i}`).sort());
        const kafka = new client.module.Kafka({
          brokers: [`127.0.0.1:${second.port}`],
          logLevel: client.module.logLevel.NOTHING,
        });
        const admin = kafka.admin();
        await admin.connect();
        const cfg = await admin.describeConfigs({
          resources: [{ type: 2, name: "durable", configNames: ["retention.ms"] }],
          includeSynonyms: false,
        });
        assert.equal(cfg.resources[0]!.configEntries[0]!.configValue, "86400000");
        await admin.disconnect();
        // New writes continue after the recovered offsets.
        await produce(client, second.port, "durable-2", 10);
        assert.equal((await readAll(second.port, "durable-2")).length, 10);
      } finally {
        assert.equal(await second.stop("SIGTERM"), 0, second.output());
      }
    });
  });
}
