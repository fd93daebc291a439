/**
 * Idempotent consumers against a Brook broker and a real PostgreSQL (127.0.0.1:5432, database
 * `test`, trust auth) and Redis (127.0.0.1:6379): the same records delivered twice (the group
 * rewound to the earliest offsets and run again), and events sent twice by their producer, change
 * the database once. Each test skips, saying what to start, when its server is not reachable.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import pg from "pg";
import type { Admin, Consumer, EachMessagePayload, Kafka } from "../../src/client/index.js";
import {
  DltHeaders,
  DuplicateInProgressError,
  idempotent,
  messageId,
  postgresStore,
  redisStore,
} from "../../src/patterns/index.js";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import { createTopic, quietKafka, sleep, unique, until, PG, postgresMissing } from "./support.js";

async function redisMissing(): Promise<string | false> {
  const redis = new Redis({ host: "127.0.0.1", port: 6379, lazyConnect: true, retryStrategy: () => null });
  redis.on("error", () => {});
  try {
    await redis.connect();
    await redis.ping();
    return false;
  } catch (e) {
    return `Redis is not reachable at 127.0.0.1:6379 (${(e as Error).message}); start it (Debian: apt-get install redis-server; redis-server --daemonize yes)`;
  } finally {
    redis.disconnect();
  }
}

const noPostgres = await postgresMissing();
const noRedis = await redisMissing();

const EVENTS = 20;
/** Events e-0..e-4 are sent a second time by their producer (a retry after a lost acknowledgement). */
const RESENT = 5;

