/** IncrementalAlterConfigs (44): SET, DELETE, APPEND and SUBTRACT (the last two for list configs) per key. */
import { ErrorCode } from "../../protocol/error-codes.js";
import { IncrementalAlterConfigs } from "../../protocol/messages/incremental-alter-configs.js";
import { BROKER_CONFIG_BY_NAME, TOPIC_CONFIG_BY_NAME } from "../config/definitions.js";
import { TopicError } from "../broker.js";
import { ConfigError } from "../config/config.js";
import { defineHandler } from "../router.js";
import { errorOf } from "./common.js";
import { brokerResourceError, ResourceType, unsupportedResource } from "./configs.js";

const SET = 0;
const DELETE = 1;
const APPEND = 2;
const SUBTRACT = 3;

/** Applies the operations to a copy of `current`; values null mean "remove the override". */
function apply(
  current: Record<string, string>,
  ops: Array<{ name: string; configOperation: number; value: string | null }>,
  effective: (key: string) => string | null,
  isList: (key: string) => boolean,
): Record<string, string | null> {
  const next: Record<string, string | null> = { ...current };
  const seen = new Set<string>();
  for (const op of ops) {
    // As Kafka: a key named twice makes the whole resource an INVALID_REQUEST.
    if (seen.has(op.name))
      throw new TopicError(ErrorCode.INVALID_REQUEST, "Error due to duplicate config keys");
    seen.add(op.name);
    switch (op.configOperation) {
      case SET:
        if (op.value === null) throw new ConfigError(op.name, `Null value not supported for ${op.name}`);
        next[op.name] = op.value;
        break;
      case DELETE:
        next[op.name] = null;
        break;
      case APPEND:
      case SUBTRACT: {
        if (!isList(op.name)) {
          throw new ConfigError(
            op.name,
            `Config ${op.name} is not a list: APPEND and SUBTRACT apply to lists only`,
          );
        }
        const cur = (next[op.name] ?? effective(op.name) ?? "").split(",").filter(Boolean);
        const items = (op.value ?? "")
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean);
        const out =
          op.configOperation === APPEND
            ? [...cur, ...items.filter((i) => !cur.includes(i))]
            : cur.filter((c) => !items.includes(c));
        next[op.name] = out.join(",");
        break;
      }
      default:
        throw new ConfigError(op.name, `Unknown config operation ${op.configOperation}`);
    }
  }
  return next;
}

export const incrementalAlterConfigsHandler = defineHandler(IncrementalAlterConfigs, (ctx, req) => {
  const { broker } = ctx;
  const responses = req.resources.map((res) => {
    const base = { resourceType: res.resourceType, resourceName: res.resourceName };
    try {
      if (res.resourceType === ResourceType.TOPIC) {
        const t = broker.topic(res.resourceName);
        if (!t) {
          return {
            ...base,
            errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            errorMessage: `Topic ${res.resourceName} does not exist`,
          };
        }
        const effective = new Map(broker.config.topicEntries(t.configs).map((e) => [e.name, e.value]));
        const next = apply(
          t.configs,
          res.configs,
          (k) => effective.get(k) ?? null,
          (k) => TOPIC_CONFIG_BY_NAME.get(k)?.type === "list",
        );
        const kept: Record<string, string> = {};
        for (const [k, v] of Object.entries(next)) if (v !== null) kept[k] = v;
        broker.setTopicConfigs(res.resourceName, kept, req.validateOnly);
      } else if (res.resourceType === ResourceType.BROKER) {
        const err = brokerResourceError(broker, res.resourceName);
        if (err) return { ...base, ...err };
        // "" is the cluster-wide default, the node id this broker's own value (which wins).
        const scope = res.resourceName === "" ? "cluster" : "broker";
        const next = apply(
          broker.config.dynamicEntries(scope),
          res.configs,
          (k) => broker.config.string(k) ?? null,
          (k) => BROKER_CONFIG_BY_NAME.get(k)?.type === "list",
        );
        broker.setBrokerConfigs(next, req.validateOnly, scope);
      } else if (res.resourceType === ResourceType.BROKER_LOGGER) {
        return { ...base, errorCode: ErrorCode.NONE, errorMessage: null };
      } else {
        return { ...base, ...unsupportedResource(res.resourceType) };
      }
      return { ...base, errorCode: ErrorCode.NONE, errorMessage: null };
    } catch (e) {
      return { ...base, ...errorOf(e) };
    }
  });
  return { throttleTimeMs: 0, responses };
});
