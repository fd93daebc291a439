/**
 * kafka-python 2.0.2 (Debian python3-kafka, run with /usr/bin/python3) against an in-process Brook
 * broker: admin create/delete topics, a producer, and a KafkaConsumer with manual assign().
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import { missingPythonModule } from "../support/external.js";

const PY = "/usr/bin/python3";
const noPy = missingPythonModule("kafka", "python3-kafka", PY);

function python(
  script: string,
  args: string[],
  timeoutMs = 60000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(PY, ["-c", script, ...args], { timeout: timeoutMs }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const SCRIPT = `
import json, sys
from kafka import KafkaAdminClient, KafkaProducer, KafkaConsumer, TopicPartition
from kafka.admin import NewTopic
bootstrap, topic = sys.argv[1], sys.argv[2]
admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="py-admin", request_timeout_ms=10000)
admin.create_topics([NewTopic(name=topic, num_partitions=2, replication_factor=1)])
listed = sorted(t for t in admin.list_topics() if not t.startswith("__"))
producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
sent = []
for i in range(20):
    md = producer.send(topic, key=("k%d" % (i % 5)).encode(), value=("v%d" % i).encode(), partition=i % 2,
                       headers=[("h", ("x%d" % i).encode())]).get(timeout=10)
    sent.append([md.partition, md.offset])
producer.flush()
producer.close()
consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, consumer_timeout_ms=3000)
tps = [TopicPartition(topic, 0), TopicPartition(topic, 1)]
consumer.assign(tps)
consumer.seek_to_beginning(*tps)
got = []
for m in consumer:
    got.append([m.partition, m.offset, m.key.decode(), m.value.decode(), [[k, v.decode()] for k, v in m.headers]])
    if len(got) == 20:
        break
end = {str(tp.partition): off for tp, off in consumer.end_offsets(tps).items()}
consumer.close()
admin.delete_topics([topic])
after = sorted(t for t in admin.list_topics() if not t.startswith("__"))
admin.close()
print(json.dumps({"listed": listed, "sent": sent, "got": sorted(got), "end": end, "after": after}))
`;

describe("kafka-python 2.0.2 against Brook", {
  skip: noPy ?? false,
}, () => {
  let tb: TestBroker;
  before(async () => {
    tb = await startTestBroker();
  });
  after(async () => {
    await tb.close();
  });

  it("creates a topic, produces, consumes with assign(), and deletes the topic", async () => {
    const r = await python(SCRIPT, [tb.bootstrap, "py-topic"]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
    assert.deepEqual(out.listed, ["py-topic"]);
    // Partition i%2 gets every other record, offsets counting from 0 in each partition.
    assert.deepEqual(
      out.sent,
      Array.from({ length: 20 }, (_, i) => [i % 2, Math.floor(i / 2)]),
    );
    const expected = Array.from({ length: 20 }, (_, i) => [
      i % 2,
      Math.floor(i / 2),
      `k${i % 5}`,
      `v${i}`,
      [["h", `x${i}`]],
    ]);
    expected.sort((a, b) => (a[0] as number) - (b[0] as number) || (a[1] as number) - (b[1] as number));
    assert.deepEqual(out.got, expected);
    assert.deepEqual(out.end, { "0": 10, "1": 10 });
    assert.deepEqual(out.after, []);
  });
});
