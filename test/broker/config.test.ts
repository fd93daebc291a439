/** Broker configuration: .properties parsing, validation by Kafka definitions, and effective topic values. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BrokerConfig,
  ConfigError,
  ConfigSource,
  validateTopicConfigs,
} from "../../src/broker/config/config.js";
import { ErrorCode } from "../../src/protocol/error-codes.js";
import { startTestBroker } from "../../src/testing/index.js";
import { configFromEnv, parseProperties, parseSetOptions } from "../../src/broker/config/sources.js";

describe("broker configuration", () => {
  it("parses Java .properties syntax", () => {
    const p = parseProperties(
      "# comment\n! also a comment\nnum.partitions=3\nlog.dirs : /tmp/x\nkey\\ with\\ spaces value\nlong=a,\\\n   b\nunicode=\\u00e9\n  spaced = v \n",
    );
    assert.deepEqual(p, {
      "num.partitions": "3",
      "log.dirs": "/tmp/x",
      "key with spaces": "value",
      long: "a,b",
      unicode: "é",
      spaced: "v ",
    });
  });

  it("refuses unknown keys and invalid values, naming the key and what is allowed", () => {
    assert.throws(
      () => new BrokerConfig([{ "num.partition": "3" }]),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.match(
          e.message,
          /Unknown broker configuration "num\.partition".*did you mean num\.partitions/,
        );
        return true;
      },
    );
    // In the words of Kafka's own config parser (AlterConfigs answers them, Kafka's tools print them).
    assert.throws(
      () => new BrokerConfig([{ "num.partitions": "zero" }]),
      /Invalid value zero for configuration num\.partitions: Not a number of type INT$/,
    );
    assert.throws(
      () => new BrokerConfig([{ "num.partitions": "0" }]),
      /Invalid value 0 for configuration num\.partitions: Value must be at least 1$/,
    );
    assert.throws(
      () => new BrokerConfig([{ "message.max.bytes": "99999999999" }]),
      /: Not a number of type INT$/,
    );
    assert.throws(
      () => new BrokerConfig([{ "log.cleaner.min.cleanable.ratio": "1.5" }]),
      /: Value must be no more than 1$/,
    );
    assert.throws(
      () => new BrokerConfig([{ "auto.create.topics.enable": "yes" }]),
      /: Expected value to be either true or false$/,
    );
    assert.throws(
      () => new BrokerConfig([{ "log.cleanup.policy": "remove" }]),
      /Invalid value remove for configuration log\.cleanup\.policy: String must be one of: compact, delete$/,
    );
    const c = new BrokerConfig();
    assert.throws(
      () => c.setDynamic("num.partitions", "3"),
      /Cannot update these configs dynamically: \[num\.partitions\]$/,
    );
    assert.throws(
      () =>
        new BrokerConfig([
          { "group.min.session.timeout.ms": "9000", "group.max.session.timeout.ms": "8000" },
        ]),
      /must not exceed/,
    );
  });

  it("later layers win and Kafka's retention fallbacks apply", () => {
    const c = new BrokerConfig([
      { "num.partitions": "2", "log.retention.hours": "1" },
      { "num.partitions": "5" },
    ]);
    assert.equal(c.number("num.partitions"), 5);
    assert.equal(c.retentionMs(), 3_600_000);
    const topic = new Map(c.topicEntries({}).map((e) => [e.name, e]));
    assert.equal(topic.get("retention.ms")!.value, "3600000");
    assert.equal(topic.get("retention.ms")!.source, 4); // STATIC_BROKER_CONFIG
    assert.equal(topic.get("segment.bytes")!.value, "1073741824");
    assert.equal(topic.get("segment.bytes")!.source, 5); // DEFAULT_CONFIG
    const overridden = new Map(c.topicEntries({ "retention.ms": "5" }).map((e) => [e.name, e]));
    assert.equal(overridden.get("retention.ms")!.value, "5");
    assert.equal(overridden.get("retention.ms")!.source, 1); // TOPIC_CONFIG
  });

  it("dynamic values: this broker's own win over the cluster-wide default, with their own source", async () => {
    const c = new BrokerConfig([{ "message.max.bytes": "3000000" }]);
    c.setDynamic("message.max.bytes", "2000000");
    c.setDynamic("message.max.bytes", "1500000", "broker");
    c.setDynamic("log.retention.ms", "86400000");
    assert.equal(c.number("message.max.bytes"), 1_500_000);
    const broker = new Map(c.brokerEntries().map((e) => [e.name, e]));
    assert.equal(broker.get("message.max.bytes")!.source, ConfigSource.DYNAMIC_BROKER_CONFIG);
    assert.deepEqual(
      c.synonyms("message.max.bytes").map((s) => `${s.source}=${s.value}`),
      [
        `${ConfigSource.DYNAMIC_BROKER_CONFIG}=1500000`,
        `${ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG}=2000000`,
        `${ConfigSource.STATIC_BROKER_CONFIG}=3000000`,
        `${ConfigSource.DEFAULT_CONFIG}=1048588`,
      ],
    );
    const topic = new Map(c.topicEntries({}).map((e) => [e.name, e]));
    assert.deepEqual(
      [topic.get("max.message.bytes")!.value, topic.get("max.message.bytes")!.source],
      ["1500000", ConfigSource.DYNAMIC_BROKER_CONFIG],
    );
    // The cluster-default resource lists only what is set there.
    assert.deepEqual(
      c.clusterDefaultEntries().map((e) => [e.name, e.value]),
      [
        ["message.max.bytes", "2000000"],
        ["log.retention.ms", "86400000"],
      ],
    );
    assert.deepEqual(c.dynamicEntries("broker"), { "message.max.bytes": "1500000" });
    c.setDynamic("message.max.bytes", null, "broker");
    assert.equal(c.number("message.max.bytes"), 2_000_000);

    // Both layers are kept across a restart.
    const dataDir = mkdtempSync(join(tmpdir(), "brook-config-test-"));
    try {
      const first = await startTestBroker({ dataDir });
      first.broker.setBrokerConfigs({ "message.max.bytes": "1500000" }, false, "broker");
      first.broker.setBrokerConfigs({ "log.retention.ms": "86400000" }, false, "cluster");
      // Every config of a request that cannot change at run time is named, as Kafka (INVALID_REQUEST).
      assert.throws(
        () =>
          first.broker.setBrokerConfigs(
            { "num.partitions": "3", "log.segment.bytes": "5000000", "log.roll.hours": "3" },
            false,
          ),
        (e: Error & { errorCode?: number }) =>
          e.message === "Cannot update these configs dynamically: [num.partitions, log.roll.hours]" &&
          e.errorCode === ErrorCode.INVALID_REQUEST,
      );
      assert.equal(first.broker.config.number("log.segment.bytes"), 1073741824, "nothing applied");
      await first.close();
      const second = await startTestBroker({ dataDir });
      try {
        const sources = new Map(
          second.broker.config.brokerEntries().map((e) => [e.name, [e.value, e.source]]),
        );
        assert.deepEqual(sources.get("message.max.bytes"), ["1500000", ConfigSource.DYNAMIC_BROKER_CONFIG]);
        assert.deepEqual(sources.get("log.retention.ms"), [
          "86400000",
          ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG,
        ]);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("validates topic configs", () => {
    assert.deepEqual(validateTopicConfigs({ "cleanup.policy": "compact,delete", "retention.ms": "100" }), {
      "cleanup.policy": "compact,delete",
      "retention.ms": "100",
    });
    assert.throws(() => validateTopicConfigs({ "retention.ms": "-5" }), /retention\.ms/);
    assert.throws(
      () => validateTopicConfigs({ "min.cleanable.dirty.ratio": "1.5" }),
      /min\.cleanable\.dirty\.ratio/,
    );
    assert.throws(() => validateTopicConfigs({ "not.a.config": "1" }), /Unknown topic config/);
    // compression.gzip.level: 1 to 9, or -1 (the codec's default), as Kafka's validator.
    assert.deepEqual(validateTopicConfigs({ "compression.gzip.level": "-1" }), {
      "compression.gzip.level": "-1",
    });
    assert.deepEqual(validateTopicConfigs({ "compression.gzip.level": "9" }), {
      "compression.gzip.level": "9",
    });
    for (const bad of ["0", "-2", "10"]) {
      assert.throws(
        () => validateTopicConfigs({ "compression.gzip.level": bad }),
        new RegExp(
          `Invalid value ${bad} for configuration compression\\.gzip\\.level: Value must be between 1 and 9 or equal to -1`,
        ),
      );
    }
  });

  it("reads BROOK_<KEY> variables and --set pairs", () => {
    const env = configFromEnv({
      BROOK_NUM_PARTITIONS: "4",
      BROOK_AUTO_CREATE_TOPICS_ENABLE: "false",
      BROOK_BOGUS: "1",
      PATH: "/bin",
    });
    assert.deepEqual(env.values, { "num.partitions": "4", "auto.create.topics.enable": "false" });
    assert.deepEqual(env.unknown, ["BROOK_BOGUS"]);
    assert.deepEqual(parseSetOptions(["a.b=1", "c=x=y"]), { "a.b": "1", c: "x=y" });
    assert.throws(() => parseSetOptions(["novalue"]), /key=value/);
  });
});
