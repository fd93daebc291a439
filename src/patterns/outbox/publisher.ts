/**
 * The Kafka side of the outbox relay. Every relay batch is one Kafka transaction holding the
 * batch's records and an offset commit that records the relay's progress (a WAL position in
 * logical mode, a batch number in polling mode) for the group `outbox-relay.<relayId>` on a
 * one-partition state topic. Records and progress therefore become visible together or not at
 * all, and a restarted relay reads the progress back to skip what is already in Kafka: a relay
 * crash duplicates nothing for read_committed consumers. The transactional id is stable per relay,
 * so a restarted relay fences its predecessor and aborts the transaction it left open.
 */

/** A record as the relay hands it to Kafka. */
export interface OutboxMessage {
  key: string;
  value: string | null;
  headers: Record<string, string>;
}

/** What the relay needs of a Brook (or KafkaJS) Kafka instance. */
export interface OutboxKafka {
  producer(config: {
    transactionalId: string;
    idempotent: boolean;
    maxInFlightRequests: number;
  }): OutboxProducer;
  admin(): OutboxAdmin;
}

export interface OutboxProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  transaction(): Promise<OutboxTransaction>;
}

export interface OutboxTransaction {
  sendBatch(batch: { topicMessages: Array<{ topic: string; messages: OutboxMessage[] }> }): Promise<unknown>;
  sendOffsets(offsets: {
    consumerGroupId: string;
    topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>;
  }): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

export interface OutboxAdmin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  createTopics(options: {
    topics: Array<{ topic: string; numPartitions?: number }>;
    waitForLeaders?: boolean;
  }): Promise<boolean>;
  fetchOffsets(options: {
    groupId: string;
    topics: string[];
  }): Promise<Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>>;
}

export interface PublisherOptions {
  kafka: OutboxKafka;
  relayId: string;
  stateTopic: string;
  /** Create target topics the relay has not seen yet (default true). */
  createTopics: boolean;
  /** Partitions of the topics it creates (default: the broker's default). */
  numPartitions?: number;
}

export class OutboxPublisher {
  readonly groupId: string;
  private admin: OutboxAdmin | null = null;
  private producer: OutboxProducer | null = null;
  private readonly knownTopics = new Set<string>();

  constructor(private readonly options: PublisherOptions) {
    this.groupId = `outbox-relay.${options.relayId}`;
  }

  /** Connects (again, after reset) and makes sure the state topic exists. */
  async open(): Promise<void> {
    if (!this.admin) {
      const admin = this.options.kafka.admin();
      await admin.connect();
      this.admin = admin;
      await this.ensureTopics([this.options.stateTopic], 1);
    }
    if (!this.producer) {
      const producer = this.options.kafka.producer({
        transactionalId: this.groupId,
        idempotent: true,
        maxInFlightRequests: 1,
      });
      await producer.connect();
      this.producer = producer;
    }
  }

  /** The progress recorded by the last committed batch, -1 when there is none. */
  async committed(): Promise<bigint> {
    await this.open();
    const [entry] = await this.admin!.fetchOffsets({
      groupId: this.groupId,
      topics: [this.options.stateTopic],
    });
    const offset = entry?.partitions.find((p) => p.partition === 0)?.offset ?? "-1";
    return BigInt(offset);
  }

  /** Publishes `messages` in order and records `progress`, in one Kafka transaction. */
  async publish(messages: Array<{ topic: string; message: OutboxMessage }>, progress: bigint): Promise<void> {
    await this.open();
    const byTopic = new Map<string, OutboxMessage[]>();
    for (const { topic, message } of messages) {
      let list = byTopic.get(topic);
      if (!list) byTopic.set(topic, (list = []));
      list.push(message);
    }
    if (this.options.createTopics) {
      await this.ensureTopics(
        [...byTopic.keys()].filter((t) => !this.knownTopics.has(t)),
        this.options.numPartitions,
      );
    }
    const tx = await this.producer!.transaction();
    try {
      if (byTopic.size > 0) {
        await tx.sendBatch({
          topicMessages: [...byTopic].map(([topic, list]) => ({ topic, messages: list })),
        });
      }
      await tx.sendOffsets({
        consumerGroupId: this.groupId,
        topics: [
          { topic: this.options.stateTopic, partitions: [{ partition: 0, offset: progress.toString() }] },
        ],
      });
      await tx.commit();
    } catch (e) {
      await tx.abort().catch(() => {});
      throw e;
    }
  }

  /** Drops the producer after an error: the next open() starts a new one, which fences the old. */
  async reset(): Promise<void> {
    const producer = this.producer;
    this.producer = null;
    await producer?.disconnect().catch(() => {});
  }

  async close(): Promise<void> {
    await this.reset();
    const admin = this.admin;
    this.admin = null;
    await admin?.disconnect().catch(() => {});
  }

  private async ensureTopics(topics: string[], numPartitions: number | undefined): Promise<void> {
    if (topics.length === 0) return;
    await this.admin!.createTopics({
      topics: topics.map((topic) => (numPartitions === undefined ? { topic } : { topic, numPartitions })),
      waitForLeaders: true,
    });
    for (const t of topics) this.knownTopics.add(t);
  }
}
