/**
 * Groups suite: the group coordinator of a real `brook start` process (group.initial.rebalance.delay.ms
 * = 0), driven by members written with Brook's own protocol client so the figures are the
 * coordinator's, not a client library's:
 *
 * - join to stable: N members (1, 10, 50) join a new group at once and behave like real consumers
 *   (MEMBER_ID_REQUIRED round trip, SyncGroup, heartbeats every 100 ms, rejoin on
 *   REBALANCE_IN_PROGRESS); time from the first JoinGroup to the last member holding its assignment
 *   in the final generation;
 * - rebalance after a leave: one of 10 stable members sends LeaveGroup; time until the other nine
 *   hold their assignments in the next generation;
 * - offset commits: OffsetCommit (one partition, acknowledged after the fsync) round trip on one
 *   connection, and commits/s with 1 and 16 connections committing back to back;
 * - beside each: the same broker's round trip for a plain Fetch of one small record (maxWait 0),
 *   measured in the same run, so the coordinator's overhead over a request that does no group work
 *   is visible.
 */
import { startBrokerProcess } from "../broker-process.js";
import type { BenchContext } from "../harness.js";
import { encodeAssignment, encodeSubscription } from "../../src/protocol/embedded/consumer-protocol.js";
import { CreateTopics } from "../../src/protocol/messages/create-topics.js";
import { Fetch } from "../../src/protocol/messages/fetch.js";
import { FindCoordinator } from "../../src/protocol/messages/find-coordinator.js";
import { Heartbeat } from "../../src/protocol/messages/heartbeat.js";
import { JoinGroup } from "../../src/protocol/messages/join-group.js";
import { LeaveGroup } from "../../src/protocol/messages/leave-group.js";
import { OffsetCommit } from "../../src/protocol/messages/offset-commit.js";
import { Produce } from "../../src/protocol/messages/produce.js";
import { SyncGroup } from "../../src/protocol/messages/sync-group.js";
import { encodeRecordBatchSync } from "../../src/protocol/records/record-batch.js";
import { RawClient } from "../../test/support/raw-client.js";

const TOPIC = "bench-groups";
const PARTITIONS = 64;
const HEARTBEAT_MS = 100;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const SUB = encodeSubscription({ topics: [TOPIC] }, 0);

/**
 * A member that behaves like a consumer: join (with the MEMBER_ID_REQUIRED round trip), sync (the
 * leader assigns partitions round-robin), heartbeat, and rejoin whenever the coordinator says
 * REBALANCE_IN_PROGRESS. `synced` fires each time it holds an assignment for a generation.
 */
class Member {
  memberId = "";
  generation = -1;
  private stopped = false;
  private hb: NodeJS.Timeout | undefined;
  private busy = false;
  constructor(
    private readonly c: RawClient,
    private readonly hbClient: RawClient,
    private readonly group: string,
    private readonly synced: (m: Member, generation: number) => void,
  ) {}

  async run(): Promise<void> {
    while (!this.stopped) {
      const j1 = await this.c.request(JoinGroup, 5, this.joinBody());
      let j = j1;
      if (j1.errorCode === 79) {
        this.memberId = j1.memberId;
        j = await this.c.request(JoinGroup, 5, this.joinBody());
      }
      if (this.stopped) return;
      if (j.errorCode !== 0) throw new Error(`JoinGroup error ${j.errorCode}`);
      this.memberId = j.memberId;
      this.generation = j.generationId;
      const assignments =
        j.leader === j.memberId
          ? j.members.map((m, i) => ({
              memberId: m.memberId,
              assignment: encodeAssignment(
                {
                  assignedPartitions: [
                    {
                      topic: TOPIC,
                      partitions: Array.from({ length: PARTITIONS }, (_, p) => p).filter(
                        (p) => p % j.members.length === i,
                      ),
                    },
                  ],
                },
                0,
              ),
            }))
          : [];
      const s = await this.c.request(SyncGroup, 3, {
        groupId: this.group,
        generationId: j.generationId,
        memberId: this.memberId,
        assignments,
      });
      if (this.stopped) return;
      if (s.errorCode === 27) continue; // rebalance in progress: join again
      if (s.errorCode !== 0) throw new Error(`SyncGroup error ${s.errorCode}`);
      this.synced(this, j.generationId);
      // Heartbeat until told to rejoin.
      const rejoin = await new Promise<boolean>((resolve) => {
        this.hb = setInterval(async () => {
          if (this.busy) return;
          this.busy = true;
          try {
            const h = await this.hbClient.request(Heartbeat, 3, {
              groupId: this.group,
              generationId: this.generation,
              memberId: this.memberId,
            });
            if (h.errorCode !== 0) {
              clearInterval(this.hb);
              resolve(!this.stopped);
            }
          } catch {
            clearInterval(this.hb);
            resolve(false);
          } finally {
            this.busy = false;
          }
        }, HEARTBEAT_MS);
      });
      if (!rejoin) return;
    }
  }

