/**
 * WriteTxnMarkers (27): sent by a transaction coordinator to partition leaders. A single node is
 * both, so it never sends it; a client that does gets the markers written, as a leader would.
 */
import { WriteTxnMarkers } from "../../protocol/messages/write-txn-markers.js";
import { defineHandler } from "../router.js";

export const writeTxnMarkersHandler = defineHandler(WriteTxnMarkers, async (ctx, req) => ({
  markers: await Promise.all(
    req.markers.map(async (m) => ({
      producerId: m.producerId,
      topics: await Promise.all(
        m.topics.map(async (t) => ({
          name: t.name,
          partitions: await Promise.all(
            t.partitionIndexes.map(async (partitionIndex) => ({
              partitionIndex,
              errorCode: await ctx.broker.writeTxnMarker({
                producerId: m.producerId,
                producerEpoch: m.producerEpoch,
                coordinatorEpoch: m.coordinatorEpoch,
                commit: m.transactionResult,
                topic: t.name,
                partition: partitionIndex,
              }),
            })),
          ),
        })),
      ),
    })),
  ),
}));
