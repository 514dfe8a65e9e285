import { decodeJwt } from 'jose';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../kit/clock.ts';
import { AccessTokenVerifier } from '../kit/tokens/access-token-verifier.ts';
import { JwksCache } from '../kit/tokens/jwks-cache.ts';
import { ReplayCache } from '../kit/tokens/replay-cache.ts';
import { thumbprint } from '../test-support/token-fixtures.ts';
import { TxnTokenVerifier } from '../kit/tokens/txn-token-verifier.ts';
import { SigningKeys } from './signing-keys.ts';
import { GRANT_TOKEN_EXCHANGE, TokenEndpoint, type TokenCaller } from './token-endpoint.ts';
import { TokenIssuer } from './token-issuer.ts';
import { UserDirectory } from './user-directory.ts';

const ID = (s: string) => `spiffe://meshgate.test/${s}`;
const AT = 'urn:ietf:params:oauth:token-type:access_token';
const TXN = 'urn:ietf:params:oauth:token-type:txn_token';

let dir: string;
let clock: ManualClock;
let keys: SigningKeys;
let endpoint: TokenEndpoint;
let jwks: JwksCache;
let creds: Record<string, string>;
const gateway: TokenCaller = { spiffeId: ID('gateway'), certThumbprint: thumbprint() };
const payments: TokenCaller = { spiffeId: ID('payments'), certThumbprint: thumbprint() };
const ledger: TokenCaller = { spiffeId: ID('ledger'), certThumbprint: thumbprint() };

const form = (fields: Record<string, string>) => new URLSearchParams(fields);

async function login(user = 'alice', caller = gateway) {
  return endpoint.handleTokenRequest(form({ grant_type: 'password', username: user, password: creds[user]! }), caller);
}

async function userToken(user = 'alice'): Promise<string> {
  const r = await login(user);
  expect(r.status).toBe(200);
  return (r.body as { access_token: string }).access_token;
}

