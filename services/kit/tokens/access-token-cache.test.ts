import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.ts';
import { AccessTokenCache, type IssuedAccessToken } from './access-token-cache.ts';

function issuer() {
  const calls: string[] = [];
  let n = 0;
  let fail = false;
  const requestToken = async (audience: string): Promise<IssuedAccessToken> => {
    calls.push(audience);
    await new Promise((r) => setTimeout(r, 5));
    if (fail) throw new Error('sts down');
    return { access_token: `${audience}#${++n}`, expires_in: 60 };
  };
  return { calls, requestToken, setFail: (v: boolean) => (fail = v) };
}

describe('AccessTokenCache', () => {
  it('caches per audience and renews at 80% of the lifetime', async () => {
    const clock = new ManualClock(0);
    const sts = issuer();
    const cache = new AccessTokenCache({ requestToken: sts.requestToken, clock });
    expect(await cache.get('p')).toBe('p#1');
    expect(await cache.get('l')).toBe('l#2');
    clock.set(47_999);
    expect(await cache.get('p')).toBe('p#1');
    clock.set(48_000);
    expect(await cache.get('p')).toBe('p#3');
    expect(sts.calls).toEqual(['p', 'l', 'p']);
  });

  it('concurrent requests for one audience share one fetch', async () => {
    const sts = issuer();
    const cache = new AccessTokenCache({ requestToken: sts.requestToken, clock: new ManualClock(0) });
    const tokens = await Promise.all([cache.get('p'), cache.get('p'), cache.get('p')]);
    expect(new Set(tokens).size).toBe(1);
    expect(sts.calls).toHaveLength(1);
  });

  it('a failed renewal falls back to the held token until it expires, then throws', async () => {
    const clock = new ManualClock(0);
    const sts = issuer();
    const cache = new AccessTokenCache({ requestToken: sts.requestToken, clock });
    await cache.get('p');
    sts.setFail(true);
    clock.set(50_000);
    expect(await cache.get('p')).toBe('p#1');
    clock.set(60_000);
    await expect(cache.get('p')).rejects.toThrow('sts down');
  });

  it('invalidate forces a new token', async () => {
    const sts = issuer();
    const cache = new AccessTokenCache({ requestToken: sts.requestToken, clock: new ManualClock(0) });
    await cache.get('p');
    cache.invalidate('p');
    expect(await cache.get('p')).toBe('p#2');
  });

  it('rejects bad arguments', async () => {
    expect(() => new AccessTokenCache({ requestToken: issuer().requestToken, renewAt: 1 })).toThrow(TypeError);
    await expect(new AccessTokenCache({ requestToken: issuer().requestToken }).get('')).rejects.toThrow(TypeError);
    const bad = new AccessTokenCache({ requestToken: async () => ({ access_token: 'x', expires_in: 0 }) });
    await expect(bad.get('p')).rejects.toThrow('expires_in');
  });
});
