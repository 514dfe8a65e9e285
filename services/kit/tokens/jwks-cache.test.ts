import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.ts';
import { JwksCache } from './jwks-cache.ts';
import { JwksSource, makeKey, type TestKey } from '../../test-support/token-fixtures.ts';

let a: TestKey;
let b: TestKey;
let clock: ManualClock;
let source: JwksSource;

function cache(options: { refreshIntervalMs?: number; maxStaleMs?: number; failureRetryMs?: number } = {}): JwksCache {
  return new JwksCache({ fetchJwks: source.fetchJwks, clock, refreshIntervalMs: 10_000, unknownKidCooldownMs: 2_000, maxStaleMs: 60_000, ...options });
}

beforeEach(async () => {
  [a, b] = await Promise.all([makeKey(), makeKey('EdDSA')]);
  clock = new ManualClock(0);
  source = new JwksSource([a, b]);
});

describe('JwksCache', () => {
  it('loads on first use and refreshes when the interval has passed', async () => {
    const c = cache();
    expect(await c.lookup(a.kid)).toMatchObject({ status: 'found', alg: 'ES256' });
    expect(await c.lookup(b.kid)).toMatchObject({ status: 'found', alg: 'EdDSA' });
    expect(source.fetches).toBe(1);
    clock.advance(9_999);
    await c.lookup(a.kid);
    expect(source.fetches).toBe(1);
    clock.advance(1);
    await c.lookup(a.kid);
    expect(source.fetches).toBe(2);
  });

  it('version moves when the key set or revoked list changes, not on an identical refresh', async () => {
    const c = cache();
    await c.refresh();
    const v1 = c.version;
    await c.refresh();
    expect(c.version).toBe(v1);
    source.doc = { keys: [a.publicJwk], revoked: [] };
    await c.refresh();
    const v2 = c.version;
    expect(v2).not.toBe(v1);
    source.doc = { keys: [a.publicJwk], revoked: [b.kid] };
    await c.refresh();
    expect(c.version).not.toBe(v2);
    expect(await c.lookup(b.kid)).toEqual({ status: 'revoked' });
  });

  it('unknown kids trigger at most one fetch per cool-down', async () => {
    const c = cache();
    await c.lookup(a.kid);
    for (let i = 0; i < 50; i++) expect(await c.lookup(`nope${i}`)).toEqual({ status: 'unknown' });
    expect(source.fetches).toBe(2);
    clock.advance(2_000);
    await c.lookup('nope-again');
    expect(source.fetches).toBe(3);
  });

  it('picks up a new key on an unknown kid (rotation before the interval)', async () => {
    const c = cache();
    source.doc = { keys: [a.publicJwk] };
    await c.refresh();
    source.doc = { keys: [a.publicJwk, b.publicJwk] };
    expect(await c.lookup(b.kid)).toMatchObject({ status: 'found' });
  });

  it('a restarted token service’s new key is found as soon as it answers again, not a cool-down after the outage', async () => {
    const c = cache({ failureRetryMs: 250 });
    const fresh = await makeKey();
    await c.lookup(a.kid);
    source.failing = true;
    clock.advance(10_000);
    await c.lookup(a.kid); // the periodic refresh fails: the token service is restarting
    expect(c.stats.failures).toBe(1);
    // While it is down, unknown kids fetch at most once per retry gap.
    for (let i = 0; i < 20; i++) expect(await c.lookup(`nope${i}`)).toEqual({ status: 'unknown' });
    expect(source.fetches).toBe(2);
    clock.advance(250);
    expect(await c.lookup('nope-x')).toEqual({ status: 'unknown' });
    expect(source.fetches).toBe(3);
    // Back, with a new key: the first token signed with it is verified at once.
    source.failing = false;
    source.doc = { keys: [fresh.publicJwk] };
    clock.advance(250);
    expect(await c.lookup(fresh.kid)).toMatchObject({ status: 'found' });
    expect(source.fetches).toBe(4);
    // Healthy again: random kids are back to one fetch per cool-down.
    for (let i = 0; i < 20; i++) await c.lookup(`again${i}`);
    expect(source.fetches).toBe(4);
    clock.advance(2_000);
    for (let i = 0; i < 20; i++) await c.lookup(`later${i}`);
    expect(source.fetches).toBe(5);
  });

  it('never uses symmetric keys, private JWKs, encryption keys or duplicated kids', async () => {
    const c = cache();
    source.doc = {
      keys: [
        { kty: 'oct', k: 'c2VjcmV0', kid: 'oct1', alg: 'HS256' },
        { ...a.publicJwk, kid: 'priv1', d: 'AAAA' },
        { ...a.publicJwk, kid: 'enc1', use: 'enc' },
        { ...a.publicJwk, kid: 'dup' },
        { ...b.publicJwk, kid: 'dup' },
        { ...a.publicJwk, kid: 'wrongalg', alg: 'EdDSA' },
        { ...a.publicJwk, kid: '../../x' },
      ],
    };
    await c.refresh();
    expect(c.size).toBe(0);
  });

  it('refresh() calls made together share one fetch', async () => {
    const c = cache();
    await Promise.all([c.refresh(), c.refresh(), c.lookup(a.kid)]);
    expect(source.fetches).toBe(1);
  });

  it('keeps serving keys through a short outage, then fails closed past maxStale', async () => {
    const c = cache();
    await c.lookup(a.kid);
    source.failing = true;
    clock.advance(30_000);
    expect(await c.lookup(a.kid)).toMatchObject({ status: 'found' });
    expect(c.stats.failures).toBe(1);
    clock.advance(31_000);
    expect(await c.lookup(a.kid)).toEqual({ status: 'unknown' });
    await expect(c.refresh()).rejects.toThrow('unreachable');
  });

  it('rejects a document without a keys array and keeps the previous keys', async () => {
    const c = cache();
    await c.refresh();
    const v = c.version;
    source.doc = { revoked: [] } as never;
    await expect(c.refresh()).rejects.toThrow('keys');
    expect(c.version).toBe(v);
    expect(c.size).toBe(2);
  });

  it('rejects bad options with TypeError', () => {
    expect(() => new JwksCache({} as never)).toThrow(TypeError);
    expect(() => cache({ refreshIntervalMs: -1 })).toThrow(TypeError);
    expect(() => cache({ refreshIntervalMs: 10_000, maxStaleMs: 5_000 })).toThrow(TypeError);
    expect(() => cache({ failureRetryMs: Number.NaN })).toThrow(/failureRetryMs/);
  });
});
