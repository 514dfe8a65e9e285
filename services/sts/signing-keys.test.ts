import { describe, expect, it } from 'vitest';
import { ManualClock } from '../kit/clock.ts';
import { AccessTokenVerifier } from '../kit/tokens/access-token-verifier.ts';
import { JwksCache } from '../kit/tokens/jwks-cache.ts';
import { thumbprint } from '../test-support/token-fixtures.ts';
import { SigningKeys } from './signing-keys.ts';
import { TokenIssuer } from './token-issuer.ts';

const PAYMENTS = 'spiffe://meshgate.test/payments';
const GATEWAY = 'spiffe://meshgate.test/gateway';

async function setup(alg: 'ES256' | 'EdDSA' = 'ES256') {
  const clock = new ManualClock(Date.UTC(2030, 0, 1));
  const keys = await SigningKeys.create({ clock, alg, rotateEveryMs: 600_000, maxTokenLifetimeSeconds: 120, skewSeconds: 5 });
  const issuer = new TokenIssuer({ keys, clock, userTokenTtlSeconds: 120 });
  const jwks = new JwksCache({ fetchJwks: async () => keys.jwks(), clock, refreshIntervalMs: 1_000, maxStaleMs: 1_000_000 });
  const verifier = new AccessTokenVerifier({ issuer: issuer.issuer, audience: PAYMENTS, jwks, clock, maxAgeSeconds: 600 });
  return { clock, keys, issuer, jwks, verifier };
}

