/**
 * The controls of the review's holes, end to end through a real mesh on
 * 127.0.0.1 (real TLS, tokens, policies): each test shows the refusal a client
 * sees and the signal an operator sees.
 */
import https from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LocalEngine } from '../harness/engine/local-engine.ts';
import { EndUser } from '../harness/actors/end-user.ts';
import { Impersonator } from '../harness/actors/impersonator.ts';
import { samplePayment } from '../harness/actors/payment.ts';
import type { ServiceName } from './topology.ts';

let mesh: LocalEngine;
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
  mesh = await LocalEngine.start({ stateDir }, { spans: () => [] });
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

  test('with the token service and the CA down, login and renew-svid answer 503 with their reason (last: it leaves them stopped)', async () => {
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
