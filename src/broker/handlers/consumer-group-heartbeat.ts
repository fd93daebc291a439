/**
 * ConsumerGroupHeartbeat (68), v0-v1: the KIP-848 consumer group protocol with server-side
 * assignment (uniform and range). See src/coordinator/consumer.ts.
 */
import { clientInfo, groups } from "../../coordinator/handler-support.js";
import { ConsumerGroupHeartbeat } from "../../protocol/messages/consumer-group-heartbeat.js";
import { defineHandler } from "../router.js";

export const consumerGroupHeartbeatHandler = defineHandler(ConsumerGroupHeartbeat, async (ctx, req) => {
  const r = await groups(ctx).consumer.heartbeat(
    {
      groupId: req.groupId,
      memberId: req.memberId,
      memberEpoch: req.memberEpoch,
      instanceId: req.instanceId,
      rackId: req.rackId,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      subscribedTopicNames: req.subscribedTopicNames,
      subscribedTopicRegex: req.subscribedTopicRegex,
      serverAssignor: req.serverAssignor,
      topicPartitions: req.topicPartitions,
    },
    clientInfo(ctx),
  );
  return { throttleTimeMs: 0, ...r };
});
