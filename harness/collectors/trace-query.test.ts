import { describe, expect, it } from 'vitest';
import { childrenOf, expectEvery, expectNone, expectSome, hasAttributes, parentOf, selectSpans, traceIdsWith, tracesWith } from './trace-query.ts';
import type { SpanRecord } from './span-record.ts';

let next = 1;
function span(partial: Partial<SpanRecord> & Pick<SpanRecord, 'traceId' | 'name' | 'service'>): SpanRecord {
  const id = (next++).toString(16).padStart(16, '0');
  return { spanId: id, parentSpanId: '', kind: 'INTERNAL', scope: 'meshgate', startNs: '1', endNs: '2', durationMs: 0, status: { code: 'UNSET' }, attributes: {}, events: [], links: [], ...partial };
}

const PAY = 'a'.repeat(32);
const OTHER = 'b'.repeat(32);
const gatewayIn = span({ traceId: PAY, name: 'POST /payments', service: 'gateway', kind: 'SERVER', attributes: { 'http.route': '/payments', 'meshgate.peer.spiffe_id': 'spiffe://meshgate.test/operator', 'meshgate.authz.decision_id': 'd-1' } });
const gatewayOut = span({ traceId: PAY, name: 'POST', service: 'gateway', kind: 'CLIENT', parentSpanId: gatewayIn.spanId });
const paymentsIn = span({ traceId: PAY, name: 'POST /payments', service: 'payments', kind: 'SERVER', parentSpanId: gatewayOut.spanId, attributes: { 'http.route': '/payments', 'meshgate.peer.spiffe_id': 'spiffe://meshgate.test/gateway', 'meshgate.authz.decision_id': 'd-2' } });
const authz = span({ traceId: PAY, name: 'meshgate.authz', service: 'payments', parentSpanId: paymentsIn.spanId, attributes: { 'meshgate.authz.decision': 'allow', 'meshgate.authz.policy_ids': ['edge-gateway-payments'] } });
const ledgerIn = span({ traceId: PAY, name: 'POST /entries', service: 'ledger', kind: 'SERVER', attributes: { 'http.route': '/entries', 'meshgate.peer.spiffe_id': 'spiffe://meshgate.test/payments' } });
const health = span({ traceId: OTHER, name: 'GET /healthz', service: 'ledger', kind: 'SERVER', status: { code: 'ERROR', message: 'x' } });
const ALL = [gatewayIn, gatewayOut, paymentsIn, authz, ledgerIn, health];

const verifiedPeer = hasAttributes({ 'meshgate.peer.spiffe_id': /^spiffe:\/\/meshgate\.test\/[a-z]+$/, 'meshgate.authz.decision_id': (v) => typeof v === 'string' && v.length > 0 });

describe('trace query', () => {
  it('selects by service, name, kind, trace id, attributes and status', () => {
    expect(selectSpans(ALL, { service: 'payments' })).toEqual([paymentsIn, authz]);
    expect(selectSpans(ALL, { kind: 'SERVER', service: ['ledger', 'gateway'] })).toEqual([gatewayIn, ledgerIn, health]);
    expect(selectSpans(ALL, { name: /^POST \// })).toEqual([gatewayIn, paymentsIn, ledgerIn]);
    expect(selectSpans(ALL, { traceId: OTHER })).toEqual([health]);
    expect(selectSpans(ALL, { attributes: { 'meshgate.authz.policy_ids': ['edge-gateway-payments'] } })).toEqual([authz]);
    expect(selectSpans(ALL, { attributes: { 'meshgate.authz.decision': 'deny' } })).toEqual([]);
    expect(selectSpans(ALL, { status: 'ERROR' })).toEqual([health]);
    expect(selectSpans(ALL, { where: (s) => s.parentSpanId === '' })).toEqual([gatewayIn, ledgerIn, health]);
    expect(() => selectSpans(ALL, null as never)).toThrow(TypeError);
  });

  it('walks traces and parent links', () => {
    expect(traceIdsWith(ALL, { name: 'meshgate.authz' })).toEqual([PAY]);
    expect(tracesWith(ALL, { name: 'meshgate.authz' })).toHaveLength(5);
    expect(childrenOf(ALL, paymentsIn)).toEqual([authz]);
    expect(parentOf(ALL, paymentsIn)).toBe(gatewayOut);
    expect(parentOf(ALL, gatewayIn)).toBeUndefined();
  });

  it('every server span of a payment trace shows a verified peer SPIFFE ID and a decision id — or names the span that does not', () => {
    const message = 'every server span of a payment trace shows a verified peer SPIFFE ID and a decision id';
    const paymentTraces = tracesWith(ALL, { service: 'payments', name: 'meshgate.authz' });
    const upToPayments = selectSpans(paymentTraces, { kind: 'SERVER', service: ['gateway', 'payments'] });
    expect(expectEvery(upToPayments, verifiedPeer, message)).toEqual({ ok: true, message, spans: [gatewayIn, paymentsIn].map((s) => ({ spanId: s.spanId, traceId: PAY, name: s.name, service: s.service })) });

    const failed = expectEvery(selectSpans(paymentTraces, { kind: 'SERVER' }), verifiedPeer, message);
    expect(failed.ok).toBe(false);
    if (failed.ok) return;
    expect(failed.span).toEqual({ spanId: ledgerIn.spanId, traceId: PAY, name: 'POST /entries', service: 'ledger' });
    expect(failed.detail).toContain(ledgerIn.spanId);
    expect(failed.detail).toContain('1 of 3');
  });

  it('an empty selection fails every expectation that needs a span', () => {
    expect(expectEvery([], () => true, 'm')).toEqual({ ok: false, message: 'm', detail: 'no span was selected' });
    expect(expectSome([], () => true, 'm').ok).toBe(false);
  });

  it('expectSome and expectNone return evidence or the offending span', () => {
    const allows = (s: SpanRecord) => s.attributes['meshgate.authz.decision'] === 'allow';
    expect(expectSome(ALL, allows, 'an allow')).toMatchObject({ ok: true, spans: [{ spanId: authz.spanId }] });
    expect(expectNone(ALL, allows, 'no allow')).toMatchObject({ ok: false, span: { spanId: authz.spanId, name: 'meshgate.authz' } });
    expect(expectNone([health], allows, 'no allow')).toMatchObject({ ok: true });
  });
});
