/**
 * Consumer groups of Brook's client, each member in its own process, on a 6-partition topic that
 * keeps receiving records: members share the partitions; a member that leaves hands its partitions
 * over with its offsets committed (nothing lost, nothing repeated); a fourth member joins and a
 * member is SIGKILLed (nothing lost; records repeated only at or after the killed member's last
 * commit); Brook and KafkaJS members in one classic group.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { checkDelivery, coversAll, type Member, MemberTestBed } from "./members.js";
import { createTopic, until } from "./support.js";

const PARTITIONS = 6;

describe("consumer groups of Brook's client (members in their own processes)", () => {
  let bed: MemberTestBed;

  before(async () => {
    bed = await MemberTestBed.start();
  });

  after(() => bed?.close());

  /** Waits until the given members' latest assignments cover every partition exactly once. */
  async function settled(group: Member[], what: string, ms = 30000): Promise<void> {
    await until(() => coversAll(group, PARTITIONS), ms, what);
  }

  it("three members share the partitions; one leaves and hands over its partitions: nothing lost, nothing repeated", {
    timeout: 90_000,
  }, async () => {
    const topic = "share";
    await createTopic(bed.admin, topic, PARTITIONS);
    const base = { groupId: "share-group", topic, client: "brook" as const, sessionTimeout: 6000 };
    const production = bed.keepProducing(topic, PARTITIONS);
    const group = [bed.start("a", base), bed.start("b", base), bed.start("c", base)];
    await settled(group, "three members with two partitions each");
    await until(() => group.every((m) => m.assignment.length === 2), 30000, "two partitions each");
    await until(
      () => group.every((m) => [...m.processed.values()].some((l) => l.length > 5)),
      30000,
      "all consuming",
    );

    const leaving = group[1]!;
    const handedOver = leaving.assignment;
    await leaving.kill("SIGTERM");
    const rest = [group[0]!, group[2]!];
    await settled(rest, "the remaining two own everything");
    assert.deepEqual(
      rest.map((m) => m.assignment.length),
      [3, 3],
    );
    await until(
      () => handedOver.every((p) => rest.some((m) => (m.processed.get(p)?.length ?? 0) > 0)),
      30000,
      "the handed-over partitions consumed by the others",
    );
    await production.stop();
    const hw = await bed.drained(rest, topic);
    const duplicates = checkDelivery(group, hw);
    assert.equal(
      duplicates.size,
      0,
      `repeated: ${JSON.stringify([...duplicates].map(([p, d]) => [p, [...d]]))}`,
    );
    await Promise.all(rest.map((m) => m.kill("SIGTERM")));
  });

  it("3+1 members and a SIGKILL: nothing lost; repeats only at or after the killed member's last commit", {
    timeout: 120_000,
  }, async () => {
    const topic = "work";
    await createTopic(bed.admin, topic, PARTITIONS);
    const base = { groupId: "work-group", topic, client: "brook" as const, sessionTimeout: 6000, delayMs: 2 };
    const production = bed.keepProducing(topic, PARTITIONS);
    const group = [bed.start("w1", base), bed.start("w2", base), bed.start("w3", base)];
    await settled(group, "three members");
    const fourth = bed.start("w4", base);
    group.push(fourth);
    await until(() => fourth.assignment.length > 0, 30000, "the fourth member gets partitions");
    await settled(group, "four members");

    const victim = group.find((m) => m.assignment.length > 0 && m !== fourth)!;
    await until(() => victim.commits.size > 0, 30000, "the victim committed something");
    const orphaned = victim.assignment;
    await victim.kill("SIGKILL");
    const survivors = group.filter((m) => m !== victim);
    await settled(survivors, "the survivors own everything after the session timeout", 40000);
    await production.stop();
    const hw = await bed.drained(survivors, topic);
    const duplicates = checkDelivery(group, hw);
    for (const [partition, offsets] of duplicates) {
      assert.ok(
        orphaned.includes(partition),
        `partition ${partition} was not the killed member's, yet repeated`,
      );
      const lastCommit = victim.lastCommit(partition);
      for (const [offset, names] of offsets) {
        assert.ok(names.includes(victim.name), `offset ${offset} repeated by ${names}`);
        assert.ok(offset >= lastCommit, `offset ${offset} repeated though ${lastCommit} was committed`);
      }
    }
    await Promise.all(survivors.map((m) => m.kill("SIGTERM")));
  });

  it("Brook and KafkaJS members in one classic group share the partitions (RoundRobinAssigner)", {
    timeout: 90_000,
  }, async () => {
    const topic = "mixed";
    await createTopic(bed.admin, topic, PARTITIONS);
    const base = { groupId: "mixed-group", topic, sessionTimeout: 6000 };
    const production = bed.keepProducing(topic, PARTITIONS);
    const group = [
      bed.start("brook-1", { ...base, client: "brook" }),
      bed.start("kafkajs-1", { ...base, client: "kafkajs" }),
      bed.start("brook-2", { ...base, client: "brook" }),
    ];
    await settled(group, "a mixed group");
    await until(() => group.every((m) => m.assignment.length === 2), 30000, "two partitions each");
    await production.stop();
    const hw = await bed.drained(group, topic);
    assert.equal(checkDelivery(group, hw).size, 0);
    const description = await bed.admin.describeGroups(["mixed-group"]);
    assert.equal(description.groups[0]!.protocol, "RoundRobinAssigner");
    assert.equal(description.groups[0]!.members.length, 3);
    await Promise.all(group.map((m) => m.kill("SIGTERM")));
  });
});
