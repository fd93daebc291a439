/**
 * The client under the other Node versions Brook supports (22 and 24; this test process is the
 * repo's Node, 20 in CI): produce with all four codecs and idempotence, admin and consume, against a
 * Brook broker. The Node binaries come from npm's `node` packages, installed by
 * `node --import tsx scripts/test-peers.ts` (`.ci/run` does it); without them the test skips.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CACHE = process.env.BROOK_BENCH_CACHE ?? join(ROOT, ".bench-cache");
const run = promisify(execFile);

function nodeOf(major: number): string | null {
  const bin = join(CACHE, `node${major}`, "node_modules", "node", "bin", "node");
  return existsSync(bin) ? bin : null;
}

describe("the client under Node 22 and 24", () => {
  let tb: TestBroker;
  before(async () => {
    tb = await startTestBroker({ configs: { "offsets.topic.num.partitions": "2" } });
  });
  after(async () => {
    await tb.close();
  });

  for (const major of [22, 24]) {
    const bin = nodeOf(major);
    const skip = bin
      ? false
      : `Node ${major} is not installed in ${CACHE}: run \`node --import tsx scripts/test-peers.ts\``;
    if (skip) console.warn(`SKIP ${skip}`);
    it(`Node ${major}: produce (all codecs, idempotent), admin and consume`, { skip }, async () => {
      const topic = `node-${major}`;
      const { stdout } = await run(bin!, ["--import", "tsx", "test/package/fixtures/client-roundtrip.ts"], {
        cwd: ROOT,
        env: { ...process.env, BROOK_BOOTSTRAP: tb.bootstrap, BROOK_TOPIC: topic },
        timeout: 90_000,
      });
      const out = JSON.parse(stdout.trim().split("\n").pop()!);
      assert.match(out.node, new RegExp(`^v${major}\\.`));
      assert.equal(out.high, 50);
      const expected = [0, 1, 2, 3, 4]
        .flatMap((c) => Array.from({ length: 10 }, (_, i) => `codec-${c}-${i}`))
        .sort();
      assert.deepEqual(out.values, expected);
    });
  }
});
