/**
 * brook: the package's main entry, for `import` and `require()` alike (Node's require of ES
 * modules, unflagged since Node 20.19). It starts a broker in-process, or one for a test suite.
 * The KafkaJS-compatible client (`import { Kafka } from "brook"`) is not in this release yet:
 * until it is, use KafkaJS or any Kafka client against the broker.
 */
export { Broker, type BrokerOptions, startBroker, TopicError } from "./broker/index.js";
export { startTestBroker, type TestBroker } from "./testing/index.js";
