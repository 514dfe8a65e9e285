import { decodeProtectedHeader, decodeJwt } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../kit/clock.ts';
import { AccessTokenVerifier } from '../kit/tokens/access-token-verifier.ts';
import { JwksCache } from '../kit/tokens/jwks-cache.ts';
import { ReplayCache } from '../kit/tokens/replay-cache.ts';
import { thumbprint } from '../test-support/token-fixtures.ts';
import { TxnTokenVerifier } from '../kit/tokens/txn-token-verifier.ts';
import { SigningKeys } from './signing-keys.ts';
import { GATEWAY_ID, TokenIssuer } from './token-issuer.ts';

const PAYMENTS = 'spiffe://meshgate.test/payments';
let clock: ManualClock;
let keys: SigningKeys;
let issuer: TokenIssuer;
let jwks: JwksCache;

beforeAll(async () => {
  clock = new ManualClock(Date.UTC(2030, 0, 1));
  keys = await SigningKeys.create({ clock });
  issuer = new TokenIssuer({ keys, clock });
  jwks = new JwksCache({ fetchJwks: async () => keys.jwks(), clock });
});

describe('TokenIssuer', () => {
  it('access tokens: at+jwt, one audience, 60 s, jti, client_id, cnf x5t#S256', async () => {
    const thumb = thumbprint();
    const t = await issuer.issueAccessToken({ subject: GATEWAY_ID, audience: PAYMENTS, certThumbprint: thumb });
    expect(decodeProtectedHeader(t.token)).toEqual({ alg: 'ES256', kid: keys.currentKid, typ: 'at+jwt' });
    const claims = decodeJwt(t.token);
    expect(claims).toMatchObject({ iss: 'spiffe://meshgate.test/sts', sub: GATEWAY_ID, aud: PAYMENTS, client_id: GATEWAY_ID, cnf: { 'x5t#S256': thumb } });
    expect(claims.exp! - claims.iat!).toBe(60);
    expect(claims.nbf).toBe(claims.iat);
    expect(typeof claims.jti).toBe('string');
    expect(t.expiresIn).toBe(60);
    const v = new AccessTokenVerifier({ issuer: issuer.issuer, audience: PAYMENTS, jwks, clock });
    expect(await v.verify(t.token, thumb)).toMatchObject({ ok: true });
    const second = await issuer.issueAccessToken({ subject: GATEWAY_ID, audience: PAYMENTS, certThumbprint: thumb });
    expect(decodeJwt(second.token).jti).not.toBe(claims.jti);
  });

  it('user tokens: for the gateway, with scope, without cnf; refused by a cert-bound verifier', async () => {
    const t = await issuer.issueUserToken({ userId: 'alice', scopes: ['payments:write'] });
    const claims = decodeJwt(t.token);
    expect(claims).toMatchObject({ sub: 'alice', aud: GATEWAY_ID, scope: 'payments:write' });
    expect(claims.cnf).toBeUndefined();
    const publicPort = new AccessTokenVerifier({ issuer: issuer.issuer, audience: GATEWAY_ID, jwks, clock, certBound: false });
    expect(await publicPort.verify(t.token, '')).toMatchObject({ ok: true });
    const mesh = new AccessTokenVerifier({ issuer: issuer.issuer, audience: GATEWAY_ID, jwks, clock });
    expect(await mesh.verify(t.token, thumbprint())).toMatchObject({ ok: false, reason: 'token_cert_mismatch' });
  });

  it('transaction tokens: txn+jwt for the trust domain, 30 s, verified once', async () => {
    const t = await issuer.issueTxnToken({ subject: 'alice', scopes: ['payments:write'], txn: 'req-1', purp: 'payment', rctx: { authn: 'pwd', req_ip: '10.0.0.1' }, azd: { amount: 20, currency: 'EUR' } });
    expect(decodeProtectedHeader(t.token).typ).toBe('txn+jwt');
    const claims = decodeJwt(t.token);
    expect(claims).toMatchObject({ aud: 'spiffe://meshgate.test', sub: 'alice', txn: 'req-1', purp: 'payment', rctx: { authn: 'pwd', req_ip: '10.0.0.1' }, azd: { amount: 20, currency: 'EUR' } });
    expect(claims.exp! - claims.iat!).toBe(30);
    const v = new TxnTokenVerifier({ issuer: issuer.issuer, jwks, clock, replay: new ReplayCache({ maxEntries: 10, clock }) });
    expect(await v.verify(t.token)).toMatchObject({ ok: true });
    expect(await v.verify(t.token)).toMatchObject({ ok: false, reason: 'token_replayed' });
  });

  it('refuses a lifetime longer than the key retention, and bad requests', async () => {
    expect(() => new TokenIssuer({ keys, accessTokenTtlSeconds: 3600 })).toThrow(/maxTokenLifetimeSeconds/);
    await expect(async () => issuer.issueAccessToken({ subject: GATEWAY_ID, audience: PAYMENTS, certThumbprint: 'short' })).rejects.toThrow(TypeError);
    await expect(async () => issuer.issueAccessToken({ subject: '', audience: PAYMENTS, certThumbprint: thumbprint() })).rejects.toThrow(TypeError);
  });
});
