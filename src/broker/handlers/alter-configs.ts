/**
 * AlterConfigs (33), the legacy form: the given set REPLACES all of the resource's dynamic
 * configs (unlisted keys return to their defaults).
 */
import { ErrorCode } from "../../protocol/error-codes.js";
import { AlterConfigs } from "../../protocol/messages/alter-configs.js";
import { defineHandler } from "../router.js";
import { errorOf } from "./common.js";
import { brokerResourceError, ResourceType, unsupportedResource } from "./configs.js";

export const alterConfigsHandler = defineHandler(AlterConfigs, (ctx, req) => {
  const { broker } = ctx;
  const responses = req.resources.map((res) => {
    const base = { resourceType: res.resourceType, resourceName: res.resourceName };
    try {
      if (res.resourceType === ResourceType.TOPIC) {
        const configs: Record<string, string> = {};
        for (const c of res.configs) {
          if (c.value === null) {
            return {
              ...base,
              errorCode: ErrorCode.INVALID_REQUEST,
              errorMessage: `Null value not supported for ${c.name}`,
            };
          }
          configs[c.name] = c.value;
        }
        broker.setTopicConfigs(res.resourceName, configs, req.validateOnly);
      } else if (res.resourceType === ResourceType.BROKER) {
        const err = brokerResourceError(broker, res.resourceName);
        if (err) return { ...base, ...err };
        // "" replaces the cluster-wide defaults, the node id this broker's own values.
        const scope = res.resourceName === "" ? "cluster" : "broker";
        const next: Record<string, string | null> = {};
        for (const k of Object.keys(broker.config.dynamicEntries(scope))) next[k] = null;
        for (const c of res.configs) next[c.name] = c.value;
        broker.setBrokerConfigs(next, req.validateOnly, scope);
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
