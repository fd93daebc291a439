/**
 * How the CLI fails: one readable line on stderr and an exit code — 1 when the cluster refused or
 * could not be reached, 2 when the command line itself is wrong (as commander's own usage errors).
 */
import { isConnectFailure, rootCause } from "../client/error-cause.js";
import {
  KafkaJSConnectionError,
  KafkaJSError,
  KafkaJSProtocolError,
  KafkaJSSASLAuthenticationError,
} from "../client/errors.js";

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** A wrong command line: bad option values, bad formats, malformed -X settings. Exit code 2. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2);
    this.name = "UsageError";
  }
}

/** What to do next, per Kafka error name. */
const HINTS: Record<string, string> = {
  UNKNOWN_TOPIC_OR_PARTITION: 'no such topic or partition; "brook topic list" shows the topics',
  UNKNOWN_TOPIC_ID: 'no such topic; "brook topic list" shows the topics',
  TOPIC_ALREADY_EXISTS: 'a topic of that name exists; "brook topic describe <topic>" shows it',
  INVALID_TOPIC_EXCEPTION: "topic names are 1–249 characters of letters, digits, '.', '_' and '-'",
  INVALID_PARTITIONS: "the partition count must be a positive number, and can only grow",
  INVALID_REPLICATION_FACTOR: "the replication factor cannot exceed the number of brokers",
  INVALID_CONFIG:
    'see the configs and their values with "brook topic describe <topic>" or "brook cluster config"',
  POLICY_VIOLATION: "the cluster's create-topic policy refused it",
  NON_EMPTY_GROUP: "the group has active members; stop its consumers first",
  GROUP_ID_NOT_FOUND: 'no such group; "brook group list" shows the groups',
  GROUP_SUBSCRIBED_TO_TOPIC: "the group's members are consuming that topic; stop them first",
  GROUP_AUTHORIZATION_FAILED: "the principal may not use this group (ACLs)",
  TOPIC_AUTHORIZATION_FAILED: "the principal may not use this topic (ACLs)",
  CLUSTER_AUTHORIZATION_FAILED: "the principal may not do this on the cluster (ACLs)",
  OFFSET_OUT_OF_RANGE: "the offset is outside the partition's log; see its range with brook topic describe",
  UNSUPPORTED_VERSION: "the cluster does not support this request version",
  SASL_AUTHENTICATION_FAILED: "check --sasl-mechanism, --sasl-username and --sasl-password",
  ILLEGAL_SASL_STATE: "check --sasl-mechanism against the listener's security protocol",
  UNSUPPORTED_SASL_MECHANISM: "the listener does not enable this SASL mechanism",
  NOT_CONTROLLER: "the cluster's controller moved; try again",
  REQUEST_TIMED_OUT: "the cluster did not answer in time; try again or raise -X requestTimeout",
  INVALID_REQUEST: "the cluster refused the request as malformed",
  INVALID_RECORD: "the cluster refused a record",
  RECORD_LIST_TOO_LARGE: "a record is larger than the topic's max.message.bytes",
  MESSAGE_TOO_LARGE: "a record is larger than the topic's max.message.bytes",
  UNKNOWN_MEMBER_ID: "the group rebalanced; try again",
  COORDINATOR_NOT_AVAILABLE: "the group coordinator is not ready; try again",
};

/** One line for an error from the client, the file system or the CLI itself, and its exit code. */
export function describeError(e: unknown, brokers?: string[]): { line: string; exitCode: number } {
  if (e instanceof CliError) return { line: e.message, exitCode: e.exitCode };
  const cause = rootCause(e);
  if (cause instanceof CliError) return { line: cause.message, exitCode: cause.exitCode };
  if (cause instanceof KafkaJSProtocolError && cause.type) {
    const hint = HINTS[cause.type];
    // The broker's own message when it sent one ("Topic 't' already exists."), else the code's text.
    const own = /\((.+)\)$/.exec(cause.message)?.[1];
    const text = (own ?? cause.message ?? cause.type).replace(/\.$/, "");
    return { line: `${text} (${cause.type})${hint ? `; ${hint}` : ""}`, exitCode: 1 };
  }
  if (cause instanceof KafkaJSSASLAuthenticationError) {
    return { line: `${cause.message}: ${HINTS.SASL_AUTHENTICATION_FAILED}`, exitCode: 1 };
  }
  if (cause instanceof KafkaJSConnectionError || isConnectFailure(cause)) {
    const where = brokers?.length ? brokers.join(",") : "the cluster";
    const why = (cause as Error).message;
    // A TLS failure is no "is a broker running?" matter: the broker answered with a certificate.
    if (/certificate|CERT_|SSL|TLS|handshake|wrong version number/i.test(why)) {
      return {
        line: `TLS with ${where} failed: ${why}; trust its CA with --tls-ca <pem> (or --tls-insecure for a test setup), or drop --tls if the listener is plaintext`,
        exitCode: 1,
      };
    }
    return {
      line: `cannot reach ${where}: ${why}; is a broker running there? (start one with "brook start", or give -b host:port)`,
      exitCode: 1,
    };
  }
  if (cause instanceof KafkaJSError) return { line: cause.message, exitCode: 1 };
  const err = cause as NodeJS.ErrnoException;
  if (err && typeof err === "object" && typeof err.code === "string" && err.syscall) {
    return { line: `${err.message}`, exitCode: 1 };
  }
  return { line: cause instanceof Error ? cause.message : String(cause), exitCode: 1 };
}
