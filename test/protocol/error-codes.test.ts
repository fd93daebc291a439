import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import {
  ERROR_INFOS,
  ErrorCode,
  type ErrorName,
  errorInfo,
  isRetriable,
  KafkaError,
  LEGACY_NAMES,
} from "../../src/protocol/error-codes.js";

const require = createRequire(import.meta.url);

/**
 * The codes of protocol-notes section i with their Java retriable flag (Y/N), transcribed by hand
 * from that table so the test does not depend on a file outside the repository.
 */
const SECTION_I: ReadonlyArray<[number, string, boolean]> = [
  [-1, "UNKNOWN_SERVER_ERROR", false],
  [1, "OFFSET_OUT_OF_RANGE", false],
  [2, "CORRUPT_MESSAGE", true],
  [3, "UNKNOWN_TOPIC_OR_PARTITION", true],
  [4, "INVALID_FETCH_SIZE", false],
  [5, "LEADER_NOT_AVAILABLE", true],
  [6, "NOT_LEADER_OR_FOLLOWER", true],
  [7, "REQUEST_TIMED_OUT", true],
  [10, "MESSAGE_TOO_LARGE", false],
  [12, "OFFSET_METADATA_TOO_LARGE", false],
  [14, "COORDINATOR_LOAD_IN_PROGRESS", true],
  [15, "COORDINATOR_NOT_AVAILABLE", true],
  [16, "NOT_COORDINATOR", true],
  [17, "INVALID_TOPIC_EXCEPTION", false],
  [18, "RECORD_LIST_TOO_LARGE", false],
  [19, "NOT_ENOUGH_REPLICAS", true],
  [21, "INVALID_REQUIRED_ACKS", false],
  [22, "ILLEGAL_GENERATION", false],
  [23, "INCONSISTENT_GROUP_PROTOCOL", false],
  [24, "INVALID_GROUP_ID", false],
  [25, "UNKNOWN_MEMBER_ID", false],
  [26, "INVALID_SESSION_TIMEOUT", false],
  [27, "REBALANCE_IN_PROGRESS", false],
  [28, "INVALID_COMMIT_OFFSET_SIZE", false],
  [29, "TOPIC_AUTHORIZATION_FAILED", false],
  [30, "GROUP_AUTHORIZATION_FAILED", false],
  [31, "CLUSTER_AUTHORIZATION_FAILED", false],
  [32, "INVALID_TIMESTAMP", false],
  [33, "UNSUPPORTED_SASL_MECHANISM", false],
  [34, "ILLEGAL_SASL_STATE", false],
  [35, "UNSUPPORTED_VERSION", false],
  [36, "TOPIC_ALREADY_EXISTS", false],
  [37, "INVALID_PARTITIONS", false],
  [38, "INVALID_REPLICATION_FACTOR", false],
  [40, "INVALID_CONFIG", false],
  [41, "NOT_CONTROLLER", true],
  [42, "INVALID_REQUEST", false],
  [43, "UNSUPPORTED_FOR_MESSAGE_FORMAT", false],
  [44, "POLICY_VIOLATION", false],
  [45, "OUT_OF_ORDER_SEQUENCE_NUMBER", false],
  [46, "DUPLICATE_SEQUENCE_NUMBER", false],
  [47, "INVALID_PRODUCER_EPOCH", false],
  [48, "INVALID_TXN_STATE", false],
  [49, "INVALID_PRODUCER_ID_MAPPING", false],
  [50, "INVALID_TRANSACTION_TIMEOUT", false],
  [51, "CONCURRENT_TRANSACTIONS", true],
  [52, "TRANSACTION_COORDINATOR_FENCED", false],
  [53, "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", false],
  [58, "SASL_AUTHENTICATION_FAILED", false],
  [59, "UNKNOWN_PRODUCER_ID", false],
  [68, "NON_EMPTY_GROUP", false],
  [69, "GROUP_ID_NOT_FOUND", false],
  [74, "FENCED_LEADER_EPOCH", true],
  [75, "UNKNOWN_LEADER_EPOCH", true],
  [76, "UNSUPPORTED_COMPRESSION_TYPE", false],
  [78, "OFFSET_NOT_AVAILABLE", true],
  [79, "MEMBER_ID_REQUIRED", false],
  [81, "GROUP_MAX_SIZE_REACHED", false],
  [82, "FENCED_INSTANCE_ID", false],
  [87, "INVALID_RECORD", false],
  [88, "UNSTABLE_OFFSET_COMMIT", true],
  [89, "THROTTLING_QUOTA_EXCEEDED", true],
  [90, "PRODUCER_FENCED", false],
  [100, "UNKNOWN_TOPIC_ID", true],
  [120, "TRANSACTION_ABORTABLE", false],
];