  private joinBody() {
    return {
      groupId: this.group,
      sessionTimeoutMs: 10000,
      rebalanceTimeoutMs: 10000,
      memberId: this.memberId,
      protocolType: "consumer",
      protocols: [{ name: "roundrobin", metadata: SUB }],
    };
  }

  async leave(): Promise<void> {
    this.stop();
    await this.hbClient.request(LeaveGroup, 3, {
      groupId: this.group,
      members: [{ memberId: this.memberId, groupInstanceId: null }],
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.hb) clearInterval(this.hb);
  }
}

/** Starts n members of a fresh group; resolves when all hold assignments of one generation. */
async function joinToStable(port: number, group: string, n: number) {
  const conns = await Promise.all(Array.from({ length: n * 2 }, () => RawClient.connect(port)));
  const latest = new Map<Member, number>();
  let done: (generation: number) => void = () => {};
  const stable = new Promise<number>((r) => (done = r));
  const check = () => {
    if (latest.size < n) return;
    const gens = new Set(latest.values());
    if (gens.size === 1) done([...gens][0]!);
  };
  const members = Array.from(
    { length: n },
    (_, i) =>
      new Member(conns[2 * i]!, conns[2 * i + 1]!, group, (m, g) => {
        latest.set(m, g);
        check();
      }),
  );
  const t0 = process.hrtime.bigint();
  const runs = members.map((m) => m.run().catch(() => {}));
  const generation = await stable;
  const elapsed = ms(t0);
  return {
    elapsed,
    generation,
    members,
    latest,
    close: async () => {
      for (const m of members) m.stop();
      await Promise.race([Promise.all(runs), new Promise((r) => setTimeout(r, 500))]);
      for (const c of conns) c.close();
    },
  };
}

export default async function run(ctx: BenchContext): Promise<void> {
  ctx.progress("starting a broker process (group.initial.rebalance.delay.ms=0)");
  const broker = await startBrokerProcess(ctx.tmpDir, { "group.initial.rebalance.delay.ms": "0" });
  const { port } = broker;
  try {
    const admin = await RawClient.connect(port);
    await admin.request(CreateTopics, 5, {
      topics: [
        { name: TOPIC, numPartitions: PARTITIONS, replicationFactor: 1, assignments: [], configs: [] },
      ],
      timeoutMs: 10000,
      validateOnly: false,
    });
    await admin.request(FindCoordinator, 3, { key: "warm-up", keyType: 0 });
    // One small record to fetch.
    await admin.request(Produce, 9, {
      acks: -1,
      timeoutMs: 10000,
      topicData: [
        {
          name: TOPIC,
          partitionData: [
            { index: 0, records: encodeRecordBatchSync({ records: [{ key: "k", value: "v" }] }) },
          ],
        },
      ],
    });

    // ---- plain Fetch round trip (the broker's own baseline)
    const fetchOnce = () =>
      admin.request(Fetch, 12, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 1 << 20,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [
          { topic: TOPIC, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] },
        ],
        forgottenTopicsData: [],
        rackId: "",
      });
    const fetchN = ctx.quick ? 300 : 2000;
    for (let i = 0; i < 100; i++) await fetchOnce();
    const fetchLat: number[] = [];
    for (let i = 0; i < fetchN; i++) {
      const t = process.hrtime.bigint();
      await fetchOnce();
      fetchLat.push(ms(t));
    }
    const fetchP50 = median(fetchLat);
    ctx.progress(`plain Fetch round trip p50 ${fetchP50.toFixed(3)} ms over ${fetchN} requests`);
    ctx.record({
      name: "plain Fetch round trip (1 record, maxWait 0), p50",
      value: fetchP50,
      unit: "ms",
      notes: `p99 ${percentile(fetchLat, 99).toFixed(3)} ms`,
    });
    const fetchPeer = { name: "plain Fetch round trip", value: fetchP50 };

