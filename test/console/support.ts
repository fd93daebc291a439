/** HTTP helpers for the console's API tests: JSON calls, the console's POST headers, SSE reading. */

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** The headers a console POST needs (the CSRF rule): JSON and x-brook-console: 1. */
export const POST_HEADERS = { "content-type": "application/json", "x-brook-console": "1" };

export function apiClient(base: string, extraHeaders: Record<string, string> = {}) {
  const call = async <T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<ApiResponse<T>> => {
    const res = await fetch(new URL(path, base), {
      method,
      headers: { ...extraHeaders, ...(method === "POST" ? POST_HEADERS : {}), ...headers },
      ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    let parsed: unknown = text;
    if ((res.headers.get("content-type") ?? "").includes("application/json")) parsed = JSON.parse(text);
    return { status: res.status, body: parsed as T, headers: res.headers };
  };
  return {
    get: <T = any>(path: string, headers?: Record<string, string>) =>
      call<T>("GET", path, undefined, headers),
    post: <T = any>(path: string, body: unknown = {}, headers?: Record<string, string>) =>
      call<T>("POST", path, body, headers),
  };
}

export interface SseEvent {
  event: string;
  data: any;
}

/** An open SSE stream: `next(match)` waits (bounded) for the next event that matches. */
export async function openSse(url: string, headers: Record<string, string> = {}) {
  const ac = new AbortController();
  const res = await fetch(url, { headers, signal: ac.signal });
  if (!res.ok || !res.body) throw new Error(`SSE ${url}: HTTP ${res.status}: ${await res.text()}`);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const queue: SseEvent[] = [];
  const pull = async (): Promise<boolean> => {
    const { value, done } = await reader.read();
    if (done) return false;
    buffer += decoder.decode(value, { stream: true });
    let cut = buffer.indexOf("\n\n");
    while (cut >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let event = "message";
      let data = "";
      let any = false;
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) event = line.slice(7);
        else if (line.startsWith("data: ")) {
          data += line.slice(6);
          any = true;
        }
      }
      if (any) queue.push({ event, data: JSON.parse(data) });
      cut = buffer.indexOf("\n\n");
    }
    return true;
  };
  return {
    response: res,
    async next(match: (e: SseEvent) => boolean = () => true, timeoutMs = 15_000): Promise<SseEvent> {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const i = queue.findIndex(match);
        if (i >= 0) return queue.splice(i, 1)[0]!;
        const left = deadline - performance.now();
        if (left <= 0) throw new Error(`no matching SSE event within ${timeoutMs} ms`);
        let timer: NodeJS.Timeout | undefined;
        const more = await Promise.race([
          pull(),
          new Promise<"timeout">((r) => {
            timer = setTimeout(() => r("timeout"), left);
          }),
        ]);
        clearTimeout(timer);
        if (more === false) throw new Error("the SSE stream ended");
      }
    },
    close() {
      ac.abort();
    },
  };
}

/** Polls `check` until it returns a value other than undefined, for at most `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 15_000,
  what = "condition",
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (performance.now() > deadline)
      throw new Error(`${what} not met within ${timeoutMs} ms${last ? `: ${last}` : ""}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
