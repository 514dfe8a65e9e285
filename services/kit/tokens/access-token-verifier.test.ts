import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.ts';
import { AccessTokenVerifier, type AccessTokenVerifierOptions } from './access-token-verifier.ts';
import { ConnectionTokenCache, connectionTokenCacheFor } from './connection-token-cache.ts';
import { JwksCache } from './jwks-cache.ts';
import { accessClaims, hs256WithPublicKey, ISSUER, JwksSource, makeKey, PAYMENTS, signRaw, thumbprint, txnClaims, unsignedToken, withPayload, type TestKey } from '../../test-support/token-fixtures.ts';

const T0 = Date.UTC(2030, 0, 1);
const AT = { typ: 'at+jwt' };

let key: TestKey;
let attacker: TestKey;
let clock: ManualClock;
let source: JwksSource;
let jwks: JwksCache;
let thumbA: string;
let thumbB: string;

function verifier(options: Partial<AccessTokenVerifierOptions> = {}): AccessTokenVerifier {
  return new AccessTokenVerifier({ issuer: ISSUER, audience: PAYMENTS, jwks, clock, ...options });
}

/** A correctly signed token for PAYMENTS bound to thumbA, with claim overrides. */
function good(overrides: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
  return signRaw({ alg: 'ES256', kid: key.kid, ...AT, ...header }, accessClaims({ cnf: { 'x5t#S256': thumbA }, ...overrides }, clock.now()), key.privateKey);
}

beforeEach(async () => {
  [key, attacker] = await Promise.all([makeKey(), makeKey()]);
  clock = new ManualClock(T0);
  source = new JwksSource([key]);
  jwks = new JwksCache({ fetchJwks: source.fetchJwks, clock, refreshIntervalMs: 60_000, unknownKidCooldownMs: 5_000 });
  thumbA = thumbprint();
  thumbB = thumbprint();
});

