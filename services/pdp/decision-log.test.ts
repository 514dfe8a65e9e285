import { describe, expect, it } from 'vitest';
import { buildDecisionLogRecord, looksLikeCardNumber, MASK } from './decision-log.ts';
import type { DecisionRequest, DecisionResponse } from '../kit/pep/decision-types.ts';

const request: DecisionRequest = {
  principal: 'spiffe://meshgate.test/gateway',
  action: 'POST /payments',
  resource: { type: 'Payment', id: 'p-1', attributes: { amount: 1200, currency: 'EUR', owner: 'alice', card_number: '4111 1111 1111 1111' } },
  context: { user: 'alice', scope: ['payments:write'], note: '4111111111111111', txn_token: 'abc', nested: { Authorization: 'Bearer x', ok: 'yes' }, jwtish: 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.sig' },
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
};
const response: DecisionResponse = { decision: 'allow', policyIds: ['gateway-create-payment'], errors: [], policyVersion: 'sha256:abc', decisionId: 'd-1' };

describe('decision log records', () => {
  const record = buildDecisionLogRecord({ request, response, latencySeconds: 0.000_08, at: Date.UTC(2025, 0, 2, 3, 4, 5), maskFields: ['note'] });

  it('carries the OPA-style fields, joinable to traces and PEP results', () => {
    expect(record).toMatchObject({
      timestamp: '2025-01-02T03:04:05.000Z',
      decision_id: 'd-1',
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      span_id: '00f067aa0ba902b7',
      principal: 'spiffe://meshgate.test/gateway',
      action: 'POST /payments',
      decision: 'allow',
      policy_ids: ['gateway-create-payment'],
      policy_version: 'sha256:abc',
      latency_seconds: 0.000_08,
    });
    expect(record.resource).toMatchObject({ type: 'Payment', id: 'p-1' });
  });

  it('masks card numbers, tokens and mask-listed fields, and lists where', () => {
    expect(record.resource.attributes).toEqual({ amount: 1200, currency: 'EUR', owner: 'alice', card_number: MASK });
    expect(record.context).toEqual({ user: 'alice', scope: ['payments:write'], note: MASK, txn_token: MASK, nested: { Authorization: MASK, ok: 'yes' }, jwtish: MASK });
    expect(record.masked.sort()).toEqual(['/context/jwtish', '/context/nested/Authorization', '/context/note', '/context/txn_token', '/resource/attributes/card_number']);
    expect(JSON.stringify(record)).not.toMatch(/4111|Bearer|eyJhbGci/);
  });

  it('masks a card number by its value even under an innocent name', () => {
    const r = buildDecisionLogRecord({ request: { ...request, context: { memo: '4111-1111-1111-1111' } }, response: { ...response, errors: ['p: bad value 4111111111111111'] }, latencySeconds: 0, at: 0 });
    expect(r.context).toEqual({ memo: MASK });
    expect(r.errors).toEqual([`p: bad value ${MASK}`]);
    expect(r.trace_id).toBe(request.traceId);
  });

  it('does not alter the request it logs', () => {
    expect(request.resource.attributes['card_number']).toBe('4111 1111 1111 1111');
  });

  it('tells card numbers from other digit strings by the Luhn check', () => {
    expect(looksLikeCardNumber('4111111111111111')).toBe(true);
    expect(looksLikeCardNumber('4111111111111112')).toBe(false);
    expect(looksLikeCardNumber('12345')).toBe(false);
  });

  it('rejects bad arguments naming each one', () => {
    expect(() => buildDecisionLogRecord({ request, response, latencySeconds: -1, at: Number.NaN })).toThrow(/latencySeconds must be a finite number >= 0.*at must be milliseconds/);
  });
});