function exchange(subjectToken: string, extra: Record<string, string> = {}, caller = gateway) {
  return endpoint.handleTokenRequest(
    form({ grant_type: GRANT_TOKEN_EXCHANGE, subject_token: subjectToken, subject_token_type: AT, requested_token_type: TXN, purpose: 'payment', amount: '25.50', currency: 'EUR', request_id: 'req-42', req_ip: '203.0.113.9', ...extra }),
    caller,
  );
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meshgate-sts-'));
  clock = new ManualClock(Date.UTC(2030, 0, 1));
  keys = await SigningKeys.create({ clock });
  const users = await UserDirectory.create({ scryptCost: 1024 });
  await users.writeCredentialsFile(join(dir, 'users.json'));
  creds = JSON.parse(await readFile(join(dir, 'users.json'), 'utf8')) as Record<string, string>;
  endpoint = new TokenEndpoint({ issuer: new TokenIssuer({ keys, clock }), users, clock });
  jwks = new JwksCache({ fetchJwks: async () => keys.jwks(), clock, refreshIntervalMs: 0 });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('client_credentials', () => {
  it('issues a cert-bound token for a declared edge that the target accepts over the caller certificate only', async () => {
    const r = await endpoint.handleTokenRequest(form({ grant_type: 'client_credentials', audience: ID('payments') }), gateway);
    expect(r.status).toBe(200);
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.body).toMatchObject({ token_type: 'Bearer', expires_in: 60 });
    const token = (r.body as { access_token: string }).access_token;
    expect(r.audit).toMatchObject({ event: 'token_issued', grant_type: 'client_credentials', caller: ID('gateway'), audience: ID('payments'), kid: keys.currentKid });
    expect(JSON.stringify(r.audit)).not.toContain(token);
    const atPayments = new AccessTokenVerifier({ issuer: ID('sts'), audience: ID('payments'), jwks, clock });
    expect(await atPayments.verify(token, gateway.certThumbprint)).toMatchObject({ ok: true, claims: { sub: ID('gateway') } });
    expect(await atPayments.verify(token, payments.certThumbprint)).toMatchObject({ ok: false, reason: 'token_cert_mismatch' });
    const p2l = await endpoint.handleTokenRequest(form({ grant_type: 'client_credentials', audience: ID('ledger') }), payments);
    expect(p2l.status).toBe(200);
  });

  it.each([
    ['no grant_type', form({ audience: ID('payments') }), gateway, 400, 'invalid_request'],
    ['unknown grant_type', form({ grant_type: 'implicit' }), gateway, 400, 'unsupported_grant_type'],
    ['repeated parameter', new URLSearchParams('grant_type=client_credentials&audience=a&audience=b'), gateway, 400, 'invalid_request'],
    ['no audience', form({ grant_type: 'client_credentials' }), gateway, 400, 'invalid_request'],
    ['audience not a workload', form({ grant_type: 'client_credentials', audience: 'https://evil.example' }), gateway, 400, 'invalid_target'],
    ['audience is the ca', form({ grant_type: 'client_credentials', audience: ID('ca') }), gateway, 400, 'invalid_target'],
    ['undeclared edge ledger → payments', form({ grant_type: 'client_credentials', audience: ID('payments') }), ledger, 400, 'invalid_target'],
    ['undeclared edge gateway → ledger', form({ grant_type: 'client_credentials', audience: ID('ledger') }), gateway, 400, 'invalid_target'],
    ['caller from another trust domain', form({ grant_type: 'client_credentials', audience: ID('payments') }), { spiffeId: 'spiffe://evil.test/gateway', certThumbprint: thumbprint() }, 401, 'invalid_client'],
    ['nested ID ending in gateway → payments', form({ grant_type: 'client_credentials', audience: ID('payments') }), { spiffeId: ID('evil/gateway'), certThumbprint: thumbprint() }, 400, 'invalid_target'],
    ['nested ID ending in gateway asks for a user token', form({ grant_type: 'password', username: 'alice', password: 'x' }), { spiffeId: ID('evil/gateway'), certThumbprint: thumbprint() }, 400, 'unauthorized_client'],
    ['caller without thumbprint', form({ grant_type: 'client_credentials', audience: ID('payments') }), { spiffeId: ID('gateway'), certThumbprint: '' }, 401, 'invalid_client'],
  ] as const)('%s → %s', async (_name, f, caller, status, error) => {
    const r = await endpoint.handleTokenRequest(f, caller);
    expect(r.status).toBe(status);
    expect(r.body).toMatchObject({ error });
    expect(typeof (r.body as { error_description: string }).error_description).toBe('string');
    expect(r.audit).toMatchObject({ event: 'token_refused', error });
  });

  it("'any-workload' allows a target the topology doesn't declare", async () => {
    const open = new TokenEndpoint({ issuer: new TokenIssuer({ keys, clock }), users: await UserDirectory.create({ scryptCost: 1024, users: [] }), clock, audiencePolicy: 'any-workload' });
    expect((await open.handleTokenRequest(form({ grant_type: 'client_credentials', audience: ID('payments') }), ledger)).status).toBe(200);
  });
});

describe('password', () => {
  it('issues a user token to the gateway', async () => {
    const r = await login('alice');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ token_type: 'Bearer', expires_in: 300, scope: 'payments:write payments:read' });
    const claims = decodeJwt((r.body as { access_token: string }).access_token);
    expect(claims).toMatchObject({ sub: 'alice', aud: ID('gateway') });
    expect(claims.cnf).toBeUndefined();
    expect(r.audit).toMatchObject({ event: 'token_issued', subject: 'alice' });
  });

  it('is refused to any caller but the gateway', async () => {
    const r = await login('alice', payments);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: 'unauthorized_client' });
  });

  it('invalid_grant with the same answer for a wrong password and an unknown user; the password is never echoed', async () => {
    const wrong = await endpoint.handleTokenRequest(form({ grant_type: 'password', username: 'alice', password: creds.bob! }), gateway);
    const unknown = await endpoint.handleTokenRequest(form({ grant_type: 'password', username: 'mallory', password: creds.bob! }), gateway);
    expect(wrong.body).toEqual({ error: 'invalid_grant', error_description: 'invalid username or password' });
    expect(unknown.body).toEqual(wrong.body);
    for (const r of [wrong, unknown]) expect(JSON.stringify(r)).not.toContain(creds.bob!);
  });

  it('invalid_request without credentials, invalid_scope beyond the user', async () => {
    expect((await endpoint.handleTokenRequest(form({ grant_type: 'password', username: 'alice' }), gateway)).body).toMatchObject({ error: 'invalid_request' });
    const r = await endpoint.handleTokenRequest(form({ grant_type: 'password', username: 'bob', password: creds.bob!, scope: 'payments:read' }), gateway);
    expect(r.body).toMatchObject({ error: 'invalid_scope' });
  });
});

