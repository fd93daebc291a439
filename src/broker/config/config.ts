/**
 * Resolves broker and topic configuration: parsing and validating values by their Kafka
 * definition, layering sources (defaults < properties file < BROOK_* env < --set < dynamic), and
 * computing a topic's effective configuration for the storage engine.
 */
import {
  BROKER_CONFIG_BY_NAME,
  BROKER_SYNONYM_GROUPS,
  type ConfigDef,
  type ConfigValue,
  TOPIC_CONFIG_BY_NAME,
  TOPIC_CONFIGS,
} from "./definitions.js";

export class ConfigError extends Error {
  readonly key: string;
  constructor(key: string, message: string) {
    super(message);
    this.name = "ConfigError";
    this.key = key;
  }
}

/** DescribeConfigs' ConfigSource numbering. */
export const ConfigSource = {
  UNKNOWN: 0,
  TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
} as const;

/**
 * Parses and validates a raw string for a definition; throws ConfigError naming the key, in the
 * words Kafka's own config parser uses (AlterConfigs and CreateTopics answer them, Kafka's tools print
 * them): "Invalid value <raw> for configuration <name>: <reason>".
 */
export function parseValue(def: ConfigDef, raw: string): ConfigValue {
  const bad = (reason: string): never => {
    throw new ConfigError(def.name, `Invalid value ${raw} for configuration ${def.name}: ${reason}`);
  };
  const notA = () => bad(`Not a number of type ${def.type.toUpperCase()}`);
  const range = (n: number | bigint) => {
    if (def.orEqual !== undefined) {
      if (Number(n) !== def.orEqual && (n < def.min! || n > def.max!))
        bad(`Value must be between ${def.min} and ${def.max} or equal to ${def.orEqual}`);
      return;
    }
    if (def.min !== undefined && n < def.min) bad(`Value must be at least ${def.min}`);
    if (def.max !== undefined && n > def.max) bad(`Value must be no more than ${def.max}`);
  };
  const oneOf = () => bad(`String must be one of: ${def.allowed!.join(", ")}`);
  const v = raw.trim();
  switch (def.type) {
    case "boolean":
      if (v.toLowerCase() === "true") return true;
      if (v.toLowerCase() === "false") return false;
      return bad("Expected value to be either true or false");
    case "int":
    case "short":
    case "long": {
      if (!/^-?\d+$/.test(v)) return notA();
      const big = BigInt(v);
      const limits: Record<string, [bigint, bigint]> = {
        int: [-(2n ** 31n), 2n ** 31n - 1n],
        short: [-(2n ** 15n), 2n ** 15n - 1n],
        long: [-(2n ** 63n), 2n ** 63n - 1n],
      };
      const [lo, hi] = limits[def.type]!;
      if (big < lo || big > hi) return notA();
      range(big);
      // Longs beyond 2^53 (Long.MAX_VALUE defaults) are clamped: every such value means "never".
      return big > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(big);
    }
    case "double": {
      const n = Number(v);
      if (v === "" || !Number.isFinite(n)) return notA();
      range(n);
      return n;
    }
    case "list": {
      const items = v === "" ? [] : v.split(",").map((s) => s.trim());
      if (def.allowed && items.some((i) => !def.allowed!.includes(i))) return oneOf();
      return items;
    }
    default:
      if (def.allowed && !def.allowed.includes(v)) return oneOf();
      return v;
  }
}

/** Renders a value back into the string form Kafka uses in DescribeConfigs. */
export function formatValue(def: ConfigDef, value: ConfigValue): string {
  if (Array.isArray(value)) return value.join(",");
  if (typeof value === "number" && value === Number.MAX_SAFE_INTEGER && def.type === "long") {
    return "9223372036854775807";
  }
  return String(value);
}

export interface ResolvedEntry {
  name: string;
  value: string | null;
  source: number;
  readOnly: boolean;
  isDefault: boolean;
  sensitive: boolean;
  type: ConfigDef["type"];
}

/**
 * Which dynamic layer an AlterConfigs change goes to: the cluster-wide default (broker resource "")
 * or this broker's own value (broker resource "<node id>"), which wins over the default.
 */
export type DynamicScope = "cluster" | "broker";

/**
 * The broker's static configuration plus dynamic (AlterConfigs) values: cluster-wide defaults and
 * this broker's own, in Kafka's order of precedence (own dynamic, dynamic default, static, default).
 */
export class BrokerConfig {
  private readonly staticValues = new Map<string, ConfigValue>();
  private readonly dynamicValues = new Map<string, ConfigValue>();
  private readonly brokerValues = new Map<string, ConfigValue>();

  /** Builds from raw key/value layers in increasing precedence. Unknown keys are refused. */
  constructor(layers: Array<Record<string, string>> = []) {
    for (const layer of layers) {
      for (const [key, raw] of Object.entries(layer)) this.setStatic(key, raw);
    }
    this.validateRelations();
  }

  static knownKey(key: string): boolean {
    return BROKER_CONFIG_BY_NAME.has(key);
  }

