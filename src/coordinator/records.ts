/**
 * The records the group coordinator writes to `__consumer_offsets`, in Kafka's own layout so a Kafka
 * tool reading the topic (or Kafka reading Brook's data dir) sees the same thing.
 *
 * Every record has a key and a value:
 * - key   = int16 record type, then the key struct for that type (never flexible);
 * - value = int16 value version, then the value struct at that version; a null value is a tombstone.
 *
 * Record types (protocol-notes section g; Kafka's group-coordinator message specs):
 * - 0, 1  offset commit        key {group, topic, partition}; value OffsetCommitValue v0-4
 * - 2     classic group        key {group};                  value GroupMetadataValue v0-4
 * - 3     consumer group epoch key {groupId};                value {epoch} (flexible v0)
 * - 4     subscription metadata (KIP-848, dropped in Kafka 4.1): read and ignored
 * - 5     consumer group member key {groupId, memberId};     value member metadata
 * - 6     target assignment epoch key {groupId};             value {assignmentEpoch}
 * - 7     target assignment of a member key {groupId, memberId}; value {topicPartitions}
 * - 8     current assignment of a member key {groupId, memberId}; value epochs, state, partitions
 *
 * What Brook writes: offset commits with key type 1 and value v3 (v1 when an expire timestamp is
 * given, which only OffsetCommit v2-v4 with a retention time can ask for), classic groups with value
 * v3, consumer-group records at v0 — the versions Kafka 4.x writes. Every version listed is read.
 */
import { compileStruct } from "../protocol/codec.js";
import { ProtocolError } from "../protocol/errors.js";
import { Reader } from "../protocol/primitives/reader.js";
import { Writer } from "../protocol/primitives/writer.js";
import { type Field, f, type Message } from "../protocol/schema.js";

export const RecordType = {
  LEGACY_OFFSET_COMMIT: 0,
  OFFSET_COMMIT: 1,
  GROUP_METADATA: 2,
  CONSUMER_GROUP_METADATA: 3,
  CONSUMER_GROUP_PARTITION_METADATA: 4,
  CONSUMER_GROUP_MEMBER_METADATA: 5,
  CONSUMER_GROUP_TARGET_ASSIGNMENT_METADATA: 6,
  CONSUMER_GROUP_TARGET_ASSIGNMENT_MEMBER: 7,
  CONSUMER_GROUP_CURRENT_MEMBER_ASSIGNMENT: 8,
} as const;

// ---- declarations (Brook's DSL; version ranges follow Kafka's specs)

const OFFSET_COMMIT_KEY = [
  f.string("group", "0+"),
  f.string("topic", "0+"),
  f.int32("partition", "0+"),
] as const;

const GROUP_KEY = [f.string("group", "0+")] as const;

const OFFSET_COMMIT_VALUE = [
  f.int64("offset", "0+"),
  f.int32("leaderEpoch", "3+", { default: -1 }),
  f.string("metadata", "0+"),
  f.int64("commitTimestamp", "0+"),
  f.int64("expireTimestamp", "1", { default: -1 }),
] as const;
const OFFSET_COMMIT_VALUE_FLEXIBLE_FROM = 4;

const GROUP_METADATA_VALUE = [
  f.string("protocolType", "0+"),
  f.int32("generation", "0+"),
  f.string("protocol", "0+", { nullable: "0+" }),
  f.string("leader", "0+", { nullable: "0+" }),
  f.int64("currentStateTimestamp", "2+", { default: -1 }),
  f.array("members", "0+", [
    f.string("memberId", "0+"),
    f.string("groupInstanceId", "3+", { nullable: "3+", default: null }),
    f.string("clientId", "0+"),
    f.string("clientHost", "0+"),
    f.int32("rebalanceTimeout", "1+"),
    f.int32("sessionTimeout", "0+"),
    f.bytes("subscription", "0+"),
    f.bytes("assignment", "0+"),
  ]),
] as const;
const GROUP_METADATA_VALUE_FLEXIBLE_FROM = 4;

const CONSUMER_GROUP_KEY = [f.string("groupId", "0+")] as const;
const CONSUMER_MEMBER_KEY = [f.string("groupId", "0+"), f.string("memberId", "0+")] as const;

const CONSUMER_GROUP_METADATA_VALUE = [f.int32("epoch", "0+")] as const;

