/**
 * ApiVersions (18). The advertised list is derived from the handler registry. Unsupported request
 * versions never reach this handler: the router answers them with a v0 UNSUPPORTED_VERSION response.
 */
import { ErrorCode } from "../../protocol/error-codes.js";
import { ApiVersions } from "../../protocol/messages/api-versions.js";
import { defineHandler } from "../router.js";

export const apiVersionsHandler = defineHandler(ApiVersions, (ctx) => ({
  errorCode: ErrorCode.NONE,
  apiKeys: ctx.broker.router.apiVersionRanges(),
  throttleTimeMs: 0,
  // No feature flags are finalized on a single node; clients treat the absence as "not supported".
  supportedFeatures: [],
  finalizedFeatures: [],
  finalizedFeaturesEpoch: -1n,
}));
