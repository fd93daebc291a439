/**
 * Latency recording with an HDR histogram (hdr-histogram-js): values in microseconds, 3 significant
 * digits, percentiles p50/p99/p99.9, and a percentile curve for charts.
 */
import * as hdr from "hdr-histogram-js";

export interface LatencySummary {
  count: number;
  /** All in microseconds. */
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export class LatencyRecorder {
  private readonly h: hdr.Histogram;

  constructor(highestMicros = 60_000_000) {
    this.h = hdr.build({
      bitBucketSize: 32,
      autoResize: true,
      lowestDiscernibleValue: 1,
      highestTrackableValue: highestMicros,
      numberOfSignificantValueDigits: 3,
      useWebAssembly: false,
    });
  }

  /** Records one latency in microseconds. */
  recordMicros(us: number): void {
    this.h.recordValue(Math.max(1, Math.round(us)));
  }

  /** Records a latency in nanoseconds, e.g. the difference of two process.hrtime.bigint(). */
  recordNanos(ns: bigint | number): void {
    this.recordMicros(Number(ns) / 1000);
  }

  /** Records the time since `startNs` (a process.hrtime.bigint() value). */
  recordSince(startNs: bigint): void {
    this.recordNanos(process.hrtime.bigint() - startNs);
  }

  get count(): number {
    return this.h.totalCount;
  }

  percentile(p: number): number {
    return this.h.getValueAtPercentile(p);
  }

  summary(): LatencySummary {
    const h = this.h;
    return {
      count: h.totalCount,
      min: h.minNonZeroValue === Number.MAX_SAFE_INTEGER ? 0 : h.minNonZeroValue,
      mean: h.mean,
      p50: h.getValueAtPercentile(50),
      p90: h.getValueAtPercentile(90),
      p99: h.getValueAtPercentile(99),
      p999: h.getValueAtPercentile(99.9),
      max: h.maxValue,
    };
  }

  /** Points of the percentile curve (percentile, micros) for a latency-distribution chart. */
  curve(): { percentile: number; micros: number }[] {
    const ps = [0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 100];
    return ps.map((p) => ({ percentile: p, micros: this.h.getValueAtPercentile(p) }));
  }

  reset(): void {
    this.h.reset();
  }

  destroy(): void {
    this.h.destroy();
  }
}