describe("error code table", () => {
  it("covers every code from -1 to 133 exactly once", () => {
    const codes = ERROR_INFOS.map((i) => i.code);
    assert.equal(new Set(codes).size, codes.length, "codes are unique");
    const expectedCodes = Array.from({ length: 135 }, (_, i) => i - 1);
    assert.deepEqual(codes, expectedCodes);
    // 130 codes (NONE included) in the 4.0 snapshot's Errors.java, plus 129..133 added after it.
    assert.equal(ERROR_INFOS.filter((i) => i.code <= 128).length, 130);
  });

  it("has unique names, and ErrorCode agrees with ERROR_INFOS", () => {
    const names = ERROR_INFOS.map((i) => i.name);
    assert.equal(new Set(names).size, names.length);
    const values = Object.values(ErrorCode);
    assert.equal(new Set(values).size, values.length);
    for (const [name, code] of Object.entries(ErrorCode)) {
      const info = errorInfo(code);
      assert.equal(info.name, name);
      assert.equal(info.code, code);
      assert.equal(info.known, true);
    }
  });

  it("gives every code a non-empty message of its own", () => {
    const messages = ERROR_INFOS.map((i) => i.message);
    for (const info of ERROR_INFOS) assert.ok(info.message.length > 3, `${info.name} has a message`);
    assert.equal(new Set(messages).size, messages.length, "no two codes share a message");
  });

  it("matches the names and Java retriable flags of protocol-notes section i", () => {
    for (const [code, name, retriable] of SECTION_I) {
      const info = errorInfo(code);
      assert.equal(info.name, name, `name of ${code}`);
      assert.equal(info.retriable, retriable, `retriable flag of ${name}`);
      assert.equal(isRetriable(code), retriable);
    }
  });

  it("matches the section i table in the shared reference, when it is present", (t) => {
    const path = new URL("../../../shared/reference/protocol-notes.md", import.meta.url);
    if (!existsSync(path)) {
      t.skip("protocol-notes.md not available");
      return;
    }
    const text = readFileSync(path, "utf8");
    const section = text.slice(text.indexOf("## i."));
    const rows = [...section.matchAll(/^\| (-?\d+) \| (\w+) \| (yes|no|–) \|/gm)];
    assert.ok(rows.length >= SECTION_I.length, `parsed ${rows.length} rows`);
    for (const [, code, name, flag] of rows) {
      const info = errorInfo(Number(code));
      assert.equal(info.name, name);
      if (flag !== "–") assert.equal(info.retriable, flag === "yes", `retriable flag of ${name}`);
    }
  });

  it("treats an unknown code as a non-retriable unknown server error without throwing", () => {
    for (const code of [-2, 134, 999, 32767, -32768]) {
      const info = errorInfo(code);
      assert.equal(info.code, code);
      assert.equal(info.name, "UNKNOWN_SERVER_ERROR");
      assert.equal(info.retriable, false);
      assert.equal(info.known, false);
      assert.match(info.message, new RegExp(String(code)));
    }
  });
});

describe("agreement with KafkaJS 2.2.4 (src/protocol/error.js)", () => {
  const kafkajs: {
    errorCodes: Array<{ type: string; code: number; retriable: boolean }>;
  } = require("kafkajs/src/protocol/error.js");

  it("KafkaJS knows codes -1..88 (no NONE), all of which Brook knows", () => {
    assert.equal(kafkajs.errorCodes.length, 89);
    for (const e of kafkajs.errorCodes) assert.equal(errorInfo(e.code).known, true, `code ${e.code}`);
  });

  it("agrees on every retriable flag", () => {
    for (const e of kafkajs.errorCodes) {
      assert.equal(errorInfo(e.code).retriable, e.retriable, `${e.type} (${e.code})`);
    }
  });

  /*
   * Deliberate differences: Brook uses Kafka's current names. KafkaJS keeps five older names: -1
   * UNKNOWN (Java renamed it UNKNOWN_SERVER_ERROR), 6 NOT_LEADER_FOR_PARTITION (renamed
   * NOT_LEADER_OR_FOLLOWER in Kafka 2.7, KIP-392), and 14/15/16 GROUP_LOAD_IN_PROGRESS,
   * GROUP_COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR_FOR_GROUP (renamed to COORDINATOR_* when
   * transactions gave coordinators a second use). LEGACY_NAMES lists exactly these; KafkaError.type
   * reports them for KafkaJS compatibility.
   */
  it("agrees on every name, except the renamed codes listed in LEGACY_NAMES", () => {
    const differences: Record<string, string> = {};
    for (const e of kafkajs.errorCodes) {
      const name = errorInfo(e.code).name;
      if (name !== e.type) differences[name] = e.type;
    }
    assert.deepEqual(differences, LEGACY_NAMES);
  });

  it("KafkaError.type equals KafkaJS's type for every code KafkaJS knows", () => {
    for (const e of kafkajs.errorCodes) {
      const err = new KafkaError(e.code);
      assert.equal(err.type, e.type);
      assert.equal(err.retriable, e.retriable);
    }
  });
});

describe("KafkaError", () => {
  it("carries code, Kafka name, KafkaJS type and retriable flag", () => {
    const err = KafkaError.fromCode(ErrorCode.NOT_LEADER_OR_FOLLOWER, "partition t-0");
    assert.ok(err instanceof KafkaError);
    assert.ok(err instanceof Error);
    assert.equal(err.name, "KafkaError");
    assert.equal(err.code, 6);
    assert.equal(err.errorName, "NOT_LEADER_OR_FOLLOWER");
    assert.equal(err.type, "NOT_LEADER_FOR_PARTITION");
    assert.equal(err.retriable, true);
    assert.match(err.message, /^NOT_LEADER_OR_FOLLOWER: .*\(partition t-0\)$/);
  });

  it("fromCode(NONE) is undefined, unknown codes become non-retriable errors", () => {
    assert.equal(KafkaError.fromCode(ErrorCode.NONE), undefined);
    const err = KafkaError.fromCode(4242)!;
    assert.equal(err.code, 4242);
    assert.equal(err.errorName, "UNKNOWN_SERVER_ERROR");
    assert.equal(err.retriable, false);
  });

  it("uses the Kafka name as type where KafkaJS has no older name", () => {
    for (const name of [
      "REBALANCE_IN_PROGRESS",
      "PRODUCER_FENCED",
      "SHARE_SESSION_LIMIT_REACHED",
    ] as ErrorName[]) {
      const err = new KafkaError(ErrorCode[name]);
      assert.equal(err.type, name);
      assert.equal(err.errorName, name);
    }
  });
});
