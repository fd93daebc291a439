/** Raw-protocol helpers for the group coordinator tests (one connection per simulated member). */
import { encodeAssignment, encodeSubscription } from "../../src/protocol/embedded/consumer-protocol.js";
import { ErrorCode } from "../../src/protocol/error-codes.js";
import { Heartbeat } from "../../src/protocol/messages/heartbeat.js";
import { JoinGroup } from "../../src/protocol/messages/join-group.js";
import { SyncGroup } from "../../src/protocol/messages/sync-group.js";
import { RawClient } from "../support/raw-client.js";

export { ErrorCode };

export const sub = (...topics: string[]) => encodeSubscription({ topics }, 0);
export const asg = (topic: string, ...partitions: number[]) =>
  encodeAssignment({ assignedPartitions: [{ topic, partitions }] }, 0);

export interface Member {
  client: RawClient;
  memberId: string;
  generationId: number;
  leader: string;
  protocolName: string | null;
  members: Array<{ memberId: string; metadata: Buffer }>;
  errorCode: number;
}

export interface JoinOpts {
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  protocols?: Array<{ name: string; metadata: Buffer }>;
  protocolType?: string;
  groupInstanceId?: string | null;
  memberId?: string;
  version?: number;
  clientId?: string;
}

/** JoinGroup as a modern client does it: v5, and a second round after MEMBER_ID_REQUIRED. */
export async function join(port: number | RawClient, groupId: string, o: JoinOpts = {}): Promise<Member> {
  const client = typeof port === "number" ? await RawClient.connect(port) : port;
  const version = o.version ?? 5;
  const body = (memberId: string) => ({
    groupId,
    sessionTimeoutMs: o.sessionTimeoutMs ?? 6000,
    rebalanceTimeoutMs: o.rebalanceTimeoutMs ?? 6000,
    memberId,
    groupInstanceId: o.groupInstanceId ?? null,
    protocolType: o.protocolType ?? "consumer",
    protocols: o.protocols ?? [{ name: "range", metadata: sub("t") }],
  });
  let r = await client.request(JoinGroup, version, body(o.memberId ?? ""), o.clientId ?? "raw-test");
  if (r.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
    r = await client.request(JoinGroup, version, body(r.memberId), o.clientId ?? "raw-test");
  }
  return {
    client,
    memberId: r.memberId,
    generationId: r.generationId,
    leader: r.leader,
    protocolName: r.protocolName,
    members: r.members.map((m) => ({ memberId: m.memberId, metadata: m.metadata })),
    errorCode: r.errorCode,
  };
}

export function sync(
  m: Member,
  groupId: string,
  assignments: Array<{ memberId: string; assignment: Buffer }> = [],
  version = 3,
  groupInstanceId: string | null = null,
) {
  return m.client.request(SyncGroup, version, {
    groupId,
    generationId: m.generationId,
    memberId: m.memberId,
    groupInstanceId,
    protocolType: "consumer",
    protocolName: m.protocolName,
    assignments,
  });
}

export async function heartbeat(
  m: Member,
  groupId: string,
  generationId = m.generationId,
  groupInstanceId: string | null = null,
) {
  return (
    await m.client.request(Heartbeat, 3, { groupId, generationId, memberId: m.memberId, groupInstanceId })
  ).errorCode;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value or `ms` pass. */
export async function eventually<T>(fn: () => T | Promise<T>, ms = 10000, step = 50): Promise<T> {
  const end = performance.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (performance.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await sleep(step);
  }
}
