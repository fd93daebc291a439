/**
 * Child process for the crash tests: opens (and so recovers) the log dir, checks that every batch the
 * parent saw acknowledged in earlier rounds is present and intact, prints "ready", then appends with
 * durable=true from several concurrent appenders, printing "ack <base> <last> <id>" after each
 * acknowledgement, until the parent kills it with SIGKILL.
 *
 * argv: <dataDir> <expected-file> <round> <appenders> <checkpointIntervalMs> <segmentBytes>
 */
import { readFileSync } from "node:fs";
import { LogManager, logConfig } from "../../src/storage/index.js";
import { buildBatch, decodeBatches } from "./support.js";

const [dataDir, expectedFile, roundArg, appendersArg, checkpointArg, segmentArg] = process.argv.slice(2);
const round = Number(roundArg);
const appenders = Number(appendersArg);

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

function fail(msg: string): never {
  out(`verify-failed ${msg}`);
  process.exit(3);
}

const config = logConfig({ segmentBytes: Number(segmentArg), indexIntervalBytes: 256 });
const m = await LogManager.open({
  dataDir: dataDir!,
  cleaner: false,
  checkpointIntervalMs: Number(checkpointArg),
  retentionCheckIntervalMs: 1e9,
});
const log = m.get("crash", 0) ?? (await m.create("crash", 0, config, "8d6f0e4e-1b2a-4c3d-9e8f-0a1b2c3d4e5f"));
log.updateConfig(config);

// Verify: every acknowledged batch is at its offsets with its content, and the log is contiguous.
const expected = new Map<bigint, { last: bigint; id: string }>();
try {
  for (const line of readFileSync(expectedFile!, "utf8").split("\n")) {
    if (!line) continue;
    const [b, l, id] = line.split(" ");
    expected.set(BigInt(b!), { last: BigInt(l!), id: id! });
  }
} catch {
  // first round
}
let offset = log.logStartOffset;
let seen = 0;
while (offset < log.logEndOffset) {
  const r = await log.read(offset, 1 << 20);
  const batches = r.records.flatMap((x) => decodeBatches(x));
  if (batches.length === 0) fail(`no batch at ${offset} below LEO ${log.logEndOffset}`);
  for (const b of batches) {
    if (b.baseOffset !== offset) fail(`gap: batch at ${b.baseOffset}, expected ${offset}`);
    if (!b.crcOk) fail(`CRC of batch ${b.baseOffset}`);
    const e = expected.get(b.baseOffset);
    if (e) {
      if (e.last !== b.lastOffset) fail(`batch ${b.baseOffset} ends at ${b.lastOffset}, acked ${e.last}`);
      for (const rec of b.records) {
        if (!rec.value?.toString().startsWith(`${e.id}:`))
          fail(`batch ${b.baseOffset} holds ${rec.value}, acked ${e.id}`);
      }
      seen++;
    }
    offset = b.lastOffset + 1n;
  }
}
if (seen !== expected.size) {
  const missing = [...expected.keys()].filter((k) => k >= offset).slice(0, 5);
  fail(
    `only ${seen} of ${expected.size} acked batches found (LEO ${log.logEndOffset}, missing e.g. ${missing})`,
  );
}
out(
  `ready ${log.logEndOffset} ${log.recoveryReport?.recoveredSegments ?? 0} ${log.recoveryReport?.truncatedBytes ?? 0}`,
);

let seq = 0;
async function appender(a: number): Promise<void> {
  for (;;) {
    const id = `${round}-${a}-${seq++}`;
    const n = 1 + (seq % 7);
    const pad = "p".repeat((seq * 37) % 900);
    const records = [];
    for (let i = 0; i < n; i++) records.push({ key: `k${i}`, value: `${id}:${i}:${pad}` });
    const r = await log.append(buildBatch({ records }), { durable: true });
    out(`ack ${r.baseOffset} ${r.lastOffset} ${id}`);
  }
}
await Promise.all(Array.from({ length: appenders }, (_, a) => appender(a)));
