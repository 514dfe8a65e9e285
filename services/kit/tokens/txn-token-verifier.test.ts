import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.ts';
import { JwksCache } from './jwks-cache.ts';
import { ReplayCache } from './replay-cache.ts';
import { accessClaims, ISSUER, JwksSource, makeKey, PAYMENTS, signRaw, txnClaims, withPayload, type TestKey } from '../../test-support/token-fixtures.ts';
import { TxnTokenVerifier } from './txn-token-verifier.ts';

const T0 = Date.UTC(2030, 0, 1);
let key: TestKey;
let clock: ManualClock;
let jwks: JwksCache;
let replay: ReplayCache;
let verifier: TxnTokenVerifier;

function txn(overrides: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
  return signRaw({ alg: 'ES256', kid: key.kid, typ: 'txn+jwt', ...header }, txnClaims(overrides, clock.now()), key.privateKey);
}

beforeEach(async () => {
  key = await makeKey();
  clock = new ManualClock(T0);
  jwks = new JwksCache({ fetchJwks: new JwksSource([key]).fetchJwks, clock });
  replay = new ReplayCache({ maxEntries: 100, clock });
  verifier = new TxnTokenVerifier({ issuer: ISSUER, jwks, replay, clock });
});

describe('TxnTokenVerifier', () => {
  it('accepts a transaction token once, then token_replayed', async () => {
    const token = await txn();
    expect(await verifier.verify(token)).toMatchObject({ ok: true, kid: key.kid, claims: { sub: 'alice', purp: 'payment', azd: { amount: 12.5, currency: 'EUR' } } });
    expect(await verifier.verify(token)).toEqual({ ok: false, reason: 'token_replayed', kid: key.kid });
    expect(replay.size).toBe(1);
  });

  it('another service (its own replay cache) still accepts the token once', async () => {
    const token = await txn();
    const ledger = new TxnTokenVerifier({ issuer: ISSUER, jwks, replay: new ReplayCache({ maxEntries: 100, clock }), clock });
    expect(await verifier.verify(token)).toMatchObject({ ok: true });
    expect(await ledger.verify(token)).toMatchObject({ ok: true });
    expect(await ledger.verify(token)).toMatchObject({ ok: false, reason: 'token_replayed' });
  });

  it('a refused token does not take a replay slot', async () => {
    const token = await txn();
    clock.advance(40_000);
    expect(await verifier.verify(token)).toMatchObject({ ok: false, reason: 'token_expired' });
    expect(replay.size).toBe(0);
  });

  it('token_wrong_type for an access token presented as a transaction token', async () => {
    const at = await signRaw({ alg: 'ES256', kid: key.kid, typ: 'at+jwt' }, txnClaims({}, clock.now()), key.privateKey);
    expect(await verifier.verify(at)).toMatchObject({ ok: false, reason: 'token_wrong_type' });
  });

  it('token_wrong_audience when addressed to one workload instead of the trust domain', async () => {
    expect(await verifier.verify(await txn({ aud: PAYMENTS }))).toMatchObject({ ok: false, reason: 'token_wrong_audience' });
    expect(await new TxnTokenVerifier({ issuer: ISSUER, jwks, replay, clock, checks: { audience: false } }).verify(await txn({ aud: PAYMENTS }))).toMatchObject({ ok: true });
  });

  it('token_wrong_issuer, token_not_yet_valid, token_too_old', async () => {
    const now = Math.floor(clock.now() / 1000);
    expect(await verifier.verify(await txn({ iss: 'spiffe://meshgate.test/gateway' }))).toMatchObject({ reason: 'token_wrong_issuer' });
    expect(await verifier.verify(await txn({ iat: now + 60, exp: now + 90 }))).toMatchObject({ reason: 'token_not_yet_valid' });
    expect(await verifier.verify(await txn({ iat: now - 120, exp: now + 30 }))).toMatchObject({ reason: 'token_too_old' });
  });

  it('token_malformed when a transaction claim is missing or mistyped', async () => {
    expect(await verifier.verify(await txn({ azd: undefined }))).toMatchObject({ reason: 'token_malformed' });
    expect(await verifier.verify(await txn({ rctx: { req_ip: '1.2.3.4' } }))).toMatchObject({ reason: 'token_malformed' });
    expect(await verifier.verify(await txn({ azd: { amount: '10', currency: 'EUR' } }))).toMatchObject({ reason: 'token_malformed' });
    expect(await verifier.verify(await signRaw({ alg: 'ES256', kid: key.kid, typ: 'txn+jwt' }, accessClaims({ aud: 'spiffe://meshgate.test' }, clock.now()), key.privateKey))).toMatchObject({ reason: 'token_malformed' });
  });

  it('token_bad_signature when the amount is raised after signing', async () => {
    const token = await txn();
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(await verifier.verify(withPayload(token, { ...claims, azd: { amount: 9999, currency: 'EUR' } }))).toMatchObject({ reason: 'token_bad_signature' });
  });

  it('replay_cache_full when the cache is full of live tokens', async () => {
    const small = new TxnTokenVerifier({ issuer: ISSUER, jwks, replay: new ReplayCache({ maxEntries: 1, clock }), clock });
    expect(await small.verify(await txn())).toMatchObject({ ok: true });
    expect(await small.verify(await txn())).toMatchObject({ ok: false, reason: 'replay_cache_full' });
  });

  it('token_missing without a header value', async () => {
    expect(await verifier.verify(undefined)).toEqual({ ok: false, reason: 'token_missing' });
  });
});