describe('AccessTokenVerifier', () => {
  it('accepts a correctly signed, bound token for this audience', async () => {
    const result = await verifier().verify(await good(), thumbA);
    expect(result).toMatchObject({ ok: true, kid: key.kid, cached: false, claims: { sub: 'spiffe://meshgate.test/gateway', aud: PAYMENTS } });
    expect(await verifier().verify(await good({ aud: [PAYMENTS] }), thumbA)).toMatchObject({ ok: true });
    expect(await verifier().verify(await good({}, { typ: 'application/at+jwt' }), thumbA)).toMatchObject({ ok: true });
  });

  it('token_missing for an absent or empty token', async () => {
    expect(await verifier().verify(undefined, thumbA)).toEqual({ ok: false, reason: 'token_missing' });
    expect(await verifier().verify('', thumbA)).toEqual({ ok: false, reason: 'token_missing' });
  });

  it('token_malformed for structural garbage, without fetching keys', async () => {
    const token = await good();
    const [h, p, s] = token.split('.');
    for (const bad of ['abc', `${h}.${p}`, `${h}.${p}.${s}.x`, `e30.${p}.${s}x*`, `bm90IGpzb24.${p}.${s}`, `${h}.${p}.${'A'.repeat(9000)}`]) {
      expect(await verifier().verify(bad, thumbA), bad.slice(0, 20)).toMatchObject({ ok: false, reason: 'token_malformed' });
    }
    expect(await verifier().verify(await good({}, { crit: ['exp'], exp: 1 }), thumbA)).toMatchObject({ ok: false, reason: 'token_malformed' });
    expect(source.fetches).toBe(0);
  });

  it('token_alg_not_allowed for alg none, even with a known kid', async () => {
    const token = unsignedToken({ kid: key.kid, ...AT }, accessClaims({ cnf: { 'x5t#S256': thumbA } }, clock.now()));
    expect(await verifier().verify(token, thumbA)).toEqual({ ok: false, reason: 'token_alg_not_allowed' });
  });

  it('token_alg_not_allowed for HS256 keyed with the public key (key confusion)', async () => {
    const token = await hs256WithPublicKey(key, { kid: key.kid, ...AT }, accessClaims({ cnf: { 'x5t#S256': thumbA } }, clock.now()));
    expect(await verifier().verify(token, thumbA)).toEqual({ ok: false, reason: 'token_alg_not_allowed' });
    // And the allow-list itself can't be widened to a symmetric algorithm.
    expect(() => verifier({ algorithms: ['ES256', 'RS256'] })).toThrow(TypeError);
  });

  it('token_alg_not_allowed when the header names an allowed alg the key is not for', async () => {
    const ed = await makeKey('EdDSA');
    source.doc.keys.push({ ...ed.publicJwk, kid: 'ed-kid' });
    const token = await signRaw({ alg: 'EdDSA', kid: key.kid, ...AT }, accessClaims({ cnf: { 'x5t#S256': thumbA } }, clock.now()), ed.privateKey);
    expect(await verifier().verify(token, thumbA)).toMatchObject({ ok: false, reason: 'token_alg_not_allowed' });
  });

  it('token_unknown_kid for a kid the JWKS does not hold; refetch bounded by the cool-down', async () => {
    const v = verifier();
    await v.verify(await good(), thumbA);
    expect(source.fetches).toBe(1);
    const forged = await signRaw({ alg: 'ES256', kid: attacker.kid, ...AT }, accessClaims({ cnf: { 'x5t#S256': thumbA } }, clock.now()), attacker.privateKey);
    expect(await v.verify(forged, thumbA)).toEqual({ ok: false, reason: 'token_unknown_kid', kid: attacker.kid });
    expect(source.fetches).toBe(2);
    for (let i = 0; i < 20; i++) {
      const other = await signRaw({ alg: 'ES256', kid: `random${i}`, ...AT }, accessClaims({}, clock.now()), attacker.privateKey);
      expect(await v.verify(other, thumbA)).toMatchObject({ reason: 'token_unknown_kid' });
    }
    expect(source.fetches).toBe(2);
    const noKid = await signRaw({ alg: 'ES256', ...AT }, accessClaims({}, clock.now()), key.privateKey);
    expect(await v.verify(noKid, thumbA)).toEqual({ ok: false, reason: 'token_unknown_kid' });
  });

  it('token_unknown_kid for a path-traversal kid, without any fetch', async () => {
    const token = await signRaw({ alg: 'ES256', kid: '../../x', ...AT }, accessClaims({}, clock.now()), key.privateKey);
    expect(await verifier().verify(token, thumbA)).toEqual({ ok: false, reason: 'token_unknown_kid' });
    expect(source.fetches).toBe(0);
  });

  describe('keys named by the token are never fetched or used', () => {
    const realFetch = globalThis.fetch;
    let netFetches: number;
    beforeEach(() => {
      netFetches = 0;
      globalThis.fetch = (async (...args: Parameters<typeof fetch>) => {
        netFetches++;
        return realFetch(...args);
      }) as typeof fetch;
    });
    afterEach(() => {
      globalThis.fetch = realFetch;
    });

    it('jku pointing elsewhere is ignored', async () => {
      const payload = accessClaims({ cnf: { 'x5t#S256': thumbA } }, clock.now());
      const ownKid = await signRaw({ alg: 'ES256', kid: attacker.kid, jku: 'https://attacker.example/jwks.json', ...AT }, payload, attacker.privateKey);
      expect(await verifier().verify(ownKid, thumbA)).toMatchObject({ ok: false, reason: 'token_unknown_kid' });
      const borrowedKid = await signRaw({ alg: 'ES256', kid: key.kid, jku: 'https://attacker.example/jwks.json', x5u: 'https://attacker.example/c.pem', ...AT }, payload, attacker.privateKey);
      expect(await verifier().verify(borrowedKid, thumbA)).toMatchObject({ ok: false, reason: 'token_bad_signature' });
      expect(netFetches).toBe(0);
      // One initial load and one unknown-kid refresh, both from the configured source only.
      expect(source.fetches).toBe(2);
    });

    it('an embedded jwk header is ignored', async () => {
      const payload = accessClaims({ cnf: { 'x5t#S256': thumbA } }, clock.now());
      const withKid = await signRaw({ alg: 'ES256', kid: key.kid, jwk: attacker.publicJwk, ...AT }, payload, attacker.privateKey);
      expect(await verifier().verify(withKid, thumbA)).toMatchObject({ ok: false, reason: 'token_bad_signature' });
      const withoutKid = await signRaw({ alg: 'ES256', jwk: attacker.publicJwk, ...AT }, payload, attacker.privateKey);
      expect(await verifier().verify(withoutKid, thumbA)).toEqual({ ok: false, reason: 'token_unknown_kid' });
      expect(netFetches).toBe(0);
    });
  });

  it('token_bad_signature for tampered claims with the signature kept', async () => {
    const token = await good();
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    const tampered = withPayload(token, { ...claims, sub: 'spiffe://meshgate.test/operator' });
    expect(await verifier().verify(tampered, thumbA)).toEqual({ ok: false, reason: 'token_bad_signature', kid: key.kid });
  });

  it('signature before claims: a forged token with bad claims still reads token_bad_signature', async () => {
    const forged = await signRaw({ alg: 'ES256', kid: key.kid, typ: 'JWT' }, accessClaims({ iss: 'x', aud: 'y', exp: 1, cnf: { 'x5t#S256': thumbB } }, clock.now()), attacker.privateKey);
    expect(await verifier().verify(forged, thumbA)).toMatchObject({ ok: false, reason: 'token_bad_signature' });
  });

  it('token_expired past exp plus skew; accepted within the skew', async () => {
    const token = await good();
    clock.advance(62_000);
    expect(await verifier().verify(token, thumbA)).toMatchObject({ ok: true });
    clock.advance(4_000);
    expect(await verifier().verify(token, thumbA)).toMatchObject({ ok: false, reason: 'token_expired' });
  });

  it('token_not_yet_valid for a future nbf or iat', async () => {
    const now = Math.floor(clock.now() / 1000);
    expect(await verifier().verify(await good({ nbf: now + 30 }), thumbA)).toMatchObject({ ok: false, reason: 'token_not_yet_valid' });
    expect(await verifier().verify(await good({ iat: now + 30, nbf: undefined }), thumbA)).toMatchObject({ ok: false, reason: 'token_not_yet_valid' });
  });

  it('token_too_old when iat is older than maxAge though exp is far away', async () => {
    const now = Math.floor(clock.now() / 1000);
    const token = await good({ iat: now - 400, nbf: now - 400, exp: now + 3600 });
    expect(await verifier().verify(token, thumbA)).toMatchObject({ ok: false, reason: 'token_too_old' });
    expect(await verifier({ maxAgeSeconds: 600 }).verify(token, thumbA)).toMatchObject({ ok: true });
  });

  it('token_wrong_issuer', async () => {
    expect(await verifier().verify(await good({ iss: 'spiffe://meshgate.test/evil' }), thumbA)).toMatchObject({ ok: false, reason: 'token_wrong_issuer' });
  });

  it('token_wrong_audience for another audience and for two audiences; the mutation switch turns it off', async () => {
    const other = await good({ aud: 'spiffe://meshgate.test/ledger' });
    expect(await verifier().verify(other, thumbA)).toMatchObject({ ok: false, reason: 'token_wrong_audience' });
    expect(await verifier().verify(await good({ aud: [PAYMENTS, 'spiffe://meshgate.test/ledger'] }), thumbA)).toMatchObject({ ok: false, reason: 'token_wrong_audience' });
    expect(await verifier({ checks: { audience: false, binding: true } }).verify(other, thumbA)).toMatchObject({ ok: true });
  });

  it('token_wrong_type for typ JWT, no typ, or a transaction token', async () => {
    expect(await verifier().verify(await good({}, { typ: 'JWT' }), thumbA)).toMatchObject({ ok: false, reason: 'token_wrong_type' });
    expect(await verifier().verify(await good({}, { typ: undefined }), thumbA)).toMatchObject({ ok: false, reason: 'token_wrong_type' });
    const txn = await signRaw({ alg: 'ES256', kid: key.kid, typ: 'txn+jwt' }, txnClaims({ aud: PAYMENTS }, clock.now()), key.privateKey);
    expect(await verifier().verify(txn, thumbA)).toMatchObject({ ok: false, reason: 'token_wrong_type' });
  });

  it('token_cert_mismatch for a token bound to cert A presented over cert B, or unbound; the switch turns it off', async () => {
    const token = await good();
    expect(await verifier().verify(token, thumbB)).toEqual({ ok: false, reason: 'token_cert_mismatch', kid: key.kid });
    expect(await verifier().verify(await good({ cnf: undefined }), thumbA)).toMatchObject({ ok: false, reason: 'token_cert_mismatch' });
    expect(await verifier({ checks: { audience: true, binding: false } }).verify(token, thumbB)).toMatchObject({ ok: true });
  });

  it('where callers have no certificate, a bound token is refused and an unbound one accepted', async () => {
    const user = verifier({ certBound: false });
    expect(await user.verify(await good({ cnf: undefined }), '')).toMatchObject({ ok: true });
    expect(await user.verify(await good(), '')).toMatchObject({ ok: false, reason: 'token_cert_mismatch' });
  });

  it('token_key_revoked for a kid listed in the JWKS revoked member', async () => {
    const token = await good();
    const v = verifier();
    expect(await v.verify(token, thumbA)).toMatchObject({ ok: true });
    source.doc = { keys: [], revoked: [key.kid] };
    await jwks.refresh();
    expect(await v.verify(token, thumbA)).toEqual({ ok: false, reason: 'token_key_revoked', kid: key.kid });
  });

  describe('per-connection cache', () => {
    it('a second presentation on the same connection is a cache hit', async () => {
      const conn = new ConnectionTokenCache();
      const v = verifier();
      const token = await good();
      expect(await v.verify(token, thumbA, conn)).toMatchObject({ ok: true, cached: false });
      expect(await v.verify(token, thumbA, conn)).toMatchObject({ ok: true, cached: true, kid: key.kid });
      expect(await verifier({ verifiedTokenEntries: 0 }).verify(token, thumbA)).toMatchObject({ ok: true, cached: false });
    });

    it('is bound to the thumbprint, expires with the token, and is dropped on a key set change', async () => {
      const socket = {};
      const conn = connectionTokenCacheFor(socket);
      expect(connectionTokenCacheFor(socket)).toBe(conn);
      const v = verifier();
      const token = await good();
      await v.verify(token, thumbA, conn);
      expect(await v.verify(token, thumbB, conn)).toMatchObject({ ok: false, reason: 'token_cert_mismatch' });

      await v.verify(token, thumbA, conn);
      source.doc = { keys: [key.publicJwk], revoked: [] };
      source.doc.keys.push(attacker.publicJwk);
      await jwks.refresh();
      expect(await v.verify(token, thumbA, conn)).toMatchObject({ ok: true, cached: false });
      source.doc = { keys: [], revoked: [key.kid] };
      await jwks.refresh();
      expect(await v.verify(token, thumbA, conn)).toMatchObject({ ok: false, reason: 'token_key_revoked' });

      source.doc = { keys: [key.publicJwk], revoked: [] };
      await jwks.refresh();
      await v.verify(token, thumbA, conn);
      clock.advance(66_000);
      expect(await v.verify(token, thumbA, conn)).toMatchObject({ ok: false, reason: 'token_expired' });
    });

    it('an entry accepted by one verifier is not a hit for another', async () => {
      const conn = new ConnectionTokenCache();
      const token = await good();
      await verifier().verify(token, thumbA, conn);
      const ledger = verifier({ audience: 'spiffe://meshgate.test/ledger' });
      expect(await ledger.verify(token, thumbA, conn)).toMatchObject({ ok: false, reason: 'token_wrong_audience' });
    });
  });

  describe('verified-token cache (the same token on a new connection)', () => {
    it('a token verified on one connection is a hit on the next, still bound to the new connection’s certificate', async () => {
      const v = verifier();
      const token = await good();
      expect(await v.verify(token, thumbA, new ConnectionTokenCache())).toMatchObject({ ok: true, cached: false });
      expect(await v.verify(token, thumbA, new ConnectionTokenCache())).toMatchObject({ ok: true, cached: true, kid: key.kid });
      expect(await v.verify(token, thumbB, new ConnectionTokenCache())).toEqual({ ok: false, reason: 'token_cert_mismatch', kid: key.kid });
      expect(await v.verify(token, '', new ConnectionTokenCache())).toMatchObject({ ok: false, reason: 'token_cert_mismatch' });
      // With the binding check switched off (the mutant), a hit is accepted over another certificate, as a cold verify would be.
      const unbound = verifier({ checks: { binding: false } });
      await unbound.verify(token, thumbA);
      expect(await unbound.verify(token, thumbB)).toMatchObject({ ok: true, cached: true });
    });

    it('honours key revocation and rotation at once, and dies with the token', async () => {
      const v = verifier();
      const token = await good();
      await v.verify(token, thumbA);
      source.doc = { keys: [], revoked: [key.kid] };
      await jwks.refresh();
      expect(await v.verify(token, thumbA)).toEqual({ ok: false, reason: 'token_key_revoked', kid: key.kid });

      source.doc = { keys: [key.publicJwk], revoked: [] };
      await jwks.refresh();
      expect(await v.verify(token, thumbA)).toMatchObject({ ok: true, cached: false });
      source.doc = { keys: [key.publicJwk, attacker.publicJwk], revoked: [] };
      await jwks.refresh();
      expect(await v.verify(token, thumbA)).toMatchObject({ ok: true, cached: false });
      expect(await v.verify(token, thumbA)).toMatchObject({ ok: true, cached: true });
      clock.advance(66_000);
      expect(await v.verify(token, thumbA)).toMatchObject({ ok: false, reason: 'token_expired' });
    });

    it('remembers only tokens that verified, a bounded number of them, and is per verifier', async () => {
      const v = verifier({ verifiedTokenEntries: 2 });
      const [t1, t2, t3] = [await good({ jti: 'a' }), await good({ jti: 'b' }), await good({ jti: 'c' })];
      for (const t of [t1, t2, t3]) await v.verify(t, thumbA);
      expect(await v.verify(t3, thumbA)).toMatchObject({ cached: true });
      expect(await v.verify(t1, thumbA)).toMatchObject({ ok: true, cached: false });
      const wrongAudience = await good({ aud: 'spiffe://meshgate.test/ledger' });
      expect(await v.verify(wrongAudience, thumbA)).toMatchObject({ ok: false, reason: 'token_wrong_audience' });
      expect(await v.verify(wrongAudience, thumbA)).toMatchObject({ ok: false, reason: 'token_wrong_audience' });
      expect(await verifier({ audience: 'spiffe://meshgate.test/ledger' }).verify(t1, thumbA)).toMatchObject({ ok: false, reason: 'token_wrong_audience' });
      expect(() => verifier({ verifiedTokenEntries: -1 })).toThrow(TypeError);
    });
  });

  it('token_bad_signature for a signature of the wrong length or in a non-canonical encoding', async () => {
    const token = await good();
    const [h, p, s] = token.split('.') as [string, string, string];
    const raw = Buffer.from(s, 'base64url');
    expect(await verifier().verify(`${h}.${p}.${raw.subarray(0, 63).toString('base64url')}`, thumbA)).toMatchObject({ ok: false, reason: 'token_bad_signature' });
    expect(await verifier().verify(`${h}.${p}.${Buffer.concat([raw, Buffer.from([0])]).toString('base64url')}`, thumbA)).toMatchObject({ ok: false, reason: 'token_bad_signature' });
    // 64 bytes are 86 base64url characters whose last one carries 4 unused bits: flipping one keeps the bytes, not the encoding.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const loose = `${s.slice(0, -1)}${alphabet[alphabet.indexOf(s.at(-1)!) ^ 1]}`;
    expect(Buffer.from(loose, 'base64url').equals(raw)).toBe(true);
    expect(await verifier().verify(`${h}.${p}.${loose}`, thumbA)).toMatchObject({ ok: false, reason: 'token_bad_signature' });
  });

  it('rejects bad options with TypeError', () => {
    expect(() => new AccessTokenVerifier({ issuer: '', audience: PAYMENTS, jwks })).toThrow(TypeError);
    expect(() => verifier({ skewSeconds: -1 })).toThrow(TypeError);
    expect(() => verifier({ algorithms: [] })).toThrow(TypeError);
  });
});
