/**
 * Differential protocol tests: every case of differential-cases.ts is sent, request by request at
 * exact API versions, to Brook and to a 1-broker Apache Kafka 4.4, and the decoded answers must agree
 * field by field once what must differ is normalised away (node ids, hosts, ports, cluster and topic
 * ids, producer ids, times; see DEFAULT_RULES in test/support/differential.ts). A difference is a
 * failure unless ALLOWED below names it with the reason Brook differs on purpose (each reason is also
 * a line of README's "Differences from Apache Kafka").
 *
 * Skipped, with the reason, when Java 17+ or Kafka's jars are missing (scripts/apache-kafka/install.sh).
 * BROOK_DIFF_DUMP=1 prints every step's two outcomes; BROOK_DIFF_CASES=a,b runs only those cases.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { BrokerConfig } from "../../src/broker/config/config.js";
import { ErrorCode } from "../../src/protocol/error-codes.js";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import {
  type ApacheKafkaCluster,
  apacheKafkaUnavailable,
  kafkaServerProperties,
  startApacheKafka,
} from "../support/apache-kafka.js";
import { type Allowed, type Difference, isAllowed, runCase } from "../support/differential.js";
import { CASES } from "./differential-cases.js";

/** Differences Brook keeps on purpose (each also a line of README's "Differences from Apache Kafka"). */
export const ALLOWED: Allowed[] = [
  {
    case: "api-versions",
    path: "apiKeys.*.maxVersion",
    when: (d) => typeof d.brook === "number" && typeof d.kafka === "number" && d.brook < d.kafka,
    reason: "Brook serves older top versions of some APIs than Kafka 4.4",
  },
  {
    case: "api-versions",
    path: "apiKeys.*",
    when: (d) => d.brook === "<missing>",
    reason: "Brook does not serve Kafka's controller, share-group, streams-group and other newer APIs",
  },
  {
    case: "api-versions",
    path: "supportedFeatures.<length>",
    reason:
      "Brook finalizes no feature flags (no KRaft metadata.version; transaction.version 2 needs Produce v12+)",
  },
  { case: "api-versions", path: "finalizedFeatures.<length>", reason: "no feature flags (as above)" },
  { case: "api-versions", path: "finalizedFeaturesEpoch", reason: "no feature flags (as above)" },
  {
    case: "*",
    path: "**.min.insync.replicas.configSource",
    reason:
      "Kafka 4.x's controller records min.insync.replicas as a cluster-level dynamic default (eligible leader replicas); Brook keeps the plain default",
  },
  { case: "*", path: "**.min.insync.replicas.synonyms.**", reason: "min.insync.replicas (as above)" },
  {
    case: "*",
    path: "documentation",
    reason:
      "Brook carries no config documentation: DescribeConfigs answers includeDocumentation with empty strings",
  },
  {
    case: "create-topics",
    step: "invalid configs",
    path: "topics.3.**",
    reason:
      "segment.bytes below 1 MiB is accepted (Brook's tests and small deployments roll small segments); Kafka 4 requires >= 1048576",
  },
  {
    case: "alter-configs",
    step: "incremental segment.bytes below Kafka's minimum",
    path: "**",
    reason: "segment.bytes below 1 MiB is accepted (as above)",
  },
  {
    case: "alter-configs",
    step: "incremental unknown operation",
    path: "**",
    reason:
      "an unknown IncrementalAlterConfigs operation gets INVALID_CONFIG naming it; Kafka fails with UNKNOWN_SERVER_ERROR",
  },
  {
    case: "broker-configs",
    step: "unknown broker config (validateOnly)",
    path: "**",
    reason: "an unknown broker config name is refused (INVALID_CONFIG); Kafka accepts and stores it",
  },
  {
    case: "metadata",
    step: "auto-creation, first answer",
    path: "**",
    reason:
      "a topic auto-created by Metadata is answered at once; Kafka first answers UNKNOWN_TOPIC_OR_PARTITION",
  },
];

const reason = apacheKafkaUnavailable();
if (reason) console.warn(`SKIP differential tests (Brook vs Apache Kafka): ${reason}`);

const ERROR_NAMES = new Map<number, string>(Object.entries(ErrorCode).map(([k, v]) => [v, k]));

function show(path: string, v: unknown): string {
  const s = JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? `${x}n` : x));
  if (/errorCode$/i.test(path) && typeof v === "number") return `${v} ${ERROR_NAMES.get(v) ?? "?"}`;
  return s ?? String(v);
}

function describeDifference(d: Difference): string {
  return `  [${d.case} / ${d.step}] ${d.path || "(outcome)"}: brook=${show(d.path, d.brook)} kafka=${show(d.path, d.kafka)}`;
}

const only = process.env.BROOK_DIFF_CASES?.split(",").filter(Boolean);
const cases = only ? CASES.filter((c) => only.includes(c.name)) : CASES;

describe("differential: Brook vs Apache Kafka", { skip: reason ?? false }, () => {
  let kafka: ApacheKafkaCluster;
  let brook: TestBroker;
  const used = new Set<Allowed>();

  before(async () => {
    // Brook gets the static configs Kafka's server.properties sets (those it knows), so config
    // sources (STATIC_BROKER_CONFIG) compare alike.
    const configs = Object.fromEntries(
      Object.entries(kafkaServerProperties(1)).filter(([k]) => BrokerConfig.knownKey(k)),
    );
    [kafka, brook] = await Promise.all([
      startApacheKafka({ brokers: 1, quickStart: true }),
      startTestBroker({ configs }),
    ]);
  });
  after(async () => {
    await Promise.all([kafka?.stop(), brook?.close()]);
  });

  for (const c of cases) {
    it(c.name, async (t) => {
      const results = await runCase(
        c,
        { name: "brook", port: brook.port },
        { name: "kafka", port: kafka.brokers[0]!.port },
      );
      const failures: Difference[] = [];
      for (const r of results) {
        if (process.env.BROOK_DIFF_DUMP) {
          const j = (x: unknown) => JSON.stringify(x, (_k, v) => (typeof v === "bigint" ? `${v}n` : v));
          t.diagnostic(`${r.step.name}\n    brook: ${j(r.brook)}\n    kafka: ${j(r.kafka)}`);
        }
        for (const d of r.differences) {
          const a = ALLOWED.find((x) => isAllowed(d, x));
          if (a) {
            used.add(a);
            t.diagnostic(`allowed: ${describeDifference(d).trim()} (${a.reason})`);
          } else failures.push(d);
        }
      }
      assert.equal(
        failures.length,
        0,
        `${failures.length} differences from Apache Kafka:\n${failures.map(describeDifference).join("\n")}`,
      );
    });
  }

  it("every allow-list entry is still needed", { skip: only ? "a subset of cases ran" : false }, () => {
    const stale = ALLOWED.filter((a) => !used.has(a));
    assert.deepEqual(
      stale.map((a) => `${a.case} / ${a.step ?? "*"} / ${a.path}`),
      [],
      "allow-list entries that matched no difference",
    );
  });
});