  /** A known broker config that Kafka cannot change at run time (AlterConfigs refuses it). */
  static isReadOnly(key: string): boolean {
    return BROKER_CONFIG_BY_NAME.get(key)?.readOnly === true;
  }

  private setStatic(key: string, raw: string): void {
    const def = BROKER_CONFIG_BY_NAME.get(key);
    if (!def) {
      throw new ConfigError(key, `Unknown broker configuration "${key}"${suggest(key)}`);
    }
    this.staticValues.set(key, parseValue(def, raw));
  }

  private validateRelations(): void {
    const min = this.number("group.min.session.timeout.ms");
    const max = this.number("group.max.session.timeout.ms");
    if (min > max) {
      throw new ConfigError(
        "group.min.session.timeout.ms",
        `group.min.session.timeout.ms (${min}) must not exceed group.max.session.timeout.ms (${max})`,
      );
    }
  }

  /** Applies a dynamic change (AlterConfigs on the broker resource "" or this node's id). */
  setDynamic(key: string, raw: string | null, scope: DynamicScope = "cluster"): void {
    const def = BROKER_CONFIG_BY_NAME.get(key);
    if (!def) throw new ConfigError(key, `Unknown broker configuration "${key}"`);
    if (def.readOnly) throw new ConfigError(key, `Cannot update these configs dynamically: [${key}]`);
    const values = scope === "broker" ? this.brokerValues : this.dynamicValues;
    if (raw === null) values.delete(key);
    else values.set(key, parseValue(def, raw));
  }

  /**
   * Where a broker config's value comes from, as DescribeConfigs lists synonyms (Kafka's rule): the
   * config's synonym group (log.retention.ms, .minutes, .hours) layer by layer — dynamic values,
   * static ones, then defaults that exist — and the list starts at the first entry of `key` itself.
   */
  synonyms(key: string): Array<{ name: string; value: string | null; source: number }> {
    const names = BROKER_SYNONYM_GROUPS.find((g) => g.includes(key)) ?? [key];
    const out: Array<{ name: string; value: string | null; source: number }> = [];
    const layers: Array<[(def: ConfigDef) => string | null | undefined, number]> = [
      [(def) => this.formatted(def, this.brokerValues.get(def.name)), ConfigSource.DYNAMIC_BROKER_CONFIG],
      [
        (def) => this.formatted(def, this.dynamicValues.get(def.name)),
        ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG,
      ],
      [(def) => this.formatted(def, this.staticValues.get(def.name)), ConfigSource.STATIC_BROKER_CONFIG],
      [(def) => def.default, ConfigSource.DEFAULT_CONFIG],
    ];
    for (const [get, source] of layers) {
      for (const name of names) {
        const def = BROKER_CONFIG_BY_NAME.get(name);
        const value = def && get(def);
        if (def && value !== undefined && value !== null)
          out.push({ name, value: def.sensitive ? null : value, source });
      }
    }
    const first = out.findIndex((s) => s.name === key);
    return first < 0 ? [] : out.slice(first);
  }

  private formatted(def: ConfigDef, v: ConfigValue | undefined): string | undefined {
    return v === undefined ? undefined : formatValue(def, v);
  }

  /** The dynamic values of one layer, as strings (what the metadata store keeps). */
  dynamicEntries(scope: DynamicScope = "cluster"): Record<string, string> {
    const out: Record<string, string> = {};
    const values = scope === "broker" ? this.brokerValues : this.dynamicValues;
    for (const [k, v] of values) out[k] = formatValue(BROKER_CONFIG_BY_NAME.get(k)!, v);
    return out;
  }

  /** Value or undefined when neither set nor defaulted. */
  value(key: string): ConfigValue | undefined {
    if (this.brokerValues.has(key)) return this.brokerValues.get(key);
    if (this.dynamicValues.has(key)) return this.dynamicValues.get(key);
    if (this.staticValues.has(key)) return this.staticValues.get(key);
    const def = BROKER_CONFIG_BY_NAME.get(key);
    if (!def || def.default === null) return undefined;
    return parseValue(def, def.default);
  }

  isSet(key: string): boolean {
    return this.brokerValues.has(key) || this.dynamicValues.has(key) || this.staticValues.has(key);
  }

  number(key: string): number {
    const v = this.value(key);
    if (typeof v !== "number") throw new Error(`config ${key} is not numeric`);
    return v;
  }

  bool(key: string): boolean {
    return this.value(key) === true;
  }

  string(key: string): string | undefined {
    const v = this.value(key);
    return v === undefined ? undefined : String(v);
  }

  /** log.retention.ms, falling back to minutes then hours, as Kafka resolves it. */
  retentionMs(): number {
    if (this.isSet("log.retention.ms")) return this.number("log.retention.ms");
    if (this.isSet("log.retention.minutes")) return this.number("log.retention.minutes") * 60_000;
    return this.number("log.retention.hours") * 3_600_000;
  }

