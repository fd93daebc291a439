/**
 * Static membership (KIP-345, `groupInstanceId`): a member killed and restarted under the same
 * instance id within the session timeout gets its own partitions back and the other members see
 * no rebalance (no new join, same member ids, same generation of work); records keep flowing, none
 * lost. A static member that stays away past the session timeout is removed and its partitions move.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { checkDelivery, coversAll, type Member, MemberTestBed } from "./members.js";
import { createTopic, until } from "./support.js";

const PARTITIONS = 6;
const SESSION_MS = 10000;

describe("static membership", () => {
  let bed: MemberTestBed;

  before(async () => {
    bed = await MemberTestBed.start();
  });

  after(() => bed?.close());

  const covers = (group: Member[]) => coversAll(group, PARTITIONS);

  it("a member restarted within the session timeout gets its partitions back without a rebalance", {
    timeout: 120_000,
  }, async () => {
    const topic = "static-work";
    await createTopic(bed.admin, topic, PARTITIONS);
    const base = { groupId: "static-group", topic, client: "brook" as const, sessionTimeout: SESSION_MS };
    const production = bed.keepProducing(topic, PARTITIONS);
    const s1 = bed.start("s1", { ...base, groupInstanceId: "instance-1" });
    const s2 = bed.start("s2", { ...base, groupInstanceId: "instance-2" });
    const s3 = bed.start("s3", { ...base, groupInstanceId: "instance-3" });
    await until(
      () => covers([s1, s2, s3]) && [s1, s2, s3].every((m) => m.assignment.length === 2),
      30000,
      "three members",
    );
    await until(() => s2.commits.size > 0, 20000, "s2 committed");
    const before = await bed.admin.describeGroups(["static-group"]);
    const joinsBefore = [s1.joins.length, s3.joins.length];
    const s2Partitions = s2.assignment;

    await s2.kill("SIGKILL");
    const restarted = bed.start("s2-again", { ...base, groupInstanceId: "instance-2" });
    await until(() => restarted.joins.length > 0, 30000, "the restarted member joined");
    assert.deepEqual(restarted.assignment, s2Partitions, "the same partitions came back");
    await until(
      () => s2Partitions.every((p) => (restarted.processed.get(p)?.length ?? 0) > 0),
      20000,
      "the restarted member consumes",
    );
    assert.deepEqual([s1.joins.length, s3.joins.length], joinsBefore, "no rebalance for the others");
    const afterRestart = await bed.admin.describeGroups(["static-group"]);
    const ids = (d: typeof before) => d.groups[0]!.members.map((m) => m.memberId).sort();
    const oldIds = ids(before);
    const newIds = ids(afterRestart);
    assert.equal(newIds.length, 3);
    assert.equal(newIds.filter((id) => oldIds.includes(id)).length, 2, "s1 and s3 kept their member ids");
    assert.equal(afterRestart.groups[0]!.state, "Stable");

    await production.stop();
    const live = [s1, restarted, s3];
    const hw = await bed.drained(live, topic);
    const duplicates = checkDelivery([s1, s2, restarted, s3], hw);
    for (const [partition, offsets] of duplicates) {
      assert.ok(s2Partitions.includes(partition), `partition ${partition} repeated`);
      for (const offset of offsets.keys()) assert.ok(offset >= s2.lastCommit(partition));
    }
    await Promise.all(live.map((m) => m.kill("SIGTERM")));
  });

  it("a static member away longer than the session timeout is removed and its partitions move", {
    timeout: 120_000,
  }, async () => {
    const topic = "static-gone";
    await createTopic(bed.admin, topic, PARTITIONS);
    const base = { groupId: "static-gone-group", topic, client: "brook" as const, sessionTimeout: 6000 };
    const a = bed.start("a", { ...base, groupInstanceId: "a" });
    const b = bed.start("b", { ...base, groupInstanceId: "b" });
    await until(() => covers([a, b]) && a.assignment.length === 3, 30000, "two members");
    // SIGTERM: a clean disconnect, which for a static member sends no LeaveGroup.
    await b.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(a.assignment.length, 3, "nothing moves before the session expires");
    await until(
      () => a.assignment.length === PARTITIONS,
      20000,
      "a owns everything after b's session expired",
    );
    await a.kill("SIGTERM");
  });
});
