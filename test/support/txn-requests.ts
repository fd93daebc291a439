/** Transaction requests as a client sends them (AddPartitionsToTxn v0-3), for the transaction tests. */
import { AddPartitionsToTxn } from "../../src/protocol/messages/add-partitions-to-txn.js";
import type { RawClient } from "./raw-client.js";

/** AddPartitionsToTxn for one topic; resolves with each partition's error code. */
export function addPartitionsToTxn(
  c: RawClient,
  id: string,
  pid: bigint,
  epoch: number,
  topic: string,
  partitions: number[],
  version = 3,
): Promise<number[]> {
  return c
    .request(AddPartitionsToTxn, version, {
      transactions: [],
      v3AndBelowTransactionalId: id,
      v3AndBelowProducerId: pid,
      v3AndBelowProducerEpoch: epoch,
      v3AndBelowTopics: [{ name: topic, partitions }],
    })
    .then((r) =>
      r.resultsByTopicV3AndBelow.flatMap((t) => t.resultsByPartition.map((p) => p.partitionErrorCode)),
    );
}
