/** App-wide state that is not a page's own: the error banner, data loading, the hash route. */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";

type Listener = (message: string | null) => void;
const errorListeners = new Set<Listener>();

/** Shows an API error (or any failure) in the one-line banner; never swallowed. */
export function reportError(e: unknown): void {
  const message = e instanceof Error ? e.message : String(e);
  for (const l of errorListeners) l(message.split("\n")[0]!);
}

/**
 * A form's or button's action: `busy` while it runs (to disable the button), a failure shown in the
 * banner. One place for what every dialog and form does around its API call.
 */
export function useAction(): [busy: boolean, run: (action: () => Promise<unknown>) => Promise<void>] {
  const [busy, setBusy] = useState(false);
  const run = async (action: () => Promise<unknown>) => {
    setBusy(true);
    try {
      await action();
    } catch (e) {
      reportError(e);
    } finally {
      setBusy(false);
    }
  };
  return [busy, run];
}

export function clearError(): void {
  for (const l of errorListeners) l(null);
}

export function useErrorBanner(): string | null {
  const [message, setMessage] = useState<string | null>(null);
  useEffect(() => {
    errorListeners.add(setMessage);
    return () => {
      errorListeners.delete(setMessage);
    };
  }, []);
  return message;
}

export interface Loaded<T> {
  data: T | undefined;
  /** True until the first answer (or failure); later refreshes keep the old data shown. */
  loading: boolean;
  failed: boolean;
  reload: () => Promise<void>;
}

/**
 * Loads `fetcher()` when `key` changes, and every `pollMs` when given. A failure goes to the
 * banner and leaves the last good data on screen.
 */
export function useApi<T>(fetcher: () => Promise<T>, key: string, pollMs?: number): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [failed, setFailed] = useState(false);
  const fetcherRef = useRef(fetcher);
  fetcherRef.current = fetcher;
  const keyRef = useRef(key);

  const reload = useCallback(async () => {
    const startedFor = keyRef.current;
    try {
      const value = await fetcherRef.current();
      if (keyRef.current !== startedFor) return;
      setData(value);
      setFailed(false);
    } catch (e) {
      if (keyRef.current !== startedFor) return;
      setFailed(true);
      reportError(e);
    } finally {
      if (keyRef.current === startedFor) setLoading(false);
    }
  }, []);

  useEffect(() => {
    keyRef.current = key;
    setData(undefined);
    setLoading(true);
    setFailed(false);
    void reload();
    if (!pollMs) return;
    // A poll waits for the previous answer, so a slow server is never flooded.
    let stopped = false;
    let timer: ReturnType<typeof setTimeout>;
    const tick = async () => {
      if (stopped) return;
      if (document.visibilityState !== "hidden") await reload();
      if (!stopped) timer = setTimeout(tick, pollMs);
    };
    timer = setTimeout(tick, pollMs);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [key, pollMs, reload]);

  return { data, loading, failed, reload };
}

/** The part of location.hash after "#", without a leading slash, e.g. "topics/orders/messages". */
export function useHashRoute(): string[] {
  const read = () =>
    location.hash
      .replace(/^#\/?/, "")
      .split("/")
      .filter((s) => s !== "")
      .map((s) => {
        try {
          return decodeURIComponent(s);
        } catch {
          return s;
        }
      });
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onChange = () => {
      setRoute(read());
      clearError();
    };
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
}

export function href(...parts: (string | number)[]): string {
  return `#/${parts.map((p) => encodeURIComponent(String(p))).join("/")}`;
}

export function navigate(...parts: (string | number)[]): void {
  location.hash = href(...parts);
}
