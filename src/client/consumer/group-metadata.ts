/**
 * The consumer group metadata a transactional producer puts into TxnOffsetCommit (KIP-447), and the
 * in-process directory of running consumers the producer finds it in.
 *
 * With the member id, generation and instance id of the consumer that read the input, the group
 * coordinator refuses a transactional offset commit from a member that is no longer part of the
 * group's current generation (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID), so a
 * consumer that lost its partitions while it was stalled cannot commit output for them.
 *
 * The directory lives on globalThis under a registered symbol, so two copies of this module loaded
 * in one process (the built package next to the sources, say) still see each other's consumers.
 */
import { ErrorCode } from "../../protocol/error-codes.js";

/** Java's ConsumerGroupMetadata: who the consumer is in its group right now. */
export interface ConsumerGroupMetadata {
  groupId: string;
  /** The classic group's generation, or the KIP-848 member epoch; -1 before the first join. */
  generationId: number;
  /** "" before the first join. */
  memberId: string;
  groupInstanceId: string | null;
}

/** What `transaction.sendOffsets({ consumer })` accepts: Brook's consumer, or anything like it. */
export interface GroupMetadataProvider {
  groupMetadata(): ConsumerGroupMetadata;
}

/** A running consumer as the directory knows it. */
export interface GroupMember extends GroupMetadataProvider {
  readonly groupId: string;
  /** Whether the partition is assigned to this consumer and not being given up. */
  owns(topic: string, partition: number): boolean;
  /**
   * The coordinator refused a transactional commit made with `used`: the consumer reacts as to a
   * refused OffsetCommit (rejoins, dropping its partitions without committing).
   */
  fenced(code: number, used: ConsumerGroupMetadata): void;
}

interface Directory {
  byGroup: Map<string, Set<GroupMember>>;
  byConsumer: WeakMap<object, GroupMember>;
}

const KEY = Symbol.for("brook.client.consumer-groups");

function directory(): Directory {
  const g = globalThis as { [KEY]?: Directory };
  g[KEY] ??= { byGroup: new Map(), byConsumer: new WeakMap() };
  return g[KEY];
}

/** Lists a running consumer (`consumer` is the object the application holds); returns the removal. */
export function registerGroupMember(consumer: object, member: GroupMember): () => void {
  const dir = directory();
  let set = dir.byGroup.get(member.groupId);
  if (!set) dir.byGroup.set(member.groupId, (set = new Set()));
  set.add(member);
  dir.byConsumer.set(consumer, member);
  return () => {
    const current = dir.byGroup.get(member.groupId);
    current?.delete(member);
    if (current?.size === 0) dir.byGroup.delete(member.groupId);
    if (dir.byConsumer.get(consumer) === member) dir.byConsumer.delete(consumer);
  };
}

/** The running member behind a consumer object, if it is one of Brook's and is running. */
export function memberOf(consumer: object): GroupMember | undefined {
  return directory().byConsumer.get(consumer);
}

/**
 * The running consumer of `groupId` in this process that the offsets belong to: the one owning every
 * partition named, else the only consumer of the group. Null when there is none, or when several
 * could be meant (then the caller should pass the consumer itself).
 */
export function findGroupMember(
  groupId: string,
  partitions: Array<{ topic: string; partition: number }>,
): GroupMember | null {
  const members = [...(directory().byGroup.get(groupId) ?? [])];
  if (members.length === 0) return null;
  const owners = members.filter((m) => partitions.every(({ topic, partition }) => m.owns(topic, partition)));
  if (owners.length === 1) return owners[0]!;
  return members.length === 1 ? members[0]! : null;
}

/** Whether the metadata says anything (a consumer that has joined its group at least once). */
export function hasGeneration(m: ConsumerGroupMetadata): boolean {
  return m.generationId >= 0 || m.memberId !== "" || m.groupInstanceId !== null;
}

/** The coordinator's answers to a commit from a member that is not in the current generation. */
export const GROUP_FENCING_CODES: ReadonlySet<number> = new Set([
  ErrorCode.ILLEGAL_GENERATION,
  ErrorCode.UNKNOWN_MEMBER_ID,
  ErrorCode.FENCED_INSTANCE_ID,
  ErrorCode.STALE_MEMBER_EPOCH,
  ErrorCode.FENCED_MEMBER_EPOCH,
]);

/** Whether an error (or what it wraps) is a group fencing error from the coordinator. */
export function isGroupFencingError(e: unknown): boolean {
  let err: unknown = e;
  for (let depth = 0; depth < 5 && typeof err === "object" && err !== null; depth++) {
    const { code, cause } = err as { code?: unknown; cause?: unknown };
    if (typeof code === "number" && GROUP_FENCING_CODES.has(code)) return true;
    err = cause;
  }
  return false;
}
