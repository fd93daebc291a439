/** Small pieces the group handlers (src/broker/handlers/*) share. */
import type { HandlerContext } from "../broker/router.js";
import type { ClientInfo, GroupCoordinator } from "./group-coordinator.js";

/** Kafka's group ACL operations with no authorizer: READ, DELETE, DESCRIBE. */
export const GROUP_AUTHORIZED_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

export function groups(ctx: HandlerContext): GroupCoordinator {
  return ctx.broker.component<GroupCoordinator>("groups");
}

/** Client id and host as a member records them (Kafka writes the host as "/address"). */
export function clientInfo(ctx: HandlerContext): ClientInfo {
  let addr = ctx.conn.socket.remoteAddress ?? "";
  if (addr.startsWith("::ffff:")) addr = addr.slice(7);
  return { clientId: ctx.header.clientId ?? "", clientHost: `/${addr}`, version: ctx.version };
}

/** Topic and partition exist (OffsetCommit and OffsetDelete answer UNKNOWN_TOPIC_OR_PARTITION otherwise). */
export function partitionExists(ctx: HandlerContext, topic: string, partition: number): boolean {
  const t = ctx.broker.topic(topic);
  return t !== undefined && partition >= 0 && partition < t.partitions;
}
