import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { DecisionRequest, DecisionResponse } from './decision-types.ts';
import { PdpEngine } from '../../pdp/pdp-engine.ts';
import { PolicyStore } from '../../pdp/policy-store.ts';
import { ManualClock } from '../clock.ts';
import { spiffeIdFor } from '../spiffe.ts';
import { PdpAnswerError } from './pdp-answer-error.ts';
import { PolicyEnforcer } from './policy-enforcer.ts';
import type { DecideFn } from './policy-enforcer.ts';

const POLICY_DIR = fileURLToPath(new URL('../../pdp/policies/', import.meta.url));

function payment(amount = 100, txn = 't-1', reference = 'p'): DecisionRequest {
  return {
    principal: spiffeIdFor('gateway'),
    action: 'POST /payments',
    resource: { type: 'Payment', id: reference, attributes: { amount, currency: 'EUR', owner: 'alice' } },
    context: { user: 'alice', scope: ['payments:write'], purpose: 'payment', amount, currency: 'EUR' },
    txn,
  };
}

/** The embedded engine behind a counter, so tests see when the PDP is really asked. */
async function embedded() {
  const store = await PolicyStore.fromDirectory(POLICY_DIR);
  const engine = new PdpEngine({ policies: store });
  const counter = { calls: 0 };
  const decide: DecideFn = async (req) => {
    counter.calls++;
    return engine.decide(req);
  };
  return { store, decide, counter };
}

/** A small remote transport: POST the request as JSON, read a DecisionResponse back. */
function httpDecide(url: string): DecideFn {
  return async (req, signal) => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(req), signal });
    const text = await res.text();
    if (!res.ok) throw new PdpAnswerError(`PDP answered ${res.status}`, res.status);
    try {
      return JSON.parse(text) as DecisionResponse;
    } catch {
      throw new PdpAnswerError('PDP answer is not JSON', res.status);
    }
  };
}

