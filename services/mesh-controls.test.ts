/**
 * The controls of the review's holes, end to end through a real mesh on
 * 127.0.0.1 (real TLS, tokens, policies): each test shows the refusal a client
 * sees and the signal an operator sees.
 */
import https from 'node:https';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LaunchedEngine } from '../harness/engine/launched-engine.ts';
import { EndUser } from '../harness/actors/end-user.ts';
import { Impersonator } from '../harness/actors/impersonator.ts';
import { samplePayment } from '../harness/actors/payment.ts';
import type { ServiceName } from './topology.ts';
import { SAMPLE_CARD_NUMBER } from '../harness/actors/payment.ts';
import { statePaths } from './kit/state-layout.ts';
import { STORED_CARD_PATTERN, WRAPPED_KEY_PATTERN } from './kit/e2ee/envelope.ts';

let mesh: LaunchedEngine;
let stateDir: string;
let user: EndUser;
const closers: Array<() => void> = [];

async function impersonate(service: string): Promise<Impersonator> {
  const actor = await Impersonator.mint(mesh, service);
  closers.push(() => actor.close());
  return actor;
}

/** The value of one counter sample (0 when absent). */
async function counter(service: ServiceName, name: string, labels: Record<string, string>): Promise<number> {
  const snapshot = await mesh.scrape(service);
  const sample = snapshot.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return sample?.value ?? 0;
}

/** Polls (bounded) until the check holds. */
async function eventually(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'meshgate-controls-'));
  mesh = await LaunchedEngine.start({ stateDir }, { spans: () => [] });
  user = new EndUser(mesh);
}, 60_000);

afterAll(async () => {
  for (const close of closers) close();
  user?.close();
  await mesh?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

describe('the review holes are closed in the running mesh', () => {
  test('two-decimal amounts the old float check refused are booked', async () => {
    const token = await user.login('alice');
    for (const [i, amount] of [19.99, 1.1, 0.29, 4.35].entries()) {
      const res = await user.pay(token, samplePayment(`amount-${i}`, { amount }));
      expect(res.status, res.body).toBe(201);
      expect(res.json()).toMatchObject({ amount });
    }
  });

  test('two Authorization headers at the gateway are refused with 400 header_ambiguous', async () => {
    const token = await user.login('alice');
    const url = new URL(mesh.endpoint('gateway').publicUrl!);
    const body = JSON.stringify(samplePayment('dup-auth'));
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const headers = [['host', 'localhost'], ['content-type', 'application/json'], ['content-length', String(Buffer.byteLength(body))], ['authorization', `Bearer ${token}`], ['authorization', 'Bearer forged']].flat();
      const req = https.request({ host: '127.0.0.1', port: url.port, path: '/payments', method: 'POST', servername: 'localhost', ca: mesh.trustBundle(), headers: headers as unknown as Record<string, string> }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ error: 'header_ambiguous' });
    expect(await mesh.ledger.entriesFor('dup-auth')).toBe(0);
  });

  test('the token service issues no access token for an edge the topology does not declare', async () => {
    const gateway = await impersonate('gateway');
    const res = await gateway.call('sts', 'POST', '/token', { form: { grant_type: 'client_credentials', audience: 'spiffe://meshgate.test/ledger' } });
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ error: 'invalid_target' });
  });

  test('password guessing is slowed with 429 login_throttled and Retry-After, counted, while other users log in', async () => {
    const before = await counter('gateway', 'meshgate_login_throttled_total', { scope: 'user' });
    const statuses: number[] = [];
    let retryAfter: string | undefined;
    for (let i = 0; i < 8; i++) {
      const res = await user.post('/login', { username: 'bob', password: `guess-${i}` });
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers['retry-after'] as string | undefined;
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.at(-1)).toBe(429);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(await counter('gateway', 'meshgate_login_throttled_total', { scope: 'user' })).toBeGreaterThan(before);
    expect(typeof (await user.login('alice'))).toBe('string');
  });

  test('a compromised payments identity reading ledger entries in a loop is stopped with 429 rate_limited', async () => {
    const gateway = await impersonate('gateway');
    const payments = await impersonate('payments');
    const userToken = await user.login('alice');
    const access = await payments.accessToken('ledger');
    const statuses: number[] = [];
    for (let i = 0; i < 60 && !statuses.includes(429); i++) {
      const txn = await gateway.transactionToken(userToken, 1);
      const res = await payments.call('ledger', 'GET', `/entries/probe-${i}`, { headers: { authorization: `Bearer ${access}`, 'txn-token': txn } });
      statuses.push(res.status);
      if (res.status === 429) expect(res.json()).toMatchObject({ error: 'rate_limited' });
    }
    expect(statuses).toContain(429);
    expect(await counter('ledger', 'meshgate_rate_limited_total', { route: 'GET /entries/:id' })).toBeGreaterThan(0);
  });

  test('revoking a caller closes its open keep-alive connection at once, recorded by a metric', async () => {
    const gateway = await impersonate('gateway');
    expect((await gateway.call('payments', 'GET', '/healthz')).status).toBe(200);
    await mesh.operator.revokeCert(gateway.serial);
    expect(await eventually(async () => (await counter('payments', 'meshgate_tls_connections_closed_total', { role: 'server', reason: 'cert_revoked' })) > 0)).toBe(true);
    await expect(gateway.call('payments', 'GET', '/healthz')).rejects.toThrow();
  });
});

