/**
 * Child for the crash-mid-clean tests: fills a compacted log (deterministic content) when it is
 * empty, then cleans it and is killed with SIGKILL at a chosen point of the swap ("after-swap-commit",
 * "after-retire") or after a delay ("timer:<ms>"), or lets the clean finish ("none").
 *
 * argv: <dataDir> <point>
 */
import { LogManager, logConfig } from "../../src/storage/index.js";
import { setCleanerHook } from "../../src/storage/cleaner.js";
import { buildBatch } from "./support.js";

const [dataDir, point] = process.argv.slice(2) as [string, string];
const m = await LogManager.open({ dataDir, cleanerOptions: { backoffMs: 1e9 } });
const config = logConfig({
  cleanupPolicy: ["compact"],
  segmentBytes: 16 * 1024,
  indexIntervalBytes: 512,
  fileDeleteDelayMs: 60_000,
  minCleanableDirtyRatio: 0.01,
});
const log = m.get("cc", 0) ?? (await m.create("cc", 0, config, "8d6f0e4e-1b2a-4c3d-9e8f-0a1b2c3d4e5f"));
log.updateConfig(config);
if (log.logEndOffset === 0n) {
  for (let i = 0; i < 1500; i++) {
    const records = [];
    for (let j = 0; j < 2; j++)
      records.push({ key: `key${(i * 2 + j) % 97}`, value: `${i * 2 + j}:${"x".repeat(100)}` });
    await log.append(buildBatch({ records }), { durable: false });
  }
  await log.flush();
}
const kill = () => process.kill(process.pid, "SIGKILL");
if (point.startsWith("timer:")) setTimeout(kill, Number(point.slice(6)));
else if (point !== "none") {
  setCleanerHook((p) => {
    if (p === point) kill();
  });
}
process.stdout.write("cleaning\n");
await m.cleaner!.clean(log, Date.now());
process.stdout.write("cleaned\n");
await m.close();
