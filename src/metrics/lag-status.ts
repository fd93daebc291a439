/**
 * A consumer group's lag status in the manner of LinkedIn Burrow's evaluator: no lag threshold, but
 * rules over a sliding window of a partition's recent committed offsets (each with the time it was
 * committed and the lag when it was seen). Pure functions; ./lag-monitor.ts builds the windows.
 *
 * The rules (Burrow's "Consumer Lag Evaluation Rules", applied in this order per partition):
 *  1. If the current lag is zero, or the lag was zero at any point in the window: OK.
 *  2. The committed offset went backwards between two entries: REWIND.
 *  3. The time from the newest entry to now is longer than the window spans (newest − oldest
 *     commit time): the consumer stopped committing, STOP.
 *  4. Every entry has the same offset (and there is lag, by rule 1): STALL.
 *  5. The offsets move but the lag never decreases from one entry to the next: WARN.
 *  6. Otherwise OK.
 * A group's status is its worst partition's, where STOP, STALL and REWIND count as ERR (Burrow's
 * group statuses are OK, WARN and ERR; the partitions keep the precise cause).
 */

export type LagStatus = "OK" | "WARN" | "STALL" | "STOP" | "REWIND" | "ERR";

/** Every status, in the order Burrow ranks them (worse later); ERR ranks between WARN and STOP. */
export const LAG_STATUSES: readonly LagStatus[] = ["OK", "WARN", "ERR", "STOP", "STALL", "REWIND"];

/** The statuses a group can have (Burrow's group rule). */
export const GROUP_STATUSES: readonly LagStatus[] = ["OK", "WARN", "ERR"];

/** One entry of a partition's window: a committed offset, when it was committed, its lag then. */
export interface OffsetEntry {
  offset: number;
  /** Epoch ms of the commit (as far as the sampler can tell; see lag-monitor.ts). */
  timestamp: number;
  /** High watermark minus `offset` when the entry was taken. */
  lag: number;
}

function rank(s: LagStatus): number {
  return LAG_STATUSES.indexOf(s);
}

/**
 * A partition's status from its window (oldest first), its lag now and the time now (epoch ms).
 * An empty window is OK: there is nothing to judge.
 */
export function partitionStatus(window: readonly OffsetEntry[], currentLag: number, now: number): LagStatus {
  if (window.length === 0) return "OK";
  if (currentLag <= 0 || window.some((e) => e.lag <= 0)) return "OK";
  if (offsetsRewind(window)) return "REWIND";
  if (commitsStopped(window, now)) return "STOP";
  if (offsetsStalled(window)) return "STALL";
  if (lagNeverDecreases(window)) return "WARN";
  return "OK";
}

/** Rule 2: some committed offset is lower than the one before it. */
export function offsetsRewind(window: readonly OffsetEntry[]): boolean {
  for (let i = 1; i < window.length; i++) if (window[i]!.offset < window[i - 1]!.offset) return true;
  return false;
}

/** Rule 3: longer since the newest commit than the window spans. */
export function commitsStopped(window: readonly OffsetEntry[], now: number): boolean {
  const first = window[0]!.timestamp;
  const last = window[window.length - 1]!.timestamp;
  return now - last > last - first;
}

/** Rule 4: the same offset committed over the whole window. */
export function offsetsStalled(window: readonly OffsetEntry[]): boolean {
  for (let i = 1; i < window.length; i++) if (window[i]!.offset !== window[i - 1]!.offset) return false;
  return true;
}

/** Rule 5: the lag never went down from one entry to the next. */
export function lagNeverDecreases(window: readonly OffsetEntry[]): boolean {
  for (let i = 1; i < window.length; i++) if (window[i]!.lag < window[i - 1]!.lag) return false;
  return true;
}

/** Burrow's group rule: the worst partition status, with STOP, STALL and REWIND reported as ERR. */
export function groupStatus(partitions: Iterable<LagStatus | null>): LagStatus | null {
  let worst: LagStatus | null = null;
  for (const s of partitions) {
    if (s === null) continue;
    if (worst === null || rank(s) > rank(worst)) worst = s;
  }
  if (worst === null) return null;
  return rank(worst) > rank("ERR") ? "ERR" : worst;
}
