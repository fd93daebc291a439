/**
 * Reads a whole partition through Brook's Fetch path and decodes the records with the test suite's
 * independent batch reader (uncompressed and gzip), checking each batch's CRC.
 */
import { Fetch } from "../../src/protocol/messages/fetch.js";
import { readBatchesMinimal } from "./kafkajs.js";
import { RawClient } from "./raw-client.js";

export interface FetchedRecord {
  offset: bigint;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<{ key: string; value: Buffer | null }>;
}

export async function fetchAllRecords(
  port: number,
  topic: string,
  partition: number,
  from = 0n,
): Promise<FetchedRecord[]> {
  const c = await RawClient.connect(port);
  const out: FetchedRecord[] = [];
  try {
    let offset = from;
    for (let round = 0; round < 10_000; round++) {
      const res = await c.request(Fetch, 11, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 8 << 20,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{ topic, partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: 4 << 20 }] }],
      });
      const p = res.responses[0]!.partitions[0]!;
      if (p.errorCode !== 0) throw new Error(`fetch ${topic}-${partition}@${offset}: error ${p.errorCode}`);
      if (!p.records || p.records.length === 0) break;
      for (const batch of readBatchesMinimal(p.records)) {
        if (!batch.crcValid) throw new Error(`batch at offset ${batch.baseOffset} fails its CRC`);
        const next = batch.baseOffset + BigInt(batch.lastOffsetDelta) + 1n;
        if ((batch.attributes & 0x20) === 0) {
          for (const r of batch.records) {
            const recordOffset = batch.baseOffset + BigInt(r.offsetDelta);
            if (recordOffset < offset) continue;
            out.push({
              offset: recordOffset,
              timestamp: batch.firstTimestamp + r.timestampDelta,
              key: r.key,
              value: r.value,
              headers: r.headers,
            });
          }
        }
        offset = next;
      }
      if (offset >= p.highWatermark) break;
    }
  } finally {
    c.close();
  }
  return out;
}