const CONSUMER_MEMBER_METADATA_VALUE = [
  f.string("instanceId", "0+", { nullable: "0+", default: null }),
  f.string("rackId", "0+", { nullable: "0+", default: null }),
  f.string("clientId", "0+"),
  f.string("clientHost", "0+"),
  f.arrayOf("subscribedTopicNames", "string", "0+"),
  f.string("subscribedTopicRegex", "0+", { nullable: "0+", default: null }),
  f.int32("rebalanceTimeoutMs", "0+", { default: -1 }),
  f.string("serverAssignor", "0+", { nullable: "0+", default: null }),
] as const;

const TOPIC_PARTITIONS = [f.uuid("topicId", "0+"), f.arrayOf("partitions", "int32", "0+")] as const;

const TARGET_ASSIGNMENT_METADATA_VALUE = [f.int32("assignmentEpoch", "0+")] as const;
const TARGET_ASSIGNMENT_MEMBER_VALUE = [f.array("topicPartitions", "0+", TOPIC_PARTITIONS)] as const;
const CURRENT_MEMBER_ASSIGNMENT_VALUE = [
  f.int32("memberEpoch", "0+"),
  f.int32("previousMemberEpoch", "0+"),
  f.int8("state", "0+"),
  f.array("assignedPartitions", "0+", TOPIC_PARTITIONS),
  f.array("partitionsPendingRevocation", "0+", TOPIC_PARTITIONS),
] as const;

type Body<F extends readonly Field[]> = Omit<Message<F>, "_unknownTags">;

export type OffsetCommitValue = Body<typeof OFFSET_COMMIT_VALUE>;
export type GroupMetadataValue = Body<typeof GROUP_METADATA_VALUE>;
export type GroupMetadataMember = GroupMetadataValue["members"][number];
export type ConsumerMemberMetadataValue = Body<typeof CONSUMER_MEMBER_METADATA_VALUE>;
export type TopicPartitionsValue = Body<typeof TOPIC_PARTITIONS>;
export type CurrentMemberAssignmentValue = Body<typeof CURRENT_MEMBER_ASSIGNMENT_VALUE>;

/** A key and value ready to go into a record batch; `value === null` is a tombstone. */
export interface CoordinatorRecord {
  key: Buffer;
  value: Buffer | null;
}

/** A record read back from the log. */
export type DecodedCoordinatorRecord =
  | { type: "offset"; group: string; topic: string; partition: number; value: OffsetCommitValue | null }
  | { type: "group"; group: string; value: GroupMetadataValue | null }
  | { type: "consumer-group"; group: string; epoch: number | null }
  | { type: "consumer-member"; group: string; memberId: string; value: ConsumerMemberMetadataValue | null }
  | { type: "target-epoch"; group: string; assignmentEpoch: number | null }
  | { type: "target-member"; group: string; memberId: string; partitions: TopicPartitionsValue[] | null }
  | {
      type: "current-member";
      group: string;
      memberId: string;
      value: CurrentMemberAssignmentValue | null;
    }
  | { type: "ignored"; recordType: number };

// ---- encoding

function encodeKey(type: number, fields: readonly Field[], body: object): Buffer {
  const w = new Writer(64);
  w.int16(type);
  compileStruct(fields, 0, false).encode(w, body);
  return w.toBuffer();
}

function encodeValue(fields: readonly Field[], version: number, flexible: boolean, body: object): Buffer {
  const w = new Writer(128);
  w.int16(version);
  compileStruct(fields, version, flexible).encode(w, body);
  return w.toBuffer();
}

export function offsetCommitKey(group: string, topic: string, partition: number): Buffer {
  return encodeKey(RecordType.OFFSET_COMMIT, OFFSET_COMMIT_KEY, { group, topic, partition });
}

export function offsetCommitRecord(
  group: string,
  topic: string,
  partition: number,
  v: {
    offset: bigint;
    leaderEpoch: number;
    metadata: string;
    commitTimestamp: number;
    expireTimestamp: number | null;
  },
): CoordinatorRecord {
  const version = v.expireTimestamp !== null ? 1 : 3;
  return {
    key: offsetCommitKey(group, topic, partition),
    value: encodeValue(OFFSET_COMMIT_VALUE, version, false, {
      offset: v.offset,
      leaderEpoch: v.leaderEpoch,
      metadata: v.metadata,
      commitTimestamp: BigInt(v.commitTimestamp),
      expireTimestamp: BigInt(v.expireTimestamp ?? -1),
    }),
  };
}

