/** Record batch v2: the header alone (broker hot path), records, whole batches, control records. */
export * from "./batch-header.js";
export * from "./control.js";
export * from "./legacy-message-set.js";
export * from "./record.js";
export * from "./record-batch.js";
