import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { statePaths } from './state-dir.ts';
import { DatabaseSync } from 'node:sqlite';
import { LaunchedEngine } from '../engine/launched-engine.ts';
import { EndUser } from '../actors/end-user.ts';
import { Impersonator } from '../actors/impersonator.ts';
import { samplePayment } from '../actors/payment.ts';

let mesh: LaunchedEngine;
let stateDir: string;
let user: EndUser;
let gateway: Impersonator;

function booked(reference: string): number {
  const db = new DatabaseSync(statePaths(stateDir).ledgerDb, { readOnly: true });
  try {
    return Number((db.prepare('SELECT count(*) AS n FROM entries WHERE reference = ?').get(reference) as { n: number }).n);
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'meshgate-flow-'));
  mesh = await LaunchedEngine.start({ stateDir }, { spans: () => [] });
  user = new EndUser(mesh);
  gateway = await Impersonator.mint(mesh, 'gateway');
}, 60_000);

afterAll(async () => {
  user?.close();
  gateway?.close();
  await mesh?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

describe('a payment through the mesh', () => {
  test('lands in the ledger exactly once, also when the call is retried', async () => {
    const token = await user.login('alice');
    const first = await user.pay(token, samplePayment('flow-once'));
    expect(first.status, first.body).toBe(201);
    expect(first.json()).toMatchObject({ status: 'booked', owner: 'alice', cardLast4: '1111', replayed: false });
    const retry = await user.pay(token, samplePayment('flow-once'));
    expect(retry.status).toBe(200);
    expect(retry.json()).toMatchObject({ paymentId: first.json().paymentId, replayed: true });
    expect(booked('flow-once')).toBe(1);
  });

  test('the card number never reaches the ledger in plaintext', async () => {
    const token = await user.login('alice');
    const number = '4000056655665556';
    expect((await user.pay(token, samplePayment('flow-card', { card: { number, expiry: '11/38' } }))).status).toBe(201);
    const db = new DatabaseSync(statePaths(stateDir).ledgerDb, { readOnly: true });
    const row = db.prepare('SELECT * FROM entries WHERE reference = ?').get('flow-card') as Record<string, unknown>;
    db.close();
    expect(JSON.stringify(row)).not.toContain(number);
    expect(row.card_last4).toBe('5556');
  });

  test.each([
    ['an unknown field', { ...samplePayment('bad-1'), note: 'x' }, 400, /note: unknown field/],
    ['a wrong type', { ...samplePayment('bad-2'), amount: '25' }, 400, /amount/],
    ['an invalid card number', samplePayment('bad-3', { card: { number: '4111111111111112', expiry: '12/39' } }), 400, /card.number/],
    ['an unknown card field', { ...samplePayment('bad-4'), card: { number: '4111111111111111', expiry: '12/39', cvv: '123' } }, 400, /card.cvv: unknown field/],
    ['an oversized body', { ...samplePayment('bad-5'), reference: 'bad-5', pad: 'x'.repeat(20_000) }, 413, /body_too_large/],
  ])('%s is refused with a reason and nothing is booked', async (_name, body, status, reason) => {
    const token = await user.login('alice');
    const res = await user.pay(token, JSON.stringify(body));
    expect(res.status).toBe(status);
    expect(res.body).toMatch(reason);
    expect(res.body).not.toContain('4111111111111');
    expect(booked((body as { reference: string }).reference)).toBe(0);
  });

  test('a reference booked again with other details is a 409 reference_conflict for its owner only; another user booking the same reference learns nothing', async () => {
    const alice = await user.login('alice');
    expect((await user.pay(alice, samplePayment('flow-clash', { amount: 20 }))).status).toBe(201);
    const clash = await user.pay(alice, samplePayment('flow-clash', { amount: 30 }));
    expect(clash.status, clash.body).toBe(409);
    expect(clash.json()).toMatchObject({ error: 'reference_conflict' });
    const bob = await user.pay(await user.login('bob'), samplePayment('flow-clash', { amount: 20 }));
    expect(bob.status, bob.body).toBe(201);
    expect(bob.json()).toMatchObject({ owner: 'bob', replayed: false });
    expect(booked('flow-clash')).toBe(2);
  });

  test('an amount over the user limit gets no transaction token', async () => {
    const token = await user.login('bob');
    const res = await user.pay(token, samplePayment('flow-limit', { amount: 5000 }));
    expect(res.status).toBe(403);
    expect(res.json()).toMatchObject({ error: 'txn_token_refused' });
    expect(booked('flow-limit')).toBe(0);
  });
});

describe('tokens held by a workload identity', () => {
  test('as the gateway: exchange, access token, book at payments directly; the replayed transaction token is refused', async () => {
    const userToken = await user.login('alice');
    const txn = await gateway.transactionToken(userToken, 30);
    const access = await gateway.accessToken('payments');
    const headers = { authorization: `Bearer ${access}`, 'txn-token': txn };
    const first = await gateway.call('payments', 'POST', '/payments', { body: samplePayment('direct-1', { amount: 30 }), headers });
    expect(first.status, first.text()).toBe(201);
    const replay = await gateway.call('payments', 'POST', '/payments', { body: samplePayment('direct-2', { amount: 30 }), headers });
    expect(replay.status).toBe(401);
    expect(replay.json()).toMatchObject({ error: 'token_replayed' });
    expect(replay.headers['www-authenticate']).toContain('invalid_token');
    expect(replay.text()).not.toContain(txn);
    expect(booked('direct-2')).toBe(0);
  });

  test('a request refused for its body does not spend its transaction token: the same token then books once, and only once', async () => {
    const txn = await gateway.transactionToken(await user.login('alice'), 12);
    const headers = { authorization: `Bearer ${await gateway.accessToken('payments')}`, 'txn-token': txn };
    const bad = await gateway.call('payments', 'POST', '/payments', { body: { ...samplePayment('release-1', { amount: 12 }), amount: 'twelve' }, headers });
    expect(bad.status, bad.text()).toBe(400);
    expect(bad.json()).toMatchObject({ error: 'body_invalid' });
    const good = await gateway.call('payments', 'POST', '/payments', { body: samplePayment('release-1', { amount: 12 }), headers });
    expect(good.status, good.text()).toBe(201);
    const again = await gateway.call('payments', 'POST', '/payments', { body: samplePayment('release-2', { amount: 12 }), headers });
    expect(again.json()).toMatchObject({ error: 'token_replayed' });
    expect(booked('release-1')).toBe(1);
  });

  test('an access token presented over another certificate is refused with token_cert_mismatch', async () => {
    const thief = await Impersonator.mint(mesh, 'gateway');
    try {
      const userToken = await user.login('alice');
      const stolen = await gateway.accessToken('payments');
      const txn = await gateway.transactionToken(userToken, 10);
      const res = await thief.call('payments', 'POST', '/payments', { body: samplePayment('stolen-1', { amount: 10 }), headers: { authorization: `Bearer ${stolen}`, 'txn-token': txn } });
      expect(res.status).toBe(401);
      expect(res.json()).toMatchObject({ error: 'token_cert_mismatch' });
      expect(booked('stolen-1')).toBe(0);
    } finally {
      thief.close();
    }
  });

  test('a malformed path or a wrong method is answered (404, 405) and the workload keeps serving', async () => {
    const payments = await Impersonator.mint(mesh, 'payments');
    try {
      expect((await payments.call('ledger', 'GET', '/entries/%E0%A4')).status).toBe(404);
      expect((await payments.call('ledger', 'PUT', '/entries')).status).toBe(405);
      expect((await mesh.operator.health('ledger')).status).toBe('ok');
    } finally {
      payments.close();
    }
  });

  test('admin endpoints of the token service and the CA refuse non-operators', async () => {
    for (const [service, path] of [['sts', '/admin/rotate'], ['sts', '/admin/revoke'], ['ca', '/admin/revoke'], ['ca', '/admin/issue']] as const) {
      const res = await gateway.call(service, 'POST', path, { body: {} });
      expect(res.status, `${service} ${path}`).toBe(403);
      expect(res.json()).toMatchObject({ error: 'spiffe_id_not_allowed' });
    }
  });
});

describe('signing key rotation', () => {
  test('under load: 500+ payments from 20 concurrent clients across 2 key rotations, zero failures', async () => {
    const token = await user.login('alice');
    const failures: string[] = [];
    let sent = 0;
    let done = 0;
    let rotations = 0;
    const deadline = Date.now() + 40_000;
    const worker = async (w: number): Promise<void> => {
      while ((done < 500 || rotations < 2) && sent < 3000 && Date.now() < deadline) {
        const n = sent++;
        const res = await user.pay(token, samplePayment(`rot-${w}-${n}`, { amount: 1 })).catch((e: Error) => ({ status: 0, body: e.message }));
        done += 1;
        if (res.status !== 201) failures.push(`${res.status} ${res.body.slice(0, 120)}`);
      }
    };
    const kids: string[] = [];
    const rotate = async (): Promise<void> => {
      for (let i = 0; i < 2; i++) {
        // Publish-next-then-sign: rotations are spaced by two JWKS refresh intervals (2 s), so every verifier
        // has fetched the published next key before it signs, even on a loaded machine.
        await new Promise((r) => setTimeout(r, 4500));
        const res = await mesh.operator.rotateSigningKey();
        kids.push(res.current);
        rotations += 1;
      }
    };
    await Promise.all([rotate(), ...Array.from({ length: 20 }, (_, w) => worker(w))]);
    expect(rotations).toBe(2);
    expect(new Set(kids).size).toBe(2);
    expect(done).toBeGreaterThanOrEqual(500);
    expect(failures).toEqual([]);
  }, 60_000);
});
