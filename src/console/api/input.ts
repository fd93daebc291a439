/** Checks of request input: each failure is a 400 naming the field and what was expected. */
import { badRequest } from "../errors.js";

export type Body = Record<string, unknown>;

export function bodyOf(body: unknown): Body {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw badRequest("the request body must be a JSON object");
  }
  return body as Body;
}

export function wholeNumber(name: string, value: unknown, { min = 0 }: { min?: number } = {}): number {
  const n = typeof value === "string" && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < min) {
    throw badRequest(
      `${name}: expected a whole number${min === 0 ? " ≥ 0" : min === 1 ? " ≥ 1" : ""}, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

export function optionalWholeNumber(
  name: string,
  value: unknown,
  opts: { min?: number } = {},
): number | undefined {
  return value === undefined || value === null ? undefined : wholeNumber(name, value, opts);
}

export function requiredString(name: string, value: unknown): string {
  if (typeof value !== "string" || value === "") throw badRequest(`${name}: expected a non-empty string`);
  return value;
}

/** `{ k: v }` with string, number or boolean values, as strings (Kafka configs are text). */
export function stringMap(name: string, value: unknown): Array<[string, string]> {
  if (value === undefined || value === null) return [];
  if (typeof value !== "object" || Array.isArray(value))
    throw badRequest(`${name}: expected an object of name: value`);
  return Object.entries(value as Record<string, unknown>).map(([k, v]) => {
    if (!["string", "number", "boolean"].includes(typeof v)) {
      throw badRequest(`${name}.${k}: expected a string or number value`);
    }
    return [k, String(v)];
  });
}

export function stringList(name: string, value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string" || v === "")) {
    throw badRequest(`${name}: expected an array of names`);
  }
  return value as string[];
}

export const isInternalTopic = (name: string): boolean => name.startsWith("__");
