export { type BrokerRegistry, createBrokerRegistry, FLUSH_BUCKETS, REQUEST_BUCKETS } from "./registry.js";
export { MetricsListenError, type MetricsServer, startMetricsServer } from "./server.js";
export { BrokerStats, type RequestObserver, type TopicStats } from "./stats.js";
