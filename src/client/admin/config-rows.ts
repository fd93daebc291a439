/** Config entries from DescribeConfigs as the tools show them: sources by name, sensitive values withheld. */
import { ConfigSource } from "../enums.js";
import type { ConfigEntries } from "./types.js";

/** Config source names as Kafka's tools (and Kafka UI) print them. */
const SOURCE_NAMES: Record<number, string> = {
  [ConfigSource.UNKNOWN]: "UNKNOWN",
  [ConfigSource.TOPIC_CONFIG]: "DYNAMIC_TOPIC_CONFIG",
  [ConfigSource.DYNAMIC_BROKER_CONFIG]: "DYNAMIC_BROKER_CONFIG",
  [ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG]: "DYNAMIC_DEFAULT_BROKER_CONFIG",
  [ConfigSource.STATIC_BROKER_CONFIG]: "STATIC_BROKER_CONFIG",
  [ConfigSource.DEFAULT_CONFIG]: "DEFAULT_CONFIG",
  [ConfigSource.DYNAMIC_BROKER_LOGGER_CONFIG]: "DYNAMIC_BROKER_LOGGER_CONFIG",
};

export function configSourceName(source: ConfigSource | number): string {
  return SOURCE_NAMES[source] ?? String(source);
}

export interface ConfigRow {
  name: string;
  value: string | null;
  source: string;
  readOnly: boolean;
  sensitive: boolean;
  isDefault: boolean;
}

/** One row per entry, sorted by name; a sensitive value is never passed on, whatever the cluster answered. */
export function configRows(entries: ConfigEntries[]): ConfigRow[] {
  return entries
    .map((c) => ({
      name: c.configName,
      value: c.isSensitive ? null : c.configValue,
      source: configSourceName(c.configSource),
      readOnly: c.readOnly,
      sensitive: c.isSensitive,
      isDefault: c.isDefault || c.configSource === ConfigSource.DEFAULT_CONFIG,
    }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
