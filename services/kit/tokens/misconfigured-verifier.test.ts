import { createHmac, KeyObject } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { accessClaims, b64json, hs256WithPublicKey, ISSUER, JwksSource, makeKey, PAYMENTS, signRaw, thumbprint } from '../../test-support/token-fixtures.ts';
import { AccessTokenVerifier, DEFAULT_ALGORITHMS } from './access-token-verifier.ts';
import { JwksCache } from './jwks-cache.ts';

/** The settings a team could get wrong are honoured: each widened check lets its forged token through, the safe default refuses it. */
async function setup(options: Partial<ConstructorParameters<typeof AccessTokenVerifier>[0]> = {}) {
  const key = await makeKey();
  const jwks = new JwksCache({ fetchJwks: new JwksSource([key]).fetchJwks, refreshIntervalMs: 0 });
  const verifier = new AccessTokenVerifier({ issuer: ISSUER, audience: PAYMENTS, jwks, checks: { binding: false }, ...options });
  return { key, verifier };
}

describe('token verifier settings', () => {
  test('HS256 keyed with the public key is refused by default and accepted only with the allow-list widened', async () => {
    const safe = await setup();
    const forged = await hs256WithPublicKey(safe.key, { kid: safe.key.kid, typ: 'at+jwt' }, accessClaims({ cnf: { 'x5t#S256': thumbprint() } }));
    expect(await safe.verifier.verify(forged, '')).toMatchObject({ ok: false, reason: 'token_alg_not_allowed' });
    const widened = await setup({ algorithms: [...DEFAULT_ALGORITHMS, 'HS256'] });
    // As the catalog's attack does it: the published key's SPKI PEM as Node exports it.
    const pem = KeyObject.from(widened.key.publicKey).export({ type: 'spki', format: 'pem' });
    const input = `${b64json({ alg: 'HS256', kid: widened.key.kid, typ: 'at+jwt' })}.${b64json(accessClaims())}`;
    const forgedForWidened = `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`;
    expect(await widened.verifier.verify(forgedForWidened, '')).toMatchObject({ ok: true });
  });

  test('a token of the wrong typ is refused unless the typ check is off', async () => {
    const safe = await setup();
    const jwt = await signRaw({ alg: 'ES256', kid: safe.key.kid, typ: 'JWT' }, accessClaims(), safe.key.privateKey);
    expect(await safe.verifier.verify(jwt, '')).toMatchObject({ ok: false, reason: 'token_wrong_type' });
    const off = await setup({ checks: { binding: false, type: false } });
    expect(await off.verifier.verify(await signRaw({ alg: 'ES256', kid: off.key.kid, typ: 'JWT' }, accessClaims(), off.key.privateKey), '')).toMatchObject({ ok: true });
  });

  test('a token expired an hour ago is refused with the default skew and accepted with a skew of hours', async () => {
    const claims = () => accessClaims({}, Date.now() - 3_600_000);
    const safe = await setup({ maxAgeSeconds: 86_400 });
    expect(await safe.verifier.verify(await signRaw({ alg: 'ES256', kid: safe.key.kid, typ: 'at+jwt' }, claims(), safe.key.privateKey), '')).toMatchObject({ ok: false, reason: 'token_expired' });
    const lax = await setup({ maxAgeSeconds: 86_400, skewSeconds: 7_200 });
    expect(await lax.verifier.verify(await signRaw({ alg: 'ES256', kid: lax.key.kid, typ: 'at+jwt' }, claims(), lax.key.privateKey), '')).toMatchObject({ ok: true });
  });
});
