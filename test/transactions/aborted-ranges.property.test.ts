/**
 * Property: whatever the transactional workload — several producers, commits and aborts
 * interleaved, transactions spanning segment rolls (tiny segment.bytes), DeleteRecords and retention
 * moving the log start, compaction, broker restarts (SIGTERM and SIGKILL) in between — a
 * read_committed reader from every start offset sees exactly the committed records in order, a
 * read_uncommitted reader sees everything, and the LSO and DescribeProducers agree with the model.
 * Against a real Brook process over the wire (test/support/txn-workload.ts). At the end the broker
 * is SIGKILLed once more and every topic is checked again after recovery.
 *
 * BROOK_PROPERTY_RUNS sets the number of workloads (default 200); BROOK_PROPERTY_SEED replays one.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { spawnBroker } from "../support/broker-process.js";
import {
  checkTopic,
  restartableBroker,
  runWorkload,
  type TopicModel,
  withDeadline,
  workloadArb,
} from "../support/txn-workload.js";

const RUNS = Number(process.env.BROOK_PROPERTY_RUNS ?? 200);
const SEED = process.env.BROOK_PROPERTY_SEED ? Number(process.env.BROOK_PROPERTY_SEED) : undefined;

describe("read_committed and aborted transactions across segments (property)", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "brook-txn-prop-"));
  let broker: Awaited<ReturnType<typeof restartableBroker>>;
  before(async () => {
    broker = await restartableBroker(
      (dir) =>
        spawnBroker(
          [
            "--port",
            "0",
            "--data-dir",
            dir,
            "--set",
            "log.retention.check.interval.ms=50",
            "--set",
            "log.cleaner.backoff.ms=20",
            "--set",
            "log.segment.delete.delay.ms=0",
            "--set",
            "transaction.state.log.num.partitions=2",
            "--set",
            "offsets.topic.num.partitions=1",
            "--set",
            "auto.create.topics.enable=false",
            "--set",
            "transaction.max.timeout.ms=3600000",
          ],
          // BROOK_* variables are broker configs to `brook start`: not this test's own.
          { BROOK_PROPERTY_RUNS: undefined, BROOK_PROPERTY_SEED: undefined },
          // A restart after SIGKILL recovers every topic written so far (hundreds of small logs).
          60_000,
        ),
      dataDir,
    );
  });
  after(async () => {
    await broker?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(`${RUNS} random workloads: readers from every offset see exactly what the model says`, {
    timeout: 1_500_000,
  }, async (t) => {
    const models: TopicModel[] = [];
    let compactedAway = 0;
    const started = performance.now();
    await fc.assert(
      fc.asyncProperty(workloadArb({ restarts: true }), async (w) => {
        const m = await withDeadline(runWorkload(broker, w, "prop"), 60_000);
        compactedAway += (await withDeadline(checkTopic(broker.client(), m), 60_000)).compactedAway;
        models.push(m);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true, verbose: 1 },
    );
    const ran = performance.now() - started;
    // Recovery of everything written so far: one more crash, then every topic again.
    await broker.restart(true);
    for (const m of models) await withDeadline(checkTopic(broker.client(), m), 60_000);
    const records = models.reduce((n, m) => n + m.records.length, 0);
    const aborted = models.reduce((n, m) => n + m.records.filter((r) => r.status === "aborted").length, 0);
    t.diagnostic(
      `${models.length} workloads, ${records} records (${aborted} aborted, ${compactedAway} removed by the cleaner), restarts: ${broker.restarts.kill} SIGKILL, ${broker.restarts.term} SIGTERM; ${ran} ms, recheck ${performance.now() - started - ran} ms`,
    );
  });
});
