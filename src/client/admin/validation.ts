/**
 * Argument checks of the admin's KafkaJS methods. Each check and its message follow KafkaJS 2.2.4,
 * since applications (and their tests) match on them; all throw KafkaJSNonRetriableError.
 */
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ConfigResourceTypes,
  ResourcePatternTypes,
} from "../enums.js";
import { KafkaJSNonRetriableError } from "../errors.js";

function fail(message: string): never {
  throw new KafkaJSNonRetriableError(message);
}

const isString = (v: unknown): v is string => typeof v === "string";
const stringOrAbsent = (v: unknown) => v === undefined || typeof v === "string";

/** A topic list of createTopics / alterPartitionReassignments: array, string names, no duplicates. */
export function checkTopicConfigs(topics: unknown): asserts topics is Array<{ topic: string }> {
  if (!topics || !Array.isArray(topics)) fail(`Invalid topics array ${topics}`);
  if (topics.some((t) => !isString(t?.topic))) {
    fail("Invalid topics array, the topic names have to be a valid string");
  }
  if (new Set(topics.map((t) => t.topic)).size < topics.length) {
    fail("Invalid topics array, it cannot have multiple entries for the same topic");
  }
}

export function checkConfigEntries(topics: Array<{ topic: string; configEntries?: unknown }>): void {
  for (const { topic, configEntries } of topics) {
    if (configEntries === undefined || configEntries === null) continue;
    if (!Array.isArray(configEntries)) fail(`Invalid configEntries for topic "${topic}", must be an array`);
    configEntries.forEach((entry: unknown, index: number) => {
      if (typeof entry !== "object" || entry === null) {
        fail(`Invalid configEntries for topic "${topic}". Entry ${index} must be an object`);
      }
      for (const property of ["name", "value"] as const) {
        if (!Object.hasOwn(entry, property) || !isString((entry as Record<string, unknown>)[property])) {
          fail(
            `Invalid configEntries for topic "${topic}". Entry ${index} must have a valid "${property}" property`,
          );
        }
      }
    });
  }
}

export function checkTopicPartitions(
  topicPartitions: unknown,
): asserts topicPartitions is Array<{ topic: string }> {
  if (!topicPartitions || !Array.isArray(topicPartitions)) {
    fail(`Invalid topic partitions array ${topicPartitions}`);
  }
  if (topicPartitions.length === 0) fail("Empty topic partitions array");
  if (topicPartitions.some((t) => !isString(t?.topic))) {
    fail("Invalid topic partitions array, the topic names have to be a valid string");
  }
  if (new Set(topicPartitions.map((t) => t.topic)).size < topicPartitions.length) {
    fail("Invalid topic partitions array, it cannot have multiple entries for the same topic");
  }
}

export function checkTopicNames(topics: unknown): asserts topics is string[] {
  if (!topics || !Array.isArray(topics)) fail(`Invalid topics array ${topics}`);
  if (topics.some((t) => !isString(t))) fail("Invalid topics array, the names must be a valid string");
}

export function checkTopic(topic: unknown): asserts topic is string {
  if (!topic || !isString(topic)) fail(`Invalid topic ${topic}`);
}

export function checkGroupId(groupId: unknown): void {
  if (!groupId) fail(`Invalid groupId ${groupId}`);
}

const CONFIG_RESOURCE_TYPE_VALUES: readonly number[] = Object.values(ConfigResourceTypes);

/** describeConfigs / alterConfigs: the resource list, each resource's type and name. */
export function checkConfigResources(input: unknown): void {
  if (!input || !Array.isArray(input)) fail(`Invalid resources array ${input}`);
  const resources = input as Array<Record<string, unknown>>;
  if (resources.length === 0) fail("Resources array cannot be empty");
  const badType = resources.find((r) => !CONFIG_RESOURCE_TYPE_VALUES.includes(r?.type as number));
  if (badType) fail(`Invalid resource type ${badType.type}: ${JSON.stringify(badType)}`);
  const badName = resources.find((r) => !r.name || !isString(r.name));
  if (badName) fail(`Invalid resource name ${badName.name}: ${JSON.stringify(badName)}`);
}

export function checkConfigNames(resources: Array<Record<string, unknown>>): void {
  const bad = resources.find(
    (r) => r.configNames !== undefined && r.configNames !== null && !Array.isArray(r.configNames),
  );
  if (bad) fail(`Invalid resource configNames ${bad.configNames}: ${JSON.stringify(bad)}`);
}

export function checkResourceConfigEntries(resources: Array<Record<string, unknown>>): void {
  const notArray = resources.find((r) => !Array.isArray(r.configEntries));
  if (notArray) fail(`Invalid resource configEntries ${notArray.configEntries}: ${JSON.stringify(notArray)}`);
  const badValue = resources.find((r) =>
    (r.configEntries as Array<{ name?: unknown; value?: unknown }>).some(
      (e) => !isString(e?.name) || !isString(e?.value),
    ),
  );
  if (badValue) fail(`Invalid resource config value: ${JSON.stringify(badValue)}`);
}

export function checkGroupIds(groupIds: unknown): asserts groupIds is string[] {
  if (!groupIds || !Array.isArray(groupIds)) fail(`Invalid groupIds array ${groupIds}`);
  // KafkaJS prints the result of its check (`true`) rather than the offending id; kept for parity.
  const invalid = groupIds.some((g) => !isString(g));
  if (invalid) fail(`Invalid groupId name: ${JSON.stringify(invalid)}`);
}

export function checkSeekEntries(
  partitions: unknown,
): asserts partitions is Array<{ partition: number; offset: string }> {
  if (!partitions || (partitions as unknown[]).length === 0) fail("Invalid partitions");
}

