/** DescribeCluster (60): this node is the only broker and the controller. */
import { ErrorCode } from "../../protocol/error-codes.js";
import { DescribeCluster } from "../../protocol/messages/describe-cluster.js";
import { defineHandler } from "../router.js";
import { AUTHORIZED_OPERATIONS_OMITTED, CLUSTER_AUTHORIZED_OPERATIONS } from "./common.js";

const BROKER_ENDPOINT = 1;

export const describeClusterHandler = defineHandler(DescribeCluster, (ctx, req) => {
  const { broker } = ctx;
  const endpointType = ctx.version >= 1 ? req.endpointType : BROKER_ENDPOINT;
  if (endpointType !== BROKER_ENDPOINT) {
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE,
      errorMessage: "Brook has no separate controller endpoints.",
      endpointType,
      clusterId: broker.clusterId,
      brokers: [],
    };
  }
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    endpointType,
    clusterId: broker.clusterId,
    controllerId: broker.nodeId,
    brokers: [
      { brokerId: broker.nodeId, host: broker.advertisedHost(ctx.conn), port: broker.port, rack: null },
    ],
    clusterAuthorizedOperations: req.includeClusterAuthorizedOperations
      ? CLUSTER_AUTHORIZED_OPERATIONS
      : AUTHORIZED_OPERATIONS_OMITTED,
  };
});
