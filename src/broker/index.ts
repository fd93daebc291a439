/** brook/broker: run a Brook broker in-process. */
export { Broker, type BrokerOptions, startBroker, TopicError } from "./broker.js";
export { BrokerConfig, ConfigError } from "./config/config.js";
export { BROKER_CONFIGS, TOPIC_CONFIGS } from "./config/definitions.js";
