/** Broker configuration: .properties parsing, validation by Kafka definitions, and effective topic values. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BrokerConfig, ConfigError, validateTopicConfigs } from "../../src/broker/config/config.js";
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
    assert.throws(() => new BrokerConfig([{ "num.partitions": "zero" }]), /num\.partitions.*an integer >= 1/);
    assert.throws(() => new BrokerConfig([{ "num.partitions": "0" }]), /num\.partitions/);
    assert.throws(() => new BrokerConfig([{ "auto.create.topics.enable": "yes" }]), /true or false/);
    assert.throws(() => new BrokerConfig([{ "log.cleanup.policy": "remove" }]), /one of delete, compact/);
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
