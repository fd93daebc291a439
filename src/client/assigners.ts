/**
 * The consumer-group assignment plug-in surface of KafkaJS: `AssignerProtocol` (the bytes a member
 * puts in JoinGroup metadata and the leader puts in SyncGroup assignments) and
 * `PartitionAssigners.roundRobin`. Bytes and assignments equal KafkaJS's for the same input, so
 * Brook and KafkaJS consumers can share a group.
 */
import {
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
} from "../protocol/embedded/consumer-protocol.js";
import type {
  Assigner,
  Assignment,
  GroupMemberAssignment,
  ISerializer,
  MemberAssignment,
  MemberMetadata,
  PartitionAssigner,
} from "./types.js";

/**
 * KafkaJS writes the version-0 layout whatever version it announces, and custom assigners rely on
 * that (they put their own version number there). So: encode as v0, then stamp the caller's version.
 */
function stampVersion(bytes: Buffer, version: number): Buffer {
  bytes.writeInt16BE(version, 0);
  return bytes;
}

const MemberMetadataSerializer: ISerializer<MemberMetadata> = {
  encode({ version, topics, userData = Buffer.alloc(0) }) {
    return stampVersion(encodeSubscription({ topics, userData }, 0), version);
  },
  decode(buffer) {
    const { version, topics, userData } = decodeSubscription(buffer);
    return { version, topics, userData: userData as Buffer };
  },
};

const MemberAssignmentSerializer: ISerializer<MemberAssignment> = {
  encode({ version, assignment, userData = Buffer.alloc(0) }) {
    const assignedPartitions = Object.keys(assignment).map((topic) => ({
      topic,
      partitions: assignment[topic]!,
    }));
    return stampVersion(encodeAssignment({ assignedPartitions, userData }, 0), version);
  },
  decode(buffer) {
    // Too short for a version: KafkaJS answers null (the member was given nothing).
    if (buffer.length < 2) return null;
    const { version, assignedPartitions, userData } = decodeAssignment(buffer);
    const assignment: Assignment = {};
    for (const { topic, partitions } of assignedPartitions) assignment[topic] = partitions;
    return { version, assignment, userData: userData as Buffer };
  },
};

export const AssignerProtocol: {
  MemberMetadata: ISerializer<MemberMetadata>;
  MemberAssignment: ISerializer<MemberAssignment>;
} = {
  MemberMetadata: MemberMetadataSerializer,
  MemberAssignment: MemberAssignmentSerializer,
};

/**
 * Deals every partition of every subscribed topic (topics in the order given, partitions in metadata
 * order) to the members sorted by id, one at a time, as KafkaJS's RoundRobinAssigner does. Members
 * left without partitions are not in the result, as with KafkaJS.
 */
const roundRobin: PartitionAssigner = ({ cluster }) => {
  const assigner: Assigner = {
    name: "RoundRobinAssigner",
    version: 0,

    async assign({ members, topics }) {
      const memberIds = members.map((m) => m.memberId).sort();
      const partitions = topics.flatMap((topic) =>
        cluster.findTopicPartitionMetadata(topic).map((p) => ({ topic, partition: p.partitionId })),
      );

      // Plain objects rather than Maps: their key order (integer-like keys first) decides the order
      // of members in the result and of topics in the bytes, and must be KafkaJS's.
      const byMember: Record<string, Assignment> = Object.create(null);
      partitions.forEach(({ topic, partition }, i) => {
        const memberId = memberIds[i % memberIds.length]!;
        const own = (byMember[memberId] ??= Object.create(null) as Assignment);
        (own[topic] ??= []).push(partition);
      });

      return Object.keys(byMember).map(
        (memberId): GroupMemberAssignment => ({
          memberId,
          memberAssignment: AssignerProtocol.MemberAssignment.encode({
            version: assigner.version,
            assignment: byMember[memberId]!,
            userData: Buffer.alloc(0),
          }),
        }),
      );
    },

    protocol({ topics }) {
      return {
        name: assigner.name,
        metadata: AssignerProtocol.MemberMetadata.encode({
          version: assigner.version,
          topics,
          userData: Buffer.alloc(0),
        }),
      };
    },
  };
  return assigner;
};

export const PartitionAssigners: { roundRobin: PartitionAssigner } = { roundRobin };
