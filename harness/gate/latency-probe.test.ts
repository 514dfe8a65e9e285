import { describe, expect, it } from 'vitest';
import { seededRandom } from '../stats/bootstrap.ts';
import { latencyHistogram, recordMs } from '../stats/latency-histogram.ts';
import { latencyDeltas, latencyFigures, medianDifference, MIN_SAMPLES_P99 } from './latency-probe.ts';

const noisy = (n: number, centre: number, seed: number): number[] => {
  const random = seededRandom(seed);
  return Array.from({ length: n }, () => centre * (0.8 + 0.4 * random()) + (random() < 0.02 ? centre * 5 : 0));
};

describe('latency figures', () => {
  it('prints a p99 only when the samples can carry it (from 100 on), and always the counts', () => {
    const few = latencyFigures({ handshakesUs: noisy(30, 4000, 1), requestsUs: noisy(200, 500, 2) });
    expect(few.handshakeP50Us).toBeGreaterThan(0);
    expect(few.handshakeP99Us).toBeUndefined();
    expect(few.handshakeSamples).toBe(30);
    expect(few.requestP99Us).toBeGreaterThan(few.requestP50Us!);
    expect(few.requestSamples).toBe(200);
    expect(latencyFigures({ handshakesUs: noisy(MIN_SAMPLES_P99, 4000, 3), requestsUs: [] }).handshakeP99Us).toBeDefined();
    expect(latencyFigures({ handshakesUs: noisy(MIN_SAMPLES_P99 - 1, 4000, 3), requestsUs: [] }).handshakeP99Us).toBeUndefined();
  });

  it('are the percentiles the benchmark reads from its HDR histogram for the same samples', () => {
    const samples = noisy(500, 1234.5678, 4);
    const bench = latencyHistogram();
    for (const us of samples) recordMs(bench, us / 1000);
    const figures = latencyFigures({ handshakesUs: samples, requestsUs: [] });
    expect(figures.handshakeP50Us).toBe(bench.getValueAtPercentile(50));
    expect(figures.handshakeP99Us).toBe(bench.getValueAtPercentile(99));
    expect(Number.isInteger(figures.handshakeP50Us)).toBe(true);
  });
});

describe('difference of medians against the baseline', () => {
  const baseline = { handshakesUs: noisy(400, 4000, 10), requestsUs: noisy(400, 500, 11) };

  it('is significant only when its 95 % interval excludes zero', () => {
    const slower = latencyDeltas({ handshakesUs: noisy(40, 6000, 12), requestsUs: noisy(200, 500, 13) }, baseline);
    expect(slower.handshakeP50DeltaLowUs).toBeGreaterThan(0);
    expect(slower.handshakeP50DeltaSignificant).toBe(1);
    // the same distribution measured again: the interval spans zero
    expect(slower.requestP50DeltaLowUs).toBeLessThan(0);
    expect(slower.requestP50DeltaHighUs).toBeGreaterThan(0);
    expect(slower.requestP50DeltaSignificant).toBe(0);
  });

  it('an interval narrows with more samples and is the same for the same data', () => {
    const a = medianDifference(baseline.handshakesUs, noisy(20, 4200, 20));
    const b = medianDifference(baseline.handshakesUs, noisy(200, 4200, 20));
    expect(b.high - b.low).toBeLessThan(a.high - a.low);
    expect(medianDifference(baseline.handshakesUs, noisy(20, 4200, 20))).toEqual(a);
    expect(() => medianDifference([1], [1, 2])).toThrow(/at least 2 samples/);
  });
});
