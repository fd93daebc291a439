/** Shared by DescribeConfigs, AlterConfigs and IncrementalAlterConfigs: resource types and name checks. */
import { ErrorCode } from "../../protocol/error-codes.js";
import type { Broker } from "../broker.js";

export const ResourceType = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const;

/** Null when the broker resource name is acceptable ("" = cluster default, or this node's id). */
export function brokerResourceError(
  broker: Broker,
  name: string,
): { errorCode: number; errorMessage: string } | null {
  if (name === "" || name === String(broker.nodeId)) return null;
  return {
    errorCode: ErrorCode.INVALID_REQUEST,
    errorMessage: `Unexpected broker id, expected ${broker.nodeId} or empty string, but received ${name}`,
  };
}

/** The answer for a resource type these APIs do not handle. */
export function unsupportedResource(resourceType: number): { errorCode: number; errorMessage: string } {
  return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported resource type ${resourceType}` };
}
