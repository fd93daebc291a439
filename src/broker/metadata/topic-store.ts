/**
 * The cluster metadata a single node keeps: topics (name, id, partition count, config overrides),
 * dynamic broker configs and the cluster id. Kafka keeps this in its KRaft metadata log; Brook keeps
 * it in one JSON document rewritten atomically (write temp file, fsync, rename, fsync directory),
 * which is enough for a single node whose metadata changes rarely.
 */
import { randomUUID } from "node:crypto";
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface TopicRecord {
  name: string;
  id: string;
  partitions: number;
  configs: Record<string, string>;
  createdAt: number;
}

interface Document {
  version: 1;
  clusterId: string;
  nodeId: number;
  topics: TopicRecord[];
  brokerConfigs: Record<string, string>;
  /** This node's own dynamic configs (broker resource "<node id>"); absent in older files. */
  nodeBrokerConfigs?: Record<string, string>;
}

export const METADATA_FILE = "__brook_metadata.json";

/** Kafka-style cluster id: 16 random bytes, base64url without padding (22 characters). */
export function newClusterId(): string {
  return Buffer.from(randomUUID().replace(/-/g, ""), "hex").toString("base64url");
}

export class TopicStore {
  private readonly path: string;
  private doc: Document;
  private readonly byName = new Map<string, TopicRecord>();
  private readonly byId = new Map<string, TopicRecord>();

  private constructor(
    private readonly dir: string,
    doc: Document,
  ) {
    this.path = join(dir, METADATA_FILE);
    this.doc = doc;
    for (const t of doc.topics) this.index(t);
  }

  static open(dir: string, nodeId: number): TopicStore {
    const path = join(dir, METADATA_FILE);
    if (existsSync(path)) {
      const doc = JSON.parse(readFileSync(path, "utf8")) as Document;
      if (doc.version !== 1) throw new Error(`${path}: unsupported metadata version ${doc.version}`);
      return new TopicStore(dir, doc);
    }
    const store = new TopicStore(dir, {
      version: 1,
      clusterId: newClusterId(),
      nodeId,
      topics: [],
      brokerConfigs: {},
    });
    store.persist();
    return store;
  }

  get clusterId(): string {
    return this.doc.clusterId;
  }

  private index(t: TopicRecord): void {
    this.byName.set(t.name, t);
    this.byId.set(t.id, t);
  }

  private persist(): void {
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.doc, null, 1));
    const fd = openSync(tmp, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    const dfd = openSync(this.dir, "r");
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  }

  list(): TopicRecord[] {
    return [...this.doc.topics];
  }

  get(name: string): TopicRecord | undefined {
    return this.byName.get(name);
  }

  getById(id: string): TopicRecord | undefined {
    return this.byId.get(id);
  }

  create(name: string, partitions: number, configs: Record<string, string>): TopicRecord {
    const t: TopicRecord = { name, id: randomUUID(), partitions, configs, createdAt: Date.now() };
    this.doc.topics.push(t);
    this.index(t);
    this.persist();
    return t;
  }

  delete(name: string): TopicRecord | undefined {
    const t = this.byName.get(name);
    if (!t) return undefined;
    this.doc.topics = this.doc.topics.filter((x) => x !== t);
    this.byName.delete(name);
    this.byId.delete(t.id);
    this.persist();
    return t;
  }

  setPartitions(name: string, partitions: number): void {
    const t = this.byName.get(name);
    if (!t) throw new Error(`no topic ${name}`);
    t.partitions = partitions;
    this.persist();
  }

  setConfigs(name: string, configs: Record<string, string>): void {
    const t = this.byName.get(name);
    if (!t) throw new Error(`no topic ${name}`);
    t.configs = configs;
    this.persist();
  }

  /** Dynamic cluster-wide defaults (broker resource ""). */
  get brokerConfigs(): Record<string, string> {
    return { ...this.doc.brokerConfigs };
  }

  setBrokerConfigs(configs: Record<string, string>): void {
    this.doc.brokerConfigs = configs;
    this.persist();
  }

  /** This node's own dynamic configs (broker resource "<node id>"). */
  get nodeBrokerConfigs(): Record<string, string> {
    return { ...this.doc.nodeBrokerConfigs };
  }

  setNodeBrokerConfigs(configs: Record<string, string>): void {
    this.doc.nodeBrokerConfigs = configs;
    this.persist();
  }
}