describe('cards at rest: envelope encryption through kms', () => {
  test('the ledger stores only a JWE and a kms-wrapped key; payments keeps no card key; kms keeps its ring 0600', async () => {
    const token = await user.login('alice');
    expect((await user.pay(token, samplePayment('at-rest-1'))).status).toBe(201);
    const [stored] = await mesh.operator.storedCards('at-rest-1');
    expect(stored).toMatchObject({ cardLast4: '1111', keyVersion: expect.any(Number) });
    expect(stored!.cardToken).toMatch(STORED_CARD_PATTERN);
    expect(stored!.cardKey).toMatch(WRAPPED_KEY_PATTERN);
    expect(JSON.stringify(stored)).not.toContain(SAMPLE_CARD_NUMBER);
    for (const file of [statePaths(stateDir).ledgerDb, `${statePaths(stateDir).ledgerDb}-wal`]) if (existsSync(file)) expect(readFileSync(file).includes(SAMPLE_CARD_NUMBER), file).toBe(false);
    expect(existsSync(join(statePaths(stateDir).root, 'payments', 'card-key'))).toBe(false);
    expect(statSync(statePaths(stateDir).kmsKeys).mode & 0o777).toBe(0o600);
    const opened = await mesh.operator.openStoredCard('at-rest-1', stored!);
    expect(opened.status, opened.text()).toBe(200);
    expect(opened.json()).toEqual({ opened: true, keyVersion: stored!.keyVersion, cardLast4: '1111' });
  });

  test('a stored card moved to another payment does not open: the wrap and the JWE header both name their payment', async () => {
    const token = await user.login('alice');
    for (const ref of ['at-rest-a', 'at-rest-b']) expect((await user.pay(token, samplePayment(ref))).status).toBe(201);
    const [a] = await mesh.operator.storedCards('at-rest-a');
    const [b] = await mesh.operator.storedCards('at-rest-b');
    const movedKey = await mesh.operator.openStoredCard('at-rest-b', { cardToken: b!.cardToken, cardKey: a!.cardKey });
    expect([movedKey.status, movedKey.json<{ error: string }>().error]).toEqual([400, 'kms_unwrap_failed']);
    const movedCard = await mesh.operator.openStoredCard('at-rest-b', { cardToken: a!.cardToken, cardKey: b!.cardKey });
    expect([movedCard.status, movedCard.json<{ error: string }>().error]).toEqual([400, 'card_unreadable']);
    const garbage = await mesh.operator.openStoredCard('at-rest-b', { cardToken: 'v1.x.y.z', cardKey: b!.cardKey });
    expect([garbage.status, garbage.json<{ error: string }>().error]).toEqual([400, 'card_malformed']);
  });

  test('kms names what is wrong with a request, and refuses to revoke the version in use', async () => {
    const payments = await impersonate('payments');
    const ledger = await impersonate('ledger');
    const asPayments = { authorization: `Bearer ${await payments.accessToken('kms')}` };
    const asLedger = { authorization: `Bearer ${await ledger.accessToken('kms')}` };
    const problem = async (actor: Impersonator, headers: Record<string, string>, path: string, body: unknown) => {
      const res = await actor.call('kms', 'POST', path, { body, headers });
      return [res.status, res.json<{ error: string; detail?: string }>().error, res.json<{ detail?: string }>().detail];
    };
    expect(await problem(payments, asPayments, '/v1/unwrap', { wrappedKey: 'kms.v1.nope', context: { purpose: 'card', reference: 'r' } })).toEqual([400, 'body_invalid', 'wrappedKey: must be a wrapped key (kms.v<version>.<iv>.<ciphertext>)']);
    expect(await problem(payments, asPayments, '/v1/data-keys', { context: { purpose: 'card', reference: 'r', owner: 'x' } })).toEqual([400, 'body_invalid', 'context.owner: unknown field']);
    expect(await problem(payments, asPayments, '/v1/data-keys', { context: { purpose: 'Card!', reference: '../etc' } })).toEqual([
      400,
      'body_invalid',
      'context.purpose: must be 1-32 lower-case letters or -; context.reference: must be 1-64 characters of A-Z a-z 0-9 _ -',
    ]);
    const [one] = await mesh.operator.storedCards('at-rest-1');
    const batch = Array.from({ length: 101 }, () => ({ wrappedKey: one!.cardKey, context: { purpose: 'card', reference: 'at-rest-1' } }));
    expect(await problem(ledger, asLedger, '/v1/rewrap', { keys: batch })).toEqual([400, 'body_invalid', 'keys: must be an array of 1 to 100 { wrappedKey, context }']);
    const { current } = await mesh.operator.kmsKeyVersions();
    await expect(mesh.operator.revokeKmsKey(current)).rejects.toMatchObject({ status: 409, reason: 'kms_key_in_use' });
  });
});

// Last in the file: it leaves the token service and the CA stopped.
describe('dependencies down', () => {
  test('with the token service and the CA down, login and renew-svid answer 503 with their reason', async () => {
    const operator = await impersonate('operator');
    await mesh.kill('sts');
    const res = await user.post('/login', { username: 'alice', password: mesh.demoPassword('alice') });
    expect(res.status).toBe(503);
    expect(res.json()).toMatchObject({ error: 'sts_unavailable' });
    await mesh.kill('ca');
    const renew = await operator.call('payments', 'POST', '/admin/renew-svid');
    expect(renew.status).toBe(503);
    expect(renew.json()).toMatchObject({ error: 'ca_unavailable' });
  });
});
