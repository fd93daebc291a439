/**
 * A handler that runs three times the session timeout (18 s against 6 s), side by side: Brook's
 * consumer keeps heartbeating on its own timer and stays in the group (same member, one join, no
 * rebalance, the message processed once); KafkaJS 2.2.4's consumer sends no heartbeat while the
 * handler runs, so the broker removes it (the group is seen empty), and it joins again afterwards.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Consumer } from "../../../src/client/index.js";
import { ConsumerTestBed, createTopic, sleep, until } from "./support.js";

const SESSION_MS = 6000;
const HANDLER_MS = 3 * SESSION_MS;

describe("a handler slower than the session timeout", () => {
  let bed: ConsumerTestBed;

  before(async () => {
    bed = await ConsumerTestBed.start();
    await createTopic(bed.admin, "slow", 1);
    await bed.produce("slow", [{ value: "slow" }, { value: "next" }]);
  });

  after(() => bed?.close());

  interface Observed {
    joins: string[];
    rebalances: number;
    processed: string[];
  }

  async function runSlow(c: Consumer, observed: Observed): Promise<void> {
    bed.track(c);
    c.on(c.events.GROUP_JOIN, (e) => void observed.joins.push(e.payload.memberId));
    c.on(c.events.REBALANCING, () => void observed.rebalances++);
    await c.connect();
    await c.subscribe({ topics: ["slow"], fromBeginning: true });
    let slowDone = false;
    await c.run({
      eachMessage: async ({ message }) => {
        observed.processed.push(String(message.value));
        if (!slowDone) {
          slowDone = true;
          await sleep(HANDLER_MS);
        }
      },
    });
  }

  it("Brook's member stays in the group; KafkaJS's is removed and rejoins", { timeout: 90_000 }, async () => {
    const ours: Observed = { joins: [], rebalances: 0, processed: [] };
    const theirs: Observed = { joins: [], rebalances: 0, processed: [] };
    const settings = { sessionTimeout: SESSION_MS, heartbeatInterval: 1000, maxWaitTimeInMs: 200 };
    const started = performance.now();
    await Promise.all([
      runSlow(bed.kafka.consumer({ groupId: "slow-brook", ...settings }), ours),
      runSlow(
        bed.reference.consumer({ groupId: "slow-kafkajs", ...settings }) as unknown as Consumer,
        theirs,
      ),
    ]);
    await until(
      () => ours.processed.length > 0 && theirs.processed.length > 0,
      10000,
      "both handlers running",
    );

    // Two session timeouts into the handler: the broker has expired KafkaJS's silent member.
    await sleep(Math.max(0, 2 * SESSION_MS + 1000 - (performance.now() - started)));
    const described = await bed.admin.describeGroups(["slow-brook", "slow-kafkajs"]);
    const state = (g: string) => described.groups.find((x) => x.groupId === g)!;
    assert.equal(state("slow-brook").state, "Stable");
    assert.deepEqual(
      state("slow-brook").members.map((m) => m.memberId),
      [ours.joins[0]],
    );
    assert.equal(state("slow-kafkajs").members.length, 0, "KafkaJS's member was removed");

    await until(
      () => ours.processed.includes("next") && theirs.joins.length >= 2,
      40000,
      "both handlers done",
    );
    assert.equal(ours.joins.length, 1, "Brook's consumer joined once");
    assert.equal(ours.rebalances, 0, "no rebalance for Brook's consumer");
    assert.deepEqual(ours.processed, ["slow", "next"], "each message once");
    assert.ok(theirs.joins.length >= 2, "KafkaJS's consumer had to join again");
    assert.notEqual(theirs.joins[1], theirs.joins[0], "under a new member id");
  });
});