describe("idempotent consumers", () => {
  let tb: TestBroker;
  let kafka: Kafka;
  let admin: Admin;

  before(async () => {
    tb = await startTestBroker();
    kafka = quietKafka(tb.bootstrap);
    admin = kafka.admin();
    await admin.connect();
  });

  after(async () => {
    await admin.disconnect();
    await tb.close();
  });

  /** A topic with EVENTS events (amount i) plus RESENT of them again, over 2 partitions. */
  async function eventsTopic(withHeader: boolean): Promise<string> {
    const topic = unique("payments");
    await createTopic(admin, topic, 2);
    const producer = kafka.producer();
    await producer.connect();
    const event = (i: number) => ({
      key: `customer-${i % 3}`,
      value: JSON.stringify({ eventId: `e-${i}`, amount: i }),
      ...(withHeader ? { headers: { "event-id": `e-${i}` } } : {}),
    });
    await producer.send({ topic, messages: Array.from({ length: EVENTS }, (_, i) => event(i)) });
    await producer.send({ topic, messages: Array.from({ length: RESENT }, (_, i) => event(i)) });
    await producer.disconnect();
    return topic;
  }

  /** Runs `eachMessage` in `groupId` from the earliest offsets until `done()`. */
  async function consumeUntil(
    groupId: string,
    topic: string,
    eachMessage: (p: EachMessagePayload) => Promise<void>,
    done: () => boolean,
  ): Promise<void> {
    const consumer: Consumer = kafka.consumer({
      groupId,
      maxWaitTimeInMs: 100,
      retry: { initialRetryTime: 50 },
    });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({ eachMessage });
      await until(done, 30_000, `consuming ${topic} in ${groupId}`);
    } finally {
      await consumer.disconnect();
    }
  }

  it("the default id: the event-id header, else the original coordinates of a forwarded record, else topic/partition/offset", () => {
    const base = { key: null, value: null, timestamp: "0", attributes: 0, offset: "7" };
    assert.equal(messageId("t", 1, { ...base, headers: { "event-id": "abc" } }), "abc");
    assert.equal(messageId("t", 1, { ...base, headers: { id: "x" } }, "id"), "x");
    assert.equal(
      messageId("t-retry-1000", 1, {
        ...base,
        headers: {
          [DltHeaders.originalTopic]: "t",
          [DltHeaders.originalPartition]: "2",
          [DltHeaders.originalOffset]: "40",
        },
      }),
      "t/2/40",
    );
    assert.equal(messageId("t", 1, { ...base, headers: {} }), "t/1/7");
  });

  describe("PostgreSQL store", { skip: noPostgres }, () => {
    let pool: pg.Pool;
    const processed = `idem_processed_${process.pid}`;
    const ledger = `idem_ledger_${process.pid}`;

    before(async () => {
      pool = new pg.Pool({ ...PG, max: 4 });
      await pool.query(`DROP TABLE IF EXISTS ${processed}, ${ledger}`);
      await pool.query(`CREATE TABLE ${ledger} (event_id text NOT NULL, amount int NOT NULL)`);
    });

    after(async () => {
      await pool.query(`DROP TABLE IF EXISTS ${processed}, ${ledger}`);
      await pool.end();
    });

    it("records delivered twice (producer resends, then the group rewound) change the table once; a failed handler rolls back its id", {
      timeout: 90_000,
    }, async () => {
      const topic = await eventsTopic(true);
      const groupId = unique("ledger");
      const store = postgresStore({ pool, table: processed });
      await store.createTable();
      let deliveries = 0;
      const duplicates: string[] = [];
      let failedOnce = false;
      const eachMessage = idempotent(
        { store, onDuplicate: (id) => duplicates.push(id) },
        async ({ message, tx, id }) => {
          const { eventId, amount } = JSON.parse(message.value!.toString()) as {
            eventId: string;
            amount: number;
          };
          assert.equal(id, eventId);
          await tx.query(`INSERT INTO ${ledger} (event_id, amount) VALUES ($1, $2)`, [eventId, amount]);
          if (eventId === "e-7" && !failedOnce) {
            // After the write: the rollback must take the ledger row and the processed id with it.
            failedOnce = true;
            throw new Error("downstream unavailable");
          }
        },
      );
      const counting = async (p: EachMessagePayload) => {
        deliveries++;
        await eachMessage(p);
      };
      await consumeUntil(
        groupId,
        topic,
        counting,
        () => duplicates.length >= RESENT && deliveries >= EVENTS + RESENT + 1,
      );
      const sums = async () =>
        (
          await pool.query(
            `SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS d, sum(amount)::int AS s FROM ${ledger}`,
          )
        ).rows[0] as { n: number; d: number; s: number };
      const expected = { n: EVENTS, d: EVENTS, s: (EVENTS * (EVENTS - 1)) / 2 };
      assert.ok(failedOnce);
      assert.deepEqual(await sums(), expected, "each event once in the ledger, the failed one too");
      assert.deepEqual(duplicates.sort(), ["e-0", "e-1", "e-2", "e-3", "e-4"]);
      const ids = await pool.query(`SELECT count(*)::int AS n FROM ${processed}`);
      assert.equal(ids.rows[0].n, EVENTS);

      // Rewind the group: every record is delivered again and skipped.
      await admin.resetOffsets({ groupId, topic, earliest: true });
      const before = duplicates.length;
      await consumeUntil(groupId, topic, counting, () => duplicates.length - before >= EVENTS + RESENT);
      assert.deepEqual(await sums(), expected, "the replay changed nothing");
      assert.equal(duplicates.length - before, EVENTS + RESENT);
    });

    it("two concurrent deliveries of one id: one runs, the other waits for it and skips", async () => {
      const store = postgresStore({ pool, table: processed });
      const id = unique("concurrent");
      let runs = 0;
      const work = async () => {
        runs++;
        await sleep(300);
      };
      const [a, b] = await Promise.all([store.once(id, work), store.once(id, work)]);
      assert.deepEqual([a, b].sort(), [false, true]);
      assert.equal(runs, 1);
    });

    it("refuses a table name that is not an identifier", () => {
      assert.throws(() => postgresStore({ pool, table: "x; DROP TABLE y" }), /table must be a name/);
    });
  });

  describe("Redis store", { skip: noRedis }, () => {
    let redis: Redis;
    const prefix = `${unique("idem")}:`;

    before(async () => {
      redis = new Redis({ host: "127.0.0.1", port: 6379 });
    });

    after(async () => {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    });

    it("skips duplicates: resent events and a rewound group leave the total unchanged (id from the payload)", {
      timeout: 90_000,
    }, async () => {
      const topic = await eventsTopic(false);
      const groupId = unique("totals");
      const total = `${prefix}total`;
      const duplicates: string[] = [];
      const store = redisStore({ redis, ttlSeconds: 600, prefix: `${prefix}processed:` });
      // The seeds' envelope carries the id in the payload: the key function reads it.
      const eachMessage = idempotent(
        {
          store,
          key: ({ message }) => (JSON.parse(message.value!.toString()) as { eventId: string }).eventId,
          onDuplicate: (id) => duplicates.push(id),
        },
        async ({ message }) => {
          const { amount } = JSON.parse(message.value!.toString()) as { amount: number };
          await redis.incrby(total, amount);
        },
      );
      let deliveries = 0;
      const counting = async (p: EachMessagePayload) => {
        deliveries++;
        await eachMessage(p);
      };
      await consumeUntil(groupId, topic, counting, () => deliveries >= EVENTS + RESENT);
      const expected = String((EVENTS * (EVENTS - 1)) / 2);
      assert.equal(await redis.get(total), expected);
      assert.equal(duplicates.length, RESENT);
      assert.ok((await redis.ttl(`${prefix}processed:e-3`)) > 500, "processed ids expire after ttlSeconds");

      await admin.resetOffsets({ groupId, topic, earliest: true });
      const before = duplicates.length;
      await consumeUntil(groupId, topic, counting, () => duplicates.length - before >= EVENTS + RESENT);
      assert.equal(await redis.get(total), expected, "the replay changed nothing");
    });

    it("a delivery while the same id is being processed is refused as retriable; a failed handler releases the id", async () => {
      const store = redisStore({ redis, prefix: `${prefix}claims:`, claimSeconds: 5 });
      let release: () => void = () => {};
      const first = store.once("x", () => new Promise<void>((r) => (release = r)));
      await sleep(50);
      await assert.rejects(
        store.once("x", async () => {}),
        DuplicateInProgressError,
      );
      release();
      assert.equal(await first, true);
      assert.equal(await store.once("x", async () => {}), false);

      await assert.rejects(
        store.once("y", async () => {
          throw new Error("boom");
        }),
        /boom/,
      );
      let ran = false;
      assert.equal(
        await store.once("y", async () => {
          ran = true;
        }),
        true,
      );
      assert.ok(ran, "the failed attempt did not mark y processed");
    });
  });
});
