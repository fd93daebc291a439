/**
 * brook: the package's main entry, for `import` and `require()` alike (Node's require of ES
 * modules, unflagged since Node 20.19). `import { Kafka } from "brook"` is the KafkaJS-compatible
 * client (producer, consumer, admin); `startBroker` runs a broker in-process and `startTestBroker`
 * one for a test suite.
 */
export * from "./client/index.js";
export { Broker, type BrokerOptions, startBroker, TopicError } from "./broker/index.js";
export { startTestBroker, type TestBroker } from "./testing/index.js";
