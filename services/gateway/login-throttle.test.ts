import { describe, expect, test } from 'vitest';
import { ManualClock } from '../kit/clock.ts';
import { LoginThrottle } from './login-throttle.ts';

describe('login throttle', () => {
  test('failures of one user back off exponentially; a success resets them', () => {
    const clock = new ManualClock(0);
    const t = new LoginThrottle({ userFailures: 3, clientFailures: 100, clock });
    t.recordFailure('alice', 'a');
    t.recordFailure('alice', 'b');
    expect(t.check('alice', 'c')).toEqual({ ok: true });
    t.recordFailure('alice', 'c');
    expect(t.check('alice', 'd')).toEqual({ ok: false, scope: 'user', retryAfterSeconds: 1 });
    clock.advance(1_000);
    t.recordFailure('alice', 'd');
    expect(t.check('alice', 'e')).toEqual({ ok: false, scope: 'user', retryAfterSeconds: 2 });
    clock.advance(2_000);
    t.recordFailure('alice', 'e');
    expect(t.check('alice', 'f')).toEqual({ ok: false, scope: 'user', retryAfterSeconds: 4 });
    clock.advance(4_000);
    t.recordSuccess('alice');
    expect(t.check('alice', 'f')).toEqual({ ok: true });
  });

  test('one client guessing many users is throttled per client, and a success does not reset it', () => {
    const clock = new ManualClock(0);
    const t = new LoginThrottle({ userFailures: 5, clientFailures: 4, clock });
    for (const user of ['u1', 'u2', 'u3', 'u4']) t.recordFailure(user, '10.0.0.1');
    t.recordSuccess('mallory');
    expect(t.check('u5', '10.0.0.1')).toMatchObject({ ok: false, scope: 'client' });
    expect(t.check('u5', '10.0.0.2')).toEqual({ ok: true });
  });

  test('the back-off has a ceiling and a quiet period forgets', () => {
    const clock = new ManualClock(0);
    const t = new LoginThrottle({ userFailures: 1, clientFailures: 1000, maxDelayMs: 60_000, forgetAfterMs: 120_000, clock });
    for (let i = 0; i < 40; i++) t.recordFailure('bob', 'x');
    expect(t.check('bob', 'y')).toEqual({ ok: false, scope: 'user', retryAfterSeconds: 60 });
    clock.advance(121_000);
    expect(t.check('bob', 'y')).toEqual({ ok: true });
  });

  test('bad limits are refused naming the setting', () => {
    expect(() => new LoginThrottle({ userFailures: 0, clientFailures: 1.5 })).toThrow(/userFailures must be a positive integer.*clientFailures must be a positive integer/);
  });
});
