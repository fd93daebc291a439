/**
 * Heartbeat (12), v0-v4: keeps a classic member's session; REBALANCE_IN_PROGRESS tells it to rejoin.
 */
import { groups } from "../../coordinator/handler-support.js";
import { Heartbeat } from "../../protocol/messages/heartbeat.js";
import { defineHandler } from "../router.js";

export const heartbeatHandler = defineHandler(Heartbeat, (ctx, req) => ({
  throttleTimeMs: 0,
  errorCode: groups(ctx).classic.heartbeat(req),
}));
