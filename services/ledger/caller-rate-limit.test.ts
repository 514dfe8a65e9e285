import { describe, expect, test } from 'vitest';
import { ManualClock } from '../kit/clock.ts';
import { CallerRateLimit } from './caller-rate-limit.ts';

describe('per-caller rate limit', () => {
  test('a caller reading in a loop is stopped after its burst, others are not, and it refills', () => {
    const clock = new ManualClock(0);
    const limit = new CallerRateLimit(5, clock);
    const verdicts = Array.from({ length: 12 }, () => limit.take('spiffe://meshgate.test/payments'));
    expect(verdicts.filter((v) => v.ok)).toHaveLength(10);
    expect(verdicts.at(-1)).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect(limit.take('spiffe://meshgate.test/operator')).toEqual({ ok: true });
    clock.advance(1_000);
    expect(limit.take('spiffe://meshgate.test/payments')).toEqual({ ok: true });
  });
  test('a bad rate is refused', () => expect(() => new CallerRateLimit(0)).toThrow(/perSecond must be a positive number/));
});