export function offsetCommitTombstone(group: string, topic: string, partition: number): CoordinatorRecord {
  return { key: offsetCommitKey(group, topic, partition), value: null };
}

export function groupMetadataKey(group: string): Buffer {
  return encodeKey(RecordType.GROUP_METADATA, GROUP_KEY, { group });
}

export function groupMetadataRecord(
  group: string,
  v: {
    protocolType: string;
    generation: number;
    protocol: string | null;
    leader: string | null;
    currentStateTimestamp: number;
    members: Array<{
      memberId: string;
      groupInstanceId: string | null;
      clientId: string;
      clientHost: string;
      rebalanceTimeout: number;
      sessionTimeout: number;
      subscription: Buffer;
      assignment: Buffer;
    }>;
  },
): CoordinatorRecord {
  return {
    key: groupMetadataKey(group),
    value: encodeValue(GROUP_METADATA_VALUE, 3, false, {
      ...v,
      currentStateTimestamp: BigInt(v.currentStateTimestamp),
    }),
  };
}

export function groupMetadataTombstone(group: string): CoordinatorRecord {
  return { key: groupMetadataKey(group), value: null };
}

const flexibleV0 = (fields: readonly Field[], body: object): Buffer => encodeValue(fields, 0, true, body);

export function consumerGroupEpochRecord(group: string, epoch: number | null): CoordinatorRecord {
  return {
    key: encodeKey(RecordType.CONSUMER_GROUP_METADATA, CONSUMER_GROUP_KEY, { groupId: group }),
    value: epoch === null ? null : flexibleV0(CONSUMER_GROUP_METADATA_VALUE, { epoch }),
  };
}

export function consumerMemberRecord(
  group: string,
  memberId: string,
  v: ConsumerMemberMetadataValue | null,
): CoordinatorRecord {
  return {
    key: encodeKey(RecordType.CONSUMER_GROUP_MEMBER_METADATA, CONSUMER_MEMBER_KEY, {
      groupId: group,
      memberId,
    }),
    value: v === null ? null : flexibleV0(CONSUMER_MEMBER_METADATA_VALUE, v),
  };
}

export function targetAssignmentEpochRecord(
  group: string,
  assignmentEpoch: number | null,
): CoordinatorRecord {
  return {
    key: encodeKey(RecordType.CONSUMER_GROUP_TARGET_ASSIGNMENT_METADATA, CONSUMER_GROUP_KEY, {
      groupId: group,
    }),
    value:
      assignmentEpoch === null ? null : flexibleV0(TARGET_ASSIGNMENT_METADATA_VALUE, { assignmentEpoch }),
  };
}

export function targetAssignmentMemberRecord(
  group: string,
  memberId: string,
  topicPartitions: TopicPartitionsValue[] | null,
): CoordinatorRecord {
  return {
    key: encodeKey(RecordType.CONSUMER_GROUP_TARGET_ASSIGNMENT_MEMBER, CONSUMER_MEMBER_KEY, {
      groupId: group,
      memberId,
    }),
    value: topicPartitions === null ? null : flexibleV0(TARGET_ASSIGNMENT_MEMBER_VALUE, { topicPartitions }),
  };
}

export function currentMemberAssignmentRecord(
  group: string,
  memberId: string,
  v: CurrentMemberAssignmentValue | null,
): CoordinatorRecord {
  return {
    key: encodeKey(RecordType.CONSUMER_GROUP_CURRENT_MEMBER_ASSIGNMENT, CONSUMER_MEMBER_KEY, {
      groupId: group,
      memberId,
    }),
    value: v === null ? null : flexibleV0(CURRENT_MEMBER_ASSIGNMENT_VALUE, v),
  };
}

// ---- decoding

function decodeStruct(fields: readonly Field[], version: number, flexible: boolean, r: Reader): any {
  const v = compileStruct(fields, version, flexible).decode(r);
  delete v._unknownTags;
  return v;
}