const ACL_OPERATIONS: readonly number[] = Object.values(AclOperationTypes);
const ACL_PERMISSIONS: readonly number[] = Object.values(AclPermissionTypes);
const ACL_RESOURCES: readonly number[] = Object.values(AclResourceTypes);
const PATTERN_TYPES: readonly number[] = Object.values(ResourcePatternTypes);

type AclLike = Record<string, unknown>;

/** The enum checks shared by createAcls and deleteAcls, in KafkaJS's order. */
function checkAclEnums(items: AclLike[]): void {
  let bad = items.find((i) => !ACL_OPERATIONS.includes(i.operation as number));
  if (bad) fail(`Invalid operation type ${bad.operation}: ${JSON.stringify(bad)}`);
  bad = items.find((i) => !PATTERN_TYPES.includes(i.resourcePatternType as number));
  if (bad) fail(`Invalid resource pattern type ${bad.resourcePatternType}: ${JSON.stringify(bad)}`);
  bad = items.find((i) => !ACL_PERMISSIONS.includes(i.permissionType as number));
  if (bad) fail(`Invalid permission type ${bad.permissionType}: ${JSON.stringify(bad)}`);
  bad = items.find((i) => !ACL_RESOURCES.includes(i.resourceType as number));
  if (bad) fail(`Invalid resource type ${bad.resourceType}: ${JSON.stringify(bad)}`);
}

export function checkAclEntries(acl: unknown): asserts acl is AclLike[] {
  if (!acl || !Array.isArray(acl)) fail(`Invalid ACL array ${acl}`);
  if (acl.length === 0) fail("Empty ACL array");
  if (acl.some((a) => !isString(a?.principal)))
    fail("Invalid ACL array, the principals have to be a valid string");
  if (acl.some((a) => !isString(a.host))) fail("Invalid ACL array, the hosts have to be a valid string");
  if (acl.some((a) => !isString(a.resourceName))) {
    fail("Invalid ACL array, the resourceNames have to be a valid string");
  }
  checkAclEnums(acl);
}

export function checkAclFilter(filter: AclLike): void {
  if (!stringOrAbsent(filter.principal)) fail("Invalid principal, the principal have to be a valid string");
  if (!stringOrAbsent(filter.host)) fail("Invalid host, the host have to be a valid string");
  if (!stringOrAbsent(filter.resourceName)) {
    fail("Invalid resourceName, the resourceName have to be a valid string");
  }
  if (!ACL_OPERATIONS.includes(filter.operation as number))
    fail(`Invalid operation type ${filter.operation}`);
  if (!PATTERN_TYPES.includes(filter.resourcePatternType as number)) {
    fail(`Invalid resource pattern filter type ${filter.resourcePatternType}`);
  }
  if (!ACL_PERMISSIONS.includes(filter.permissionType as number)) {
    fail(`Invalid permission type ${filter.permissionType}`);
  }
  if (!ACL_RESOURCES.includes(filter.resourceType as number))
    fail(`Invalid resource type ${filter.resourceType}`);
}

export function checkAclFilters(filters: unknown): asserts filters is AclLike[] {
  if (!filters || !Array.isArray(filters)) fail(`Invalid ACL Filter array ${filters}`);
  if (filters.length === 0) fail("Empty ACL Filter array");
  if (filters.some((f) => !stringOrAbsent(f?.principal))) {
    fail("Invalid ACL Filter array, the principals have to be a valid string");
  }
  if (filters.some((f) => !stringOrAbsent(f.host)))
    fail("Invalid ACL Filter array, the hosts have to be a valid string");
  if (filters.some((f) => !stringOrAbsent(f.resourceName))) {
    fail("Invalid ACL Filter array, the resourceNames have to be a valid string");
  }
  checkAclEnums(filters);
}

export function checkReassignments(
  topics: Array<{ topic: string; partitionAssignment?: unknown }>,
): asserts topics is Array<{
  topic: string;
  partitionAssignment: Array<{ partition: number; replicas: number[] }>;
}> {
  for (const { topic, partitionAssignment } of topics) {
    if (!partitionAssignment || !Array.isArray(partitionAssignment)) {
      fail(`Invalid partitions array: ${partitionAssignment} for topic: ${topic}`);
    }
    for (const { partition, replicas } of partitionAssignment) {
      if (typeof partition !== "number" || partition < 0) {
        fail(`Invalid partitions index: ${partition} for topic: ${topic}`);
      }
      if (!replicas || !Array.isArray(replicas)) {
        fail(`Invalid replica assignment: ${replicas} for topic: ${topic} on partition: ${partition}`);
      }
      if (replicas.some((r) => typeof r !== "number" || r < 0)) {
        fail(
          `Invalid replica assignment: ${replicas} for topic: ${topic} on partition: ${partition}. Replicas must be a non negative number`,
        );
      }
    }
  }
}

export function checkReassignmentQuery(topics: unknown): void {
  if (!topics) return;
  if (!Array.isArray(topics)) fail(`Invalid topics array ${topics}`);
  checkTopicConfigs(topics);
  for (const { topic, partitions } of topics as Array<{ topic: string; partitions?: unknown }>) {
    if (!partitions || !Array.isArray(partitions))
      fail(`Invalid partition array: ${partitions} for topic: ${topic}`);
    if (partitions.some((p) => typeof p !== "number" || p < 0)) {
      fail(
        `Invalid partition array: ${partitions} for topic: ${topic}. The partition indices have to be a valid number greater than 0.`,
      );
    }
  }
}
