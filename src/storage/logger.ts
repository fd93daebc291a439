/** The small logging interface storage needs (pino's `info(obj, msg)` fits it), so storage does not depend on pino. */
export interface Logger {
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
}

export const NOOP_LOGGER: Logger = {
  info() {},
  warn() {},
};