function valueVersion(buf: Buffer, max: number, what: string): { version: number; r: Reader } {
  const r = new Reader(buf);
  const version = r.int16();
  if (version < 0 || version > max) {
    throw new ProtocolError("unsupported-version", `${what} value version ${version} is not known`);
  }
  return { version, r };
}

/** Decodes a `__consumer_offsets` record. Throws ProtocolError on bytes that are not a known record. */
export function decodeCoordinatorRecord(key: Buffer, value: Buffer | null): DecodedCoordinatorRecord {
  const kr = new Reader(key);
  const type = kr.int16();
  switch (type) {
    case RecordType.LEGACY_OFFSET_COMMIT:
    case RecordType.OFFSET_COMMIT: {
      const k = decodeStruct(OFFSET_COMMIT_KEY, 0, false, kr);
      let v: OffsetCommitValue | null = null;
      if (value) {
        const { version, r } = valueVersion(value, 4, "OffsetCommit");
        v = decodeStruct(OFFSET_COMMIT_VALUE, version, version >= OFFSET_COMMIT_VALUE_FLEXIBLE_FROM, r);
      }
      return { type: "offset", group: k.group, topic: k.topic, partition: k.partition, value: v };
    }
    case RecordType.GROUP_METADATA: {
      const k = decodeStruct(GROUP_KEY, 0, false, kr);
      let v: GroupMetadataValue | null = null;
      if (value) {
        const { version, r } = valueVersion(value, 4, "GroupMetadata");
        v = decodeStruct(GROUP_METADATA_VALUE, version, version >= GROUP_METADATA_VALUE_FLEXIBLE_FROM, r);
      }
      return { type: "group", group: k.group, value: v };
    }
    case RecordType.CONSUMER_GROUP_METADATA: {
      const k = decodeStruct(CONSUMER_GROUP_KEY, 0, false, kr);
      const v = value
        ? decodeStruct(
            CONSUMER_GROUP_METADATA_VALUE,
            0,
            true,
            valueVersion(value, 0, "ConsumerGroupMetadata").r,
          )
        : null;
      return { type: "consumer-group", group: k.groupId, epoch: v ? v.epoch : null };
    }
    case RecordType.CONSUMER_GROUP_MEMBER_METADATA: {
      const k = decodeStruct(CONSUMER_MEMBER_KEY, 0, false, kr);
      const v = value
        ? decodeStruct(
            CONSUMER_MEMBER_METADATA_VALUE,
            0,
            true,
            valueVersion(value, 0, "ConsumerGroupMember").r,
          )
        : null;
      return { type: "consumer-member", group: k.groupId, memberId: k.memberId, value: v };
    }
    case RecordType.CONSUMER_GROUP_TARGET_ASSIGNMENT_METADATA: {
      const k = decodeStruct(CONSUMER_GROUP_KEY, 0, false, kr);
      const v = value
        ? decodeStruct(
            TARGET_ASSIGNMENT_METADATA_VALUE,
            0,
            true,
            valueVersion(value, 0, "TargetAssignment").r,
          )
        : null;
      return { type: "target-epoch", group: k.groupId, assignmentEpoch: v ? v.assignmentEpoch : null };
    }
    case RecordType.CONSUMER_GROUP_TARGET_ASSIGNMENT_MEMBER: {
      const k = decodeStruct(CONSUMER_MEMBER_KEY, 0, false, kr);
      const v = value
        ? decodeStruct(TARGET_ASSIGNMENT_MEMBER_VALUE, 0, true, valueVersion(value, 0, "TargetMember").r)
        : null;
      return {
        type: "target-member",
        group: k.groupId,
        memberId: k.memberId,
        partitions: v ? v.topicPartitions : null,
      };
    }
    case RecordType.CONSUMER_GROUP_CURRENT_MEMBER_ASSIGNMENT: {
      const k = decodeStruct(CONSUMER_MEMBER_KEY, 0, false, kr);
      const v = value
        ? decodeStruct(
            CURRENT_MEMBER_ASSIGNMENT_VALUE,
            0,
            true,
            valueVersion(value, 0, "CurrentAssignment").r,
          )
        : null;
      return { type: "current-member", group: k.groupId, memberId: k.memberId, value: v };
    }
    default:
      // Type 4 (KIP-848 subscription metadata, no longer written by Kafka 4.1), share and streams
      // group records: nothing Brook keeps.
      return { type: "ignored", recordType: type };
  }
}
