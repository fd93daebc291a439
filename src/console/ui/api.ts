/** The console's HTTP/JSON API (served by src/console), typed as the contract describes it. */

export type Bytes = { text: string } | { base64: string } | null;

export interface Header {
  key: string;
  value: Bytes;
}

export interface Cluster {
  clusterId: string;
  controller: number;
  brokers: { nodeId: number; host: string; port: number; rack: string | null }[];
  /** Non-internal topics and their partitions; the internal ones apart. */
  topics: number;
  partitions: number;
  internalTopics: number;
  internalPartitions: number;
  underReplicated: number;
  offline: number;
  messagesInPerSec: number | null;
  bytesOnDisk: number;
}

export interface ConfigEntry {
  name: string;
  value: string | null;
  source: string;
  readOnly: boolean;
  sensitive: boolean;
  isDefault?: boolean;
}

export interface TopicSummary {
  name: string;
  internal: boolean;
  partitions: number;
  replicationFactor: number;
  messages: number;
  sizeBytes: number;
}

export interface PartitionInfo {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  logStartOffset: number;
  highWatermark: number;
  lastStableOffset: number;
  sizeBytes: number;
}

export interface TopicDetail {
  name: string;
  internal: boolean;
  partitions: PartitionInfo[];
  configs: ConfigEntry[];
}

export interface Message {
  partition: number;
  offset: number;
  timestamp: number;
  key: Bytes;
  value: Bytes;
  headers: Header[];
}

export interface MessagePage {
  messages: Message[];
  scanned: number;
  truncated: boolean;
}

export interface GroupSummary {
  groupId: string;
  type: string;
  state: string;
  members: number;
  topics: string[];
  totalLag: number;
  status: string | null;
}

export interface GroupDetail {
  groupId: string;
  type: string;
  state: string;
  protocol: string;
  /** The group coordinator (FindCoordinator). */
  coordinator: { nodeId: number; host: string; port: number };
  members: {
    memberId: string;
    clientId: string;
    host: string;
    assignment: { topic: string; partitions: number[] }[];
  }[];
  offsets: {
    topic: string;
    partition: number;
    /** null: the group has no committed offset for the partition. */
    committed: number | null;
    logEndOffset: number;
    lag: number | null;
    memberId: string | null;
    clientId: string | null;
  }[];
  totalLag: number;
  status: string | null;
}

export interface LagSample {
  at: number;
  totalLag: number;
}

export type ResetTo = "earliest" | "latest" | "offset" | "datetime" | "duration" | "shift-by";

export interface ResetPlan {
  plan: { topic: string; partition: number; current: number | null; target: number }[];
  executed: boolean;
}

export interface Info {
  version: string;
  brokers: string;
  readOnly: boolean;
}

/** An error answer of the API (or a network failure), with the server's one-line message. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message);
  }
}

async function request<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers:
        method === "POST"
          ? // The custom header is the console's CSRF guard: a cross-site page cannot send it.
            { "content-type": "application/json", "x-brook-console": "1" }
          : { accept: "application/json" },
      body: method === "POST" ? JSON.stringify(body ?? {}) : undefined,
    });
  } catch (e) {
    throw new ApiError(`console server unreachable: ${(e as Error).message}`, 0, "NETWORK");
  }
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const message = json?.error ?? (text.trim().split("\n")[0] || res.statusText);
    throw new ApiError(`${method} ${path}: ${message}`, res.status, json?.code ?? String(res.status));
  }
  return json as T;
}

const enc = encodeURIComponent;

function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}

export interface MessageQuery {
  partition: string;
  from: string;
  limit: number;
  key?: string;
  value?: string;
  header?: string;
}

export const api = {
  info: () => request<Info>("GET", "/api/info"),
  cluster: () => request<Cluster>("GET", "/api/cluster"),
  brokerConfigs: (id: number) => request<ConfigEntry[]>("GET", `/api/brokers/${id}/configs`),
  topics: (internal: boolean) =>
    request<TopicSummary[]>("GET", `/api/topics${internal ? "?internal=true" : ""}`),
  createTopic: (body: {
    name: string;
    partitions?: number;
    replicationFactor?: number;
    configs?: Record<string, string>;
  }) => request<{ name: string }>("POST", "/api/topics", body),
  topic: (name: string) => request<TopicDetail>("GET", `/api/topics/${enc(name)}`),
  alterConfigs: (name: string, body: { set?: Record<string, string>; delete?: string[] }) =>
    request<{ ok: true }>("POST", `/api/topics/${enc(name)}/configs`, body),
  addPartitions: (name: string, count: number) =>
    request<{ ok: true }>("POST", `/api/topics/${enc(name)}/partitions`, { count }),
  purge: (name: string, body: { partitions?: number[]; before?: number | "end" }) =>
    request<{ partitions: { partition: number; lowWatermark: number }[] }>(
      "POST",
      `/api/topics/${enc(name)}/purge`,
      body,
    ),
  deleteTopic: (name: string) => request<{ ok: true }>("POST", `/api/topics/${enc(name)}/delete`, {}),
  messages: (name: string, q: MessageQuery) =>
    request<MessagePage>("GET", `/api/topics/${enc(name)}/messages${query({ ...q })}`),
  tailUrl: (name: string, q: Omit<MessageQuery, "from" | "limit">) =>
    `/api/topics/${enc(name)}/tail${query({ ...q })}`,
  produce: (
    name: string,
    body: {
      key?: string | null;
      value: string | null;
      headers?: { key: string; value: string }[];
      partition?: number;
    },
  ) => request<{ partition: number; offset: number }>("POST", `/api/topics/${enc(name)}/messages`, body),
  groups: () => request<GroupSummary[]>("GET", "/api/groups"),
  group: (id: string) => request<GroupDetail>("GET", `/api/groups/${enc(id)}`),
  lagHistory: (id: string) => request<LagSample[]>("GET", `/api/groups/${enc(id)}/lag-history`),
  resetOffsets: (
    id: string,
    body: { topics?: string[]; to: ResetTo; value?: string | number; execute: boolean },
  ) => request<ResetPlan>("POST", `/api/groups/${enc(id)}/reset`, body),
  deleteGroup: (id: string) => request<{ ok: true }>("POST", `/api/groups/${enc(id)}/delete`, {}),
};