describe('PolicyEnforcer cache', () => {
  it('serves a repeated request from the cache with the original decision id', async () => {
    const { decide, counter } = await embedded();
    const pep = new PolicyEnforcer({ decide });
    const first = await pep.enforce(payment());
    const second = await pep.enforce({ ...payment(), traceId: 'abcd' });
    expect(first).toMatchObject({ allow: true, cached: false, policyIds: ['gateway-create-payment'] });
    expect(second).toMatchObject({ allow: true, cached: true, decisionId: first.decisionId, policyVersion: first.policyVersion });
    expect(counter.calls).toBe(1);
    expect(pep.cacheStats()).toMatchObject({ hits: 1, size: 1 });
  });

  it('serves the next payment of the same shape from the cache: a new reference and transaction do not decide', async () => {
    const { decide, counter } = await embedded();
    const pep = new PolicyEnforcer({ decide });
    await pep.enforce(payment(100, 't-1', 'ref-1'));
    const next = await pep.enforce(payment(100, 't-2', 'ref-2'));
    expect(next).toMatchObject({ allow: true, cached: true });
    expect(counter.calls).toBe(1);
  });

  it('never caches a deny: every refusal is decided (and logged) by the PDP', async () => {
    const { decide, counter } = await embedded();
    const pep = new PolicyEnforcer({ decide });
    const otherUser = payment(100);
    otherUser.context['user'] = 'bob';
    await pep.enforce(otherUser);
    const again = await pep.enforce(otherUser);
    expect(again).toMatchObject({ allow: false, reason: 'pdp_denied', cached: false });
    expect(counter.calls).toBe(2);
    expect(pep.cacheStats().size).toBe(0);
  });

  it('keys on everything that decides: a different amount or context is asked again', async () => {
    const { decide, counter } = await embedded();
    const pep = new PolicyEnforcer({ decide });
    await pep.enforce(payment(100));
    await pep.enforce(payment(200));
    const otherUser = payment(100);
    otherUser.context['user'] = 'bob';
    const denied = await pep.enforce(otherUser);
    expect(denied).toMatchObject({ allow: false, reason: 'pdp_denied', cached: false, policyIds: ['forbid-other-users-resource'] });
    expect(denied.decisionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(counter.calls).toBe(3);
  });

  it('drops cached decisions when told of a new policy version', async () => {
    const { store, decide, counter } = await embedded();
    const pep = new PolicyEnforcer({ decide });
    expect((await pep.enforce(payment())).allow).toBe(true);
    const { 'gateway-to-payments.cedar': _g, ...rest } = store.current().files;
    expect(store.update(rest).accepted).toBe(true);
    pep.onPolicyVersion(store.version);
    expect(pep.cacheStats().size).toBe(0);
    const after = await pep.enforce(payment());
    expect(after).toMatchObject({ allow: false, reason: 'pdp_denied', cached: false, policyVersion: store.version });
    expect(counter.calls).toBe(2);
    expect(pep.cacheStats().versionChanges).toBe(1);
  });

  it('drops cached decisions when a response carries a new version', async () => {
    const { store, decide, counter } = await embedded();
    const pep = new PolicyEnforcer({ decide });
    await pep.enforce(payment(100));
    const { 'gateway-to-payments.cedar': _g, ...rest } = store.current().files;
    store.update(rest);
    await pep.enforce(payment(300));
    const again = await pep.enforce(payment(100));
    expect(again).toMatchObject({ allow: false, cached: false, policyVersion: store.version });
    expect(counter.calls).toBe(3);
  });

  it('expires entries at the staleness bound (manual clock)', async () => {
    const { decide, counter } = await embedded();
    const clock = new ManualClock(1_000_000);
    const pep = new PolicyEnforcer({ decide, clock, cacheTtlMs: 1_000 });
    expect(pep.stalenessBoundSeconds).toBe(1);
    await pep.enforce(payment());
    clock.advance(999);
    expect((await pep.enforce(payment())).cached).toBe(true);
    clock.advance(1);
    expect((await pep.enforce(payment())).cached).toBe(false);
    expect(counter.calls).toBe(2);
    expect(pep.cacheStats().expirations).toBe(1);
  });

  it('holds at most cacheMaxEntries, dropping the least recently used', async () => {
    const { decide, counter } = await embedded();
    const pep = new PolicyEnforcer({ decide, cacheMaxEntries: 2 });
    await pep.enforce(payment(1));
    await pep.enforce(payment(2));
    await pep.enforce(payment(1)); // 1 is now the most recently used
    await pep.enforce(payment(3)); // evicts 2
    expect(pep.cacheStats()).toMatchObject({ size: 2, evictions: 1 });
    expect((await pep.enforce(payment(1))).cached).toBe(true);
    expect((await pep.enforce(payment(2))).cached).toBe(false);
    expect(counter.calls).toBe(4);
  });

  it('rejects bad settings, naming each', () => {
    expect(() => new PolicyEnforcer({ decide: 5 as unknown as DecideFn, cacheTtlMs: -1, timeoutMs: 0 })).toThrow(/decide must be a function.*cacheTtlMs must be.*timeoutMs must be/);
    expect(() => new PolicyEnforcer({ decide: async () => ({}) as DecisionResponse }).onPolicyVersion('')).toThrow(TypeError);
  });
});

describe('PolicyEnforcer fails closed against a real loopback PDP', () => {
  let server: Server;
  let url: string;
  let closedUrl: string;
  let mode: 'ok' | 'slow' | 'errors' | 'status500' | 'garbage' | 'half' = 'ok';
  let engine: PdpEngine;

  beforeAll(async () => {
    engine = new PdpEngine({ policies: await PolicyStore.fromDirectory(POLICY_DIR) });
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const decision = engine.decide(JSON.parse(body) as DecisionRequest);
        const send = (status: number, payload: string) => {
          if (!res.destroyed) res.writeHead(status, { 'content-type': 'application/json' }).end(payload);
        };
        if (mode === 'slow') setTimeout(() => send(200, JSON.stringify(decision)), 600).unref();
        else if (mode === 'errors') send(200, JSON.stringify({ ...decision, decision: 'allow', errors: ['gateway-create-payment: evaluation error'] }));
        else if (mode === 'status500') send(500, '{"error":"internal_error"}');
        else if (mode === 'garbage') send(200, 'not json');
        else if (mode === 'half') send(200, JSON.stringify({ decision: 'allow' }));
        else send(200, JSON.stringify(decision));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/decide`;
    // A port that was just free: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    closedUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}/v1/decide`;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('allows through the remote PDP when it answers', async () => {
    mode = 'ok';
    const pep = new PolicyEnforcer({ decide: httpDecide(url), cacheTtlMs: 0 });
    expect(await pep.enforce(payment())).toMatchObject({ allow: true, cached: false, policyIds: ['gateway-create-payment'] });
  });

  it('denies pdp_unavailable when nothing listens on the PDP port', async () => {
    const pep = new PolicyEnforcer({ decide: httpDecide(closedUrl) });
    const result = await pep.enforce(payment());
    expect(result).toMatchObject({ allow: false, reason: 'pdp_unavailable', cached: false, policyIds: [] });
    expect(result.detail).toMatch(/ECONNREFUSED|fetch failed/);
  });

  it('denies pdp_unavailable when the PDP is slower than the timeout, without waiting for it', async () => {
    mode = 'slow';
    const pep = new PolicyEnforcer({ decide: httpDecide(url), timeoutMs: 100 });
    const result = await pep.enforce(payment());
    expect(result).toMatchObject({ allow: false, reason: 'pdp_unavailable' });
    expect(result.detail).toMatch(/no decision within 100 ms/);
    expect(result.latencySeconds).toBeGreaterThanOrEqual(0.09);
    expect(result.latencySeconds).toBeLessThan(0.5);
  });

  it.each([
    ['a response with errors', 'errors', /PDP reported 1 error/],
    ['a 500', 'status500', /PDP answered 500/],
    ['a body that is not JSON', 'garbage', /not JSON/],
    ['a body that is not a decision', 'half', /bad decision response: policyIds must be/],
  ] as const)('denies pdp_error on %s', async (_name, m, detail) => {
    mode = m;
    const pep = new PolicyEnforcer({ decide: httpDecide(url) });
    const result = await pep.enforce(payment());
    expect(result).toMatchObject({ allow: false, reason: 'pdp_error', cached: false });
    expect(result.detail).toMatch(detail);
  });

  it('never caches a failure: served again as soon as the PDP is back', async () => {
    const pep = new PolicyEnforcer({ decide: httpDecide(url), timeoutMs: 100 });
    mode = 'slow';
    expect((await pep.enforce(payment())).reason).toBe('pdp_unavailable');
    mode = 'errors';
    expect((await pep.enforce(payment())).reason).toBe('pdp_error');
    mode = 'ok';
    expect(await pep.enforce(payment())).toMatchObject({ allow: true, cached: false });
    expect(await pep.enforce(payment())).toMatchObject({ allow: true, cached: true });
  });

  it('failOpen (mutation switch only) turns unavailable and error into allow', async () => {
    const open = new PolicyEnforcer({ decide: httpDecide(closedUrl), failOpen: true });
    expect(await open.enforce(payment())).toMatchObject({ allow: true, reason: 'pdp_unavailable' });
    mode = 'errors';
    const openErr = new PolicyEnforcer({ decide: httpDecide(url), failOpen: true });
    expect(await openErr.enforce(payment())).toMatchObject({ allow: true, reason: 'pdp_error' });
    expect(new PolicyEnforcer({ decide: httpDecide(url) }).settings().failOpen).toBe(false);
  });
});
