/**
 * DescribeCluster (60): this node is the only broker and the controller. A request for controller
 * endpoints (v1 endpointType 2) reached a broker endpoint: MISMATCHED_ENDPOINT_TYPE, and any other
 * type UNSUPPORTED_ENDPOINT_TYPE, both answered with this endpoint's own type, as Kafka does.
 */
import { ErrorCode } from "../../protocol/error-codes.js";
import { DescribeCluster } from "../../protocol/messages/describe-cluster.js";
import { defineHandler } from "../router.js";
import { AUTHORIZED_OPERATIONS_OMITTED, CLUSTER_AUTHORIZED_OPERATIONS } from "./common.js";

const BROKER_ENDPOINT = 1;
const CONTROLLER_ENDPOINT = 2;

export const describeClusterHandler = defineHandler(DescribeCluster, (ctx, req) => {
  const { broker } = ctx;
  const endpointType = ctx.version >= 1 ? req.endpointType : BROKER_ENDPOINT;
  if (endpointType !== BROKER_ENDPOINT) {
    const controller = endpointType === CONTROLLER_ENDPOINT;
    return {
      throttleTimeMs: 0,
      errorCode: controller ? ErrorCode.MISMATCHED_ENDPOINT_TYPE : ErrorCode.UNSUPPORTED_ENDPOINT_TYPE,
      errorMessage: controller
        ? "The request was sent to a broker endpoint, but controller endpoints were requested."
        : `Unsupported endpoint type ${endpointType}`,
      endpointType: BROKER_ENDPOINT,
      clusterId: "",
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
