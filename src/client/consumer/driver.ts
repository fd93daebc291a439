/**
 * What the consumer session needs from a group protocol, and what a protocol needs from the session.
 * Two protocols implement it: the classic one (JoinGroup/SyncGroup/Heartbeat, classic-driver.ts)
 * and KIP-848's (ConsumerGroupHeartbeat, consumer-driver.ts).
 */
import type { Broker } from "../cluster/index.js";
import type { InstrumentationEmitter } from "../instrumentation.js";
import type { Logger } from "../logger.js";
import type { MemberIdentity } from "./offsets.js";

export interface GroupDriver {
  /** Joins and receives the first assignment (the session's addPartitions has run when it resolves). */
  start(): Promise<void>;
  /** Leaves the group (or, for static members, lets the session expire) after the session stopped consuming. */
  stop(): Promise<void>;
  /** The identity commits carry right now. */
  identity(): MemberIdentity;
  /** KIP-848 members must send their epoch with OffsetFetch; classic ones send nothing. */
  offsetFetchIdentity(): { memberId: string | null; memberEpoch: number };
  /** A heartbeat now if the interval has passed (the payloads' heartbeat()). Never throws. */
  heartbeatIfDue(): Promise<void>;
  /** A commit failed with a group error: rejoin (or not) as the protocol requires. */
  onCommitError(code: number, generationUsed: number): void;
  coordinator(): Promise<Broker>;
  forgetCoordinator(): void;
  /** Metadata of a subscribed topic changed its partition count. */
  onPartitionCountChange(): void;
  readonly rebalancing: boolean;
}

/** The session's side, used by the drivers. */
export interface DriverHost {
  readonly groupId: string;
  readonly logger: Logger;
  readonly emitter: InstrumentationEmitter;
  isRunning(): boolean;
  /** Subscribed topic names. */
  topics(): string[];
  /** Owned partitions by topic. */
  owned(): Array<{ topic: string; partitions: number[] }>;
  /** Starts consuming these newly assigned partitions (fetches their committed offsets first). */
  addPartitions(partitions: Array<{ topic: string; partitions: number[] }>): Promise<void>;
  /** Stops consuming these partitions: waits for their handlers, commits when `commit`, forgets them. */
  revokePartitions(keys: string[], options: { commit: boolean }): Promise<void>;
  /** The consumer cannot go on: crash (and maybe restart), as KafkaJS does. */
  fail(error: Error): void;
}
