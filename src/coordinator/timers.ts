/**
 * Keyed timers for the coordinator: scheduling a key replaces its previous timer, like Kafka's
 * coordinator timer. Every callback runs on the event loop, so it sees and changes group state
 * without locks. Timers are unref'd: they never keep a process alive on their own.
 */
export class KeyedTimers {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly onError: (key: string, e: unknown) => void) {}

  schedule(key: string, delayMs: number, fn: () => void): void {
    if (this.closed) return;
    this.cancel(key);
    const t = setTimeout(
      () => {
        if (this.timers.get(key) !== t) return;
        this.timers.delete(key);
        try {
          fn();
        } catch (e) {
          this.onError(key, e);
        }
      },
      Math.max(0, Math.min(delayMs, 2 ** 31 - 1)),
    );
    t.unref();
    this.timers.set(key, t);
  }

  cancel(key: string): void {
    const t = this.timers.get(key);
    if (t) {
      clearTimeout(t);
      this.timers.delete(key);
    }
  }

  has(key: string): boolean {
    return this.timers.has(key);
  }

  get size(): number {
    return this.timers.size;
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
