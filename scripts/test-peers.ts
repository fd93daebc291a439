/**
 * Installs the client peers that some tests drive but Brook does not depend on: node-rdkafka (with
 * its bundled librdkafka 2.12, which reads KIP-467 record errors and speaks KIP-848; Debian's kcat
 * carries librdkafka 2.0). Built once into BROOK_BENCH_CACHE (default .bench-cache/), where the
 * benches find it too. `.ci/run` calls this; on a developer machine the tests that need it skip
 * with a message until it is run: `node --import tsx scripts/test-peers.ts`.
 */
import { nodeRdkafka } from "../bench/peers.js";

const started = Date.now();
const { moduleDir, version } = await nodeRdkafka((line) => console.log(`test-peers: ${line}`));
console.log(`test-peers: node-rdkafka ${version} at ${moduleDir} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
