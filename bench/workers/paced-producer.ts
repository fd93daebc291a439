/**
 * A paced producer for the end-to-end latency bench: every millisecond, one Produce request (acks=1)
 * with the records due by then, each value stamped with its creation time in microseconds.
 * Args: port topic rate total. Requests are pipelined (at most 100 in flight).
 */
import { Produce } from "../../src/protocol/messages/produce.js";
import { encodeRecordBatchSync } from "../../src/protocol/records/record-batch.js";
import { RawClient } from "../../test/support/raw-client.js";
import { RECORD_SIZE, wallMicros } from "../e2e-latency.js";

const [portArg, topic, rateArg, totalArg] = process.argv.slice(2);
const rate = Number(rateArg);
const total = Number(totalArg);
const client = await RawClient.connect(Number(portArg));
const inFlight: Array<Promise<unknown>> = [];
const t0 = performance.now();
let sent = 0;
while (sent < total) {
  const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
  if (due > sent) {
    const records = [];
    for (; sent < due; sent++) {
      const t = String(wallMicros());
      records.push({ value: Buffer.from(t + "x".repeat(RECORD_SIZE - t.length), "latin1") });
    }
    const batch = encodeRecordBatchSync({ records, baseTimestamp: Date.now() });
    inFlight.push(
      client.request(Produce, 9, {
        transactionalId: null,
        acks: 1,
        timeoutMs: 30_000,
        topicData: [{ name: topic!, partitionData: [{ index: 0, records: batch }] }],
      }),
    );
    if (inFlight.length > 100) await inFlight.shift();
  }
  await new Promise((r) => setTimeout(r, 1));
}
await Promise.all(inFlight);
client.close();
