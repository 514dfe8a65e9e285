import { describe, expect, it } from 'vitest';
import { bootstrapMean, bootstrapPaired, mean, seededRandom } from './bootstrap.ts';

describe('bootstrap over repetitions', () => {
  it('gives the mean as the estimate and an interval around it that narrows with less spread', () => {
    const wide = bootstrapMean([80, 120, 90, 110, 100]);
    const narrow = bootstrapMean([99, 101, 100, 100.5, 99.5]);
    expect(wide.estimate).toBe(100);
    expect(wide.low).toBeLessThan(100);
    expect(wide.high).toBeGreaterThan(100);
    expect(narrow.high - narrow.low).toBeLessThan((wide.high - wide.low) / 5);
  });

  it('is deterministic for a seed', () => {
    const values = [3, 5, 4, 6, 5, 4];
    expect(bootstrapMean(values, { seed: 7 })).toEqual(bootstrapMean(values, { seed: 7 }));
  });

  it('resamples paired repetitions jointly: drift shared by both sides cancels in the ratio', () => {
    const drift = [1, 1.5, 0.8, 1.2, 2];
    const a = drift.map((d) => 200 * d);
    const b = drift.map((d) => 100 * d);
    const ratio = bootstrapPaired(a, b, (x, y) => x / y);
    expect(ratio.estimate).toBeCloseTo(2, 10);
    expect(ratio.low).toBeCloseTo(2, 10);
    expect(ratio.high).toBeCloseTo(2, 10);
  });

  it('refuses too few repetitions, non-finite values and bad options, naming them', () => {
    expect(() => bootstrapMean([1])).toThrow(/at least 2 repetitions/);
    expect(() => bootstrapMean([1, Number.NaN])).toThrow(/values\[1\] is not a finite number/);
    expect(() => bootstrapMean([1, 2], { confidence: 1.5, iterations: 5 })).toThrow(/iterations.*confidence/);
    expect(() => bootstrapPaired([1, 2], [1, 2, 3], (x) => x)).toThrow(/one value per repetition/);
    expect(() => mean([])).toThrow(/no values/);
  });

  it('draws uniformly enough from the seeded generator', () => {
    const random = seededRandom(3);
    const draws = Array.from({ length: 10_000 }, random);
    expect(mean(draws)).toBeGreaterThan(0.48);
    expect(mean(draws)).toBeLessThan(0.52);
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
  });
});