    // ---- join to stable
    const sizes = [1, 10, 50];
    const reps = ctx.quick ? 2 : 5;
    for (const n of sizes) {
      const times: number[] = [];
      let gens: number[] = [];
      for (let r = 0; r < reps; r++) {
        const res = await joinToStable(port, `join-${n}-${r}`, n);
        times.push(res.elapsed);
        gens.push(res.generation);
        await res.close();
      }
      gens = gens.sort();
      ctx.progress(
        `join to stable, ${n} member(s): median ${median(times).toFixed(1)} ms (generations ${gens.join(",")})`,
      );
      ctx.record({
        name: `join to stable, ${n} member${n > 1 ? "s" : ""} joining at once`,
        value: median(times),
        unit: "ms",
        peer: fetchPeer,
        notes: `median of ${reps}; heartbeats every ${HEARTBEAT_MS} ms; final generation ${median(gens)}`,
      });
    }

    // ---- rebalance after a leave
    {
      const times: number[] = [];
      for (let r = 0; r < reps; r++) {
        const res = await joinToStable(port, `leave-${r}`, 10);
        const leaver = res.members[0]!;
        const others = res.members.slice(1);
        const before = res.generation;
        const t0 = process.hrtime.bigint();
        const done = new Promise<void>((resolve) => {
          const timer = setInterval(() => {
            const gs = others.map((m) => res.latest.get(m)!);
            if (gs.every((g) => g > before) && new Set(gs).size === 1) {
              clearInterval(timer);
              resolve();
            }
          }, 1);
        });
        await leaver.leave();
        await done;
        times.push(ms(t0));
        await res.close();
      }
      ctx.progress(`rebalance after a leave (10 -> 9 members): median ${median(times).toFixed(1)} ms`);
      ctx.record({
        name: "rebalance after a member leaves (10 -> 9 members)",
        value: median(times),
        unit: "ms",
        peer: fetchPeer,
        notes: `median of ${reps}; the others learn of it through their next heartbeat (every ${HEARTBEAT_MS} ms)`,
      });
    }

    // ---- offset commits
    const commitOnce = (c: RawClient, group: string, offset: bigint) =>
      c.request(OffsetCommit, 8, {
        groupId: group,
        generationIdOrMemberEpoch: -1,
        memberId: "",
        topics: [
          {
            name: TOPIC,
            partitions: [{ partitionIndex: 0, committedOffset: offset, committedMetadata: null }],
          },
        ],
      });
    {
      const n = ctx.quick ? 200 : 1500;
      for (let i = 0; i < 50; i++) await commitOnce(admin, "commit-rt", BigInt(i));
      const lat: number[] = [];
      for (let i = 0; i < n; i++) {
        const t = process.hrtime.bigint();
        const r = await commitOnce(admin, "commit-rt", BigInt(i));
        lat.push(ms(t));
        if (r.topics[0]!.partitions[0]!.errorCode !== 0) throw new Error("commit failed");
      }
      ctx.progress(`OffsetCommit round trip p50 ${median(lat).toFixed(3)} ms`);
      ctx.record({
        name: "OffsetCommit round trip (1 partition, fsync before the answer), p50",
        value: median(lat),
        unit: "ms",
        peer: fetchPeer,
        notes: `p99 ${percentile(lat, 99).toFixed(3)} ms over ${n} commits`,
      });
    }
    for (const conns of [1, 16]) {
      const clients = await Promise.all(Array.from({ length: conns }, () => RawClient.connect(port)));
      const durationMs = ctx.quick ? 1000 : 4000;
      let count = 0;
      const end = Date.now() + durationMs;
      const t0 = process.hrtime.bigint();
      await Promise.all(
        clients.map(async (c, i) => {
          let o = 0n;
          while (Date.now() < end) {
            await commitOnce(c, `commit-${conns}-${i}`, o++);
            count++;
          }
        }),
      );
      const rate = count / (ms(t0) / 1000);
      ctx.progress(`offset commits/s with ${conns} connection(s): ${rate.toFixed(0)}`);
      ctx.record({
        name: `offset commits/s, ${conns} connection${conns > 1 ? "s" : ""} committing back to back`,
        value: rate,
        unit: "commits/s",
        peer: { name: "plain Fetch round trips per second, 1 connection", value: 1000 / fetchP50 },
        notes: "each commit is acknowledged after its fsync; concurrent commits share fsyncs (group commit)",
      });
      for (const c of clients) c.close();
    }
    admin.close();
  } finally {
    await broker.stop();
  }
}
