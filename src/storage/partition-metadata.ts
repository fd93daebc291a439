/** `partition.metadata`: "version: 0\ntopic_id: <id>\n", the id in Kafka's form (base64url, 22 chars). */
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { PARTITION_METADATA, writeFileAtomic } from "./files.js";

/** Kafka's Uuid.toString(): 16 bytes, URL-safe base64 without padding. Accepts that form or a dashed/hex UUID. */
export function kafkaTopicId(id: string): string {
  const hex = id.replace(/-/g, "");
  if (/^[0-9a-fA-F]{32}$/.test(hex)) return Buffer.from(hex, "hex").toString("base64url");
  if (/^[A-Za-z0-9_-]{22}$/.test(id)) return id;
  throw new Error(`not a topic id: ${JSON.stringify(id)}`);
}

/** The dashed UUID form of a Kafka topic id. */
export function uuidFromKafkaTopicId(id: string): string {
  const h = Buffer.from(id, "base64url").toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export async function writePartitionMetadata(dir: string, topicId: string): Promise<void> {
  await writeFileAtomic(
    join(dir, PARTITION_METADATA),
    `version: 0\ntopic_id: ${kafkaTopicId(topicId)}\n`,
    dir,
  );
}

/** The topic id (Kafka form) from partition.metadata, or undefined when missing or unreadable. */
export async function readPartitionMetadata(dir: string): Promise<string | undefined> {
  try {
    const text = await fsp.readFile(join(dir, PARTITION_METADATA), "utf8");
    const m = /^topic_id: ?(\S+)$/m.exec(text);
    return m?.[1];
  } catch {
    return undefined;
  }
}