describe('token exchange → transaction token', () => {
  it('turns a user token into a txn token within the user limits', async () => {
    const r = await exchange(await userToken('alice'));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ issued_token_type: TXN, token_type: 'N_A', expires_in: 30 });
    const token = (r.body as { access_token: string }).access_token;
    const v = new TxnTokenVerifier({ issuer: ID('sts'), jwks, clock, replay: new ReplayCache({ maxEntries: 10, clock }) });
    const result = await v.verify(token);
    expect(result).toMatchObject({ ok: true, claims: { sub: 'alice', txn: 'req-42', purp: 'payment', scope: 'payments:write', azd: { amount: 25.5, currency: 'EUR' }, rctx: { authn: 'pwd', req_ip: '203.0.113.9' } } });
    expect(r.audit).toMatchObject({ event: 'token_issued', subject: 'alice', token_type: 'txn_token' });
  });

  it('is refused to any caller but the gateway', async () => {
    const r = await exchange(await userToken(), {}, payments);
    expect(r.body).toMatchObject({ error: 'unauthorized_client' });
  });

  it("invalid_scope when the amount exceeds the user's limit or the user lacks the purpose scope", async () => {
    expect((await exchange(await userToken('bob'), { amount: '100.01' })).body).toMatchObject({ error: 'invalid_scope' });
    expect((await exchange(await userToken('bob'), { amount: '100.00' })).status).toBe(200);
    expect((await exchange(await userToken('alice'), { currency: 'USD' })).body).toMatchObject({ error: 'invalid_scope' });
    expect((await exchange(await userToken('carol'), { amount: '1' })).body).toMatchObject({ error: 'invalid_scope' });
  });

  it('invalid_request for wrong token types, purposes, amounts and ids', async () => {
    const u = await userToken();
    const cases: Record<string, string>[] = [{ requested_token_type: AT }, { subject_token_type: 'urn:ietf:params:oauth:token-type:jwt' }, { purpose: 'refund' }, { amount: '-5' }, { amount: '1e9' }, { amount: '0' }, { request_id: '../x' }, { req_ip: 'not-an-ip' }];
    for (const extra of cases) {
      expect((await exchange(u, extra)).body, JSON.stringify(extra)).toMatchObject({ error: 'invalid_request' });
    }
    expect((await exchange('')).body).toMatchObject({ error: 'invalid_request' });
  });

  it('invalid_grant for a workload token, a tampered or an expired user token', async () => {
    const cc = await endpoint.handleTokenRequest(form({ grant_type: 'client_credentials', audience: ID('payments') }), gateway);
    const workload = (cc.body as { access_token: string }).access_token;
    expect((await exchange(workload)).body).toMatchObject({ error: 'invalid_grant', error_description: 'subject_token rejected: token_wrong_audience' });
    const u = await userToken('bob');
    const [h, p, s] = u.split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: 'alice' })).toString('base64url')}.${s}`;
    expect((await exchange(forged)).body).toMatchObject({ error: 'invalid_grant', error_description: 'subject_token rejected: token_bad_signature' });
    clock.advance(310_000);
    expect((await exchange(u)).body).toMatchObject({ error: 'invalid_grant', error_description: 'subject_token rejected: token_expired' });
  });

  it('invalid_grant once the key that signed the user token is revoked', async () => {
    const u = await userToken();
    await keys.revoke(keys.currentKid);
    expect((await exchange(u)).body).toMatchObject({ error: 'invalid_grant', error_description: 'subject_token rejected: token_key_revoked' });
    expect((await exchange(await userToken())).status).toBe(200);
  });
});
