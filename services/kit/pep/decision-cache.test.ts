import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.ts';
import { canonicalJson } from './canonical-json.ts';
import { DecisionCache } from './decision-cache.ts';

describe('canonicalJson', () => {
  it('gives equal strings for equal values whatever the key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { y: 1, x: 2 }], c: 'x' } })).toBe(canonicalJson({ a: { c: 'x', d: [2, { x: 2, y: 1 }] }, b: 1 }));
    expect(canonicalJson({ a: [1, 2] })).not.toBe(canonicalJson({ a: [2, 1] }));
    expect(canonicalJson({ a: 1, b: undefined })).toBe('{"a":1}');
  });
});

describe('DecisionCache', () => {
  it('never serves an entry at or past its TTL', () => {
    const clock = new ManualClock(0);
    const cache = new DecisionCache<string>({ maxEntries: 10, ttlMs: 50, clock });
    cache.set('k', 'v');
    clock.advance(49);
    expect(cache.get('k')).toBe('v');
    clock.advance(1);
    expect(cache.get('k')).toBeUndefined();
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, expirations: 1, size: 0 });
  });

  it('caches nothing with a zero TTL or size', () => {
    const clock = new ManualClock(0);
    for (const opts of [{ maxEntries: 0, ttlMs: 10 }, { maxEntries: 5, ttlMs: 0 }]) {
      const cache = new DecisionCache<string>({ ...opts, clock });
      cache.set('k', 'v');
      expect(cache.get('k')).toBeUndefined();
    }
  });

  it('rejects bad options, naming each', () => {
    expect(() => new DecisionCache({ maxEntries: -1, ttlMs: Number.NaN, clock: new ManualClock(0) })).toThrow(/maxEntries must be .*ttlMs must be/);
  });
});
