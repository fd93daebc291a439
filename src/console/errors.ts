/**
 * How the console fails: every error is `{ error: "<one line>", code }` with a status a script can
 * act on — 400 bad input, 401 login, 403 CSRF/ACL, 404 no such topic/group, 409 exists or group not
 * empty, 502 the cluster failed or is unreachable. 500 only for a bug.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { KafkaJSOffsetResetError } from "../client/admin/offset-reset.js";
import { isConnectFailure, rootCause } from "../client/error-cause.js";
import {
  KafkaJSConnectionError,
  KafkaJSError,
  KafkaJSProtocolError,
  KafkaJSSASLAuthenticationError,
} from "../client/errors.js";

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

export const badRequest = (message: string): HttpError => new HttpError(400, "BAD_REQUEST", message);
export const notFound = (code: string, message: string): HttpError => new HttpError(404, code, message);

/** Kafka error names whose HTTP status is not 502. */
const STATUS_BY_KAFKA_ERROR: Record<string, number> = {
  UNKNOWN_TOPIC_OR_PARTITION: 404,
  UNKNOWN_TOPIC_ID: 404,
  GROUP_ID_NOT_FOUND: 404,
  TOPIC_ALREADY_EXISTS: 409,
  NON_EMPTY_GROUP: 409,
  GROUP_SUBSCRIBED_TO_TOPIC: 409,
  INVALID_TOPIC_EXCEPTION: 400,
  INVALID_PARTITIONS: 400,
  INVALID_REPLICATION_FACTOR: 400,
  INVALID_REPLICA_ASSIGNMENT: 400,
  INVALID_CONFIG: 400,
  INVALID_REQUEST: 400,
  INVALID_RECORD: 400,
  INVALID_TIMESTAMP: 400,
  POLICY_VIOLATION: 400,
  OFFSET_OUT_OF_RANGE: 400,
  RECORD_LIST_TOO_LARGE: 400,
  MESSAGE_TOO_LARGE: 400,
  NO_COMMITTED_OFFSET: 400,
  TOPIC_DELETION_DISABLED: 400,
  TOPIC_AUTHORIZATION_FAILED: 403,
  GROUP_AUTHORIZATION_FAILED: 403,
  CLUSTER_AUTHORIZATION_FAILED: 403,
};

/** An error of the client, fastify or the console itself as status, code and one line. */
export function toHttpError(e: unknown): HttpError {
  if (e instanceof HttpError) return e;
  const fastifyError = e as FastifyError;
  // Fastify's own: malformed JSON, body too large, unsupported media type.
  if (typeof fastifyError?.statusCode === "number" && fastifyError.statusCode < 500 && fastifyError.code) {
    return new HttpError(fastifyError.statusCode, "BAD_REQUEST", oneLine(fastifyError.message));
  }
  const cause = rootCause(e);
  if (cause instanceof KafkaJSOffsetResetError) {
    return new HttpError(STATUS_BY_KAFKA_ERROR[cause.type] ?? 400, cause.type, oneLine(cause.message));
  }
  if (cause instanceof KafkaJSProtocolError && cause.type) {
    const status = STATUS_BY_KAFKA_ERROR[cause.type] ?? 502;
    return new HttpError(status, cause.type, oneLine(cause.message));
  }
  if (cause instanceof KafkaJSSASLAuthenticationError) {
    return new HttpError(502, "SASL_AUTHENTICATION_FAILED", oneLine(cause.message));
  }
  if (cause instanceof KafkaJSConnectionError || isConnectFailure(cause)) {
    return new HttpError(
      502,
      "CLUSTER_UNREACHABLE",
      `cannot reach the cluster: ${oneLine((cause as Error).message)}`,
    );
  }
  if (cause instanceof KafkaJSError) {
    // The client's own argument checks (KafkaJS's messages) are bad input; anything else is the cluster's.
    const invalid = /invalid|must be|required|not a|cannot be/i.test(cause.message) && !cause.retriable;
    return new HttpError(
      invalid ? 400 : 502,
      invalid ? "BAD_REQUEST" : "CLUSTER_ERROR",
      oneLine(cause.message),
    );
  }
  return new HttpError(500, "INTERNAL", oneLine(cause instanceof Error ? cause.message : String(cause)));
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}

export function sendError(reply: FastifyReply, e: HttpError): FastifyReply {
  return reply
    .code(e.status)
    .type("application/json; charset=utf-8")
    .send({ error: e.message, code: e.code });
}

/** Fastify's error handler: the JSON error body; a 500 is logged since it means a bug. */
export function errorHandler(e: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const err = toHttpError(e);
  if (err.status >= 500 && err.status !== 502) request.log.error({ err: e }, "console: unexpected error");
  return sendError(reply, err);
}
