/** Latency histograms in microseconds (HdrHistogram, 3 significant digits, 1 µs to 10 min). */
import * as hdr from 'hdr-histogram-js';

export type LatencyHistogram = hdr.Histogram;

/** The percentiles every rung reports. */
export const PERCENTILES = [50, 90, 99, 99.9] as const;
export type Percentile = (typeof PERCENTILES)[number];

/** Points of a percentile curve: 0 %, 50 %, 75 %, … halving the remaining tail down to 99.99 %. */
export const CURVE_PERCENTILES = [0, 50, 75, 87.5, 93.75, 96.875, 98.4375, 99.21875, 99.609375, 99.8046875, 99.90234375, 99.99];

export function latencyHistogram(): LatencyHistogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
}

/** Records one latency given in milliseconds (performance.now() units). */
export function recordMs(histogram: LatencyHistogram, ms: number): void {
  histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
}

export function percentileCurve(histogram: LatencyHistogram): Array<[number, number]> {
  return CURVE_PERCENTILES.map((p) => [p, histogram.getValueAtPercentile(p)]);
}
