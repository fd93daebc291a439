/** Record batch v2: the header alone (broker hot path) and whole batches with records. */
export * from "./batch-header.js";
export * from "./control.js";
export * from "./record-batch.js";
