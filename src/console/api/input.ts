/** Checks of request input: each failure is a 400 naming the field and what was expected. */
import { ConfigSource } from "../../client/enums.js";
import type { ConfigEntries } from "../../client/admin/types.js";
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

/** Config source names as Kafka's tools and Kafka UI print them. */
const SOURCE_NAMES: Record<number, string> = {
  [ConfigSource.UNKNOWN]: "UNKNOWN",
  [ConfigSource.TOPIC_CONFIG]: "DYNAMIC_TOPIC_CONFIG",
  [ConfigSource.DYNAMIC_BROKER_CONFIG]: "DYNAMIC_BROKER_CONFIG",
  [ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG]: "DYNAMIC_DEFAULT_BROKER_CONFIG",
  [ConfigSource.STATIC_BROKER_CONFIG]: "STATIC_BROKER_CONFIG",
  [ConfigSource.DEFAULT_CONFIG]: "DEFAULT_CONFIG",
  [ConfigSource.DYNAMIC_BROKER_LOGGER_CONFIG]: "DYNAMIC_BROKER_LOGGER_CONFIG",
};

export interface ConfigRow {
  name: string;
  value: string | null;
  source: string;
  readOnly: boolean;
  sensitive: boolean;
  isDefault: boolean;
}

export function configRows(entries: ConfigEntries[]): ConfigRow[] {
  return entries
    .map((c) => ({
      name: c.configName,
      // A sensitive value is never sent, whatever the cluster answered.
      value: c.isSensitive ? null : c.configValue,
      source: SOURCE_NAMES[c.configSource] ?? String(c.configSource),
      readOnly: c.readOnly,
      sensitive: c.isSensitive,
      isDefault: c.isDefault || c.configSource === ConfigSource.DEFAULT_CONFIG,
    }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export const isInternalTopic = (name: string): boolean => name.startsWith("__");
