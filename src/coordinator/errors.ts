/** An error the group coordinator answers with: a Kafka error code and a message for logs/responses. */
export class CoordinatorError extends Error {
  constructor(
    readonly errorCode: number,
    message?: string,
  ) {
    super(message ?? `coordinator error ${errorCode}`);
    this.name = "CoordinatorError";
  }
}

export function errorCodeOf(e: unknown, fallback: number): number {
  if (e instanceof CoordinatorError) return e.errorCode;
  if (e && typeof e === "object" && "errorCode" in e && typeof e.errorCode === "number") return e.errorCode;
  return fallback;
}
