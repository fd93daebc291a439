/**
 * DescribeConfigs (32): topic configs (effective value and where it comes from: the topic, a
 * broker default, or Kafka's default) and broker configs. Synonyms list the chain of sources as
 * Kafka does: a topic's own value, then its broker config's dynamic, static and default values (the
 * default only when Kafka has one: log.retention.ms, log.roll.ms and the like have none), or a
 * broker config's own chain. The broker resource "" (the cluster-wide default) lists only the configs
 * set there, with only that layer as synonyms. As Kafka, the error message is "" when there is no
 * error and for an unknown topic.
 */
import { ErrorCode } from "../../protocol/error-codes.js";
import { DescribeConfigs } from "../../protocol/messages/describe-configs.js";
import { validateTopicName } from "../broker.js";
import { CONFIG_TYPE_ID, TOPIC_CONFIG_BY_NAME } from "../config/definitions.js";
import { ConfigSource, type ResolvedEntry } from "../config/config.js";
import { defineHandler } from "../router.js";
import { brokerResourceError, ResourceType, unsupportedResource } from "./configs.js";

export const describeConfigsHandler = defineHandler(DescribeConfigs, (ctx, req) => {
  const { broker, version } = ctx;
  const results = req.resources.map((res) => {
    const base = { resourceType: res.resourceType, resourceName: res.resourceName };
    let entries: ResolvedEntry[];
    let topicOverrides: Record<string, string> = {};
    if (res.resourceType === ResourceType.TOPIC) {
      const invalid = validateTopicName(res.resourceName);
      if (invalid)
        return { ...base, errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: invalid, configs: [] };
      const t = broker.topic(res.resourceName);
      if (!t)
        return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: "", configs: [] };
      topicOverrides = t.configs;
      entries = broker.config.topicEntries(t.configs);
    } else if (res.resourceType === ResourceType.BROKER) {
      const err = brokerResourceError(broker, res.resourceName);
      if (err) return { ...base, ...err, configs: [] };
      // "" is the cluster-wide default resource: as Kafka, only the configs set there.
      entries =
        res.resourceName === "" ? broker.config.clusterDefaultEntries() : broker.config.brokerEntries();
    } else if (res.resourceType === ResourceType.BROKER_LOGGER) {
      entries = [];
    } else {
      return { ...base, ...unsupportedResource(res.resourceType), configs: [] };
    }
    const keys = res.configurationKeys;
    if (keys) entries = entries.filter((e) => keys.includes(e.name));
    const configs = entries.map((e) => {
      const synonyms: Array<{ name: string; value: string | null; source: number }> = [];
      if (req.includeSynonyms && res.resourceType === ResourceType.TOPIC) {
        if (e.name in topicOverrides)
          synonyms.push({ name: e.name, value: topicOverrides[e.name]!, source: ConfigSource.TOPIC_CONFIG });
        const def = TOPIC_CONFIG_BY_NAME.get(e.name);
        if (def?.brokerDefault) synonyms.push(...broker.config.synonyms(def.brokerDefault));
      } else if (req.includeSynonyms) {
        const all = broker.config.synonyms(e.name);
        synonyms.push(
          ...(res.resourceName === ""
            ? all.filter((s) => s.source === ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG)
            : all),
        );
      }
      return {
        name: e.name,
        value: e.value,
        readOnly: e.readOnly,
        isDefault: e.isDefault,
        // v0 has no source; Kafka reports read-only broker configs and defaults through isDefault only.
        configSource: version >= 1 ? e.source : -1,
        isSensitive: e.sensitive,
        synonyms,
        configType: CONFIG_TYPE_ID[e.type],
        documentation: req.includeDocumentation ? "" : null,
      };
    });
    return { ...base, errorCode: ErrorCode.NONE, errorMessage: "", configs };
  });
  return { throttleTimeMs: 0, results };
});
