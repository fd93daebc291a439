/** DescribeLogDirs (35): the single log dir, each partition's size, and the disk's total and free bytes. */
import { statfsSync } from "node:fs";
import { ErrorCode } from "../../protocol/error-codes.js";
import { DescribeLogDirs } from "../../protocol/messages/describe-log-dirs.js";
import { defineHandler } from "../router.js";

export const describeLogDirsHandler = defineHandler(DescribeLogDirs, (ctx, req) => {
  const { broker } = ctx;
  const wanted = req.topics
    ? req.topics.map((t) => ({ name: t.topic, partitions: t.partitions }))
    : broker
        .topics()
        .map((t) => ({ name: t.name, partitions: Array.from({ length: t.partitions }, (_, i) => i) }));
  const topics = wanted
    .map((w) => ({
      name: w.name,
      partitions: w.partitions.flatMap((p) => {
        const log = broker.partitionLog(w.name, p);
        return log
          ? [
              {
                partitionIndex: p,
                partitionSize: BigInt(log.sizeInBytes()),
                offsetLag: 0n,
                isFutureKey: false,
              },
            ]
          : [];
      }),
    }))
    .filter((t) => t.partitions.length > 0);
  let totalBytes = -1n;
  let usableBytes = -1n;
  try {
    const s = statfsSync(broker.dataDir);
    totalBytes = BigInt(s.blocks) * BigInt(s.bsize);
    usableBytes = BigInt(s.bavail) * BigInt(s.bsize);
  } catch {
    // Unknown sizes stay -1, as Kafka reports them.
  }
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    results: [{ errorCode: ErrorCode.NONE, logDir: broker.dataDir, topics, totalBytes, usableBytes }],
  };
});