  rollMs(): number {
    if (this.isSet("log.roll.ms")) return this.number("log.roll.ms");
    return this.number("log.roll.hours") * 3_600_000;
  }

  /** The broker-level default for a topic config, if the broker sets one (else undefined). */
  private brokerDefaultFor(topicKey: string): { value: ConfigValue; source: number } | undefined {
    const def = TOPIC_CONFIG_BY_NAME.get(topicKey);
    if (!def?.brokerDefault) return undefined;
    const bk = def.brokerDefault;
    const source = this.brokerValues.has(bk)
      ? ConfigSource.DYNAMIC_BROKER_CONFIG
      : this.dynamicValues.has(bk)
        ? ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG
        : ConfigSource.STATIC_BROKER_CONFIG;
    if (bk === "log.retention.ms") {
      const set = ["log.retention.ms", "log.retention.minutes", "log.retention.hours"].some((k) =>
        this.isSet(k),
      );
      return set ? { value: this.retentionMs(), source } : undefined;
    }
    if (bk === "log.roll.ms") {
      const set = ["log.roll.ms", "log.roll.hours"].some((k) => this.isSet(k));
      return set ? { value: this.rollMs(), source } : undefined;
    }
    if (!this.isSet(bk)) return undefined;
    return { value: this.value(bk)!, source };
  }

  /** Effective value and source of every topic config given a topic's own overrides. */
  topicEntries(overrides: Record<string, string>): ResolvedEntry[] {
    return TOPIC_CONFIGS.map((def) => {
      if (def.name in overrides) {
        return entry(def, overrides[def.name]!, ConfigSource.TOPIC_CONFIG, false);
      }
      const b = this.brokerDefaultFor(def.name);
      if (b) return entry(def, formatValue(def, b.value), b.source, false);
      return entry(def, def.default, ConfigSource.DEFAULT_CONFIG, true);
    });
  }

  /** Effective topic config as typed values. */
  topicValues(overrides: Record<string, string>): Map<string, ConfigValue> {
    const out = new Map<string, ConfigValue>();
    for (const e of this.topicEntries(overrides)) {
      const def = TOPIC_CONFIG_BY_NAME.get(e.name)!;
      if (e.value !== null) out.set(e.name, parseValue(def, e.value));
    }
    return out;
  }

  /** Every broker config with its value and source, for DescribeConfigs on the broker resource. */
  brokerEntries(): ResolvedEntry[] {
    return [...BROKER_CONFIG_BY_NAME.values()].map((def) => {
      if (this.brokerValues.has(def.name)) {
        return entry(
          def,
          formatValue(def, this.brokerValues.get(def.name)!),
          ConfigSource.DYNAMIC_BROKER_CONFIG,
          false,
        );
      }
      if (this.dynamicValues.has(def.name)) {
        return entry(
          def,
          formatValue(def, this.dynamicValues.get(def.name)!),
          ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG,
          false,
        );
      }
      if (this.staticValues.has(def.name)) {
        return entry(
          def,
          formatValue(def, this.staticValues.get(def.name)!),
          ConfigSource.STATIC_BROKER_CONFIG,
          false,
        );
      }
      return entry(def, def.default, ConfigSource.DEFAULT_CONFIG, true);
    });
  }

  /**
   * DescribeConfigs on the cluster-default broker resource (""): as Kafka, only the configs that
   * have a dynamic cluster-wide default.
   */
  clusterDefaultEntries(): ResolvedEntry[] {
    return [...this.dynamicValues].map(([name, v]) => {
      const def = BROKER_CONFIG_BY_NAME.get(name)!;
      return entry(def, formatValue(def, v), ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG, false);
    });
  }
}

function entry(def: ConfigDef, value: string | null, source: number, isDefault: boolean): ResolvedEntry {
  return {
    name: def.name,
    value: def.sensitive ? null : value,
    source,
    readOnly: def.readOnly ?? false,
    isDefault,
    sensitive: def.sensitive ?? false,
    type: def.type,
  };
}

/** Validates topic config overrides (CreateTopics/AlterConfigs); returns the normalised strings. */
export function validateTopicConfigs(configs: Record<string, string | null>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, raw] of Object.entries(configs)) {
    const def = TOPIC_CONFIG_BY_NAME.get(key);
    if (!def) throw new ConfigError(key, `Unknown topic config name: ${key}`);
    if (raw === null) throw new ConfigError(key, `Null value not supported for topic config ${key}`);
    out[key] = formatValue(def, parseValue(def, raw));
  }
  return out;
}

function suggest(key: string): string {
  const all = [...BROKER_CONFIG_BY_NAME.keys()];
  const close = all.filter((k) => k.includes(key) || key.includes(k) || editDistance(k, key) <= 2);
  return close.length ? ` (did you mean ${close.slice(0, 3).join(", ")}?)` : "";
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) dp[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      dp[i]![j] = Math.min(
        dp[i - 1]![j]! + 1,
        dp[i]![j - 1]! + 1,
        dp[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
  }
  return dp[a.length]![b.length]!;
}
