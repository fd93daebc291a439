/** brook/protocol: the Kafka wire format, shared by Brook's broker and client. Pure functions over bytes. */
export * from "./errors.js";
export * from "./frame.js";
export * from "./messages/index.js";
export * from "./primitives/reader.js";
export * from "./primitives/writer.js";
export * from "./compression/index.js";
export * from "./records/index.js";
export * from "./schema.js";
export * from "./embedded/consumer-protocol.js";
export * from "./error-codes.js";
export * from "./murmur2.js";
