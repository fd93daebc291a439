/**
 * The KIP-848 consumer protocol (`groupProtocol: "consumer"`) against Brook, members in their own
 * processes on a topic that keeps receiving records: the broker assigns; a second member takes half
 * the partitions while the first keeps its other half without a pause in assignment (incremental);
 * a member that leaves hands everything over with its offsets committed (nothing lost or repeated);
 * a SIGKILLed member's partitions move after the session timeout (repeats only after its last
 * commit); the server-side assignor can be chosen; a static member that stopped comes back to its
 * partitions while the others are not reassigned.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { checkDelivery, coversAll, type Member, type MemberOptions, MemberTestBed } from "./members.js";
import { createTopic, until } from "./support.js";

const PARTITIONS = 6;

describe("KIP-848 consumer group protocol against Brook", () => {
  let bed: MemberTestBed;

  before(async () => {
    bed = await MemberTestBed.start({
      configs: {
        "group.consumer.session.timeout.ms": "6000",
        "group.consumer.min.session.timeout.ms": "6000",
        "group.consumer.heartbeat.interval.ms": "500",
      },
    });
  });

  after(() => bed?.close());

  /** A Brook member speaking the KIP-848 protocol. */
  const start = (name: string, options: Omit<MemberOptions, "bootstrap" | "client" | "groupProtocol">) =>
    bed.start(name, { client: "brook", groupProtocol: "consumer", ...options });

  const covers = (group: Member[]) => coversAll(group, PARTITIONS);

  it("the broker assigns; a second member takes half incrementally; a leaving member hands over cleanly", {
    timeout: 90_000,
  }, async () => {
    const topic = "kip848";
    await createTopic(bed.admin, topic, PARTITIONS);
    const base = { groupId: "kip848-group", topic, sessionTimeout: 6000 };
    const production = bed.keepProducing(topic, PARTITIONS);
    const first = start("first", base);
    await until(() => first.assignment.length === PARTITIONS, 30000, "the first member owns all");
    const second = start("second", base);
    await until(() => covers([first, second]) && second.assignment.length === 3, 30000, "three each");
    // Incremental: the first member's assignments only ever shrank to what it kept.
    const kept = first.assignment;
    for (const step of first.joins)
      assert.ok(
        kept.every((p) => step.partitions.includes(p)),
        JSON.stringify(first.joins),
      );
    await until(
      () => second.assignment.every((p) => (second.processed.get(p)?.length ?? 0) > 0),
      20000,
      "second consumes",
    );

    await second.kill("SIGTERM");
    await until(() => first.assignment.length === PARTITIONS, 20000, "the first owns all again");
    await production.stop();
    // Either member may have processed a partition's last record: the second one commits what it
    // finished when it leaves, and production may stop before the first gets a newer record there.
    const hw = await bed.drained([first, second], topic);
    const duplicates = checkDelivery([first, second], hw);
    assert.equal(duplicates.size, 0, JSON.stringify([...duplicates].map(([p, d]) => [p, [...d]])));
    const committed = (await bed.admin.fetchOffsets({ groupId: "kip848-group", topics: [topic] }))[0]!
      .partitions;
    await until(
      async () => {
        const now = (await bed.admin.fetchOffsets({ groupId: "kip848-group", topics: [topic] }))[0]!
          .partitions;
        return now.every((p) => Number(p.offset) === hw.get(p.partition));
      },
      10000,
      "commits reach the high watermarks",
    );
    assert.equal(committed.length, PARTITIONS);
    await first.kill("SIGTERM");
  });

  it("a SIGKILLed member's partitions move after its session expires; repeats only after its last commit", {
    timeout: 90_000,
  }, async () => {
    const topic = "kip848-kill";
    await createTopic(bed.admin, topic, PARTITIONS);
    const base = { groupId: "kip848-kill-group", topic, sessionTimeout: 6000, delayMs: 2 };
    const production = bed.keepProducing(topic, PARTITIONS);
    const group = [start("k1", base), start("k2", base), start("k3", base)];
    await until(() => covers(group) && group.every((m) => m.assignment.length === 2), 30000, "three members");
    const victim = group[1]!;
    await until(() => victim.commits.size > 0, 20000, "the victim committed");
    const orphaned = victim.assignment;
    await victim.kill("SIGKILL");
    const survivors = [group[0]!, group[2]!];
    await until(() => covers(survivors), 30000, "the survivors own everything");
    await production.stop();
    const hw = await bed.drained(survivors, topic);
    for (const [partition, offsets] of checkDelivery(group, hw)) {
      assert.ok(orphaned.includes(partition), `partition ${partition} repeated`);
      for (const offset of offsets.keys()) assert.ok(offset >= victim.lastCommit(partition));
    }
    await Promise.all(survivors.map((m) => m.kill("SIGTERM")));
  });

  it("the server-side assignor can be chosen (range), and a static member gets its partitions back", {
    timeout: 90_000,
  }, async () => {
    const topic = "kip848-range";
    await createTopic(bed.admin, topic, 4);
    const base = { groupId: "kip848-range-group", topic, sessionTimeout: 6000, groupRemoteAssignor: "range" };
    const a = start("a", { ...base, groupInstanceId: "a" });
    await until(() => a.assignment.length === 4, 30000, "a owns all");
    const b = start("b", { ...base, groupInstanceId: "b" });
    await until(() => a.assignment.length === 2 && b.assignment.length === 2, 30000, "two each");
    // Range: each member a run of consecutive partitions.
    for (const m of [a, b])
      assert.ok(["[0,1]", "[2,3]"].includes(JSON.stringify(m.assignment)), JSON.stringify(m.assignment));
    const bPartitions = b.assignment;
    const aJoins = a.joins.length;
    // A clean stop of a static member is a temporary leave (epoch -2): its partitions wait for it.
    await b.kill("SIGTERM");
    const again = start("b-again", { ...base, groupInstanceId: "b" });
    await until(() => again.assignment.length === 2, 30000, "b back");
    assert.deepEqual(again.assignment, bPartitions);
    assert.equal(a.joins.length, aJoins, "a was not reassigned");
    await Promise.all([a.kill("SIGTERM"), again.kill("SIGTERM")]);
  });
});
