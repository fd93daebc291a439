/**
 * The "consumer" embedded protocol: what Kafka consumers put in the opaque `metadata` bytes of
 * JoinGroup (a subscription) and the `assignment` bytes of SyncGroup (an assignment) when the group's
 * protocolType is "consumer". The broker never needs to read them for the classic protocol, but the
 * client does, and the admin APIs (DescribeGroups) show them.
 *
 * Layout: an int16 version, then the struct for that version encoded non-flexibly. Versions 0-3.
 * - Subscription: topics [string], userData nullable bytes; v1+ ownedPartitions [topic, partitions
 *   [int32]]; v2+ generationId int32 (default -1); v3+ rackId nullable string (default null).
 * - Assignment: assignedPartitions [topic, partitions [int32]], userData nullable bytes (all versions).
 *
 * Reading rules:
 * - A version newer than 3 is read with the v3 layout and whatever follows is ignored, as Kafka does,
 *   so a future client can add fields at the end.
 * - Trailing bytes after a known version are ignored too (Kafka does not check for them).
 * - KafkaJS writes only the v0 fields whatever version it announces. A payload that does not parse at
 *   its announced version but parses exactly (no bytes left) as an older version is read as that
 *   older version, with defaults for the missing fields.
 * - An empty assignment (what the coordinator hands a member the leader gave nothing) decodes as an
 *   empty assignment.
 */
import { compileStruct } from "../codec.js";
import { ProtocolError } from "../errors.js";
import { Reader } from "../primitives/reader.js";
import { Writer } from "../primitives/writer.js";
import { type Field, f, type Message } from "../schema.js";

export const CONSUMER_PROTOCOL_TYPE = "consumer";
export const SUBSCRIPTION_MAX_VERSION = 3;
export const ASSIGNMENT_MAX_VERSION = 3;

export const SUBSCRIPTION_FIELDS = [
  f.arrayOf("topics", "string", "0+"),
  f.bytes("userData", "0+", { nullable: "0+", default: null }),
  f.array("ownedPartitions", "1+", [f.string("topic", "1+"), f.arrayOf("partitions", "int32", "1+")]),
  f.int32("generationId", "2+", { default: -1 }),
  f.string("rackId", "3+", { nullable: "3+", default: null }),
] as const;

export const ASSIGNMENT_FIELDS = [
  f.array("assignedPartitions", "0+", [f.string("topic", "0+"), f.arrayOf("partitions", "int32", "0+")]),
  f.bytes("userData", "0+", { nullable: "0+", default: null }),
] as const;

export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

/** A decoded subscription; `version` is the version found on the wire (it may exceed 3). */
export interface Subscription {
  version: number;
  topics: string[];
  userData: Buffer | null;
  ownedPartitions: TopicPartitions[];
  generationId: number;
  rackId: string | null;
}

export interface Assignment {
  version: number;
  assignedPartitions: TopicPartitions[];
  userData: Buffer | null;
}

export interface SubscriptionInput {
  topics: string[];
  userData?: Uint8Array | null;
  /** Written from v1. */
  ownedPartitions?: TopicPartitions[];
  /** Written from v2; -1 when absent. */
  generationId?: number;
  /** Written from v3. */
  rackId?: string | null;
}

export interface AssignmentInput {
  assignedPartitions: TopicPartitions[];
  userData?: Uint8Array | null;
}

// The declarations decode to exactly the interfaces above (checked by the compiler).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Body<F extends readonly Field[]> = Omit<Message<F>, "_unknownTags">;
const subscriptionShape: Same<Body<typeof SUBSCRIPTION_FIELDS>, Omit<Subscription, "version">> = true;
const assignmentShape: Same<Body<typeof ASSIGNMENT_FIELDS>, Omit<Assignment, "version">> = true;
void subscriptionShape;
void assignmentShape;

function encodeVersioned(
  fields: readonly Field[],
  max: number,
  what: string,
  value: object,
  version: number,
): Buffer {
  if (!Number.isInteger(version) || version < 0 || version > max) {
    throw new ProtocolError(
      "unsupported-version",
      `${what} v${version} cannot be written (supported: v0-v${max})`,
    );
  }
  const w = new Writer(64);
  w.int16(version);
  compileStruct(fields, version, false).encode(w, value);
  return w.toBuffer();
}

function decodeVersioned(fields: readonly Field[], max: number, what: string, buf: Buffer): any {
  const r = new Reader(buf);
  const version = r.int16();
  if (version < 0) throw new ProtocolError("unsupported-version", `${what} has negative version ${version}`);
  const known = Math.min(version, max);
  const start = r.pos;
  try {
    return { version, ...compileStruct(fields, known, false).decode(r) };
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    // Only the fields of an older version present, and nothing after them: read as that version.
    for (let v = known - 1; v >= 0; v--) {
      const older = new Reader(buf, start);
      try {
        const body = compileStruct(fields, v, false).decode(older);
        if (older.remaining === 0) return { version, ...body };
      } catch {
        // not this version either
      }
    }
    throw err;
  }
}

/** Encodes JoinGroup metadata for protocolType "consumer". Defaults to the newest version, 3. */
export function encodeSubscription(sub: SubscriptionInput, version = SUBSCRIPTION_MAX_VERSION): Buffer {
  return encodeVersioned(
    SUBSCRIPTION_FIELDS,
    SUBSCRIPTION_MAX_VERSION,
    "ConsumerProtocolSubscription",
    sub,
    version,
  );
}

/** Decodes JoinGroup metadata; throws ProtocolError when it is not a consumer subscription. */
export function decodeSubscription(buf: Buffer): Subscription {
  return decodeVersioned(SUBSCRIPTION_FIELDS, SUBSCRIPTION_MAX_VERSION, "ConsumerProtocolSubscription", buf);
}

/** Encodes SyncGroup assignment bytes. Defaults to the newest version, 3. */
export function encodeAssignment(assignment: AssignmentInput, version = ASSIGNMENT_MAX_VERSION): Buffer {
  return encodeVersioned(
    ASSIGNMENT_FIELDS,
    ASSIGNMENT_MAX_VERSION,
    "ConsumerProtocolAssignment",
    assignment,
    version,
  );
}

/** Decodes SyncGroup assignment bytes; an empty buffer is an empty assignment. */
export function decodeAssignment(buf: Buffer): Assignment {
  if (buf.length === 0) return { version: 0, assignedPartitions: [], userData: null };
  return decodeVersioned(ASSIGNMENT_FIELDS, ASSIGNMENT_MAX_VERSION, "ConsumerProtocolAssignment", buf);
}