describe('SigningKeys', () => {
  it('publishes a current and a next key, public members only', async () => {
    const { keys } = await setup();
    const doc = keys.jwks();
    expect(doc.keys).toHaveLength(2);
    expect(doc.revoked).toEqual([]);
    for (const jwk of doc.keys) {
      expect(Object.keys(jwk).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
      expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    }
    expect(keys.list().map((k) => k.state).sort()).toEqual(['current', 'next']);
    // Nothing reachable from the object serialises a private key.
    expect(JSON.stringify(keys)).not.toContain('"d"');
    expect(JSON.stringify(keys.list())).not.toContain('"d"');
  });

  it('rotate: next becomes current, current is retired but still published', async () => {
    const { keys } = await setup();
    const before = keys.list();
    const next = before.find((k) => k.state === 'next')!.kid;
    const current = before.find((k) => k.state === 'current')!.kid;
    const r = await keys.rotate();
    expect(r).toMatchObject({ retired: current, current: next });
    expect(keys.currentKid).toBe(next);
    expect(keys.jwks().keys.map((k) => k.kid)).toEqual(expect.arrayContaining([current, next, r.next]));
  });

  it('tokens from the old key verify until it is retired past the longest token lifetime, then its kid is unknown', async () => {
    const { clock, keys, issuer, verifier } = await setup();
    const thumb = thumbprint();
    const old = await issuer.issueAccessToken({ subject: GATEWAY, audience: PAYMENTS, certThumbprint: thumb });
    const gen = keys.generation;
    await keys.rotate();
    expect(keys.generation).not.toBe(gen);
    const fresh = await issuer.issueAccessToken({ subject: GATEWAY, audience: PAYMENTS, certThumbprint: thumb });
    expect(fresh.kid).not.toBe(old.kid);
    clock.advance(30_000);
    expect(await verifier.verify(old.token, thumb)).toMatchObject({ ok: true, kid: old.kid });
    expect(await verifier.verify(fresh.token, thumb)).toMatchObject({ ok: true, kid: fresh.kid });
    expect((await keys.tick()).removed).toEqual([]);
    clock.advance(95_000);
    expect((await keys.tick()).removed).toEqual([old.kid]);
    expect(keys.has(old.kid)).toBe(false);
    // The kid is checked before any claim, so the answer is about the key, not the (also expired) token.
    expect(await verifier.verify(old.token, thumb)).toEqual({ ok: false, reason: 'token_unknown_kid', kid: old.kid });
    const later = await issuer.issueAccessToken({ subject: GATEWAY, audience: PAYMENTS, certThumbprint: thumb });
    expect(later.kid).toBe(fresh.kid);
    expect(await verifier.verify(later.token, thumb)).toMatchObject({ ok: true });
  });

  it('tick rotates on schedule', async () => {
    const { clock, keys } = await setup();
    const first = keys.currentKid;
    expect((await keys.tick()).rotated).toBeUndefined();
    clock.advance(600_000);
    const { rotated } = await keys.tick();
    expect(rotated?.retired).toBe(first);
    expect(keys.currentKid).not.toBe(first);
  });

  it('revoke removes the key at once, lists it as revoked, and tokens it signed are token_key_revoked', async () => {
    const { keys, issuer, jwks, verifier } = await setup();
    const thumb = thumbprint();
    const t = await issuer.issueAccessToken({ subject: GATEWAY, audience: PAYMENTS, certThumbprint: thumb });
    expect(await verifier.verify(t.token, thumb)).toMatchObject({ ok: true });
    const r = await keys.revoke(t.kid);
    expect(r).toMatchObject({ revoked: t.kid, wasState: 'current' });
    expect(keys.currentKid).not.toBe(t.kid);
    expect(keys.jwks().keys.map((k) => k.kid)).not.toContain(t.kid);
    expect(keys.jwks().revoked).toEqual([t.kid]);
    expect(keys.list().map((k) => k.state).sort()).toEqual(['current', 'next']);
    await jwks.refresh();
    expect(await verifier.verify(t.token, thumb)).toEqual({ ok: false, reason: 'token_key_revoked', kid: t.kid });
    // New tokens come from the promoted key and verify.
    const after = await issuer.issueAccessToken({ subject: GATEWAY, audience: PAYMENTS, certThumbprint: thumb });
    expect(await verifier.verify(after.token, thumb)).toMatchObject({ ok: true });
    expect(await keys.revoke('not-a-kid')).toBeUndefined();
  });

  it('a rotate and a revoke issued together leave a consistent set', async () => {
    const { keys } = await setup();
    const current = keys.currentKid;
    await Promise.all([keys.rotate(), keys.revoke(current), keys.rotate()]);
    const states = keys.list().map((k) => k.state);
    expect(states.filter((s) => s === 'current')).toHaveLength(1);
    expect(states.filter((s) => s === 'next')).toHaveLength(1);
    expect(keys.jwks().revoked).toEqual([current]);
  });

  it('EdDSA (Ed25519) is selectable and verifies', async () => {
    const { keys, issuer, verifier } = await setup('EdDSA');
    expect(keys.jwks().keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' });
    const thumb = thumbprint();
    const t = await issuer.issueAccessToken({ subject: GATEWAY, audience: PAYMENTS, certThumbprint: thumb });
    expect(await verifier.verify(t.token, thumb)).toMatchObject({ ok: true });
  });

  it('rejects bad options with TypeError', async () => {
    await expect(SigningKeys.create({ alg: 'HS256' as never })).rejects.toThrow(TypeError);
    await expect(SigningKeys.create({ maxTokenLifetimeSeconds: 0 })).rejects.toThrow(TypeError);
  });
  it('keeps private keys unexportable unless made extractable for the unsafe backup', async () => {
    const { keys } = await setup();
    await expect(keys.backup()).rejects.toThrow(/not extractable/);
  });

  it('the thief of a backup signs tokens that verify like the token service\'s own, until the key is revoked', async () => {
    const clock = new ManualClock(Date.UTC(2030, 0, 1));
    const keys = await SigningKeys.create({ clock, maxTokenLifetimeSeconds: 120, extractable: true });
    const changes: number[] = [];
    keys.onChange(() => changes.push(keys.generation));
    const backup = await keys.backup();
    expect(backup.keys.map((k) => k.state).sort()).toEqual(['current', 'next']);
    expect(backup.keys.every((k) => typeof k.privateJwk.d === 'string')).toBe(true);
    const stolen = new TokenIssuer({ keys: await SigningKeys.fromBackup(backup), clock });
    const jwks = new JwksCache({ fetchJwks: async () => keys.jwks(), clock, refreshIntervalMs: 1, maxStaleMs: 1_000_000 });
    const verifier = new AccessTokenVerifier({ issuer: stolen.issuer, audience: PAYMENTS, jwks, clock });
    const thumb = thumbprint();
    const forged = await stolen.issueAccessToken({ subject: GATEWAY, audience: PAYMENTS, certThumbprint: thumb });
    expect(forged.kid).toBe(keys.currentKid);
    expect(await verifier.verify(forged.token, thumb)).toMatchObject({ ok: true, claims: { sub: GATEWAY } });
    await keys.revoke(forged.kid);
    expect(changes).toHaveLength(1);
    clock.advance(10);
    await jwks.refresh();
    expect(await verifier.verify(forged.token, thumb)).toMatchObject({ ok: false });
    await expect(SigningKeys.fromBackup({ alg: 'ES256', keys: [] })).rejects.toThrow(/not a signing-key backup/);
  });
});
