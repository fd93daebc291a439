/**
 * kafka-python 2.0.2 (Debian python3-kafka) KafkaConsumer(group_id=...) against an in-process broker:
 * two consumers of one group share the partitions, commit() stores the offsets, and a new consumer
 * of the group resumes after them; committed() and the admin client's group listing agree.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import { missingPythonModule } from "../support/external.js";
import { run } from "./support.js";

const PY = "/usr/bin/python3";
const noPy = missingPythonModule("kafka", "python3-kafka", PY);

const SCRIPT = `
import json, sys, threading
from kafka import KafkaAdminClient, KafkaProducer, KafkaConsumer, TopicPartition
from kafka.admin import NewTopic
bootstrap, topic, group = sys.argv[1], sys.argv[2], sys.argv[3]
admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="py-admin", request_timeout_ms=10000)
admin.create_topics([NewTopic(name=topic, num_partitions=4, replication_factor=1)])
producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
for i in range(40):
    producer.send(topic, value=("a%d" % i).encode(), partition=i % 4)
producer.flush()

def consumer():
    return KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest",
                         enable_auto_commit=False, consumer_timeout_ms=4000, session_timeout_ms=10000,
                         heartbeat_interval_ms=500, max_poll_records=5)

# Two members of one group consume together.
results = {}
def member(name):
    c = consumer()
    got = []
    for m in c:
        got.append([m.partition, m.offset, m.value.decode()])
        c.commit()
    results[name] = {"got": got, "assigned": sorted(tp.partition for tp in c.assignment())}
    c.close()
threads = [threading.Thread(target=member, args=(n,)) for n in ("one", "two")]
for t in threads: t.start()
for t in threads: t.join()

# More records; a new member of the group resumes after the committed offsets (10 per partition)
# and, without committing, leaves them as they were.
for i in range(12):
    producer.send(topic, value=("b%d" % i).encode(), partition=i % 4)
producer.flush()
c = consumer()
resumed = [m.value.decode() for m in c]
committed = {str(p): c.committed(TopicPartition(topic, p)) for p in range(4)}
c.close()
groups = [g[0] for g in admin.list_consumer_groups()]
offsets = {str(tp.partition): om.offset for tp, om in admin.list_consumer_group_offsets(group).items()}
described = admin.describe_consumer_groups([group])[0]
admin.close()
producer.close()
print(json.dumps({"results": results, "resumed": sorted(resumed), "committed": committed, "groups": groups,
                  "offsets": offsets, "state": described.state}))
`;

describe("kafka-python consumer groups", { skip: noPy ?? false }, () => {
  let tb: TestBroker;
  before(async () => {
    tb = await startTestBroker({ configs: { "offsets.topic.num.partitions": "3" } });
  });
  after(async () => {
    await tb.close();
  });

  it("a group shares partitions, commits, and resumes after its committed offsets", async () => {
    const r = await run(PY, ["-c", SCRIPT, tb.bootstrap, "py-group-topic", "py-group"], { timeoutMs: 90000 });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
    const firstRound: string[] = [...out.results.one.got, ...out.results.two.got].map(
      (x: unknown[]) => x[2] as string,
    );
    assert.deepEqual([...new Set(firstRound)].sort(), Array.from({ length: 40 }, (_, i) => `a${i}`).sort());
    assert.deepEqual(out.resumed, Array.from({ length: 12 }, (_, i) => `b${i}`).sort());
    assert.deepEqual(out.committed, { "0": 10, "1": 10, "2": 10, "3": 10 });
    assert.deepEqual(out.offsets, { "0": 10, "1": 10, "2": 10, "3": 10 });
    assert.ok(out.groups.includes("py-group"));
    assert.equal(out.state, "Empty");
  });
});
