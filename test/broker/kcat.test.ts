/**
 * kcat (librdkafka, from Debian) against an in-process Brook broker: metadata, producing with keys,
 * headers and every codec, consuming from beginning/end/offset/timestamp with exact output, offsets
 * by time (-Q) and tombstones (-Z).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import { missing } from "../support/external.js";

function kcat(
  args: string[],
  input?: string,
  timeoutMs = 20000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      "kcat",
      args,
      { timeout: timeoutMs, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

describe("kcat (librdkafka) against Brook", {
  skip: missing("kcat") ?? false,
}, () => {
  let tb: TestBroker;
  let b: string[];
  before(async () => {
    tb = await startTestBroker({ configs: { "num.partitions": "1" } });
    b = ["-b", tb.bootstrap, "-X", "topic.metadata.refresh.interval.ms=1000"];
  });
  after(async () => {
    await tb.close();
  });

  const consume = async (
    topic: string,
    offset: string,
    format = "%p|%o|%k|%s|%h\\n",
    extra: string[] = [],
  ) => {
    const r = await kcat([
      ...b,
      "-C",
      "-t",
      topic,
      "-p",
      "0",
      "-o",
      offset,
      "-e",
      "-q",
      "-f",
      format,
      ...extra,
    ]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  };

  it("-L lists this broker as the leader of every partition", async () => {
    await tb.broker.createTopic("listed", 3, 1, {});
    const r = await kcat([...b, "-L", "-t", "listed"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`broker ${tb.broker.nodeId} at 127\\.0\\.0\\.1:${tb.port}`));
    assert.match(r.stdout, /topic "listed" with 3 partitions:/);
    for (let p = 0; p < 3; p++) {
      assert.match(
        r.stdout,
        new RegExp(
          `partition ${p}, leader ${tb.broker.nodeId}, replicas: ${tb.broker.nodeId}, isrs: ${tb.broker.nodeId}`,
        ),
      );
    }
  });

  for (const codec of ["none", "gzip", "snappy", "lz4", "zstd"]) {
    it(`-P -z ${codec} with keys and headers, read back exactly with -C`, async () => {
      const topic = `codec-${codec}`;
      const lines = Array.from({ length: 30 }, (_, i) => `key${i % 4}:value-${i}-${"abc".repeat(i)}`);
      const p = await kcat(
        [...b, "-P", "-t", topic, "-p", "0", "-K:", "-z", codec, "-H", "h1=v1", "-H", "trace=xyz"],
        `${lines.join("\n")}\n`,
      );
      assert.equal(p.code, 0, p.stderr);
      const out = await consume(topic, "beginning");
      const expected = lines.map((l, i) => {
        const [k, v] = [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1)];
        return `0|${i}|${k}|${v}|h1=v1,trace=xyz`;
      });
      assert.deepEqual(out.trimEnd().split("\n"), expected);
    });
  }

  it("-C from end, from an absolute offset, from a relative offset and from a timestamp", async () => {
    const topic = "positions";
    const t0 = Date.now() - 60_000;
    // One produce per record so each has its own timestamp (kcat -P takes the time of sending).
    for (let i = 0; i < 5; i++) {
      const r = await kcat([...b, "-P", "-t", topic, "-p", "0", "-K:"], `k${i}:v${i}\n`);
      assert.equal(r.code, 0, r.stderr);
    }
    assert.equal(await consume(topic, "end"), "");
    assert.equal(await consume(topic, "3", "%o:%s\\n"), "3:v3\n4:v4\n");
    assert.equal(await consume(topic, "-2", "%o:%s\\n"), "3:v3\n4:v4\n");
    const all = await consume(topic, "beginning", "%o:%T\\n");
    const ts = all
      .trimEnd()
      .split("\n")
      .map((l) => Number(l.split(":")[1]));
    assert.ok(ts.every((t) => t >= t0));
    // The first offset whose timestamp is at or after ts[2] (equal timestamps would start earlier).
    const first = ts.findIndex((t) => t >= ts[2]!);
    const expected = ts
      .map((_, i) => i)
      .filter((i) => i >= first)
      .map((i) => `${i}\n`)
      .join("");
    assert.equal(await consume(topic, `s@${ts[2]}`, "%o\\n"), expected);
  });

  it("-Q answers offsets by timestamp", async () => {
    const topic = "query";
    for (let i = 0; i < 3; i++) await kcat([...b, "-P", "-t", topic, "-p", "0"], `v${i}\n`);
    const out = await consume(topic, "beginning", "%o %T\\n");
    const ts = out
      .trimEnd()
      .split("\n")
      .map((l) => Number(l.split(" ")[1]));
    const q = await kcat([...b, "-Q", "-t", `${topic}:0:${ts[1]}`]);
    assert.equal(q.code, 0, q.stderr);
    assert.match(q.stdout, new RegExp(`${topic} \\[0\\] offset 1\\b`));
    const end = await kcat([...b, "-Q", "-t", `${topic}:0:-1`]);
    assert.match(end.stdout, new RegExp(`${topic} \\[0\\] offset 3\\b`));
    const beginning = await kcat([...b, "-Q", "-t", `${topic}:0:-2`]);
    assert.match(beginning.stdout, new RegExp(`${topic} \\[0\\] offset 0\\b`));
  });

  it("-Z produces tombstones (null values) that read back as null", async () => {
    const topic = "tombstones";
    const p = await kcat([...b, "-P", "-t", topic, "-p", "0", "-K:", "-Z"], "a:1\nb:\nc:3\n");
    assert.equal(p.code, 0, p.stderr);
    // %S is the value length: -1 for a null value.
    assert.equal(await consume(topic, "beginning", "%k=%S\\n"), "a=1\nb=-1\nc=1\n");
  });
});
