/**
 * Counters the request path keeps whether or not metrics are served: plain numbers in a per-topic
 * object and a per-API array, bumped once per partition or request (never per record). The metrics
 * registry reads them at scrape time. Latency is timed only while a registry installs `onRequest`.
 */

export interface TopicStats {
  bytesIn: number;
  bytesOut: number;
  messagesIn: number;
  totalProduceRequests: number;
  totalFetchRequests: number;
  failedProduceRequests: number;
  failedFetchRequests: number;
}

/** Called after each request with its API key, name and duration in seconds. */
export type RequestObserver = (apiKey: number, apiName: string, seconds: number) => void;

export class BrokerStats {
  private readonly topics = new Map<string, TopicStats>();
  /** Requests handled, by API key. */
  readonly requests: number[] = [];
  /** Names of the API keys seen, for labels. */
  readonly apiNames: string[] = [];
  /** Set while a metrics registry times requests. */
  onRequest: RequestObserver | undefined;

  topic(name: string): TopicStats {
    let t = this.topics.get(name);
    if (!t) {
      t = {
        bytesIn: 0,
        bytesOut: 0,
        messagesIn: 0,
        totalProduceRequests: 0,
        totalFetchRequests: 0,
        failedProduceRequests: 0,
        failedFetchRequests: 0,
      };
      this.topics.set(name, t);
    }
    return t;
  }

  /** A deleted topic's counters go with it (as Kafka removes its BrokerTopicMetrics). */
  removeTopic(name: string): void {
    this.topics.delete(name);
  }

  allTopics(): IterableIterator<[string, TopicStats]> {
    return this.topics.entries();
  }

  countRequest(apiKey: number, apiName: string): void {
    this.requests[apiKey] = (this.requests[apiKey] ?? 0) + 1;
    this.apiNames[apiKey] ??= apiName;
  }
}
