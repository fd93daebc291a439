/**
 * Installs the client peers that some tests drive but Brook does not depend on: node-rdkafka (with
 * its bundled librdkafka 2.12, which reads KIP-467 record errors and speaks KIP-848; Debian's kcat
 * carries librdkafka 2.0), and Node 22 and 24 (npm's `node` packages) to run the client under the
 * other supported Node versions. Built once into BROOK_BENCH_CACHE (default .bench-cache/), where
 * the benches find them too. `.ci/run` calls this; on a developer machine the tests that need them
 * skip with a message until it is run: `node --import tsx scripts/test-peers.ts`.
 */
import { nodeBinary, nodeRdkafka } from "../bench/peers.js";

const log = (line: string) => console.log(`test-peers: ${line}`);
let failed = 0;
for (const major of [22, 24] as const) {
  try {
    const { path, version } = await nodeBinary(major, log);
    log(`node ${version} at ${path}`);
  } catch (e) {
    failed++;
    log(`WARNING: node@${major} unavailable: ${(e as Error).message}`);
  }
}
const started = Date.now();
const { moduleDir, version } = await nodeRdkafka(log);
log(`node-rdkafka ${version} at ${moduleDir} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
if (failed > 0) process.exitCode = 1;
