/**
 * A child process whose stdout is read as lines, for tests that drive fixture processes and wait
 * on what they printed.
 */
import type { ChildProcess } from "node:child_process";

export class LineProcess {
  readonly lines: string[] = [];
  readonly startedAt = Date.now();
  exited = false;
  /** What it wrote to stderr, when stderr is piped. */
  stderr = "";
  private buf = "";
  private waiters: Array<() => void> = [];

  constructor(readonly proc: ChildProcess) {
    proc.stdout!.on("data", (d: Buffer) => {
      this.buf += d.toString();
      const parts = this.buf.split("\n");
      this.buf = parts.pop()!;
      this.lines.push(...parts);
      this.onLines(parts);
      this.wake();
    });
    proc.stderr?.on("data", (d: Buffer) => (this.stderr += d.toString()));
    proc.on("exit", () => {
      this.exited = true;
      this.wake();
    });
  }

  /** Called with each batch of new lines (for tracing). */
  protected onLines(_lines: string[]): void {}

  /** Waits until `pred` holds over the lines printed so far (false on exit or timeout). */
  async until(pred: (lines: string[]) => boolean, ms: number): Promise<boolean> {
    const deadline = performance.now() + ms;
    while (!pred(this.lines)) {
      if (this.exited || performance.now() > deadline) return false;
      await new Promise<void>((r) => {
        const t = setTimeout(r, 100);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    return true;
  }

  /** The first line starting with `prefix`, waiting up to `ms` for it (null if none came). */
  async line(prefix: string, ms: number): Promise<string | null> {
    const found = (lines: string[]) => lines.find((l) => l.startsWith(prefix));
    return (await this.until((l) => found(l) !== undefined, ms)) ? found(this.lines)! : null;
  }

  signal(sig: NodeJS.Signals): void {
    if (!this.exited) this.proc.kill(sig);
  }

  kill(sig: NodeJS.Signals = "SIGKILL"): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      this.proc.once("exit", () => resolve());
      this.proc.kill(sig);
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}
