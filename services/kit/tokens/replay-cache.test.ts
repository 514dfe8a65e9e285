import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.ts';
import { ReplayCache } from './replay-cache.ts';

describe('ReplayCache', () => {
  it('accepts a jti once and refuses it again until it expires', () => {
    const clock = new ManualClock(0);
    const cache = new ReplayCache({ maxEntries: 10, clock, graceMs: 1_000 });
    expect(cache.accept('j1', 30_000)).toEqual({ ok: true });
    expect(cache.accept('j1', 30_000)).toEqual({ ok: false, reason: 'token_replayed' });
    expect(cache.accept('j2', 30_000)).toEqual({ ok: true });
    expect(cache.size).toBe(2);
    clock.set(30_999);
    expect(cache.accept('j1', 30_000)).toEqual({ ok: false, reason: 'token_replayed' });
    clock.set(31_000);
    expect(cache.accept('j1', 60_000)).toEqual({ ok: true });
  });

  it('fails closed with replay_cache_full when every slot holds a live token, and recovers after expiry', () => {
    const clock = new ManualClock(0);
    const cache = new ReplayCache({ maxEntries: 3, clock, graceMs: 0 });
    for (const jti of ['a', 'b', 'c']) expect(cache.accept(jti, 10_000 + jti.charCodeAt(0))).toEqual({ ok: true });
    expect(cache.accept('d', 20_000)).toEqual({ ok: false, reason: 'replay_cache_full' });
    expect(cache.size).toBe(3);
    clock.set(10_097);
    expect(cache.accept('d', 20_000)).toEqual({ ok: true });
    expect(cache.size).toBe(3);
    // A replay of an entry still live is refused, not mistaken for "full".
    expect(cache.accept('c', 20_000)).toEqual({ ok: false, reason: 'token_replayed' });
  });

  it('the mutation switch turns replay protection off', () => {
    const cache = new ReplayCache({ maxEntries: 1, enabled: false });
    expect(cache.accept('x', Date.now() + 10_000)).toEqual({ ok: true });
    expect(cache.accept('x', Date.now() + 10_000)).toEqual({ ok: true });
  });

  it('rejects bad arguments with TypeError', () => {
    expect(() => new ReplayCache({ maxEntries: 0 })).toThrow(TypeError);
    expect(() => new ReplayCache({ maxEntries: 1.5 })).toThrow(TypeError);
    const cache = new ReplayCache({ maxEntries: 1 });
    expect(() => cache.accept('', 1)).toThrow(TypeError);
    expect(() => cache.accept('a', Number.NaN)).toThrow(TypeError);
  });
});
