import { describe, expect, it } from 'vitest';
import { welchRelativeChange } from './welch.ts';

describe('Welch interval of a relative change', () => {
  it('finds a shift and brackets zero for none', () => {
    const base = [100, 103, 98, 101, 99];
    const slower = welchRelativeChange(base, base.map((v) => v * 1.25));
    expect(slower.estimate).toBeCloseTo(0.25, 10);
    expect(slower.low).toBeGreaterThan(0.15);
    const same = welchRelativeChange(base, [101, 99, 100, 102, 98]);
    expect(same.low).toBeLessThan(0);
    expect(same.high).toBeGreaterThan(0);
  });

  it('is wider for fewer repetitions and for a stricter confidence, as Student’s t says', () => {
    // two values each side, variance 2, means 10 and 12: se = √(2/2 + 2/2) = √2, df = 2, t(0.975, 2) = 4.303
    const few = welchRelativeChange([9, 11], [11, 13]);
    expect(few.estimate).toBeCloseTo(0.2, 10);
    expect(few.high - few.estimate).toBeCloseTo((4.302652729911275 * Math.SQRT2) / 10, 6);
    const strict = welchRelativeChange([9, 11], [11, 13], 0.999);
    expect(strict.high - strict.low).toBeGreaterThan(few.high - few.low);
    const more = welchRelativeChange([9, 11, 9, 11, 9, 11], [11, 13, 11, 13, 11, 13]);
    expect(more.high - more.low).toBeLessThan(few.high - few.low);
  });

  it('gives an exact change when neither side varies, and refuses what it cannot judge, naming it', () => {
    expect(welchRelativeChange([5, 5], [6, 6])).toEqual({ estimate: 0.2, low: 0.2, high: 0.2 });
    expect(() => welchRelativeChange([1], [1, 2])).toThrow(/at least 2 values/);
    expect(() => welchRelativeChange([0, 0], [1, 2])).toThrow(/base mean is 0/);
    expect(() => welchRelativeChange([1, Number.NaN], [1, 2])).toThrow(/base holds a value/);
    expect(() => welchRelativeChange([1, 2], [1, 2], 1)).toThrow(/confidence/);
  });
});
