/**
 * Progress of `brook produce` (and `consume --stats`): a one-line bar on stderr, redrawn with \r at
 * most every REDRAW_MS and only when stderr is a terminal, and a summary line at the end. update()
 * only stores two numbers, so calling it per send costs nothing measurable.
 */

const REDRAW_MS = 200;

export interface Meter {
  update(records: number, bytes: number): void;
  /** Clears the bar and writes the summary line (unless quiet). */
  finish(topic: string, records: number, bytes: number): void;
  /** Clears the bar without a summary (idempotent). */
  stop(): void;
}

export function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(bytes >= 1e7 ? 0 : 2);
}

function rate(n: number, seconds: number): string {
  return seconds > 0 ? Math.round(n / seconds).toLocaleString("en-US") : "0";
}

export function createMeter(
  verb: string,
  quiet: boolean,
  stream: NodeJS.WriteStream = process.stderr,
  now: () => number = () => performance.now(),
): Meter {
  const started = now();
  let records = 0;
  let bytes = 0;
  let drawn = false;
  let stopped = false;
  const tty = !quiet && stream.isTTY === true;
  const draw = () => {
    const s = (now() - started) / 1000;
    const mbps = s > 0 ? (bytes / 1e6 / s).toFixed(1) : "0.0";
    const line = `${verb} ${records.toLocaleString("en-US")} records (${mb(bytes)} MB)  ${rate(records, s)} records/s  ${mbps} MB/s  ${s.toFixed(1)}s`;
    stream.write(`\r${line}\u001b[K`);
    drawn = true;
  };
  const timer = tty ? setInterval(draw, REDRAW_MS) : null;
  timer?.unref();
  const stop = () => {
    if (stopped) return;
    stopped = true;
    if (timer) clearInterval(timer);
    if (drawn) stream.write("\r\u001b[K");
  };
  return {
    update(r, b) {
      records = r;
      bytes = b;
    },
    finish(topic, r, b) {
      records = r;
      bytes = b;
      stop();
      if (quiet) return;
      const s = (now() - started) / 1000;
      const mbps = s > 0 ? (b / 1e6 / s).toFixed(1) : "0.0";
      stream.write(
        `${verb} ${r.toLocaleString("en-US")} record${r === 1 ? "" : "s"} (${mb(b)} MB) ${verb === "produced" ? "to" : "from"} ${topic} in ${s.toFixed(2)}s: ${rate(r, s)} records/s, ${mbps} MB/s\n`,
      );
    },
    stop,
  };
}
