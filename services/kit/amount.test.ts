import { describe, expect, test } from 'vitest';
import { formatMinorUnits, parseAmount } from './amount.ts';

describe('amounts in minor units', () => {
  test('every amount from 0.01 to 99 999.99, as JSON carries it, reads back exactly', () => {
    let wrong = 0;
    for (let minor = 1; minor <= 9_999_999; minor++) {
      const text = formatMinorUnits(minor);
      const fromJson = JSON.parse(text) as number;
      const parsed = parseAmount(fromJson);
      if (!parsed.ok || parsed.minor !== minor || parseAmount(text).ok !== true) wrong++;
    }
    expect(wrong).toBe(0);
  });

  test('the amounts a floating-point check refused are accepted', () => {
    for (const [amount, minor] of [[19.99, 1999], [1.1, 110], [0.29, 29], [4.35, 435], [25, 2500]] as const) expect(parseAmount(amount)).toEqual({ ok: true, minor });
  });

  test('beyond the exhaustive range: random amounts up to 10^13 minor units round-trip', () => {
    for (let i = 0; i < 100_000; i++) {
      const minor = 1 + Math.floor(Math.random() * 1e13);
      expect(parseAmount(JSON.parse(formatMinorUnits(minor)))).toEqual({ ok: true, minor });
    }
  });

  test.each([0, -1, 0.001, 1.005, 1e-7, 1e21, Number.NaN, Infinity, '1.2.3', '01.50', ' 1', '1e3', true, null, {}])('%j is refused', (value) => {
    expect(parseAmount(value).ok).toBe(false);
  });
});
